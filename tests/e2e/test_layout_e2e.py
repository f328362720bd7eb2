"""Layout at the widths people use: lists fit a 1024 px screen, order numbers keep to one line at
1366 px, a housekeeper's pages work on a 390 px phone: no horizontal scrolling anywhere (the page is
never wider than the window). Every page also runs without a Content-Security-Policy violation."""
import re

import pytest

from tests.e2e.conftest import assert_no_horizontal_scroll, log_in, new_page, screenshot

LOGIN_LANGUAGE = "zh_Hans_CN"


def open_as(browser, portal, username, width, height=900, phone=False):
    page = new_page(browser, width, height, phone=phone)
    page.violations = []
    page.on("console", lambda msg: page.violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text else None)
    return log_in(page, portal, username, lang=LOGIN_LANGUAGE)


def assert_fits(page, name):
    """No horizontal scroll (the document is not wider than the window), no CSP violation."""
    page.wait_for_load_state("networkidle")
    screenshot(page, name)
    assert_no_horizontal_scroll(page, name)
    assert not page.violations, (name, page.violations)


@pytest.mark.parametrize("width", [1024, 1366])
def test_the_repairs_list_fits_and_order_numbers_keep_to_one_line(browser, portal, width):
    page = open_as(browser, portal, "clerk", width)
    page.goto(portal + "/admin/repairs/")
    assert page.locator("table.model-list tbody tr").count() >= 5
    assert_fits(page, f"layout-repairs-list-{width}")
    table = page.locator("table.model-list").bounding_box()
    assert table["x"] >= 0 and table["x"] + table["width"] <= width, table
    for header in ("期限", "预约时间"):       # the last columns are on screen
        cell = page.locator("table.model-list thead th", has_text=header).first.bounding_box()
        assert cell["x"] + cell["width"] <= width, (header, cell)
    numbers = page.locator("table.model-list tbody td.col-number")
    for index in range(min(numbers.count(), 10)):
        text = numbers.nth(index).inner_text().strip()
        assert re.fullmatch(r"BX\d{8}-\d{3}", text), text
        lines = numbers.nth(index).evaluate(
            "cell => { const r = document.createRange(); r.selectNodeContents(cell);"
            " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }")
        assert lines == 1, (text, lines)
    page.context.close()


def test_the_housekeepers_pages_work_on_a_phone(browser, portal):
    page = open_as(browser, portal, "housekeeper", 390, 844, phone=True)
    page.goto(portal + "/admin/renovation-patrols/")
    assert "巡查" in page.locator("h4, h3, h2").first.inner_text() or page.locator("main, .container-fluid").count()
    assert_fits(page, "layout-patrols-due-390")
    page.locator("a[href*='/step/log_patrol/']").first.click()
    page.wait_for_url("**/step/log_patrol/**")
    assert page.locator("#step-form").count() == 1
    assert_fits(page, "layout-patrol-form-390")
    page.goto(portal + "/admin/households/")
    page.locator("table.model-list tbody tr a[href*='/visits/log/']").first.click()
    page.wait_for_url("**/visits/log/**")
    assert page.locator("#visit-form").count() == 1
    assert_fits(page, "layout-visit-log-390")
    page.goto(portal + "/admin/visits/")
    assert_fits(page, "layout-visits-list-390")
    page.context.close()


def test_the_pages_scripts_work_under_the_content_security_policy(browser, portal):
    """Scripts run only from the portal's files: the language select still switches, a list action
    still asks before it runs, a row deletion still asks first."""
    page = open_as(browser, portal, "manager", 1366)
    page.goto(portal + "/admin/households/")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("table.model-list tbody input.action-checkbox").first.check()
    page.click("#dLabel, a.dropdown-toggle:has-text('选中')", timeout=5000)
    page.locator(".dropdown-menu a.dropdown-item", has_text="迁出").first.click()
    assert asked, "the list action did not ask first"
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") in ("en", None) or "Residents" in page.content()
    with page.expect_navigation():
        page.select_option("#language-select", "zh_Hans_CN")
    assert not page.violations, page.violations
    page.context.close()

"""In Chromium, in Chinese: the front desk takes a vacancy application from the household page
(dates typed), customer service signs its opinion, the director signs it off and the shut-off work
order appears; the manager reads the month's inspection coverage, opens a missing unit from it and
records an inspection whose finding becomes a work order."""
import re
from datetime import date, timedelta

from tests.e2e.conftest import PASSWORD, local_today, screenshot

LOGIN_LANGUAGE = "zh_Hans_CN"


def _as(browser, portal, username):
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    page.set_default_timeout(15000)
    page.goto(portal + "/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-button")
    page.wait_for_url("**/admin/**")
    select = page.locator("#language-select")
    if select.input_value() != "zh_Hans_CN":
        with page.expect_navigation():
            select.select_option("zh_Hans_CN")
    return page


def _next_month_first(today: date) -> date:
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def test_an_application_from_the_household_page_to_the_work_order(browser, portal, login):
    clerk = login("clerk")
    clerk.goto(portal + "/admin/households/")
    clerk.locator("a[href*='/admin/households/details/']").first.click()
    clerk.wait_for_url("**/households/details/**")
    clerk.locator("a[href*='/admin/vacancies/apply/']").click()
    clerk.wait_for_url("**/vacancies/apply/**")
    start = _next_month_first(local_today())
    too_short = (start + timedelta(days=92)).replace(day=1) - timedelta(days=1)      # exactly 3 months
    clerk.fill("#id_number", "11010519491231002X")
    clerk.fill("#starts_on", start.isoformat())
    clerk.fill("#ends_on", too_short.isoformat())
    clerk.keyboard.press("Escape")                 # closes the calendar, keeps the text
    clerk.fill("#reason", "业主出国工作半年")
    clerk.click("#apply-submit")
    assert "必须超过3个月" in clerk.locator("#apply-form").inner_text()
    assert clerk.locator("#ends_on").input_value() == too_short.isoformat()      # what was typed stays
    clerk.fill("#ends_on", (too_short + timedelta(days=1)).isoformat())
    clerk.keyboard.press("Escape")
    screenshot(clerk, "vacancy_apply_zh_1366")
    clerk.click("#apply-submit")
    clerk.wait_for_url("**/vacancies/details/**")
    assert "已申请" in clerk.locator("body").inner_text()
    details_url = clerk.url
    clerk.locator("#record-actions a.step-review").click()
    clerk.fill("#opinion", "已告知业主空置期间注意事项，同意")
    clerk.click("#step-submit")
    clerk.wait_for_url("**/vacancies/details/**")
    assert "已签署意见" in clerk.locator("body").inner_text()

    director = _as(browser, portal, "manager")
    director.goto(details_url)
    director.locator("#record-actions a.step-approve").click()
    director.click("#step-submit")
    director.wait_for_url("**/vacancies/details/**")
    text = director.locator("body").inner_text()
    assert "主任已签字，待交收费员" in text and re.search(r"BX\d{8}-\d{3}", text)
    screenshot(director, "vacancy_details_zh_1366")


def test_coverage_to_an_inspection_with_a_work_order(browser, portal):
    manager = _as(browser, portal, "manager")
    manager.goto(portal + "/admin/vacant-coverage/")
    share = manager.locator("#coverage-share").inner_text()
    assert "%" in share and "已检查" in share
    missing = manager.locator("#coverage-missing")
    assert "未指定管家" in missing.inner_text()
    screenshot(manager, "vacancy_coverage_zh_1366")
    before = int(manager.locator("#coverage-percent").inner_text().split()[0])
    unit = missing.locator("a.coverage-unit").first
    code = unit.inner_text().strip()
    unit.click()
    manager.wait_for_url("**/vacant_inspections/inspect/**")
    assert manager.locator("#room").input_value() == code
    manager.locator("label[for=hygiene_ok]").click()            # not clean
    manager.click("#inspect-submit")
    assert "请填写发现的问题" in manager.locator("#inspect-form").inner_text()
    manager.fill("#findings", "卫生间地漏返味")
    manager.locator("label[for=open_work_order]").click()
    manager.click("#inspect-submit")
    manager.wait_for_url("**/vacant-coverage/**")
    flashes = manager.locator("body").inner_text()
    assert "检查已登记" in flashes and re.search(r"已就发现的问题派维修单 BX\d{8}-\d{3}", flashes)
    after = int(manager.locator("#coverage-percent").inner_text().split()[0])
    assert after >= before and code not in manager.locator("#coverage-missing").inner_text().split()

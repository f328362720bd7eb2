"""The monthly complaint analysis in a browser: its charts drawn by ECharts under the page's CSP (the
chart element is marked data-chart-ready="1" once drawn), with their numbers, at 1366 px and on a
390 px phone, without sideways scrolling; and its A4 print drawn alike."""
from datetime import timedelta

import pytest

from tests.e2e.conftest import assert_no_horizontal_scroll, local_today, log_in, new_page, screenshot


def open_as(browser, portal, username, width):
    page = new_page(browser, width, 900)
    page.violations = []
    page.on("console", lambda msg: page.violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text else None)
    return log_in(page, portal, username, lang="zh_Hans_CN")


def period_args() -> str:
    today = local_today()      # the seed's complaints were registered in the last days
    return f"start={(today - timedelta(days=30)).isoformat()}&end={(today + timedelta(days=1)).isoformat()}"


@pytest.mark.parametrize("width", [1366, 390])
def test_the_complaint_analysis_draws_its_charts_under_the_csp(browser, portal, width):
    page = open_as(browser, portal, "manager", width)
    page.goto(f"{portal}/admin/reports/complaints/?{period_args()}")
    assert page.locator("h4", has_text="投诉分析").count() == 1
    total = int(page.locator("#total-complaints").inner_text())
    assert total > 0
    chart = page.locator("#chart-by-class-figure [data-chart]")
    chart.wait_for(state="attached")
    page.wait_for_selector("#chart-by-class-figure [data-chart-ready='1']", timeout=15000)
    assert chart.locator("svg").count() >= 1                     # ECharts drew it (SVG renderer)
    box = chart.bounding_box()
    assert box["width"] > 200 and box["height"] > 100 and box["x"] + box["width"] <= width
    by_class = page.locator("#chart-by-class-table tbody tr")
    assert by_class.count() == 3 and by_class.first.inner_text().startswith("一类")
    assert sum(int(by_class.nth(i).locator("td").nth(1).inner_text()) for i in range(3)) == total
    page.wait_for_load_state("networkidle")
    screenshot(page, f"reports-complaints-{width}")
    assert_no_horizontal_scroll(page, f"complaint analysis at {width}px")
    assert not page.violations, page.violations
    page.context.close()


def test_the_printed_analysis_draws_its_charts_too(browser, portal):
    page = open_as(browser, portal, "supervisor", 1366)
    page.goto(f"{portal}/admin/reports/complaints/print/?{period_args()}&lang=en")
    assert page.locator("h1").inner_text() == "Complaint analysis"
    page.wait_for_selector("#chart-by-class-figure [data-chart-ready='1']", timeout=15000)
    screenshot(page, "reports-complaints-print")
    assert not page.violations, page.violations
    page.context.close()


def test_the_clerks_daily_report_on_a_phone(browser, portal):
    page = open_as(browser, portal, "clerk", 390)
    page.goto(f"{portal}/admin/reports/daily/")
    assert page.locator("h4", has_text="客服中心日报表").count() == 1
    assert page.locator("#line-repair_public th").inner_text() == "公共区域维修"
    page.wait_for_selector("#chart-daily-figure [data-chart-ready='1'], #chart-daily-figure .estate-chart-empty")
    page.fill("#day", "2026-02-30")
    with page.expect_navigation():
        page.click("#report-form button[type=submit]")
    assert "日历上没有 2026-02-30 这一天" in page.locator("#day-error").inner_text()
    assert page.locator("#day").input_value() == "2026-02-30"
    page.wait_for_load_state("networkidle")
    screenshot(page, "reports-daily-390")
    assert_no_horizontal_scroll(page, "daily report at 390px")
    assert not page.violations, page.violations
    page.context.close()

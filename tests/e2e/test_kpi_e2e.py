"""In Chromium: the KPI page draws its charts from the demo data, company-wide for senior management and
for one community for a manager, at 1366 px and on a 390 px phone, in Chinese and English, without
sideways scrolling; a period that ends before it starts is refused in the page's language."""
import pytest

from tests.e2e.conftest import assert_no_horizontal_scroll, log_in, new_page, screenshot

TITLES = {"zh_Hans_CN": ("关键绩效指标（KPI）", "月末欠费", "全部小区"),
          "en": ("Key performance indicators", "Arrears at month end", "All communities")}
REFUSED = {"zh_Hans_CN": "早于开始日期", "en": "before it starts"}


def watch_csp(page):
    """Collect Content-Security-Policy violations the console reports (no inline script or style)."""
    page.violations = []
    page.on("console", lambda msg: page.violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text else None)
    return page


def wait_for_charts(page) -> int:
    """Every chart of the page drawn (ECharts marks it data-chart-ready="1"); how many there are."""
    page.wait_for_function("""() => {
        const charts = document.querySelectorAll('[data-chart]');
        return charts.length > 0 && Array.from(charts).every(c => c.getAttribute('data-chart-ready') === '1'
            && c.querySelector('svg'));
    }""")
    return page.locator("[data-chart]").count()


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
@pytest.mark.parametrize("width", [1366, 390])
def test_the_kpi_page_draws_its_charts(browser, portal, lang, width):
    page = log_in(watch_csp(new_page(browser, width, 900 if width > 500 else 844)), portal, "executive", lang=lang)
    try:
        page.goto(portal + "/admin/kpi/")
        title, arrears, per_community = TITLES[lang]
        assert title in page.locator("body").inner_text()
        drawn = wait_for_charts(page)
        assert drawn >= 4, drawn                      # on-time, per community, arrears, patrols at least
        text = page.locator("body").inner_text()
        assert arrears in text
        assert per_community in page.locator("#chart-on-time-trend-table").inner_text()   # company-wide
        assert page.locator("#chart-arrears-table tbody tr").count() == 6        # the last six months
        assert_no_horizontal_scroll(page, f"executive {lang} {width}")
        assert not page.violations, page.violations
        screenshot(page, f"kpi_{lang}_{width}")

        manager = log_in(new_page(browser, width, 900 if width > 500 else 844), portal, "manager", lang=lang)
        try:
            manager.goto(portal + "/admin/kpi/")
            assert wait_for_charts(manager) >= 3
            assert per_community not in manager.locator("#chart-on-time-trend-table").inner_text()
            assert_no_horizontal_scroll(manager, f"manager {lang} {width}")
        finally:
            manager.context.close()
    finally:
        page.context.close()


def test_a_period_backwards_is_refused_and_kept(browser, portal):
    page = log_in(new_page(browser, 390, 844), portal, "manager", lang="en")
    try:
        page.goto(portal + "/admin/kpi/?start=2026-11&end=2026-06")
        assert REFUSED["en"] in page.locator("#kpi-end-error").inner_text()
        assert page.locator("#kpi-start").input_value() == "2026-11"
        assert page.locator("[data-chart]").count() == 0
        assert_no_horizontal_scroll(page, "refused period")
    finally:
        page.context.close()

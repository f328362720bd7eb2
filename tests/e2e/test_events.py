"""Community events in a real browser: calendar, event page with sign-ups and gallery, notice print."""
from tests.e2e.conftest import screenshot


def test_calendar_leads_to_the_event_page_with_its_records(login, portal):
    page = login("culture")
    page.goto(portal + "/admin/event_calendar/?month=2026-10")
    day = page.locator('td[data-day="2026-10-06"]')
    assert "中秋游园会" in day.inner_text()
    screenshot(page, "events_calendar_zh")
    day.locator("a.calendar-event").first.click()
    page.wait_for_url("**/admin/events/details/**")
    assert page.locator("#event-title").inner_text() == "中秋游园会"
    assert page.locator("#signup-table tbody tr").count() > 10
    thumbnails = page.locator("#photo-gallery img")
    assert thumbnails.count() == 3
    # the thumbnails really load (served by the scoped photo view)
    assert page.evaluate("Array.from(document.querySelectorAll('#photo-gallery img'))"
                         ".every(img => img.complete && img.naturalWidth > 0)")
    assert page.locator("#feedback-average").inner_text().strip() != ""
    screenshot(page, "events_details_zh")


def test_notice_prints_in_english(login, portal):
    page = login("clerk")
    page.goto(portal + "/admin/notices/")
    row = page.locator("tr", has_text="关于二次供水水箱清洗的通知").first
    row.locator("a[href*='/admin/notices/details/']").first.click()
    page.wait_for_url("**/admin/notices/details/**")
    page.locator("#print-en").wait_for()
    page.goto(portal + page.locator("#print-en").get_attribute("href"))
    text = page.locator("#notice-sheet").inner_text()
    assert "Water tank cleaning" in text and "To: All residents" in text
    assert "Customer Service Centre" in text
    screenshot(page, "notice_print_en")


def test_an_event_is_approved_and_published_on_its_step_pages(login, browser, portal):
    from tests.e2e.conftest import PASSWORD

    page = login("supervisor")
    page.goto(portal + "/admin/events/?search=迎新年广场舞比赛")
    page.locator("a[href*='/admin/events/details/']").first.click()
    page.wait_for_url("**/admin/events/details/**")
    assert page.locator("#event-state").inner_text() == "已提交"
    page.locator("#step-buttons .step-approve").click()
    page.wait_for_url("**/admin/events/step/approve/**")
    assert "迎新年广场舞比赛" in page.locator("#step-summary").inner_text()
    page.locator("#step-submit").click()
    page.wait_for_url("**/admin/events/details/**")
    assert page.locator("#event-state").inner_text() == "已批准"
    assert page.locator("#step-buttons .step-publish").count() == 0     # the supervisor does not publish
    screenshot(page, "events_approved_zh")

    officer = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    officer.goto(portal + "/auth/login")
    officer.fill("input[name=username]", "culture")
    officer.fill("input[name=password]", PASSWORD)
    officer.click("#login-button")
    officer.wait_for_url("**/admin/**")
    officer.goto(page.url)
    officer.locator("#step-buttons .step-publish").click()
    officer.locator("#step-submit").click()
    officer.wait_for_url("**/admin/events/details/**")
    assert officer.locator("#event-state").inner_text() == "已发布"
    assert officer.locator("#step-buttons .step-cancel").count() == 1   # published: it may still be cancelled
    officer.goto(portal + "/admin/venues/")
    assert "多功能活动室" in officer.locator("table.model-list").inner_text()
    officer.context.close()

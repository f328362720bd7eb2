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

"""Community events in a real browser: calendar, event page with sign-ups and gallery, notice print."""
import re

from tests.e2e.conftest import assert_no_horizontal_scroll, log_in, new_page, screenshot

#: the texts asserted here are Chinese: every login chooses it (another test may switch an account)
LOGIN_LANGUAGE = "zh_Hans_CN"


def _start_of(page, portal, title) -> str:
    """The day an event of the demo takes place (the seed places it relative to the day it ran)."""
    page.goto(portal + f"/admin/events/?search={title}")
    row = page.locator("table.model-list tbody tr", has_text=title).first
    return re.search(r"\d{4}-\d{2}-\d{2}", row.inner_text()).group(0)


def _event_page(page, portal, title):
    page.goto(portal + f"/admin/events/?search={title}")
    page.locator("a[href*='/admin/events/details/']").first.click()
    page.wait_for_url("**/admin/events/details/**")


def test_calendar_leads_to_the_event_page_with_its_records(login, portal):
    page = login("culture")
    day_of_fair = _start_of(page, portal, "中秋游园会")
    page.goto(portal + f"/admin/event_calendar/?month={day_of_fair[:7]}")
    day = page.locator(f'td[data-day="{day_of_fair}"]')
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
    page = login("supervisor")
    _event_page(page, portal, "社区广场舞比赛")
    assert page.locator("#event-state").inner_text() == "已提交"
    page.locator("#step-buttons .step-approve").click()
    page.wait_for_url("**/admin/events/step/approve/**")
    assert "社区广场舞比赛" in page.locator("#step-summary").inner_text()
    page.locator("#step-submit").click()
    page.wait_for_url("**/admin/events/details/**")
    assert page.locator("#event-state").inner_text() == "已批准"
    assert page.locator("#step-buttons .step-publish").count() == 0     # the supervisor does not publish
    screenshot(page, "events_approved_zh")

    officer = log_in(new_page(browser), portal, "culture")
    officer.goto(page.url)
    officer.locator("#step-buttons .step-publish").click()
    officer.locator("#step-submit").click()
    officer.wait_for_url("**/admin/events/details/**")
    assert officer.locator("#event-state").inner_text() == "已发布"
    assert officer.locator("#step-buttons .step-cancel").count() == 1   # published: it may still be cancelled
    officer.goto(portal + "/admin/venues/")
    assert "多功能活动室" in officer.locator("table.model-list").inner_text()
    officer.context.close()


def _phone(browser, portal, username):
    """A phone 390 px wide, logged in."""
    return log_in(new_page(browser, 390, 844), portal, username)


def test_on_a_phone_the_event_page_and_the_calendar_keep_to_the_screen(browser, portal):
    phone = _phone(browser, portal, "clerk")
    for title in ("社区义剪志愿服务", "中秋游园会"):      # sign-ups with buttons and a waiting list; 100 rows
        _event_page(phone, portal, title)
        assert phone.locator("#signup-table tbody tr").count() > 5
        assert_no_horizontal_scroll(phone, title)
        box = phone.locator("#signup-table-box").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, title
    screenshot(phone, "events_details_phone_zh")
    for month in sorted({_start_of(phone, portal, t)[:7] for t in ("亲子手工课", "社区义剪志愿服务", "中秋游园会")}):
        phone.goto(portal + f"/admin/event_calendar/?month={month}")
        assert phone.locator("#event-calendar a.calendar-item").count() > 0, month
        assert_no_horizontal_scroll(phone, month)
        table = phone.locator("#event-calendar").bounding_box()
        assert table["x"] + table["width"] <= 390, month
    screenshot(phone, "events_calendar_phone_zh")
    phone.context.close()


def test_on_a_phone_a_booking_reads_in_local_time_and_an_events_booking_in_chinese(browser, portal):
    phone = _phone(browser, portal, "clerk")
    phone.goto(portal + "/admin/venuebookings/")
    rows = phone.locator("table.model-list tbody tr")
    listing = phone.locator("table.model-list").inner_text()
    assert "亲子手工课" in listing and "Family crafts workshop" not in listing
    # "Cancel booking" only on bookings of their own that are still to come
    square = rows.filter(has_text="太极拳晨练").first
    start = re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", square.inner_text()).group(0)
    assert start.endswith("07:00")                     # the community's local time
    assert rows.filter(has_text="社区义剪志愿服务").first.locator(".step-cancel_booking").count() == 0
    assert rows.filter(has_text="老年书法班").filter(has_not_text="第二期").first \
        .locator(".step-cancel_booking").count() == 0   # over already
    square.locator(".step-cancel_booking").click()
    phone.wait_for_url("**/admin/venuebookings/step/cancel_booking/**")
    assert phone.locator("#step-title").inner_text().startswith("取消预订 — 中心广场 " + start)
    assert_no_horizontal_scroll(phone)
    screenshot(phone, "events_booking_step_phone_zh")
    phone.context.close()

"""In Chromium: a repair registration with a date that does not exist and no room for a room repair
shows both errors at once, each under its field, in Chinese, and keeps what was typed."""
from tests.e2e.conftest import screenshot

LOGIN_LANGUAGE = "zh_Hans_CN"


def test_a_form_shows_a_wrong_date_and_a_rule_at_once(page, portal, login):
    login("clerk")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{portal}/admin/repairs/new/")
    page.select_option("#location", "room")
    page.fill("#resident_name", "两处错误测试")
    page.select_option("#category", "plumbing")
    page.select_option("#urgency", "urgent")
    page.fill("#appointment_at", "2026-02-31 10:00")
    page.dispatch_event("#appointment_at", "keyup")
    page.click("#description")                         # closes the date picker
    page.fill("#description", "卫生间地漏堵塞")
    page.locator("form.admin-form input[type=submit]").first.click()
    page.wait_for_load_state()

    appointment = page.locator("#appointment_at").locator(
        "xpath=ancestor::div[contains(@class,'form-group')][1]")
    room = page.locator("#room").locator("xpath=ancestor::div[contains(@class,'form-group')][1]")
    assert "请按 2026-11-28 10:00 的格式输入日期和时间。" in appointment.inner_text()
    assert "请选择房号，或将位置设为公共区域。" in room.inner_text()
    assert page.locator(".invalid-feedback:visible").count() >= 2
    red = "rgb(220, 53, 69)"   # both boxes outlined in red, the room's select2 box too
    assert page.locator("#appointment_at").evaluate("e => getComputedStyle(e).borderTopColor") == red
    assert page.locator("#s2id_room .select2-choice").evaluate("e => getComputedStyle(e).borderTopColor") == red
    assert page.input_value("#appointment_at") == "2026-02-31 10:00"
    assert page.input_value("#description") == "卫生间地漏堵塞"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "form-errors-at-once-zh-1366")

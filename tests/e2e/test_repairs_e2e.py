"""In Chromium: the front desk registers a repair, dispatches it, completes it and logs the return visit."""
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tests.e2e.conftest import assert_no_horizontal_scroll, screenshot

#: the texts asserted here are Chinese: every login chooses it (another test may switch an account)
LOGIN_LANGUAGE = "zh_Hans_CN"

RESIDENT = "端到端测试业户"


def local_now():
    return datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)


def open_row(page, portal):
    """The list filtered down to the test's repair; returns the row locator."""
    page.goto(f"{portal}/admin/repairs/?search={RESIDENT}")
    row = page.locator("table.model-list tbody tr").filter(has_text=RESIDENT)
    assert row.count() == 1
    return row


def test_register_dispatch_complete_and_log_visit(page, portal, login):
    login("clerk")

    # 1. register the call: room picked by typing its code, appointment in an hour
    page.goto(f"{portal}/admin/repairs/new/")
    page.click("#s2id_room a.select2-choice")
    page.fill("#select2-drop input.select2-input", "1-1-10")
    page.locator("#select2-drop li.select2-result-selectable").first.click()
    room_code = page.locator("#s2id_room .select2-chosen").inner_text().strip()
    assert re.match(r"^1-1-10\d+$", room_code)
    page.fill("#resident_name", RESIDENT)
    page.select_option("#category", "plumbing")
    page.select_option("#urgency", "urgent")
    appointment = (local_now() + timedelta(hours=1)).replace(second=0, microsecond=0)
    page.fill("#appointment_at", appointment.strftime("%Y-%m-%d %H:%M:%S"))
    page.dispatch_event("#appointment_at", "keyup")   # the date picker reads typed dates on keyup
    page.click("#description")                         # closes the date picker
    page.fill("#description", "厨房水槽下水管漏水")
    assert page.input_value("#appointment_at") == appointment.strftime("%Y-%m-%d %H:%M:%S")
    screenshot(page, "repairs-1-register")
    page.locator("form.admin-form input[type=submit]").first.click()
    page.wait_for_url("**/admin/repairs/**")
    row = open_row(page, portal)
    assert room_code in row.inner_text()
    assert row.locator(".state-reported").count() == 1
    number = re.search(r"BX\d{8}-\d{3}", row.inner_text()).group(0)

    # 2. dispatch from the row button; the agreed appointment is already filled in
    row.locator("a.step-dispatch").click()
    assert page.input_value("#appointment_at") == appointment.strftime("%Y-%m-%d %H:%M")
    page.fill("#technician", "王师傅")
    page.click("#step-submit")
    row = open_row(page, portal)
    assert row.locator(".state-dispatched").count() == 1
    assert "王师傅" in row.inner_text()

    # 3. the technician reports arrival (time pre-filled with now)
    row.locator("a.step-arrive").click()
    page.click("#step-submit")
    row = open_row(page, portal)
    assert row.locator(".state-arrived").count() == 1

    # 4. complete with materials: 2 x 12.35 + labour 30 = 54.70 exactly
    row.locator("a.step-complete").click()
    page.fill("#work_done", "更换下水管及密封圈")
    page.fill("#materials-0-name", "PVC下水管")
    page.fill("#materials-0-spec", "DN50")
    page.fill("#materials-0-quantity", "2")
    page.fill("#materials-0-unit_price", "12.35")
    page.fill("#materials-1-name", "密封圈")
    page.fill("#materials-1-quantity", "3")
    page.fill("#materials-1-unit_price", "0.10")
    page.fill("#labour", "30")
    screenshot(page, "repairs-2-complete")
    page.click("#step-submit")
    row = open_row(page, portal)
    assert row.locator(".state-completed").count() == 1
    details_link = row.locator("a[href*='/admin/repairs/details/']").first.get_attribute("href")
    page.goto(portal + details_link)
    body = page.locator("body").inner_text()
    assert "55.00" in body and "24.70" in body and "0.30" in body   # 24.70 + 0.30 + 30.00 labour

    # 5. print the work order (both languages)
    page.goto(f"{portal}/admin/repairs/print/?id={details_link.split('id=')[1].split('&')[0]}")
    sheet = page.locator("body").inner_text()
    assert number in sheet and "维修单" in sheet and "Repair work order" in sheet and "55.00" in sheet
    screenshot(page, "repairs-3-work-order")

    # 6. the resident signs on the screen and rates; the return visit is offered only then
    row = open_row(page, portal)
    assert row.locator("a.log-visit").count() == 0
    row.locator("a.step-sign_off").click()
    page.wait_for_load_state()
    page.locator("#signature-pad").scroll_into_view_if_needed()
    pad = page.locator("#signature-pad").bounding_box()
    page.mouse.move(pad["x"] + 30, pad["y"] + 100)
    page.mouse.down()
    for step in range(1, 12):               # a stroke of a signature
        page.mouse.move(pad["x"] + 30 + step * 25, pad["y"] + 100 - (step % 3) * 30)
    page.mouse.up()
    assert page.input_value("#signature").startswith("data:image/png;base64,")
    page.select_option("#satisfaction", "5")
    screenshot(page, "repairs-3b-signature")
    page.click("#step-submit")
    row = open_row(page, portal)
    assert row.locator(".state-signed_off").count() == 1

    # 7. log the return visit from the row: the repair closes
    row = open_row(page, portal)
    row.locator("a.log-visit").click()
    assert page.input_value("#resident_name") == RESIDENT
    page.select_option("#method", "phone")
    page.fill("#resident_said", "已经不漏了，师傅很认真")
    page.select_option("#satisfaction", "5")
    screenshot(page, "repairs-4-visit")
    page.click("#visit-submit")
    page.wait_for_url("**/admin/repairs/**")
    assert number in page.locator(".alert").first.inner_text()
    row = open_row(page, portal)
    assert row.locator(".state-closed").count() == 1
    assert row.locator("a.log-visit").count() == 0 and row.locator("a[class*='step-']").count() == 0

    # the visit is in the visit log, linked to the repair
    page.goto(f"{portal}/admin/visits/")
    visits = page.locator("table.model-list tbody tr").filter(has_text=number)
    assert visits.count() == 1 and "5" in visits.inner_text()
    screenshot(page, "repairs-5-visit-log")


def test_material_lines_and_the_handover_fit_a_phone(page, portal, login):
    """390 px wide: a typed quantity is not cut off, and the handover's open items stay readable."""
    login("clerk", lang="zh_Hans_CN")       # another test may have left the clerk in English
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{portal}/admin/repairs/?page_size=100")
    page.goto(portal + page.locator("a.step-complete").first.get_attribute("href"))
    page.fill("#materials-0-quantity", "123456.5")
    page.fill("#materials-0-unit_price", "12345.67")
    for field in ("#materials-0-quantity", "#materials-0-unit_price", "#materials-0-name"):
        box = page.locator(field).bounding_box()
        assert box["width"] >= 120, (field, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (field, box)
    assert page.locator(".step-list-row").first.inner_text().strip().startswith("第 1 行")
    assert_no_horizontal_scroll(page)
    screenshot(page, "repairs-6-complete-phone")

    page.goto(f"{portal}/admin/handover/")
    assert_no_horizontal_scroll(page)
    summary = page.locator("#open-items td.item-summary").first.bounding_box()
    assert summary["width"] >= 250, summary                  # not two characters a line
    assert "左侧" not in page.locator("#handover-form").inner_text()
    screenshot(page, "repairs-7-handover-phone")

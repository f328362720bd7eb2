"""In Chromium, one flow per register: an item release form for company items from the front desk to
the gate (the guard opens the pass by its number and releases it once), and a found item registered,
on the notice print and claimed with the original ID card (the number masked afterwards)."""
import io

from PIL import Image

from tests.e2e.conftest import log_in, new_page

LOGIN_LANGUAGE = "en"
PLATE = "粤B7E2E9"
ID = "11010519491231002X"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_company_item_release_from_desk_to_gate(browser, portal):
    page = log_in(new_page(browser), portal, "clerk", lang="en")
    page.goto(portal + "/admin/item_release/register/")
    page.select_option("#applicant", "company")
    page.fill("#applicant_name", "工程部 刘工")
    page.fill("#certificate", "工程部外运证明 E2E-1")
    page.fill("#items", "旧办公桌 2\n旧椅子 4")
    page.fill("#vehicle_plate", PLATE)
    page.fill("#driver_name", "王师傅")
    page.fill("#driver_id", "440301198001010011")
    page.click("#register-submit")
    page.wait_for_url("**/details/**")
    number = page.inner_text("#detail-number td:nth-child(2)").strip()
    assert number.startswith("FX") and "440301198001010011" not in page.content()
    page.click("#record-actions a.step-confirm_fees")
    page.click("#step-form [type=submit]")
    page.wait_for_url("**/details/**")
    page.click("#record-actions a.step-sign")
    page.set_input_files("#certificate_file", {"name": "cert.png", "mimeType": "image/png", "buffer": png()})
    page.click("#step-form [type=submit]")
    page.wait_for_url("**/details/**")
    assert "cert.png" in page.inner_text("#release-certificates")
    assert "Signed by the owner" in page.inner_text("#detail-state")
    page.context.close()

    gate = log_in(new_page(browser, width=390), portal, "guard", lang="en")
    gate.goto(portal + "/admin/item_release/gate/")
    gate.fill("#gate-number", number.lower())
    gate.press("#gate-number", "Enter")
    gate.wait_for_url("**/step/release/**")
    gate.fill("#plate_seen", PLATE)
    gate.click("label[for=items_checked]")
    gate.click("#step-form [type=submit]")
    gate.wait_for_url("**/details/**")
    assert "Released at the gate" in gate.inner_text("#detail-state")
    assert gate.locator("#record-actions a.step-release").count() == 0
    gate.context.close()


def test_a_found_item_is_announced_and_claimed(browser, portal):
    page = log_in(new_page(browser), portal, "clerk", lang="en")
    page.goto(portal + "/admin/lost_found/register/")
    page.fill("#item", "E2E 蓝色保温杯")
    page.fill("#place", "3栋电梯厅")
    page.fill("#finder_name", "保洁 陈阿姨")
    page.fill("#kept_at", "前台储物柜")
    page.fill("#description", "杯身有贴纸")
    page.click("#register-submit")
    page.wait_for_url("**/details/**")
    number = page.inner_text("#detail-number td:nth-child(2)").strip()
    details = page.url
    page.goto(portal + "/admin/lost_found/notice/?lang=en")
    assert number in page.inner_text("#notice-sheet") and "杯身有贴纸" not in page.content()
    page.goto(portal + "/admin/lost_found/")
    page.click("#found-register-print")                      # the register of this month, on the A4 frame
    page.wait_for_url("**/register-print/**")
    assert number in page.inner_text("#register-table") and "杯身有贴纸" in page.inner_text("#register-table")
    page.goto(details)
    page.click("#record-actions a.step-claim")
    page.fill("#claimant_name", "张伟")
    page.fill("#description", "蓝色保温杯，杯身有贴纸")
    page.click("label[for=description_checked]")
    page.fill("#signed", "张伟")
    page.click("#step-form [type=submit]")
    assert "original ID card" in page.content()             # refused: no ID number
    page.fill("#id_number", ID)
    page.click("#step-form [type=submit]")
    page.wait_for_url("**/details/**")
    assert "Claimed" in page.inner_text("#detail-state")
    assert ID not in page.inner_text("#details-table")
    page.context.close()


def test_a_renovations_large_items_leave_on_the_release_form(browser, portal):
    """From the renovation's page to the one release form and its pass with the QR code of the gate."""
    page = log_in(new_page(browser), portal, "clerk", lang="en")
    page.goto(portal + "/admin/renovations/")
    links = [page.locator("table.model-list tbody tr a[href*='/details/']").nth(i).get_attribute("href")
             for i in range(page.locator("table.model-list tbody tr a[href*='/details/']").count())]
    for link in links:
        page.goto(portal + link if link.startswith("/") else link)
        if page.locator("#renovation-item-release").count():
            break
    else:
        raise AssertionError("no renovation with an active permit in the demo")
    page.click("#renovation-item-release")
    page.wait_for_url("**/item_release/register/**")
    assert "Large items of renovation" in page.inner_text("#register-renovation")
    page.fill("#items", "旧橱柜 1\n装修垃圾 10")
    page.fill("#vehicle_plate", "粤B8E2E8")
    page.click("#register-submit")
    assert "Record the driver" in page.content()             # the renovation's rule: the driver always
    page.fill("#driver_name", "陈师傅")
    page.fill("#driver_id", "440305197503150032")
    page.click("#register-submit")
    page.wait_for_url("**/item_release/details/**")
    assert "Renovation (large items)" in page.inner_text("#details-table")
    page.click("#print-pass")
    page.wait_for_url("**/item_release/print/**")
    assert page.locator("#release-gate-qr svg.qr").is_visible()
    assert "/admin/item_release/gate/?number=FX" in page.inner_text("#release-gate-qr")
    page.context.close()

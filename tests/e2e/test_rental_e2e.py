"""In Chromium, in Chinese: customer service opens a prospect who paid the viewing deposit, types a
lease fee that is not half the agreed rent (refused on the field, what was typed kept), then the
right one with the lease and ID copies; the prospect's print of a listing never names the owner."""
from datetime import timedelta

from tests.e2e.conftest import local_today, screenshot

LOGIN_LANGUAGE = "zh_Hans_CN"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_signing_a_lease_and_the_prospect_print(page, portal, login):
    clerk = login("clerk")
    clerk.goto(portal + "/admin/rental_prospects/")
    clerk.locator("tr", has_text="周先生").locator("a.step-sign").click()
    clerk.wait_for_url("**/rental_prospects/step/sign/**")
    assert "王" not in clerk.locator("#step-title").inner_text()
    clerk.fill("#agreed_rent", "2800")
    clerk.fill("#lease_fee", "1000")
    start = local_today() + timedelta(days=3)
    clerk.fill("#lease_start", start.isoformat())
    clerk.keyboard.press("Escape")
    clerk.fill("#lease_end", (start + timedelta(days=364)).isoformat())
    clerk.keyboard.press("Escape")
    clerk.fill("#id_number", "110105199001011232")
    files = {"lease_copy": "lease.pdf", "id_copy": "id.pdf"}
    for field, name in files.items():
        clerk.set_input_files(f"#{field}", files={"name": name, "mimeType": "application/pdf", "buffer": PDF})
    clerk.click("#step-submit")
    form = clerk.locator("#step-form").inner_text()
    assert "签约服务费为洽谈月租金的 50 %：1,400.00 元" in form
    assert clerk.locator("#agreed_rent").input_value() == "2800"
    clerk.fill("#lease_fee", "1400")
    for field, name in files.items():
        clerk.set_input_files(f"#{field}", files={"name": name, "mimeType": "application/pdf", "buffer": PDF})
    screenshot(clerk, "rental_sign_zh_1366")
    with clerk.expect_navigation():
        clerk.click("#step-submit")
    assert "签订租赁合同：周先生 现为“已签约”" in clerk.locator("body").inner_text()
    clerk.locator("tr", has_text="周先生").locator("a[href*='/details/']").first.click()
    clerk.wait_for_url("**/rental_prospects/details/**")
    text = clerk.locator("body").inner_text()
    assert "已签约" in text and "签约服务费" in text and "1,400.00" in text

    clerk.goto(portal + "/admin/rental_listings/")
    clerk.locator("tr", has_text="已出租").locator("a[href*='/details/']").first.click()
    owner = clerk.locator("#detail-owner_name").inner_text()
    clerk.locator("#prospect-print-zh").click()
    clerk.wait_for_url("**/for-prospect/**")
    sheet = clerk.locator("#listing-sheet").inner_text()
    assert "出租房源" in sheet and "看房押金 100.00 元" in sheet
    assert owner.split()[-1] not in sheet

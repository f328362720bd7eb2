"""In Chromium, in Chinese: the key keeper opens a key set of the register, lends it to a contractor
(a return tomorrow is refused on the field, the end of today is taken), and takes it back."""
from datetime import timedelta

from tests.e2e.conftest import local_today, screenshot

LOGIN_LANGUAGE = "zh_Hans_CN"


def test_the_key_keeper_lends_and_takes_back_a_key(portal, login):
    clerk = login("clerk")
    clerk.goto(portal + "/admin/key_sets/?search=-M")
    clerk.locator("a[href*='/admin/key_sets/details/']").first.click()
    clerk.wait_for_url("**/key_sets/details/**")
    assert "在柜" in clerk.locator("#details-table").inner_text()
    clerk.locator("#key-lend").click()
    clerk.wait_for_url("**/key_loans/lend/**")
    label = clerk.locator("#label_code").input_value()
    assert label.endswith("-M")
    clerk.select_option("#borrower_kind", "contractor")
    clerk.fill("#borrower_name", "李师傅")
    clerk.fill("#borrower_id_number", "110105199001011234")
    clerk.fill("#purpose", "更换信报箱锁")
    clerk.fill("#expected_return_at", (local_today() + timedelta(days=1)).isoformat() + " 10:00")
    clerk.keyboard.press("Escape")
    clerk.click("#lend-form-submit")
    assert "当天归还" in clerk.locator("#lend-form").inner_text()
    assert clerk.locator("#borrower_name").input_value() == "李师傅"          # what was typed stays
    clerk.fill("#expected_return_at", "")
    clerk.keyboard.press("Escape")
    screenshot(clerk, "keys_lend_zh_1366")
    clerk.click("#lend-form-submit")
    clerk.wait_for_url("**/key_loans/details/**")
    assert "借出中" in clerk.locator("body").inner_text()
    clerk.locator("#record-actions a.step-return_key").click()
    clerk.fill("#note", "完好归还")
    clerk.click("#step-submit")
    clerk.wait_for_url("**/key_loans/details/**")
    assert "已归还" in clerk.locator("body").inner_text()
    clerk.goto(portal + f"/admin/key_sets/?search={label}")
    assert "在柜" in clerk.locator("body").inner_text() and "借出中" not in clerk.locator("body").inner_text()

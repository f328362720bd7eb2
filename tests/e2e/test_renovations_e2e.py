"""In Chromium: a supervisor approves a renovation with one click; a cashier refunds a deposit.

Uses the demo data of seed/renovations.py (files waiting for approval and for the refund).
"""
import re

from tests.e2e.conftest import screenshot


def open_first_with_step(page, portal, state_label, step):
    """The details page of the first file in the given state that offers the step."""
    page.goto(portal + "/admin/renovations/")
    row = page.locator("table.model-list tbody tr", has=page.locator(f"[data-step={step}]")) \
        .filter(has_text=state_label).first
    room = row.locator("td.col-room_code").inner_text().strip()
    row.locator("a[href*='/details/']").first.click()
    page.wait_for_url("**/details/**")
    return room


def test_supervisor_approves_with_one_click_and_prints_the_permit(page, portal, login):
    login("supervisor")
    room = open_first_with_step(page, portal, "二次验房通过", "approve")
    assert room in page.locator("#renovation-header").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())  # the confirmation of the step
    page.click("#renovation-steps [data-step=approve]")
    page.wait_for_load_state()
    flash = page.locator(".alert-success").inner_text()
    match = re.search(r"已核发装修许可证 (\S+-ZX\d{4}-\d{4})", flash)
    assert match, flash
    permit_no = match.group(1)
    assert page.locator("#renovation-state").inner_text() == "已批准"
    assert page.locator("#permit-no").inner_text() == permit_no
    screenshot(page, "renovation-approved")
    with page.context.expect_page() as printed:
        page.click("#print-permit-zh")
    sheet = printed.value
    sheet.wait_for_load_state()
    assert "装修许可证" in sheet.locator("h1").inner_text()
    assert sheet.locator("#print-permit-no").inner_text() == permit_no
    screenshot(sheet, "renovation-permit-print")
    # the same click again is refused: the file is no longer waiting for approval
    page.goto(page.url)
    assert page.locator("#renovation-steps [data-step=approve]").count() == 0


def test_cashier_sees_the_amount_then_refunds_once_and_prints_the_receipt(page, portal, login):
    login("cashier")
    room = open_first_with_step(page, portal, "终验通过", "refund")
    page.click("#renovation-steps [data-step=refund]")
    page.wait_for_url("**/step/refund/**")
    amount = page.locator("#refund-amount").inner_text()
    assert re.fullmatch(r"[\d,]+\.\d\d", amount)
    assert amount in page.locator("#confirm-step").inner_text()
    screenshot(page, "renovation-refund-confirm")
    second_tab = page.context.new_page()  # the same confirmation open twice (a second tab or cashier)
    second_tab.goto(page.url)
    page.click("#confirm-step")
    page.wait_for_load_state()
    flash = page.locator(".alert-success").inner_text()
    assert f"押金已退还：{amount}" in flash, flash
    receipt_no = re.search(r"收据 (\S+-TK\d{4}-\d{5})", flash).group(1)
    assert page.locator("#renovation-state").inner_text() == "押金已退"
    assert page.locator("#refunded-amount").inner_text() == amount
    with page.context.expect_page() as printed:
        page.click("#print-receipt-zh")
    sheet = printed.value
    sheet.wait_for_load_state()
    assert sheet.locator("#print-receipt-no").inner_text() == receipt_no
    assert sheet.locator("#print-receipt-amount").inner_text() == amount
    assert "人民币（大写）" in sheet.content()
    screenshot(sheet, "renovation-receipt-print")
    # confirming the stale second page is refused and pays nothing more
    second_tab.click("#confirm-step")
    second_tab.wait_for_load_state()
    assert f"收据 {receipt_no}" in second_tab.locator(".alert-danger").first.inner_text()
    assert second_tab.locator("#refunded-amount").inner_text() == amount
    page.goto(portal + "/admin/renovations/?search=" + room)
    assert "押金已退" in page.locator("table.model-list").inner_text()

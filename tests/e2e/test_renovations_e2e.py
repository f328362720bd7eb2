"""In Chromium: a supervisor approves a renovation, a cashier takes the fees and deposit (then the
permit prints), and a cashier refunds a deposit once.

Uses the demo data of seed/renovations.py (files waiting for approval, for the fees, for the refund).
"""
import re

from tests.e2e.conftest import assert_no_horizontal_scroll, log_in, new_page, screenshot

#: the texts asserted here are Chinese: every login chooses it (another test may switch an account)
LOGIN_LANGUAGE = "zh_Hans_CN"


def open_first_with_step(page, portal, state_label, step):
    """The details page of the first file in the given state that offers the step."""
    page.goto(portal + "/admin/renovations/")
    row = page.locator("table.model-list tbody tr", has=page.locator(f".step-{step}")) \
        .filter(has_text=state_label).first
    room = row.locator("td.col-room_code").inner_text().strip()
    row.locator("a[href*='/details/']").first.click()
    page.wait_for_url("**/details/**")
    return room


def take_step(page, step):
    """Click the step's button on the details page, then confirm on the step page."""
    page.click(f"#step-buttons .step-{step}")
    page.wait_for_url(f"**/step/{step}/**")
    page.click("#step-submit")
    page.wait_for_load_state()


def test_supervisor_approves_and_the_permit_waits_for_the_fees(page, portal, login):
    login("supervisor")
    room = open_first_with_step(page, portal, "二次验房通过", "approve")
    assert room in page.locator("#renovation-header").inner_text()
    take_step(page, "approve")
    flash = page.locator(".alert-success").inner_text()
    match = re.search(r"装修许可证号 (\S+-ZX\d{4}-\d{4})。费用及押金缴清后发放装修许可证", flash)
    assert match, flash
    permit_no = match.group(1)
    assert page.locator("#renovation-state").inner_text() == "已批准"
    assert page.locator("#permit-no").inner_text() == permit_no
    assert page.locator("#print-permit-zh").count() == 0          # no permit before the fees are paid
    assert "费用及押金缴清后发放装修许可证" in page.locator("#permit-waits").inner_text()
    screenshot(page, "renovation-approved")
    # the file no longer waits for approval: no button, and the step page says why
    page.goto(page.url)
    assert page.locator("#step-buttons .step-approve").count() == 0


def test_cashier_takes_the_fees_and_deposit_then_the_permit_prints(page, portal, login):
    login("cashier")
    open_first_with_step(page, portal, "已批准", "pay_fees")
    page.click("#step-buttons .step-pay_fees")
    page.wait_for_url("**/step/pay_fees/**")
    total = page.locator("#fees-total").inner_text()
    assert re.fullmatch(r"[\d,]+\.\d\d", total)
    screenshot(page, "renovation-fees-confirm")
    page.click("#step-submit")
    page.wait_for_load_state()
    flash = page.locator(".alert-success").inner_text()
    assert f"已收取费用及押金：{total}" in flash, flash
    receipt_no = re.search(r"收据 (\S+-SF\d{4}-\d{5})", flash).group(1)
    assert page.locator("#renovation-state").inner_text() == "费用及押金已缴"
    with page.context.expect_page() as printed:
        page.click("#print-fees-zh")
    sheet = printed.value
    sheet.wait_for_load_state()
    assert sheet.locator("#print-fees-no").inner_text() == receipt_no
    assert sheet.locator("#print-fees-total").inner_text() == total
    assert "人民币（大写）" in sheet.content()
    screenshot(sheet, "renovation-fees-print")
    with page.context.expect_page() as printed:
        page.click("#print-permit-zh")
    permit = printed.value
    permit.wait_for_load_state()
    assert "装修许可证" in permit.locator("h1").inner_text()
    assert permit.locator("#print-permit-no").inner_text() == page.locator("#permit-no").inner_text()
    screenshot(permit, "renovation-permit-print")


def test_cashier_sees_the_amount_then_refunds_once_and_prints_the_receipt(page, portal, login):
    login("cashier")
    room = open_first_with_step(page, portal, "终验通过", "refund")
    page.click("#step-buttons .step-refund")
    page.wait_for_url("**/step/refund/**")
    amount = page.locator("#refund-amount").inner_text()
    assert re.fullmatch(r"[\d,]+\.\d\d", amount)
    assert "退还押金" in page.locator("#step-submit").inner_text()
    screenshot(page, "renovation-refund-confirm")
    second_tab = page.context.new_page()  # the same confirmation open twice (a second tab or cashier)
    second_tab.goto(page.url)
    page.click("#step-submit")
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
    second_tab.click("#step-submit")
    second_tab.wait_for_load_state()
    assert f"收据 {receipt_no}" in second_tab.locator("#step-refusal").inner_text()
    second_tab.click("#step-refusal + a")            # back to the file
    second_tab.wait_for_url("**/details/**")
    assert second_tab.locator("#refunded-amount").inner_text() == amount
    page.goto(portal + "/admin/renovations/?search=" + room)
    assert "押金已退" in page.locator("table.model-list").inner_text()


def test_the_inspection_result_is_a_pair_of_radios_and_a_typed_load_stays(page, portal, login):
    login("supervisor", lang="zh_Hans_CN")
    open_first_with_step(page, portal, "已提交", "flat_inspection")
    page.click("#step-buttons .step-flat_inspection")
    page.wait_for_url("**/step/flat_inspection/**")
    passed, failed = (page.locator(f"label[for=passed-{n}]").bounding_box() for n in (0, 1))
    assert passed["x"] + passed["width"] <= failed["x"] and abs(passed["y"] - failed["y"]) < 4   # side by side
    page.click("label[for=passed-1]")
    assert page.is_checked("#passed-1") and not page.is_checked("#passed-0")
    screenshot(page, "renovation-flat-inspection-radios")
    # a clerk issues temporary power (no hot-work button for a clerk); a wrong load stays where it was typed
    page.context.clear_cookies()
    login("clerk", lang="zh_Hans_CN")
    page.goto(portal + "/admin/renovations/")
    page.locator("table.model-list tbody tr", has_text="施工中").first.locator("a[href*='/details/']").first.click()
    page.wait_for_url("**/details/**")
    assert page.locator("#issue-permits .permit-power").count() == 1
    assert page.locator("#issue-permits .permit-hot_work").count() == 0
    page.click("#issue-permits .permit-power")
    page.wait_for_url("**/step/issue_permit/**")
    page.fill("#location", "户内配电箱")
    page.fill("#power_load_kw", "abc")
    page.click("#step-submit")
    page.wait_for_load_state()
    assert page.input_value("#power_load_kw") == "abc" and page.input_value("#location") == "户内配电箱"
    group = page.locator("#power_load_kw").locator("xpath=..")
    assert "用电负荷须为大于零的千瓦数" in group.inner_text()
    assert page.locator("#location.is-invalid").count() == 0
    screenshot(page, "renovation-power-bad-load")


def test_on_a_phone_the_file_and_the_patrol_form_keep_to_the_screen(page, portal, login, browser):
    login("manager")
    open_first_with_step(page, portal, "施工中", "log_patrol")
    details = page.url
    phone = log_in(new_page(browser, 390, 844), portal, "manager")
    phone.goto(details)
    assert_no_horizontal_scroll(phone)
    workers = phone.locator("#detail-workers .table-responsive").bounding_box()
    assert workers["x"] >= 0 and workers["x"] + workers["width"] <= 390
    screenshot(phone, "renovation-details-phone")
    phone.click("#step-buttons .step-log_patrol")
    phone.wait_for_url("**/step/log_patrol/**")
    assert_no_horizontal_scroll(phone)
    assert phone.locator("#violations-1-deduction").bounding_box()["width"] > 140   # two fields a row at most
    phone.fill("#findings", "楼道有垃圾")
    phone.fill("#violations-1-deduction", "50")
    phone.click("#step-submit")
    phone.wait_for_load_state()
    line = phone.locator("#violations .step-list-row").nth(1)
    assert "第 2 行，违规类型：请选择违规类型。" in line.inner_text()
    assert phone.input_value("#violations-1-deduction") == "50"
    screenshot(phone, "renovation-patrol-phone")
    phone.context.close()

"""In Chromium: the cashier adds a monthly fee item, generates this month's bills, takes a household's
payment at the counter (the ticked lines set the amount), prints the receipt, and the account then
shows nothing owed. Screenshots of an account and a receipt at 1366 and 390 px, in Chinese and English."""
import re

from tests.e2e.conftest import PASSWORD, screenshot

LOGIN_LANGUAGE = "zh_Hans_CN"
#: the pages of this area drawn by our own templates (Flask-Admin's lists and forms carry a few
#: inline handlers of their own that estate.js takes over; Chromium reports those anyway)
OWN_PAGES = ("/household/", "/receipt/", "/generate/", "/statement/")


def fen(text: str) -> int:
    return int(round(float(text.replace("¥", "").replace(",", "").strip()) * 100))


def open_as(browser, portal, username, width, language, phone=False):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN",
                                  is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.violations = []
    page.on("console", lambda msg: page.violations.append((page.url, msg.text[:120]))
            if "Content Security Policy" in msg.text and any(p in page.url for p in OWN_PAGES) else None)
    page.on("dialog", lambda dialog: dialog.accept())          # data-confirm: the cashier confirms
    page.goto(portal + "/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-button")
    page.wait_for_url("**/admin/**")
    select = page.locator("#language-select")
    if select.input_value() != language:
        with page.expect_navigation():
            select.select_option(language)
    return page


def bill_this_month(page, portal) -> int:
    """A monthly item with one rate line (added with the form's "add" button) unless it is there,
    then this month's bills (the page asks first; the dialog is accepted): the lines created."""
    page.goto(portal + "/admin/fee_items/")
    if "E2EGL" not in page.locator("table.model-list").inner_text():
        page.goto(portal + "/admin/fee_items/new/")
        page.fill("#code", "E2EGL")
        page.fill("#name_zh", "公共能耗费")
        page.fill("#name_en", "Common energy fee")
        page.select_option("#kind", "shared_utilities")
        page.select_option("#basis", "fixed")
        page.click("#rates-button")
        page.fill("input[name='rates-0-valid_from']", "2025-01-01")
        page.keyboard.press("Escape")
        page.fill("input[name='rates-0-amount']", "36.80")
        page.click("form.admin-form input[type=submit][value]:not([name])")
        page.wait_for_url("**/admin/fee_items/**")
        assert "E2EGL" in page.locator("table.model-list").inner_text()
    page.goto(portal + "/admin/bill_lines/generate/")
    assert re.fullmatch(r"\d{4}-\d\d", page.input_value("#period"))
    page.click("#generate-submit")
    page.wait_for_selector("#generation-report")
    return int(page.inner_text("#report-created"))


def open_first_owing_account(page, portal):
    page.goto(portal + "/admin/fee_accounts/")
    page.locator("table.model-list a.account-link").first.click()
    page.wait_for_url("**/household/**")


def test_bill_pay_receipt_and_nothing_owed(browser, portal):
    page = open_as(browser, portal, "cashier", 1366, "zh_Hans_CN")
    assert bill_this_month(page, portal) > 0
    assert bill_this_month(page, portal) == 0           # a second run makes nothing new

    # the accounts that owe come first: the first row's account
    open_first_owing_account(page, portal)
    account_url = page.url
    owed = page.inner_text("#account-owed")
    assert fen(owed) > 0
    assert fen(page.input_value("#amount")) == fen(owed)
    first_line = page.locator("#unpaid-table input[name=lines]").first
    first_line.check()
    assert fen(page.input_value("#amount")) == fen(first_line.get_attribute("data-owed"))
    first_line.uncheck()
    assert fen(page.input_value("#amount")) == fen(owed)          # back to everything owed
    page.select_option("#method", "wechat")
    page.fill("#reference", "4200001234202612")
    page.click("#payment-submit")
    page.wait_for_url("**/payments/receipt/**")

    # the receipt: the same total in figures and in capitals
    assert fen(page.inner_text("#receipt-total")) == fen(owed)
    assert "人民币（大写）：" in page.inner_text("#receipt-upper")
    assert re.fullmatch(r"\S+-SK\d{4}-\d{6}", page.inner_text("#receipt-no"))
    assert "微信支付" in page.inner_text("#receipt-method")
    assert "公共能耗费" in page.inner_text("#receipt-lines")
    page.click("#receipt-account")
    page.wait_for_url("**/household/**")
    assert page.url == account_url
    assert page.inner_text("#account-owed") == "¥0.00"
    assert page.locator("#nothing-owed").is_visible()
    assert page.locator("#payment-form").count() == 0
    assert not page.violations, page.violations


def test_screenshots_of_an_account_a_receipt_and_a_statement(browser, portal):
    page = open_as(browser, portal, "cashier", 1366, "zh_Hans_CN")
    bill_this_month(page, portal)
    open_first_owing_account(page, portal)
    account_url = page.url
    page.fill("#amount", "10.00")                      # a part payment: the account shows a receipt and still owes
    page.click("#payment-submit")
    page.wait_for_url("**/payments/receipt/**")
    receipt_url = page.url
    page.context.close()
    for language in ("zh_Hans_CN", "en"):
        for width in (1366, 390):
            page = open_as(browser, portal, "cashier", width, language, phone=width < 500)
            tag = f"{language[:2]}-{width}"
            for name, url in (("account", account_url), ("receipt", receipt_url)):
                page.goto(url)
                page.wait_for_load_state("networkidle")
                screenshot(page, f"fees-{name}-{tag}")
                widths = page.evaluate("({doc: document.documentElement.scrollWidth, inner: window.innerWidth})")
                assert widths["doc"] <= widths["inner"], (name, tag, widths)
            if width == 1366:
                page.goto(account_url)
                page.click("#statement-form button")
                page.wait_for_url("**/statement/**")
                assert page.locator("#statement-balance").inner_text().startswith("¥")
                screenshot(page, f"fees-statement-{tag}")
            assert not page.violations, page.violations
            page.context.close()

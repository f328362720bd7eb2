"""In Chromium, in Chinese: an owner of the demo's handover day walks through the eight move-in steps
at the counters (clerk, cashier, housekeeper), a step out of order is refused, the inspection's defect
becomes a work order, and the board counts the owner as moved in."""
import re

from tests.e2e.conftest import screenshot
from tests.e2e.test_vacancy_e2e import _as

LOGIN_LANGUAGE = "zh_Hans_CN"


def _tick(page, *names):
    for name in names:
        page.locator(f"label[for={name}]").click()


def _step(page, details_url, name):
    page.goto(details_url)
    page.locator(f"#record-actions a.step-{name}").click()
    page.wait_for_url("**/move_ins/step/**")


def _submit(page):
    page.click("#step-submit")
    page.wait_for_url("**/move_ins/details/**")


def test_an_owner_through_the_eight_steps(browser, portal, login):
    clerk = login("clerk")
    clerk.goto(portal + "/admin/move_ins/?search=冯涛")
    clerk.locator("a[href*='/admin/move_ins/details/']").first.click()
    clerk.wait_for_url("**/move_ins/details/**")
    details_url = clerk.url
    assert "1 核验资料" in clerk.locator("#movein-steps").inner_text()
    clerk.goto(details_url.replace("/details/", "/step/sign/"))
    assert "请先办理“1 核验资料”" in clerk.locator("body").inner_text()

    _step(clerk, details_url, "verify")
    _tick(clerk, "id_card_seen", "contract_seen")
    clerk.click("#step-submit")
    assert "须查验入伙通知书" in clerk.locator("#step-form").inner_text()      # said on the field
    _tick(clerk, "notice_seen")
    _submit(clerk)
    _step(clerk, details_url, "sign")
    _tick(clerk, "signed_in_person", "agreement_signed", "rules_signed")
    _submit(clerk)
    _step(clerk, details_url, "archive")
    _tick(clerk, "documents_collected")
    clerk.fill("#id_number", "11010519491231002X")
    _submit(clerk)

    cashier = _as(browser, portal, "cashier")
    _step(cashier, details_url, "fees")
    _submit(cashier)

    _step(clerk, details_url, "items")
    clerk.fill("#keys", "3")
    clerk.fill("#access_card", "2")
    _tick(clerk, "signed_for")
    _submit(clerk)

    guide = _as(browser, portal, "housekeeper")
    _step(guide, details_url, "inspect")
    _tick(guide, "ok_walls")
    guide.select_option("#defects-0-area", "walls")
    guide.fill("#defects-0-description", "主卧墙面空鼓")
    guide.locator("label[for=outcome-1]").click()                             # accepted with defects
    screenshot(guide, "movein_inspect_zh_1366")
    _submit(guide)
    assert re.search(r"BX\d{8}-\d{3}", guide.locator("#defects").inner_text())

    _step(clerk, details_url, "handbook")
    _tick(clerk, "handbook_given", "service_card_given", "tips_given", "checklist_filled")
    _submit(clerk)
    _step(clerk, details_url, "finish")
    clerk.locator("label[for=renovation-1]").click()                          # declined
    _submit(clerk)
    assert "已入住" in clerk.locator("#details-table").inner_text()
    screenshot(clerk, "movein_details_zh_1366")

    manager = _as(browser, portal, "manager")
    manager.goto(portal + "/admin/move_ins/board/")
    assert int(manager.locator("#count-done").inner_text()) >= 2
    screenshot(manager, "movein_board_zh_1366")

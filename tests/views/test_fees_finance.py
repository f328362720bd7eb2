"""Finance pages of the fees area through the test client: the daily reconciliation (roles, scoping,
zh/en, print, export) and the opening-balance import (preview, confirm, re-import)."""
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from app import clock
from documents.audit import AuditEntry
from documents.fees.items import FeeItem, Rate
from documents.fees.ledger import BillLine, generate_bills
from documents.fees.payments import Payment, take_payment
from documents.staff import Staff
from tests.conftest import csrf_token_of

RECON = "/admin/fee_reconciliation/"
OPENING = "/admin/fee_opening/"


@pytest.fixture
def takings(app, world):
    """Community A: a property fee of 1.85/m² on 89.50 m² rooms; on 2026-12-19 (Shanghai) the cashier
    takes 200.00 cash and the manager 165.58 by WeChat Pay; a third receipt of 10.00 is voided."""
    with app.app_context():
        clock.freeze(datetime(2026, 12, 19, 2, 0))
        for room in world["rooms"]["A"].values():
            room.area = Decimal("89.50")
            room.save()
        FeeItem(community=world["A"], code="WY", name_zh="物业管理费", name_en="Property management fee",
                kind="property", basis="area", rates=[Rate(valid_from=date(2025, 1, 1), amount=Decimal("1.85"))]).save()
        generate_bills(world["A"], "2026-11")
        generate_bills(world["A"], "2026-12")
        staff = world["staff"]
        take_payment(world["hh_a"], staff["cashier"], "200.00", "cash", token="v1")
        take_payment(world["hh_a2"], staff["manager"], "165.58", "wechat", token="v2", reference="wx-88")
        wrong = take_payment(world["hh_a2"], staff["cashier"], "10.00", "cash", token="v3")
        wrong.void_receipt(staff["supervisor"], "错户")
    yield world
    clock.freeze(None)


def page(client, **args):
    return client.get(RECON, query_string={"first": "2026-12-19", **args})


def test_who_sees_the_reconciliation(client_as, takings):
    for role in ("cashier", "supervisor", "manager"):
        html = page(client_as(role)).get_data(as_text=True)
        assert re.search(r'id="recon-grand-total">365.58<', html), role
        assert "A-SK2026-000003" in html.split('id="recon-voided"')[1]          # listed apart
        assert "No receipt number is missing." in html
    for role in ("clerk", "housekeeper", "culture"):
        assert page(client_as(role)).status_code == 403, role
        assert client_as(role).get(RECON + "export/?first=2026-12-19").status_code == 403


def test_another_communitys_manager_sees_only_their_own(client_as, takings):
    client = client_as("manager_b")
    html = page(client, community=str(takings["A"].pk)).get_data(as_text=True)
    assert "Community B" in html.split('id="recon-community"')[1].split("</select>")[0]
    assert "Community A" not in html and re.search(r'id="recon-grand-total">0.00<', html)
    export = client.get(RECON + "export/", query_string={"first": "2026-12-19", "community": str(takings["A"].pk)})
    book = load_workbook(io.BytesIO(export.data))
    assert book.worksheets[0].cell(2, 2).value == 0 and "A-SK" not in str(list(book["Receipts"].values))


def test_cashiers_and_methods_by_day_and_a_missing_number(app, client_as, takings):
    client = client_as("supervisor")
    html = page(client).get_data(as_text=True)
    cashier_rows = re.findall(r'<tr class="recon-cashier"><td class="pl-4">([^<]+)</td>', html)
    assert cashier_rows == ["cashier A", "manager A"]
    with app.app_context():
        Payment.objects(receipt_no="A-SK2026-000002").delete()
    html = page(client).get_data(as_text=True)
    assert "Missing receipt numbers: A-SK2026-000002" in html
    bad = client.get(RECON, query_string={"first": "2026-12-18", "last": "2026-12-30"}).get_data(as_text=True)
    assert 'data-field="last"' in bad and "has not come yet" in bad
    bad = client.get(RECON, query_string={"first": "19/12/2026"}).get_data(as_text=True)
    assert 'data-field="first"' in bad and "YYYY-MM-DD" in bad


def test_the_page_and_the_print_in_chinese(client_as, takings, app):
    with app.app_context():
        Staff.objects(username="cashier").update_one(set__language="zh_Hans_CN")
    client = client_as("cashier")
    html = page(client).get_data(as_text=True)
    assert "收款日报核对" in html and "作废收据" in html and "微信支付" in html
    printed = client.get(RECON + "print/", query_string={"first": "2026-12-19", "lang": "zh"}).get_data(as_text=True)
    assert "收款合计人民币（大写）：叁佰陆拾伍元伍角捌分" in printed and "复核（财务）" in printed
    english = client.get(RECON + "print/", query_string={"first": "2026-12-19", "lang": "en"}).get_data(as_text=True)
    assert "Daily reconciliation" in english and "WeChat Pay" in english and "大写" not in english
    assert re.search(r'id="recon-grand-total">365.58<', english)


def test_the_export_has_the_numbers_and_is_audited(client_as, takings, app):
    client = client_as("cashier")
    response = client.get(RECON + "export/", query_string={"first": "2026-12-18", "last": "2026-12-19"})
    assert response.mimetype.endswith("sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["By day", "By fee item", "By cashier", "Receipts", "Checks"]
    by_day = [list(row) for row in book["By day"].values]
    assert by_day[0] == ["Day", "Receipts", "Cash", "Bank card", "Bank transfer", "WeChat Pay", "Alipay", "Total"]
    assert by_day[2][0].date() == date(2026, 12, 19) and by_day[2][1:] == [2, 200, 0, 0, 165.58, 0, 365.58]
    assert by_day[3][0] == "Total" and by_day[3][-1] == 365.58
    receipts = {row[0]: row for row in book["Receipts"].values}
    assert receipts["A-SK2026-000003"][9] == "Yes" and receipts["A-SK2026-000003"][10] == "错户"
    assert receipts["A-SK2026-000002"][6] == "wx-88"
    checks = dict(row[:2] for row in book["Checks"].values)
    assert checks["Missing receipt numbers"] == "None" and checks["Voided receipts (not counted)"] == 1
    with app.app_context():
        entry = AuditEntry.objects(action="export", collection="payments").get()
        assert entry.actor_name == "cashier" and "2 receipts, 1 void" in entry.note


# --- opening balances ---

HEADER = ["Room code", "Fee item code", "Month or period", "Amount owed (yuan)", "Due on", "Note"]


def workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Opening balances"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def preview(client, world, data):
    form = client.get(OPENING)
    return client.post(OPENING + "preview/", data={
        "csrf_token": csrf_token_of(form.data), "community": str(world["A"].pk),
        "file": (io.BytesIO(data), "opening.xlsx")}, content_type="multipart/form-data")


def confirm(client, html):
    job_id = re.search(r"/admin/fee_opening/confirm/\?id=([0-9a-f]{24})", html).group(1)
    return client.post(f"{OPENING}confirm/?id={job_id}", data={"csrf_token": csrf_token_of(html.encode())})


def test_opening_balances_preview_confirm_and_reimport(client_as, takings, app):
    client = client_as("cashier")
    bad = preview(client, takings, workbook([["1-1-101", "WY", "2026-10", "abc", None, None],
                                             ["9-9-909", "WY", "2026-10", "10", None, None]])).get_data(as_text=True)
    rows = re.findall(r'<tr class="import-error"><td>[^<]*</td><td>(\d+)</td><td>([^<]*)</td>', bad)
    assert rows == [("2", "Amount owed (yuan)"), ("3", "Room code")] and 'id="confirm-import"' not in bad
    good = workbook([["1-1-101", "WY", "2026-10", "165.58", None, None], ["1-1-201", "WY", "2025年度", 1200, None, "旧账"]])
    html = preview(client, takings, good).get_data(as_text=True)
    assert "2 lines to create for 2 households, 1,365.58 yuan" in html
    with app.app_context():
        assert BillLine.objects(source="opening").count() == 0
    assert confirm(client, html).status_code == 302
    with app.app_context():
        assert BillLine.objects(source="opening").count() == 2
    again = preview(client, takings, good).get_data(as_text=True)
    assert "0 lines to create" in again and again.count("Already there</td>") == 2
    assert 'id="nothing-new"' in again and 'id="confirm-import"' not in again
    # the first preview's job confirmed a second time (a double click, the back button): nothing more
    assert confirm(client, html).status_code == 302
    with app.app_context():
        assert BillLine.objects(source="opening").count() == 2
    listing = client.get(OPENING).get_data(as_text=True).split('id="import-history"')[1]
    assert listing.count("opening.xlsx") == 1 and "1,365.58" in listing


def test_opening_import_roles_and_chinese_template(client_as, takings, app):
    for role in ("clerk", "supervisor", "housekeeper"):
        assert client_as(role).get(OPENING).status_code == 403, role
    with app.app_context():
        Staff.objects(username="manager").update_one(set__language="zh_Hans_CN")
    client = client_as("manager")
    html = client.get(OPENING).get_data(as_text=True)
    assert "期初欠费导入" in html
    template = load_workbook(io.BytesIO(client.get(OPENING + "template/?lang=zh").data))
    assert [c.value for c in template.active[1]][:4] == ["房屋编码*", "收费项目编码*", "月份或期间*", "欠费金额（元）*"]
    bad = preview(client, takings, workbook([["1-1-101", "NOPE", "2026-10", "10", None, None]])).get_data(as_text=True)
    assert "NOPE" in bad and "收费项目" in bad

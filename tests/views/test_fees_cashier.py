"""The cashier's pages of the fees area through the test client, in Chinese and English: fee items,
bill lines (generation, charges), household accounts (take payment), receipts, voids, statements."""
import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from app import clock
from documents.fees.items import FeeItem, Rate
from documents.fees.ledger import Account, BillLine, ensure_item, generate_bills
from documents.fees.payments import Payment, take_payment
from documents.residents import Vehicle
from documents.staff import Staff
from tests.conftest import csrf_token_of
from tests.support import english_request, filter_arg, row_of

NOW = datetime(2026, 12, 20, 2, 0)          # 10:00 in Shanghai


@pytest.fixture
def fees(app, world):
    """Community A: rooms of 89.50 m², a property fee of 1.85/m² (2.10 from 2026-12), parking 150 per
    space (张伟 at 1-1-101 has one), a one-off special service; November billed."""
    clock.freeze(NOW)
    community = world["A"]
    with english_request(app):
        for room in world["rooms"]["A"].values():
            room.area = Decimal("89.50")
            room.save()
        world["prop"] = FeeItem(community=community, code="WY", name_zh="物业管理费", name_en="Property management fee",
                                kind="property", basis="area", due_day=15,
                                rates=[Rate(valid_from=date(2025, 1, 1), amount=Decimal("1.85")),
                                       Rate(valid_from=date(2026, 12, 1), amount=Decimal("2.10"))]).save()
        world["parking"] = FeeItem(community=community, code="TC", name_zh="机动车占位费", name_en="Parking fee",
                                   kind="parking", basis="space",
                                   rates=[Rate(valid_from=date(2025, 1, 1), amount=Decimal("150.00"))]).save()
        world["service"] = FeeItem(community=community, code="FW", name_zh="特约服务费", name_en="Special service",
                                   kind="service", basis="one_off").save()
        world["service_b"] = FeeItem(community=world["B"], code="FW", name_zh="特约服务费", name_en="Special service",
                                     kind="service", basis="one_off").save()
        hh = world["hh_a"]
        hh.vehicles = [Vehicle(plate="京A12345", parking_space="B-017")]
        hh.save()
        generate_bills(community, "2026-11")
    yield world
    clock.freeze(None)


def speaking(world, username, language):
    Staff.objects(username=username).update_one(set__language=language)


def account_url(household):
    return f"/admin/fee_accounts/household/?id={household.pk}"


def token_of(html: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)


def pay(client, household, amount, method="cash", token=None, follow=False, **extra):
    page = client.get(account_url(household)).data.decode()
    data = {"csrf_token": csrf_token_of(page.encode()), "token": token or token_of(page), "amount": amount,
            "method": method, "reference": "", "paid_by": "张伟"}
    data.update(extra)
    return client.post(account_url(household), data=data, follow_redirects=follow)


def field_errors(html: str, field: str) -> list[str]:
    return re.findall(rf'<div class="invalid-feedback d-block" id="{field}-error">([^<]*)</div>', html)


# --- roles and communities ---------------------------------------------------------------------

def test_the_cashier_takes_a_payment_and_lands_on_the_receipt(fees, client_as):
    cashier = client_as("cashier")
    page = cashier.get(account_url(fees["hh_a"])).data.decode()
    assert 'id="payment-form"' in page
    assert re.search(r'id="account-owed"[^>]*>¥315.58<', page)          # 165.58 + 150.00
    assert 'name="amount" type="text" value="315.58"' in page or 'value="315.58"' in page
    response = pay(cashier, fees["hh_a"], "315.58")
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert response.headers["Location"].endswith(f"/admin/payments/receipt/?id={payment.pk}")
    assert payment.amount == Decimal("315.58") and payment.receipt_no == "A-SK2026-000001"
    assert payment.received_by_name == "cashier A"
    page = cashier.get(account_url(fees["hh_a"])).data.decode()
    assert 'id="nothing-owed"' in page and "A-SK2026-000001" in page
    assert Account.objects(household=fees["hh_a"]).get().owed_fen == 0


def test_a_clerk_reads_the_account_but_cannot_post_a_payment(fees, client_as):
    clerk = client_as("clerk")
    page = clerk.get(account_url(fees["hh_a"])).data.decode()
    assert "315.58" in page and 'id="payment-form"' not in page
    response = clerk.post(account_url(fees["hh_a"]), data={
        "csrf_token": csrf_token_of(page.encode()), "token": "t-clerk", "amount": "10", "method": "cash"})
    assert response.status_code == 403
    assert Payment.objects.count() == 0
    assert clerk.get("/admin/bill_lines/generate/").status_code == 403
    assert clerk.get("/admin/bill_lines/charge/").status_code == 403


def test_another_communitys_household_and_receipt_are_not_found(fees, client_as, app):
    with english_request(app):
        payment = take_payment(fees["hh_a"], fees["staff"]["cashier"], "10", "cash", token="t-b")
    for username in ("manager_b", "clerk_b"):
        client = client_as(username)
        assert client.get(account_url(fees["hh_a"])).status_code == 404
        assert client.get(f"/admin/payments/receipt/?id={payment.pk}").status_code == 404
        assert client.get(f"/admin/payments/statement/?id={fees['hh_a'].pk}&month=2026-11").status_code == 404
        assert client.get("/admin/fee_accounts/household/?id=not-an-id").status_code == 404
    manager_b = client_as("manager_b")
    page = manager_b.get(account_url(fees["hh_b"])).data.decode()
    response = manager_b.post(account_url(fees["hh_a"]), data={
        "csrf_token": csrf_token_of(page.encode()), "token": "t-b2", "amount": "10", "method": "cash"})
    assert response.status_code == 404 and Payment.objects.count() == 1
    response = manager_b.post(f"/admin/payments/void/?id={payment.pk}",
                              data={"csrf_token": csrf_token_of(page.encode()), "reason": "x"})
    assert response.status_code == 404 and not Payment.objects.get(pk=payment.pk).void


def test_pages_ask_for_a_login_and_the_culture_role_has_no_fees(fees, app, client_as):
    anonymous = app.test_client()
    response = anonymous.get(account_url(fees["hh_a"]))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    culture = client_as("culture")
    assert culture.get(account_url(fees["hh_a"])).status_code == 403
    assert culture.get("/admin/payments/").status_code == 403


def test_a_supervisor_voids_a_receipt_and_a_cashier_cannot(fees, client_as, app):
    with english_request(app):
        payment = take_payment(fees["hh_a"], fees["staff"]["cashier"], "315.58", "cash", token="t-v")
    receipt_url = f"/admin/payments/receipt/?id={payment.pk}"
    cashier = client_as("cashier")
    page = cashier.get(receipt_url).data.decode()
    assert 'id="void-form"' not in page and "A-SK2026-000001" in page
    token = csrf_token_of(cashier.get(account_url(fees["hh_a"])).data)
    response = cashier.post(f"/admin/payments/void/?id={payment.pk}", data={"csrf_token": token, "reason": "typo"})
    assert response.status_code == 403 and not Payment.objects.get(pk=payment.pk).void

    supervisor = client_as("supervisor")
    page = supervisor.get(receipt_url).data.decode()
    assert 'id="void-form"' in page and 'data-confirm="Void receipt A-SK2026-000001?' in page
    assert 'onclick' not in page and "<script>" not in page          # CSP: no inline script
    assert csrf_token_of(page.encode())
    page = supervisor.post(f"/admin/payments/void/?id={payment.pk}",
                           data={"csrf_token": csrf_token_of(page.encode()), "reason": "  "}).data.decode()
    assert "Say why the receipt is voided." in page and not Payment.objects.get(pk=payment.pk).void
    response = supervisor.post(f"/admin/payments/void/?id={payment.pk}", follow_redirects=True,
                               data={"csrf_token": csrf_token_of(page.encode()), "reason": "收错户"})
    page = response.data.decode()
    assert "Receipt A-SK2026-000001 is void; what it paid is owed again." in page
    assert 'id="void-stamp"' in page and "收错户" in page and 'id="void-form"' not in page
    voided = Payment.objects.get(pk=payment.pk)
    assert voided.void and voided.void_reason == "收错户" and voided.voided_by_name == "supervisor A"
    assert Account.objects(household=fees["hh_a"]).get().owed == Decimal("315.58")
    speaking(fees, "supervisor", "zh_Hans_CN")
    page = supervisor.get(receipt_url).data.decode()
    assert "作废" in page and "收款收据" in page


# --- the payment form -------------------------------------------------------------------------

def test_a_double_submit_of_one_form_records_one_payment(fees, client_as):
    cashier = client_as("cashier")
    page = cashier.get(account_url(fees["hh_a"])).data.decode()
    token = token_of(page)
    first = pay(cashier, fees["hh_a"], "200", token=token)
    second = pay(cashier, fees["hh_a"], "200", token=token)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert Payment.objects.count() == 1
    assert Account.objects(household=fees["hh_a"]).get().owed == Decimal("115.58")
    # a new page is a new form: a second payment
    assert pay(cashier, fees["hh_a"], "15.58").status_code == 302
    assert Payment.objects.count() == 2


@pytest.mark.parametrize("language, message", [
    ("en", "999.00 is more than the 315.58 owed on the chosen lines; the office takes no prepayment. "
           "Take 315.58 or less."),
    ("zh_Hans_CN", None),
])
def test_an_over_payment_shows_its_message_on_the_amount_with_the_input_kept(fees, client_as, language, message):
    speaking(fees, "cashier", language)
    cashier = client_as("cashier")
    response = pay(cashier, fees["hh_a"], "999.00", method="wechat", reference="4200009")
    page = response.data.decode()
    assert response.status_code == 200
    errors = field_errors(page, "amount")
    assert len(errors) == 1
    if message:
        assert errors[0] == message
    else:
        assert "999.00" in errors[0] and "315.58" in errors[0] and re.search(r"[\u4e00-\u9fff]", errors[0])
    assert 'value="999.00"' in page and 'value="4200009"' in page
    assert re.search(r'<option selected value="wechat">|<option value="wechat" selected>', page)
    assert Payment.objects.count() == 0


def test_bad_amounts_and_a_missing_reference_stay_on_their_fields(fees, client_as):
    cashier = client_as("cashier")
    for amount, method, field, text in (
            ("abc", "cash", "amount", "Enter the amount as a number"), ("-5", "cash", "amount", "above zero"),
            ("10.005", "cash", "amount", "at most two decimal places"),
            ("10", "transfer", "reference", "slip or transaction number")):
        page = pay(cashier, fees["hh_a"], amount, method=method).data.decode()
        assert any(text in e for e in field_errors(page, field)), (amount, page[-3000:])
        assert f'value="{amount}"' in page
    assert Payment.objects.count() == 0


def test_ticked_lines_are_paid_and_an_empty_amount_pays_them(fees, client_as):
    cashier = client_as("cashier")
    parking = BillLine.objects.get(household=fees["hh_a"], item=fees["parking"])
    response = pay(cashier, fees["hh_a"], "", lines=[str(parking.pk)])
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.amount == Decimal("150.00") and [a.line.pk for a in payment.allocations] == [parking.pk]
    assert BillLine.objects.get(pk=parking.pk).settled
    page = cashier.get(account_url(fees["hh_a"])).data.decode()
    assert re.search(r'id="account-owed"[^>]*>¥165.58<', page)


# --- receipt and statement --------------------------------------------------------------------

def test_the_receipt_shows_the_total_in_figures_and_in_chinese_capitals(fees, client_as, app):
    with english_request(app):
        payment = take_payment(fees["hh_a"], fees["staff"]["cashier"], "315.58", "alipay", token="t-r",
                               reference="2026122022001", paid_by="张伟")
    cashier = client_as("cashier")
    url = f"/admin/payments/receipt/?id={payment.pk}"
    page = cashier.get(url).data.decode()                     # English (the account's language)
    assert re.search(r'id="receipt-total">315.58<', page)
    assert "人民币（大写）：叁佰壹拾伍元伍角捌分" in page and "Amount in Chinese capitals" in page
    assert "Property management fee" in page and "Parking fee" in page and "2026-11" in page
    assert "2026-12-20 10:00" in page                        # the community's clock, not UTC
    assert "Alipay" in page and "2026122022001" in page and "cashier A" in page and "1-1-101" in page
    zh = cashier.get(url + "&lang=zh").data.decode()
    assert "收款收据" in zh and "物业管理费" in zh and "支付宝" in zh and "叁佰壹拾伍元伍角捌分" in zh
    assert "Amount in Chinese capitals" not in zh
    speaking(fees, "cashier", "zh_Hans_CN")
    assert "收款收据" in client_as("cashier").get(url).data.decode()


def test_the_monthly_statement_adds_up(fees, client_as, app):
    with english_request(app):
        generate_bills(fees["A"], "2026-12")            # 89.50 x 2.10 = 187.95; parking 150
        take_payment(fees["hh_a"], fees["staff"]["cashier"], "200", "cash", token="s1")   # Nov: 165.58 + 34.42
        void = take_payment(fees["hh_a"], fees["staff"]["cashier"], "10", "cash", token="s2")
        void.void_receipt(fees["staff"]["supervisor"], "test")
    cashier = client_as("cashier")
    page = cashier.get(f"/admin/payments/statement/?id={fees['hh_a'].pk}&month=2026-12").data.decode()
    assert re.search(r'id="statement-billed-total">337.95<', page)       # 187.95 + 150.00
    assert re.search(r'id="statement-billed-owed">337.95<', page)
    assert re.search(r'id="statement-earlier-owed">115.58<', page)       # November's parking, 34.42 paid
    assert re.search(r'id="statement-payments-total">200.00<', page)     # the void receipt does not count
    assert re.search(r'id="statement-balance"><strong>¥453.53<', page)
    assert "肆佰伍拾叁元伍角叁分" in page and "A-SK2026-000002 (void)" in page
    november = cashier.get(f"/admin/payments/statement/?id={fees['hh_a'].pk}&month=2026-11&lang=zh").data.decode()
    assert re.search(r'id="statement-billed-total">315.58<', november) and "对账单" in november
    assert re.search(r'id="statement-balance"><strong>¥115.58<', november)
    future = cashier.get(f"/admin/payments/statement/?id={fees['hh_a'].pk}&month=2027-01", follow_redirects=True)
    assert "2027-01 has not begun yet" in future.data.decode()


# --- generation, charges, items ----------------------------------------------------------------

def test_the_generate_page_defaults_to_this_month_and_is_idempotent(fees, client_as):
    clock.freeze(datetime(2026, 11, 30, 17, 0))                # 01:00 on 1 December in Shanghai
    cashier = client_as("cashier")
    page = cashier.get("/admin/bill_lines/generate/").data.decode()
    assert 'name="period" type="text" value="2026-12"' in page or 'value="2026-12"' in page
    assert 'data-confirm="Generate the bills of this month now?' in page
    token = csrf_token_of(page.encode())
    data = {"csrf_token": token, "community": str(fees["A"].pk), "period": "2026-12"}
    first = cashier.post("/admin/bill_lines/generate/", data=data).data.decode()
    assert re.search(r'id="report-created">3<', first) and re.search(r'id="report-existing">0<', first)
    second = cashier.post("/admin/bill_lines/generate/", data=data).data.decode()
    assert re.search(r'id="report-created">0<', second) and re.search(r'id="report-existing">3<', second)
    assert BillLine.objects(period="2026-12").count() == 3
    page = cashier.post("/admin/bill_lines/generate/", data=dict(data, period="2027-01")).data.decode()
    assert any("has not begun yet" in e for e in field_errors(page, "period"))
    page = cashier.post("/admin/bill_lines/generate/", data=dict(data, period="12/2026")).data.decode()
    assert field_errors(page, "period") == ["Give the month as YYYY-MM, e.g. 2026-12."]


def test_a_cashier_of_two_communities_chooses_where_to_generate(fees, client_as, app):
    with english_request(app):
        FeeItem(community=fees["B"], code="WY", name_zh="物业管理费", kind="property", basis="fixed",
                rates=[Rate(valid_from=date(2025, 1, 1), amount=Decimal("50.00"))]).save()
    Staff.objects(username="cashier").update_one(set__communities=[fees["A"], fees["B"]])
    cashier = client_as("cashier")
    page = cashier.get("/admin/bill_lines/generate/").data.decode()
    assert 'name="community"' in page and "Community B" in page
    page = cashier.post("/admin/bill_lines/generate/", data={
        "csrf_token": csrf_token_of(page.encode()), "community": str(fees["B"].pk), "period": "2026-12"}).data.decode()
    assert re.search(r'id="report-created">1<', page)
    assert [line.amount for line in BillLine.objects(community=fees["B"])] == [Decimal("50.00")]
    assert BillLine.objects(community=fees["A"], period="2026-12").count() == 0


def test_a_charge_through_the_form_is_made_once(fees, client_as, app):
    with english_request(app):
        repair = ensure_item(fees["A"], "repair")            # charged from completed work orders only
    cashier = client_as("cashier")
    page = cashier.get(f"/admin/bill_lines/charge/?household={fees['hh_a'].pk}").data.decode()
    assert "1-1-101" in page and str(fees["service"].pk) in page and str(fees["service_b"].pk) not in page
    assert str(repair.pk) not in page
    data = {"csrf_token": csrf_token_of(page.encode()), "token": token_of(page), "household": str(fees["hh_a"].pk),
            "item": str(fees["service"].pk), "amount": "80", "note": "疏通下水道"}
    first = cashier.post("/admin/bill_lines/charge/", data=data)
    second = cashier.post("/admin/bill_lines/charge/", data=data)
    assert first.status_code == second.status_code == 302
    line = BillLine.objects.get(source="charge")
    assert line.amount == Decimal("80.00") and line.note == "疏通下水道" and line.item.pk == fees["service"].pk
    assert Account.objects(household=fees["hh_a"]).get().owed == Decimal("395.58")
    found = cashier.get("/admin/bill_lines/ajax/lookup/?name=household&query=1-1").get_json()
    assert [label for _id, label in found] == ["1-1-101 张伟", "1-1-201 Michael Brown"]   # not 李娜 of B
    for bad, field in (({"household": str(fees["hh_b"].pk)}, "household"), ({"item": str(fees["service_b"].pk)}, "item"),
                       ({"amount": "-3"}, "amount"), ({"amount": "abc"}, "amount")):
        page = cashier.post("/admin/bill_lines/charge/", data=dict(data, token="other", **bad)).data.decode()
        assert field_errors(page, field), bad
    assert BillLine.objects(source="charge").count() == 1


def test_fee_items_are_kept_per_community_and_billed_rates_stay(fees, client_as):
    manager = client_as("manager")
    page = manager.get("/admin/fee_items/new/").data.decode()
    response = manager.post("/admin/fee_items/new/", data={
        "csrf_token": csrf_token_of(page.encode()), "community": str(fees["A"].pk), "code": "GT",
        "name_zh": "公摊水电费", "name_en": "Shared utilities", "kind": "shared_utilities", "basis": "fixed",
        "rates-0-valid_from": "2026-01-01", "rates-0-amount": "12.50", "rates-0-room_use": "",
        "due_day": "15", "active": "y"})
    assert response.status_code == 302, response.data.decode()[-2000:]
    item = FeeItem.objects.get(code="GT")
    assert item.rates[0].amount == Decimal("12.50") and item.community.pk == fees["A"].pk
    listing = manager.get("/admin/fee_items/").data.decode()
    assert "2026-01-01 12.50" in listing and "Fixed amount per household per month" in listing

    prop = fees["prop"]
    edit = manager.get(f"/admin/fee_items/edit/?id={prop.pk}").data.decode()
    data = {"csrf_token": csrf_token_of(edit.encode()), "record_version": str(FeeItem.objects.get(pk=prop.pk).version),
            "code": "WY", "name_zh": "物业管理费", "name_en": "Property management fee", "kind": "property",
            "basis": "area", "rates-0-valid_from": "2025-01-01", "rates-0-amount": "1.90",
            "rates-0-room_use": "", "rates-1-valid_from": "2026-12-01", "rates-1-amount": "2.10",
            "rates-1-room_use": "", "due_day": "15", "active": "y"}
    page = manager.post(f"/admin/fee_items/edit/?id={prop.pk}", data=data).data.decode()
    assert "Bills up to 2026-11 were made with these rates: they cannot change." in page
    # on the rates (under their lines), not only above the form
    assert page.count("Bills up to 2026-11") == 1
    assert page.index('id="rates-button"') < page.index("Bills up to 2026-11") < page.index('name="due_day"')
    assert FeeItem.objects.get(pk=prop.pk).rates[0].amount == Decimal("1.85")
    clerk = client_as("clerk")
    assert clerk.get("/admin/fee_items/new/").status_code == 403
    assert "物业管理费" in clerk.get("/admin/fee_items/").data.decode()
    assert "物业管理费" not in client_as("clerk_b").get("/admin/fee_items/").data.decode()
    found = clerk.get("/admin/fee_items/?search=公摊").data.decode()
    assert "GT" in found and "物业管理费" not in found


# --- lists -------------------------------------------------------------------------------------

def test_bill_lines_list_filters_search_and_export(fees, client_as, app):
    with english_request(app):
        generate_bills(fees["A"], "2026-12")
    cashier = client_as("cashier")
    page = cashier.get("/admin/bill_lines/").data.decode()
    row = row_of(page, "187.95")
    assert "1-1-101" in row and "张伟" in row and "Property management fee" in row and "89.50 × 2.10" in row
    month = filter_arg(app, "bill_lines", column="period")
    page = cashier.get(f"/admin/bill_lines/?{month}=2026-11").data.decode()
    assert "165.58" in page and "187.95" not in page
    page = cashier.get("/admin/bill_lines/?search=Michael").data.decode()
    assert "Michael Brown" in page and "张伟" not in page
    page = cashier.get("/admin/bill_lines/?search=1-1-101").data.decode()
    assert "张伟" in page and "Michael Brown" not in page
    building = filter_arg(app, "bill_lines", name="Building no.")
    assert "187.95" in cashier.get(f"/admin/bill_lines/?{building}=1").data.decode()
    assert "187.95" not in cashier.get(f"/admin/bill_lines/?{building}=2").data.decode()
    page = cashier.get("/admin/bill_lines/?search=5678").data.decode()          # Michael Brown's phone tail
    assert "Michael Brown" in page and "张伟" not in page
    settled = filter_arg(app, "bill_lines", column="settled")
    assert "165.58" not in cashier.get(f"/admin/bill_lines/?{settled}=1").data.decode()
    csv = cashier.get(f"/admin/bill_lines/export/csv/?{month}=2026-11").data.decode("utf-8-sig")
    assert "89.50 × 1.85" in csv and "165.58" in csv and "Owed" in csv and len(csv.strip().splitlines()) == 4
    assert cashier.get("/admin/bill_lines/export/xlsx/").status_code == 200
    assert cashier.get("/admin/bill_lines/new/").status_code in (302, 403)
    assert BillLine.objects.count() == 6


def test_accounts_that_owe_come_first_then_by_room(fees, client_as, app):
    with english_request(app):
        take_payment(fees["hh_a"], fees["staff"]["cashier"], "315.58", "cash", token="a1")
    page = client_as("cashier").get("/admin/fee_accounts/").data.decode()
    assert page.index("Michael Brown") < page.index("张伟")               # 1-1-201 owes, 1-1-101 does not
    owing = filter_arg(app, "fee_accounts", column="standing")
    page = client_as("cashier").get(f"/admin/fee_accounts/?{owing}=1").data.decode()
    assert "Michael Brown" in page and "张伟" not in page
    page = client_as("cashier").get("/admin/fee_accounts/?search=1-1-101").data.decode()
    assert "张伟" in page and "Michael Brown" not in page


def test_payments_list_filters_and_search(fees, client_as, app):
    with english_request(app):
        first = take_payment(fees["hh_a"], fees["staff"]["cashier"], "15.58", "cash", token="p1")
        take_payment(fees["hh_a2"], fees["staff"]["manager"], "20", "wechat", token="p2", reference="42")
        first.void_receipt(fees["staff"]["supervisor"], "wrong")
    cashier = client_as("cashier")
    page = cashier.get("/admin/payments/").data.decode()
    assert "A-SK2026-000001" in page and "A-SK2026-000002" in page
    method = filter_arg(app, "payments", column="method")
    page = cashier.get(f"/admin/payments/?{method}=wechat").data.decode()
    assert "A-SK2026-000002" in page and "A-SK2026-000001" not in page
    void = filter_arg(app, "payments", column="void")
    page = cashier.get(f"/admin/payments/?{void}=1").data.decode()
    assert "A-SK2026-000001" in page and "A-SK2026-000002" not in page
    by = filter_arg(app, "payments", column="received_by")
    page = cashier.get(f"/admin/payments/?{by}={fees['staff']['manager'].pk}").data.decode()
    assert "A-SK2026-000002" in page and "A-SK2026-000001" not in page
    page = cashier.get("/admin/payments/?search=a-sk2026-000002").data.decode()
    assert "A-SK2026-000002" in page and "A-SK2026-000001" not in page
    days = filter_arg(app, "payments", column="received_at")
    assert "A-SK2026-000001" not in cashier.get(f"/admin/payments/?{days}=2026-12-01+to+2026-12-19").data.decode()
    csv = cashier.get("/admin/payments/export/csv/").data.decode("utf-8-sig")
    assert "A-SK2026-000002" in csv and "WeChat Pay" in csv


# --- the archive page and the household timeline ----------------------------------------------

def test_the_archive_page_shows_the_balance_with_a_link(fees, client_as):
    clerk = client_as("clerk")
    page = clerk.get(f"/admin/households/details/?id={fees['hh_a'].pk}").data.decode()
    block = page[page.index('id="household-balance"'):][:600]
    assert "¥315.58" in block and account_url(fees["hh_a"]).replace("&", "&amp;") in block
    assert "2026-11-15" in block
    culture = client_as("culture")
    assert 'id="household-balance"' not in culture.get(f"/admin/households/details/?id={fees['hh_a'].pk}").data.decode()
    speaking(fees, "clerk", "zh_Hans_CN")
    page = client_as("clerk").get(f"/admin/households/details/?id={fees['hh_a'].pk}").data.decode()
    assert "欠费" in page[page.index('id="household-balance"'):][:300]


def test_the_pages_speak_chinese(fees, client_as):
    speaking(fees, "cashier", "zh_Hans_CN")
    cashier = client_as("cashier")
    page = cashier.get(account_url(fees["hh_a"])).data.decode()
    for text in ("收款", "未缴", "缴费方式", "物业管理费", "确认收款并打印收据"):
        assert text in page, text
    for url in ("/admin/bill_lines/", "/admin/fee_accounts/", "/admin/payments/", "/admin/fee_items/",
                "/admin/bill_lines/generate/", "/admin/bill_lines/charge/"):
        response = cashier.get(url)
        assert response.status_code == 200, url
        assert re.search(r"[\u4e00-\u9fff]", response.data.decode()), url


def test_the_accounts_list_sorts_by_what_is_owed(fees, client_as):
    generate_bills(fees["A"], "2026-12")
    client = client_as("cashier")
    for sort in range(0, 6):
        for desc in ("", "&desc=1"):
            response = client.get(f"/admin/fee_accounts/?sort={sort}{desc}")
            assert response.status_code == 200, (sort, desc)
    html = client.get("/admin/fee_accounts/?sort=2&desc=1").data.decode()
    assert html.index("1-1-101") < html.index("1-1-201")          # 张伟 owes more (parking) than the other

@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_the_cashier_apportions_a_months_shared_utilities_once(fees, client_as, language):
    speaking(fees, "cashier", language)
    item = FeeItem(community=fees["A"], code="GT", name_zh="公共水电分摊", name_en="Shared utilities",
                   kind="shared_utilities", basis="apportioned").save()
    client = client_as("cashier")
    page = client.get("/admin/bill_lines/apportion/").data.decode()
    data = {"csrf_token": csrf_token_of(page.encode()), "community": str(fees["A"].pk), "item": str(item.pk),
            "period": "2026-11", "total": "301.00", "building_no": ""}
    html = client.post("/admin/bill_lines/apportion/", data=data).data.decode()
    assert 'id="result-created">2<' in html
    amounts = sorted(line.amount for line in BillLine.objects(item=item))
    assert amounts == [Decimal("150.50"), Decimal("150.50")]
    again = client.post("/admin/bill_lines/apportion/", data=data).data.decode()
    message = "已分摊" if language != "en" else "already apportioned"
    assert message in " ".join(field_errors(again, "period")), field_errors(again, "period")
    assert BillLine.objects(item=item).count() == 2
    bad = client.post("/admin/bill_lines/apportion/", data=dict(data, period="2026-10", total="-3")).data.decode()
    assert field_errors(bad, "total")
    assert client_as("clerk").get("/admin/bill_lines/apportion/").status_code == 403

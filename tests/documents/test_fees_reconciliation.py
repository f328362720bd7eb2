"""The day's takings for finance: totals to the fen by method, item and cashier; voids apart; gaps found."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from app import clock
from documents.base import DomainError, PermissionDenied
from documents.fees.ledger import generate_bills
from documents.fees.payments import Payment, take_payment
from documents.fees.reconciliation import reconcile
from tests.documents.test_fees import fees  # noqa: F401 - the fixture
from tests.support import wall_clock_utc

WY = ("物业管理费", "Property management fee")
TC = ("机动车占位费", "Parking fee")


@pytest.fixture
def takings(fees):  # noqa: F811
    """Bills of 2026-11 and 2026-12; on 2026-12-19 (Shanghai) three receipts, one voided; on
    2026-12-20 two more, the first at 00:30 local time (still 2026-12-19 in UTC)."""
    generate_bills(fees["A"], "2026-11")
    clock.freeze(datetime(2026, 12, 19, 2, 0))
    generate_bills(fees["A"], "2026-12")
    cashier, manager, supervisor = (fees["staff"][r] for r in ("cashier", "manager", "supervisor"))
    hh, hh2 = fees["hh_a"], fees["hh_a2"]
    # hh owes WY 165.58 + TC 150 (Nov), WY 187.95 + TC 150 (Dec); hh2 WY 165.58 (Nov), 187.95 (Dec)
    paid = [take_payment(hh, cashier, "200.00", "cash", token="d1")]              # WY 165.58 + TC 34.42
    clock.freeze(datetime(2026, 12, 19, 3, 0))
    paid.append(take_payment(hh2, manager, "165.58", "wechat", token="d2", reference="wx1"))
    clock.freeze(datetime(2026, 12, 19, 4, 0))
    wrong = take_payment(hh2, cashier, "10.00", "cash", token="d3")
    clock.freeze(datetime(2026, 12, 19, 6, 0))
    wrong.void_receipt(supervisor, "wrong household")
    clock.freeze(wall_clock_utc(2026, 12, 20, 0, 30))
    paid.append(take_payment(hh, cashier, "115.58", "card", token="d4", reference="pos-7"))   # rest of TC Nov
    clock.freeze(wall_clock_utc(2026, 12, 20, 9, 0))
    paid.append(take_payment(hh, cashier, "0.01", "alipay", token="d5", reference="ali-1"))
    clock.freeze(wall_clock_utc(2026, 12, 20, 18, 0))
    fees.update(paid=paid, wrong=wrong)
    return fees


def test_a_day_totals_to_the_fen_by_method_item_and_cashier(takings):
    report = reconcile(takings["A"], date(2026, 12, 19), actor=takings["staff"]["cashier"])
    day = report.days[0]
    assert day.totals.count == 2 and day.totals.amount == Decimal("365.58")
    assert day.totals.by_method == {"cash": Decimal("200.00"), "wechat": Decimal("165.58")}
    assert day.totals.by_item == {WY: Decimal("331.16"), TC: Decimal("34.42")}
    assert [(c.name, c.totals.amount, c.totals.by_method) for c in day.cashiers] == [
        ("cashier A", Decimal("200.00"), {"cash": Decimal("200.00")}),
        ("manager A", Decimal("165.58"), {"wechat": Decimal("165.58")})]
    assert report.balanced and report.missing == []
    # the void receipt is listed apart and not counted
    assert [p.receipt_no for p in day.voided] == ["A-SK2026-000003"]
    assert [p.receipt_no for p in day.payments] == ["A-SK2026-000001", "A-SK2026-000002"]
    assert (day.ranges[0].first_no, day.ranges[0].last_no, day.ranges[0].count) == (
        "A-SK2026-000001", "A-SK2026-000003", 3)


def test_the_local_day_decides_and_a_span_adds_up(takings):
    day2 = reconcile(takings["A"], date(2026, 12, 20)).days[0]
    assert [p.receipt_no for p in day2.payments] == ["A-SK2026-000004", "A-SK2026-000005"]
    assert day2.totals.by_method == {"card": Decimal("115.58"), "alipay": Decimal("0.01")}
    assert day2.totals.by_item == {TC: Decimal("115.58"), WY: Decimal("0.01")}    # December's fee, oldest first
    span = reconcile(takings["A"], date(2026, 12, 18), date(2026, 12, 20))
    assert [d.totals.amount for d in span.days] == [Decimal("0.00"), Decimal("365.58"), Decimal("115.59")]
    assert span.totals.amount == Decimal("481.17") and span.totals.count == 4
    assert span.totals.by_item == {WY: Decimal("331.17"), TC: Decimal("150.00")}
    assert [(c.name, c.totals.amount) for c in span.cashiers] == [("cashier A", Decimal("315.59")),
                                                                  ("manager A", Decimal("165.58"))]
    assert span.ranges[0].first_no == "A-SK2026-000001" and span.ranges[0].last_no == "A-SK2026-000005"
    assert span.missing == [] and span.balanced


def test_a_missing_receipt_number_is_found_inside_a_day_and_before_it(takings):
    Payment.objects(receipt_no="A-SK2026-000002").delete()      # what the office must never allow
    assert reconcile(takings["A"], date(2026, 12, 19)).missing == ["A-SK2026-000002"]
    assert reconcile(takings["A"], date(2026, 12, 20)).missing == []
    Payment.objects(receipt_no="A-SK2026-000003").delete()      # the day before's last one
    assert reconcile(takings["A"], date(2026, 12, 20)).missing == ["A-SK2026-000003"]
    assert reconcile(takings["A"], date(2026, 12, 19), date(2026, 12, 20)).missing == [
        "A-SK2026-000002", "A-SK2026-000003"]


def test_an_earlier_receipt_voided_during_the_span_is_listed_not_subtracted(takings):
    clock.freeze(wall_clock_utc(2026, 12, 20, 19, 0))
    first = Payment.objects.get(receipt_no="A-SK2026-000001")
    first.void_receipt(takings["staff"]["supervisor"], "duplicate")
    day2 = reconcile(takings["A"], date(2026, 12, 20))
    assert [p.receipt_no for p in day2.voided_later] == ["A-SK2026-000001"]
    assert day2.totals.amount == Decimal("115.59")
    day1 = reconcile(takings["A"], date(2026, 12, 19)).days[0]
    assert day1.totals.amount == Decimal("165.58") and len(day1.voided) == 2


def test_spans_roles_and_communities(takings):
    for first, last, field in ((date(2026, 12, 21), None, "first"), (date(2026, 12, 20), date(2026, 12, 21), "last"),
                               (date(2026, 12, 19), date(2026, 12, 18), "last"),
                               (date(2026, 8, 1), date(2026, 12, 1), "last")):
        with pytest.raises(DomainError) as err:
            reconcile(takings["A"], first, last)
        assert err.value.field == field
    for role in ("clerk", "housekeeper", "manager_b"):
        with pytest.raises(PermissionDenied):
            reconcile(takings["A"], date(2026, 12, 19), actor=takings["staff"][role])
    assert reconcile(takings["A"], date(2026, 12, 19), actor=takings["staff"]["supervisor"]).totals.count == 2
    assert reconcile(takings["B"], date(2026, 12, 19)).totals.count == 0


def test_receipt_numbers_start_again_at_one_in_a_new_local_year(fees):  # noqa: F811
    generate_bills(fees["A"], "2026-11")
    cashier, hh = fees["staff"]["cashier"], fees["hh_a"]
    clock.freeze(wall_clock_utc(2026, 12, 31, 23, 50))
    assert take_payment(hh, cashier, "10", "cash", token="y1").receipt_no == "A-SK2026-000001"
    assert take_payment(hh, cashier, "10", "cash", token="y2").receipt_no == "A-SK2026-000002"
    clock.freeze(wall_clock_utc(2027, 1, 1, 0, 10))              # still 2026 in UTC
    first = take_payment(hh, cashier, "10", "cash", token="y3")
    assert (first.receipt_no, first.received_on) == ("A-SK2027-000001", "2027-01-01")
    assert take_payment(hh, cashier, "10", "cash", token="y4").receipt_no == "A-SK2027-000002"
    assert reconcile(fees["A"], date(2027, 1, 1)).missing == []

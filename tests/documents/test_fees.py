"""Fees: rates by date, monthly bills (idempotent, pro rata, to the fen), payments and receipts."""
import threading
from datetime import date, datetime
from decimal import Decimal

import pytest

from app import clock
from documents.base import DomainError, PermissionDenied
from documents.fees import ledger
from documents.fees.items import FeeItem, Rate
from documents.fees.ledger import BillLine, fees_settled, generate_bills, line_amount
from documents.fees.payments import Payment, take_payment
from documents.residents import Household, Vehicle
from tests.support import atomic_store_operations


@pytest.fixture
def fees(app_ctx, world):
    """Community A: rooms of 89.50 m² (shops 120 m²), a property fee of 1.85/m² (shops 3.20) from
    2025, raised to 2.10 from 2026-12, a parking fee of 150 per space. Frozen on 2026-12-20."""
    clock.freeze(datetime(2026, 12, 20, 2, 0))
    community = world["A"]
    for room in world["rooms"]["A"].values():
        room.area = Decimal("89.50")
        room.save()
    shop = world["rooms"]["A"]["1-1-301"]
    shop.use, shop.area = "shop", Decimal("120.00")
    shop.save()
    prop = FeeItem(community=community, code="WY", name_zh="物业管理费", name_en="Property management fee",
                   kind="property", basis="area", due_day=15, rates=[
                       Rate(valid_from=date(2025, 1, 1), amount=Decimal("1.85")),
                       Rate(valid_from=date(2025, 1, 1), amount=Decimal("3.20"), room_use="shop"),
                       Rate(valid_from=date(2026, 12, 1), amount=Decimal("2.10"))]).save()
    parking = FeeItem(community=community, code="TC", name_zh="机动车占位费", name_en="Parking fee",
                      kind="parking", basis="space", rates=[Rate(valid_from=date(2025, 1, 1),
                                                                 amount=Decimal("150.00"))]).save()
    hh = world["hh_a"]
    hh.vehicles = [Vehicle(plate="京A12345", parking_space="B-017")]
    hh.save()
    world.update(prop=prop, parking=parking, shop=shop)
    return world


def lines_of(household, period=None):
    query = BillLine.objects(household=household)
    return {(line.item.code, line.period): line for line in (query.filter(period=period) if period else query)}


def test_rates_by_date_and_room_use(fees):
    prop = fees["prop"]
    assert prop.rate_on(date(2026, 11, 30), "residential") == Decimal("1.85")
    assert prop.rate_on(date(2026, 12, 1), "residential") == Decimal("2.10")
    assert prop.rate_on(date(2026, 11, 30), "shop") == Decimal("3.20")
    assert prop.rate_on(date(2024, 12, 31), "residential") is None


def test_a_month_is_billed_once_to_the_fen(fees):
    report = generate_bills(fees["A"], "2026-11", actor=fees["staff"]["cashier"])
    assert report.created == 3          # two households' property fee, one parking space
    lines = lines_of(fees["hh_a"], "2026-11")
    assert lines["WY", "2026-11"].amount == Decimal("165.58")      # 89.50 x 1.85 = 165.575 -> half up
    assert lines["TC", "2026-11"].amount == Decimal("150.00")
    assert lines["WY", "2026-11"].due_on == date(2026, 11, 15)
    again = generate_bills(fees["A"], "2026-11", actor=fees["staff"]["cashier"])
    assert again.created == 0 and again.existing == 3
    assert BillLine.objects(community=fees["A"], period="2026-11").count() == 3
    assert ledger.Account.objects(household=fees["hh_a"]).first().owed == Decimal("315.58")


def test_a_billed_item_cannot_be_deleted_an_unbilled_one_can(fees):
    fees["parking"].check_deletable()                 # nothing billed yet
    generate_bills(fees["A"], "2026-11", actor=fees["staff"]["cashier"])
    with pytest.raises(DomainError, match="不能删除"):
        fees["parking"].check_deletable()


def test_a_new_rate_never_rewrites_past_bills(fees):
    generate_bills(fees["A"], "2026-11")
    generate_bills(fees["A"], "2026-12")
    assert lines_of(fees["hh_a"], "2026-12")["WY", "2026-12"].amount == Decimal("187.95")  # 89.50 x 2.10
    prop = FeeItem.objects.get(pk=fees["prop"].pk)
    prop.rates[0].amount = Decimal("1.90")
    with pytest.raises(DomainError) as err:
        prop.save()
    assert err.value.field == "rates"
    assert lines_of(fees["hh_a"], "2026-11")["WY", "2026-11"].amount == Decimal("165.58")


def test_a_move_in_inside_the_month_is_billed_pro_rata(fees):
    hh = fees["hh_a2"]
    hh.move_in_date = date(2026, 11, 13)        # 18 of 30 days
    hh.save()
    generate_bills(fees["A"], "2026-11")
    line = lines_of(hh, "2026-11")["WY", "2026-11"]
    assert (line.days, line.month_days) == (18, 30)
    assert line.amount == line_amount(Decimal("89.50"), Decimal("1.85"), 18, 30, Decimal(1)) == Decimal("99.35")


def test_the_vacancy_factor_halves_the_property_fee_only(fees):
    ledger.register_billing_factor(half := (lambda household, period: Decimal("0.5")
                                            if household.pk == fees["hh_a"].pk else Decimal("1")))
    try:
        generate_bills(fees["A"], "2026-11")
    finally:
        ledger._billing_factors.remove(half)
    lines = lines_of(fees["hh_a"], "2026-11")
    assert lines["WY", "2026-11"].amount == Decimal("82.79")        # 165.575 / 2 = 82.7875
    assert lines["TC", "2026-11"].amount == Decimal("150.00")


def test_a_future_month_and_a_bad_month_are_refused(fees):
    for period, field in (("2027-01", "period"), ("2026-13", "period"), ("12/2026", "period")):
        with pytest.raises(DomainError) as err:
            generate_bills(fees["A"], period)
        assert err.value.field == field
    assert BillLine.objects.count() == 0


def test_only_the_fee_roles_generate_bills(fees):
    with pytest.raises(PermissionDenied):
        generate_bills(fees["A"], "2026-11", actor=fees["staff"]["clerk"])
    with pytest.raises(PermissionDenied):
        generate_bills(fees["A"], "2026-11", actor=fees["staff"]["manager_b"])


def test_payment_oldest_first_partial_and_receipts_numbered(fees):
    generate_bills(fees["A"], "2026-11")
    generate_bills(fees["A"], "2026-12")
    cashier = fees["staff"]["cashier"]
    hh = fees["hh_a"]
    first = take_payment(hh, cashier, "200", "cash", token="t1")
    assert first.receipt_no == "A-SK2026-000001"
    assert [(a.period, a.amount) for a in first.allocations] == [("2026-11", Decimal("165.58")),
                                                                ("2026-11", Decimal("34.42"))]
    assert take_payment(hh, cashier, "200", "cash", token="t1").pk == first.pk      # a double click
    assert Payment.objects.count() == 1
    settlement = fees_settled(hh, date(2026, 12, 20))
    assert not settlement.settled and settlement.owed == Decimal("115.58") + Decimal("187.95") + Decimal("150")
    second = take_payment(hh, cashier, "453.53", "wechat", token="t2", reference="4200001")
    assert second.receipt_no == "A-SK2026-000002"
    assert fees_settled(hh, date(2026, 12, 20)).settled
    assert ledger.Account.objects(household=hh).first().owed_fen == 0


def test_a_payment_above_what_is_owed_and_bad_values_are_refused(fees):
    generate_bills(fees["A"], "2026-11")
    cashier, hh = fees["staff"]["cashier"], fees["hh_a"]
    for amount, method, reference, field in (("400", "cash", "", "amount"), ("-5", "cash", "", "amount"),
                                             ("abc", "cash", "", "amount"), ("10", "cheque", "", "method"),
                                             ("10", "transfer", "", "reference")):
        with pytest.raises(DomainError) as err:
            take_payment(hh, cashier, amount, method, token=f"x{amount}{method}", reference=reference)
        assert err.value.field == field, (amount, method)
    assert Payment.objects.count() == 0
    with pytest.raises(PermissionDenied):
        take_payment(hh, fees["staff"]["clerk"], "10", "cash", token="c")


def test_chosen_lines_only(fees):
    generate_bills(fees["A"], "2026-11")
    hh = fees["hh_a"]
    parking = lines_of(hh, "2026-11")["TC", "2026-11"]
    payment = take_payment(hh, fees["staff"]["cashier"], "150", "cash", token="p", line_ids=[parking.pk])
    assert [a.line.pk for a in payment.allocations] == [parking.pk]
    assert BillLine.objects.get(pk=parking.pk).settled
    assert not lines_of(hh, "2026-11")["WY", "2026-11"].settled
    with pytest.raises(DomainError) as err:
        take_payment(hh, fees["staff"]["cashier"], "10", "cash", token="p2", line_ids=[parking.pk])
    assert err.value.field == "lines"


def test_a_voided_receipt_stays_and_what_it_paid_is_owed_again(fees):
    generate_bills(fees["A"], "2026-11")
    hh = fees["hh_a"]
    payment = take_payment(hh, fees["staff"]["cashier"], "315.58", "cash", token="v")
    assert fees_settled(hh).settled
    with pytest.raises(PermissionDenied):
        payment.void_receipt(fees["staff"]["cashier"], "typo")
    with pytest.raises(DomainError) as err:
        payment.void_receipt(fees["staff"]["supervisor"], "  ")
    assert err.value.field == "reason"
    payment.void_receipt(fees["staff"]["supervisor"], "wrong household")
    with pytest.raises(DomainError):
        payment.void_receipt(fees["staff"]["supervisor"], "again")
    assert Payment.objects.get(pk=payment.pk).void
    assert fees_settled(hh).owed == Decimal("315.58")
    again = take_payment(hh, fees["staff"]["cashier"], "315.58", "cash", token="v2")
    assert again.receipt_no == "A-SK2026-000002"


def test_twenty_racing_payments_get_gapless_receipts_and_never_pay_twice(fees):
    generate_bills(fees["A"], "2026-11")
    hh, hh2 = fees["hh_a"], fees["hh_a2"]
    cashier = fees["staff"]["cashier"]
    results, errors = [], []
    barrier = threading.Barrier(20)

    def pay(i):
        barrier.wait()
        try:
            household = hh if i % 2 else hh2
            # ten of them are double clicks of the same form (token), the others separate payments of 10.00
            token = "same" if i < 10 and i % 2 else f"t{i}"
            results.append(take_payment(household, cashier, "10", "cash", token=token).receipt_no)
        except DomainError as error:
            errors.append(str(error))

    with atomic_store_operations():
        threads = [threading.Thread(target=pay, args=(i,)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    numbers = sorted({p.receipt_seq for p in Payment.objects})
    assert numbers == list(range(1, len(numbers) + 1))
    assert Payment.objects.count() == 16         # 5 clicks of one form gave one payment
    assert len(results) == 20 and len(set(results)) == 16
    paid = sum((to_amount(p.amount) for p in Payment.objects(household=hh)), Decimal(0))
    owed_before = Decimal("315.58")
    assert fees_settled(hh, date(2026, 12, 20)).owed == owed_before - paid


def to_amount(value):
    return value.to_decimal() if hasattr(value, "to_decimal") else Decimal(value)


def test_charges_are_made_once_per_source(fees):
    hh = fees["hh_a"]
    item = ledger.ensure_item(fees["A"], "repair")
    assert ledger.ensure_item(fees["A"], "repair").pk == item.pk
    one = ledger.charge(hh, item, "80", source="repair", source_id="r1", note="换水龙头")
    two = ledger.charge(hh, item, "80", source="repair", source_id="r1")
    assert one.pk == two.pk and BillLine.objects(key="repair:r1").count() == 1
    assert fees_settled(hh).owed == Decimal("80.00")
    with pytest.raises(DomainError):
        ledger.charge(hh, item, "0")


def test_moved_out_households_are_billed_up_to_the_move_out_day(fees):
    hh = Household.objects.get(pk=fees["hh_a2"].pk)
    hh.status, hh.move_out_date = "moved_out", date(2026, 11, 10)
    hh.save()
    generate_bills(fees["A"], "2026-11")
    generate_bills(fees["A"], "2026-12")
    assert lines_of(hh, "2026-11")["WY", "2026-11"].days == 10
    assert ("WY", "2026-12") not in lines_of(hh)


def test_a_signed_repair_charge_becomes_one_line_of_the_household_account(app, fees):
    from tests.services_support import completed_repair
    clock.freeze(datetime(2026, 12, 20, 2, 0))
    with app.test_request_context():
        repair = completed_repair(fees)                       # 35.50 of material + 20.00 of labour
        assert repair.household.pk == fees["hh_a"].pk
        repair.sign_off(fees["staff"]["clerk"], 5, paper_order_no="P-001")
        repair.charge_household()                             # again: still one line
    line = BillLine.objects.get(key=f"repair:{repair.pk}")
    assert (line.amount, line.kind, line.settled) == (Decimal("55.50"), "repair", False)
    assert repair.number in line.note
    assert fees_settled(fees["hh_a"]).owed == Decimal("55.50")


def test_renovation_fees_paid_at_the_cashier_join_the_account_settled(app, fees):
    from tests.renovations_support import file_in_state
    clock.freeze(datetime(2026, 3, 2, 2, 0))
    with app.test_request_context():
        renovation = file_in_state(fees, "fees_paid")
    line = BillLine.objects.get(key=f"renovation:{renovation.pk}")
    assert (line.amount, line.paid, line.settled) == (Decimal("3650.00"), Decimal("3650.00"), True)
    assert renovation.fees_receipt_no in line.note
    assert fees_settled(fees["hh_a"]).settled


def test_flask_bill_bills_a_month_once_and_refuses_a_bad_one(app, fees):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bill", "--month", "2026-11", "--community", "A"])
    assert result.exit_code == 0, result.output
    assert "A 2026-11: 3 lines created, 0 already there, 2 households" in result.output
    again = runner.invoke(args=["bill", "--month", "2026-11", "--community", "A"])
    assert "0 lines created, 3 already there" in again.output
    bad = runner.invoke(args=["bill", "--month", "2027-05", "--community", "A"])
    assert bad.exit_code != 0 and "2027-05" in bad.output
    assert BillLine.objects.count() == 3


def test_shares_add_up_to_the_total_to_the_fen():
    shares = ledger.shares_by_weight(Decimal("100.00"), [Decimal(1), Decimal(1), Decimal(1)])
    assert shares == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    shares = ledger.shares_by_weight(Decimal("1000.01"), [Decimal("89.5") * 30, Decimal("120") * 30, Decimal("89.5") * 12])
    assert sum(shares) == Decimal("1000.01")


def test_a_months_shared_utilities_are_apportioned_by_area_once(fees):
    item = FeeItem(community=fees["A"], code="GT", name_zh="公共水电分摊", name_en="Shared utilities",
                   kind="shared_utilities", basis="apportioned").save()
    hh, hh2 = fees["hh_a"], fees["hh_a2"]
    hh2.move_in_date = date(2026, 11, 16)                    # 15 of 30 days
    hh2.save()
    ledger.register_billing_factor(half := (lambda household, period: Decimal("0.5")
                                            if household.pk == hh.pk else Decimal("1")))
    try:
        result = ledger.apportion(fees["A"], item, "2026-11", "300.00", actor=fees["staff"]["cashier"])
    finally:
        ledger._billing_factors.remove(half)
    # weights 89.5 x 30 and 89.5 x 15: 200.00 and 100.00; the vacant household pays half of its share
    lines = lines_of(hh, "2026-11")
    assert lines["GT", "2026-11"].amount == Decimal("100.00")
    assert lines_of(hh2, "2026-11")["GT", "2026-11"].amount == Decimal("100.00")
    assert (result.households, result.created, result.billed) == (2, 2, Decimal("200.00"))
    with pytest.raises(DomainError) as err:
        ledger.apportion(fees["A"], item, "2026-11", "300.00")
    assert err.value.field == "period"
    for bad, field in ((dict(total="-1"), "total"), (dict(total="abc"), "total"), (dict(item=fees["prop"]), "item")):
        args = dict(item=item, total="10", period="2026-10") | bad
        with pytest.raises(DomainError) as err:
            ledger.apportion(fees["A"], args["item"], args["period"], args["total"])
        assert err.value.field == field
    with pytest.raises(PermissionDenied):
        ledger.apportion(fees["A"], item, "2026-10", "10", actor=fees["staff"]["clerk"])

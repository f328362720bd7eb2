"""Vacant units: the 3-month and 1 t / 5 kWh boundaries, the billing factor per month, overlaps,
the workflow steps and who may take them, the shut-off work order (once), inspections and coverage."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from app import clock
from documents.agenda import Clock
from documents.base import DomainError, PermissionDenied
from documents.fees import ledger
from documents.fees.vacancy import (FULL_RATE, VACANCY_RATE, StormRound, VacantInspection, Vacancy,
                                    billing_factor, billing_factors, factor_for_kind, inspection_targets,
                                    month_coverage, record_inspection, round_coverage, shortest_end)
from documents.places import Room
from documents.repairs import Repair
from tests.support import english_request

ID = "11010519491231002X"


@pytest.fixture
def vw(app, world):
    """World A on 2026-12-20 (Shanghai), in an English request."""
    clock.freeze(datetime(2026, 12, 20, 2, 0))
    with english_request(app):
        yield world


def apply(w, start=date(2027, 1, 1), end=date(2027, 4, 1), who="clerk", household="hh_a"):
    return Vacancy.apply(w["staff"][who], w[household], start, end, "出国工作", "张伟", ID)


def approved(w, **kwargs):
    vacancy = apply(w, **kwargs)
    vacancy.review(w["staff"]["clerk"], "同意，已告知空置注意事项")
    vacancy.approve(w["staff"]["manager"])
    return vacancy


# --- the period ---

def test_exactly_three_months_is_refused_and_one_day_more_accepted(vw):
    assert shortest_end(date(2027, 1, 1)) == date(2027, 4, 1)
    with pytest.raises(DomainError) as refused:
        apply(vw, end=date(2027, 3, 31))
    assert refused.value.field == "ends_on" and "longer than 3 months" in refused.value.message
    assert Vacancy.objects.count() == 0
    vacancy = apply(vw, end=date(2027, 4, 1))
    assert vacancy.state == "applied" and vacancy.id_checked_by == "clerk A"


def test_two_months_and_an_end_before_the_start_are_refused(vw):
    with pytest.raises(DomainError, match="longer than 3 months"):
        apply(vw, end=date(2027, 2, 28))
    with pytest.raises(DomainError) as refused:
        apply(vw, start=date(2027, 5, 1), end=date(2027, 1, 1))
    assert refused.value.field == "ends_on" and "before the first" in refused.value.message
    assert Vacancy.objects.count() == 0


def test_overlapping_vacancies_of_one_household_are_refused(vw):
    apply(vw, start=date(2027, 1, 1), end=date(2027, 6, 30))
    with pytest.raises(DomainError) as refused:
        apply(vw, start=date(2027, 6, 30), end=date(2027, 12, 31))
    assert refused.value.field == "starts_on" and "may not overlap" in refused.value.message
    follow_on = apply(vw, start=date(2027, 7, 1), end=date(2027, 12, 31))     # the day after: a re-application
    assert follow_on.state == "applied"
    apply(vw, household="hh_a2")                 # another household: no clash
    assert Vacancy.objects.count() == 3


def test_a_withdrawn_application_frees_its_period(vw):
    first = apply(vw)
    first.withdraw(vw["staff"]["clerk"], "业主改变主意")
    assert apply(vw).state == "applied"


def test_the_owners_id_is_checked_and_a_past_month_refused(vw):
    with pytest.raises(DomainError) as refused:
        Vacancy.apply(vw["staff"]["clerk"], vw["hh_a"], date(2027, 1, 1), date(2027, 5, 1), "出国", "张伟",
                      "110105194912310021")
    assert refused.value.field == "id_number"
    with pytest.raises(DomainError) as refused:
        apply(vw, start=date(2026, 11, 30), end=date(2027, 6, 1))
    assert refused.value.field == "starts_on"
    assert apply(vw, start=date(2026, 12, 1), end=date(2027, 6, 1)).state == "applied"


# --- steps and who may take them ---

def test_the_steps_in_order_and_by_role(vw):
    staff = vw["staff"]
    vacancy = apply(vw)
    with pytest.raises(DomainError, match="opinion first"):
        vacancy.approve(staff["manager"])
    with pytest.raises(PermissionDenied):
        vacancy.review(staff["cashier"], "x")
    with pytest.raises(DomainError) as refused:
        vacancy.review(staff["clerk"], "  ")
    assert refused.value.field == "opinion"
    vacancy.review(staff["housekeeper"], "同意")          # building 1 is theirs
    for who in ("clerk", "housekeeper", "cashier", "supervisor"):
        with pytest.raises(PermissionDenied):
            vacancy.approve(staff[who])
    assert vacancy.allows("approve", staff["manager"]) and not vacancy.allows("approve", staff["manager_b"])
    vacancy.approve(staff["manager"], "同意空置")
    assert vacancy.state == "approved" and vacancy.decided_by == "manager A"
    assert billing_factor(vw["hh_a"], "2027-02") == VACANCY_RATE      # from the director's signature on
    assert not vacancy.allows("receive", staff["clerk"])
    vacancy.receive(staff["cashier"])
    assert vacancy.received_by == "cashier A" and vacancy.state == "received"
    assert not vacancy.allows("receive", staff["cashier"])       # once
    assert billing_factor(vw["hh_a"], "2027-02") == VACANCY_RATE
    assert Clock.objects(record_id=vacancy.pk, kind="vacancy_end").get().state == "running"
    vacancy.remind(staff["clerk"], "业主表示到期后回来居住")
    assert vacancy.state == "told" and billing_factor(vw["hh_a"], "2027-02") == VACANCY_RATE
    assert billing_factor(vw["hh_a"], "2027-04") == FULL_RATE       # after the last day: in full again


def test_a_housekeeper_works_only_in_their_own_buildings(vw):
    keeper = vw["staff"]["housekeeper"]
    keeper.buildings = ["2"]
    keeper.save()
    with pytest.raises(PermissionDenied, match="not one of the buildings"):
        apply(vw, who="housekeeper")
    vacancy = apply(vw)
    assert not vacancy.allows("review", keeper)


def test_rejecting_needs_a_reason_and_stays_with_the_director(vw):
    vacancy = apply(vw)
    with pytest.raises(PermissionDenied):
        vacancy.reject(vw["staff"]["clerk"], "no")
    with pytest.raises(DomainError) as refused:
        vacancy.reject(vw["staff"]["manager"], "")
    assert refused.value.field == "note"
    vacancy.reject(vw["staff"]["manager"], "不满三个月")
    assert vacancy.state == "rejected" and Repair.objects.count() == 0


def test_sign_off_opens_the_shut_off_work_order_once_even_on_a_double_click(vw):
    vacancy = apply(vw)
    vacancy.review(vw["staff"]["clerk"], "同意")
    second_tab = Vacancy.objects.get(pk=vacancy.pk)
    vacancy.approve(vw["staff"]["manager"])
    with pytest.raises(DomainError):
        second_tab.approve(vw["staff"]["manager"])
    orders = list(Repair.objects(room=vw["hh_a"].room))
    assert len(orders) == 1
    order = orders[0]
    assert vacancy.reload().work_order.pk == order.pk
    assert order.location == "room" and order.household.pk == vw["hh_a"].pk and order.state == "reported"
    assert "停" in order.description and "2027-01-01" in order.description


def test_the_reminder_is_a_clock_a_week_before_the_end(vw):
    vacancy = approved(vw)
    running = Clock.objects(record_id=vacancy.pk, kind="vacancy_end").first()
    assert running is not None and running.state == "running"
    # 2027-03-25 23:59:59 in Shanghai (a week before the last vacant day, 2027-04-01)
    assert running.due_at == datetime(2027, 3, 25, 15, 59, 59)
    vacancy.remind(vw["staff"]["clerk"])
    assert Clock.objects.get(pk=running.pk).state == "met"


# --- meter readings and the billing factor ---

def read(vacancy, w, day, water, power, who="clerk"):
    clock.freeze(datetime.combine(day, datetime.min.time().replace(hour=4)))
    return vacancy.read_meters(w["staff"][who], day, water, power)


def test_exactly_1_t_and_5_kwh_are_still_vacant_more_is_occupied(vw):
    vacancy = approved(vw, start=date(2027, 1, 1), end=date(2027, 6, 30))
    read(vacancy, vw, date(2026, 12, 28), "100.000", "2000.0")        # the base, at the shut-off
    read(vacancy, vw, date(2027, 1, 31), "101.000", "2005.0")         # 1 t and 5 kWh: vacant
    assert vacancy.occupied_months == [] and not vacancy.flagged
    assert billing_factor(vw["hh_a"], "2027-01") == VACANCY_RATE
    read(vacancy, vw, date(2027, 2, 28), "102.001", "2005.0")         # 1.001 t: lived in
    assert vacancy.occupied_months == ["2027-02"] and vacancy.flagged
    read(vacancy, vw, date(2027, 3, 31), "102.001", "2010.1")         # 5.1 kWh: lived in
    assert vacancy.occupied_months == ["2027-02", "2027-03"]
    read(vacancy, vw, date(2027, 4, 30), "102.500", "2013.0")
    factors = {p: billing_factor(vw["hh_a"], p) for p in ("2027-01", "2027-02", "2027-03", "2027-04")}
    assert factors == {"2027-01": VACANCY_RATE, "2027-02": FULL_RATE, "2027-03": FULL_RATE,
                       "2027-04": VACANCY_RATE}


def test_billing_factor_month_by_month(vw):
    """Whole months only: from 2027-01-15 to 2027-05-20, January and May are billed in full."""
    hh = vw["hh_a"]
    vacancy = apply(vw, start=date(2027, 1, 15), end=date(2027, 5, 20))
    assert billing_factor(hh, "2027-02") == FULL_RATE            # applied, not yet approved
    vacancy.review(vw["staff"]["clerk"], "同意")
    vacancy.approve(vw["staff"]["manager"])
    expected = {"2026-12": FULL_RATE, "2027-01": FULL_RATE, "2027-02": VACANCY_RATE, "2027-03": VACANCY_RATE,
                "2027-04": VACANCY_RATE, "2027-05": FULL_RATE, "2027-06": FULL_RATE}
    assert {period: billing_factor(hh, period) for period in expected} == expected
    assert billing_factor(vw["hh_a2"], "2027-02") == FULL_RATE
    assert billing_factors(vw["A"], "2027-03") == {hh.pk: VACANCY_RATE}
    assert factor_for_kind(hh, "2027-03", "property") == VACANCY_RATE
    assert factor_for_kind(hh, "2027-03", "shared_utilities") == VACANCY_RATE
    assert factor_for_kind(hh, "2027-03", "parking") == FULL_RATE
    assert ledger.billing_factor(hh, "2027-03") == VACANCY_RATE        # registered with the fees core
    with pytest.raises(DomainError):
        billing_factor(hh, "2027-3")


def test_readings_never_go_down_nor_into_the_future(vw):
    vacancy = approved(vw)
    read(vacancy, vw, date(2026, 12, 20), "50", "800")
    with pytest.raises(DomainError) as refused:
        vacancy.read_meters(vw["staff"]["clerk"], date(2026, 12, 20), "49.9", "800")
    assert refused.value.field == "water" and "less than at the previous reading" in refused.value.message
    with pytest.raises(DomainError) as refused:
        vacancy.read_meters(vw["staff"]["clerk"], date(2026, 12, 20), "50", "799")
    assert refused.value.field == "electricity"
    with pytest.raises(DomainError) as refused:
        vacancy.read_meters(vw["staff"]["clerk"], date(2026, 12, 21), "50", "800")
    assert refused.value.field == "read_on" and "future" in refused.value.message
    with pytest.raises(DomainError) as refused:
        vacancy.read_meters(vw["staff"]["clerk"], date(2026, 12, 19), "51", "801")
    assert refused.value.field == "read_on"
    with pytest.raises(DomainError) as refused:
        vacancy.read_meters(vw["staff"]["clerk"], date(2026, 12, 20), "-1", "801")
    assert refused.value.field == "water"
    assert len(vacancy.reload().readings) == 1
    with pytest.raises(PermissionDenied):
        vacancy.read_meters(vw["staff"]["cashier"], date(2026, 12, 20), "51", "801")


def test_the_monthly_bill_takes_the_factor(vw):
    from documents.fees.items import FeeItem, Rate
    from documents.fees.ledger import BillLine, generate_bills
    from documents.residents import Vehicle
    for room in vw["rooms"]["A"].values():
        room.area = Decimal("100.00")
        room.save()
    FeeItem(community=vw["A"], code="WY", name_zh="物业管理费", name_en="Property fee", kind="property",
            basis="area", rates=[Rate(valid_from=date(2025, 1, 1), amount=Decimal("2.00"))]).save()
    FeeItem(community=vw["A"], code="TC", name_zh="机动车占位费", name_en="Parking", kind="parking",
            basis="space", rates=[Rate(valid_from=date(2025, 1, 1), amount=Decimal("150.00"))]).save()
    hh = vw["hh_a"]
    hh.vehicles = [Vehicle(plate="京A12345", parking_space="B-017")]
    hh.save()
    approved(vw, start=date(2027, 1, 1), end=date(2027, 6, 30))
    clock.freeze(datetime(2027, 2, 1, 2, 0))
    generate_bills(vw["A"], "2027-01", actor=vw["staff"]["cashier"])
    lines = {line.item.code: line for line in BillLine.objects(household=hh, period="2027-01")}
    assert lines["WY"].amount == Decimal("100.00") and lines["WY"].factor == "0.5"
    assert lines["TC"].amount == Decimal("150.00")


def test_the_household_timeline_shows_the_vacancy(vw):
    from documents import timeline
    approved(vw)
    titles = [item.title for item in timeline.for_household(vw["hh_a"]) if item.kind == "Vacancy"]
    assert {"Apply for vacancy", "Sign opinion", "Sign off vacancy"} <= set(titles)


# --- inspections ---

@pytest.fixture
def units(vw):
    """Room 1-1-102 stays unsold; a basement room B1 on floor -1; 1-1-101 (张伟) vacant from January."""
    from documents.places import Unit
    unit = Unit.objects(community=vw["A"]).first()
    basement = Room(community=vw["A"], building=unit.building, unit=unit, floor=-1, number="B01",
                    status="occupied")
    basement.save()
    occupied = [r for r in Room.objects(community=vw["A"]) if r.code not in ("1-1-102", "1-1-B01")]
    for room in occupied:
        room.status = "occupied"
        room.save()
    vacancy = approved(vw, start=date(2027, 1, 1), end=date(2027, 6, 30))
    vw.update(basement=basement, unsold=vw["rooms"]["A"]["1-1-102"], vacant=vw["rooms"]["A"]["1-1-101"],
              vacancy=vacancy)
    return vw


def test_the_units_due_are_unsold_vacant_and_basement_rooms(units):
    december = {(t.room_code, t.kind) for t in inspection_targets(units["A"], "2026-12")}
    assert december == {("1-1-102", "unsold"), ("1-1-B01", "basement")}
    january = {(t.room_code, t.kind) for t in inspection_targets(units["A"], "2027-01")}
    assert january == december | {("1-1-101", "vacancy")}


def test_coverage_of_a_month_shows_who_is_missing(units):
    clock.freeze(datetime(2027, 1, 20, 2, 0))
    keeper = units["staff"]["housekeeper"]
    record_inspection(keeper, units["unsold"], date(2027, 1, 18))
    coverage = month_coverage(units["A"], "2027-01")
    assert (coverage.total, coverage.done, coverage.percent) == (3, 1, 33)
    [(building, keepers, missing)] = coverage.missing_by_building()
    assert building == "1" and keepers == ["housekeeper A"]
    assert [t.room_code for t in missing] == ["1-1-101", "1-1-B01"]
    record_inspection(keeper, units["vacant"], date(2027, 1, 19), no_leaks=False, findings="卫生间地漏渗水",
                      open_work_order=True, category="plumbing")
    record_inspection(units["staff"]["clerk"], units["basement"], date(2027, 1, 20))
    coverage = month_coverage(units["A"], "2027-01")
    assert coverage.percent == 100 and coverage.missing == []
    order = VacantInspection.objects(room=units["vacant"]).first().work_order
    assert order.description == "卫生间地漏渗水" and order.category == "plumbing" and order.source == "patrol"


def test_coverage_of_several_months_and_communities_in_a_bounded_number_of_queries(units):
    from bench.queries import count_queries
    from documents.fees.vacancy import coverage_by_month
    clock.freeze(datetime(2027, 1, 20, 2, 0))
    record_inspection(units["staff"]["housekeeper"], units["unsold"], date(2027, 1, 18))
    months = ["2026-11", "2026-12", "2027-01"]
    with count_queries() as log:
        coverage = coverage_by_month([units["A"], units["B"]], months)
    assert sum(log.calls.values()) <= 5, log.calls
    a = coverage[units["A"].pk]
    # the same figures as month_coverage, month by month (the vacancy from January on)
    for month in months:
        one = month_coverage(units["A"], month)
        assert (a[month].total, a[month].done, a[month].percent) == (one.total, one.done, one.percent), month
    assert [(a[m].total, a[m].done) for m in months] == [(2, 0), (2, 0), (3, 1)]
    b, one_b = coverage[units["B"].pk]["2027-01"], month_coverage(units["B"], "2027-01")
    assert {t.room_id for t in b.targets} == {t.room_id for t in one_b.targets} and b.done == 0   # B's own rooms


def test_bad_inspections_are_refused(units):
    keeper = units["staff"]["housekeeper"]
    with pytest.raises(DomainError) as refused:
        record_inspection(keeper, units["unsold"], date(2026, 12, 21))
    assert refused.value.field == "inspected_on"
    with pytest.raises(DomainError) as refused:
        record_inspection(keeper, units["unsold"], date(2026, 12, 20), hygiene_ok=False)
    assert refused.value.field == "findings"
    with pytest.raises(DomainError) as refused:
        record_inspection(keeper, Room.objects.get(community=units["A"], code="1-1-201"), date(2026, 12, 20))
    assert refused.value.field == "room"
    with pytest.raises(PermissionDenied):
        record_inspection(units["staff"]["cashier"], units["unsold"], date(2026, 12, 20))
    keeper.buildings = ["2"]
    keeper.save()
    with pytest.raises(PermissionDenied):
        record_inspection(keeper, units["unsold"], date(2026, 12, 20))
    assert VacantInspection.objects.count() == 0


def test_a_storm_round_lists_every_unit_as_due_in_one_step(units):
    clock.freeze(datetime(2027, 1, 20, 2, 0))
    with pytest.raises(PermissionDenied):
        StormRound.start(units["staff"]["clerk"], units["A"], "rainstorm")
    storm = StormRound.start(units["staff"]["manager"], units["A"], "rainstorm", "台风“海燕”过境")
    again = StormRound.start(units["staff"]["manager"], units["A"], "rainstorm")      # a double click
    assert again.pk == storm.pk and StormRound.objects.count() == 1
    assert {t.room_code for t in storm.target_list()} == {"1-1-101", "1-1-102", "1-1-B01"}
    record_inspection(units["staff"]["clerk"], units["unsold"], date(2027, 1, 18))   # the monthly one
    assert round_coverage(storm).done == 0
    with pytest.raises(DomainError) as refused:
        record_inspection(units["staff"]["clerk"], units["basement"], date(2027, 1, 19), storm_round=storm)
    assert refused.value.field == "inspected_on"
    record_inspection(units["staff"]["clerk"], units["basement"], date(2027, 1, 20), storm_round=storm)
    coverage = round_coverage(storm)
    assert (coverage.done, coverage.total) == (1, 3)


def test_a_double_submit_registers_one_application_and_one_inspection(vw):
    from unittest import mock
    apply(vw)
    # two clicks at once: the second read the store before the first one's write, so its overlap
    # check found nothing and it counted no earlier application; the store refuses its copy
    with mock.patch.object(Vacancy, "check_period"), \
            mock.patch.object(type(Vacancy.objects), "count", return_value=0):
        with pytest.raises(DomainError, match="registered"):
            apply(vw)
    assert Vacancy.objects.count() == 1
    room = Room.objects.get(community=vw["A"], code="1-1-102")
    record_inspection(vw["staff"]["clerk"], room, date(2026, 12, 20))
    with pytest.raises(DomainError, match="already recorded"):
        record_inspection(vw["staff"]["clerk"], room, date(2026, 12, 20))
    assert VacantInspection.objects.count() == 1


def test_a_household_that_moved_out_does_not_apply(vw):
    Household = type(vw["hh_a"])
    Household.objects(pk=vw["hh_a"].pk).update_one(set__status="moved_out")
    vw["hh_a"].reload()
    with pytest.raises(DomainError) as refused:
        apply(vw, household="hh_a")
    assert refused.value.field == "room" and Vacancy.objects.count() == 0

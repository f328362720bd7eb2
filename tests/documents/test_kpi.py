"""KPI figures (documents/reports/kpi.py): each at its local month boundary, from the registers as stored."""
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from bson import ObjectId

from app import clock
from documents import agenda
from documents.agenda import BREACHED, CANCELLED, MET, RUNNING, Clock, ClockKind
from documents.base import DomainError
from documents.fees.ledger import charge, ensure_item
from documents.fees.payments import take_payment
from documents.reports import kpi
from documents.reports.period import Period

NOV = Period.month(2026, 11)
OCT_NOV = Period(date(2026, 10, 1), date(2026, 11, 30))
# Shanghai is UTC+8: 2026-10-31 16:00 UTC is 2026-11-01 00:00 local
LAST_LOCAL_SECOND_OF_OCTOBER = datetime(2026, 10, 31, 15, 59, 59)
FIRST_LOCAL_MINUTE_OF_NOVEMBER = datetime(2026, 10, 31, 16, 0)


def make_clock(community, kind="complaint_handling", state=MET, due=None, met=None, breached=None, stopped=None):
    due = due or (met or breached or datetime(2026, 11, 10))
    return Clock(kind=kind, collection="x", record_id=ObjectId(), community=community, due_at=due, state=state,
                 phase=agenda.DONE if state != RUNNING else agenda.OPEN, met_at=met, breached_at=breached,
                 stopped_at=stopped or met).save()


def test_a_clock_counts_in_the_local_month_it_was_met(app_ctx, world):
    make_clock(world["A"], met=LAST_LOCAL_SECOND_OF_OCTOBER)
    make_clock(world["A"], met=FIRST_LOCAL_MINUTE_OF_NOVEMBER)
    make_clock(world["A"], state=BREACHED, breached=FIRST_LOCAL_MINUTE_OF_NOVEMBER)
    result = kpi.on_time(OCT_NOV, [world["A"]])
    assert result.rate("complaint_handling", month="2026-10") == 100.0
    assert result.rate("complaint_handling", month="2026-11") == 50.0
    assert result.rate() == pytest.approx(66.7)
    # November alone does not see October's last second
    assert kpi.on_time(NOV, [world["A"]]).rate() == 50.0


def test_a_breach_met_later_stays_late_and_cancelled_clocks_do_not_count(app_ctx, world):
    kind = ClockKind("kpi_test", "Test", ("open",), "due_at", done_field="done_at")
    due = datetime(2026, 10, 20, 2, 0)
    # breached on its deadline in October (the sweeper), the fact came in November: still late
    late = make_clock(world["A"], kind="kpi_test", state=BREACHED, breached=due, due=due)
    late.update(set__phase=agenda.OPEN, unset__stopped_at=True)
    late.reload()
    agenda._stop(kind, late, SimpleNamespace(state="done", done_at=datetime(2026, 11, 2)), datetime(2026, 11, 2))
    late.reload()
    assert late.state == BREACHED and late.stopped_at == datetime(2026, 11, 2)
    # running clocks stopped by the agenda: one on time, one after its deadline, one cancelled
    for done_at, record_state in ((datetime(2026, 11, 5), "done"), (datetime(2026, 11, 25), "done"),
                                  (datetime(2026, 11, 6), "cancelled")):
        running = make_clock(world["A"], kind="kpi_test", state=RUNNING, due=datetime(2026, 11, 20))
        agenda._stop(kind, running, SimpleNamespace(state=record_state, done_at=done_at), done_at)
    states = sorted(c.state for c in Clock.objects(kind="kpi_test"))
    assert states == sorted([BREACHED, MET, BREACHED, CANCELLED])
    result = kpi.on_time(OCT_NOV, [world["A"]])
    assert result.rate("kpi_test", month="2026-10") == 0.0          # the breach, in the month it happened
    assert result.rate("kpi_test", month="2026-11") == 50.0         # met 5th, breached 20th; cancelled left out
    assert result.kinds() == ["kpi_test"]


def test_other_communities_and_running_clocks_are_left_out(app_ctx, world):
    make_clock(world["B"], met=datetime(2026, 11, 3))
    make_clock(world["A"], state=RUNNING, due=datetime(2026, 11, 3))
    make_clock(world["A"], state=BREACHED, breached=datetime(2026, 11, 4))
    assert kpi.on_time(NOV, [world["A"]]).rate() == 0.0
    both = kpi.on_time(NOV, [world["A"], world["B"]])
    assert both.rate() == 50.0 and both.rate(community=world["B"].pk) == 100.0


def test_the_month_form_refuses_bad_input_on_the_field(app_ctx):
    assert kpi.parse_months("2026-06", "2026-11") == Period(date(2026, 6, 1), date(2026, 11, 30))
    with pytest.raises(DomainError) as err:
        kpi.parse_months("2026-13", "2026-11")
    assert err.value.field == "start"
    with pytest.raises(DomainError) as err:
        kpi.parse_months("2026-06", "nope")
    assert err.value.field == "end"
    with pytest.raises(DomainError) as err:
        kpi.parse_months("2026-11", "2026-06")
    assert err.value.field == "end" and "2026-06-30" in err.value.message
    with pytest.raises(DomainError):
        kpi.parse_months("2025-01", "2026-11")            # longer than a report reads


def test_the_default_period_is_this_month_and_five_before(app_ctx, world):
    # 2026-12-31 17:00 UTC is already January 1st in Shanghai
    period = kpi.default_period(world["A"], datetime(2026, 12, 31, 17, 0))
    assert period == Period(date(2026, 8, 1), date(2027, 1, 31))
    assert len(period.months()) == kpi.DEFAULT_MONTHS


def test_satisfaction_from_return_visits_and_a_registered_source(app_ctx, world):
    from documents.visits import Visit
    for at, rating in ((LAST_LOCAL_SECOND_OF_OCTOBER, 5), (FIRST_LOCAL_MINUTE_OF_NOVEMBER, 3),
                       (datetime(2026, 11, 20), 4)):
        Visit(community=world["A"], target="household", kind="return", visited_at=at, resident_said="ok",
              satisfaction=rating).save()
    Visit(community=world["B"], target="household", kind="return", visited_at=datetime(2026, 11, 20),
          resident_said="bad", satisfaction=1).save()
    Visit(community=world["A"], target="household", kind="proactive", visited_at=datetime(2026, 11, 20),
          resident_said="-").save()
    asked = []

    def surveys(community_ids, start, end):
        asked.append((list(community_ids), start, end))
        return [{"month": "2026-09", "average": 10.0, "count": 1},          # outside the period
                {"month": "2026-11", "average": 86.7, "count": 12}]

    kpi.register_satisfaction_source("surveys-test", "Surveys", surveys)
    try:
        scores = kpi.satisfaction(OCT_NOV, [world["A"]])
    finally:
        kpi.SATISFACTION_SOURCES[:] = [s for s in kpi.SATISFACTION_SOURCES if s.key != "surveys-test"]
    assert scores["visits"]["2026-10"] == {"month": "2026-10", "average": 100.0, "count": 1}
    assert scores["visits"]["2026-11"]["average"] == 62.5 and scores["visits"]["2026-11"]["count"] == 2
    assert scores["surveys-test"] == {"2026-11": {"month": "2026-11", "average": 86.7, "count": 12}}
    assert asked == [([world["A"].pk], datetime(2026, 9, 30, 16, 0), datetime(2026, 11, 30, 16, 0))]


@pytest.fixture
def ledger_world(app_ctx, world):
    """Household hh_a of A: 100 due Oct 15, 50 due Nov 15, 30 due Dec 15 (charged ahead)."""
    clock.freeze(datetime(2026, 10, 1, 2, 0))
    item = ensure_item(world["A"], "service")
    cashier = world["staff"]["cashier"]
    lines = {due: charge(world["hh_a"], item, amount, actor=cashier, due_on=due)
             for due, amount in ((date(2026, 10, 15), "100"), (date(2026, 11, 15), "50"),
                                 (date(2026, 12, 15), "30"))}
    other = charge(world["hh_b"], ensure_item(world["B"], "service"), "999", due_on=date(2026, 10, 15))
    world.update(lines=lines, item=item, cashier=cashier, other=other)
    return world


def pay(world, amount, at, token, lines=None):
    clock.freeze(at)
    return take_payment(world["hh_a"], world["cashier"], Decimal(amount), "cash", token,
                        line_ids=[str(l.pk) for l in lines] if lines else None)


def test_arrears_at_each_month_end_from_lines_and_payments(ledger_world):
    w = ledger_world
    oct_line = w["lines"][date(2026, 10, 15)]
    # 40 paid on the last local minute of October, 60 on the first of November (both on the October line)
    pay(w, "40", datetime(2026, 10, 31, 15, 59), "t1", [oct_line])
    pay(w, "60", FIRST_LOCAL_MINUTE_OF_NOVEMBER, "t2", [oct_line])
    pay(w, "20", datetime(2026, 11, 20), "t3", [w["lines"][date(2026, 11, 15)]])
    period = Period(date(2026, 9, 1), date(2027, 1, 31))
    owed = kpi.arrears_at_month_ends(period, [w["A"]], now=datetime(2026, 12, 20, 2, 0))[w["A"].pk]
    assert owed == {"2026-09": Decimal("0"),               # nothing due yet
                    "2026-10": Decimal("60.00"),           # 100 due, 40 paid by the end of October
                    "2026-11": Decimal("30.00"),           # 100 + 50 due, 100 + 20 paid
                    "2026-12": Decimal("60.00"),           # running month (today Dec 20): + 30 due Dec 15
                    "2027-01": None}                       # still to come


def test_a_voided_receipt_counts_as_never_paid_and_each_community_alone(ledger_world):
    w = ledger_world
    payment = pay(w, "100", datetime(2026, 10, 20), "t1", [w["lines"][date(2026, 10, 15)]])
    clock.freeze(datetime(2026, 12, 1))
    payment.void_receipt(w["staff"]["supervisor"], "wrong household")
    owed = kpi.arrears_at_month_ends(OCT_NOV, [w["A"], w["B"]], now=datetime(2026, 12, 20))
    assert owed[w["A"].pk] == {"2026-10": Decimal("100.00"), "2026-11": Decimal("150.00")}
    assert owed[w["B"].pk] == {"2026-10": Decimal("999.00"), "2026-11": Decimal("999.00")}


def test_patrols_due_and_done_by_their_local_due_day(app_ctx, world):
    # due at the end of the local day: Oct 31 23:59:59 Shanghai
    make_clock(world["A"], kind=kpi.PATROL_KIND, state=MET, due=LAST_LOCAL_SECOND_OF_OCTOBER,
               met=datetime(2026, 10, 31, 3, 0))
    make_clock(world["A"], kind=kpi.PATROL_KIND, state=BREACHED, due=datetime(2026, 11, 2, 15, 59, 59),
               breached=datetime(2026, 11, 2, 15, 59, 59))
    make_clock(world["A"], kind=kpi.PATROL_KIND, state=MET, due=datetime(2026, 11, 4, 15, 59, 59),
               met=datetime(2026, 11, 4, 1, 0))
    make_clock(world["A"], kind=kpi.PATROL_KIND, state=CANCELLED, due=datetime(2026, 11, 6, 15, 59, 59))
    make_clock(world["A"], kind=kpi.PATROL_KIND, state=RUNNING, due=datetime(2026, 11, 29, 15, 59, 59))
    result = kpi.patrols(OCT_NOV, [world["A"]], now=datetime(2026, 11, 20))
    assert result == {"2026-10": {"due": 1, "on_time": 1}, "2026-11": {"due": 2, "on_time": 1}}


def test_move_ins_by_their_local_day(app_ctx, world):
    from documents.movein import MoveIn
    rooms = world["rooms"]["A"]
    for code, day, state in (("1-1-101", date(2026, 10, 31), "moved_in"), ("1-1-102", date(2026, 11, 1), "moved_in"),
                             ("1-1-201", date(2026, 11, 30), "moved_in"), ("1-1-202", None, "verify")):
        MoveIn(community=world["A"], room=rooms[code], owner_name="王芳", state=state, moved_in_on=day).save()
    MoveIn(community=world["B"], room=world["rooms"]["B"]["1-1-101"], owner_name="李娜", state="moved_in",
           moved_in_on=date(2026, 11, 2)).save()
    assert kpi.move_ins(NOV, [world["A"]]) == {world["A"].pk: {"2026-11": 2}}
    assert kpi.move_ins(OCT_NOV, [world["A"], world["B"]])[world["B"].pk] == {"2026-10": 0, "2026-11": 1}


def test_the_charts_carry_the_figures(app_ctx, world):
    make_clock(world["A"], met=datetime(2026, 11, 3))
    make_clock(world["B"], state=BREACHED, breached=datetime(2026, 11, 4))
    names = {world["A"].pk: "甲小区", world["B"].pk: "乙小区"}
    kpi.keep_on_time_tallies(datetime(2026, 12, 20))
    from flask_babel import force_locale
    with app_ctx.test_request_context("/"), force_locale("en"):
        charts = {c.key: c for c in kpi.kpi_charts(NOV, [world["A"], world["B"]], names, company_wide=True,
                                                  now=datetime(2026, 12, 20))}
        single = {c.key: c for c in kpi.kpi_charts(NOV, [world["A"]], names, now=datetime(2026, 12, 20))}
    assert list(charts) == ["on-time", "on-time-trend", "satisfaction", "arrears", "patrols", "move-ins",
                           "vacancy-inspections"]
    assert charts["on-time"].header() == ["", "2026-11"]
    assert charts["on-time"].rows() == [["Complaint handling", 50.0]]        # a row per clock kind
    assert charts["on-time-trend"].header() == ["", "All communities", "甲小区", "乙小区"]
    assert charts["on-time-trend"].rows() == [["2026-11", 50.0, 100.0, 0.0]]
    assert [s.name for s in charts["arrears"].series] == ["甲小区", "乙小区"] and charts["arrears"].stacked
    assert [s.name for s in single["on-time-trend"].series] == ["All clocks"]


def test_the_sweepers_snapshots_keep_each_month_end_once_a_day(ledger_world):
    from documents.agenda import sweep
    w = ledger_world
    pay(w, "40", datetime(2026, 10, 31, 15, 59), "t1", [w["lines"][date(2026, 10, 15)]])
    today = datetime(2026, 11, 20, 2, 0)
    clock.freeze(today)
    sweep(today)
    snaps = {s.month: s for s in kpi.ArrearsSnapshot.objects(community=w["A"])}
    assert len(snaps) == kpi.SNAPSHOT_MONTHS + 1 and min(snaps) == "2025-12" and max(snaps) == "2026-11"
    assert snaps["2026-10"].owed == Decimal("60.00") and snaps["2026-10"].day == date(2026, 10, 31)
    assert snaps["2026-11"].owed == Decimal("110.00") and snaps["2026-11"].day == date(2026, 11, 20)
    # later the same day: nothing taken again; the page reads the snapshots, not the ledger
    assert kpi.keep_arrears_snapshots(datetime(2026, 11, 20, 5, 0)) == 0
    kpi.ArrearsSnapshot.objects(community=w["A"], month="2026-10").update_one(set__owed=Decimal("61.00"))
    owed = kpi.arrears_by_month(OCT_NOV, [w["A"]], now=datetime(2026, 11, 20, 6, 0))
    assert owed[w["A"].pk] == {"2026-10": Decimal("61.00"), "2026-11": Decimal("110.00")}
    # the next day: the running month is taken again (a payment since), October stays
    pay(w, "50", datetime(2026, 11, 20, 8, 0), "t2", [w["lines"][date(2026, 11, 15)]])
    assert kpi.keep_arrears_snapshots(datetime(2026, 11, 21, 2, 0)) == 2          # A and B: their running month
    owed = kpi.arrears_by_month(OCT_NOV, [w["A"], w["B"]], now=datetime(2026, 11, 21, 3, 0))
    assert owed[w["A"].pk] == {"2026-10": Decimal("61.00"), "2026-11": Decimal("60.00")}
    assert owed[w["B"].pk] == {"2026-10": Decimal("999.00"), "2026-11": Decimal("999.00")}


def test_a_month_without_its_snapshot_is_left_to_the_sweeper_never_derived_on_the_page(ledger_world, monkeypatch):
    """A page must not take 30 s: it reads snapshots only; a missing month shows as not computed and is
    asked of the sweeper, whose next pass derives it; then the page reads it."""
    w = ledger_world
    kpi.ArrearsSnapshot(community=w["A"], month="2026-10", day=date(2026, 10, 31), owed=Decimal("5.00")).save()
    kpi.ArrearsSnapshot(community=w["A"], month="2026-11", day=date(2026, 11, 3), owed=Decimal("7.00")).save()
    now = datetime(2026, 11, 20, 2, 0)
    derive = kpi.arrears_at_month_ends

    def refused(*args, **kwargs):
        raise AssertionError("the page derived arrears from the ledger")
    monkeypatch.setattr(kpi, "arrears_at_month_ends", refused)
    owed = kpi.arrears_by_month(OCT_NOV, [w["A"], w["B"]], now=now)
    # October from its snapshot; November's stands for another day: not computed, asked for
    assert owed[w["A"].pk] == {"2026-10": Decimal("5.00"), "2026-11": None}
    assert owed[w["B"].pk] == {"2026-10": None, "2026-11": None}
    assert owed.pending == {w["A"].pk: ["2026-11"], w["B"].pk: ["2026-10", "2026-11"]}
    kpi.arrears_by_month(OCT_NOV, [w["A"]], now=now)               # asked again: still once each
    assert sorted(kpi.KpiRequest.objects.get(pk=kpi.ARREARS).wanted) == sorted(
        [f"{w['A'].pk}:2026-11", f"{w['B'].pk}:2026-10", f"{w['B'].pk}:2026-11"])
    monkeypatch.setattr(kpi, "arrears_at_month_ends", derive)
    assert kpi.serve_requests(now) == 3
    assert kpi.KpiRequest.objects.get(pk=kpi.ARREARS).wanted == []
    monkeypatch.setattr(kpi, "arrears_at_month_ends", refused)
    owed = kpi.arrears_by_month(OCT_NOV, [w["A"], w["B"]], now=now)
    # 100 + 50 due by 20 November, nothing paid; October's snapshot stays as it was
    assert owed[w["A"].pk] == {"2026-10": Decimal("5.00"), "2026-11": Decimal("150.00")}
    assert owed[w["B"].pk] == {"2026-10": Decimal("999.00"), "2026-11": Decimal("999.00")}
    assert owed.pending == {}


def test_an_old_month_asked_for_is_kept_beyond_the_year_the_sweeper_keeps(ledger_world):
    """A look back of more than SNAPSHOT_MONTHS: served once through the sweep, then read."""
    from documents.agenda import sweep
    w = ledger_world
    now = datetime(2028, 1, 10, 2, 0)
    clock.freeze(now)
    sweep(now)
    assert kpi.ArrearsSnapshot.objects(community=w["A"], month="2026-10").first() is None
    owed = kpi.arrears_by_month(OCT_NOV, [w["A"]], now=now)
    assert owed.pending == {w["A"].pk: ["2026-10", "2026-11"]}
    sweep(now)
    assert kpi.arrears_by_month(OCT_NOV, [w["A"]], now=now)[w["A"].pk] == {
        "2026-10": Decimal("100.00"), "2026-11": Decimal("150.00")}


def test_the_arrears_chart_reads_whole_yuan(ledger_world):
    w = ledger_world
    pay(w, "40.50", datetime(2026, 10, 20), "t1", [w["lines"][date(2026, 10, 15)]])
    kpi.arrears_by_month(OCT_NOV, [w["A"]], now=datetime(2026, 12, 20))
    kpi.serve_requests(datetime(2026, 12, 20))
    from flask import current_app
    from flask_babel import force_locale
    with current_app.test_request_context("/"), force_locale("en"):
        charts = {c.key: c for c in kpi.kpi_charts(OCT_NOV, [w["A"]], {w["A"].pk: "甲小区"},
                                                  now=datetime(2026, 12, 20))}
    assert charts["arrears"].rows() == [["2026-10", 60], ["2026-11", 110]]      # 59.50 and 109.50, half up
    assert charts["arrears"].unit == "yuan" and charts["arrears"].series[0].name == "Owed"


def test_the_demo_patrols_are_logged_on_their_own_days_a_mix_on_time_and_late(app_ctx, monkeypatch):
    """seed/renovations.py logs each patrol with the clock at its own day: met when on its due day,
    breached when after it (every patrol logged at seeding time would stop late: 0 % on time)."""
    from documents.places import Community
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-xyz")
    frozen = datetime(2026, 12, 6, 7, 0)
    clock.freeze(frozen)
    run(households_per_community=(40, 20))
    assert clock.now() == frozen                       # the seed put the clock back
    first = Community.objects.order_by("code").first()
    stopped = Clock.objects(kind=kpi.PATROL_KIND, state__in=[MET, BREACHED])
    assert {c.state for c in stopped} == {MET, BREACHED}
    assert all(c.met_at <= c.due_at for c in stopped if c.state == MET)
    patrol = kpi.patrols(kpi.default_period(first), list(Community.objects))
    due, on_time = sum(m["due"] for m in patrol.values()), sum(m["on_time"] for m in patrol.values())
    assert 0 < on_time < due
    # the seed's sweep took the on-time tallies the page reads: the demo's patrol clocks among them
    timing, missing = kpi.on_time_by_month(kpi.default_period(first), list(Community.objects))
    assert missing == {} and 0 < timing.rate(kind=kpi.PATROL_KIND) < 100


def test_vacancy_inspection_coverage_per_month_by_the_vacancy_modules_rule(app_ctx, world):
    """A: two rooms on a basement floor due (nothing else is vacant), one inspected in November;
    B: nothing due is 100 %; December has not come (now in November): no figure."""
    from documents.fees.vacancy import month_coverage, record_inspection
    from documents.places import Room
    for room in Room.objects(community=world["A"]):
        room.status = "occupied"
        room.save()
    for room in Room.objects(community=world["B"]):
        room.status = "occupied"
        room.save()
    basements = list(Room.objects(community=world["A"]).order_by("sort_key")[:2])
    for room in basements:
        room.floor = -1
        room.save()
    clock.freeze(datetime(2026, 11, 20, 2, 0))
    record_inspection(world["staff"]["housekeeper"], basements[0], date(2026, 11, 18))
    period = Period(date(2026, 10, 1), date(2026, 12, 31))
    covered = kpi.vacancy_coverage(period, [world["A"], world["B"]])
    assert covered[world["A"].pk] == {"2026-10": 0, "2026-11": 50, "2026-12": None}
    assert covered[world["A"].pk]["2026-11"] == month_coverage(world["A"], "2026-11").percent
    assert covered[world["B"].pk] == {"2026-10": 100, "2026-11": 100, "2026-12": None}
    assert covered[None] == {"2026-10": 0, "2026-11": 50, "2026-12": None}     # 1 of the 2 units due in all
    from flask import current_app
    from flask_babel import force_locale
    with current_app.test_request_context("/"), force_locale("en"):
        charts = {c.key: c for c in kpi.kpi_charts(period, [world["A"], world["B"]], {world["A"].pk: "A",
                                                   world["B"].pk: "B"}, company_wide=True)}
    chart = charts["vacancy-inspections"]
    assert [s.name for s in chart.series] == ["All communities", "A", "B"] and chart.unit == "%"
    assert chart.series[0].values == [0, 50, None]


def test_the_page_reads_on_time_tallies_the_sweeper_keeps_never_the_clocks(app_ctx, world, monkeypatch):
    """The tallies count as `on_time` does; the running month is taken again after TALLY_REFRESH, a
    closed month once after its end; a month without a tally is asked of the sweeper."""
    make_clock(world["A"], met=datetime(2026, 10, 10))
    make_clock(world["A"], state=BREACHED, breached=datetime(2026, 11, 4))
    # a patrol that fell due on 10 November and was not logged: due, not on time (no on-time rate yet)
    make_clock(world["A"], kind=kpi.PATROL_KIND, state=RUNNING, due=datetime(2026, 11, 10, 15, 59))
    now = datetime(2026, 11, 20, 2, 0)
    assert kpi.keep_on_time_tallies(now) == 2 * (kpi.SNAPSHOT_MONTHS + 1)       # A and B, a year each
    assert kpi.keep_on_time_tallies(now + timedelta(minutes=30)) == 0            # nothing due yet
    live = kpi.on_time

    def refused(*args, **kwargs):
        raise AssertionError("the page read the clocks")
    monkeypatch.setattr(kpi, "on_time", refused)
    timing, missing = kpi.on_time_by_month(OCT_NOV, [world["A"], world["B"]], now)
    assert missing == {} and timing.rate(month="2026-10") == 100.0 and timing.rate(month="2026-11") == 0.0
    assert timing.patrols == {"2026-10": {"due": 0, "on_time": 0}, "2026-11": {"due": 1, "on_time": 0}}
    assert timing.patrols["2026-11"] == kpi.patrols(NOV, [world["A"]], now)["2026-11"]
    monkeypatch.setattr(kpi, "on_time", live)
    make_clock(world["A"], met=datetime(2026, 11, 20, 3, 0))
    later = now + kpi.TALLY_REFRESH + timedelta(minutes=1)
    assert kpi.keep_on_time_tallies(later, [world["A"]]) == 1                   # the running month only
    assert kpi.on_time_by_month(NOV, [world["A"]], later)[0].rate() == 50.0
    # December: November closes (taken once more), December starts
    assert kpi.keep_on_time_tallies(datetime(2026, 12, 1, 2, 0), [world["A"]]) == 2
    # a month further back than the year kept: asked for, served by the sweep, then read
    old = Period.month(2025, 3)
    make_clock(world["A"], met=datetime(2025, 3, 5))
    assert kpi.on_time_by_month(old, [world["A"]], now)[1] == {world["A"].pk: ["2025-03"]}
    assert kpi.serve_requests(now) == 1
    assert kpi.on_time_by_month(old, [world["A"]], now)[0].rate() == 100.0

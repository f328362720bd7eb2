"""The reports' reading of the clocks (documents/reports/clocks.py): late, on time, per kind and period."""
from datetime import date

from app import clock
from documents.agenda import sweep
from documents.reports.clocks import clocks_of_records, is_late, on_time_rate, outcomes_by_kind
from documents.reports.period import Period
from tests.services_support import freeze_shanghai, make_complaint, request_context, shanghai  # noqa: F401


def test_met_breached_and_running_past_due_per_kind_over_a_period(world):
    clerk = world["staff"]["clerk"]
    freeze_shanghai(2026, 11, 23, 9, 0)
    in_time = make_complaint(world)                       # class 1: 4 h, due 13:00
    in_time.assign(world["staff"]["supervisor"], "cleaning")
    clock.freeze(shanghai(2026, 11, 23, 13, 0))            # handled at the boundary: met
    in_time.handle(clerk, "已清理")
    freeze_shanghai(2026, 11, 23, 9, 0)
    breached = make_complaint(world)
    waiting = make_complaint(world)
    clock.freeze(shanghai(2026, 11, 23, 13, 1))
    sweep()                                                # both still unhandled: breached by the sweeper
    freeze_shanghai(2026, 11, 23, 12, 0)
    make_complaint(world)                                  # due 16:00, asked at 13:01 below: running in time
    now = shanghai(2026, 11, 23, 13, 1)
    november = Period.month(2026, 11)
    outcome = outcomes_by_kind(["complaint_handling", "suggestion_reply"], november, [world["A"]], now)
    assert (outcome["complaint_handling"].met, outcome["complaint_handling"].late,
            outcome["complaint_handling"].running) == (1, 2, 1)
    assert outcome["complaint_handling"].on_time_rate == 33.3
    assert outcome["suggestion_reply"].on_time_rate is None
    # the community's day decides: a deadline of 24 Nov is outside 23 Nov, another community sees none
    day = Period.day(date(2026, 11, 23))
    assert outcomes_by_kind(["complaint_handling"], day, [world["B"]], now)["complaint_handling"].decided == 0
    rows = clocks_of_records("complaints", [breached.pk, waiting.pk, in_time.pk], kinds=["complaint_handling"])
    assert sorted(is_late(r, now) for rs in rows.values() for r in rs) == [False, True, True]
    assert on_time_rate(3, 1) == 75.0 and on_time_rate(0, 0) is None


def test_a_running_clock_past_its_deadline_is_late_before_the_sweeper_sees_it(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    complaint = make_complaint(world)
    row = clocks_of_records("complaints", [complaint.pk])[complaint.pk][0]
    assert row["state"] == "running"
    assert not is_late(row, shanghai(2026, 11, 23, 13, 0)) and is_late(row, shanghai(2026, 11, 23, 13, 1))

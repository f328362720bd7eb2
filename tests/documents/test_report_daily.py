"""The daily service report (客服中心日报表): each count at its boundary."""
from datetime import date

from app import clock
from documents.agenda import sweep
from documents.reports.daily import daily_report
from documents.visits import log_visit
from tests.documents.test_feedback import make_entry
from tests.services_support import (completed_repair, freeze_shanghai, make_complaint, make_repair,  # noqa: F401
                                    request_context, shanghai)

DAY = date(2026, 11, 23)


def counts(report, key):
    line = report.line(key)
    return line.received, line.done, line.open, line.late


def test_a_repair_at_23_59_local_is_that_days_and_one_at_midnight_the_next(world):
    freeze_shanghai(2026, 11, 23, 23, 59)
    make_repair(world)
    freeze_shanghai(2026, 11, 24, 0, 0)
    make_repair(world)
    report = daily_report([world["A"]], DAY, now=shanghai(2026, 11, 24, 0, 0))
    assert report.line("repair_room").received == 1
    assert daily_report([world["A"]], date(2026, 11, 24), now=shanghai(2026, 11, 24, 0, 0)) \
        .line("repair_room").received == 1
    assert daily_report([world["B"]], DAY).line("repair_room").received == 0        # another community's


def test_public_area_repairs_are_a_line_of_their_own(world):
    from documents.places import Building
    freeze_shanghai(2026, 11, 23, 9, 0)
    building = Building.objects(community=world["A"], number="1").first()
    make_repair(world, location="public", room=None, public_building=building, public_place="lobby")
    make_repair(world)
    make_repair(world, room="1-1-102")
    report = daily_report([world["A"]], DAY, now=shanghai(2026, 11, 23, 9, 10))
    assert counts(report, "repair_public") == (1, 0, 1, 0)
    assert counts(report, "repair_room") == (2, 0, 2, 0)


def test_done_open_and_a_breached_clock_counting_late(world):
    clerk = world["staff"]["clerk"]
    freeze_shanghai(2026, 11, 23, 9, 0)
    done = completed_repair(world)                  # appointment 09:00, arrived at once, completed: done
    late = make_repair(world, room="1-1-102")        # never dispatched: its arrival is due 09:15
    clock.freeze(shanghai(2026, 11, 23, 9, 16))
    sweep()                                          # the arrival clock is breached
    cancelled = make_repair(world, room="1-1-201")
    cancelled.cancel(world["staff"]["supervisor"], "住户自己修好了")
    report = daily_report([world["A"]], DAY, now=shanghai(2026, 11, 23, 18, 0))
    assert counts(report, "repair_room") == (3, 1, 1, 1)   # received 3, done 1, open 1 (cancelled is not), late 1
    assert [item.number for item in report.late_items] == [late.number]
    assert done.number not in [item.number for item in report.late_items]
    # the next day: yesterday's repair completed today is today's "done", not "received"
    clock.freeze(shanghai(2026, 11, 24, 9, 0))
    late.dispatch(clerk, "王师傅")
    late.arrive(clerk)
    late.complete(clerk, "更换阀芯", labour="0")
    next_day = daily_report([world["A"]], date(2026, 11, 24), now=shanghai(2026, 11, 24, 10, 0))
    assert counts(next_day, "repair_room") == (0, 1, 0, 1)
    # and the 23rd still reads as at its end: the repair was open then
    assert counts(daily_report([world["A"]], DAY, now=shanghai(2026, 11, 24, 10, 0)), "repair_room") == (3, 1, 1, 1)


def test_a_running_clock_is_late_only_once_its_deadline_has_passed_by_the_days_end(world):
    freeze_shanghai(2026, 11, 23, 23, 50)
    make_complaint(world, complaint_class=2)        # class 2: by the end of the local day
    report = daily_report([world["A"]], DAY, now=shanghai(2026, 11, 23, 23, 55))
    assert counts(report, "complaint") == (1, 0, 1, 0)
    report = daily_report([world["A"]], DAY, now=shanghai(2026, 11, 24, 8, 0))
    assert counts(report, "complaint") == (1, 0, 1, 1)          # due 23:59:59, the day ended unhandled


def test_complaints_suggestions_feedback_and_return_visits(world):
    supervisor, clerk = world["staff"]["supervisor"], world["staff"]["clerk"]
    freeze_shanghai(2026, 11, 23, 9, 0)
    handled = make_complaint(world)
    handled.assign(supervisor, "cleaning")
    handled.handle(clerk, "已清理")
    make_complaint(world, kind="suggestion", complaint_class=None)
    entry = make_entry(world)
    entry.answer_resident(clerk, "已通知工程部")
    make_entry(world, major=True)
    repair = completed_repair(world)
    repair.sign_off(clerk, satisfaction=5, paper_order_no="P-001")
    log_visit(repair, clerk, method="phone", resident_said="已经不漏了", satisfaction=5)
    report = daily_report([world["A"]], DAY, now=shanghai(2026, 11, 23, 18, 0))
    assert counts(report, "complaint") == (1, 1, 0, 0)
    assert counts(report, "suggestion") == (1, 0, 1, 0)
    assert counts(report, "feedback") == (2, 1, 1, 0)
    assert report.visits_made == 1 and report.proactive_visits == 0
    # the complaint's return visit (3 days) and the repair's (7 days) are not due today
    assert counts(report, "visit") == (0, 0, 0, 0)
    due_day = daily_report([world["A"]], date(2026, 11, 26), now=shanghai(2026, 11, 27, 8, 0))
    assert counts(due_day, "visit") == (1, 0, 1, 1)             # the complaint's visit, not made in time


def test_feedback_answered_after_its_time_is_late_by_its_own_record(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    entry = make_entry(world)
    clock.freeze(shanghai(2026, 11, 24, 9, 1))        # no sweep ran: the record's own fact tells
    entry.answer_resident(world["staff"]["clerk"], "已处理")
    report = daily_report([world["A"]], date(2026, 11, 24), now=shanghai(2026, 11, 24, 10, 0))
    assert counts(report, "feedback") == (0, 1, 0, 1)


def test_the_chart_carries_every_line_and_column(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    make_repair(world)
    chart = daily_report([world["A"]], DAY).chart()
    assert chart.categories[0] == "Repairs in homes" and len(chart.series) == 4
    assert chart.series[0].values[0] == 1

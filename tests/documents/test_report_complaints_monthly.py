"""The monthly complaint analysis (003 §4.2.9): counts, on-time rate, repeat complainants, escalations, cases."""
from app import clock
from documents.agenda import sweep
from documents.complaints import Complaint
from documents.reports.complaints_monthly import REPEAT_FROM, complaint_analysis
from documents.reports.period import Period
from tests.documents.test_feedback import make_relay
from tests.services_support import freeze_shanghai, make_complaint, request_context, shanghai  # noqa: F401

NOVEMBER = Period.month(2026, 11)


def test_the_month_is_the_communitys_local_month_and_suggestions_are_apart(world):
    freeze_shanghai(2026, 11, 30, 23, 59)
    make_complaint(world, complaint_class=3, channel="letter")              # 30 Nov 23:59 local: November's
    make_complaint(world, kind="suggestion", complaint_class=None)
    freeze_shanghai(2026, 12, 1, 0, 0)
    make_complaint(world, complaint_class=3)                                # 1 Dec 00:00: December's
    report = complaint_analysis([world["A"]], NOVEMBER, now=clock.now())
    assert (report.complaints, report.suggestions) == (1, 1)
    assert report.by_class[3] == 1 and report.by_channel["letter"] == 1
    assert complaint_analysis([world["B"]], NOVEMBER).complaints == 0       # another community's figures


def test_repeat_complainants_from_the_second_complaint_of_a_household(world):
    assert REPEAT_FROM == 2
    freeze_shanghai(2026, 11, 3, 9, 0)
    make_complaint(world)                                       # 张伟 (1-1-101) once ...
    make_complaint(world, room="1-1-201")                       # Michael Brown once: not a repeat
    freeze_shanghai(2026, 10, 31, 9, 0)
    make_complaint(world)                                       # October's does not count for November
    report = complaint_analysis([world["A"]], NOVEMBER, now=shanghai(2026, 12, 1, 9, 0))
    assert report.repeats == []
    freeze_shanghai(2026, 11, 20, 9, 0)
    second = make_complaint(world, complaint_class=2)           # ... twice in the month: a repeat
    report = complaint_analysis([world["A"]], NOVEMBER, now=shanghai(2026, 12, 1, 9, 0))
    assert [(r.room_code, r.count) for r in report.repeats] == [("1-1-101", 2)]
    assert report.repeats[0].numbers[-1] == second.number
    assert report.tables()[0][2][0][:3] == ["1-1-101", "张伟", 2]


def test_on_time_rate_from_the_clocks_and_the_records_own_facts(world):
    supervisor, clerk = world["staff"]["supervisor"], world["staff"]["clerk"]
    freeze_shanghai(2026, 11, 23, 9, 0)
    on_time = make_complaint(world)                              # class 1: due 13:00
    on_time.assign(supervisor, "cleaning")
    breached = make_complaint(world)
    pending = make_complaint(world, complaint_class=3)           # 3 days: still in its time
    clock.freeze(shanghai(2026, 11, 23, 13, 0))
    on_time.handle(clerk, "已清理")                              # at the boundary: on time
    clock.freeze(shanghai(2026, 11, 23, 13, 1))
    sweep()                                                      # breached: late, and escalated to level 1
    report = complaint_analysis([world["A"]], NOVEMBER, now=shanghai(2026, 11, 23, 14, 0))
    assert (report.on_time[1].met, report.on_time[1].late) == (1, 1) and report.on_time[1].on_time_rate == 50.0
    assert report.on_time[3].running == 1 and report.on_time[3].on_time_rate is None
    assert report.overall.on_time_rate == 50.0
    assert report.escalated_supervisor == 1 and report.escalated_senior == 0
    # a record handled late before the agenda existed (no clock) is late by its own fact
    Complaint.objects(pk=pending.pk).update_one(set__handled_late=1, set__handled_at=clock.now())
    assert complaint_analysis([world["A"]], NOVEMBER, now=clock.now()).on_time[3].late == 1
    rates = next(c for c in report.charts() if c.key == "on-time")
    assert rates.unit == "%" and rates.series[0].values == [50.0, None, None, 50.0]
    assert breached.number


def test_escalations_to_the_head_late_relays_and_class_1_cases(world):
    freeze_shanghai(2026, 11, 23, 10, 0)
    hard = make_complaint(world, channel="letter")
    relay = make_relay(world, hard, received_at=shanghai(2026, 11, 23, 8, 0), relayed_at=shanghai(2026, 11, 23, 9, 30),
                       hard=True, head="王经理")
    relay.write_line(world["staff"]["clerk"], "已致电业主道歉，当天补扫")
    Complaint.objects(pk=hard.pk).update_one(set__case_analysis="保洁排班漏了3号楼，已调整并培训")
    make_complaint(world, complaint_class=1, content="保安态度差")
    make_complaint(world, complaint_class=2, content="外墙渗水")
    report = complaint_analysis([world["A"]], NOVEMBER, now=clock.now())
    assert (report.to_department_head, report.late_relays) == (1, 1)
    assert report.class_1 == 2 and len(report.cases) == 2 and report.cases_without_analysis == 1
    titles = [c.title for c in report.charts()]
    assert titles == ["Complaints by class (cause)", "Handled on time", "Complaints by department responsible",
                      "Complaints by building", "Complaints by channel"]
    by_building = next(c for c in report.charts() if c.key == "by-building")
    assert by_building.categories == ["Building 1"] and by_building.series[0].values == [3]
    cases = report.tables()[1][2]
    assert {row[5] for row in cases} == {"保洁排班漏了3号楼，已调整并培训", "Not written yet"}
    lines = {case["number"]: case["lines"] for case in report.cases}
    assert lines[hard.number] == [("clerk A", clock.now(), "已致电业主道歉，当天补扫")]


def test_the_queries_do_not_grow_with_the_records(world, monkeypatch):
    """Plain reads counted in Python: three complaints or thirty (and their clocks), the same queries;
    ids are asked in batches, so only more batches add queries."""
    from bench.queries import count_queries
    from documents.reports import clocks
    from documents.reports.daily import daily_report

    def queries():
        with count_queries() as log:
            complaint_analysis([world["A"], world["B"]], NOVEMBER, now=shanghai(2026, 12, 1, 9, 0))
        with count_queries() as daily:
            daily_report([world["A"], world["B"]], NOVEMBER.start.replace(day=23), now=shanghai(2026, 12, 1, 9, 0))
        return log.total, daily.total

    freeze_shanghai(2026, 11, 23, 9, 0)
    for _ in range(3):
        make_complaint(world)
    few = queries()
    for _ in range(27):
        make_complaint(world, room="1-1-201")
    assert queries() == few
    monkeypatch.setattr(clocks, "BATCH", 10)            # 30 complaints: 3 batches of clock reads
    monkeypatch.setattr("documents.reports.complaints_monthly.BATCH", 10)
    assert queries()[0] == few[0] + 2 + 2


def test_the_page_lists_the_repeat_complainants_with_most_complaints_first_and_the_export_all(world, monkeypatch):
    monkeypatch.setattr("documents.reports.complaints_monthly.REPEATS_SHOWN", 1)
    freeze_shanghai(2026, 11, 3, 9, 0)
    for room, times in (("1-1-101", 2), ("1-1-201", 3)):
        for _ in range(times):
            make_complaint(world, room=room)
    report = complaint_analysis([world["A"]], NOVEMBER, now=clock.now())
    assert [r.room_code for r in report.repeats_shown] == ["1-1-201"]
    assert [row[0] for row in report.tables()[0][2]] == ["1-1-201", "1-1-101"]

"""Deadlines at their boundaries, in the community's time zone, with a frozen clock."""
from datetime import date, datetime, timedelta

import pytest

from app import clock
from documents import agenda
from documents.agenda import sweep
from documents.complaints import Complaint
from documents.deadlines import due_status, week_bounds, zone_of
from documents.repairs import RainDay, Repair
from tests.services_support import (completed_repair, freeze_shanghai, make_complaint, make_repair,  # noqa: F401
                              request_context, shanghai)


# --- complaints: class deadlines ---

def test_class_1_is_due_four_hours_after_receipt(world):
    received = freeze_shanghai(2026, 3, 11, 22, 30)
    complaint = make_complaint(world, complaint_class=1)
    assert complaint.received_at == received
    assert complaint.handle_due_at == shanghai(2026, 3, 12, 2, 30)
    assert complaint.due_at == complaint.handle_due_at


def test_class_2_received_at_2350_shanghai_is_due_the_same_local_day(world):
    freeze_shanghai(2026, 3, 11, 23, 50)
    complaint = make_complaint(world, complaint_class=2)
    # 23:59:59 Shanghai = 15:59:59 UTC the same date, not the UTC day's end (which would be 07:59 next day)
    assert complaint.handle_due_at == shanghai(2026, 3, 11, 23, 59, 59)
    assert complaint.handle_due_at == datetime(2026, 3, 11, 15, 59, 59)
    clock.freeze(shanghai(2026, 3, 12, 0, 1))
    assert complaint.is_overdue


def test_class_2_received_just_after_local_midnight_has_the_whole_day(world):
    # 00:05 Shanghai is still the previous day in UTC (16:05): the local day must win
    freeze_shanghai(2026, 3, 12, 0, 5)
    complaint = make_complaint(world, complaint_class=2)
    assert complaint.handle_due_at == shanghai(2026, 3, 12, 23, 59, 59)


def test_class_3_is_due_three_days_after_receipt(world):
    freeze_shanghai(2026, 3, 11, 9, 15)
    complaint = make_complaint(world, complaint_class=3)
    assert complaint.handle_due_at == shanghai(2026, 3, 14, 9, 15)


def test_suggestion_has_no_class_and_a_24_hour_reply(world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    suggestion = make_complaint(world, kind="suggestion", complaint_class=2)
    assert suggestion.complaint_class is None and suggestion.number.startswith("JY")
    assert suggestion.handle_due_at == shanghai(2026, 3, 12, 9, 0)


def test_end_of_day_follows_the_communitys_own_zone(world):
    from zoneinfo import ZoneInfo
    berlin = ZoneInfo("Europe/Berlin")
    world["A"].timezone = "Europe/Berlin"
    world["A"].save()
    received = datetime(2026, 3, 28, 23, 30, tzinfo=berlin).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    clock.freeze(received)
    assert make_complaint(world, complaint_class=2).handle_due_at == datetime(2026, 3, 28, 22, 59, 59)
    # 3 days across the switch to summer time (29 March): same wall-clock time, one hour less in UTC
    assert make_complaint(world, complaint_class=3).handle_due_at == datetime(2026, 3, 31, 21, 30)
    world["A"].timezone = "Not/AZone"
    assert str(zone_of(world["A"])) == "Asia/Shanghai"


def test_return_visit_due_three_days_after_handling(world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    complaint = make_complaint(world, complaint_class=1)
    complaint.assign(world["staff"]["supervisor"], "engineering", world["staff"]["housekeeper"])
    clock.freeze(shanghai(2026, 3, 11, 11, 0))
    complaint.handle(world["staff"]["housekeeper"], "已更换灯管", "每周巡查楼道灯")
    assert complaint.state == "handled"
    assert complaint.visit_due_at == shanghai(2026, 3, 14, 11, 0) == complaint.due_at
    assert complaint.handled_late == 0


# --- escalation ---

def test_escalation_to_supervisor_at_the_deadline_and_senior_management_two_days_later(world):
    """Seed 003 §4.2.4: past the class time -> superior; still no reply 2 days after that -> senior
    management. Each is recorded at the moment it became due, by the system, once."""
    from documents.audit import AuditEntry
    freeze_shanghai(2026, 3, 11, 9, 0)
    complaint = make_complaint(world, complaint_class=1)
    clock.freeze(shanghai(2026, 3, 11, 13, 0))        # exactly at the deadline: not yet late
    assert sweep().escalated == 0
    clock.freeze(shanghai(2026, 3, 11, 13, 7))
    report = sweep()
    assert report.breached == 1 and report.escalated == 1
    assert sweep().escalated == 0                       # raised once however often it runs
    complaint.reload()
    assert complaint.escalation_level == 1 and complaint.escalated_at == shanghai(2026, 3, 11, 13, 0)
    clock.freeze(shanghai(2026, 3, 13, 13, 0))          # exactly 2 days after the supervisor was told
    assert sweep().escalated == 0
    clock.freeze(shanghai(2026, 3, 13, 13, 1))
    assert sweep().escalated == 1
    complaint.reload()
    assert complaint.escalation_level == 2 and complaint.escalated_at == shanghai(2026, 3, 13, 13, 0)
    entries = list(AuditEntry.objects(record_id=str(complaint.pk), action__in=["clock_breach", "clock_escalate"]))
    assert sorted(e.action for e in entries) == ["clock_breach", "clock_escalate", "clock_escalate"]
    assert {e.actor_name for e in entries} == {"system"} and all(e.actor is None for e in entries)
    assert sorted(e.at for e in entries) == [shanghai(2026, 3, 11, 13, 0), shanghai(2026, 3, 11, 13, 0),
                                             shanghai(2026, 3, 13, 13, 0)]


def test_a_class_3_complaint_never_reaches_senior_management_before_its_own_deadline(world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    complaint = make_complaint(world, complaint_class=3)       # due 14th 09:00
    clock.freeze(shanghai(2026, 3, 13, 9, 1))                   # 2 days after receipt
    sweep()
    assert complaint.reload().escalation_level == 0
    clock.freeze(shanghai(2026, 3, 14, 9, 1))
    sweep()
    assert complaint.reload().escalation_level == 1
    clock.freeze(shanghai(2026, 3, 16, 9, 1))
    sweep()
    assert complaint.reload().escalation_level == 2


def test_handled_complaints_and_suggestions_never_escalate(world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    handled = make_complaint(world, complaint_class=1)
    handled.assign(world["staff"]["supervisor"], "cleaning")
    handled.handle(world["staff"]["clerk"], "已清理")
    make_complaint(world, kind="suggestion", complaint_class=None)
    clock.freeze(shanghai(2026, 3, 20, 9, 0))
    assert sweep().escalated == 0
    assert set(Complaint.objects.scalar("escalation_level")) == {0}


def test_class_2_escalates_one_minute_after_local_midnight(world):
    freeze_shanghai(2026, 3, 11, 23, 50)
    complaint = make_complaint(world, complaint_class=2)
    clock.freeze(shanghai(2026, 3, 11, 23, 59, 59))
    assert sweep().escalated == 0
    clock.freeze(shanghai(2026, 3, 12, 0, 0, 1))
    assert sweep().escalated == 1
    assert complaint.reload().escalation_level == 1


# --- repairs: arrival, review, return visits ---

def test_arrival_late_only_after_fifteen_minutes(world):
    clerk = world["staff"]["clerk"]
    freeze_shanghai(2026, 3, 11, 9, 0)
    on_time = make_repair(world, appointment_at=shanghai(2026, 3, 11, 10, 0))
    late = make_repair(world, room="1-1-102", appointment_at=shanghai(2026, 3, 11, 10, 0))
    for repair in (on_time, late):
        repair.dispatch(clerk, "王师傅")
        assert repair.arrival_due_at == shanghai(2026, 3, 11, 10, 15) == repair.due_at
    clock.freeze(shanghai(2026, 3, 11, 10, 15))
    assert not on_time.technician_not_arrived_late()
    on_time.arrive(clerk)
    assert on_time.arrival_late is False
    clock.freeze(shanghai(2026, 3, 11, 10, 15, 30))
    assert late.technician_not_arrived_late()          # flagged while the technician is still away
    late.arrive(clerk)
    assert late.arrival_late is True
    assert Repair.objects(arrival_late=True).count() == 1


def test_technical_review_must_be_back_on_site_within_thirty_minutes(world):
    clerk = world["staff"]["clerk"]
    freeze_shanghai(2026, 3, 11, 9, 0)
    repair = make_repair(world)
    repair.dispatch(clerk, "王师傅")
    repair.arrive(clerk)
    repair.start_review(clerk, "需要工程部确认管道走向")
    assert repair.state == "review" and repair.due_at == shanghai(2026, 3, 11, 9, 30)
    clock.freeze(shanghai(2026, 3, 11, 9, 30))
    repair.back_on_site(clerk)
    assert repair.state == "arrived" and repair.review_late is False
    repair.start_review(clerk, "还要再看一次")
    clock.freeze(shanghai(2026, 3, 11, 10, 1))
    repair.back_on_site(clerk)
    assert repair.review_late is True


@pytest.mark.parametrize("urgency,due", [
    ("urgent", (2026, 3, 12, 14, 0)),      # 24 h
    ("ordinary", (2026, 3, 18, 14, 0)),    # 7 days
    ("leak", None),                        # waits for the first rain
])
def test_return_visit_due_by_urgency(world, urgency, due):
    freeze_shanghai(2026, 3, 11, 14, 0)
    repair = completed_repair(world, urgency=urgency)
    assert repair.state == "completed"
    assert repair.visit_due_at == (shanghai(*due) if due else None)
    assert repair.due_at == repair.visit_due_at


def test_first_rain_makes_waiting_leak_visits_due_that_day(world):
    clerk = world["staff"]["clerk"]
    freeze_shanghai(2026, 3, 11, 14, 0)
    waiting = completed_repair(world, urgency="leak")
    ordinary = completed_repair(world, urgency="ordinary", room="1-1-102")
    clock.freeze(shanghai(2026, 3, 20, 8, 0))
    assert RainDay.record(world["A"], date(2026, 3, 20), clerk) == 1
    waiting.reload()
    assert waiting.visit_due_at == shanghai(2026, 3, 20, 23, 59, 59) == waiting.due_at
    assert ordinary.reload().visit_due_at == shanghai(2026, 3, 18, 14, 0)
    # a leak fixed after that rain waits for the next one; recording the same day again changes nothing
    clock.freeze(shanghai(2026, 3, 21, 10, 0))
    later = completed_repair(world, urgency="leak", room="1-1-201")
    assert RainDay.record(world["A"], date(2026, 3, 20), clerk) == 0
    assert later.reload().visit_due_at is None
    assert RainDay.objects(community=world["A"]).count() == 1
    assert RainDay.record(world["A"], date(2026, 3, 21), clerk) == 1
    assert later.reload().visit_due_at == shanghai(2026, 3, 21, 23, 59, 59)


def test_first_rain_of_another_community_or_in_the_future_is_refused(world):
    from documents.base import DomainError
    freeze_shanghai(2026, 3, 11, 14, 0)
    waiting = completed_repair(world, urgency="leak")
    with pytest.raises(DomainError):
        RainDay.record(world["A"], date(2026, 3, 12), world["staff"]["clerk"])
    with pytest.raises(DomainError):
        RainDay.record(world["A"], date(2026, 3, 11), world["staff"]["clerk_b"])
    with pytest.raises(DomainError):
        RainDay.record(world["A"], date(2026, 3, 11), world["staff"]["cashier"])
    assert waiting.reload().visit_due_at is None


# --- lists: due today / this week / overdue, local days ---

def test_due_filters_use_local_days(world):
    freeze_shanghai(2026, 3, 11, 9, 0)           # a Wednesday
    c1 = make_complaint(world, complaint_class=1)                   # due 13:00 today
    c2 = make_complaint(world, complaint_class=3)                   # due Saturday 14th
    clock.freeze(shanghai(2026, 3, 12, 7, 0))
    c3 = make_complaint(world, complaint_class=3)                   # due Sunday 15th 07:00
    clock.freeze(shanghai(2026, 3, 14, 0, 30))   # Saturday 00:30 Shanghai = Friday 16:30 UTC
    now = clock.now()
    communities = [world["A"]]

    def numbers(which):
        ids = agenda.record_ids("complaints", which, communities, now, zone_of)
        return set(Complaint.objects(pk__in=ids).scalar("number"))
    assert numbers("overdue") == {c1.number}
    assert numbers("today") == {c2.number}       # Saturday in Shanghai, though Friday in UTC
    assert numbers("week") == {c1.number, c2.number, c3.number}   # late ones of this week included
    start, end = week_bounds(now, zone_of(world["A"]))
    assert start == shanghai(2026, 3, 9, 0, 0) and end - start == timedelta(days=7)


def test_due_status_texts(app):
    now = datetime(2026, 3, 11, 1, 0)
    assert due_status(now + timedelta(hours=3, minutes=20), now) == ("due", "due in 3 h 20 min")
    assert due_status(now + timedelta(minutes=40), now) == ("soon", "due in 40 min")
    assert due_status(now - timedelta(days=2, hours=4), now) == ("late", "late by 2 d 4 h")
    assert due_status(None, now) == ("", "")

"""The agenda's clocks and the sweeper: clocks follow the steps, breaches and escalations happen at
the due moment with no page opened, once however many sweepers run, and are told to the right people."""
import threading
from datetime import timedelta

from app import clock
from documents import agenda
from documents.agenda import BREACHED, CANCELLED, MET, RUNNING, Clock, sweep, take_lease
from documents.notifications import APP, Notification, unread_count
from tests.services_support import (freeze_shanghai, make_complaint, make_repair,  # noqa: F401
                                    request_context, shanghai)


def clocks_of(record):
    return {c.kind: c for c in Clock.objects(record_id=record.pk).order_by("round")}


def test_steps_start_and_stop_clocks(world):
    clerk, supervisor = world["staff"]["clerk"], world["staff"]["supervisor"]
    freeze_shanghai(2026, 11, 23, 9, 0)
    complaint = make_complaint(world, complaint_class=1)
    handling = clocks_of(complaint)["complaint_handling"]
    assert handling.state == RUNNING and handling.due_at == shanghai(2026, 11, 23, 13, 0) and handling.open
    complaint.assign(supervisor, "engineering", world["staff"]["housekeeper"])
    assert clocks_of(complaint)["complaint_handling"].responsible.pk == world["staff"]["housekeeper"].pk
    clock.freeze(shanghai(2026, 11, 23, 11, 0))
    complaint.handle(clerk, "已修好")
    clocks = clocks_of(complaint)
    assert clocks["complaint_handling"].state == MET and not clocks["complaint_handling"].open
    assert clocks["complaint_handling"].met_at == shanghai(2026, 11, 23, 11, 0)
    assert clocks["complaint_visit"].state == RUNNING
    assert clocks["complaint_visit"].due_at == shanghai(2026, 11, 26, 11, 0)


def executive():
    """Senior management works for the company: no community of their own."""
    from documents.staff import Staff
    return Staff(username="boss", display_name="高总", roles=["executive"], communities=[]).save()


def test_a_sweep_escalates_at_the_due_moment_and_tells_the_supervisor_with_no_page_opened(world):
    boss = executive()
    freeze_shanghai(2026, 11, 23, 23, 0)
    complaint = make_complaint(world, complaint_class=1)            # due 03:00
    clock.freeze(shanghai(2026, 11, 24, 3, 1))
    sweep()
    complaint.reload()
    assert complaint.escalation_level == 1 and complaint.escalated_at == shanghai(2026, 11, 24, 3, 0)
    supervisor = world["staff"]["supervisor"]
    notes = list(Notification.objects(recipient=supervisor, channel=APP))
    assert [n.message for n in notes] == ["escalate"] and notes[0].created_at == shanghai(2026, 11, 24, 3, 0)
    assert unread_count(supervisor) == 1
    # nobody was assigned: the breach would go to the clock's role, the supervisor, who hears of it once
    assert Notification.objects(message="breach").count() == 0
    assert Notification.objects(recipient=boss).count() == 0
    clock.freeze(shanghai(2026, 11, 26, 3, 1))
    sweep()
    assert Notification.objects(recipient=boss, message="escalate").count() == 1
    assert complaint.reload().escalation_level == 2


def test_two_sweepers_at_once_record_one_escalation_and_send_one_notification(world):
    from documents.audit import AuditEntry
    freeze_shanghai(2026, 11, 23, 9, 0)
    complaint = make_complaint(world, complaint_class=1)
    clock.freeze(shanghai(2026, 11, 23, 13, 30))
    barrier = threading.Barrier(2)
    reports = []

    def run(name):
        barrier.wait()
        reports.append(sweep(holder=name))
    threads = [threading.Thread(target=run, args=(f"sweeper-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.escalated for r in reports) == 1
    assert AuditEntry.objects(record_id=str(complaint.pk), action="clock_escalate").count() == 1
    assert Notification.objects(message="escalate", recipient=world["staff"]["supervisor"]).count() == 1


def test_a_second_sweeper_waits_for_the_lease_and_takes_it_once_it_expires(world):
    now = shanghai(2026, 11, 23, 9, 0)
    assert take_lease("sweep", "one", now)
    assert not take_lease("sweep", "two", now + timedelta(seconds=30))
    assert not sweep(now + timedelta(seconds=30), holder="two").ran
    assert take_lease("sweep", "two", now + timedelta(seconds=agenda.LEASE_SECONDS + 1))


def test_without_the_lease_each_effect_still_happens_once(world):
    """Two sweepers that both hold a (stale) view of a due clock: only one takes the breach."""
    freeze_shanghai(2026, 11, 23, 9, 0)
    complaint = make_complaint(world, complaint_class=1)
    clock.freeze(shanghai(2026, 11, 23, 14, 0))
    stale = Clock.objects(record_id=complaint.pk).first()
    complaint.assign(world["staff"]["supervisor"], "cleaning", world["staff"]["housekeeper"])
    stale = Clock.objects(record_id=complaint.pk).first()
    assert agenda._advance(stale) is not None
    assert agenda._advance(stale) is None                       # its version is gone
    agenda._carry_out(Clock.objects(pk=stale.pk).first())
    agenda._carry_out(Clock.objects(pk=stale.pk).first())       # nothing is left to do twice
    assert Notification.objects(message="breach", recipient=world["staff"]["housekeeper"]).count() == 1


def test_a_sweeper_that_dies_after_taking_an_effect_leaves_it_for_the_next(world, monkeypatch):
    from documents import notifications
    freeze_shanghai(2026, 11, 23, 9, 0)
    complaint = make_complaint(world, complaint_class=1)
    clock.freeze(shanghai(2026, 11, 23, 14, 0))

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")
    monkeypatch.setattr(notifications, "notify_clock_event", crash)
    try:
        sweep(holder="dies")
    except RuntimeError:
        pass
    monkeypatch.undo()
    assert Clock.objects(record_id=complaint.pk).first().pending      # the effect waits on the clock
    clock.freeze(shanghai(2026, 11, 23, 14, 5))
    sweep(holder="next")
    assert Notification.objects(message="escalate").count() == 1
    assert complaint.reload().escalation_level == 1
    from documents.audit import AuditEntry
    assert AuditEntry.objects(record_id=str(complaint.pk), action="clock_breach").count() == 1


def test_reclassifying_after_the_deadline_keeps_the_breach(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    complaint = make_complaint(world, complaint_class=1)
    clock.freeze(shanghai(2026, 11, 23, 14, 0))
    sweep()
    complaint.reload()
    complaint.complaint_class = 3                                  # now due in 3 days
    complaint.save_versioned(complaint.version)
    handling = clocks_of(complaint)["complaint_handling"]
    assert handling.state == BREACHED and handling.breached_at == shanghai(2026, 11, 23, 13, 0)
    assert complaint.reload().escalation_level == 1


def test_a_step_taken_late_before_the_sweeper_ran_is_still_a_breach(world):
    clerk = world["staff"]["clerk"]
    freeze_shanghai(2026, 11, 23, 9, 0)
    repair = make_repair(world, appointment_at=shanghai(2026, 11, 23, 10, 0))
    repair.dispatch(clerk, "王师傅")
    clock.freeze(shanghai(2026, 11, 23, 10, 40))
    repair.arrive(clerk, at=shanghai(2026, 11, 23, 10, 30))
    arrival = clocks_of(repair)["repair_arrival"]
    assert arrival.state == BREACHED and arrival.breached_at == shanghai(2026, 11, 23, 10, 15)


def test_a_cancelled_repair_stops_its_clock_as_cancelled(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    repair = make_repair(world, appointment_at=shanghai(2026, 11, 23, 10, 0))
    repair.cancel(world["staff"]["supervisor"], "业主自行修好")
    assert clocks_of(repair)["repair_arrival"].state == CANCELLED
    clock.freeze(shanghai(2026, 11, 24, 10, 0))
    assert sweep().breached == 0


def test_a_late_technician_is_told_to_the_front_desk_and_the_supervisor(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    repair = make_repair(world, appointment_at=shanghai(2026, 11, 23, 10, 0))
    repair.dispatch(world["staff"]["clerk"], "王师傅")
    clock.freeze(shanghai(2026, 11, 23, 10, 16))
    report = sweep()
    assert report.breached == 1 and report.escalated == 1
    assert Notification.objects(message="breach", recipient=world["staff"]["clerk"]).count() == 1
    assert Notification.objects(message="escalate", recipient=world["staff"]["supervisor"]).count() == 1
    # staff of the other community hear nothing
    assert Notification.objects(recipient=world["staff"]["clerk_b"]).count() == 0


def test_notification_text_in_the_readers_language(world, app):
    from flask_babel import force_locale
    freeze_shanghai(2026, 11, 23, 9, 0)
    complaint = make_complaint(world, complaint_class=1)
    clock.freeze(shanghai(2026, 11, 23, 14, 0))
    sweep()
    note = Notification.objects(message="escalate", recipient=world["staff"]["supervisor"]).first()
    with app.test_request_context():
        with force_locale("en"):
            english = note.text()
        with force_locale("zh_Hans_CN"):
            chinese = note.text()
    assert complaint.number in english and "2026-11-23 13:00" in english and "Supervisor" in english
    assert complaint.number in chinese and "2026-11-23 13:00" in chinese and "主管" in chinese


def test_renovation_patrols_are_a_recurring_clock(world):
    from tests.renovations_support import file_in_state
    freeze_shanghai(2026, 11, 23, 9, 0)
    renovation = file_in_state(world, "in_progress")
    first = [c for c in Clock.objects(record_id=renovation.pk, kind="renovation_patrol")]
    assert len(first) == 1 and first[0].state == RUNNING
    assert first[0].responsible.pk == world["staff"]["housekeeper"].pk
    renovation.log_patrol(world["staff"]["housekeeper"], findings="正常")
    rounds = list(Clock.objects(record_id=renovation.pk, kind="renovation_patrol").order_by("round"))
    assert [c.state for c in rounds] == [MET, RUNNING]


def test_records_open_before_the_agenda_existed_get_their_clocks_on_the_first_sweep(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    complaint = make_complaint(world, complaint_class=1)
    Clock.objects.delete()                                         # as in a store of an older release
    clock.freeze(shanghai(2026, 11, 23, 14, 0))
    report = sweep()
    assert report.escalated == 1 and complaint.reload().escalation_level == 1
    assert Clock.objects(record_id=complaint.pk).count() == 1
    Clock.objects.delete()
    sweep()                                                        # only once per store
    assert Clock.objects.count() == 0

"""Information feedback and liaison slips: the register, who signs, and each clock at its boundary."""
import pytest
from mongoengine import ValidationError

from app import clock
from documents.agenda import BREACHED, MET, RUNNING, Clock, sweep
from documents.base import DomainError, PermissionDenied
from documents.feedback import FeedbackEntry, LiaisonSlip
from documents.workflow import flatten_errors
from tests.services_support import freeze_shanghai, request_context, shanghai  # noqa: F401


def clocks_of(record):
    return {c.kind: c for c in Clock.objects(record_id=record.pk).order_by("round")}


def make_entry(world, **fields):
    data = dict(community=world["A"], room=world["rooms"]["A"]["1-1-101"], source="staff",
                passed_on_by=world["staff"]["housekeeper"], content="3号楼电梯按钮失灵，住户反映",
                registered_by=world["staff"]["clerk"])
    data.update(fields)
    return FeedbackEntry(**data).save_versioned(None)


def make_slip(world, **fields):
    data = dict(community=world["A"], department="engineering", matter="请检修3号楼电梯按钮",
                issued_by=world["staff"]["clerk"])
    data.update(fields)
    return LiaisonSlip(**data).save_versioned(None)


def test_an_entry_is_numbered_linked_to_the_household_and_answered_within_24_hours(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    entry = make_entry(world)
    assert entry.number.startswith("FK20261123-") and entry.household.pk == world["hh_a"].pk
    answer = clocks_of(entry)["feedback_answer"]
    assert answer.state == RUNNING and answer.due_at == shanghai(2026, 11, 24, 9, 0)
    clock.freeze(shanghai(2026, 11, 24, 9, 0))           # at the boundary: still in time
    entry.answer_resident(world["staff"]["clerk"], "已通知工程部，今天下午维修")
    assert entry.state == "answered" and entry.answered_by.pk == world["staff"]["clerk"].pk
    assert clocks_of(entry)["feedback_answer"].state == MET


def test_an_answer_a_minute_late_is_a_breach_the_supervisor_hears_of(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    entry = make_entry(world)
    clock.freeze(shanghai(2026, 11, 24, 9, 1))
    sweep()
    assert clocks_of(entry)["feedback_answer"].state == BREACHED
    entry.answer_resident(world["staff"]["clerk"], "已处理")
    assert clocks_of(entry)["feedback_answer"].state == BREACHED       # a recorded fact stays


def test_a_major_matter_has_48_hours_and_is_reported_to_management_first(world):
    clerk = world["staff"]["clerk"]
    freeze_shanghai(2026, 11, 23, 9, 0)
    entry = make_entry(world, major=True)
    assert entry.answer_due_at == shanghai(2026, 11, 25, 9, 0)
    with pytest.raises(DomainError, match="reported to management before"):
        entry.answer_resident(clerk, "已处理")
    ordinary = make_entry(world)
    with pytest.raises(DomainError, match="Only a major matter"):
        ordinary.report_to_management(clerk, "x")
    entry.report_to_management(clerk, "电梯故障影响整栋楼，请管理处协调")
    assert entry.state == "open" and entry.reported_by.pk == clerk.pk
    with pytest.raises(DomainError, match="already been reported"):
        entry.report_to_management(clerk, "again")
    clock.freeze(shanghai(2026, 11, 25, 9, 0))
    entry.answer_resident(clerk, "电梯已修复")
    assert clocks_of(entry)["feedback_answer"].state == MET


def test_a_slip_without_department_or_with_a_past_reply_time_is_refused_and_nothing_saved(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    with pytest.raises(ValidationError) as err:
        make_slip(world, department=None, due_at=shanghai(2026, 11, 23, 8, 0))
    errors = dict(flatten_errors(err.value))
    assert set(errors) == {"department", "due_at"} and "department" in errors["department"]
    assert LiaisonSlip.objects.count() == 0


def test_a_slip_is_replied_within_24_hours_unless_it_names_another_time(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    slip = make_slip(world)
    assert slip.number.startswith("LX20261123-")
    assert clocks_of(slip)["slip_reply"].due_at == shanghai(2026, 11, 24, 9, 0)
    urgent = make_slip(world, due_at=shanghai(2026, 11, 23, 12, 0))
    assert clocks_of(urgent)["slip_reply"].due_at == shanghai(2026, 11, 23, 12, 0)
    housekeeper = world["staff"]["housekeeper"]
    slip.sign(housekeeper)
    clock.freeze(shanghai(2026, 11, 24, 9, 0))
    slip.answer(housekeeper, "已修好")
    assert clocks_of(slip)["slip_reply"].state == MET
    clock.freeze(shanghai(2026, 11, 23, 12, 1))
    sweep()
    assert clocks_of(urgent)["slip_reply"].state == BREACHED


def test_whoever_takes_the_slip_signs_for_it_and_nobody_signs_for_another(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    housekeeper, clerk = world["staff"]["housekeeper"], world["staff"]["clerk"]
    slip = make_slip(world, addressee=housekeeper)
    with pytest.raises(PermissionDenied, match="housekeeper A"):
        slip.sign(clerk)
    slip.sign(housekeeper)
    assert slip.signed_by.pk == housekeeper.pk and slip.signed_at == shanghai(2026, 11, 23, 9, 0)
    with pytest.raises(PermissionDenied, match="who signed"):
        slip.answer(clerk, "代回复")
    open_slip = make_slip(world)
    open_slip.sign(clerk)                     # no addressee: whoever takes it signs, as themselves
    assert open_slip.signed_by.pk == clerk.pk


def test_a_signed_slip_is_what_was_signed_for(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    slip = make_slip(world)
    slip.matter = "先改一下内容"
    slip.save()                               # still issued: the clerk may correct it
    slip.sign(world["staff"]["housekeeper"])
    slip.reload()
    slip.matter = "签收后改内容"
    with pytest.raises(DomainError, match="signed for"):
        slip.save()
    assert LiaisonSlip.objects.get(pk=slip.pk).matter == "先改一下内容"


def test_a_slip_for_the_superior_is_reported_up_within_2_hours_and_answered_within_24(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    housekeeper = world["staff"]["housekeeper"]
    slip = make_slip(world)
    slip.sign(housekeeper, needs_superior=True)
    assert clocks_of(slip)["slip_report_up"].due_at == shanghai(2026, 11, 23, 11, 0)
    clock.freeze(shanghai(2026, 11, 23, 11, 0))
    slip.report_up(housekeeper, "工程部经理")
    clocks = clocks_of(slip)
    assert clocks["slip_report_up"].state == MET
    assert clocks["slip_superior_answer"].due_at == shanghai(2026, 11, 24, 11, 0)
    clock.freeze(shanghai(2026, 11, 24, 11, 1))
    sweep()
    assert clocks_of(slip)["slip_superior_answer"].state == BREACHED


def test_a_report_up_a_minute_late_is_a_breach(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    housekeeper = world["staff"]["housekeeper"]
    slip = make_slip(world)
    slip.sign(housekeeper, needs_superior=True)
    clock.freeze(shanghai(2026, 11, 23, 11, 1))
    slip.report_up(housekeeper, "工程部经理")
    assert clocks_of(slip)["slip_report_up"].state == BREACHED


def test_a_class_1_complaint_is_closed_only_once_its_case_analysis_is_written(world):
    from documents.complaints import Complaint
    from tests.services_support import make_complaint
    supervisor, clerk = world["staff"]["supervisor"], world["staff"]["clerk"]
    freeze_shanghai(2026, 11, 23, 9, 0)
    complaint = make_complaint(world, complaint_class=1)
    complaint.assign(supervisor, "cleaning")
    complaint.handle(clerk, "已清理")
    assert not complaint.allows("close", supervisor)
    with pytest.raises(DomainError, match="case analysis"):
        complaint.close(supervisor, "unreachable")
    assert complaint.reload().state == "handled"
    Complaint.objects(pk=complaint.pk).update_one(set__case_analysis="保洁排班漏了3号楼，已调整并培训")
    complaint.reload().close(supervisor, "unreachable")
    assert complaint.state == "closed"
    other = make_complaint(world, complaint_class=2)           # class 2 needs no case analysis
    other.assign(supervisor, "engineering")
    other.handle(clerk, "已报保修")
    assert other.close(supervisor, "unreachable").state == "closed"


# --- complaint relays (003 §4.2) ---

def make_relay(world, complaint, **fields):
    from documents.feedback import ComplaintRelay
    data = dict(complaint=complaint, received_by=world["staff"]["housekeeper"], received_at=clock.now())
    data.update(fields)
    return ComplaintRelay(**data).save_versioned(None)


def test_a_phoned_complaint_relayed_within_the_hour_is_in_time_and_a_late_one_stays_flagged(world):
    from tests.services_support import make_complaint
    freeze_shanghai(2026, 11, 23, 10, 0)
    complaint = make_complaint(world, channel="phone")
    in_time = make_relay(world, complaint, received_at=shanghai(2026, 11, 23, 9, 0),
                         relayed_at=shanghai(2026, 11, 23, 10, 0))              # exactly 1 h: in time
    assert in_time.relay_late is False and in_time.community.pk == world["A"].pk
    late_complaint = make_complaint(world, channel="letter")
    late = make_relay(world, late_complaint, received_at=shanghai(2026, 11, 23, 8, 0),
                      relayed_at=shanghai(2026, 11, 23, 9, 1))
    assert late.relay_late is True
    late.relayed_at = shanghai(2026, 11, 23, 8, 30)          # an edit does not undo a recorded fact
    late.save_versioned(late.version)
    assert late.reload().relay_late is True


def test_a_relay_before_the_reception_or_without_its_time_is_refused_and_nothing_saved(world):
    from documents.feedback import ComplaintRelay
    from tests.services_support import make_complaint
    freeze_shanghai(2026, 11, 23, 10, 0)
    complaint = make_complaint(world, channel="email")
    with pytest.raises(ValidationError) as err:
        make_relay(world, complaint, received_at=shanghai(2026, 11, 23, 9, 0), relayed_at=shanghai(2026, 11, 23, 8, 0))
    assert "before the complaint was received (2026-11-23 09:00)" in dict(flatten_errors(err.value))["relayed_at"]
    with pytest.raises(ValidationError) as err:
        make_relay(world, complaint, received_at=shanghai(2026, 11, 23, 9, 0))
    assert "relayed_at" in dict(flatten_errors(err.value))
    assert ComplaintRelay.objects.count() == 0


def test_a_face_to_face_complaint_not_solved_on_the_spot_is_told_to_the_superior_within_2_hours(world):
    from tests.services_support import make_complaint
    freeze_shanghai(2026, 11, 23, 9, 0)
    housekeeper = world["staff"]["housekeeper"]
    relay = make_relay(world, make_complaint(world, channel="face_to_face"))
    assert clocks_of(relay)["complaint_superior_told"].due_at == shanghai(2026, 11, 23, 11, 0)
    clock.freeze(shanghai(2026, 11, 23, 11, 0))
    relay.tell_superior(housekeeper, "客服主管王经理")
    assert clocks_of(relay)["complaint_superior_told"].state == MET
    with pytest.raises(DomainError, match="Superior told"):
        relay.tell_superior(housekeeper, "again")
    freeze_shanghai(2026, 11, 23, 9, 0)
    late = make_relay(world, make_complaint(world, channel="face_to_face"))
    clock.freeze(shanghai(2026, 11, 23, 11, 1))
    sweep()
    assert clocks_of(late)["complaint_superior_told"].state == BREACHED
    solved = make_relay(world, make_complaint(world, channel="face_to_face"), solved_on_spot=True)
    assert "complaint_superior_told" not in clocks_of(solved)


def test_a_hard_or_higher_up_complaint_names_the_department_head_told_at_once(world):
    from tests.services_support import make_complaint
    freeze_shanghai(2026, 11, 23, 9, 0)
    with pytest.raises(ValidationError) as err:
        make_relay(world, make_complaint(world, channel="phone"), relayed_at=clock.now(), raised_to="government")
    assert "department head at once" in dict(flatten_errors(err.value))["head"]
    relay = make_relay(world, make_complaint(world, channel="phone"), relayed_at=clock.now(), hard=True,
                       head="客服部李部长")
    assert relay.head_told_at == shanghai(2026, 11, 23, 9, 0)


def test_each_handling_line_carries_its_writers_name_and_date(world):
    from tests.services_support import make_complaint
    freeze_shanghai(2026, 11, 23, 9, 0)
    relay = make_relay(world, make_complaint(world, channel="face_to_face"), solved_on_spot=True)
    relay.write_line(world["staff"]["housekeeper"], "上门查看，楼道灯已换")
    clock.freeze(shanghai(2026, 11, 23, 15, 0))
    relay.write_line(world["staff"]["clerk"], "电话回访，业主满意")
    lines = relay.reload().lines
    assert [(line.written_by_name, line.written_at) for line in lines] == [
        ("housekeeper A", shanghai(2026, 11, 23, 9, 0)), ("clerk A", shanghai(2026, 11, 23, 15, 0))]


def test_a_class_2_complaint_links_the_warranty_repair_it_became(world):
    from tests.services_support import make_complaint, make_repair
    freeze_shanghai(2026, 11, 23, 9, 0)
    clerk = world["staff"]["clerk"]
    relay = make_relay(world, make_complaint(world, complaint_class=2, channel="phone"), relayed_at=clock.now())
    repair = make_repair(world)
    relay.link_repair(clerk, repair)
    assert relay.reload().warranty_repair.pk == repair.pk
    class_1 = make_relay(world, make_complaint(world, complaint_class=1, channel="phone"), relayed_at=clock.now())
    with pytest.raises(DomainError, match="class 2"):
        class_1.link_repair(clerk, repair)


def test_an_entry_is_on_its_households_timeline(world):
    from documents import timeline
    freeze_shanghai(2026, 11, 23, 9, 0)
    entry = make_entry(world)
    items = [item for item in timeline.for_household(world["hh_a"]) if entry.number in item.title]
    assert len(items) == 1 and items[0].kind == "Information feedback" and items[0].at == entry.received_at
    assert items[0].endpoint == "feedback.details_view"

"""Transitions of repairs and complaints: states, roles, communities, money, visits, handover."""
from decimal import Decimal

import pytest

from app import clock
from documents.agenda import sweep
from documents.audit import AuditEntry
from documents.base import DomainError, PermissionDenied
from documents.files import read_stored
from documents.handover import Handover, open_counts, open_items, write_handover
from documents.places import Building
from documents.repairs import Repair, RepairSignature, add_photo
from documents.visits import Visit, log_visit
from tests.services_support import (completed_repair, freeze_shanghai, make_complaint, make_repair,  # noqa: F401
                              request_context, shanghai)


#: the smallest PNG: one transparent pixel (what a signature pad posts, decoded)
PNG_DOT = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6300010000050001 0d0a2db40000000049454e44ae426082".replace(" ", ""))


def staff(world, name):
    return world["staff"][name]


# --- numbering and registration ---

def test_numbers_are_daily_sequences_in_local_time(world):
    freeze_shanghai(2026, 3, 11, 23, 59)
    first, second = make_repair(world), make_repair(world, room="1-1-102")
    clock.freeze(shanghai(2026, 3, 12, 0, 1))
    third = make_repair(world)
    assert (first.number, second.number, third.number) == ("BX20260311-001", "BX20260311-002",
                                                           "BX20260312-001")


def test_registration_links_the_current_household_and_resident(world):
    repair = make_repair(world)
    assert repair.household.pk == world["hh_a"].pk and repair.resident_name == "张伟"
    assert repair.room_code == "1-1-101" and repair.building_no == "1" and repair.state == "reported"


def test_room_of_another_community_is_refused(world):
    from mongoengine import ValidationError
    with pytest.raises(ValidationError):
        make_repair(world, room=world["rooms"]["B"]["1-1-101"])


def test_public_area_repair_needs_the_area(world):
    from mongoengine import ValidationError
    with pytest.raises(ValidationError) as err:
        make_repair(world, location="public", room=None, public_area=" ")
    from documents.workflow import flatten_errors
    assert flatten_errors(err.value)[0][0] == "public_building"
    repair = make_repair(world, location="public", room=None, public_area="3栋大堂")
    assert repair.household is None and repair.room_code is None


# --- illegal transitions and roles ---

def test_illegal_transitions_are_refused_with_a_message(world):
    clerk = staff(world, "clerk")
    repair = make_repair(world)
    with pytest.raises(DomainError) as err:
        repair.arrive(clerk)
    assert "(Arrived) is not possible" in err.value.message and "“Reported”" in err.value.message
    assert "Dispatch the work order first." in err.value.message        # what must happen first
    with pytest.raises(DomainError):
        repair.complete(clerk, "done")
    with pytest.raises(DomainError):
        repair.sign_off(clerk, 5, paper_order_no="P-001")
    assert repair.reload().state == "reported"
    complaint = make_complaint(world)
    with pytest.raises(DomainError) as err:
        complaint.handle(clerk, "done")
    assert "Received" in err.value.message
    assert not AuditEntry.objects(action__in=["arrive", "complete", "sign_off", "handle"]).count()


def test_roles_are_enforced_in_the_rules(world):
    repair = make_repair(world)
    for name in ("housekeeper", "cashier", "culture"):
        with pytest.raises(PermissionDenied):
            repair.dispatch(staff(world, name), "王师傅")
    with pytest.raises(PermissionDenied):                 # another community's clerk
        repair.dispatch(staff(world, "clerk_b"), "王师傅")
    repair.dispatch(staff(world, "clerk"), "王师傅")
    with pytest.raises(PermissionDenied):                 # only supervisor/manager cancel
        repair.cancel(staff(world, "clerk"), "录错了")
    complaint = make_complaint(world, case_analysis="物业服务疏漏：已培训")   # class 1: closed only with it
    with pytest.raises(PermissionDenied):                 # the clerk registers; the supervisor assigns
        complaint.assign(staff(world, "clerk"), "engineering")
    complaint.assign(staff(world, "supervisor"), "engineering", staff(world, "manager"))
    with pytest.raises(PermissionDenied):                 # a housekeeper handles only their own
        complaint.handle(staff(world, "housekeeper"), "处理了")
    complaint.assign(staff(world, "supervisor"), "engineering", staff(world, "housekeeper"))
    complaint.handle(staff(world, "housekeeper"), "处理了")
    with pytest.raises(PermissionDenied):
        complaint.close(staff(world, "clerk"), "unreachable")
    complaint.close(staff(world, "supervisor"), "unreachable")
    assert complaint.state == "closed" and complaint.closed_at is not None


def test_a_transition_applies_once_even_from_two_stale_copies(world):
    repair = make_repair(world)
    first, second = Repair.objects.get(pk=repair.pk), Repair.objects.get(pk=repair.pk)
    first.dispatch(staff(world, "clerk"), "王师傅")
    with pytest.raises(DomainError) as err:
        second.dispatch(staff(world, "supervisor"), "李师傅")    # read before the first was written
    assert "Someone else has just moved this record on" in err.value.message
    repair.reload()
    assert repair.technician == "王师傅" and repair.version == 2
    assert AuditEntry.objects(record_id=str(repair.pk), action="dispatch").count() == 1


def test_the_write_itself_is_conditional(world):
    """Even if the in-memory state says 'reported', the database decides."""
    repair = make_repair(world)
    Repair.objects(pk=repair.pk).update_one(set__state="dispatched")   # someone else, meanwhile
    with pytest.raises(DomainError) as err:
        repair.dispatch(staff(world, "clerk"), "王师傅")
    assert "Someone else has just moved this record on" in err.value.message
    assert "nothing was changed" in err.value.message
    assert repair.reload().technician is None


def test_every_step_is_audit_logged_with_its_changes(world):
    repair = completed_repair(world)
    actions = list(AuditEntry.objects(record_id=str(repair.pk)).order_by("at").scalar("action"))
    assert actions == ["dispatch", "arrive", "complete"]
    entry = AuditEntry.objects(record_id=str(repair.pk), action="complete").first()
    fields = {c.field: c.new for c in entry.changes}
    assert fields["state"] == "completed" and fields["total"] == "55.50" and entry.actor_name == "clerk"


def test_sign_off_rules_room_and_public_area(world):
    """The resident signs (on screen or on paper) and rates; nobody signs for the resident."""
    repair = completed_repair(world)
    clerk = staff(world, "clerk")
    with pytest.raises(DomainError) as err:
        repair.sign_off(clerk, 5)                                   # no signature, no paper order
    assert err.value.field == "signature" and "paper work order" in err.value.message
    with pytest.raises(DomainError):
        repair.sign_off(clerk, None, paper_order_no="P-001")
    with pytest.raises(DomainError):
        repair.sign_off(clerk, 6, paper_order_no="P-001")
    with pytest.raises(DomainError):                                # not a PNG: nothing stored
        repair.sign_off(clerk, 4, signature=b"GIF89a...")
    assert RepairSignature.objects.count() == 0 and repair.reload().state == "completed"
    repair.sign_off(clerk, 4, "师傅很专业", signature=PNG_DOT)
    assert (repair.state, repair.signed_by, repair.satisfaction) == ("signed_off", "张伟", 4)
    assert read_stored(repair.signature.file) == PNG_DOT and repair.signature.signer == "张伟"
    paper = completed_repair(world, room="1-1-102")
    paper.sign_off(clerk, 5, paper_order_no=" P-0042 ", signed_by="李娜")
    assert (paper.paper_order_no, paper.signed_by, paper.signature) == ("P-0042", "李娜", None)


def test_a_public_area_is_a_building_and_a_place_confirmed_by_its_housekeeper(world):
    from mongoengine import ValidationError
    with pytest.raises(ValidationError):
        make_repair(world, location="public", room=None, public_place="lobby")       # which building?
    building = Building.objects(community=world["A"], number="1").first()
    public = completed_repair(world, location="public", room=None, public_building=building,
                              public_place="lift")
    assert public.building_no == "1" and public.public_area == "1栋 电梯" and public.area_text == "Building 1 · Lift"
    with pytest.raises(PermissionDenied):                   # the clerk may sign off, but not for a building
        public.sign_off(staff(world, "clerk"), 5)
    public.sign_off(staff(world, "housekeeper"), 5)          # looks after building 1
    assert public.signed_by_staff.pk == staff(world, "housekeeper").pk and public.signed_by == "housekeeper A"
    other = Building.objects(community=world["A"], number__ne="1").first()
    if other is not None:
        elsewhere = completed_repair(world, location="public", room=None, public_building=other,
                                     public_place="roof")
        assert "building %s" % other.number in staff_refusal(elsewhere, staff(world, "housekeeper"))
    old = make_repair(world, location="public", room=None, public_area="3栋大堂")      # an older record
    assert old.area_text == "3栋大堂" and old.household is None


def staff_refusal(record, user):
    return record.why_not("sign_off", user) or ""


# --- money ---

def test_material_totals_are_exact_to_the_cent(world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    clerk = staff(world, "clerk")
    repair = make_repair(world)
    repair.dispatch(clerk, "王师傅")
    repair.arrive(clerk)
    lines = [{"name": "垫片", "quantity": "3", "unit_price": "0.10"},          # float: 0.30000000000000004
             {"name": "PPR管", "spec": "DN20", "quantity": "1.5", "unit_price": "12.35"},   # 18.525 -> 18.53
             {"name": "生料带", "quantity": Decimal("10"), "unit_price": Decimal("0.1")}]   # 1.00
    repair.complete(clerk, "更换管件", lines, labour="30")
    repair = Repair.objects.get(pk=repair.pk)      # as read back from the store
    assert [m.line_total for m in repair.materials] == [Decimal("0.30"), Decimal("18.53"), Decimal("1.00")]
    assert repair.materials_total == Decimal("19.83")
    assert repair.labour == Decimal("30.00")
    assert repair.total == Decimal("49.83") and isinstance(repair.total, Decimal)
    assert str(repair.total) == "49.83"


def test_negative_quantity_or_price_is_refused(world):
    clerk = staff(world, "clerk")
    repair = make_repair(world)
    repair.dispatch(clerk, "王师傅")
    repair.arrive(clerk)
    with pytest.raises(DomainError):
        repair.complete(clerk, "x", [{"name": "阀门", "quantity": "1", "unit_price": "-5"}])
    with pytest.raises(DomainError):
        repair.complete(clerk, "x", [{"name": "阀门", "quantity": "0", "unit_price": "5"}])
    assert repair.reload().state == "arrived" and repair.materials == []


# --- visits ---

def test_return_visit_closes_a_repair_once(world):
    repair = completed_repair(world)
    repair.sign_off(staff(world, "clerk"), 5, paper_order_no="P-001")
    visit = log_visit(repair, staff(world, "clerk"), method="phone", resident_said="已经不漏了", satisfaction=5)
    repair.reload()
    assert repair.state == "closed" and repair.visit_satisfaction == 5 and repair.due_at is None
    assert visit.repair.pk == repair.pk and visit.household.pk == world["hh_a"].pk and visit.kind == "return"
    with pytest.raises(DomainError):          # a double submit finds it closed
        log_visit(Repair.objects.get(pk=repair.pk), staff(world, "clerk"), resident_said="x", satisfaction=5)
    assert Visit.objects(repair=repair).count() == 1


def test_return_visit_before_completion_is_refused(world):
    repair = make_repair(world)
    with pytest.raises(DomainError):
        log_visit(repair, staff(world, "clerk"), resident_said="还没修", satisfaction=2)
    assert Visit.objects.count() == 0 and repair.reload().state == "reported"


def test_return_visit_closes_a_handled_complaint(world):
    complaint = make_complaint(world, case_analysis="物业服务疏漏：已培训")   # class 1: closed only with it
    complaint.assign(staff(world, "supervisor"), "cleaning")
    complaint.handle(staff(world, "clerk"), "已处理")
    log_visit(complaint, staff(world, "housekeeper"), method="on_site", resident_said="满意", satisfaction=4)
    assert complaint.reload().state == "closed" and complaint.visit_satisfaction == 4


def test_visit_to_a_household_with_follow_up_opens_a_repair(world):
    household = world["hh_a"]
    visit = log_visit(household, staff(world, "housekeeper"), submission_key="k-1", method="on_site",
                      resident_said="阳台门关不严", satisfaction=3, follow_up_needed=True,
                      follow_up_kind="repair", follow_up_note="阳台门需要调整")
    assert visit.kind == "proactive" and visit.household.pk == household.pk
    follow_up = visit.follow_up_repair
    assert follow_up.state == "reported" and follow_up.room.pk == household.room.pk
    assert follow_up.origin_visit.pk == visit.pk and follow_up.description == "阳台门需要调整"
    with pytest.raises(DomainError):          # the same form submitted twice
        log_visit(household, staff(world, "housekeeper"), submission_key="k-1", resident_said="x")
    assert Visit.objects.count() == 1 and Repair.objects.count() == 1


def test_visit_rules(world):
    household = world["hh_a"]
    with pytest.raises(PermissionDenied):
        log_visit(household, staff(world, "cashier"), resident_said="x")
    with pytest.raises(PermissionDenied):
        log_visit(household, staff(world, "clerk_b"), resident_said="x")
    with pytest.raises(PermissionDenied):     # a housekeeper may not open complaints
        log_visit(household, staff(world, "housekeeper"), resident_said="x", follow_up_needed=True,
                  follow_up_kind="complaint", follow_up_note="y")
    with pytest.raises(DomainError) as err:
        log_visit(household, staff(world, "clerk"), resident_said="x", follow_up_needed=True)
    assert err.value.field == "follow_up_kind"
    repair = completed_repair(world)
    with pytest.raises(DomainError) as err:   # a return visit needs the satisfaction rating
        log_visit(repair, staff(world, "clerk"), resident_said="ok")
    assert err.value.field == "satisfaction" and repair.reload().state == "completed"
    assert Visit.objects.count() == 0


# --- photos ---

def test_photos_must_be_pictures(world):
    repair = make_repair(world)
    with pytest.raises(DomainError):
        add_photo(repair, b"<script>alert(1)</script>", "x.png", staff(world, "clerk"))
    with pytest.raises(DomainError, match="not a readable image"):   # a PNG's first bytes only
        add_photo(repair, b"\x89PNG\r\n\x1a\n" + b"0" * 100, "leak.png", staff(world, "clerk"))
    from tests.support import PNG
    photo = add_photo(repair, PNG, "leak.png", staff(world, "clerk"))
    assert photo.content_type == "image/png" and photo.file.read() == PNG


# --- handover ---

def test_handover_lists_open_work_and_is_acknowledged_once_by_the_next_shift(world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    late = make_repair(world, appointment_at=shanghai(2026, 3, 11, 8, 0))
    closed = completed_repair(world, room="1-1-102")
    closed.close(staff(world, "supervisor"), "unreachable")
    complaint = make_complaint(world, complaint_class=3)
    sweep()                                                       # the agenda finds the late arrival
    repairs, complaints = open_items([world["A"].pk], "repair"), open_items([world["A"].pk], "complaint")
    assert [i.record.number for i in repairs] == [late.number] and repairs[0].late is True
    assert [i.record.number for i in complaints] == [complaint.number] and complaints[0].late is False
    assert [(c.kind, c.open, c.late) for c in open_counts([world["A"].pk])] == [("repair", 1, 1), ("complaint", 1, 0)]
    handover = write_handover(world["A"], staff(world, "clerk"), "day", "3栋电梯维保，下午复查")
    assert [i.number for i in handover.items] == [late.number, complaint.number]
    assert (handover.open_total, handover.late_total) == (2, 1)
    with pytest.raises(DomainError):
        handover.acknowledge(staff(world, "clerk"))               # not the writer
    handover.acknowledge(staff(world, "supervisor"))
    with pytest.raises(DomainError):
        Handover.objects.get(pk=handover.pk).acknowledge(staff(world, "housekeeper"))
    handover.reload()
    assert handover.acknowledged_by.pk == staff(world, "supervisor").pk
    with pytest.raises(PermissionDenied):
        write_handover(world["A"], staff(world, "cashier"), "day", "x")


def test_the_open_list_pages_through_dated_then_undated_items(world):
    """A page reads at most one page of records; items with a deadline (soonest first) come before
    those without one, across the page boundary."""
    freeze_shanghai(2026, 3, 11, 9, 0)
    clerk = staff(world, "clerk")
    dated = [make_repair(world, appointment_at=shanghai(2026, 3, 11, 10 + n, 0)) for n in range(3)]
    undated = []
    for _ in range(2):
        repair = make_repair(world, appointment_at=shanghai(2026, 3, 11, 8, 0))
        repair.dispatch(clerk, "王师傅")
        repair.arrive(clerk, shanghai(2026, 3, 11, 9, 0))         # on site: no deadline until done
        undated.append(repair)
    ids = [world["A"].pk]
    pages = [[i.record.number for i in open_items(ids, "repair", offset=o, limit=2)] for o in (0, 2, 4)]
    assert pages == [[dated[0].number, dated[1].number], [dated[2].number, undated[0].number],
                     [undated[1].number]]
    clock.freeze(shanghai(2026, 3, 11, 11, 30))
    sweep()
    assert [i.record.number for i in open_items(ids, "repair", late_only=True)] == [dated[0].number, dated[1].number]


def test_times_are_checked_to_the_minute(world):
    clerk = staff(world, "clerk")
    clock.freeze(shanghai(2026, 3, 11, 10, 5, 40))
    repair = make_repair(world)
    repair.dispatch(clerk, "王师傅")
    with pytest.raises(DomainError) as err:
        repair.arrive(clerk, shanghai(2026, 3, 11, 10, 4))
    assert err.value.field == "at"
    with pytest.raises(DomainError):
        repair.arrive(clerk, shanghai(2026, 3, 11, 10, 30))        # in the future
    repair.arrive(clerk, shanghai(2026, 3, 11, 10, 5))            # the form's minute of the dispatch
    assert repair.state == "arrived"


# --- on the workflow engine ---

def test_offered_steps_follow_role_state_and_the_handler_rule(world):
    repair = make_repair(world)
    assert repair.offered_steps(staff(world, "clerk")) == ["dispatch"]
    assert repair.offered_steps(staff(world, "supervisor")) == ["dispatch", "cancel"]
    assert repair.offered_steps(staff(world, "housekeeper")) == []
    assert repair.offered_steps(staff(world, "clerk_b")) == []          # another community
    complaint = make_complaint(world)
    complaint.assign(staff(world, "supervisor"), "cleaning", staff(world, "manager"))
    keeper = staff(world, "housekeeper")
    assert not complaint.offers("handle", keeper)                     # given to someone else
    assert complaint.why_not("handle", keeper) == \
        "You may only record the handling of complaints given to you."
    assert complaint.offers("handle", staff(world, "clerk"))          # the front desk records any
    complaint.assign(staff(world, "supervisor"), "cleaning", keeper)
    assert complaint.offered_steps(keeper) == ["handle"]


def test_numbers_come_from_the_one_sequence_document(world):
    from documents.sequences import Sequence
    freeze_shanghai(2026, 3, 11, 9, 0)
    make_repair(world), make_repair(world, room="1-1-102"), make_complaint(world)
    assert Sequence._get_collection_name() == "counters"               # the numbers already given go on
    assert Sequence.objects.get(key=f"{world['A'].pk}:BX:20260311").value == 2
    assert Sequence.objects.get(key=f"{world['A'].pk}:TS:20260311").value == 1


def test_a_return_visit_is_the_records_step_with_its_own_audit_entry(world):
    from documents import audit
    repair = completed_repair(world)
    repair.sign_off(staff(world, "clerk"), 5, paper_order_no="P-001")
    log_visit(repair, staff(world, "housekeeper"), resident_said="修好了", satisfaction=4)
    entry = AuditEntry.objects.get(record_id=str(repair.pk), action="return_visit")
    assert entry.note == "修好了" and entry.actor_name == "housekeeper"
    assert ("state", "signed_off", "closed") in [(c.field, c.old, c.new) for c in entry.changes]
    assert audit.action_label(entry) == "Return visit"
    assert Repair.objects.get(pk=repair.pk).audit_outbox == []


def test_audit_labels_belong_to_their_area(world):
    from documents import audit
    assert audit.action_label("first_rain", "rain_days") == "First rain recorded"
    assert audit.action_label("rain_visit_due", "repairs") == "Leak visit due after rain"
    assert audit.action_label("escalate_manager", "complaints") == "Escalated to the manager"
    assert audit.action_label("acknowledge", "handovers") == "Acknowledged"
    assert audit.action_label("write_handover", "handovers") == "Handover written"
    assert audit.action_label("cancel", "repairs") == "Cancel"
    assert audit.action_label("assign", "complaints") == "Assign"


def test_a_crash_after_a_repair_step_loses_no_audit_entry(world, monkeypatch):
    from documents import workflow
    repair = make_repair(world)

    def crash(model, pk):
        raise RuntimeError("process killed")
    monkeypatch.setattr(workflow, "deliver_audit", crash)
    with pytest.raises(RuntimeError):
        repair.dispatch(staff(world, "clerk"), "王师傅")
    stored = Repair.objects.get(pk=repair.pk)
    assert stored.state == "dispatched" and [e["action"] for e in stored.audit_outbox] == ["dispatch"]
    monkeypatch.undo()
    assert workflow.deliver_all_audit() == 1
    assert AuditEntry.objects(record_id=str(repair.pk), action="dispatch").count() == 1


def test_actions_outside_a_record_check_role_and_community_the_same_way(world):
    from datetime import date
    with pytest.raises(PermissionDenied) as err:
        log_visit(world["hh_a"], staff(world, "cashier"), resident_said="x")
    assert err.value.message == "Your role does not allow this step: Log visit."
    with pytest.raises(PermissionDenied) as err:
        log_visit(world["hh_a"], staff(world, "clerk_b"), resident_said="x")
    assert "own communities" in err.value.message
    from documents.repairs import RainDay
    with pytest.raises(PermissionDenied) as err:
        RainDay.record(world["A"], date(2026, 1, 1), staff(world, "housekeeper"))
    assert err.value.message == "Your role does not allow this step: First rain recorded."
    with pytest.raises(PermissionDenied):
        write_handover(world["B"], staff(world, "clerk"), "day", "x")
    assert Visit.objects.count() == RainDay.objects.count() == Handover.objects.count() == 0


# --- the handover's one step ---

def test_acknowledging_a_handover_is_a_step_written_once(world):
    from documents import audit
    handover = write_handover(world["A"], staff(world, "clerk"), "night", "")
    assert (handover.state, handover.state_label) == ("written", "Written")
    assert not handover.offers("acknowledge", staff(world, "clerk"))            # the writer
    assert "not its writer" in handover.why_not("acknowledge", staff(world, "clerk"))
    assert not handover.offers("acknowledge", staff(world, "cashier"))          # no right
    first, second = Handover.objects.get(pk=handover.pk), Handover.objects.get(pk=handover.pk)
    first.acknowledge(staff(world, "supervisor"))
    with pytest.raises(DomainError) as err:                                     # read before the first
        second.acknowledge(staff(world, "housekeeper"))
    assert err.value.message == "supervisor A already acknowledged this handover."
    stored = Handover.objects.get(pk=handover.pk)
    assert (stored.state, stored.acknowledged_by_name, stored.version) == ("acknowledged", "supervisor A", 1)
    assert stored.why_not("acknowledge", staff(world, "manager")) == \
        "supervisor A already acknowledged this handover."
    entries = list(AuditEntry.objects(record_id=str(handover.pk), action="acknowledge"))
    assert len(entries) == 1 and audit.action_label(entries[0]) == "Acknowledged"


def test_handovers_written_before_they_had_a_state(world):
    written = write_handover(world["A"], staff(world, "clerk"), "day", "旧记录")
    done = write_handover(world["A"], staff(world, "clerk"), "night", "旧记录")
    Handover.objects(pk=done.pk).update_one(set__acknowledged_at=clock.now(), set__acknowledged_by_name="manager A")
    Handover._get_collection().update_many({}, {"$unset": {"state": "", "version": ""}})
    with pytest.raises(DomainError) as err:
        Handover.objects.get(pk=done.pk).acknowledge(staff(world, "supervisor"))
    assert "manager A already acknowledged" in err.value.message
    Handover.objects.get(pk=written.pk).acknowledge(staff(world, "supervisor"))
    assert Handover.objects.get(pk=written.pk).state == "acknowledged"
    assert Handover.objects.get(pk=done.pk).acknowledged_by_name == "manager A"


# --- facts a person enters, checked against the record's own timeline (browser review 2026-11-27) ---

def test_a_return_visit_is_not_dated_before_the_complaint_was_handled(world):
    freeze_shanghai(2026, 11, 27, 15, 48, 30)
    complaint = make_complaint(world, case_analysis="物业服务疏漏：已培训")   # class 1: closed only with it
    complaint.assign(staff(world, "supervisor"), "cleaning")
    complaint.handle(staff(world, "clerk"), "已处理")
    clock.freeze(shanghai(2026, 11, 28, 9, 0))
    with pytest.raises(DomainError) as err:
        log_visit(complaint, staff(world, "clerk"), visited_at=shanghai(2026, 11, 27, 15, 0),
                  resident_said="满意", satisfaction=5)
    assert err.value.field == "visited_at"
    assert err.value.message == ("The visit cannot be dated before “Handled on” of this record: "
                                 "not before 2026-11-27 15:48.")
    assert complaint.reload().state == "handled" and Visit.objects.count() == 0
    # the minute of the handling itself is allowed (times are typed to the minute)
    log_visit(complaint, staff(world, "clerk"), visited_at=shanghai(2026, 11, 27, 15, 48),
              resident_said="满意", satisfaction=5)
    assert complaint.reload().state == "closed"


def test_a_return_visit_is_not_dated_before_the_repair_was_signed_off(world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    repair = completed_repair(world)
    clock.freeze(shanghai(2026, 3, 11, 11, 30))
    repair.sign_off(staff(world, "clerk"), 5, paper_order_no="P-001")
    with pytest.raises(DomainError) as err:
        log_visit(repair, staff(world, "clerk"), visited_at=shanghai(2026, 3, 11, 10, 0),
                  resident_said="好", satisfaction=5)
    assert err.value.field == "visited_at" and "not before 2026-03-11 11:30" in err.value.message
    assert "“Signed on”" in err.value.message and repair.reload().state == "signed_off"


def test_a_household_visit_is_not_dated_before_the_move_in_day(world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    household = world["hh_a"]                                    # moved in on 2020-05-01
    with pytest.raises(DomainError) as err:
        log_visit(household, staff(world, "housekeeper"), visited_at=shanghai(2020, 4, 30, 10, 0),
                  resident_said="x")
    assert err.value.field == "visited_at" and "not before 2020-05-01 00:00" in err.value.message
    log_visit(household, staff(world, "housekeeper"), visited_at=shanghai(2020, 5, 1, 10, 0), resident_said="x")
    assert Visit.objects.count() == 1


def test_a_step_time_before_the_previous_step_says_the_earliest_time(world):
    clerk = staff(world, "clerk")
    clock.freeze(shanghai(2026, 3, 11, 10, 5, 40))
    repair = make_repair(world)
    repair.dispatch(clerk, "王师傅")
    with pytest.raises(DomainError) as err:
        repair.arrive(clerk, shanghai(2026, 3, 11, 10, 4))
    assert err.value.message == "This time is before the previous step: not before 2026-03-11 10:05."


def test_the_technicians_phone_is_a_mobile_number(world):
    clerk = staff(world, "clerk")
    repair = make_repair(world)
    with pytest.raises(DomainError) as err:
        repair.dispatch(clerk, "王师傅", technician_phone="abc-not-phone")
    assert err.value.field == "technician_phone" and "Not a mainland mobile number" in err.value.message
    assert repair.reload().state == "reported" and repair.technician_phone is None
    repair.dispatch(clerk, "王师傅", technician_phone="135 0000 1111")
    assert repair.reload().technician_phone == "13500001111"


def test_a_refused_material_line_is_named_by_its_number(world):
    clerk = staff(world, "clerk")
    repair = make_repair(world)
    repair.dispatch(clerk, "王师傅")
    repair.arrive(clerk)
    good = {"name": "阀芯", "quantity": "1", "unit_price": "35.50"}
    cases = [({"name": "", "quantity": "1", "unit_price": "1"}, "Material line 2: enter the name of the material."),
             ({"name": "垫片", "quantity": "0", "unit_price": "1"},
              "Material line 2: the quantity must be greater than 0."),
             ({"name": "垫片", "quantity": "abc", "unit_price": "1"},
              "Material line 2: the quantity must be greater than 0."),
             ({"name": "垫片", "quantity": "1", "unit_price": "-0.01"},
              "Material line 2: the unit price must be at least 0.")]
    for line, message in cases:
        with pytest.raises(DomainError) as err:
            repair.complete(clerk, "更换", [good, line])
        assert (err.value.field, err.value.message) == ("materials", message)
    repair.complete(clerk, "更换", [good, {"name": "垫片", "quantity": "2", "unit_price": "0"}])
    assert repair.reload().state == "completed" and str(repair.total) == "35.50"

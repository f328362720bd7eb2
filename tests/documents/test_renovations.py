"""Renovation rules without HTTP: the state machine, permits, patrol due dates, refund, files."""
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from bson.decimal128 import Decimal128
from flask import current_app

from app import clock
from documents import timeline
from documents.audit import AuditEntry
from documents.base import DomainError, PermissionDenied
from documents.money import to_money
from documents.places import Room
from documents.renovations import (MAX_ATTACHMENT_BYTES, DepositRefund, Renovation,
                                   RenovationAttachment, due_patrols, licence_problem,
                                   next_patrol_due, patrol_status)
from tests.renovations_support import NOW, TODAY, file_in_state, licence_no, new_file
from tests.support import PDF, PNG, atomic_store_operations, english_request


@pytest.fixture
def w(app, world):
    """The world, a request context (English messages) and the clock frozen at NOW."""
    clock.freeze(NOW)
    with english_request(app):
        yield world
    clock.freeze(None)


def staff(world, role):
    return world["staff"][role]


def audit_actions(renovation):
    return [e.action for e in AuditEntry.objects(collection="renovations", record_id=str(renovation.pk))
            .order_by("at")]


# --- the happy path -----------------------------------------------------------------------------

def test_whole_path_from_draft_to_archived_with_room_status_audit_and_timeline(w):
    room = w["rooms"]["A"]["1-1-101"]
    assert Room.objects.get(pk=room.pk).status == "occupied"
    r = file_in_state(w, "approved")
    assert r.permit_no == "A-ZX2026-0001" and r.approved_by_name == "supervisor A"
    assert r.deposit_received_on is None and not r.permit_printable   # no cashier has seen money yet
    payment = r.pay_fees(staff(w, "cashier"), "wechat", "张伟")
    assert (payment.receipt_no, payment.total, payment.deposit) == ("A-SF2026-00001", Decimal("3650.00"),
                                                                    Decimal("3000.00"))
    assert r.state == "fees_paid" and r.deposit_received_on == TODAY and r.permit_printable
    r.start(staff(w, "clerk"), "water_electric")
    assert Room.objects.get(pk=room.pk).status == "renovating"
    assert r.next_patrol_due == TODAY  # first patrol on the first day
    r.record_initial_inspection(staff(w, "housekeeper"), notes="完工")
    assert Room.objects.get(pk=room.pk).status == "occupied"  # back to what it was
    r.record_final_inspection(staff(w, "supervisor"), passed=True)
    refund = r.refund(staff(w, "cashier"), "cash", "张伟")
    assert refund.amount == Decimal("3000.00") and refund.receipt_no == "A-TK2026-00001"
    r.archive(staff(w, "clerk"))
    r.reload()
    assert r.state == "archived" and r.refund_receipt_no == "A-TK2026-00001"
    assert audit_actions(r)[-8:] == ["flat_inspection", "approve", "pay_fees", "start", "initial_inspection",
                                     "final_inspection", "refund", "archive"]
    entry = AuditEntry.objects(action="approve", record_id=str(r.pk)).get()
    assert entry.actor_name == "supervisor" and entry.household.pk == w["hh_a"].pk
    assert any(c.field == "state" and c.old == "flat_passed" and c.new == "approved" for c in entry.changes)
    titles = [str(item.title) for item in timeline.for_household(w["hh_a"])]
    assert "Deposit refunded" in titles and "Approved" in titles and "Archived" in titles
    assert "Fees and deposit paid" in titles
    assert not any(item.kind == "Renovation" for item in timeline.for_household(w["hh_a2"]))


def test_flat_inspection_fails_then_repaired_items_are_confirmed_on_reinspection(w):
    r = file_in_state(w, "submitted")
    keeper = staff(w, "housekeeper")
    with pytest.raises(DomainError, match="List the items that failed"):
        r.record_flat_inspection(keeper, passed=False, items=[" "])
    assert r.reload().state == "submitted"
    r.record_flat_inspection(keeper, passed=False, items=["卫生间闭水试验渗漏", "地暖打压不合格"])
    assert r.state == "flat_failed" and len(r.inspections) == 1
    with pytest.raises(DomainError, match="not possible while the record is “Flat inspection failed”"):
        r.approve(staff(w, "supervisor"))
    r.record_flat_inspection(keeper, passed=True)
    r.reload()
    assert r.state == "flat_passed"
    assert all(item.repaired_on == TODAY for item in r.inspections[0].items)


def test_final_inspection_failure_lists_items_and_deductions_count(w):
    r = file_in_state(w, "initial_inspected")
    sup = staff(w, "supervisor")
    with pytest.raises(DomainError, match="List the items to fix"):
        r.record_final_inspection(sup, passed=False, items=[])
    r.record_final_inspection(sup, passed=False, items=[("楼道墙面污损", "150.50"), ("门禁未恢复", "0")])
    assert r.state == "final_failed"
    r.record_final_inspection(sup, passed=True)
    assert r.state == "final_passed" and r.total_deductions() == Decimal("150.50")
    assert r.refund_due() == Decimal("2849.50")


# --- illegal transitions ------------------------------------------------------------------------

@pytest.mark.parametrize("state,role,step,message", [
    ("draft", "supervisor", lambda r, u: r.approve(u), "not possible while the record is “Draft”"),
    ("draft", "clerk", lambda r, u: r.refund(u, "cash", "x"), "does not allow"),
    ("submitted", "supervisor", lambda r, u: r.approve(u),
     "not possible while the record is “Submitted”. The flat must first pass the second inspection."),
    ("flat_passed", "clerk", lambda r, u: r.approve(u), "does not allow this step: Approve"),
    ("flat_passed", "housekeeper", lambda r, u: r.reject(u, "图纸不全"), "does not allow"),
    ("flat_passed", "supervisor", lambda r, u: r.reject(u, "  "), "Give the reason for the rejection"),
    ("approved", "cashier", lambda r, u: r.refund(u, "cash", "张伟"),
     "not possible while the record is “Approved”. The deposit is refunded only after the final inspection"),
    ("final_passed", "clerk", lambda r, u: r.refund(u, "cash", "张伟"), "does not allow this step: Refund deposit"),
    ("final_passed", "housekeeper", lambda r, u: r.refund(u, "cash", "张伟"), "does not allow"),
    ("in_progress", "cashier", lambda r, u: r.log_patrol(u, findings="正常"), "does not allow"),
    ("in_progress", "manager", lambda r, u: r.record_final_inspection(u, passed=True),
     "not possible while the record is “Work in progress”"),
    ("in_progress", "supervisor", lambda r, u: r.archive(u), "not possible"),
    ("final_passed", "manager", lambda r, u: r.refund(u, "cheque", "张伟"), "Choose how the deposit is paid back"),
    ("final_passed", "cashier", lambda r, u: r.refund(u, "cash", " "), "Enter who receives the refund"),
    ("refunded", "supervisor", lambda r, u: r.record_final_inspection(u, passed=True), "not possible"),
    ("archived", "clerk", lambda r, u: r.submit(u), "not possible while the record is “Archived”"),
])
def test_illegal_transition_is_refused_with_its_message_and_nothing_changes(w, state, role, step, message):
    r = file_in_state(w, state)
    before_version, before_entries = r.version, AuditEntry.objects(record_id=str(r.pk)).count()
    with pytest.raises(DomainError, match=message):
        step(r, staff(w, role))
    fresh = Renovation.objects.get(pk=r.pk)
    assert fresh.state == state and fresh.version == before_version
    assert AuditEntry.objects(record_id=str(r.pk)).count() == before_entries


def test_submit_needs_the_contractors_documents_and_workers(w):
    clerk = staff(w, "clerk")
    r = new_file(w)
    with pytest.raises(DomainError) as err:
        r.submit(clerk)
    assert "Business licence copy" in err.value.message and "Workers' ID copies" in err.value.message
    r.attach(clerk, "licence", "licence.pdf", PDF)
    r.attach(clerk, "qualification", "q.pdf", PDF)
    with pytest.raises(DomainError, match="Workers' ID copies") as err:
        r.submit(clerk)
    assert "Business licence copy" not in err.value.message
    r.attach(clerk, "worker_ids", "ids.png", PNG)
    Renovation.objects(pk=r.pk).update_one(set__workers=[])
    r.reload()
    with pytest.raises(DomainError, match="at least one worker"):
        r.submit(clerk)
    assert r.reload().state == "draft"


def test_approval_needs_the_signed_agreement(w):
    r = file_in_state(w, "flat_passed", agreement_signed_on=None)
    with pytest.raises(DomainError, match="agreement must be signed") as err:
        r.approve(staff(w, "supervisor"))
    assert err.value.field == "agreement_signed_on" and r.reload().state == "flat_passed"
    assert r.permit_no is None


def test_rejection_records_the_reason(w):
    r = file_in_state(w, "submitted")
    r.reject(staff(w, "supervisor"), "承重墙拆改，不予批准")
    r.reload()
    assert r.state == "rejected" and r.rejected_reason == "承重墙拆改，不予批准"
    assert AuditEntry.objects(record_id=str(r.pk), action="reject").get().note == "承重墙拆改，不予批准"
    r.archive(staff(w, "supervisor"))
    assert r.state == "archived"


def test_housekeeper_only_for_own_buildings_and_staff_only_in_own_community(w):
    r = file_in_state(w, "in_progress")
    keeper = staff(w, "housekeeper")
    keeper.buildings = ["2", "3"]
    with pytest.raises(PermissionDenied, match="Building 1 is not one of the buildings you look after"):
        r.log_patrol(keeper, findings="正常")
    manager_b = staff(w, "manager_b")
    with pytest.raises(PermissionDenied, match="own communities"):
        r.log_patrol(manager_b, findings="正常")
    assert Renovation.objects.get(pk=r.pk).patrols == []
    # a supervisor is not bound to buildings
    r.change_phase(staff(w, "supervisor"), "carpentry_painting")
    assert r.phase == "carpentry_painting"


def test_only_one_open_file_per_room(w):
    new_file(w)
    with pytest.raises(Exception, match="already has an open renovation file"):
        new_file(w)


def test_only_a_draft_can_be_deleted(w):
    r = file_in_state(w, "submitted")
    with pytest.raises(DomainError, match="Only a draft"):
        r.delete()
    assert Renovation.objects(pk=r.pk).count() == 1


# --- two people at once -------------------------------------------------------------------------

def test_two_supervisors_approving_at_once_issue_one_permit(w):
    r = file_in_state(w, "flat_passed")
    first, second = Renovation.objects.get(pk=r.pk), Renovation.objects.get(pk=r.pk)
    first.approve(staff(w, "supervisor"))
    with pytest.raises(DomainError, match="Someone else has just moved this record on"):
        second.approve(staff(w, "manager"))
    assert AuditEntry.objects(record_id=str(r.pk), action="approve").count() == 1
    assert Renovation.objects.get(pk=r.pk).permit_no == first.permit_no


# --- refund -------------------------------------------------------------------------------------

def violations_of(*amounts):
    return [{"type": "debris", "description": f"违规 {a}", "deduction": a} for a in amounts]


def test_refund_amount_is_deposit_minus_every_deduction_exactly(w):
    r = file_in_state(w, "in_progress", deposit="3000.10")
    keeper = staff(w, "housekeeper")
    r.log_patrol(keeper, findings="楼道堆放垃圾", violations=violations_of("0.10", "0.20"))
    clock.freeze(NOW + timedelta(days=1))
    r.log_patrol(keeper, findings="未办动火证", violations=violations_of("500.00"))
    r.record_initial_inspection(keeper)
    r.record_final_inspection(staff(w, "supervisor"), passed=False, items=[("公共墙面损坏", "199.70")])
    r.record_final_inspection(staff(w, "supervisor"), passed=True)
    assert r.total_deductions() == Decimal("700.00")
    assert r.refund_due() == Decimal("2300.10")
    with pytest.raises(DomainError, match="amount changed"):
        r.refund(staff(w, "cashier"), "cash", "张伟", expected_amount="3000.10")
    record = r.refund(staff(w, "cashier"), "cash", "张伟", expected_amount="2300.10")
    assert (record.deposit, record.deductions, record.amount) == (
        Decimal("3000.10"), Decimal("700.00"), Decimal("2300.10"))
    raw = DepositRefund._get_collection().find_one({"_id": record.pk})
    assert isinstance(raw["amount"], Decimal128) and raw["amount"].to_decimal() == Decimal("2300.10")
    assert Renovation.objects.get(pk=r.pk).refund_amount == Decimal("2300.10")


def test_a_patrol_deduction_beyond_the_deposit_is_refused_with_what_is_left(w):
    r = file_in_state(w, "in_progress", deposit="1000")
    keeper, sup = staff(w, "housekeeper"), staff(w, "supervisor")
    r.log_patrol(keeper, findings="楼道堆放垃圾", violations=violations_of("600.00"))
    version = Renovation.objects.get(pk=r.pk).version
    with pytest.raises(DomainError) as refused:
        r.log_patrol(keeper, findings="擅自拆改承重墙",
                     violations=[{"type": "structure", "description": "拆改承重墙", "deduction": "400.01"}])
    assert refused.value.field == "violations"
    assert refused.value.message == ("The deductions cannot exceed the deposit: 400.00 of the deposit of "
                                     "1,000.00 is left, and 400.01 was entered.")
    fresh = Renovation.objects.get(pk=r.pk)
    assert len(fresh.patrols) == 1 and fresh.version == version
    assert AuditEntry.objects(record_id=str(r.pk), action="log_patrol").count() == 1
    r.log_patrol(keeper, findings="擅自拆改承重墙",     # exactly what is left is accepted
                 violations=[{"type": "structure", "description": "拆改承重墙", "deduction": "400.00"}])
    assert r.deposit_left() == Decimal("0.00")
    r.record_initial_inspection(keeper)
    with pytest.raises(DomainError, match="0.00 of the deposit of 1,000.00 is left, and 0.01 was entered") as refused:
        r.record_final_inspection(sup, passed=False, items=[("公共墙面损坏", "0.01")])
    assert refused.value.field == "items" and r.reload().state == "initial_inspected"
    # no path leaves a file that cannot be closed: it passes, is refunded (nothing left) and archived
    r.record_final_inspection(sup, passed=True)
    record = r.refund(staff(w, "cashier"), "cash", "张伟")
    assert (record.deductions, record.amount) == (Decimal("1000.00"), Decimal("0.00"))
    r.archive(staff(w, "clerk"))
    assert Renovation.objects.get(pk=r.pk).state == "archived"


def test_final_inspection_deductions_add_up_against_the_deposit(w):
    r = file_in_state(w, "initial_inspected", deposit="1000")
    sup = staff(w, "supervisor")
    r.record_final_inspection(sup, passed=False, items=[("门禁损坏", "800")])
    with pytest.raises(DomainError, match="200.00 of the deposit of 1,000.00 is left, and 300.00 was entered"):
        r.record_final_inspection(sup, passed=False, items=[("墙面污损", "300")])
    assert len(Renovation.objects.get(pk=r.pk).inspections) == 3 and r.state == "final_failed"
    r.record_final_inspection(sup, passed=True, items=[("墙面污损", "200")])
    assert r.state == "final_passed" and r.refund_due() == Decimal("0.00")


def test_a_file_stored_before_deductions_were_capped_is_still_refused_a_negative_refund(w):
    from documents.renovations import Patrol, Violation
    r = file_in_state(w, "final_passed", deposit="1000")
    Renovation.objects(pk=r.pk).update_one(push__patrols=Patrol(
        key="old", on=TODAY, phase="water_electric", findings="拆改承重墙",
        violations=[Violation(key="v1", type="structure", deduction=Decimal("1000.01"))]))
    r.reload()
    with pytest.raises(DomainError, match=r"deductions \(1,000.01\) are larger than the deposit \(1,000.00\)"):
        r.refund(staff(w, "cashier"), "cash", "张伟")
    assert Renovation.objects.get(pk=r.pk).state == "final_passed"
    assert DepositRefund.objects.count() == 0


def test_second_refund_is_refused_and_leaves_one_record_and_one_audit_entry(w):
    r = file_in_state(w, "refunded")
    with pytest.raises(DomainError, match="already been refunded"):
        r.refund(staff(w, "cashier"), "cash", "张伟")
    assert DepositRefund.objects(renovation=r).count() == 1
    assert AuditEntry.objects(record_id=str(r.pk), action="refund").count() == 1


def test_refunds_interleaved_between_read_and_write_pay_once(w):
    """Both cashiers read the file (final inspection passed) before either writes."""
    r = file_in_state(w, "final_passed")
    first, second = Renovation.objects.get(pk=r.pk), Renovation.objects.get(pk=r.pk)
    assert first.state == second.state == "final_passed"
    first.refund(staff(w, "cashier"), "cash", "张伟")
    with pytest.raises(DomainError, match="already been refunded"):
        second.refund(staff(w, "manager"), "wechat", "张伟")
    assert DepositRefund.objects(renovation=r).count() == 1
    assert DepositRefund.objects.get(renovation=r).method == "cash"
    assert AuditEntry.objects(record_id=str(r.pk), action="refund").count() == 1


@pytest.fixture
def atomic_writes():
    """MongoDB applies one write at a time per document; mongomock does not (see tests.support).
    Everything above the database write (reading the file, checking state and amounts) still races."""
    with atomic_store_operations():
        yield


def test_racing_refund_threads_pay_once(w, atomic_writes):
    r = file_in_state(w, "final_passed")
    users = [staff(w, "cashier"), staff(w, "manager")] * 4
    loaded = [Renovation.objects.get(pk=r.pk) for _ in users]
    barrier, outcomes = threading.Barrier(len(users)), []
    app = current_app._get_current_object()

    def pay(renovation, user):
        with english_request(app):  # one request per thread
            barrier.wait()
            try:
                renovation.refund(user, "cash", "张伟")
                outcomes.append("paid")
            except DomainError as err:
                outcomes.append(err.message)

    threads = [threading.Thread(target=pay, args=pair) for pair in zip(loaded, users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("paid") == 1, outcomes
    assert DepositRefund.objects(renovation=r).count() == 1
    assert AuditEntry.objects(record_id=str(r.pk), action="refund").count() == 1


def test_refund_record_key_is_unique_in_the_database(w):
    r = file_in_state(w, "refunded")
    from mongoengine.errors import NotUniqueError
    duplicate = DepositRefund(community=r.community, renovation=r, receipt_no="A-TK2026-99999",
                              amount=Decimal("1.00"))
    with pytest.raises(NotUniqueError):
        duplicate.save()
    r.deposit_refund()  # re-running the record step (e.g. after a crash) creates nothing new
    assert DepositRefund.objects(renovation=r).count() == 1


# --- patrols ------------------------------------------------------------------------------------

D = date(2026, 3, 10)


@pytest.mark.parametrize("phase,last,expected", [
    ("water_electric", None, D),                      # first day of the phase
    ("water_electric", D, D + timedelta(days=1)),     # daily
    ("tiling_flooring", D, D + timedelta(days=1)),    # daily
    ("carpentry_painting", D, D + timedelta(days=3)),  # every 3 days
    ("carpentry_painting", D - timedelta(days=1), D),  # a patrol before the phase began does not count
    ("installation", None, None),                     # only on the installation day (none set)
])
def test_next_patrol_due_by_phase(phase, last, expected):
    assert next_patrol_due(phase, D, last) == expected


def test_installation_is_patrolled_on_the_installation_day():
    day = date(2026, 4, 2)
    assert next_patrol_due("installation", D, D, day) == day
    assert next_patrol_due("installation", D, day - timedelta(days=1), day) == day
    assert next_patrol_due("installation", D, day, day) is None


@pytest.mark.parametrize("today,expected", [
    (D - timedelta(days=1), None), (D, "due_today"), (D + timedelta(days=1), "overdue")])
def test_patrol_status_boundaries(today, expected):
    assert patrol_status(D, today) == expected


def test_carpentry_patrols_every_three_days_through_the_list_of_the_housekeeper(w):
    """Start on 2 March (Shanghai) with carpentry; patrol; due 5 March; overdue from 6 March."""
    keeper = staff(w, "housekeeper")
    r = file_in_state(w, "fees_paid")
    r.start(staff(w, "clerk"), "carpentry_painting")
    mine = lambda: [(x.pk, s) for x, s in due_patrols(keeper, buildings=keeper.buildings)[0]]  # noqa: E731
    assert mine() == [(r.pk, "due_today")]
    r.log_patrol(keeper, findings="正常")
    assert r.next_patrol_due == date(2026, 3, 5) and mine() == []
    clock.freeze(datetime(2026, 3, 4, 15, 59))   # 4 March 23:59 in Shanghai
    assert mine() == []
    clock.freeze(datetime(2026, 3, 4, 16, 0))    # 5 March 00:00 in Shanghai
    assert mine() == [(r.pk, "due_today")]
    clock.freeze(datetime(2026, 3, 5, 16, 0))    # 6 March
    assert mine() == [(r.pk, "overdue")]
    assert due_patrols(keeper, buildings=["7"]) == ([], 0)  # another housekeeper's buildings
    assert due_patrols(staff(w, "clerk_b"))[1] == 0               # another community's staff
    r.log_patrol(keeper, findings="补巡")
    assert r.next_patrol_due == date(2026, 3, 9) and mine() == []
    r.change_phase(keeper, "tiling_flooring")
    assert r.next_patrol_due == date(2026, 3, 7)  # already patrolled today, daily from now on
    with pytest.raises(DomainError, match="Enter the day of the installation"):
        r.change_phase(keeper, "installation")
    r.change_phase(keeper, "installation", installation_on=date(2026, 3, 20))
    assert r.next_patrol_due == date(2026, 3, 20)


def test_patrol_is_recorded_once_per_form_and_validates_dates(w):
    keeper = staff(w, "housekeeper")
    r = file_in_state(w, "in_progress")
    with pytest.raises(DomainError, match="future"):
        r.log_patrol(keeper, on=TODAY + timedelta(days=1), findings="x")
    with pytest.raises(DomainError, match="Write down what you found"):
        r.log_patrol(keeper, findings="  ")
    r.log_patrol(keeper, key="form-1", findings="正常", violations=violations_of("50"))
    stale = Renovation.objects.get(pk=r.pk)
    stale.patrols = []  # a second request that read the file before the first patrol was saved
    stale.log_patrol(keeper, key="form-1", findings="正常", violations=violations_of("50"))
    assert len(Renovation.objects.get(pk=r.pk).patrols) == 1
    assert AuditEntry.objects(record_id=str(r.pk), action="log_patrol").count() == 1


def test_violation_rectified_once(w):
    keeper = staff(w, "housekeeper")
    r = file_in_state(w, "in_progress")
    patrol = r.log_patrol(keeper, findings="噪音扰民", violations=[{"type": "hours", "description": "午休时间电钻",
                                                              "deadline": TODAY + timedelta(days=2)}])
    violation = patrol.violations[0]
    assert r.open_violations()
    r.rectify_violation(keeper, patrol.key, violation.key)
    assert not r.open_violations() and r.patrols[0].violations[0].rectified_on == TODAY
    with pytest.raises(DomainError, match="already marked as rectified"):
        r.rectify_violation(keeper, patrol.key, violation.key)


# --- permits ------------------------------------------------------------------------------------

def test_worker_pass_validity_and_revoke(w):
    clerk = staff(w, "clerk")
    r = file_in_state(w, "fees_paid")
    worker = r.workers[0]
    with pytest.raises(DomainError, match="beyond the planned end"):
        r.issue_permit(clerk, "worker_pass", worker_key=worker.key, valid_to=date(2026, 6, 30))
    permit = r.issue_permit(clerk, "worker_pass", key="k1", worker_key=worker.key, valid_to=date(2026, 5, 31))
    assert permit.number == f"{r.permit_no}-P01" and permit.worker_name == "李师傅"
    assert r.issue_permit(clerk, "worker_pass", key="k1", worker_key=worker.key,
                          valid_to=date(2026, 5, 31)).number == permit.number  # same form twice
    assert len(r.permits) == 1
    with pytest.raises(DomainError, match="already has a valid pass"):
        r.issue_permit(clerk, "worker_pass", worker_key=worker.key, valid_to=date(2026, 5, 1))
    assert permit.is_valid_on(TODAY)
    with pytest.raises(DomainError, match="reason for revoking"):
        r.revoke_permit(clerk, permit.key, "")
    r.revoke_permit(clerk, permit.key, "工人离场")
    assert r.permit(permit.key).status == "revoked" and not r.permit(permit.key).is_valid_on(TODAY)
    with pytest.raises(DomainError, match="already revoked"):
        r.revoke_permit(clerk, permit.key, "again")
    second = r.issue_permit(clerk, "worker_pass", worker_key=worker.key, valid_to=date(2026, 5, 1))
    assert second.number == f"{r.permit_no}-P02"


def test_hot_work_needs_a_supervisor_a_window_and_precautions(w):
    r = file_in_state(w, "in_progress")
    start = datetime(2026, 3, 2, 14, 0)
    clerk, sup = staff(w, "clerk"), staff(w, "supervisor")
    with pytest.raises(PermissionDenied, match="Issue hot-work permit"):
        r.issue_permit(clerk, "hot_work", starts_at=start, ends_at=start + timedelta(hours=2),
                       fire_precautions="配灭火器两具，专人监护")
    # its own step: a clerk (who issues passes) is not offered it, a supervisor is
    assert r.offers("issue_permit", clerk) and not r.offers("issue_hot_work", clerk)
    assert r.offers("issue_hot_work", sup)
    with pytest.raises(DomainError, match="at most 12 hours"):
        r.issue_permit(sup, "hot_work", starts_at=start, ends_at=start + timedelta(hours=13),
                       fire_precautions="配灭火器两具")
    with pytest.raises(DomainError, match="fire precautions"):
        r.issue_permit(sup, "hot_work", starts_at=start, ends_at=start + timedelta(hours=2))
    permit = r.issue_permit(sup, "hot_work", starts_at=start, ends_at=start + timedelta(hours=2),
                            location="厨房", fire_precautions="配灭火器两具，清除易燃物，专人监护")
    assert permit.approver_name == "supervisor A" and permit.starts_at == datetime(2026, 3, 2, 6, 0)  # UTC


def test_large_items_leave_on_the_one_item_release_form_while_the_permit_is_active(w):
    from documents.item_release import ItemRelease, renovation_forms
    r = file_in_state(w, "in_progress")
    clerk, guard_day = staff(w, "clerk"), TODAY
    data = dict(items="旧橱柜 1\n旧门 2", release_on=guard_day, vehicle_plate="粤B12345", driver_name="陈司机",
                driver_id=licence_no()[:18])
    with pytest.raises(DomainError, match="item release form"):          # no permit of its own any more
        r.issue_permit(clerk, "item_release", fees_settled=True, **data)
    form = ItemRelease.register(clerk, r.community, renovation=r, **data)
    assert form.source == "renovation" and form.renovation.pk == r.pk and form.household.pk == r.household.pk
    assert form.renovation_permit_no == r.permit_no and form.renovation_contractor == "深圳市安居装饰工程有限公司 王建国"
    assert form.number.startswith("FX") and form.state == "applied" and form.applicant_name == r.applicant
    assert [f.pk for f in renovation_forms(r)] == [form.pk] and Renovation.objects.get(pk=r.pk).permits == []
    # the renovation's own rules: a known driver (even without a vehicle), no day after the planned end
    with pytest.raises(DomainError, match="driver"):
        ItemRelease.register(clerk, r.community, renovation=r, items="旧门 1", release_on=guard_day)
    with pytest.raises(DomainError, match="planned end of the work"):
        ItemRelease.register(clerk, r.community, renovation=r, **dict(data, release_on=date(2026, 6, 1)))
    ItemRelease.register(clerk, r.community, renovation=r, **dict(data, release_on=date(2026, 5, 31)))  # its last day
    assert ItemRelease.objects(renovation=r).count() == 2


@pytest.mark.parametrize("state", ["approved", "final_passed"])
def test_no_renovation_item_release_outside_an_active_permit(w, state):
    from documents.item_release import ItemRelease
    r = file_in_state(w, state)
    with pytest.raises(DomainError, match="only while its permit is active"):
        ItemRelease.register(staff(w, "clerk"), r.community, renovation=r, items="旧门 1", release_on=TODAY,
                             driver_name="陈司机", driver_id=licence_no()[:18])
    assert ItemRelease.objects.count() == 0


# --- attachments and money ----------------------------------------------------------------------

def test_wrong_type_or_oversize_files_are_refused_and_good_ones_kept_byte_identical(w):
    clerk = staff(w, "clerk")
    r = new_file(w)
    with pytest.raises(DomainError, match="only PDF, JPEG or PNG"):
        r.attach(clerk, "licence", "licence.exe", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(DomainError, match="only PDF, JPEG or PNG"):
        r.attach(clerk, "licence", "licence.pdf", b"<html><script>alert(1)</script>")  # name lies
    with pytest.raises(DomainError, match="photos must be JPEG or PNG"):
        r.attach(clerk, "photo", "site.pdf", PDF)
    with pytest.raises(DomainError, match="larger than the limit of 10 MB"):
        r.attach(clerk, "drawings", "big.pdf", PDF + b"0" * MAX_ATTACHMENT_BYTES)
    with pytest.raises(DomainError, match="empty"):
        r.attach(clerk, "drawings", "empty.pdf", b"")
    assert RenovationAttachment.objects.count() == 0
    with pytest.raises(PermissionDenied):
        r.attach(staff(w, "cashier"), "licence", "licence.pdf", PDF)
    good = r.attach(clerk, "drawings", "../../etc/平面图.pdf", PDF)
    stored = RenovationAttachment.objects.get(pk=good.pk)
    assert stored.read() == PDF and stored.filename == "平面图.pdf" and stored.content_type == "application/pdf"
    assert AuditEntry.objects(record_id=str(r.pk), action="attach").count() == 1


def test_money_is_exact(w):
    r = new_file(w, deposit="0.10")
    r.other_fees[0].amount = Decimal("0.20")
    r.management_fee = Decimal("0")
    r.save_versioned(r.version)
    fresh = Renovation.objects.get(pk=r.pk)
    assert fresh.total_fees() == Decimal("0.30")
    raw = Renovation._get_collection().find_one({"_id": r.pk})
    assert isinstance(raw["deposit"], Decimal128)
    with pytest.raises(DomainError):
        to_money(0.1)
    assert to_money("1,234.565") == Decimal("1234.57")


def test_business_licence_check():
    assert licence_problem(licence_no()) is None
    assert "check character" in licence_problem(licence_no()[:17] + ("0" if licence_no()[17] != "0" else "1"))
    assert licence_problem("12345") is not None


def test_applicant_defaults_to_the_household_and_room_data_are_derived(w):
    r = new_file(w, applicant="  ", community=None)
    assert r.applicant == "张伟" and r.community.pk == w["A"].pk
    assert (r.room_code, r.building_no, r.contractor_company) == ("1-1-101", "1", "深圳市安居装饰工程有限公司")


def test_the_same_permit_form_posted_twice_at_once_issues_one_permit(w):
    r = file_in_state(w, "fees_paid")
    first, second = Renovation.objects.get(pk=r.pk), Renovation.objects.get(pk=r.pk)
    data = dict(worker_key=r.workers[1].key, valid_to=date(2026, 4, 30))
    a = first.issue_permit(staff(w, "clerk"), "worker_pass", key="same-form", **data)
    b = second.issue_permit(staff(w, "clerk"), "worker_pass", key="same-form", **data)
    assert a.number == b.number and len(Renovation.objects.get(pk=r.pk).permits) == 1
    assert AuditEntry.objects(record_id=str(r.pk), action="issue_permit").count() == 1


# --- the final inspection and open violations -------------------------------------------------------

def test_the_final_inspection_passes_only_when_every_violation_is_rectified_or_settled_by_deduction(w):
    r = file_in_state(w, "in_progress")
    keeper, sup = staff(w, "housekeeper"), staff(w, "supervisor")
    noisy = r.log_patrol(keeper, findings="午休时间电钻", violations=[{"type": "hours", "description": "午休时间电钻"}])
    r.log_patrol(keeper, findings="楼道垃圾", violations=violations_of("100"))   # settled by its deduction
    r.record_initial_inspection(keeper)
    with pytest.raises(DomainError) as refused:
        r.record_final_inspection(sup, passed=True)
    message = refused.value.message
    assert "violations found on patrol are not rectified: 2026-03-02 Noisy work outside permitted hours." in message
    assert "a violation recorded with a deduction counts as settled by it" in message and "Debris" not in message
    assert Renovation.objects.get(pk=r.pk).state == "initial_inspected"
    assert AuditEntry.objects(record_id=str(r.pk), action="final_inspection").count() == 0
    r.record_final_inspection(sup, passed=False, items=[("噪音问题整改", "0")])   # failing it stays possible
    assert r.state == "final_failed"
    r.rectify_violation(keeper, noisy.key, noisy.violations[0].key)
    r.record_final_inspection(sup, passed=True)
    assert r.state == "final_passed" and r.unsettled_violations() == []


# --- fees and deposit paid, at the cashier's --------------------------------------------------------

def test_fees_and_deposit_are_paid_at_the_cashiers_before_permits_and_work(w):
    from documents.renovations import FeePayment
    r = file_in_state(w, "approved")
    clerk, cashier = staff(w, "clerk"), staff(w, "cashier")
    with pytest.raises(DomainError, match="Work starts once the file is approved and the fees and deposit are paid"):
        r.start(clerk, "water_electric")
    with pytest.raises(DomainError, match="Permits are issued once the fees and deposit are paid"):
        r.issue_permit(clerk, "worker_pass", worker_key=r.workers[0].key, valid_to=date(2026, 5, 31))
    assert not r.offers("start", clerk) and not r.offers("issue_permit", clerk)
    assert r.offers("pay_fees", cashier) and not r.offers("pay_fees", clerk)
    with pytest.raises(PermissionDenied, match="does not allow this step: Receive fees and deposit"):
        r.pay_fees(clerk, "cash", "张伟")
    with pytest.raises(DomainError, match=r"amount changed since you opened the page \(now 3,650.00\)"):
        r.pay_fees(cashier, "cash", "张伟", expected_total="3000.00")
    with pytest.raises(DomainError, match="Choose how the fees are paid"):
        r.pay_fees(cashier, "cheque", "张伟")
    with pytest.raises(DomainError, match="Enter who pays the fees"):
        r.pay_fees(cashier, "cash", " ")
    assert Renovation.objects.get(pk=r.pk).state == "approved" and FeePayment.objects.count() == 0
    payment = r.pay_fees(cashier, "cash", "张伟", expected_total="3650.00")
    stored = FeePayment.objects.get(renovation=r)
    assert (stored.receipt_no, stored.total, stored.deposit, stored.management_fee) == (
        "A-SF2026-00001", Decimal("3650.00"), Decimal("3000.00"), Decimal("450.00"))
    assert [(f.item, f.amount) for f in stored.other_fees] == [("垃圾清运费", Decimal("200.00"))]
    assert (stored.method, stored.paid_by, stored.received_by_name) == ("cash", "张伟", "cashier A")
    assert payment.pk == stored.pk
    fresh = Renovation.objects.get(pk=r.pk)
    assert (fresh.state, fresh.fees_receipt_no, fresh.deposit_received_on) == ("fees_paid", "A-SF2026-00001", TODAY)
    entry = AuditEntry.objects(record_id=str(r.pk), action="pay_fees").get()
    assert entry.actor_name == "cashier" and entry.note == "3,650.00"
    r.issue_permit(clerk, "worker_pass", worker_key=r.workers[0].key, valid_to=date(2026, 5, 31))
    r.start(clerk, "water_electric")
    assert r.state == "in_progress"


def test_fees_paid_twice_at_once_are_recorded_once(w):
    from documents.renovations import FeePayment
    r = file_in_state(w, "approved")
    first, second = Renovation.objects.get(pk=r.pk), Renovation.objects.get(pk=r.pk)
    first.pay_fees(staff(w, "cashier"), "cash", "张伟")
    with pytest.raises(DomainError, match=r"already been paid \(receipt A-SF2026-00001\)"):
        second.pay_fees(staff(w, "manager"), "wechat", "张伟")
    with pytest.raises(DomainError, match=r"already been paid \(receipt A-SF2026-00001\)"):
        first.pay_fees(staff(w, "cashier"), "cash", "张伟")       # a second click on the same page
    assert FeePayment.objects(renovation=r).count() == 1 and FeePayment.objects.get().method == "cash"
    assert AuditEntry.objects(record_id=str(r.pk), action="pay_fees").count() == 1


# --- refunds above the community's limit --------------------------------------------------------------

def test_a_refund_above_the_communitys_limit_needs_the_managers_approval_first(w):
    r = file_in_state(w, "final_passed", deposit="8000")
    cashier, manager = staff(w, "cashier"), staff(w, "manager")
    assert r.refund_needs_approval() and r.offers("approve_refund", manager)
    assert not r.offers("approve_refund", cashier)
    with pytest.raises(DomainError) as refused:
        r.refund(cashier, "bank_transfer", "张伟")
    assert refused.value.message == ("A refund of 8,000.00 is above this community's limit of 5,000.00: the "
                                     "manager approves it first (step “Approve refund”).")
    assert Renovation.objects.get(pk=r.pk).state == "final_passed" and DepositRefund.objects.count() == 0
    with pytest.raises(PermissionDenied):
        r.approve_refund(cashier)
    r.approve_refund(manager)
    assert (r.state, r.refund_approved_by_name) == ("refund_approved", "manager A")
    with pytest.raises(DomainError, match="not possible while the record is “Refund approved”"):
        r.approve_refund(manager)
    record = r.refund(cashier, "bank_transfer", "张伟", expected_amount="8000.00")
    assert record.amount == Decimal("8000.00") and r.state == "refunded"
    assert audit_actions(r)[-2:] == ["approve_refund", "refund"]
    with pytest.raises(DomainError, match="already been refunded"):
        r.refund(cashier, "bank_transfer", "张伟")
    assert DepositRefund.objects(renovation=r).count() == 1


def test_up_to_the_limit_the_cashier_refunds_directly_and_each_community_sets_its_limit(w):
    from documents.places import Community
    r = file_in_state(w, "final_passed", deposit="5000")      # exactly the limit: no approval
    cashier, manager = staff(w, "cashier"), staff(w, "manager")
    assert w["A"].refund_approval_limit == Decimal("5000.00")
    assert not r.refund_needs_approval() and not r.offers("approve_refund", manager)
    assert r.offers("refund", cashier) and r.allows("refund", cashier)
    with pytest.raises(DomainError, match="No approval is needed: refunds up to 5,000.00 are paid by the cashier"):
        r.approve_refund(manager)
    Community.objects(pk=w["A"].pk).update_one(set__refund_approval_limit=Decimal("2000.00"))
    r = Renovation.objects.get(pk=r.pk)
    assert r.refund_needs_approval()
    with pytest.raises(DomainError, match="above this community's limit of 2,000.00"):
        r.refund(cashier, "cash", "张伟")
    r.approve_refund(manager)
    assert r.refund(cashier, "cash", "张伟").amount == Decimal("5000.00")


# --- no permits once the final inspection has passed ------------------------------------------------

@pytest.mark.parametrize("state", ["final_passed", "refunded", "archived"])
def test_no_permit_is_issued_after_the_final_inspection_has_passed(w, state):
    r = file_in_state(w, state)
    clerk, sup = staff(w, "clerk"), staff(w, "supervisor")
    assert not r.offers("issue_permit", clerk) and "issue_permit" not in r.offered_steps(sup)
    with pytest.raises(DomainError, match="no longer once the final inspection has passed"):
        r.issue_permit(clerk, "worker_pass", worker_key=r.workers[0].key, valid_to=date(2026, 5, 31))
    with pytest.raises(DomainError, match="no longer once the final inspection has passed"):
        r.issue_permit(sup, "hot_work", starts_at=datetime(2026, 3, 2, 14), ends_at=datetime(2026, 3, 2, 16),
                       fire_precautions="灭火器两具")
    assert Renovation.objects.get(pk=r.pk).permits == []


# --- patrol photos --------------------------------------------------------------------------------

def test_patrol_photos_are_checked_first_and_stored_once_per_form(w):
    from tests.support import JPEG
    r = file_in_state(w, "in_progress")
    keeper = staff(w, "housekeeper")
    with pytest.raises(DomainError, match="photos must be JPEG or PNG"):
        r.log_patrol(keeper, key="form-1", findings="楼道垃圾", photos=[("site.pdf", PDF)])
    assert Renovation.objects.get(pk=r.pk).patrols == []          # a refused photo records nothing
    photos = [("image.jpg", JPEG), ("image.jpg", JPEG + b"another"), ("site.png", PNG)]
    patrol = r.log_patrol(keeper, key="form-1", findings="楼道垃圾", photos=photos)
    again = Renovation.objects.get(pk=r.pk).log_patrol(keeper, key="form-1", findings="楼道垃圾", photos=photos)
    assert again.key == patrol.key and len(Renovation.objects.get(pk=r.pk).patrols) == 1
    stored = RenovationAttachment.objects(renovation=r, patrol_key="form-1")
    assert sorted(a.filename for a in stored) == ["image.jpg", "image.jpg", "site.png"]   # same name, both kept
    assert AuditEntry.objects(record_id=str(r.pk), action="attach", note__contains="image.jpg").count() == 2


# --- numbering, the workflow's catalogue ------------------------------------------------------------

def test_numbers_go_on_from_the_counters_of_the_earlier_release(w):
    from documents.sequences import Sequence
    legacy = Sequence._get_db()["renovation_counters"]
    legacy.insert_one({"key": f"{w['A'].pk}:permit:2026", "value": 41})
    Sequence.adopt("renovation_counters")
    assert file_in_state(w, "approved").permit_no == "A-ZX2026-0042"
    assert legacy.count_documents({}) == 0


def test_the_app_adopts_the_old_counters_at_start(monkeypatch):
    from app import create_app
    from app.config import TestConfig
    from documents.sequences import Sequence
    adopted = []
    monkeypatch.setattr(Sequence, "adopt", classmethod(lambda cls, name: adopted.append(name)))
    create_app(TestConfig())
    assert adopted == ["renovation_counters"]


def test_demo_files_follow_the_offices_order(app_ctx, monkeypatch):
    """Seed: fees and deposit paid -> permit issued -> work starts; a large refund waits for the manager."""
    from documents.renovations import FeePayment
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-xyz")
    run(households_per_community=(40, 20))
    states = [r.state for r in Renovation.objects]
    assert {"draft", "approved", "fees_paid", "in_progress", "final_passed", "refunded", "archived",
            "rejected"} <= set(states)
    for r in Renovation.objects(state__nin=["draft", "submitted", "flat_failed", "flat_passed", "approved",
                                            "rejected"]):
        entries = {e.action: e.at for e in AuditEntry.objects(record_id=str(r.pk))}
        payment = FeePayment.objects.get(renovation=r)
        assert r.fees_receipt_no == payment.receipt_no and r.deposit_received_on is not None
        assert entries["pay_fees"] <= entries["issue_permit"] and r.permits[0].kind == "worker_pass"
        if "start" in entries:
            assert entries["issue_permit"] <= entries["start"]
        assert r.total_deductions() <= r.deposit
    waiting = [r for r in Renovation.objects(state="final_passed") if r.refund_needs_approval()]
    first_community = Renovation.objects(state="archived").first().community
    assert len(waiting) == 1 and waiting[0].community.pk != first_community.pk
    assert Renovation.objects(state="approved").first().deposit_received_on is None


# --- the second browser review: rows, amounts, loads -----------------------------------------------

def test_a_violation_row_with_any_value_must_be_complete_and_says_which_row_and_field(w):
    r = file_in_state(w, "in_progress")
    keeper = staff(w, "housekeeper")
    empty = {"type": "", "description": "", "deduction": None, "deadline": None}
    cases = [
        ({"deduction": "50"}, "violations-1-type", "Line 2, Violation: Choose the type of violation."),
        ({"deadline": date(2026, 3, 5)}, "violations-1-type", "Line 2, Violation: Choose the type of violation."),
        ({"type": "debris"}, "violations-1-description", "Line 2, Description: Describe what was found."),
        ({"type": "debris", "description": "垃圾", "deduction": "1.005"}, "violations-1-deduction",
         "Line 2, Deduction: Enter at most two decimal places."),
        ({"type": "debris", "description": "垃圾", "deduction": "-1"}, "violations-1-deduction",
         "Line 2, Deduction: The amount cannot be negative."),
        ({"type": "debris", "description": "垃圾", "deadline": date(2026, 3, 1)}, "violations-1-deadline",
         "Line 2, Rectify by: The deadline to rectify cannot be before the patrol."),
    ]
    for row, field, message in cases:
        with pytest.raises(DomainError) as refused:
            r.log_patrol(keeper, findings="巡查", violations=[empty, dict(empty, **row)])
        assert (refused.value.field, refused.value.message) == (field, message), row
    assert Renovation.objects.get(pk=r.pk).patrols == []
    patrol = r.log_patrol(keeper, findings="巡查", violations=[empty, dict(empty, type="debris", description="垃圾",
                                                                                deduction="50")])
    assert [v.deduction for v in patrol.violations] == [Decimal("50.00")]


def test_the_power_load_is_a_positive_number_refused_on_its_field(w):
    r = file_in_state(w, "in_progress")
    clerk = staff(w, "clerk")
    for load in ("abc", "-5", "0", None):
        with pytest.raises(DomainError) as refused:
            r.issue_permit(clerk, "power", location="室内", power_load_kw=load, valid_to=date(2026, 3, 9))
        assert refused.value.field == "power_load_kw" and "positive number of kW" in refused.value.message
    with pytest.raises(DomainError) as refused:
        r.issue_permit(clerk, "power", location="室内", power_load_kw="3.555", valid_to=date(2026, 3, 9))
    assert (refused.value.field, refused.value.message) == ("power_load_kw", "Enter at most two decimal places.")
    with pytest.raises(DomainError) as refused:
        r.issue_permit(clerk, "power", location=" ", power_load_kw="3", valid_to=date(2026, 3, 9))
    assert refused.value.field == "location"
    permit = r.issue_permit(clerk, "power", location="室内", power_load_kw="3.5", valid_to=date(2026, 3, 9))
    assert permit.power_load_kw == Decimal("3.50")


def test_amounts_with_more_than_two_decimals_are_refused_not_rounded(w):
    from mongoengine import ValidationError

    from documents.workflow import flatten_errors
    draft = new_file(w)
    draft.deposit = Decimal("1200.555")               # as the edit form sets it
    with pytest.raises(ValidationError) as refused:
        draft.save_versioned(draft.version)
    assert flatten_errors(refused.value) == [("deposit", "Enter at most two decimal places.")]
    draft.reload()
    draft.other_fees[0].amount = Decimal("200.005")
    with pytest.raises(ValidationError) as refused:
        draft.save_versioned(draft.version)
    assert flatten_errors(refused.value) == [("other_fees", "Enter at most two decimal places.")]
    draft.reload()
    assert draft.deposit == Decimal("3000.00") and draft.other_fees[0].amount == Decimal("200.00")
    draft.deposit = Decimal("1200.550")               # a trailing zero rounds nothing
    draft.save_versioned(draft.version)
    assert Renovation.objects.get(pk=draft.pk).deposit == Decimal("1200.55")
    draft.delete()
    r = file_in_state(w, "initial_inspected", household=w["hh_a2"])
    with pytest.raises(DomainError) as refused:
        r.record_final_inspection(staff(w, "supervisor"), passed=False, items=[("墙面污损", "10.555")])
    assert (refused.value.field, refused.value.message) == ("items-0-deduction",
                                                            "Line 1, Deduction: Enter at most two decimal places.")
    with pytest.raises(DomainError) as refused:
        r.record_final_inspection(staff(w, "supervisor"), passed=False, items=[("墙面污损", "1"), ("", "10")])
    assert refused.value.field == "items-1-description" and "Describe what each deduction is for." in \
        refused.value.message


def test_submission_lists_missing_documents_as_one_list(w, app):
    r = new_file(w)
    with pytest.raises(DomainError) as refused:
        r.submit(staff(w, "clerk"))
    assert refused.value.message == ("The file cannot be submitted yet. Missing: the documents Business licence "
                                     "copy, Qualification certificate, and Workers' ID copies.")
    from flask_babel import force_locale
    with force_locale("zh_Hans_CN"):
        with pytest.raises(DomainError) as refused:
            r.submit(staff(w, "clerk"))
    assert refused.value.message == ("暂不能提交，缺少：资料（营业执照复印件、资质证书和"
                                     "施工人员身份证复印件）。")

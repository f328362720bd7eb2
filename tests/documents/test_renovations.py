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
    assert r.permit_no == f"A-ZX2026-0001" and r.deposit_received_on == TODAY
    assert r.approved_by_name == "supervisor A"
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
    assert audit_actions(r)[-7:] == ["flat_inspection", "approve", "start", "initial_inspection",
                                     "final_inspection", "refund", "archive"]
    entry = AuditEntry.objects(action="approve", record_id=str(r.pk)).get()
    assert entry.actor_name == "supervisor" and entry.household.pk == w["hh_a"].pk
    assert any(c.field == "state" and c.old == "flat_passed" and c.new == "approved" for c in entry.changes)
    titles = [str(item.title) for item in timeline.for_household(w["hh_a"])]
    assert "Deposit refunded" in titles and "Approved" in titles and "Archived" in titles
    assert not any(item.kind == "Renovation" for item in timeline.for_household(w["hh_a2"]))


def test_flat_inspection_fails_then_repaired_items_are_confirmed_on_reinspection(w):
    r = file_in_state(w, "submitted")
    keeper = staff(w, "housekeeper")
    with pytest.raises(DomainError, match="List the items that failed"):
        r.record_flat_inspection(keeper, passed=False, items=[" "])
    assert r.reload().state == "submitted"
    r.record_flat_inspection(keeper, passed=False, items=["卫生间闭水试验渗漏", "地暖打压不合格"])
    assert r.state == "flat_failed" and len(r.inspections) == 1
    with pytest.raises(DomainError, match="not possible while the file is “Flat inspection failed”"):
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
    ("draft", "supervisor", lambda r, u: r.approve(u), "not possible while the file is “Draft”"),
    ("draft", "clerk", lambda r, u: r.refund(u, "cash", "x"), "does not allow"),
    ("submitted", "supervisor", lambda r, u: r.approve(u),
     "not possible while the file is “Submitted”. The flat must first pass the second inspection."),
    ("flat_passed", "clerk", lambda r, u: r.approve(u), "does not allow this step: Approve"),
    ("flat_passed", "housekeeper", lambda r, u: r.reject(u, "图纸不全"), "does not allow"),
    ("flat_passed", "supervisor", lambda r, u: r.reject(u, "  "), "Give the reason for the rejection"),
    ("approved", "cashier", lambda r, u: r.refund(u, "cash", "张伟"),
     "not possible while the file is “Approved”. The deposit is refunded only after the final inspection"),
    ("final_passed", "clerk", lambda r, u: r.refund(u, "cash", "张伟"), "does not allow this step: Refund deposit"),
    ("final_passed", "housekeeper", lambda r, u: r.refund(u, "cash", "张伟"), "does not allow"),
    ("in_progress", "cashier", lambda r, u: r.log_patrol(u, findings="正常"), "does not allow"),
    ("in_progress", "manager", lambda r, u: r.record_final_inspection(u, passed=True),
     "not possible while the file is “Work in progress”"),
    ("in_progress", "supervisor", lambda r, u: r.archive(u), "not possible"),
    ("final_passed", "manager", lambda r, u: r.refund(u, "cheque", "张伟"), "Choose how the deposit is paid back"),
    ("final_passed", "cashier", lambda r, u: r.refund(u, "cash", " "), "Enter who receives the refund"),
    ("refunded", "supervisor", lambda r, u: r.record_final_inspection(u, passed=True), "not possible"),
    ("archived", "clerk", lambda r, u: r.submit(u), "not possible while the file is “Archived”"),
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
    with pytest.raises(DomainError, match="Someone else has just moved this file on"):
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


def test_deductions_over_the_deposit_are_refused(w):
    r = file_in_state(w, "in_progress", deposit="1000")
    r.log_patrol(staff(w, "housekeeper"), findings="擅自拆改承重墙",
                 violations=[{"type": "structure", "description": "拆改承重墙", "deduction": "1000.01"}])
    r.record_initial_inspection(staff(w, "housekeeper"))
    r.record_final_inspection(staff(w, "supervisor"), passed=True)
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
    r._record_refund()  # re-running the record step (e.g. after a crash) creates nothing new
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
    r = file_in_state(w, "approved")
    r.start(staff(w, "clerk"), "carpentry_painting")
    mine = lambda: [(x.pk, s) for x, s in due_patrols(Renovation.objects, buildings=keeper.buildings)]  # noqa: E731
    assert mine() == [(r.pk, "due_today")]
    r.log_patrol(keeper, findings="正常")
    assert r.next_patrol_due == date(2026, 3, 5) and mine() == []
    clock.freeze(datetime(2026, 3, 4, 15, 59))   # 4 March 23:59 in Shanghai
    assert mine() == []
    clock.freeze(datetime(2026, 3, 4, 16, 0))    # 5 March 00:00 in Shanghai
    assert mine() == [(r.pk, "due_today")]
    clock.freeze(datetime(2026, 3, 5, 16, 0))    # 6 March
    assert mine() == [(r.pk, "overdue")]
    assert due_patrols(Renovation.objects, buildings=["7"]) == []  # another housekeeper's buildings
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
    r = file_in_state(w, "approved")
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
    with pytest.raises(PermissionDenied, match="approved by a supervisor"):
        r.issue_permit(staff(w, "clerk"), "hot_work", starts_at=start, ends_at=start + timedelta(hours=2),
                       fire_precautions="配灭火器两具，专人监护")
    sup = staff(w, "supervisor")
    with pytest.raises(DomainError, match="at most 12 hours"):
        r.issue_permit(sup, "hot_work", starts_at=start, ends_at=start + timedelta(hours=13),
                       fire_precautions="配灭火器两具")
    with pytest.raises(DomainError, match="fire precautions"):
        r.issue_permit(sup, "hot_work", starts_at=start, ends_at=start + timedelta(hours=2))
    permit = r.issue_permit(sup, "hot_work", starts_at=start, ends_at=start + timedelta(hours=2),
                            location="厨房", fire_precautions="配灭火器两具，清除易燃物，专人监护")
    assert permit.approver_name == "supervisor A" and permit.starts_at == datetime(2026, 3, 2, 6, 0)  # UTC


def test_item_release_needs_settled_fees(w):
    r = file_in_state(w, "in_progress")
    clerk = staff(w, "clerk")
    data = dict(items="旧橱柜 1 套、旧门 2 樘", driver_name="陈司机", driver_id=licence_no()[:18],
                vehicle_plate="粤B12345")
    with pytest.raises(DomainError, match="fees are settled"):
        r.issue_permit(clerk, "item_release", **data)
    permit = r.issue_permit(clerk, "item_release", fees_settled=True, **data)
    assert permit.number.endswith("-F01") and permit.valid_to == TODAY


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
    r = file_in_state(w, "approved")
    first, second = Renovation.objects.get(pk=r.pk), Renovation.objects.get(pk=r.pk)
    data = dict(worker_key=r.workers[1].key, valid_to=date(2026, 4, 30))
    a = first.issue_permit(staff(w, "clerk"), "worker_pass", key="same-form", **data)
    b = second.issue_permit(staff(w, "clerk"), "worker_pass", key="same-form", **data)
    assert a.number == b.number and len(Renovation.objects.get(pk=r.pk).permits) == 1
    assert AuditEntry.objects(record_id=str(r.pk), action="issue_permit").count() == 1

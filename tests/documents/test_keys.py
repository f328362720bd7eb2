"""The key register: batch receipt, issue once, loans (same-day contractors at the boundary, the sales
signature, no double loan under 20 racing requests), returns, the loan clock met / breached, chases."""
import threading
from datetime import timedelta

import pytest

from app import clock
from documents import agenda
from documents.agenda import Clock
from documents.audit import AuditEntry
from documents.base import DomainError, PermissionDenied
from documents.keys import (KeyLoan, KeyMovement, KeySet, approve_loan, issue_to_owner, labels_to_renew, lend,
                            overdue_count, receive_from_developer, return_by_label, return_key)
from documents.places import Building
from documents import timeline
from tests.support import atomic_store_operations, english_request, wall_clock_utc

ID = "11010519491231002X"


@pytest.fixture
def kw(app, world):
    """Community A on 2026-12-20 10:00 Shanghai, its building 1 received from the developer."""
    clock.freeze(wall_clock_utc(2026, 12, 20, 10, 0))
    with english_request(app):
        building = Building.objects(community=world["A"], number="1").first()
        world["receipt"] = receive_from_developer(world["staff"]["clerk"], building, "开发商 王经理", None,
                                                  {"entrance": 3, "mailbox": 1}, cabinet="K1")
        world["set101"] = KeySet.objects(community=world["A"], label_code="1-1-101-E").first()
        yield world


def fresh(record):
    return type(record).objects(pk=record.pk).first()


def test_batch_receipt_creates_each_rooms_sets_once(kw):
    assert kw["receipt"].sets_created == 12                 # 6 rooms x 2 kinds
    key_set = kw["set101"]
    assert (key_set.count, key_set.cabinet, key_set.state, key_set.received_from) == (3, "K1", "in_cabinet",
                                                                                      "开发商 王经理")
    building = Building.objects(community=kw["A"], number="1").first()
    again = receive_from_developer(kw["staff"]["clerk"], building, "开发商 王经理", None, {"entrance": 3})
    assert again.sets_created == 0 and KeySet.objects(community=kw["A"]).count() == 12
    assert KeyMovement.objects(kind="receive").count() == 12


def test_only_the_key_keeper_moves_keys(kw):
    for role in ("manager", "supervisor", "housekeeper", "cashier"):
        with pytest.raises(PermissionDenied):
            lend(kw["set101"], kw["staff"][role], "李师傅", "110105199001011234", "contractor", "修水管", None)
        with pytest.raises(PermissionDenied):
            issue_to_owner(kw["set101"], kw["hh_a"], kw["staff"][role], True, "张伟")
    with pytest.raises(PermissionDenied):             # a clerk of community B
        lend(kw["set101"], kw["staff"]["clerk_b"], "李师傅", "110105199001011234", "contractor", "修水管", None)
    assert KeyLoan.objects.count() == 0 and fresh(kw["set101"]).state == "in_cabinet"


def test_issue_once_with_identity_and_signature(kw):
    clerk = kw["staff"]["clerk"]
    with pytest.raises(DomainError) as refused:
        issue_to_owner(kw["set101"], kw["hh_a"], clerk, False, "张伟")
    assert refused.value.field == "identity_checked"
    with pytest.raises(DomainError) as refused:
        issue_to_owner(kw["set101"], kw["hh_a"], clerk, True, "  ")
    assert refused.value.field == "signed_by"
    with pytest.raises(DomainError) as refused:             # hh_a2 lives in 1-1-201
        issue_to_owner(kw["set101"], kw["hh_a2"], clerk, True, "Michael Brown")
    assert refused.value.field == "household"
    with pytest.raises(DomainError, match="no current household"):
        issue_to_owner(kw["set101"], None, clerk, True, "张伟")
    assert fresh(kw["set101"]).state == "in_cabinet"
    stale = fresh(kw["set101"])
    movement = issue_to_owner(kw["set101"], kw["hh_a"], clerk, True, "张伟")
    assert movement.kind == "issue" and movement.person == "张伟"
    key_set = fresh(kw["set101"])
    assert (key_set.state, key_set.household.pk, key_set.issued_signed_by) == ("issued", kw["hh_a"].pk, "张伟")
    with pytest.raises(DomainError, match="already issued"):
        issue_to_owner(key_set, kw["hh_a"], clerk, True, "张伟")
    with pytest.raises(DomainError):                        # a double click: the stale form
        issue_to_owner(stale, kw["hh_a"], clerk, True, "张伟")
    assert KeyMovement.objects(kind="issue").count() == 1
    assert AuditEntry.objects(collection="key_sets", action="issue").count() == 1
    titles = [item.title for item in timeline.for_household(kw["hh_a"]) if item.kind == "Keys"]
    assert titles == ["Issue keys to the owner"]


def test_only_keys_in_the_cabinet_move_to_another_room(kw):
    key_set = fresh(kw["set101"])
    key_set.hook = "05"
    key_set.save()                                          # in the cabinet: any edit
    lend(key_set, kw["staff"]["clerk"], "李师傅", "110105199001011234", "contractor", "修水管", None)
    lent = fresh(key_set)
    lent.room = kw["rooms"]["A"]["1-1-102"]
    with pytest.raises(DomainError, match="Only keys in the cabinet"):
        lent.save()
    assert fresh(key_set).room_code == "1-1-101"


def test_contractor_returns_the_same_day_at_the_boundary(kw):
    clerk = kw["staff"]["clerk"]
    end_of_day = wall_clock_utc(2026, 12, 20, 23, 59, 59)
    with pytest.raises(DomainError) as refused:
        lend(kw["set101"], clerk, "李师傅", "110105199001011234", "contractor", "修水管", end_of_day + timedelta(seconds=1))
    assert refused.value.field == "expected_return_at" and "same day" in refused.value.message
    with pytest.raises(DomainError, match="same day"):
        lend(kw["set101"], clerk, "王师傅", "110105199001011234", "repair_staff", "修电", end_of_day + timedelta(hours=3))
    assert KeyLoan.objects.count() == 0
    loan = lend(kw["set101"], clerk, "李师傅", "110105199001011234", "contractor", "修水管", end_of_day)
    assert loan.state == "on_loan" and loan.expected_return_at == end_of_day
    return_key(loan, clerk)
    default = lend(fresh(kw["set101"]), clerk, "李师傅", "110105199001011234", "contractor", "修水管", None)
    assert default.expected_return_at == end_of_day          # no time given: the end of the local day
    # an owner's loan may run for days
    other = KeySet.objects(label_code="1-1-102-E").first()
    assert lend(other, clerk, "陈", "110105199001011234", "owner", "忘带钥匙", end_of_day + timedelta(days=2))


def test_an_expected_return_in_the_past_is_refused(kw):
    with pytest.raises(DomainError) as refused:
        lend(kw["set101"], kw["staff"]["clerk"], "陈", "110105199001011234", "other", "量尺寸",
             clock.now() - timedelta(minutes=1))
    assert refused.value.field == "expected_return_at" and "past" in refused.value.message
    assert KeyLoan.objects.count() == 0 and fresh(kw["set101"]).state == "in_cabinet"


def test_sales_department_waits_for_the_supervisors_signature(kw):
    clerk = kw["staff"]["clerk"]
    loan = lend(kw["set101"], clerk, "销售部 刘", "110105199001011234", "sales", "带客户看房",
                clock.now() + timedelta(hours=4))
    assert loan.state == "awaiting_signature" and fresh(kw["set101"]).state == "in_cabinet"
    assert not Clock.objects(record_id=loan.pk).first()
    with pytest.raises(DomainError) as refused:
        approve_loan(loan, clerk, "")
    assert refused.value.field == "signed_by"
    approve_loan(loan, clerk, "销售经理 赵")
    assert fresh(loan).state == "on_loan" and fresh(loan).signed_by == "销售经理 赵"
    assert fresh(kw["set101"]).state == "on_loan"
    assert Clock.objects(record_id=loan.pk, state="running").count() == 1


def test_a_key_on_loan_is_not_lent_again_and_a_key_not_on_loan_is_not_returned(kw):
    clerk = kw["staff"]["clerk"]
    with pytest.raises(DomainError) as refused:
        return_by_label(kw["A"], "1-1-101-E", clerk)
    assert refused.value.field == "label_code" and "not on loan" in refused.value.message
    loan = lend(kw["set101"], clerk, "李师傅", "110105199001011234", "contractor", "修水管", None)
    with pytest.raises(DomainError) as refused:
        lend(fresh(kw["set101"]), clerk, "王", "110105199001011234", "owner", "x", clock.now() + timedelta(hours=1))
    assert "already on loan" in refused.value.message and refused.value.field == "label_code"
    return_by_label(kw["A"], "1-1-101-e", clerk)
    assert fresh(loan).state == "returned" and fresh(kw["set101"]).state == "in_cabinet"
    with pytest.raises(DomainError, match="not on loan"):
        return_key(fresh(loan), clerk)
    assert KeyMovement.objects(kind="return").count() == 1


def test_no_double_loan_under_twenty_racing_requests(kw):
    clerk = kw["staff"]["clerk"]
    barrier = threading.Barrier(20)
    won, refused, errors = [], [], []

    def borrow(i):
        key_set = KeySet.objects(label_code="1-1-101-E").first()
        barrier.wait()
        try:
            won.append(lend(key_set, clerk, f"师傅{i}", "110105199001011234", "contractor", "修水管", None))
        except DomainError as err:
            refused.append(err)
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    with atomic_store_operations():
        threads = [threading.Thread(target=borrow, args=(i,)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert len(won) == 1 and len(refused) == 19
    assert KeyLoan.objects(state="on_loan").count() == 1 and KeyLoan.objects.count() == 1
    key_set = fresh(kw["set101"])
    assert key_set.state == "on_loan" and key_set.current_loan.pk == won[0].pk
    assert KeyMovement.objects(kind="lend").count() == 1


def test_loan_clock_met_on_time_and_breached_when_late_then_chased(kw):
    clerk = kw["staff"]["clerk"]
    on_time = lend(kw["set101"], clerk, "李师傅", "110105199001011234", "contractor", "修水管", None)
    clock.freeze(wall_clock_utc(2026, 12, 20, 18, 0))
    return_key(on_time, clerk)
    assert Clock.objects(record_id=on_time.pk).first().state == "met"

    late = lend(fresh(kw["set101"]), clerk, "王师傅", "110105199001011234", "repair_staff", "修电", None)
    with pytest.raises(DomainError, match="not overdue"):
        late.chase(clerk, "打电话")
    clock.freeze(wall_clock_utc(2026, 12, 21, 9, 0))
    agenda.sweep()
    running = Clock.objects(record_id=late.pk).first()
    assert running.state == "breached" and running.level == 1 and running.responsible_role == "clerk"
    assert overdue_count(kw["staff"]["supervisor"]) == 1 and overdue_count(kw["staff"]["clerk_b"]) == 0
    late = fresh(late)
    with pytest.raises(DomainError) as refused:
        late.chase(clerk, " ")
    assert refused.value.field == "note"
    late.chase(clerk, "电话联系王师傅，答应上午送回")
    late = fresh(late)
    assert [(c.by, c.note) for c in late.chases] == [("clerk A", "电话联系王师傅，答应上午送回")]
    return_key(late, clerk)
    assert Clock.objects(record_id=late.pk).first().state == "breached"
    assert overdue_count(kw["staff"]["supervisor"]) == 0


def test_label_check_lists_labels_to_renew(kw):
    clerk = kw["staff"]["clerk"]
    kw["set101"].check_label(clerk, "damaged", "字迹磨损")
    KeySet.objects(label_code="1-1-102-M").first().check_label(clerk, "ok")
    assert [k.label_code for k in labels_to_renew(clerk)] == ["1-1-101-E"]
    fresh(kw["set101"]).renew_label(clerk)
    assert labels_to_renew(clerk).count() == 0
    with pytest.raises(PermissionDenied):
        fresh(kw["set101"]).check_label(kw["staff"]["housekeeper"], "damaged")


def test_loans_of_the_households_room_are_on_its_timeline(kw):
    loan = lend(kw["set101"], kw["staff"]["clerk"], "李师傅", "110105199001011234", "contractor", "修水管", None)
    assert loan.household.pk == kw["hh_a"].pk
    titles = [item.title for item in timeline.for_household(kw["hh_a"]) if item.kind == "Keys"]
    assert "Lend key" in titles
    assert not [item for item in timeline.for_household(kw["hh_a2"]) if item.kind == "Keys"]


def test_issue_once_under_ten_racing_clicks(kw):
    clerk = kw["staff"]["clerk"]
    barrier = threading.Barrier(10)
    issued, refused, errors = [], [], []

    def click():
        key_set = KeySet.objects(label_code="1-1-101-E").first()
        barrier.wait()
        try:
            issued.append(issue_to_owner(key_set, kw["hh_a"], clerk, True, "张伟"))
        except DomainError as err:
            refused.append(err)
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    with atomic_store_operations():
        threads = [threading.Thread(target=click) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors and len(issued) == 1 and len(refused) == 9
    assert KeyMovement.objects(kind="issue").count() == 1
    assert AuditEntry.objects(collection="key_sets", action="issue").count() == 1


def test_the_move_in_step_sees_the_rooms_key_sets_in_the_cabinet(kw):
    from documents.keys import issuable_key_sets
    room = kw["hh_a"].room
    assert [k.label_code for k in issuable_key_sets(room)] == ["1-1-101-E", "1-1-101-M"]
    issue_to_owner(issuable_key_sets(room)[0], kw["hh_a"], kw["staff"]["clerk"], True, "张伟")
    assert [k.label_code for k in issuable_key_sets(room)] == ["1-1-101-M"]


def test_a_key_on_loan_is_taken_back_before_it_is_reported_lost(kw):
    clerk = kw["staff"]["clerk"]
    loan = lend(kw["set101"], clerk, "李师傅", "110105199001011234", "contractor", "修水管", None)
    with pytest.raises(DomainError, match="taken back first"):
        fresh(kw["set101"]).mark_lost(clerk, "借用人遗失")
    return_key(loan, clerk, "借用人遗失钥匙")
    fresh(kw["set101"]).mark_lost(clerk, "借用人遗失")
    assert fresh(kw["set101"]).state == "lost" and KeyMovement.objects(kind="lost").count() == 1


def test_loan_clock_reaches_every_key_keeper_role(kw, monkeypatch):
    """With two key-keeper roles, the loan's clock is answered by both: each role's My work lists it
    overdue and each is told of the breach; a role that keeps no keys sees nothing."""
    from documents import my_work, notifications
    from documents.keys import KEY_LOAN_CLOCK
    monkeypatch.setattr(KEY_LOAN_CLOCK, "roles", ("clerk", "housekeeper"))
    assert KEY_LOAN_CLOCK.answering_roles() == ("clerk", "housekeeper")
    loan = lend(kw["set101"], kw["staff"]["clerk"], "李师傅", "110105199001011234", "contractor", "修水管", None)
    running = Clock.objects(record_id=loan.pk).first()
    assert (running.responsible_role, running.responsible_roles) == ("clerk", ["clerk", "housekeeper"])
    late = wall_clock_utc(2026, 12, 21, 9, 0)
    for role in ("clerk", "housekeeper"):
        assert [c.record_id for c in my_work.overdue(kw["staff"][role], late).items] == [loan.pk]
    assert my_work.overdue(kw["staff"]["cashier"], late).count == 0
    assert my_work.overdue(kw["staff"]["clerk_b"], late).count == 0            # another community
    event = {"what": "breach", "level": 0, "at": running.due_at, "key": "k"}
    told = {s.username for s in notifications.recipients(KEY_LOAN_CLOCK, running, event)}
    assert {kw["staff"]["clerk"].username, kw["staff"]["housekeeper"].username} <= told
    assert kw["staff"]["cashier"].username not in told


def test_a_single_role_clock_keeps_one_role(kw):
    loan = lend(kw["set101"], kw["staff"]["clerk"], "李师傅", "110105199001011234", "contractor", "修水管", None)
    running = Clock.objects(record_id=loan.pk).first()
    assert running.responsible_role == "clerk" and not running.responsible_roles
    late = wall_clock_utc(2026, 12, 21, 9, 0)
    from documents import my_work
    assert my_work.overdue(kw["staff"]["clerk"], late).count == 1
    assert my_work.overdue(kw["staff"]["housekeeper"], late).count == 0

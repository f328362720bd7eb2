"""Move-in files at the document level: the eight steps in order, what each refuses, the archive it
creates, defects becoming work orders linked to their rows, skip/undo only for a supervisor with a
reason, and moving in making the archive current and the room occupied."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from app import clock
from documents.audit import AuditEntry
from documents.base import DomainError, PermissionDenied
from documents.fees.items import FeeItem, Rate
from documents.fees.ledger import charge
from documents.movein import LONG_WAIT_MINUTES, MoveIn
from documents.places import Room
from documents.repairs import Repair
from documents.residents import Household
from documents import timeline
from tests.support import english_request

ID = "11010519491231002X"


@pytest.fixture
def mv(app, world):
    """2026-12-20 10:00 in Shanghai; room 1-1-102 of community A is new (unsold, no archive)."""
    clock.freeze(datetime(2026, 12, 20, 2, 0))
    with english_request(app):
        yield world


def opened(world, room="1-1-102"):
    return MoveIn.open(world["staff"]["clerk"], world["A"], room, "王芳", "13800138001",
                       appointment_on=date(2026, 12, 20))


def through(world, record, last):
    """Take the steps up to and including `last` as the roles of the counters."""
    staff = world["staff"]
    steps = [
        ("verify", lambda: record.verify(staff["clerk"], "owner", True, True, True)),
        ("sign", lambda: record.sign(staff["clerk"], True, True, True)),
        ("archive", lambda: record.fill_archive(staff["clerk"], "王芳", "13800138001", "id_card", ID, True)),
        ("fees", lambda: record.settle_fees(staff["cashier"], True, "工商银行", "6222 0000 1111 2345")),
        ("items", lambda: record.hand_over(staff["housekeeper"], {"keys": 3, "access_card": 2}, True)),
        ("inspect", lambda: record.inspect(staff["housekeeper"], [], [], "accepted")),
        ("handbook", lambda: record.give_handbook(staff["clerk"], True, True, True, True)),
        ("finish", lambda: record.finish(staff["clerk"], "declined")),
    ]
    for name, take in steps:
        take()
        if name == last:
            return record


def test_opening_refuses_an_unknown_room_and_a_second_file(mv):
    with pytest.raises(DomainError) as err:
        MoveIn.open(mv["staff"]["clerk"], mv["A"], "9-9-999", "王芳")
    assert err.value.field == "room" and "9-9-999" in str(err.value.message)
    opened(mv)
    with pytest.raises(DomainError) as err:
        opened(mv)
    assert err.value.field == "room" and MoveIn.objects.count() == 1


def test_a_step_cannot_be_taken_before_the_previous_one(mv):
    record = opened(mv)
    with pytest.raises(DomainError) as err:
        record.sign(mv["staff"]["clerk"], True, True, True)
    assert "Verify documents" in str(err.value.message)
    assert MoveIn.objects.get().state == "verify" and MoveIn.objects.get().log == []


def test_verify_needs_the_documents_seen_and_an_agent_a_power_of_attorney(mv):
    record = opened(mv)
    clerk = mv["staff"]["clerk"]
    with pytest.raises(DomainError) as err:
        record.verify(clerk, "owner", True, False, True)
    assert err.value.field == "contract_seen"
    with pytest.raises(DomainError) as err:
        record.verify(clerk, "agent", True, True, True, agent_name="赵强", poa_seen=False, agent_id_seen=True)
    assert err.value.field == "poa_seen"
    record.verify(clerk, "agent", True, True, True, agent_name="赵强", poa_seen=True, agent_id_seen=True)
    assert record.state == "sign" and record.agent_name == "赵强"
    # the log says it in the clerk's words, not in codes
    assert MoveIn.objects.get().log[-1].summary == \
        "ID card, purchase contract and move-in notice checked; agent 赵强 with power of attorney"


def test_the_log_is_written_in_the_clerks_language(app, world):
    from flask_babel import force_locale
    clock.freeze(datetime(2026, 12, 20, 2, 0))
    with app.test_request_context("/"), force_locale("zh_Hans_CN"):
        record = opened(world)
        record.verify(world["staff"]["clerk"], "owner", True, True, True)
    assert MoveIn.objects.get().log[-1].summary == "已核验身份证、购房合同及入伙通知书"


def test_nobody_signs_for_the_owner(mv):
    record = through(mv, opened(mv), "verify")
    with pytest.raises(DomainError) as err:
        record.sign(mv["staff"]["clerk"], False, True, True)
    assert err.value.field == "signed_in_person" and MoveIn.objects.get().state == "sign"


def test_the_archive_is_created_moving_in_and_the_fees_must_be_settled(mv):
    record = through(mv, opened(mv), "archive")
    household = Household.objects(room=mv["rooms"]["A"]["1-1-102"]).get()
    assert household.status == "moving_in" and household.owners[0].id_number == ID
    assert record.household.pk == household.pk
    assert Room.objects(pk=mv["rooms"]["A"]["1-1-102"].pk).get().status == "unsold"
    item = FeeItem(community=mv["A"], code="WX", name_zh="专项维修资金", name_en="Maintenance fund",
                   kind="other", basis="fixed", rates=[Rate(valid_from=date(2025, 1, 1),
                                                            amount=Decimal("100.00"))]).save()
    charge(household, item, Decimal("2000.00"), due_on=date(2026, 12, 20))
    with pytest.raises(DomainError) as err:
        record.settle_fees(mv["staff"]["cashier"], False)
    assert err.value.field == "fees" and "2000.00" in str(err.value.message)
    with pytest.raises(PermissionDenied):
        record.settle_fees(mv["staff"]["clerk"], False)
    assert MoveIn.objects.get().state == "fees"


def test_auto_debit_keeps_only_the_last_digits(mv):
    record = through(mv, opened(mv), "fees")
    assert record.account_masked == "**** 2345" and record.bank == "工商银行"
    assert "6222" not in str(MoveIn.objects.get().to_mongo())


def test_each_defect_opens_a_work_order_linked_to_its_row(mv):
    record = through(mv, opened(mv), "items")
    guide = mv["staff"]["housekeeper"]
    with pytest.raises(DomainError) as err:
        record.inspect(guide, ["walls"], [("walls", "  ")], "with_defects")
    assert err.value.field == "defects" and Repair.objects.count() == 0
    with pytest.raises(DomainError) as err:
        record.inspect(guide, [], [("walls", "客厅墙面裂缝")], "accepted")
    assert err.value.field == "outcome"
    record.inspect(guide, ["walls", "water"], [("walls", "客厅墙面裂缝"), ("water", "厨房水龙头漏水")],
                   "refused")
    stored = MoveIn.objects.get()
    assert stored.state == "inspect" and len(stored.defects) == 2
    orders = {o.pk: o for o in Repair.objects}
    assert len(orders) == 2
    for defect in stored.defects:
        order = orders[defect.work_order.pk]
        assert defect.description in order.description and order.room.pk == stored.room.pk
        assert defect.work_order_no == order.number
    record.inspect(guide, [], [("water", "厨房水龙头仍滴水")], "with_defects")
    stored = MoveIn.objects.get()
    assert stored.state == "handbook" and [i.outcome for i in stored.inspections] == ["refused", "with_defects"]
    assert Repair.objects.count() == 3 and stored.defects[2].round == 2


def test_skip_and_undo_need_a_supervisor_and_a_reason(mv):
    record = through(mv, opened(mv), "verify")
    with pytest.raises(PermissionDenied):
        record.skip(mv["staff"]["clerk"], "业主赶时间")
    with pytest.raises(DomainError) as err:
        record.skip(mv["staff"]["supervisor"], " ")
    assert err.value.field == "reason" and MoveIn.objects.get().state == "sign"
    record.skip(mv["staff"]["supervisor"], "协议已在售楼处签署")
    assert record.state == "archive" and record.log[-1].kind == "skipped"
    with pytest.raises(DomainError) as err:
        record.skip(mv["staff"]["supervisor"], "资料已齐")       # the archive cannot be skipped
    assert "cannot be skipped" in str(err.value.message)
    record.undo(mv["staff"]["supervisor"], "协议需业主本人重签")
    assert record.state == "sign" and record.log[-1].kind == "undone"
    assert record.sign(mv["staff"]["clerk"], True, True, True).state == "archive"
    assert AuditEntry.objects(collection="move_ins", action="undo").count() == 1


def test_moving_in_makes_the_archive_current_the_room_occupied_and_writes_the_timeline(mv):
    record = through(mv, opened(mv), "finish")
    assert record.state == "moved_in" and record.moved_in_on == date(2026, 12, 20)
    household = Household.objects(room=mv["rooms"]["A"]["1-1-102"]).get()
    assert household.status == "current" and household.move_in_date == date(2026, 12, 20)
    assert Room.objects(pk=mv["rooms"]["A"]["1-1-102"].pk).get().status == "occupied"
    titles = [item.title for item in timeline.for_household(household) if item.kind == "Move-in"]
    assert len(titles) == 8 and "Moving in" in titles


def test_the_board_counts_steps_and_flags_long_waits(mv):
    from documents.movein import board
    record = opened(mv)
    opened(mv, "1-1-202")
    through(mv, record, "sign")
    rows, counts = board(mv["A"], date(2026, 12, 20))
    assert counts["verify"] == 1 and counts["archive"] == 1 and len(rows) == 2
    clock.freeze(datetime(2026, 12, 20, 2, LONG_WAIT_MINUTES + 1))
    assert all(r.waits_long() for r in rows)


def test_the_board_lists_the_longest_waits_first_and_at_most_its_limit(mv):
    from documents.movein import long_waits
    first = opened(mv)                                     # opened 10:00
    clock.freeze(datetime(2026, 12, 20, 2, 5))
    through(mv, first, "verify")                           # arrived 10:05, waits at sign since 10:05
    clock.freeze(datetime(2026, 12, 20, 2, 10))
    second = opened(mv, "1-1-202")                         # waits at verify since 10:10
    clock.freeze(datetime(2026, 12, 20, 2, 20))
    opened(mv, "1-1-302")                                  # since 10:20
    assert long_waits(mv["A"], date(2026, 12, 20)) == ([], 0)
    clock.freeze(datetime(2026, 12, 20, 2, 10 + LONG_WAIT_MINUTES + 1))
    waiting, count = long_waits(mv["A"], date(2026, 12, 20))
    assert count == 2 and [w.room_code for w in waiting] == ["1-1-102", "1-1-202"]
    assert MoveIn.objects.get(pk=first.pk).arrived_at == datetime(2026, 12, 20, 2, 5)
    assert MoveIn.objects.get(pk=second.pk).arrived_at is None
    waiting, count = long_waits(mv["A"], date(2026, 12, 20), limit=1)
    assert count == 2 and [w.room_code for w in waiting] == ["1-1-102"]
    assert waiting[0].log == [] and waiting[0].owner_name == "王芳"            # only the board's fields read


def test_step_five_issues_the_rooms_key_sets_from_the_register(mv):
    from documents.keys import KeyMovement, KeySet, receive_from_developer
    building = mv["rooms"]["A"]["1-1-102"].building
    receive_from_developer(mv["staff"]["clerk"], building, "开发商 王经理", None, {"entrance": 3, "mailbox": 1},
                           "K1")
    record = through(mv, opened(mv), "fees")
    sets = record.key_sets()
    assert [k.label_code for k in sets] == ["1-1-102-E", "1-1-102-M"]
    other = KeySet.objects(label_code="1-1-101-E").get()
    with pytest.raises(DomainError) as err:
        record.hand_over(mv["staff"]["clerk"], {}, True, key_set_ids=[str(other.pk)])
    assert err.value.field == "key_set_ids" and other.reload().state == "in_cabinet"
    with pytest.raises(DomainError) as err:
        record.hand_over(mv["staff"]["clerk"], {}, False, key_set_ids=[str(k.pk) for k in sets])
    assert err.value.field == "signed_for" and all(k.reload().state == "in_cabinet" for k in sets)
    record.hand_over(mv["staff"]["clerk"], {"access_card": 2}, True, key_set_ids=[str(k.pk) for k in sets])
    assert record.state == "inspect" and {i.kind: i.count for i in record.items} == {"keys": 4, "access_card": 2}
    for key_set in sets:
        key_set.reload()
        assert key_set.state == "issued" and key_set.household.pk == record.household.pk
        assert key_set.issued_signed_by == "王芳"
    assert KeyMovement.objects(kind="issue").count() == 2


def test_notices_for_a_building_slots_never_overbooked_and_the_file_opened_from_its_notice(mv):
    from documents.movein import HandoverSlot, MoveInNotice, issue_notices
    clerk = mv["staff"]["clerk"]
    with pytest.raises(DomainError) as err:
        issue_notices(clerk, mv["A"], rooms_text="1-1-102, 9-9-999")
    assert err.value.field == "rooms" and "9-9-999" in str(err.value.message) and MoveInNotice.objects.count() == 0
    created = issue_notices(clerk, mv["A"], building_no="1")
    assert sorted(n.room_code for n in created) == ["1-1-102", "1-1-202", "1-1-301", "1-1-302"]
    assert issue_notices(clerk, mv["A"], building_no="1") == []          # once per room
    slot = HandoverSlot(community=mv["A"], day=date(2026, 12, 21), starts="09:00", capacity=1).save()
    first, second = created[0], created[1]
    first.book(clerk, str(slot.pk))
    with pytest.raises(DomainError) as err:
        second.book(clerk, str(slot.pk))
    assert err.value.field == "slot_id" and "full" in str(err.value.message)
    assert HandoverSlot.objects.get().booked == 1 and second.reload().state == "issued"
    record = first.open_file(clerk, "王芳", "13800138001")
    assert record.appointment_on == date(2026, 12, 21) and record.room_code == first.room_code
    assert first.reload().state == "opened" and first.move_in.pk == record.pk


# ---- undo: each step's effects reversed as the step declares ----

def _undo(mv, record, reason="核对有误"):
    record.undo(mv["staff"]["supervisor"], reason)
    return MoveIn.objects.get(pk=record.pk)


def test_undoing_verify_clears_who_came(mv):
    record = through(mv, opened(mv), "verify")
    assert MoveIn.objects.get().visitor == "owner"
    with pytest.raises(PermissionDenied):
        record.undo(mv["staff"]["clerk"], "x")
    with pytest.raises(DomainError) as err:
        record.undo(mv["staff"]["supervisor"], "  ")
    assert err.value.field == "reason" and MoveIn.objects.get().state == "sign"
    stored = _undo(mv, record)
    assert (stored.state, stored.visitor, stored.agent_name) == ("verify", None, None)
    assert stored.log[-1].kind == "undone" and "cleared" in stored.log[-1].summary


def test_undoing_the_archive_keeps_the_archive_and_redoing_completes_it(mv):
    record = through(mv, opened(mv), "archive")
    household = Household.objects(room=mv["rooms"]["A"]["1-1-102"]).get()
    stored = _undo(mv, record)
    assert stored.state == "archive" and stored.household.pk == household.pk
    assert Household.objects(room=mv["rooms"]["A"]["1-1-102"]).get().status == "moving_in"
    assert "kept permanently" in stored.log[-1].summary
    stored.fill_archive(mv["staff"]["clerk"], "王芳", "13800138001", "id_card", ID, True)
    assert MoveIn.objects.get().state == "fees" and Household.objects(room=household.room).count() == 1
    assert len(Household.objects.get(pk=household.pk).owners) == 1


def test_undoing_fees_clears_the_auto_debit_and_receipt_but_not_the_payments(mv):
    record = through(mv, opened(mv), "fees")
    stored = _undo(mv, record)
    assert stored.state == "fees"
    assert (stored.auto_debit, stored.bank, stored.account_masked, stored.receipt_no) == (None, None, None, None)
    assert "payments stay" in stored.log[-1].summary


def _room_keys(mv):
    from documents.keys import KeySet, receive_from_developer
    from documents.places import Building
    building = Building.objects(community=mv["A"], number="1").first()
    receive_from_developer(mv["staff"]["clerk"], building, "开发商 王经理", None, {"entrance": 2}, cabinet="K1")
    return KeySet.objects(community=mv["A"], label_code="1-1-102-E").get()


def test_undoing_items_is_refused_while_the_owner_has_the_keys_then_clears_the_items(mv):
    from documents.keys import KeyMovement, KeySet
    key_set = _room_keys(mv)
    record = through(mv, opened(mv), "fees")
    record.hand_over(mv["staff"]["clerk"], {"access_card": 2}, True, key_set_ids=[str(key_set.pk)])
    assert KeySet.objects.get(pk=key_set.pk).state == "issued"
    record = MoveIn.objects.get()
    assert "1-1-102-E" in record.why_not("undo", mv["staff"]["supervisor"])
    with pytest.raises(DomainError) as err:
        record.undo(mv["staff"]["supervisor"], "钥匙发错")
    assert "1-1-102-E" in str(err.value.message) and "key register" in str(err.value.message)
    assert MoveIn.objects.get().state == "inspect" and MoveIn.objects.get().items
    with pytest.raises(DomainError) as err:
        KeySet.objects.get(pk=key_set.pk).return_from_owner(mv["staff"]["clerk"], " ")
    assert err.value.field == "note"
    KeySet.objects.get(pk=key_set.pk).return_from_owner(mv["staff"]["clerk"], "交付撤回，钥匙收回")
    back = KeySet.objects.get(pk=key_set.pk)
    assert (back.state, back.household, back.issued_signed_by) == ("in_cabinet", None, None)
    stored = _undo(mv, MoveIn.objects.get(), "钥匙发错")
    assert stored.state == "items" and stored.items == []
    stored.hand_over(mv["staff"]["clerk"], {}, True, key_set_ids=[str(key_set.pk)])     # issued again
    assert KeySet.objects.get(pk=key_set.pk).state == "issued"
    assert sorted(m.kind for m in KeyMovement.objects(key_set=key_set.pk)) == ["issue", "issue", "receive", "return"]


def test_undoing_the_inspection_withdraws_its_round_and_cancels_only_orders_not_under_way(mv):
    record = through(mv, opened(mv), "items")
    record.inspect(mv["staff"]["housekeeper"], ["walls", "water"],
                   [("walls", "客厅墙面裂缝"), ("water", "厨房水龙头漏水")], "with_defects")
    stored = MoveIn.objects.get()
    waiting, under_way = [d.work_order.pk for d in stored.defects]
    Repair.objects(pk=under_way).update_one(set__state="arrived")     # a technician is already on site
    stored = _undo(mv, stored, "验房记录有误")
    assert stored.state == "inspect"
    assert [i.undone for i in stored.inspections] == [True] and all(d.withdrawn for d in stored.defects)
    assert stored.current_defects() == []
    assert Repair.objects.get(pk=waiting).state == "cancelled"
    assert Repair.objects.get(pk=under_way).state == "arrived"         # kept, still linked to its row
    assert stored.defects[1].work_order.pk == under_way
    assert Repair.objects.get(pk=under_way).number in stored.log[-1].summary
    stored.inspect(mv["staff"]["housekeeper"], [], [], "accepted")    # the re-inspection: round 2
    again = MoveIn.objects.get()
    assert again.state == "handbook" and [i.round for i in again.inspections] == [1, 2]


def test_undoing_a_refused_round_is_not_possible_only_the_accepting_one(mv):
    record = through(mv, opened(mv), "items")
    record.inspect(mv["staff"]["housekeeper"], ["walls"], [("walls", "墙面裂缝")], "refused")
    stored = _undo(mv, MoveIn.objects.get(), "交付物品有误")        # waiting at inspect: undoes the items
    assert stored.state == "items" and not stored.inspections[0].undone and Repair.objects.get().state == "reported"


def test_undoing_moving_in_puts_the_archive_and_the_room_back(mv):
    room = mv["rooms"]["A"]["1-1-102"]
    before = Room.objects.get(pk=room.pk).status
    record = through(mv, opened(mv), "finish")
    assert Room.objects.get(pk=room.pk).status == "occupied"
    stored = _undo(mv, record, "业主尚未搬入")
    household = Household.objects(room=room).get()
    assert stored.state == "finish" and stored.renovation is None and stored.moved_in_on is None
    assert household.status == "moving_in" and household.move_in_date is None
    assert Room.objects.get(pk=room.pk).status == before
    assert AuditEntry.objects(collection="households", note__contains="undone").count() == 1
    stored.finish(mv["staff"]["clerk"], "offered")
    assert Household.objects(room=room).get().status == "current"
    assert Room.objects.get(pk=room.pk).status == "occupied"


def test_undoing_a_skipped_step_reverses_nothing(mv):
    record = opened(mv)
    record.skip(mv["staff"]["supervisor"], "业主已在售楼处核验")
    stored = _undo(mv, MoveIn.objects.get(), "需本人核验")
    assert stored.state == "verify" and "nothing to reverse" in stored.log[-1].summary


def test_undoing_a_step_without_effects_only_moves_the_file_back(mv):
    record = through(mv, opened(mv), "handbook")
    stored = _undo(mv, record, "手册未发放")
    assert stored.state == "handbook" and "changed nothing else" in stored.log[-1].summary
    assert Household.objects(room=mv["rooms"]["A"]["1-1-102"]).get().status == "moving_in"


def test_a_double_click_on_undo_reverses_the_inspection_once(mv):
    record = through(mv, opened(mv), "items")
    record.inspect(mv["staff"]["housekeeper"], ["walls"], [("walls", "客厅墙面裂缝")], "with_defects")
    first, second = MoveIn.objects.get(), MoveIn.objects.get()
    first.undo(mv["staff"]["supervisor"], "验房记录有误")
    with pytest.raises(DomainError):
        second.undo(mv["staff"]["supervisor"], "验房记录有误")
    stored = MoveIn.objects.get()
    assert stored.state == "inspect" and [e.kind for e in stored.log].count("undone") == 1
    assert Repair.objects.get().state == "cancelled"
    assert AuditEntry.objects(collection="repairs", action="cancel").count() == 1

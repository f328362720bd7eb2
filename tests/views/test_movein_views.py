"""Move-in files through the pages, in English and Chinese: opening (an unknown room refused on the
field), the eight step pages by role in order, a step out of order, a defect without a description,
skip by a supervisor only, the handover-day board and the three prints."""
from datetime import date, datetime

import pytest

from app import clock
from documents.movein import LONG_WAIT_MINUTES, MoveIn
from documents.places import Room
from documents.repairs import Repair
from documents.residents import Household
from tests.support import separate_requests

ID = "11010519491231002X"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def mv(app, world):
    clock.freeze(datetime(2026, 12, 20, 2, 0))      # 10:00 in Shanghai
    with separate_requests(app):
        yield world


def in_chinese(client):
    client.post("/auth/language", data={"language": "zh_Hans_CN"})
    return client


def open_file(client, room="1-1-102", headers=EN):
    return client.post("/admin/move_ins/open/", headers=headers, data={
        "room": room, "owner_name": "王芳", "owner_phone": "13800138001", "appointment_on": "2026-12-20"})


def step(client, name, record, data, headers=EN):
    return client.post(f"/admin/move_ins/step/{name}/?id={record.pk}", data=data, headers=headers)


STEP_DATA = [
    ("clerk", "verify", {"visitor": "owner", "id_card_seen": "y", "contract_seen": "y", "notice_seen": "y"}),
    ("clerk", "sign", {"signed_in_person": "y", "agreement_signed": "y", "rules_signed": "y"}),
    ("clerk", "archive", {"documents_collected": "y", "owner_name": "王芳", "phone": "13800138001",
                          "id_type": "id_card", "id_number": ID}),
    ("cashier", "fees", {"auto_debit": "y", "bank": "工商银行", "account": "6222000011112345"}),
    ("housekeeper", "items", {"keys": "3", "access_card": "2", "doorbell": "1", "signed_for": "y"}),
    ("housekeeper", "inspect", {"outcome": "with_defects", "defects-0-area": "walls",
                                "defects-0-description": "客厅墙面裂缝",
                                **{f"ok_{a}": "y" for a in ("doors", "windows", "water", "power", "roof",
                                                             "floors", "smart_home")}}),
    ("clerk", "handbook", {"handbook_given": "y", "service_card_given": "y", "tips_given": "y",
                           "checklist_filled": "y"}),
    ("clerk", "finish", {"renovation": "offered"}),
]


def test_an_unknown_room_is_refused_on_the_field_in_both_languages(mv, client_as):
    client = client_as("clerk")
    page = open_file(client, "9-9-999").get_data(as_text=True)
    assert "There is no room 9-9-999." in page and "is-invalid" in page
    page = open_file(in_chinese(client_as("clerk")), "9-9-999", ZH).get_data(as_text=True)
    assert "没有房号 9-9-999。" in page
    assert MoveIn.objects.count() == 0


def test_an_owner_walks_through_the_eight_steps(mv, client_as):
    clients = {role: client_as(role) for role in ("clerk", "cashier", "housekeeper")}
    response = open_file(clients["clerk"])
    assert response.status_code == 302
    record = MoveIn.objects.get()
    page = clients["clerk"].get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Verify documents" in page and "1 Verify documents" in page
    for role, name, data in STEP_DATA:
        response = step(clients[role], name, record, data)
        assert response.status_code == 302, (name, response.get_data(as_text=True)[:3000])
    stored = MoveIn.objects.get()
    assert stored.state == "moved_in" and [e.step for e in stored.log] == [n for _r, n, _d in STEP_DATA]
    assert stored.account_masked == "**** 2345" and {i.kind: i.count for i in stored.items} == \
        {"keys": 3, "access_card": 2, "doorbell": 1}
    order = Repair.objects.get()
    assert stored.defects[0].work_order.pk == order.pk and "客厅墙面裂缝" in order.description
    assert Household.objects(room=stored.room).get().status == "current"
    assert Room.objects(pk=stored.room.pk).get().status == "occupied"
    details = clients["clerk"].get(f"/admin/move_ins/details/?id={record.pk}", headers=EN).get_data(as_text=True)
    assert order.number in details and "Open the renovation file" in details and "Moved in" in details


def test_a_step_out_of_order_is_refused_in_both_languages(mv, client_as):
    open_file(client_as("clerk"))
    record = MoveIn.objects.get()
    page = step(client_as("clerk"), "sign", record, STEP_DATA[1][2]).get_data(as_text=True)
    assert "Take the step “1 Verify documents” first." in page
    page = in_chinese(client_as("clerk")).get(f"/admin/move_ins/step/sign/?id={record.pk}",
                                              headers=ZH).get_data(as_text=True)
    assert "请先办理“1 核验资料”。" in page
    assert MoveIn.objects.get().state == "verify"


def test_a_defect_without_a_description_is_refused_on_the_field(mv, client_as):
    clients = {role: client_as(role) for role in ("clerk", "cashier", "housekeeper")}
    open_file(clients["clerk"])
    record = MoveIn.objects.get()
    for role, name, data in STEP_DATA[:5]:
        assert step(clients[role], name, record, data).status_code == 302
    data = dict(STEP_DATA[5][2], **{"defects-0-description": ""})
    page = step(clients["housekeeper"], "inspect", record, data).get_data(as_text=True)
    assert "Defect 1: describe the defect." in page
    page = step(in_chinese(client_as("housekeeper")), "inspect", record, data, ZH).get_data(as_text=True)
    assert "第1项缺陷：请描述缺陷。" in page
    assert Repair.objects.count() == 0 and MoveIn.objects.get().state == "inspect"


def test_only_a_supervisor_skips_a_step_and_says_why(mv, client_as):
    open_file(client_as("clerk"))
    record = MoveIn.objects.get()
    assert client_as("clerk").get(f"/admin/move_ins/step/skip/?id={record.pk}").status_code == 403
    supervisor = client_as("supervisor")
    page = step(supervisor, "skip", record, {"reason": ""}).get_data(as_text=True)
    assert "Give the reason for skipping the step." in page and MoveIn.objects.get().state == "verify"
    assert step(supervisor, "skip", record, {"reason": "业主已在售楼处核验"}).status_code == 302
    assert MoveIn.objects.get().state == "sign" and MoveIn.objects.get().log[-1].kind == "skipped"


def test_the_board_counts_and_highlights_long_waits(mv, client_as):
    client = client_as("clerk")
    open_file(client)
    open_file(client, "1-1-202")
    record = MoveIn.objects(room_code="1-1-102").get()
    step(client, "verify", record, STEP_DATA[0][2])
    clock.freeze(datetime(2026, 12, 20, 2, LONG_WAIT_MINUTES + 5))
    page = client_as("manager").get("/admin/move_ins/board/", headers=EN).get_data(as_text=True)
    assert 'id="count-total">2<' in page and 'id="count-verify">1<' in page and 'id="count-sign">1<' in page
    assert page.count("long-wait") == 2 and f"more than {LONG_WAIT_MINUTES} minutes" in page
    assert 'id="count-waiting-longest">2<' in page and page.count("longest-row") == 2
    page = in_chinese(client_as("manager")).get("/admin/move_ins/board/", headers=ZH).get_data(as_text=True)
    assert "交付日看板" in page


def test_the_prints_in_both_languages_with_defect_rows_and_signature_lines(mv, client_as):
    clients = {role: client_as(role) for role in ("clerk", "cashier", "housekeeper")}
    open_file(clients["clerk"])
    record = MoveIn.objects.get()
    for role, name, data in STEP_DATA[:6]:
        assert step(clients[role], name, record, data).status_code == 302
    order = Repair.objects.get()
    base = f"/admin/move_ins/print/%s/?id={record.pk}"
    page = clients["clerk"].get(base % "inspection" + "&lang=en").get_data(as_text=True)
    assert "Inspection & handover form" in page and "客厅墙面裂缝" in page and order.number in page
    assert "Owner (signature)" in page
    page = clients["clerk"].get(base % "inspection").get_data(as_text=True)
    assert "房屋验收交接表" in page and "业主（签字）" in page
    page = clients["clerk"].get(base % "items").get_data(as_text=True)
    assert "物品移交签收单" in page and page.count("item-row") == 3
    page = clients["clerk"].get(base % "checklist" + "&lang=en").get_data(as_text=True)
    assert "Move-in checklist" in page and page.count("step-row") == 8


def test_step_five_page_lists_and_issues_the_rooms_key_sets(mv, client_as, app):
    from documents.keys import KeySet, receive_from_developer
    from tests.support import english_request
    with english_request(app):
        receive_from_developer(mv["staff"]["clerk"], mv["rooms"]["A"]["1-1-102"].building, "开发商", None,
                               {"entrance": 3}, "K1")
    clients = {role: client_as(role) for role in ("clerk", "cashier")}
    open_file(clients["clerk"])
    record = MoveIn.objects.get()
    for role, name, data in STEP_DATA[:4]:
        assert step(clients[role], name, record, data).status_code == 302
    key_set = KeySet.objects(label_code="1-1-102-E").get()
    page = in_chinese(client_as("clerk")).get(f"/admin/move_ins/step/items/?id={record.pk}",
                                              headers=ZH).get_data(as_text=True)
    assert "1-1-102-E" in page and "钥匙登记中的钥匙" in page and "1-1-101-E" not in page
    response = step(clients["clerk"], "items", record, {"key_set_ids": str(key_set.pk), "signed_for": "y"})
    assert response.status_code == 302
    assert KeySet.objects(pk=key_set.pk).get().state == "issued"
    assert {i.kind: i.count for i in MoveIn.objects.get().items} == {"keys": 3}


def test_notices_issued_booked_printed_and_the_file_opened_from_its_notice(mv, client_as):
    from documents.movein import HandoverSlot, MoveInNotice
    client = client_as("clerk")
    page = client.post("/admin/move_in_notices/issue/", data={"rooms": "1-1-102\n9-9-999"},
                       headers=EN).get_data(as_text=True)
    assert "There is no room 9-9-999." in page and MoveInNotice.objects.count() == 0
    assert client.post("/admin/move_in_notices/issue/", data={"rooms": "1-1-102, 1-1-202"}).status_code == 302
    assert client.post("/admin/move_in_slots/new/", data={
        "community": str(mv["A"].pk), "day": "2026-12-21", "starts": "09:00", "capacity": "10"}).status_code == 302
    slot = HandoverSlot.objects.get()
    notice = MoveInNotice.objects(room_code="1-1-102").get()
    page = client.get(f"/admin/move_in_notices/step/book/?id={notice.pk}", headers=EN).get_data(as_text=True)
    assert "2026-12-21 09:00 (10 of 10 free)" in page
    assert client.post(f"/admin/move_in_notices/step/book/?id={notice.pk}",
                       data={"slot_id": str(slot.pk)}).status_code == 302
    assert HandoverSlot.objects.get().booked == 1
    page = client.get(f"/admin/move_in_notices/print/?id={notice.pk}").get_data(as_text=True)
    assert "入伙通知书" in page and "2026-12-21 09:00" in page and page.count("document-row") == 6
    page = client.get(f"/admin/move_in_notices/print/?id={notice.pk}&lang=en").get_data(as_text=True)
    assert "Move-in notice" in page and "purchase contract" in page
    details = client.get(f"/admin/move_in_notices/details/?id={notice.pk}", headers=EN).get_data(as_text=True)
    assert "Open the move-in file" in details
    response = client.post(f"/admin/move_ins/open/?notice={notice.pk}", data={"owner_name": "王芳"}, headers=EN)
    assert response.status_code == 302
    record = MoveIn.objects.get()
    assert record.appointment_on == date(2026, 12, 21) and MoveInNotice.objects(pk=notice.pk).get().state == "opened"
    page = in_chinese(client_as("clerk")).post("/admin/move_in_notices/issue/", data={"rooms": "9-9-999"},
                                               headers=ZH).get_data(as_text=True)
    assert "没有房号 9-9-999。" in page
    assert MoveInNotice.objects.count() == 2


def test_roles_and_communities(mv, client_as):
    assert open_file(client_as("housekeeper")).status_code == 403
    open_file(client_as("clerk"))
    record = MoveIn.objects.get()
    assert client_as("cashier").get(f"/admin/move_ins/step/verify/?id={record.pk}").status_code == 403
    assert client_as("clerk_b").get(f"/admin/move_ins/details/?id={record.pk}").status_code in (302, 404)
    assert client_as("manager_b").get(f"/admin/move_ins/step/verify/?id={record.pk}").status_code == 404
    page = client_as("clerk").get(f"/admin/move_ins/details/?id={record.pk}", headers=EN).get_data(as_text=True)
    assert "step-verify" in page and "step-skip" not in page
    page = client_as("supervisor").get(f"/admin/move_ins/details/?id={record.pk}", headers=EN).get_data(as_text=True)
    assert "step-skip" in page


def test_a_supervisor_undoes_moving_in_and_the_page_says_what_is_reversed(mv, client_as):
    clients = {role: client_as(role) for role in ("clerk", "cashier", "housekeeper", "supervisor")}
    open_file(clients["clerk"])
    record = MoveIn.objects.get()
    for role, name, data in STEP_DATA:
        assert step(clients[role], name, record, data).status_code == 302
    room = Room.objects.get(pk=record.room.pk)
    assert room.status == "occupied"
    assert clients["clerk"].get(f"/admin/move_ins/step/undo/?id={record.pk}").status_code == 403
    supervisor = clients["supervisor"]
    page = supervisor.get(f"/admin/move_ins/step/undo/?id={record.pk}", headers=EN).get_data(as_text=True)
    assert 'id="undo-effects"' in page and "The archive goes back to “moving in”" in page
    page = step(supervisor, "undo", record, {"reason": ""}).get_data(as_text=True)
    assert "Give the reason for undoing the step." in page and MoveIn.objects.get().state == "moved_in"
    page = in_chinese(supervisor).get(f"/admin/move_ins/step/undo/?id={record.pk}").get_data(as_text=True)
    assert "档案恢复为“入住中”" in page
    assert step(supervisor, "undo", record, {"reason": "业主尚未搬入"}, headers=ZH).status_code == 302
    stored = MoveIn.objects.get()
    assert stored.state == "finish" and stored.renovation is None and stored.log[-1].kind == "undone"
    assert Household.objects(room=room).get().status == "moving_in"
    assert Room.objects.get(pk=room.pk).status != "occupied"
    details = supervisor.get(f"/admin/move_ins/details/?id={record.pk}", headers=EN).get_data(as_text=True)
    assert 'id="movein-steps"' in details and "step-finish" in details and 'id="print-inspection"' in details
    assert f"/admin/households/details/?id={stored.household.pk}" in details     # the shared step details page

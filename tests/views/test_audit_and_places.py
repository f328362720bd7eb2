"""Audit history through the views, and place administration (room generation, duplicate codes)."""
from documents.audit import AuditEntry
from documents.places import Building, Room
from documents.residents import Household
from documents.staff import Staff


def test_create_edit_delete_and_actions_are_audited_with_ip(client_as, world):
    client = client_as("manager")
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    room = world["rooms"]["A"]["1-1-202"]
    client.post("/admin/households/new/", data={"room": str(room.pk), "name": "赵敏", "status": "current"})
    hh = Household.objects(name="赵敏").get()
    created = AuditEntry.objects(record_id=str(hh.pk), action="create").get()
    assert created.actor_name == "manager" and created.ip == "192.0.2.7"
    assert any(c.field == "name" and c.new == "赵敏" for c in created.changes)
    client.post("/admin/households/action/", data={"action": "move_out", "rowid": str(hh.pk)})
    moved = AuditEntry.objects(record_id=str(hh.pk), action="move_out").get()
    assert any(c.field == "status" and c.old == "current" and c.new == "moved_out" for c in moved.changes)
    # the record's history and the household timeline show the entries
    page = client.get(f"/admin/households/details/?id={hh.pk}").data.decode()
    timeline = page[page.index('id="household-timeline"'):page.index('id="record-history"')]
    assert "Moved out" in timeline and "Archive created" in timeline
    assert "192.0.2.7" in page[page.index('id="record-history"'):]
    # archives are kept permanently: even the manager's delete is refused and nothing is removed
    assert client.post("/admin/households/delete/", data={"id": str(hh.pk)}).status_code == 403
    assert Household.objects(pk=hh.pk).count() == 1
    assert AuditEntry.objects(record_id=str(hh.pk), action="delete").count() == 0


def test_audit_list_for_managers_only_and_scoped(client_as, world):
    client_as("clerk_b").post(f"/admin/households/edit/?id={world['hh_b'].pk}",
                              data={"room": str(world["hh_b"].room.pk), "name": "李娜", "status": "current",
                                    "record_version": "1", "notes": "B note"})
    client_as("clerk").post(f"/admin/households/edit/?id={world['hh_a'].pk}",
                            data={"room": str(world["hh_a"].room.pk), "name": "张伟", "status": "current",
                                  "record_version": "1", "notes": "A note"})
    manager_page = client_as("manager").get("/admin/audit/").data.decode()
    assert "1-1-101 张伟" in manager_page and "李娜" not in manager_page
    assert "1-1-101 李娜" in client_as("manager_b").get("/admin/audit/").data.decode()
    assert client_as("clerk").get("/admin/audit/").status_code == 403
    assert client_as("manager").post("/admin/audit/delete/", data={"id": str(AuditEntry.objects.first().pk)}) \
        .status_code == 403


def test_password_never_written_to_audit(client_as, world):
    client = client_as("admin")
    client.post("/admin/staff/new/", data={"username": "newbie", "display_name": "新人", "roles": "clerk",
                                           "communities": str(world["A"].pk), "new_password": "secret-pass-77",
                                           "language": "zh_Hans_CN"})
    staff = Staff.objects(username="newbie").get()
    entry = AuditEntry.objects(record_id=str(staff.pk), action="create").get()
    text = repr([(c.field, c.old, c.new) for c in entry.changes])
    assert "secret-pass-77" not in text and staff.password_hash not in text


def test_building_form_generates_units_and_rooms(client_as, world):
    client = client_as("manager")
    client.post("/admin/buildings/new/", data={"community": str(world["A"].pk), "number": "7", "floors": "18",
                                               "generate_units": "2", "generate_rooms_per_floor": "4"})
    building = Building.objects(community=world["A"], number="7").get()
    assert Room.objects(building=building).count() == 2 * 18 * 4
    assert Room.objects(community=world["A"], code="7-2-1804").count() == 1


def test_duplicate_room_code_refused_with_message_and_nothing_changed(client_as, world):
    client = client_as("manager")
    building = Building.objects(community=world["A"]).get()
    unit = building and Room.objects(community=world["A"], code="1-1-101").get().unit
    before = Room.objects(community=world["A"]).count()
    response = client.post("/admin/rooms/new/", data={"community": str(world["A"].pk), "building": str(building.pk),
                                                      "unit": str(unit.pk), "floor": "1", "number": "101",
                                                      "use": "residential", "status": "vacant"})
    assert "已存在" in response.data.decode() or "already exists" in response.data.decode()
    assert Room.objects(community=world["A"]).count() == before


def test_clerk_cannot_move_a_room_into_another_community(client_as, world):
    room = world["rooms"]["A"]["1-1-102"]
    client = client_as("clerk")
    building_b = Building.objects(community=world["B"]).get()
    client.post(f"/admin/rooms/edit/?id={room.pk}", data={"community": str(world["B"].pk),
                                                          "building": str(building_b.pk),
                                                          "unit": str(room.unit.pk), "floor": "1",
                                                          "number": "102", "record_version": "1"})
    room.reload()
    assert room.community.pk == world["A"].pk


def test_history_masks_personal_data_for_roles_without_the_right(client_as, world):
    from documents.validators import id_card_check_digit
    new_id = "44030519900101123" + id_card_check_digit("44030519900101123")
    hh = world["hh_a"]
    client_as("manager").post(f"/admin/households/edit/?id={hh.pk}", data={
        "room": str(hh.room.pk), "name": hh.name, "status": "current", "record_version": "1",
        "owners-0-name": "张伟", "owners-0-relation": "owner", "owners-0-phone": "13800138001",
        "owners-0-id_type": "id_card", "owners-0-id_number": new_id})
    assert hh.reload().owners[0].phone == "13800138001"
    page = client_as("housekeeper").get(f"/admin/households/details/?id={hh.pk}").data.decode()
    history = page[page.index('id="record-history"'):]
    assert "13800138001" in history  # housekeepers may see phones
    assert "11010519491231002X" not in page and new_id not in page and "110***********002X" in history
    admin_page = client_as("admin").get("/admin/audit/").data.decode()
    assert new_id not in admin_page and "138****8001" in admin_page
    manager_page = client_as("manager").get("/admin/audit/").data.decode()
    assert new_id in manager_page and "13800138001" in manager_page


def test_history_shows_choice_labels_and_local_times(client_as, world):
    from app import clock
    from datetime import datetime
    clock.freeze(datetime(2026, 3, 1, 16, 30))  # 00:30 on 2 March in Shanghai
    hh = world["hh_a"]
    client = client_as("clerk")
    client.post("/admin/households/action/", data={"action": "move_out", "rowid": str(hh.pk)})
    page = client.get(f"/admin/households/details/?id={hh.pk}").data.decode()
    history = page[page.index('id="record-history"'):]
    assert "Current → Moved out" in history
    assert "2026-03-02 00:30" in history  # the entry's time, in the community's zone


def test_history_values_of_datetime_fields_are_local(app, world):
    view = next(v for v in app.extensions["estate_admin"]._views if getattr(v, "endpoint", "") == "repairs")
    with app.test_request_context("/"):
        assert view.field_value("dispatched_at", "2026-11-22 20:28:00") == "2026-11-23 04:28"
        assert view.field_value("state", "dispatched") != "dispatched"
        assert view.field_value("nonexistent", "x") == "x"


def test_the_refund_approval_limit_is_set_per_community(app, world, client_as):
    """Refunds above the community's limit need the manager's approval; the admin sets the limit."""
    from decimal import Decimal

    from documents.places import Community
    community = world["A"]
    admin = client_as("admin")
    page = admin.get(f"/admin/communities/edit/?id={community.pk}", headers={"Accept-Language": "en"})
    assert b"5000.00" in page.data or b"5,000.00" in page.data
    response = admin.post(f"/admin/communities/edit/?id={community.pk}", data={
        "code": "A", "name_zh": community.name_zh, "name_en": community.name_en or "",
        "timezone": "Asia/Shanghai", "refund_approval_limit": "8000",
        "record_version": str(community.version)})
    assert response.status_code == 302
    assert Community.objects.get(pk=community.pk).refund_approval_limit == Decimal("8000.00")

"""Archives through the test client: edit, validation on the field, audit, lost updates."""
import re

from documents.audit import AuditEntry
from documents.residents import Household


def edit_payload(household, **overrides):
    data = {
        "room": str(household.room.pk), "name": household.name, "status": household.status,
        "record_version": str(household.version), "notes": household.notes or "",
        "owners-0-name": household.owners[0].name, "owners-0-relation": "owner",
        "owners-0-phone": household.owners[0].phone or "", "owners-0-id_type": household.owners[0].id_type,
        "owners-0-id_number": household.owners[0].id_number or "",
    }
    data.update(overrides)
    return data


def test_clerk_edits_archive_and_it_is_audited(client_as, world):
    hh = world["hh_a"]
    client = client_as("clerk")
    response = client.post(f"/admin/households/edit/?id={hh.pk}", data=edit_payload(hh, notes="新门禁卡"))
    assert response.status_code == 302
    hh.reload()
    assert hh.notes == "新门禁卡" and hh.version == 2
    entry = AuditEntry.objects(record_id=str(hh.pk), action="edit").first()
    assert entry.actor_name == "clerk"
    assert any(c.field == "notes" and c.new == "新门禁卡" for c in entry.changes)


def test_bad_phone_is_refused_on_the_field_and_nothing_saved(client_as, world):
    hh = world["hh_a"]
    client = client_as("manager")   # people (with their ID numbers) are edited at full level
    response = client.post(f"/admin/households/edit/?id={hh.pk}",
                           data=edit_payload(hh, **{"owners-0-phone": "12345", "notes": "x"}))
    assert response.status_code == 200
    assert b"Not a mainland mobile number" in response.data
    assert re.search(rb'value="x"|>\s*x</textarea>', response.data)  # the user's input is kept
    hh.reload()
    assert hh.owners[0].phone == "13800138000" and hh.notes is None and hh.version == 1


def test_bad_id_check_digit_refused_in_chinese(client_as, world):
    from documents.staff import Staff
    Staff.objects(username="manager").update_one(set__language="zh_Hans_CN")
    hh = world["hh_a"]
    client = client_as("manager")
    response = client.post(f"/admin/households/edit/?id={hh.pk}",
                           data=edit_payload(hh, **{"owners-0-id_number": "110105194912310021"}))
    assert "校验码" in response.data.decode()
    hh.reload()
    assert hh.owners[0].id_number == "11010519491231002X"


def test_second_stale_save_is_refused_and_first_kept(client_as, world):
    hh = world["hh_a"]
    first, second = client_as("clerk"), client_as("supervisor")
    stale = edit_payload(hh)
    assert first.post(f"/admin/households/edit/?id={hh.pk}",
                      data=edit_payload(hh, notes="first")).status_code == 302
    response = second.post(f"/admin/households/edit/?id={hh.pk}", data=dict(stale, notes="second"))
    assert response.status_code == 200
    assert b"Someone else saved this record" in response.data
    hh.reload()
    assert hh.notes == "first"
    assert AuditEntry.objects(record_id=str(hh.pk), action="edit").count() == 1


def test_clerk_of_a_cannot_reach_household_of_b(client_as, world):
    hh_b = world["hh_b"]
    client = client_as("clerk")
    listing = client.get("/admin/households/").data.decode()
    assert "李娜" not in listing and "张伟" in listing
    assert client.get(f"/admin/households/details/?id={hh_b.pk}").status_code in (302, 404)
    assert "李娜" not in client.get(f"/admin/households/details/?id={hh_b.pk}",
                                     follow_redirects=True).data.decode()
    client.post(f"/admin/households/edit/?id={hh_b.pk}", data=edit_payload(hh_b, notes="hacked"))
    client.post("/admin/households/action/", data={"action": "move_out", "rowid": str(hh_b.pk)})
    hh_b.reload()
    assert hh_b.notes is None and hh_b.status == "current"
    export = client.get("/admin/households/export/csv/").data.decode()
    assert "李娜" not in export and "张伟" in export
    results = client.get("/admin/lookup/search?q=李娜").data.decode()
    assert "0 households found" in results and "/admin/households/details/" not in results


def test_clerk_cannot_create_archive_in_another_community(client_as, world):
    room_b = world["rooms"]["B"]["1-1-201"]
    client = client_as("clerk")
    client.post("/admin/households/new/", data={"room": str(room_b.pk), "name": "入侵者", "status": "current"})
    assert Household.objects(name="入侵者").count() == 0


def test_housekeeper_sees_masked_id_numbers(client_as, world):
    hh = world["hh_a"]
    page = client_as("housekeeper").get(f"/admin/households/details/?id={hh.pk}").data.decode()
    assert "11010519491231002X" not in page and "110***********002X" in page
    page = client_as("clerk").get(f"/admin/households/details/?id={hh.pk}").data.decode()
    assert "11010519491231002X" not in page and "13800138000" in page   # contact level
    page = client_as("manager").get(f"/admin/households/details/?id={hh.pk}&full=1").data.decode()
    assert "11010519491231002X" in page
    page = client_as("cashier").get("/admin/households/").data.decode()
    assert "13800138000" not in page and "138****8000" in page


def test_room_picker_offers_only_own_community_rooms(client_as, world):
    import json
    client = client_as("clerk")
    rows = json.loads(client.get("/admin/households/ajax/lookup/?name=room&query=1-1-1").data)
    codes = sorted(label for _id, label in rows)
    assert codes == ["1-1-101", "1-1-102"]
    room_b = world["rooms"]["B"]["1-1-101"]
    assert str(room_b.pk) not in {row[0] for row in rows}
    rows = json.loads(client.get("/admin/households/ajax/lookup/?name=room&query=1-1&limit=100000").data)
    assert len(rows) <= 30


def test_new_archive_from_lookup_grid_prefills_room(client_as, world):
    room = world["rooms"]["A"]["1-1-302"]
    page = client_as("clerk").get(f"/admin/households/new/?room={room.pk}").data.decode()
    assert "1-1-302" in page


def test_extra_fields_are_saved_and_shown(client_as, world):
    hh = world["hh_a"]
    client = client_as("clerk")
    data = edit_payload(hh, **{"extra_fields-0-key": "门禁卡号", "extra_fields-0-value": "A-0099"})
    assert client.post(f"/admin/households/edit/?id={hh.pk}", data=data).status_code == 302
    hh.reload()
    assert [(e.key, e.value) for e in hh.extra_fields] == [("门禁卡号", "A-0099")]
    assert "A-0099" in client.get(f"/admin/households/details/?id={hh.pk}").data.decode()
    dup = edit_payload(hh, record_version=str(hh.version), **{
        "extra_fields-0-key": "x", "extra_fields-0-value": "1", "extra_fields-1-key": "x",
        "extra_fields-1-value": "2"})
    response = client.post(f"/admin/households/edit/?id={hh.pk}", data=dup)
    assert b"Each extra field name may appear only once." in response.data
    assert [(e.key, e.value) for e in hh.reload().extra_fields] == [("门禁卡号", "A-0099")]


def test_moved_out_archive_is_kept_and_room_freed(client_as, world):
    hh = world["hh_a"]
    client_as("clerk").post("/admin/households/action/", data={"action": "move_out", "rowid": str(hh.pk)})
    hh.reload()
    assert hh.status == "moved_out" and hh.move_out_date is not None
    assert hh.room.reload().status == "vacant"
    assert Household.objects(pk=hh.pk).count() == 1


def test_an_edit_without_a_readable_version_is_refused_like_a_stale_one(client_as, world):
    """The lost-update guard cannot be dropped by leaving `record_version` out or garbling it."""
    hh = world["hh_a"]
    client = client_as("clerk")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for version in (None, "", "abc", "1.0", "１"):
        payload = edit_payload(hh, notes=f"overwrite {version!r}")
        if version is None:
            del payload["record_version"]
        else:
            payload["record_version"] = version
        page = client.post(f"/admin/households/edit/?id={hh.pk}", data=payload,
                           follow_redirects=True).get_data(as_text=True)
        assert "Someone else saved this record" in page, version
        hh.reload()
        assert hh.notes != f"overwrite {version!r}" and hh.version == 1, version
    assert client.post(f"/admin/households/edit/?id={hh.pk}",
                       data=edit_payload(hh, notes="fresh")).status_code == 302
    assert hh.reload().notes == "fresh"

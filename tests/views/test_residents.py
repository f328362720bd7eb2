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
    client = client_as("clerk")
    response = client.post(f"/admin/households/edit/?id={hh.pk}",
                           data=edit_payload(hh, **{"owners-0-phone": "12345", "notes": "x"}))
    assert response.status_code == 200
    assert b"Not a mainland mobile number" in response.data
    assert re.search(rb'value="x"|>\s*x</textarea>', response.data)  # the user's input is kept
    hh.reload()
    assert hh.owners[0].phone == "13800138000" and hh.notes is None and hh.version == 1


def test_bad_id_check_digit_refused_in_chinese(client_as, world):
    from documents.staff import Staff
    Staff.objects(username="clerk").update_one(set__language="zh_Hans_CN")
    hh = world["hh_a"]
    client = client_as("clerk")
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
    assert "李娜" not in client.get("/admin/lookup/search?q=李娜").data.decode()


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
    assert "11010519491231002X" in page
    page = client_as("cashier").get("/admin/households/").data.decode()
    assert "13800138000" not in page and "138****8000" in page

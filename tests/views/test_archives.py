"""Archives: safe and audited exports, permanence, confidentiality levels, access requests, the
household page."""
import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from app import clock
from documents.archive_access import AccessRecord, AccessRequest
from documents.audit import AuditEntry
from documents.places import Room
from documents.residents import Household, Person
from tests.conftest import csrf_token_of

FORMULA = '=HYPERLINK("http://evil.example/x","click")'


@pytest.fixture
def formula_household(world):
    hh = world["hh_a"]
    Household.objects(pk=hh.pk).update_one(set__name=FORMULA, set__tags=["+cmd", "@sum", "-1+2"])
    return hh


def test_formula_cells_come_out_as_text_in_csv_and_xlsx(client_as, formula_household):
    client = client_as("clerk")
    text = client.get("/admin/households/export/csv/").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + FORMULA in cells
    assert not any(cell.startswith(("=", "+", "@", "-")) for cell in cells)
    response = client.get("/admin/households/export/xlsx/")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    named = [c for c in values if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert named and all(c.data_type == "s" and c.value.startswith("'=") for c in named)
    assert not any(c.data_type == "f" for c in values)


def test_export_shows_labels_local_times_numbers_and_is_audited(client_as, world):
    client = client_as("clerk")
    text = client.get("/admin/households/export/csv/?flt1_0=1").get_data(as_text=True)
    assert "Current" in text and "current" not in text.split("\n", 1)[1]
    entry = AuditEntry.objects(action="export").get()
    assert entry.actor_name == "clerk" and entry.record_id == "households"
    assert "CSV" in entry.note and "rows" in entry.note
    # the filter the clerk chose is named in the entry
    client.get("/admin/households/export/csv/?search=张伟")
    assert any("张伟" in (e.note or "") for e in AuditEntry.objects(action="export"))


def test_export_refused_without_the_right(client_as, world):
    assert client_as("cashier").get("/admin/households/export/csv/").status_code == 403
    assert AuditEntry.objects(action="export").count() == 0


def test_nobody_deletes_an_archive(client_as, world):
    hh = world["hh_a"]
    for role in ("manager", "admin", "clerk"):
        client_as(role).post("/admin/households/delete/", data={"id": str(hh.pk)})
    assert Household.objects(pk=hh.pk).count() == 1
    from documents.base import DomainError
    with pytest.raises(DomainError):
        hh.delete()


def test_cashier_history_never_shows_passport_or_permit_numbers(client_as, world):
    hh = world["hh_a2"]
    manager = client_as("manager")
    response = manager.post(f"/admin/households/edit/?id={hh.pk}", data={
        "room": str(hh.room.pk), "name": hh.name, "status": "current", "record_version": str(hh.version),
        "owners-0-name": "Michael Brown", "owners-0-relation": "owner", "owners-0-phone": "13912345679",
        "owners-0-id_type": "passport", "owners-0-id_number": "PA1234567",
        "owners-1-name": "陈大文", "owners-1-relation": "owner", "owners-1-id_type": "hk_macau_permit",
        "owners-1-id_number": "H12345678", "owners-2-name": "林小台", "owners-2-relation": "owner",
        "owners-2-id_type": "taiwan_permit", "owners-2-id_number": "12345678"})
    assert response.status_code == 302
    assert [p.id_number for p in hh.reload().owners] == ["PA1234567", "H12345678", "12345678"]
    page = client_as("cashier").get(f"/admin/households/details/?id={hh.pk}").get_data(as_text=True)
    history = page[page.index('id="record-history"'):]
    for number in ("PA1234567", "E12345678", "H12345678", "12345678", "13912345679", "13912345678"):
        assert number not in page, number
    assert "history-change" in history
    assert "PA1****4567" in history or "PA1" in history   # masked, not blank


def test_full_read_needs_an_approved_request_and_is_registered(client_as, world):
    hh = world["hh_a"]
    clerk = client_as("clerk")
    page = clerk.get(f"/admin/households/details/?id={hh.pk}&full=1").get_data(as_text=True)
    assert "11010519491231002X" not in page and "office director" in page
    assert AccessRecord.objects.count() == 0
    # the clerk asks; the request waits for the manager
    form = clerk.get(f"/admin/access_requests/ask/?household={hh.pk}")
    from documents.deadlines import local_date, zone_of
    today = local_date(clock.now(), zone_of(world["A"])).isoformat()
    response = clerk.post(f"/admin/access_requests/ask/?household={hh.pk}", data={
        "csrf_token": csrf_token_of(form.data), "level": "full", "reason": "业主委托办理产权变更",
        "starts_on": today, "ends_on": today})
    assert response.status_code == 302
    request = AccessRequest.objects.get()
    assert request.state == "requested" and request.requester_name == "clerk"
    assert "11010519491231002X" not in clerk.get(f"/admin/households/details/?id={hh.pk}&full=1").get_data(as_text=True)
    # nobody decides their own request; the manager approves
    assert client_as("clerk").get(f"/admin/access_requests/step/approve/?id={request.pk}").status_code == 403
    manager = client_as("manager")
    step = manager.get(f"/admin/access_requests/step/approve/?id={request.pk}")
    manager.post(f"/admin/access_requests/step/approve/?id={request.pk}",
                 data={"csrf_token": csrf_token_of(step.data), "note": "同意"})
    assert request.reload().state == "approved" and request.decided_by == "manager"
    page = clerk.get(f"/admin/households/details/?id={hh.pk}&full=1").get_data(as_text=True)
    assert "11010519491231002X" in page
    record = AccessRecord.objects.get()
    assert record.staff_name == "clerk" and record.why == "业主委托办理产权变更" and record.household.pk == hh.pk
    # the manager reviews and exports the register (the export is audited too)
    register = manager.get("/admin/access_register/export/csv/").get_data(as_text=True)
    assert "业主委托办理产权变更" in register and "1-1-101" in register
    assert client_as("clerk").get("/admin/access_register/").status_code == 403
    # after the window the approval no longer opens the archive (checked on the server)
    clock.freeze(datetime.utcnow() + timedelta(days=3))
    page = client_as("clerk").get(f"/admin/households/details/?id={hh.pk}&full=1").get_data(as_text=True)
    assert "11010519491231002X" not in page and AccessRecord.objects.count() == 1


def test_a_request_for_another_households_archive_does_not_open_this_one(client_as, world):
    other = world["hh_a2"]
    now = clock.now()
    AccessRequest(community=world["A"], requested_by=world["staff"]["clerk"], requester_name="clerk",
                  household=other, level="full", reason="x", starts_at=now - timedelta(hours=1),
                  ends_at=now + timedelta(hours=1), state="approved").save()
    page = client_as("clerk").get(f"/admin/households/details/?id={world['hh_a'].pk}&full=1").get_data(as_text=True)
    assert "11010519491231002X" not in page


def test_reject_needs_a_reason(app_ctx, world):
    from documents.base import DomainError
    now = clock.now()
    request = AccessRequest.ask(world["staff"]["clerk"], world["A"], world["hh_a"], "full", "查阅",
                                now, now + timedelta(days=1))
    with pytest.raises(DomainError):
        request.reject(world["staff"]["manager"], "")
    request.reject(world["staff"]["manager"], "理由不足")
    assert request.reload().state == "rejected"
    with pytest.raises(DomainError):
        AccessRequest.ask(world["staff"]["clerk"], world["A"], None, "full", "x", now, now + timedelta(days=60))


def test_household_page_sections_and_actions(client_as, world):
    hh = world["hh_a"]
    Household.objects(pk=hh.pk).update_one(push__members=Person(name="张小明", relation="child"))
    page = client_as("clerk").get(f"/admin/households/details/?id={hh.pk}").get_data(as_text=True)
    for marker in ('id="household-header"', 'id="owners-table"', 'id="members-table"', 'id="open-work"',
                   'id="household-timeline"', 'id="household-files"', "张小明", "action-repair",
                   "action-complaint", "action-visit", "action-renovation"):
        assert marker in page, marker
    assert "searchable" not in page and "Balance" not in page
    cashier = client_as("cashier").get(f"/admin/households/details/?id={hh.pk}").get_data(as_text=True)
    assert "action-repair" not in cashier and "13800138000" not in cashier and "138****8000" in cashier
    # the repair form opened from the page has the room chosen
    form = client_as("clerk").get(f"/admin/repairs/new/?room={hh.room.pk}").get_data(as_text=True)
    assert "1-1-101" in form


def test_search_by_room_code_lands_on_the_page_or_offers_create(client_as, world):
    clerk = client_as("clerk")
    response = clerk.get("/admin/lookup/search?q=1-1-101")
    assert response.status_code == 302 and f"id={world['hh_a'].pk}" in response.headers["Location"]
    page = clerk.get("/admin/lookup/search?q=1-1-302").get_data(as_text=True)
    assert "create-archive" in page and f"room={world['rooms']['A']['1-1-302'].pk}" in page


def test_merge_keeps_both_archives_and_histories(client_as, world):
    hh = world["hh_a"]
    duplicate = Household(community=world["A"], room=hh.room, name="张伟(重复)", status="moved_out").save_versioned(None)
    client_as("manager").post("/admin/households/action/",
                              data={"action": "merge", "rowid": [str(hh.pk), str(duplicate.pk)]})
    duplicate.reload()
    assert duplicate.status == "merged" and duplicate.merged_into.pk == hh.pk
    assert Household.objects(pk__in=[hh.pk, duplicate.pk]).count() == 2
    assert hh.room.reload().status == "occupied"
    page = client_as("manager").get(f"/admin/households/details/?id={hh.pk}").get_data(as_text=True)
    assert "张伟(重复)" in page


def test_lists_and_exports_in_paper_file_order(client_as, world):
    """Building 2 before building 10, floor 2 before floor 10, room 201 before 1001."""
    from documents.places import Building
    for number in ("10", "2"):
        building = Building(community=world["A"], number=number, floors=10).save()
        building.generate_units_and_rooms(1, 10, 1)
    rooms = {r.code: r for r in Room.objects(community=world["A"])}
    for code in ("10-1-101", "2-1-1001", "2-1-201"):
        Household(community=world["A"], room=rooms[code], name=f"户{code}").save_versioned(None)
    client = client_as("clerk")
    listing = client.get("/admin/households/?page_size=50").get_data(as_text=True)
    order = [listing.index(f"户{code}") for code in ("2-1-201", "2-1-1001", "10-1-101")]
    assert order == sorted(order)
    export = client.get("/admin/households/export/csv/").get_data(as_text=True)
    codes = [line.split(",")[0] for line in export.splitlines()[1:]]
    assert codes.index("1-1-201") < codes.index("2-1-201") < codes.index("2-1-1001") < codes.index("10-1-101")

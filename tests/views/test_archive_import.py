"""Excel import of archives: template, preview with row-level errors, confirm, re-import, listing."""
import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from documents.archive_import import ArchiveImport
from documents.audit import AuditEntry
from documents.places import Room
from documents.residents import Household
from tests.conftest import csrf_token_of

HEADER = ["Room code", "Household name", "Listed as", "Name", "Relation", "Phone", "ID type", "ID number",
          "Move-in date", "Lease start", "Lease end", "Plate numbers", "Parking space"]


def workbook(rows, header=HEADER, rooms=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Households"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if rooms is not None:
        extra = book.create_sheet("Rooms")
        extra.append(["Building no.", "Unit no.", "Floor", "Room no."])
        for row in rooms:
            extra.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = [
    ["1-1-102", "王芳", "owner", "王芳", "", "13600001111", "id_card", "11010519491231002X", "2021-01-01", "", "",
     "粤B12345", "A-01"],
    ["1-1-102", "王芳", "member", "王小芳", "child", "", "", "", "", "", "", "", ""],
    ["1-1-202", "Liu Tenant", "tenant", "刘租", "", "13700002222", "passport", "E1234567", "", "2025-01-01",
     "2026-01-01", "", ""],
]


def preview(client, world, data, name="archives.xlsx", community="A"):
    page = client.get("/admin/archive_import/")
    return client.post("/admin/archive_import/preview/", data={
        "csrf_token": csrf_token_of(page.data), "community": str(world[community].pk),
        "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def confirm(client, page_html):
    job_id = re.search(r"/admin/archive_import/confirm/\?id=([0-9a-f]{24})", page_html).group(1)
    return client.post(f"/admin/archive_import/confirm/?id={job_id}",
                       data={"csrf_token": csrf_token_of(page_html.encode())})


def errors_of(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<tr class="import-error"><td>[^<]*</td><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>', html)


def test_bad_rows_are_each_named_and_nothing_is_written(client_as, world):
    client = client_as("clerk")
    before = (Household.objects.count(), AuditEntry.objects.count(), Room.objects.count())
    rows = [
        ["1-1-102", "王芳", "owner", "王芳", "", "1360000111", "", "", "", "", "", "", ""],        # 10 digits
        ["1-1-202", "李雷", "owner", "李雷", "", "", "id_card", "110105194912310021", "", "", "", "", ""],
        ["9-9-909", "无此房", "owner", "某人", "", "", "", "", "", "", "", "", ""],
        ["1-1-302", "韩梅", "owner", "韩梅", "", "", "", "", "", "", "", "", ""],
        ["1-1-302", "韩梅", "owner", "韩梅", "", "", "", "", "", "", "", "", ""],                   # duplicate
    ]
    html = preview(client, world, workbook(rows)).get_data(as_text=True)
    found = errors_of(html)
    assert ("2", "Phone", "Not a mainland mobile number: 11 digits starting with 13–19.") in found
    assert any(row == "3" and column == "ID number" and "check digit" in message for row, column, message in found)
    assert any(row == "4" and column == "Room code" and "9-9-909" in message for row, column, message in found)
    assert any(row == "6" and "row 5" in message for row, _c, message in found)
    assert 'id="confirm-import"' not in html
    assert (Household.objects.count(), AuditEntry.objects.count(), Room.objects.count()) == before
    assert ArchiveImport.objects.count() == 0


def test_missing_column_wrong_file_and_size_are_refused_in_chinese(client_as, world):
    from documents.staff import Staff
    Staff.objects(username="clerk").update_one(set__language="zh_Hans_CN")
    client = client_as("clerk")
    html = preview(client, world, workbook([], header=HEADER[:3] + HEADER[4:])).get_data(as_text=True)
    assert "缺少" in html and "姓名" in html
    html = preview(client, world, b"name,phone\n", name="a.csv").get_data(as_text=True)
    assert "xlsx" in html and 'id="confirm-import"' not in html
    response = preview(client, world, b"PK\x03\x04" + b"0" * (11 * 1024 * 1024))
    assert response.status_code == 200 and "MB" in response.get_data(as_text=True)
    assert Household.objects.count() == 3


def test_import_then_reimport_updates_by_room_code(client_as, world):
    client = client_as("clerk")
    html = preview(client, world, workbook(GOOD)).get_data(as_text=True)
    assert errors_of(html) == [] and "2 archives to create" in html
    assert Household.objects(room_code="1-1-102").count() == 0        # nothing yet
    assert confirm(client, html).status_code == 302
    wang = Household.objects(room_code="1-1-102").get()
    assert [p.name for p in wang.owners] == ["王芳"] and [p.name for p in wang.members] == ["王小芳"]
    assert wang.vehicles[0].plate == "粤B12345" and wang.room.reload().status == "occupied"
    liu = Household.objects(room_code="1-1-202").get()
    assert liu.tenants[0].lease_end.isoformat() == "2026-01-01" and liu.room.reload().status == "rented"
    assert AuditEntry.objects(action="import", record_id=str(wang.pk)).count() == 1
    job = ArchiveImport.objects.get()
    assert (job.state, job.created, job.updated, job.staff_name) == ("done", 2, 0, "clerk")
    assert AuditEntry.objects(action="import", collection="archive_imports").count() == 1
    # the same sheet again, with a changed phone: updated in place, never duplicated
    changed = [list(GOOD[0]), GOOD[1], GOOD[2]]
    changed[0][5] = "13600009999"
    html = preview(client, world, workbook(changed)).get_data(as_text=True)
    assert "0 archives to create, 2 to update" in html
    confirm(client, html)
    assert Household.objects(room_code="1-1-102").count() == 1
    assert Household.objects(room_code="1-1-102").get().owners[0].phone == "13600009999"
    listing = client.get("/admin/archive_import/").get_data(as_text=True)
    history = listing[listing.index('id="import-history"'):]
    assert history.count("archives.xlsx") == 2
    # a previewed file is imported once
    assert confirm(client, html).status_code == 302 and ArchiveImport.objects(state="done").count() == 2


@pytest.mark.parametrize("lang,title,owner", [("en", "Households", "Owner"), ("zh", "业户", "业主")])
def test_template_in_both_languages_imports_with_its_rooms(client_as, world, lang, title, owner):
    client = client_as("clerk")
    data = client.get(f"/admin/archive_import/template/?lang={lang}").data
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == title and book.active["C2"].value == owner
    html = preview(client, world, data).get_data(as_text=True)
    assert errors_of(html) == [], errors_of(html)
    confirm(client, html)
    assert Room.objects(community=world["A"], code="3-2-1201").count() == 1
    assert Household.objects(room_code="3-2-1202").get().tenants[0].name == "Michael Brown"


def test_import_needs_the_right_and_stays_in_own_community(client_as, world):
    assert client_as("cashier").get("/admin/archive_import/").status_code == 403
    client = client_as("clerk")
    response = preview(client, world, workbook(GOOD), community="B")
    assert 'id="confirm-import"' not in response.get_data(as_text=True)
    assert Household.objects(community=world["B"]).count() == 1

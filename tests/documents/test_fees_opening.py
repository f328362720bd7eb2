"""Opening balances at go-live: every bad row named, nothing written before confirm, re-import idempotent."""
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from documents.audit import AuditEntry
from documents.base import DomainError, PermissionDenied
from documents.fees import opening
from documents.fees.ledger import Account, BillLine, fees_settled
from documents.fees.opening import OpeningImport, apply_plan, read_plan, start, template_workbook
from tests.documents.test_fees import fees  # noqa: F401 - the fixture
from tests.support import english_request

HEADER = ["Room code", "Fee item code", "Month or period", "Amount owed (yuan)", "Due on", "Note"]
GOOD = [
    ["1-1-101", "WY", "2026-10", 165.58, None, None],
    ["1-1-101", "tc", "2026/9", "150", None, "车位 B-017"],
    ["1-1-201", "WY", "2025年度", "1,986.96", datetime(2025, 12, 31), "旧系统结转"],
]


@pytest.fixture(autouse=True)
def in_english(app):
    with english_request(app):
        yield


def workbook(rows, header=HEADER, title="Opening balances") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_every_bad_row_is_named_and_nothing_is_written(fees):
    from documents.places import Room
    Room(community=fees["A"], building=fees["rooms"]["A"]["1-1-101"].building,
         unit=fees["rooms"]["A"]["1-1-101"].unit, building_no="1", unit_no="1", floor=4, number="401",
         code="1-1-401", sort_key="x").save()
    rows = [
        ["9-9-909", "WY", "2026-10", "10", None, None],            # 2 unknown room
        ["1-1-401", "WY", "2026-10", "10", None, None],            # 3 a room without an archive
        ["1-1-101", "XX", "2026-10", "10", None, None],            # 4 unknown item
        ["1-1-101", "WY", "2026-10", "ten", None, None],           # 5 not a number
        ["1-1-101", "WY", "2026-09", "-5", None, None],            # 6 below zero
        ["1-1-101", "WY", "2026-08", 0, None, None],               # 7 zero
        ["1-1-101", "TC", "2026-10", "10", None, None],            # 8 fine
        ["1-1-101", "TC", "2026-10", "12", None, None],            # 9 the same as row 8
        ["1-1-101", "TC", "2027-01", "10", None, None],            # 10 a month not begun
        ["1-1-101", "TC", "2026-07", "10.005", None, None],        # 11 a third decimal
        ["1-1-101", "TC", "", "10", None, None],                   # 12 no period
        ["oops", "TC", "2026-06", "10", "31/12/2025", None],       # 13 not a room code, bad date
    ]
    before = (BillLine.objects.count(), AuditEntry.objects.count(), Account.objects.count())
    plan = read_plan(workbook(rows), fees["A"])
    found = [(e.row, e.column) for e in plan.errors]
    assert found == [(2, "Room code"), (3, "Room code"), (4, "Fee item code"), (5, "Amount owed (yuan)"),
                     (6, "Amount owed (yuan)"), (7, "Amount owed (yuan)"), (9, "Month or period"),
                     (10, "Month or period"), (11, "Amount owed (yuan)"), (12, "Month or period"),
                     (13, "Room code"), (13, "Due on")]
    messages = {e.row: e.message for e in plan.errors}
    assert "9-9-909" in messages[2] and "no current archive" in messages[3] and "XX" in messages[4]
    assert "row 8" in messages[9] and "2027-01" in messages[10]
    assert [line.row for line in plan.lines] == [8]
    assert (BillLine.objects.count(), AuditEntry.objects.count(), Account.objects.count()) == before
    with pytest.raises(DomainError):
        apply_plan(plan, fees["staff"]["cashier"], start(fees["staff"]["cashier"], fees["A"], "x.xlsx", b"PK"))
    assert BillLine.objects.count() == 0


def test_import_to_the_fen_then_reimport_creates_nothing(fees):
    cashier = fees["staff"]["cashier"]
    data = workbook(GOOD)
    plan = read_plan(data, fees["A"], today=date(2026, 12, 20))
    assert plan.errors == [] and plan.created == 3 and plan.amount == Decimal("2302.54")
    assert BillLine.objects.count() == 0                                # the preview writes nothing
    job = apply_plan(plan, cashier, start(cashier, fees["A"], "opening.xlsx", data))
    assert (job.state, job.created, job.skipped, job.amount) == ("done", 3, 0, Decimal("2302.54"))
    lines = {(line.room_code, line.item.code, line.period): line for line in BillLine.objects(source="opening")}
    assert lines["1-1-101", "WY", "2026-10"].amount == Decimal("165.58")
    assert lines["1-1-101", "WY", "2026-10"].due_on == date(2026, 10, 15)         # the item's due day
    assert lines["1-1-101", "TC", "2026-09"].note == "车位 B-017"
    year = lines["1-1-201", "WY", "2026-12"]                                       # a period in words
    assert (year.amount, year.due_on, year.note) == (Decimal("1986.96"), date(2025, 12, 31), "2025年度 · 旧系统结转")
    assert Account.objects(household=fees["hh_a"]).get().owed == Decimal("315.58")
    assert fees_settled(fees["hh_a2"], date(2026, 12, 20)).owed == Decimal("1986.96")
    assert AuditEntry.objects(action="import", collection="bill_lines").count() == 3
    assert AuditEntry.objects(action="import_opening").count() == 1
    # the same sheet again: every row is there already
    again = read_plan(data, fees["A"])
    assert again.errors == [] and (again.created, again.skipped) == (0, 3)
    job2 = apply_plan(again, cashier, start(cashier, fees["A"], "opening.xlsx", data))
    assert (job2.created, job2.skipped) == (0, 3)
    assert BillLine.objects(source="opening").count() == 3
    assert Account.objects(household=fees["hh_a"]).get().owed == Decimal("315.58")
    # a later sheet with one more month adds only that one
    more = read_plan(workbook(GOOD + [["1-1-101", "WY", "2026-11", "165.58", None, None]]), fees["A"])
    assert (more.created, more.skipped) == (1, 3)


def test_only_cashier_and_manager_import_and_only_their_community(fees):
    data = workbook(GOOD)
    for role in ("clerk", "supervisor", "housekeeper", "manager_b"):
        with pytest.raises(PermissionDenied):
            start(fees["staff"][role], fees["A"], "o.xlsx", data)
    job = start(fees["staff"]["manager"], fees["A"], "o.xlsx", data)
    plan = read_plan(data, fees["A"])
    with pytest.raises(PermissionDenied):
        apply_plan(plan, fees["staff"]["supervisor"], job)
    assert BillLine.objects.count() == 0 and OpeningImport.objects.count() == 1
    # another community's rooms are unknown rooms
    assert {e.row for e in read_plan(data, fees["B"]).errors} == {2, 3, 4}


def test_the_template_reads_back_in_both_languages(fees):
    for locale, header in (("en", "Room code*"), ("zh_Hans_CN", "房屋编码*")):
        data = template_workbook(locale)
        book = load_workbook(io.BytesIO(data))
        assert book.active.cell(1, 1).value == header
        plan = read_plan(data, fees["A"])
        # the example rooms do not exist in the test community: each row is named, nothing else
        assert plan.rows == len(opening.EXAMPLE_ROWS) and {e.row for e in plan.errors} == {2, 3, 4}

"""Opening balances at go-live (期初欠费导入): what households owed before the portal, from a workbook.

One row per household x fee item x period: room code, fee item code, the month (YYYY-MM) or the
period in words ("2025年度"), the amount owed, optionally the day it was due and a note. Two steps,
as every import (documents/spreadsheet.py):

- `read_plan(data, community)` checks every row - an unknown room, a room without a current
  archive, an unknown item, an amount that is not a number or not above zero, a month not begun,
  the same room, item and period twice - and lists what would be created; nothing is written;
- `apply_plan(plan, user, job)` writes a plan without errors as bill lines of source "opening",
  each with the key household x item x period: importing the same sheet again creates nothing
  (the rows already there are shown as such in the preview, and the unique key holds against two
  imports at once). The households' accounts follow; every line and the import are audited.

A line is due on the given day, else on the item's due day of its month, else on the day of the
import (a period in words): the arrears' aging counts from then.
"""
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import FileField, IntField

from app import clock
from documents import audit
from documents.base import DomainError
from documents.fees import ledger
from documents.fees.items import FeeItem
from documents.fees.ledger import BillLine, household_fields, period_of, today_in
from documents.money import CENT, MAX_AMOUNT, ZERO, MoneyField, exact_decimal, money_text
from documents.places import Room, parse_room_code
from documents.residents import Household
from documents.spreadsheet import (ImportJob, RowErrors, cell_date, cell_text, find_sheet, open_workbook,
                                   sheet_rows, template_bytes)
from documents.workflow import authorize_area

SHEET = _l("Opening balances")
SOURCE = "opening"
PERIOD_TEXT_MAX = 40
MONTH_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")

#: (key, header, required) of the sheet
COLUMNS = [
    ("room", _l("Room code"), True), ("item", _l("Fee item code"), True),
    ("period", _l("Month or period"), True), ("amount", _l("Amount owed (yuan)"), True),
    ("due_on", _l("Due on"), False), ("note", _l("Note"), False),
]
EXAMPLE_ROWS = [
    ["3-2-1201", "WY", "2026-10", "165.58", "", ""],
    ["3-2-1201", "TC", "2026-10", "150.00", "", ""],
    ["3-2-1202", "WY", "2025年度", "1986.96", "2025-12-31", "旧系统结转"],
]


class OpeningImport(ImportJob):
    """One import of opening balances (listed on the import page)."""

    created = IntField(default=0, verbose_name=_l("Lines created"))
    skipped = IntField(default=0, verbose_name=_l("Already there"))
    amount = MoneyField(default=ZERO, verbose_name=_l("Amount"))
    file = FileField(collection_name="opening_import_files")

    meta = {"collection": "opening_imports", "indexes": [("community", "-at")], "ordering": ["-at"]}


@dataclass
class PlannedLine:
    row: int
    room_code: str
    household: Household
    item: FeeItem
    period: str             # the month of the line (YYYY-MM)
    period_text: str        # as written: the month, or the period in words
    amount: Decimal
    due_on: date
    note: str
    key: str
    exists: bool = False    # imported before: left as it is

    @property
    def action(self) -> str:
        return "skip" if self.exists else "create"


@dataclass
class Plan(RowErrors):
    community: object
    errors: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    rows: int = 0

    @property
    def new_lines(self) -> list:
        return [line for line in self.lines if not line.exists]

    @property
    def created(self) -> int:
        return len(self.new_lines)

    @property
    def skipped(self) -> int:
        return len(self.lines) - self.created

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.new_lines), ZERO)

    @property
    def households(self) -> int:
        return len({line.household.pk for line in self.new_lines})


def line_key(household, item, period_text: str) -> str:
    return f"{SOURCE}:{household.pk}:{item.pk}:{period_text}"


# --- reading ---

def read_plan(data: bytes, community, today: date | None = None) -> Plan:
    """Everything the workbook would add to `community`'s bills, and every bad row. No writes."""
    book = open_workbook(data)
    plan = Plan(community=community)
    sheet = find_sheet(book, SHEET) or book[book.sheetnames[0]]
    today = today or today_in(community)
    rooms = {room.code: room.pk for room in Room.objects(community=community).only("code")}
    households = {getattr(h._data.get("room"), "id", h._data.get("room")): h for h in Household.objects(
        community=community, status="current").only("name", "room", "room_code", "building_no", "sort_key",
                                                     "community")}
    items = {item.code.upper(): item for item in FeeItem.objects(community=community)}
    labels = {key: str(label) for key, label, _r in COLUMNS}
    seen: dict = {}
    for number, row in sheet_rows(sheet, COLUMNS, plan) or []:
        plan.rows += 1
        line = _line(plan, sheet.title, number, row, labels, rooms, households, items, today)
        if line is None:
            continue
        if line.key in seen:
            plan.error(sheet.title, number, labels["period"], gettext(
                "The same room, fee item and period as row %(row)d.", row=seen[line.key]))
            continue
        seen[line.key] = number
        plan.lines.append(line)
    book.close()
    if plan.lines:
        existing = set(BillLine.objects(community=community, source=SOURCE).scalar("key"))
        for line in plan.lines:
            line.exists = line.key in existing
    return plan


def _line(plan, sheet, number, row, labels, rooms, households, items, today):
    """One row as a planned line, or None with every problem of the row recorded."""
    problems = len(plan.errors)
    raw = cell_text(row.get("room"))
    code = parse_room_code(raw)
    household = None
    if not code:
        plan.error(sheet, number, labels["room"], gettext("“%(value)s” is not a room code such as 3-2-1201.",
                                                          value=raw[:30]))
    elif code not in rooms:
        plan.error(sheet, number, labels["room"], gettext("Room %(code)s does not exist in this community.",
                                                          code=code))
    else:
        household = households.get(rooms[code])
        if household is None:
            plan.error(sheet, number, labels["room"], gettext(
                "Room %(code)s has no current archive: create or import the archive first.", code=code))
    item_code = cell_text(row.get("item"))
    item = items.get(item_code.upper())
    if item is None:
        plan.error(sheet, number, labels["item"], gettext(
            "No fee item has the code “%(value)s” in this community.", value=item_code[:30]))
    period, period_text = _period(plan, sheet, number, row, labels["period"], today)
    amount = _amount(plan, sheet, number, row.get("amount"), labels["amount"])
    try:
        due_on = cell_date(row.get("due_on"))
    except (ValueError, TypeError):
        due_on = None
        plan.error(sheet, number, labels["due_on"], gettext("Not a date; write it as 2020-05-01."))
    note = cell_text(row.get("note"))
    if len(note) > 150:
        plan.error(sheet, number, labels["note"], gettext("At most %(n)d characters.", n=150))
    if len(plan.errors) > problems:
        return None
    if due_on is None:
        due_on = _due_in(period, item) if MONTH_RE.match(period_text) else today
    return PlannedLine(row=number, room_code=code, household=household, item=item, period=period,
                       period_text=period_text, amount=amount, due_on=due_on, note=note,
                       key=line_key(household, item, period_text))


def _period(plan, sheet, number, row, column, today) -> tuple[str | None, str]:
    """(the line's month, the period as it is kept): a month written as 2026-10 (also a date cell,
    2026/10, 2026年10月), or a period in words, billed in the month of the import."""
    value = row.get("period")
    if hasattr(value, "year") and hasattr(value, "month"):
        text = f"{value.year:04d}-{value.month:02d}"
    else:
        text = re.sub(r"\s+", " ", cell_text(value))
    match = MONTH_RE.match(text)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            plan.error(sheet, number, column, gettext("Give the month as YYYY-MM, e.g. 2026-12."))
            return None, text
        text = f"{year:04d}-{month:02d}"
        if text > period_of(today):
            plan.error(sheet, number, column, gettext(
                "%(period)s has not begun yet: an opening balance is owed for a past month.", period=text))
        return text, text
    if not text:
        plan.error(sheet, number, column, gettext("Give the month (YYYY-MM) or the period in words."))
    elif len(text) > PERIOD_TEXT_MAX:
        plan.error(sheet, number, column, gettext("At most %(n)d characters.", n=PERIOD_TEXT_MAX))
    return period_of(today), text


def _amount(plan, sheet, number, value, column) -> Decimal | None:
    if isinstance(value, bool):
        value = None
    if isinstance(value, float):
        value = repr(value)                 # the number as the cell shows it, never the binary float
    amount = exact_decimal(value)
    if amount is None:
        plan.error(sheet, number, column, gettext("Not an amount: write it as a number, e.g. 1280.50."))
    elif amount <= 0:
        plan.error(sheet, number, column, gettext("Enter an amount above zero."))
    elif amount != amount.quantize(CENT):
        plan.error(sheet, number, column, gettext("At most two decimals (fen)."))
    elif amount > MAX_AMOUNT:
        plan.error(sheet, number, column, gettext("More than %(max)s yuan: check the amount.",
                                                  max=money_text(MAX_AMOUNT)))
    else:
        return amount.quantize(CENT)
    return None


def _due_in(period: str, item) -> date:
    first, last = ledger.parse_period(period)
    return first.replace(day=min(item.due_day or 1, last.day))


# --- writing ---

def apply_plan(plan: Plan, user, job: OpeningImport) -> OpeningImport:
    """Write a plan without errors: the new lines (those already there are left), the accounts of
    their households, an audit entry per line and one for the import."""
    authorize_area("fees", "action:import_opening", user, plan.community, label=_l("Import opening balances"))
    if plan.errors:
        raise DomainError(gettext("The file has errors; nothing was imported."))
    now, by = clock.now(), getattr(user, "display_name", None) or getattr(user, "username", None)
    lines = []
    for planned in plan.new_lines:
        household = planned.household
        note = planned.period_text if planned.period_text != planned.period else ""
        note = " · ".join(part for part in (note, planned.note) if part)
        lines.append(BillLine(
            community=plan.community.pk, key=planned.key, **household_fields(household),
            item=planned.item.pk, item_name=planned.item.name_zh, item_name_en=planned.item.name_en,
            kind=planned.item.kind, period=planned.period, amount=planned.amount, paid=ZERO,
            paid_elsewhere=ZERO, settled=False, due_on=planned.due_on, source=SOURCE,
            source_id=str(job.pk), note=note[:200] or None, created_at=now, created_by_name=by))
    created = ledger._insert_new(lines)
    ledger._refresh_accounts_from_lines(plan.community, {line.household.pk for line in plan.new_lines}, now)
    written = list(BillLine.objects(community=plan.community, source=SOURCE, source_id=str(job.pk))
                   .select_related(max_depth=1)) if created else []
    if written:
        audit.AuditEntry.objects.insert([
            audit.entry_for("import", line, note=f"{job.filename} · {money_text(line.amount)}", actor=user)
            for line in written], load_bulk=False)
    job.state, job.rows, job.created, job.skipped = "done", plan.rows, created, len(plan.lines) - created
    job.amount, job.errors = sum((line.amount for line in written), ZERO), 0
    job.save()
    audit.record_event("import_opening", "opening_imports", str(job.pk), job.filename, community=plan.community,
                       actor=user, note=gettext(
                           "%(rows)d rows: %(created)d lines created (%(amount)s yuan), %(skipped)d already there",
                           rows=plan.rows, created=job.created, amount=money_text(job.amount), skipped=job.skipped))
    return job


def start(user, community, filename: str, data: bytes) -> OpeningImport:
    """Keep the uploaded file for the preview and the confirmation (nothing imported yet)."""
    authorize_area("fees", "action:import_opening", user, community, label=_l("Import opening balances"))
    return OpeningImport.start(user, community, filename, data)


def template_workbook(locale: str) -> bytes:
    """The template in one language: the headers (required ones starred) and example rows."""
    return template_bytes(locale, [(SHEET, COLUMNS, EXAMPLE_ROWS)])


audit.register_action_labels({"import_opening": _l("Opening balances imported")}, area="fees",
                             collections=["opening_imports"])

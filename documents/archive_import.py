"""Importing archives from an Excel workbook (the office's old spreadsheets), in two steps.

`read_plan(data, community)` reads the workbook and checks every row against the same rules the
archive form applies (mobile numbers, ID check digits, plates, dates, rooms of the community),
returning a `Plan`: the row-level errors (sheet, row, column, message in the reader's language) and
what would be created or updated. Nothing is written. `apply_plan(plan, user, job)` writes a plan
without errors: new rooms first, then each household, created or - when the room already has a
current archive - updated in place (a re-import never duplicates), every archive with its audit
entry.

The workbook has a sheet of people ("Households": one row per owner, member or tenant, grouped by
room code; a room's first row names the household) and, optionally, a sheet of rooms ("Rooms":
building, unit, floor, room number) for places that do not exist yet. Headers are read in English
or Chinese, in any order.
"""
import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import FileField, IntField, ValidationError

from documents import audit
from documents.base import DomainError
from documents.places import NUMBER_RE, Building, Room, Unit, parse_room_code, room_sort_key
from documents.residents import ID_TYPES, RELATIONS, Household, Person, Tenant, Vehicle
from documents.spreadsheet import (MAX_BYTES, ImportJob, RowErrors, cell_date, cell_text, choice_of,  # noqa: F401
                                   find_sheet, open_workbook, sheet_rows, template_bytes)
from documents.workflow import flatten_errors

PLACE_NUMBER = re.compile(NUMBER_RE)
HOUSEHOLDS_SHEET = _l("Households")
ROOMS_SHEET = _l("Rooms")
LISTED_AS = [("owner", _l("Owner")), ("member", _l("Household member")), ("tenant", _l("Tenant"))]
FREE_OR_LIVED_IN = ("unsold", "vacant", "occupied", "rented")
PEOPLE_FIELD = {"owner": "owners", "member": "members", "tenant": "tenants"}

#: (key, header, required) of the households sheet
PEOPLE_COLUMNS = [
    ("room", _l("Room code"), True), ("household", _l("Household name"), True),
    ("listed_as", _l("Listed as"), True), ("name", _l("Name"), True), ("relation", _l("Relation"), False),
    ("phone", _l("Phone"), False), ("id_type", _l("ID type"), False), ("id_number", _l("ID number"), False),
    ("move_in", _l("Move-in date"), False), ("lease_start", _l("Lease start"), False),
    ("lease_end", _l("Lease end"), False), ("plates", _l("Plate numbers"), False),
    ("parking", _l("Parking space"), False),
]
ROOM_COLUMNS = [
    ("building", _l("Building no."), True), ("unit", _l("Unit no."), True), ("floor", _l("Floor"), True),
    ("number", _l("Room no."), True),
]
#: a person's document field -> the column its error belongs to
FIELD_COLUMN = {"name": "name", "phone": "phone", "id_number": "id_number", "id_type": "id_type",
                "relation": "relation", "lease_end": "lease_end", "lease_start": "lease_start"}
EXAMPLE_ROWS = [
    ["3-2-1201", "张伟", "owner", "张伟", "owner", "13800138000", "id_card", "11010519491231002X",
     "2020-05-01", "", "", "粤B12345", "B2-018"],
    ["3-2-1201", "张伟", "member", "张小明", "child", "", "", "", "", "", "", "", ""],
    ["3-2-1202", "Michael Brown", "tenant", "Michael Brown", "tenant", "13912345678", "passport", "E12345678",
     "2024-03-01", "2024-03-01", "2026-02-28", "", ""],
]
EXAMPLE_ROOMS = [["3", "2", 12, "1201"], ["3", "2", 12, "1202"]]


class ArchiveImport(ImportJob):
    """One import: the file, who sent it, and what it did (listed on the import page)."""

    created = IntField(default=0, verbose_name=_l("Created"))
    updated = IntField(default=0, verbose_name=_l("Updated"))
    rooms_created = IntField(default=0, verbose_name=_l("Rooms created"))
    file = FileField(collection_name="archive_import_files")

    meta = {"collection": "archive_imports", "indexes": [("community", "-at")], "ordering": ["-at"]}


@dataclass
class PlannedHousehold:
    code: str
    name: str
    first_row: int
    move_in: date | None = None
    people: dict = field(default_factory=lambda: {"owners": [], "members": [], "tenants": []})
    vehicles: list = field(default_factory=list)
    existing: Household | None = None
    room: Room | None = None

    @property
    def action(self) -> str:
        return "update" if self.existing is not None else "create"


@dataclass
class Plan(RowErrors):
    community: object
    errors: list = field(default_factory=list)
    households: list = field(default_factory=list)
    new_rooms: list = field(default_factory=list)
    rows: int = 0

    @property
    def created(self) -> int:
        return sum(1 for h in self.households if h.action == "create")

    @property
    def updated(self) -> int:
        return sum(1 for h in self.households if h.action == "update")


# --- the plan ---

def read_plan(data: bytes, community) -> Plan:
    """Everything the workbook would do to `community`'s archives, and every bad row. No writes."""
    book = open_workbook(data)
    plan = Plan(community=community)
    people = find_sheet(book, HOUSEHOLDS_SHEET) or book[book.sheetnames[0]]
    rooms = {room.code: room for room in Room.objects(community=community).select_related(max_depth=1)}
    rooms_sheet = find_sheet(book, ROOMS_SHEET)
    if rooms_sheet is not None and rooms_sheet.title != people.title:
        _read_rooms(plan, rooms_sheet, rooms)
    _read_people(plan, people, rooms)
    book.close()
    return plan


def _read_rooms(plan, sheet, rooms):
    labels = {key: label for key, label, _r in ROOM_COLUMNS}
    for number, row in sheet_rows(sheet, ROOM_COLUMNS, plan) or []:
        parts = {key: cell_text(row.get(key)).upper() for key in ("building", "unit", "number")}
        bad = next((key for key, value in parts.items() if not PLACE_NUMBER.match(value)), None)
        if bad:
            plan.error(sheet.title, number, labels[bad], gettext("Letters and digits only, e.g. 3 or 12A."))
            continue
        try:
            floor = int(cell_text(row.get("floor")))
        except ValueError:
            plan.error(sheet.title, number, labels["floor"], gettext("The floor is a whole number, e.g. 12."))
            continue
        code = f"{parts['building']}-{parts['unit']}-{parts['number']}"
        if code in rooms:
            continue                       # the room exists: nothing to do
        room = Room(community=plan.community, building_no=parts["building"], unit_no=parts["unit"],
                    floor=floor, number=parts["number"], code=code,
                    sort_key=room_sort_key(parts["building"], parts["unit"], parts["number"]))
        rooms[code] = room
        plan.new_rooms.append(room)


def _read_people(plan, sheet, rooms):
    labels = {key: label for key, label, _r in PEOPLE_COLUMNS}
    by_code: dict[str, PlannedHousehold] = {}
    seen: dict[tuple, int] = {}
    for number, row in sheet_rows(sheet, PEOPLE_COLUMNS, plan) or []:
        plan.rows += 1
        household = _household_of(plan, sheet.title, number, row, rooms, by_code, labels)
        if household is None:
            continue
        key = (household.code, cell_text(row.get("listed_as")).lower(), cell_text(row.get("name")))
        if key in seen:
            plan.error(sheet.title, number, labels["name"],
                       gettext("The same person as in row %(row)d.", row=seen[key]))
            continue
        seen[key] = number
        _add_person(plan, sheet.title, number, row, household, labels)
    current = {h.room.pk: h for h in Household.objects(community=plan.community, status="current",
                                                       room__in=[p.room.pk for p in by_code.values() if p.room.pk])}
    for planned in by_code.values():
        planned.existing = current.get(planned.room.pk) if planned.room.pk else None
    plan.households = sorted(by_code.values(), key=lambda h: h.room.sort_key or "")


def _household_of(plan, sheet, number, row, rooms, by_code, labels):
    """The household this row belongs to (made at its room's first row), or None (error recorded)."""
    raw = cell_text(row.get("room"))
    code = parse_room_code(raw)
    if not code:
        plan.error(sheet, number, labels["room"], gettext("“%(value)s” is not a room code such as 3-2-1201.",
                                                          value=raw[:30]))
        return None
    room = rooms.get(code)
    if room is None:
        plan.error(sheet, number, labels["room"], gettext("Room %(code)s does not exist in this community.",
                                                          code=code))
        return None
    name = cell_text(row.get("household"))
    planned = by_code.get(code)
    if planned is None:
        if not name or len(name) > 60:
            plan.error(sheet, number, labels["household"], gettext("Give the household's name (at most 60 characters)."))
            return None
        planned = by_code[code] = PlannedHousehold(code=code, name=name, first_row=number, room=room)
    elif name and name != planned.name:
        plan.error(sheet, number, labels["household"], gettext(
            "Row %(row)d names this room's household “%(name)s”.", row=planned.first_row, name=planned.name))
        return None
    try:
        planned.move_in = cell_date(row.get("move_in")) or planned.move_in
    except (ValueError, TypeError):
        plan.error(sheet, number, labels["move_in"], gettext("Not a date; write it as 2020-05-01."))
    return planned


def _add_person(plan, sheet, number, row, household, labels):
    listed_as = choice_of(LISTED_AS, row.get("listed_as"))
    if listed_as is None:
        plan.error(sheet, number, labels["listed_as"], gettext("Write owner, household member or tenant."))
        return
    values = {"name": cell_text(row.get("name")), "phone": cell_text(row.get("phone")) or None,
              "id_number": cell_text(row.get("id_number")) or None}
    for key, choices in (("relation", RELATIONS), ("id_type", ID_TYPES)):
        text = cell_text(row.get(key))
        values[key] = choice_of(choices, text) if text else ("id_card" if key == "id_type" else listed_as
                                                            if listed_as in ("owner", "tenant") else None)
        if text and values[key] is None:
            plan.error(sheet, number, labels[key], gettext("“%(value)s” is not one of the choices.", value=text[:30]))
            return
    if listed_as == "tenant":
        try:
            values["lease_start"] = cell_date(row.get("lease_start"))
            values["lease_end"] = cell_date(row.get("lease_end"))
        except (ValueError, TypeError):
            plan.error(sheet, number, labels["lease_start"], gettext("Not a date; write it as 2020-05-01."))
            return
    person = (Tenant if listed_as == "tenant" else Person)(**values)
    if _invalid(plan, sheet, number, person, labels):
        return
    household.people[PEOPLE_FIELD[listed_as]].append(person)
    _add_vehicles(plan, sheet, number, row, household, labels)


def _invalid(plan, sheet, number, document, labels) -> bool:
    try:
        document.validate()
    except ValidationError as err:
        for name, message in flatten_errors(err):
            plan.error(sheet, number, labels.get(FIELD_COLUMN.get(name, "name"), ""), message)
        return True
    return False


def _add_vehicles(plan, sheet, number, row, household, labels):
    text = cell_text(row.get("plates")).replace("、", ",").replace("，", ",").replace(";", ",")
    known = {v.plate for v in household.vehicles}
    for plate in [p.strip().upper() for p in text.split(",") if p.strip()]:
        vehicle = Vehicle(plate=plate, parking_space=cell_text(row.get("parking")) or None)
        if plate in known:
            continue
        try:
            vehicle.validate()
        except ValidationError as err:
            plan.error(sheet, number, labels["plates"], "; ".join(m for _f, m in flatten_errors(err)))
            continue
        known.add(plate)
        household.vehicles.append(vehicle)


# --- writing a checked plan ---

def apply_plan(plan: Plan, user, job: ArchiveImport) -> ArchiveImport:
    """Write a plan without errors: rooms, then households (created or updated), with audit entries."""
    if plan.errors:
        raise DomainError(gettext("The file has errors; nothing was imported."))
    _create_rooms(plan)
    entries, created = [], []
    for planned in plan.households:
        household, before = _filled(plan, planned)
        if planned.existing is not None:
            household.save_versioned(household.version)
            entries.append(audit.entry_for("import", household, audit.diff(before, audit.snapshot(household)),
                                           note=job.filename, actor=user))
        else:
            household.validate()
            created.append(household)
    if created:
        Household.objects.insert(created, load_bulk=False)     # sets each one's id
        # a new archive's entry names the file, which the import keeps (ArchiveImport.file)
        entries += [audit.entry_for("import", household, note=job.filename, actor=user) for household in created]
    _set_room_statuses(plan)
    if entries:
        audit.AuditEntry.objects.insert(entries, load_bulk=False)
    return _finish(plan, user, job)


def _set_room_statuses(plan):
    """A room with a current archive is occupied (rented with tenants), unless it is being renovated.

    One update per room whose status changes, by id: an `$in` of thousands of ids is checked against
    every candidate one by one on the embedded stores (quadratic), and mongomock has no bulk_write
    for today's pymongo.
    """
    for planned in plan.households:
        room = planned.room
        target = "rented" if planned.people["tenants"] else "occupied"
        if room.status != target and room.status in FREE_OR_LIVED_IN:
            Room.objects(pk=room.pk, status__in=list(FREE_OR_LIVED_IN)).update_one(set__status=target)


def _filled(plan, planned):
    """The household of a planned row group (the current archive, or a new one) with the sheet's
    data, and its stored form before."""
    household = planned.existing
    before = audit.snapshot(household) if household is not None else {}
    if household is None:
        household = Household(community=plan.community, status="current", version=1)
    household.room = planned.room
    household.name = planned.name
    household.move_in_date = planned.move_in or household.move_in_date
    household.owners, household.members = planned.people["owners"], planned.people["members"]
    household.tenants, household.vehicles = planned.people["tenants"], planned.vehicles
    household.room_checked = True             # the plan has matched the room's current archive
    return household, before


def _create_rooms(plan):
    """The rooms sheet's new rooms, with their buildings and units (made when missing)."""
    buildings = {b.number: b for b in Building.objects(community=plan.community)}
    units = {(u.building.pk, u.number): u for u in Unit.objects(community=plan.community)}
    for room in plan.new_rooms:
        building = buildings.get(room.building_no)
        if building is None:
            building = buildings[room.building_no] = Building(community=plan.community, number=room.building_no,
                                                              floors=max(room.floor, 1)).save()
        unit = units.get((building.pk, room.unit_no))
        if unit is None:
            unit = units[(building.pk, room.unit_no)] = Unit(community=plan.community, building=building,
                                                             number=room.unit_no).save()
        room.building, room.unit = building, unit
    if plan.new_rooms:
        Room.objects.insert(plan.new_rooms, load_bulk=False)


def _finish(plan, user, job):
    job.state, job.rows, job.created, job.updated = "done", plan.rows, plan.created, plan.updated
    job.rooms_created, job.errors = len(plan.new_rooms), 0
    job.save()
    audit.record_event("import", "archive_imports", str(job.pk), job.filename, community=plan.community,
                       actor=user, note=gettext(
                           "%(rows)d rows: %(created)d archives created, %(updated)d updated, %(rooms)d rooms created",
                           rows=plan.rows, created=job.created, updated=job.updated, rooms=job.rooms_created))
    return job


def start(user, community, filename: str, data: bytes) -> ArchiveImport:
    """Keep the uploaded file for the preview and the confirmation (nothing imported yet)."""
    return ArchiveImport.start(user, community, filename, data)


def template_workbook(locale: str) -> bytes:
    """The template in one language: both sheets, headers (required ones starred) and example rows."""
    return template_bytes(locale, [(HOUSEHOLDS_SHEET, PEOPLE_COLUMNS, lambda: map(_localised, EXAMPLE_ROWS)),
                                   (ROOMS_SHEET, [(k, label, True) for k, label, _r in ROOM_COLUMNS],
                                    EXAMPLE_ROOMS)])


def _localised(row):
    """An example row with its codes as the labels of the template's language."""
    values = list(row)
    for index, choices in ((2, LISTED_AS), (4, RELATIONS), (6, ID_TYPES)):
        if values[index]:
            values[index] = str(dict(choices)[values[index]])
    return values

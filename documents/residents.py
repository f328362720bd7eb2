"""Resident archives (业户档案): one per household, kept permanently, never deleted by a clerk."""
import re
from typing import NamedTuple

from bson import ObjectId
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (Q, DateField, EmbeddedDocument, EmbeddedDocumentListField, ListField,
                         ReferenceField, StringField, ValidationError)

from app import clock
from documents import audit, timeline
from documents.base import CommunityOwned, DomainError, RuleErrors, Versioned
from documents.places import Room, parse_room_code
from documents.validators import (id_document_problem, normalise_phone, validate_mobile,
                                  validate_plate)

RELATIONS = [
    ("owner", _l("Owner")), ("spouse", _l("Spouse")), ("child", _l("Child")),
    ("parent", _l("Parent")), ("relative", _l("Relative")), ("tenant", _l("Tenant")),
    ("nanny", _l("Domestic helper")), ("other", _l("Other")),
]
ID_TYPES = [
    ("id_card", _l("Resident ID card")), ("passport", _l("Passport")),
    ("hk_macau_permit", _l("Home Return Permit (HK/Macau)")),
    ("taiwan_permit", _l("Taiwan Compatriot Permit")),
]
NAME_PREFIX_MAX = 12
ARCHIVE_STATUSES = [("current", _l("Current")), ("moved_out", _l("Moved out")),
                    ("merged", _l("Merged into another archive"))]


class Person(EmbeddedDocument):
    """An owner, member or tenant of a household."""
    meta = {"allow_inheritance": True}
    name = StringField(required=True, max_length=60, verbose_name=_l("Name"))
    relation = StringField(choices=RELATIONS, verbose_name=_l("Relation"))
    phone = StringField(max_length=20, validation=validate_mobile, verbose_name=_l("Phone"))
    id_type = StringField(choices=ID_TYPES, default="id_card", verbose_name=_l("ID type"))
    id_number = StringField(max_length=30, verbose_name=_l("ID number"))
    birthday = DateField(verbose_name=_l("Birthday"))
    work_unit = StringField(max_length=100, verbose_name=_l("Work unit"))
    emergency_contact = StringField(max_length=100, verbose_name=_l("Emergency contact"))

    def clean(self):
        if self.phone:
            self.phone = normalise_phone(self.phone)
        if self.id_number:
            self.id_number = self.id_number.strip().upper()
            problem = id_document_problem(self.id_type, self.id_number)
            if problem:
                raise ValidationError(errors={"id_number": ValidationError(problem)})


class Tenant(Person):
    lease_start = DateField(verbose_name=_l("Lease start"))
    lease_end = DateField(verbose_name=_l("Lease end"))

    def clean(self):
        super().clean()
        if self.lease_start and self.lease_end and self.lease_end < self.lease_start:
            raise ValidationError(errors={"lease_end": ValidationError(
                gettext("The lease cannot end before it starts."))})


class Vehicle(EmbeddedDocument):
    plate = StringField(required=True, max_length=10, validation=validate_plate,
                        verbose_name=_l("Plate number"))
    parking_space = StringField(max_length=20, verbose_name=_l("Parking space"))
    description = StringField(max_length=60, verbose_name=_l("Make and colour"))

    def clean(self):
        if self.plate:
            self.plate = self.plate.strip().upper()


class Pet(EmbeddedDocument):
    kind = StringField(required=True, max_length=30, verbose_name=_l("Kind"))
    name = StringField(max_length=30, verbose_name=_l("Name"))
    licence = StringField(max_length=40, verbose_name=_l("Dog licence / vaccination"))


class ExtraField(EmbeddedDocument):
    """A named field staff add to one archive without a code change."""
    key = StringField(required=True, max_length=40, verbose_name=_l("Field name"))
    value = StringField(max_length=500, verbose_name=_l("Value"))


class Household(CommunityOwned, Versioned):
    room = ReferenceField(Room, required=True, verbose_name=_l("Room"))
    other_rooms = ListField(ReferenceField(Room), verbose_name=_l("Other rooms"))
    name = StringField(required=True, max_length=60, verbose_name=_l("Household name"))
    owners = EmbeddedDocumentListField(Person, verbose_name=_l("Owners"))
    members = EmbeddedDocumentListField(Person, verbose_name=_l("Household members"))
    tenants = EmbeddedDocumentListField(Tenant, verbose_name=_l("Tenants"))
    vehicles = EmbeddedDocumentListField(Vehicle, verbose_name=_l("Vehicles"))
    pets = EmbeddedDocumentListField(Pet, verbose_name=_l("Pets"))
    tags = ListField(StringField(max_length=20), verbose_name=_l("Tags"))
    notes = StringField(max_length=2000, verbose_name=_l("Notes"))
    extra_fields = EmbeddedDocumentListField(ExtraField, verbose_name=_l("Extra fields"))
    move_in_date = DateField(verbose_name=_l("Move-in date"))
    move_out_date = DateField(verbose_name=_l("Move-out date"))
    status = StringField(choices=ARCHIVE_STATUSES, default="current", verbose_name=_l("Archive status"))
    merged_into = ReferenceField("Household", verbose_name=_l("Merged into"))
    # Search keys, derived in clean(): the lookup never has to scan text.
    building_no = StringField(verbose_name=_l("Building no."))
    unit_no = StringField(verbose_name=_l("Unit no."))
    room_code = StringField(verbose_name=_l("Room code"))
    room_codes = ListField(StringField())
    room_numbers = ListField(StringField())
    search_names = ListField(StringField())
    name_prefixes = ListField(StringField())  # lower-case beginnings of search_names (name search)
    phone_tails = ListField(StringField())
    sort_key = StringField()

    meta = {
        "collection": "households",
        "indexes": [
            ("community", "sort_key"), ("community", "building_no", "unit_no"),
            ("community", "room_codes"), ("community", "room_numbers"), ("community", "search_names"),
            ("community", "name_prefixes"), ("community", "name"), ("community", "move_in_date"),
            ("community", "phone_tails"), ("community", "status"), "room", "tags",
        ],
        "ordering": ["sort_key"],
    }

    def __str__(self):
        return f"{self.room_code or ''} {self.name or ''}".strip()

    def people(self):
        return list(self.owners or []) + list(self.members or []) + list(self.tenants or [])

    def contact_phone(self) -> str:
        """The first phone of the household (owners first), normalised; "" if none is recorded."""
        for person in self.people():
            if person.phone:
                return normalise_phone(person.phone)
        return ""

    def clean(self):
        errors = RuleErrors()
        self._check_rooms(errors)
        if self.move_in_date and self.move_out_date and self.move_out_date < self.move_in_date:
            errors.add("move_out_date", gettext("The move-out date cannot be before the move-in date."))
        keys = [e.key.strip() for e in self.extra_fields or [] if e.key]
        if len(keys) != len(set(keys)):
            errors.add("extra_fields", gettext("Each extra field name may appear only once."))
        errors.raise_any()
        self.tags = sorted({t.strip() for t in self.tags or [] if t and t.strip()})
        self._fill_search_fields()

    def _check_rooms(self, errors: RuleErrors):
        """The rooms belong to the archive's community; a room has one current archive."""
        if self.room is not None:
            if self.community and self.room.community.pk != self.community.pk:
                errors.add("room", gettext("The room belongs to another community."))
            else:
                self.building_no, self.unit_no = self.room.building_no, self.room.unit_no
                self.room_code = self.room.code
                self.sort_key = self.room.sort_key
        if any(self.community and other.community.pk != self.community.pk for other in self.other_rooms or []):
            errors.add("other_rooms", gettext("The room belongs to another community."))
        if self.room is not None and "room" not in errors and self.status == "current" \
                and not getattr(self, "room_checked", False):
            clash = Household.objects(room=self.room, status="current", pk__ne=self.pk).first()
            if clash:
                errors.add("room", gettext("Room %(code)s already has a current archive (%(name)s).",
                                           code=self.room.code, name=clash.name))

    def _fill_search_fields(self):
        """Room codes, names, name prefixes and phone tails stored for indexed look-ups."""
        others = [r.code for r in self.other_rooms or []]
        self.room_codes = [self.room_code] + others if self.room_code else others
        self.room_numbers = sorted({code.rsplit("-", 1)[-1] for code in self.room_codes})
        names = {self.name.strip()} if self.name else set()
        names |= {person.name.strip() for person in self.people() if person.name}
        phones = (normalise_phone(person.phone or "") for person in self.people())
        self.search_names = sorted(names)
        self.name_prefixes = name_prefixes(names)
        self.phone_tails = sorted({phone[-4:] for phone in phones if len(phone) >= 4})

    def save(self, *args, **kwargs):
        result = super().save(*args, **kwargs)
        self._sync_room_status()
        return result

    def _sync_room_status(self):
        """A current archive makes an unsold/vacant room occupied (rented if it has tenants)."""
        if self.room is None:
            return
        if self.status == "current":
            target = "rented" if self.tenants else "occupied"
            Room.objects(pk=self.room.pk, status__in=["unsold", "vacant", "occupied", "rented"]) \
                .update_one(set__status=target)
        elif not Household.objects(room=self.room, status="current", pk__ne=self.pk).first():
            Room.objects(pk=self.room.pk, status__in=["occupied", "rented"]).update_one(set__status="vacant")

    def delete(self, *args, **kwargs):
        """Archives are kept permanently (004): nobody deletes one, whatever their role."""
        raise DomainError(gettext("Archives are kept permanently and cannot be deleted; mark the "
                                  "household as moved out instead."))

    def merge_into(self, keeper, user=None):
        """This archive is a duplicate of `keeper` (same household): it is kept, marked as merged
        into `keeper`, and its history shows in the keeper's timeline. Nothing is deleted."""
        if keeper is None or keeper.pk == self.pk:
            raise DomainError(gettext("Choose another archive to merge into."), field="keeper")
        if keeper.community.pk != self.community.pk:
            raise DomainError(gettext("The room belongs to another community."), field="keeper")
        if self.status == "merged" or keeper.status == "merged":
            raise DomainError(gettext("An archive that was merged cannot be merged again."), field="keeper")
        before = audit.snapshot(self)
        self.status, self.merged_into = "merged", keeper
        self.save_versioned(self.version)
        audit.record("merge", self, audit.diff(before, audit.snapshot(self)), actor=user,
                     note=str(keeper))
        audit.record("merge_keep", keeper, note=str(self), actor=user)

    def merged_archives(self) -> list:
        return list(Household.objects(merged_into=self))

    def move_out(self, on_date=None):
        """Mark the household as moved out; the archive is kept (never deleted)."""
        if self.status == "moved_out":
            raise DomainError(gettext("This household has already moved out."))
        before = audit.snapshot(self)
        self.status = "moved_out"
        self.move_out_date = on_date or clock.now().date()
        self.save_versioned(self.version)
        audit.record("move_out", self, audit.diff(before, audit.snapshot(self)))


audit.register_action_labels({
    "merge": _l("Merged into another archive"), "merge_keep": _l("A duplicate archive was merged in"),
    "attach": _l("Document added"), "import": _l("Imported from a spreadsheet"),
})


def _field_label(name: str) -> str:
    field = Household._fields.get(name)
    return str(getattr(field, "verbose_name", None) or name)


@timeline.register
def _archive_edits(household):
    """The archive's own audit history appears in its timeline."""
    labels = {"create": _l("Archive created"), "edit": _l("Archive edited"),
              "move_out": _l("Moved out"), "delete": _l("Archive deleted"), "merge": _l("Merged into another archive"),
              "merge_keep": _l("A duplicate archive was merged in"), "attach": _l("Document added"),
              "import": _l("Imported from a spreadsheet")}
    items = []
    ids = [str(household.pk)] + [str(pk) for pk in Household.objects(merged_into=household).scalar("id")]
    for entry in audit.AuditEntry.objects(collection="households", record_id__in=ids) \
            .order_by("-at").limit(100):
        fields = ", ".join(_field_label(c.field) for c in entry.changes)
        items.append(timeline.TimelineItem(
            at=entry.at, kind=str(_l("Archive")),
            title=str(labels.get(entry.action, entry.action)), actor=entry.actor_name or "",
            detail=fields))
    return items


def name_prefixes(names) -> list[str]:
    """Every beginning of every name, lower-case, up to NAME_PREFIX_MAX characters.

    A name search is then an equality on an indexed field (`name_prefixes == "zhang"`), which
    every store answers from its index, instead of a case-insensitive regex over all archives.
    """
    prefixes = set()
    for name in names:
        key = name.lower()
        prefixes.update(key[:n] for n in range(1, min(len(key), NAME_PREFIX_MAX) + 1))
    return sorted(prefixes)


PARTIAL_CODE_RE = re.compile(r"^\s*([0-9A-Za-z]{1,6})\s*(?:-|栋|号楼|幢)\s*(?:([0-9A-Za-z]{1,4})\s*(?:单元)?)?\s*$")


def search_households(queryset, text: str):
    """The universal search box: room code, building(-unit), phone (tail), or a name.

    The input is only ever used as a plain string value of known fields, so `.*`, `$ne` or
    `{"$gt": ""}` are searched for literally and can never become an operator or a regex.
    """
    text = str(text or "").strip()[:60]
    if not text:
        return queryset.none()
    code = parse_room_code(text)
    if code:
        return queryset.filter(room_codes=code)
    partial = PARTIAL_CODE_RE.match(text)
    if partial and (partial.group(2) or not text.isdigit()):
        building, unit = partial.group(1).upper(), partial.group(2)
        return queryset.filter(building_no=building, **({"unit_no": unit.upper()} if unit else {}))
    phone = normalise_phone(text)
    if phone.isdigit() and len(phone) == 11:
        return queryset.filter(Q(phone_tails=phone[-4:]) & (
            Q(owners__phone=phone) | Q(members__phone=phone) | Q(tenants__phone=phone)))
    if text.isdigit() and len(text) == 4:
        return queryset.filter(Q(phone_tails=text) | Q(room_numbers=text))
    if text.isdigit():
        return queryset.filter(room_numbers=text)
    key = text.lower()
    if len(key) <= NAME_PREFIX_MAX:
        return queryset.filter(name_prefixes=key)
    return queryset.filter(name_prefixes=key[:NAME_PREFIX_MAX], search_names__istartswith=text)


class GridRoom(NamedTuple):
    """A room as the lookup grid shows it (a light row, not a document)."""
    pk: ObjectId
    code: str
    number: str
    floor: int
    status: str


def unit_grid(unit):
    """The lookup grid of one unit: floors top-down, each a list of (room, current household or None).

    Two queries whatever the size of the unit: its rooms, and the current archives of those rooms.
    Both are read as plain rows (GridRoom, dicts): building documents for a 30-floor unit would
    cost more than the queries.
    """
    rooms = [GridRoom(row["_id"], row.get("code", ""), row.get("number", ""), row.get("floor"),
                      row.get("status", "unsold"))
             for row in Room.objects(unit=unit).only("floor", "number", "code", "status")
             .order_by("-floor", "number").as_pymongo()]
    current = {row["room"]: row for row in Household.objects(room__in=[r.pk for r in rooms], status="current")
               .only("id", "room", "name").as_pymongo()}
    floors: dict[int, list] = {}
    for room in rooms:
        floors.setdefault(room.floor, []).append((room, current.get(room.pk)))
    return list(floors.items())

"""Places: community (小区), building (楼栋), unit/entrance (单元), room (房号)."""
import re
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (DecimalField, IntField, ReferenceField, StringField, URLField,
                         ValidationError)

from documents.base import CommunityOwned, DomainError, OwnedQuerySet, Versioned
from documents.money import MoneyField

ROOM_USES = [("residential", _l("Residential")), ("shop", _l("Shop")), ("parking", _l("Parking"))]
ROOM_STATUSES = [
    ("unsold", _l("Unsold")), ("vacant", _l("Vacant")), ("occupied", _l("Occupied")),
    ("renovating", _l("Renovating")), ("rented", _l("Rented")),
]
#: a renovation deposit refund above this amount needs the manager's approval first (per community)
DEFAULT_REFUND_APPROVAL_LIMIT = Decimal("5000.00")
NUMBER_RE = r"^[0-9A-Za-z]{1,6}$"
ROOM_CODE_RE = re.compile(r"^\s*([0-9A-Za-z]{1,6})\s*(?:-|栋|号楼|幢)\s*([0-9A-Za-z]{1,4})\s*(?:-|单元)\s*"
                          r"([0-9A-Za-z]{1,6})\s*(?:室|号)?\s*$")


def parse_room_code(text: str) -> str | None:
    """`3-2-1201`, `3栋2单元1201`, `3号楼2单元1201室` -> `3-2-1201`; anything else -> None."""
    match = ROOM_CODE_RE.match(text or "")
    if not match:
        return None
    return "-".join(part.upper() for part in match.groups())


def room_sort_key(building_no: str, unit_no: str, number: str) -> str:
    """Orders archives by building, unit, floor, room (as the paper files are kept)."""
    def pad(part):
        return part.zfill(6) if part.isdigit() else part.rjust(6, "~")
    return "-".join(pad(p or "") for p in (building_no, unit_no, number))


class Community(Versioned):
    code = StringField(required=True, unique=True, max_length=20, regex=r"^[A-Za-z0-9_-]+$",
                       verbose_name=_l("Code"))
    name_zh = StringField(required=True, max_length=80, verbose_name=_l("Name (Chinese)"))
    name_en = StringField(max_length=120, verbose_name=_l("Name (English)"))
    address = StringField(max_length=200, verbose_name=_l("Address"))
    timezone = StringField(default="Asia/Shanghai", max_length=40, verbose_name=_l("Time zone"))
    refund_approval_limit = MoneyField(default=DEFAULT_REFUND_APPROVAL_LIMIT,
                                       verbose_name=_l("Refund approval limit"))
    robot_webhook = URLField(max_length=500, verbose_name=_l("Group robot webhook (WeCom / DingTalk)"))

    meta = {"collection": "communities", "indexes": ["code", "name_zh", "name_en"], "ordering": ["code"],
            "queryset_class": OwnedQuerySet}

    def __str__(self):
        return self.name_zh or self.code

    def display_name(self, locale: str | None) -> str:
        if locale and locale.startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh or self.name_en or self.code


class Building(CommunityOwned, Versioned):
    number = StringField(required=True, regex=NUMBER_RE, verbose_name=_l("Building no."))
    name = StringField(max_length=60, verbose_name=_l("Name"))
    floors = IntField(min_value=1, max_value=120, verbose_name=_l("Floors"))

    meta = {"collection": "buildings",
            "indexes": [{"fields": ["community", "number"], "unique": True}, ("community", "name")],
            "ordering": ["community", "number"]}

    def __str__(self):
        return gettext("Building %(no)s", no=self.number)

    def clean(self):
        if self.community and Building.objects(community=self.community, number=self.number,
                                               pk__ne=self.pk).first():
            raise ValidationError(errors={"number": ValidationError(
                gettext("Building %(no)s already exists in this community.", no=self.number))})

    def generate_units_and_rooms(self, units: int, floors: int, rooms_per_floor: int,
                                 area=None) -> int:
        """Create units 1..units and rooms `<floor><nn>` on floors 1..floors; existing ones are kept.

        Returns the number of rooms created. Running it twice creates nothing the second time.
        """
        if not (1 <= units <= 20 and 1 <= floors <= 120 and 1 <= rooms_per_floor <= 30):
            raise DomainError(gettext("Units must be 1–20, floors 1–120 and rooms per floor 1–30."))
        existing = set(Room.objects(building=self).scalar("code"))
        created = []
        for u in range(1, units + 1):
            unit = Unit.objects(building=self, number=str(u)).first()
            if unit is None:
                unit = Unit(community=self.community, building=self, number=str(u)).save()
            for floor in range(1, floors + 1):
                for r in range(1, rooms_per_floor + 1):
                    number = f"{floor}{r:02d}"
                    code = f"{self.number}-{u}-{number}"
                    if code in existing:
                        continue
                    created.append(Room(community=self.community, building=self, unit=unit,
                                        building_no=self.number, unit_no=str(u), floor=floor,
                                        number=number, code=code, area=area,
                                        sort_key=room_sort_key(self.number, str(u), number)))
        if created:
            Room.objects.insert(created, load_bulk=False)
        if not self.floors or self.floors < floors:
            self.floors = floors
            self.save()
        return len(created)


class Unit(CommunityOwned):
    building = ReferenceField(Building, required=True, verbose_name=_l("Building"))
    number = StringField(required=True, regex=NUMBER_RE, verbose_name=_l("Unit no."))

    meta = {"collection": "units",
            "indexes": [{"fields": ["building", "number"], "unique": True}, "community"],
            "ordering": ["number"]}

    def __str__(self):
        return gettext("Building %(b)s Unit %(u)s", b=self.building.number if self.building else "?",
                       u=self.number)


class Room(CommunityOwned, Versioned):
    building = ReferenceField(Building, required=True, verbose_name=_l("Building"))
    unit = ReferenceField(Unit, required=True, verbose_name=_l("Unit"))
    building_no = StringField(verbose_name=_l("Building no."))
    unit_no = StringField(verbose_name=_l("Unit no."))
    floor = IntField(required=True, min_value=-5, max_value=120, verbose_name=_l("Floor"))
    number = StringField(required=True, regex=NUMBER_RE, verbose_name=_l("Room no."))
    code = StringField(verbose_name=_l("Room code"))
    area = DecimalField(min_value=0, max_value=10000, precision=2, verbose_name=_l("Area (m²)"))
    use = StringField(choices=ROOM_USES, default="residential", verbose_name=_l("Use"))
    status = StringField(choices=ROOM_STATUSES, default="unsold", verbose_name=_l("Status"))
    sort_key = StringField()

    meta = {"collection": "rooms",
            "indexes": [{"fields": ["community", "code"], "unique": True},
                        ("unit", "floor", "number"), ("community", "building_no", "unit_no"), "status",
                        "use", "sort_key"],
            "ordering": ["sort_key"]}

    def __str__(self):
        return self.code or ""

    def clean(self):
        if self.unit and self.building and self.unit.building.pk != self.building.pk:
            raise ValidationError(errors={"unit": ValidationError(
                gettext("This unit belongs to another building."))})
        for ref in (self.building, self.unit):
            if ref and self.community and ref.community.pk != self.community.pk:
                raise ValidationError(errors={"community": ValidationError(
                    gettext("Building and unit must belong to the room's community."))})
        self.building_no = self.building.number if self.building else self.building_no
        self.unit_no = self.unit.number if self.unit else self.unit_no
        self.code = f"{self.building_no}-{self.unit_no}-{self.number}"
        self.sort_key = room_sort_key(self.building_no, self.unit_no, self.number)
        if self.community and Room.objects(community=self.community, code=self.code,
                                           pk__ne=self.pk).first():
            raise ValidationError(errors={"number": ValidationError(
                gettext("Room %(code)s already exists in this community.", code=self.code))})

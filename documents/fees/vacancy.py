"""Vacant units (空置房, seed 003 空置房管理作业指导书; DOMAIN.md "Vacant units").

Two parts, apart from the fees core that sits beside this module:

**Vacancy applications** (空置房申请表, 5.2). An owner shows the original ID card; the staff member
records who checked it, the period (first and last vacant day) and the reason. Only a vacancy
*longer* than three months is accepted (exactly three months is refused); a household never has two
vacancies that overlap. Steps, on the workflow engine:

    new -apply-> applied -review (客服签署意见)-> reviewed -approve (客服中心主任签字)-> approved
    approved -receive (交收费员)-> received;  approved/received -remind (owner told of the end)-> told;
    applied/reviewed -reject-> rejected, -withdraw-> withdrawn;  approved/received/told: read_meters.

The 50 % holds from the director's signature on (approved, received, told): the cashier's receipt
is the hand-over of the paper form, and it puts the record on the cashier's "My work".

Approving opens one work order (repairs) to shut water and power and read the meters; a double
click or two directors at once open it once (the step is one conditional write that also links
the order; a loser deletes the order it made). A week before the last day a clock on the agenda
reminds the front desk to tell the owner: from the day after, the unit is billed in full again
unless the owner applies anew (a new vacancy that starts after this one).

**Meter readings** (monthly, 5.1.2 / 5.2.6): water in tonnes, electricity in kWh, read on a day, by
someone. A month's use is what the readings *taken in that month* add to the reading before them
(readings are taken once a month, so each closes one month; the first reading - the one the shut-off
work order takes - is the base and uses nothing). More than 1 t of water or more than 5 kWh of
electricity in a month counts as lived in: that month is billed in full and the vacancy is flagged
("occupied"). Exactly 1 t and exactly 5 kWh are still vacant.

**What the fees core asks** (the one interface between the two):

    billing_factor(household, period: str) -> Decimal         # period "YYYY-MM"
    billing_factors(community, period: str) -> {household_id: Decimal}   # the same, one query
    VACANCY_DISCOUNTED_KINDS                                  # FeeItem.kind values discounted

`billing_factor` is registered with the fees core (`ledger.register_billing_factor`), whose monthly
generation multiplies the VACANCY_KINDS lines by it. The factor multiplies the month's charge of the discounted kinds only (`factor_for_kind` says so
for one fee kind). See `billing_factor` for how a month partly covered is treated.

**Inspections** (5.1.1, 5.1.3, 5.3, 5.4): every vacant unit - rooms with status "unsold" (the
developer's), rooms of households with an approved vacancy in the month - and every basement is
inspected once a month (facilities, hygiene, building quality, leaks); a finding can open a work
order. *A basement is a room on a negative floor* (`Room.floor < 0`, which the places model
allows from -5): basement storerooms and plant rooms are numbered rooms of a building and unit,
so they are listed, found by code and repaired like any room; a building without such rooms has
no basement to inspect. After a rainstorm or gale (暴雨、狂风) the director starts a storm round in
one step: it lists every vacant unit and basement of that moment as due, and its own coverage
shows who is missing.
"""
import hashlib
from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from bson import ObjectId
from flask_babel import force_locale, gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateField, DateTimeField, EmbeddedDocument,
                         EmbeddedDocumentListField, ListField, ReferenceField, StringField)
from mongoengine.errors import NotUniqueError
from mongoengine.fields import Decimal128Field

from app import clock
from documents import audit, timeline
from documents.agenda import ClockKind, declare_clocks
from documents.base import CommunityOwned, DomainError, PermissionDenied, Versioned
from documents.deadlines import end_of_local_day, local_date, zone_of
from documents.fees.ledger import VACANCY_KINDS, parse_period, register_billing_factor
from documents.money import exact_decimal
from documents.residents import ID_TYPES
from documents.validators import id_document_problem
from documents.workflow import Step, Workflow, Workflowed, authorize_area, declare

AREA = "vacancies"
INSPECTION_AREA = "vacant_inspections"

# --- the numbers of the rules (seed 003 5.2.5-5.2.8, 5.1.3), each named once ---
#: a vacancy must be longer than this many months
MIN_VACANCY_MONTHS = 3
#: the share of the discounted fees billed for a vacant month
VACANCY_RATE = Decimal("0.5")
FULL_RATE = Decimal("1")
#: more than this much use in a month counts as lived in (exactly this much is still vacant)
WATER_LIMIT_T = Decimal("1")
POWER_LIMIT_KWH = Decimal("5")
#: the front desk is reminded this long before the last vacant day
REMINDER_BEFORE = timedelta(days=7)
#: the fee kinds (FeeItem.kind) billed at VACANCY_RATE - the property management fee and the shared
#: (apportioned) water and electricity; every other kind in full. Named once, in the fees core.
VACANCY_DISCOUNTED_KINDS = VACANCY_KINDS
#: meter readings have at most this many decimal places (0.001 t = 1 litre)
READING_PLACES = 3
MAX_READING = Decimal("9999999")

STATES = [("new", _l("New")), ("applied", _l("Applied")), ("reviewed", _l("Opinion signed")),
          ("approved", _l("Signed off, to the cashier")), ("received", _l("Vacant (received by cashier)")),
          ("told", _l("Owner told of the end")),
          ("rejected", _l("Rejected")), ("withdrawn", _l("Withdrawn"))]
#: the states in which an approved vacancy discounts its months
COVERING_STATES = ("approved", "received", "told")
#: the states whose period no other vacancy of the household may overlap
BLOCKING_STATES = ("new", "applied", "reviewed", "approved", "received", "told")

TARGET_KINDS = [("unsold", _l("Unsold unit (developer)")), ("vacancy", _l("Vacant unit (owner's application)")),
                ("basement", _l("Basement"))]
STORM_CAUSES = [("rainstorm", _l("Rainstorm")), ("gale", _l("Gale")), ("both", _l("Rainstorm and gale"))]
FINDING_CATEGORIES = [("plumbing", _l("Water and drains")), ("electrical", _l("Electrical")),
                      ("doors_windows", _l("Doors and windows")), ("walls", _l("Walls, ceilings and floors")),
                      ("other", _l("Other"))]


# --- months ---

def month_bounds(period: str) -> tuple[date, date]:
    """"2026-12" -> (2026-12-01, 2026-12-31); anything else is refused (the fees core's reading)."""
    return parse_period(period)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the month's last day where there is none."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


def shortest_end(starts_on: date) -> date:
    """The earliest last vacant day of a vacancy starting on `starts_on`: it must be longer than
    MIN_VACANCY_MONTHS, so 2027-01-01 .. 2027-03-31 (exactly three months) is refused and
    2027-01-01 .. 2027-04-01 accepted."""
    return add_months(starts_on, MIN_VACANCY_MONTHS)


def community_today(community) -> date:
    return local_date(clock.now(), zone_of(community))


def _looks_after(user, building_no) -> bool:
    return bool(building_no) and building_no in (getattr(user, "buildings", None) or [])


def _only_housekeeper(user, area, right) -> bool:
    """Does `user` hold `right` on `area` only as a housekeeper (so only in their own buildings)?"""
    from app.permissions import PERMISSIONS
    granting = [role for role in getattr(user, "roles", None) or []
                if right in PERMISSIONS.get(area, {}).get(role, set())]
    return bool(granting) and all(role == "housekeeper" for role in granting)


def check_building(user, area, right, building_no):
    if _only_housekeeper(user, area, right) and not _looks_after(user, building_no):
        raise PermissionDenied(gettext("Building %(no)s is not one of the buildings you look after.",
                                       no=building_no or "—"))


def _reading(value, field: str) -> Decimal:
    number = exact_decimal(value)
    if number is None:
        raise DomainError(gettext("Enter the meter reading as a number."), field=field)
    if number < 0:
        raise DomainError(gettext("A meter reading cannot be negative."), field=field)
    if number > MAX_READING or -number.as_tuple().exponent > READING_PLACES:
        raise DomainError(gettext("A meter reading has at most %(n)d decimal places and 7 digits.",
                                  n=READING_PLACES), field=field)
    return number


class MeterReading(EmbeddedDocument):
    """One reading of the unit's water and electricity meters."""
    read_on = DateField(required=True, verbose_name=_l("Meters read on"))
    water = Decimal128Field(required=True, verbose_name=_l("Water meter (t)"))
    electricity = Decimal128Field(required=True, verbose_name=_l("Electricity meter (kWh)"))
    water_used = Decimal128Field(verbose_name=_l("Water used (t)"))
    electricity_used = Decimal128Field(verbose_name=_l("Electricity used (kWh)"))
    read_by = StringField(max_length=60, verbose_name=_l("Read by"))
    recorded_at = DateTimeField(verbose_name=_l("Recorded on"))

    @property
    def period(self) -> str:
        return period_of(self.read_on)


def month_use(readings) -> dict[str, tuple[Decimal, Decimal]]:
    """{"2026-12": (water t, electricity kWh)}: what the readings taken in each month add."""
    use: dict[str, tuple[Decimal, Decimal]] = {}
    for reading in readings:
        if reading.water_used is None:
            continue                    # the base reading
        water, power = use.get(reading.period, (Decimal(0), Decimal(0)))
        use[reading.period] = (water + Decimal(str(reading.water_used)),
                               power + Decimal(str(reading.electricity_used)))
    return use


def lived_in(water: Decimal, power: Decimal) -> bool:
    """More than 1 t of water or more than 5 kWh in a month: occupied (the limits themselves not)."""
    return water > WATER_LIMIT_T or power > POWER_LIMIT_KWH


class Vacancy(CommunityOwned, Versioned, Workflowed):
    """A vacancy application (空置房申请表) and, once approved, the vacancy with its readings."""

    household = ReferenceField("Household", required=True, verbose_name=_l("Household"))
    room = ReferenceField("Room", verbose_name=_l("Room"))
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    building_no = StringField(max_length=10, verbose_name=_l("Building no."))
    household_name = StringField(max_length=60, verbose_name=_l("Household name"))
    owner_name = StringField(required=True, max_length=60, verbose_name=_l("Owner"))
    id_type = StringField(choices=ID_TYPES, default="id_card", verbose_name=_l("ID type"))
    id_number = StringField(max_length=30, verbose_name=_l("ID number"))
    id_checked_by = StringField(max_length=60, verbose_name=_l("Original ID checked by"))
    id_checked_at = DateTimeField(verbose_name=_l("ID checked on"))
    starts_on = DateField(required=True, verbose_name=_l("Vacant from"))
    ends_on = DateField(required=True, verbose_name=_l("Last vacant day"))
    reason = StringField(required=True, max_length=500, verbose_name=_l("Reason"))
    state = StringField(choices=STATES, default="new", verbose_name=_l("State"))
    applied_at = DateTimeField(verbose_name=_l("Applied on"))
    opinion = StringField(max_length=500, verbose_name=_l("Customer service opinion"))
    reviewed_by = StringField(max_length=60, verbose_name=_l("Opinion signed by"))
    reviewed_at = DateTimeField(verbose_name=_l("Opinion signed on"))
    decided_by = StringField(max_length=60, verbose_name=_l("Decided by"))
    decided_at = DateTimeField(verbose_name=_l("Decided on"))
    decision_note = StringField(max_length=500, verbose_name=_l("Decision note"))
    received_by = StringField(max_length=60, verbose_name=_l("Received by cashier"))
    received_at = DateTimeField(verbose_name=_l("Received by cashier on"))
    work_order = ReferenceField("Repair", verbose_name=_l("Shut-off work order"))
    reminder_due_at = DateTimeField(verbose_name=_l("Owner to be told by"))
    reminded_at = DateTimeField(verbose_name=_l("Owner told on"))
    reminded_by = StringField(max_length=60, verbose_name=_l("Owner told by"))
    remind_note = StringField(max_length=500, verbose_name=_l("What the owner said"))
    withdraw_reason = StringField(max_length=500, verbose_name=_l("Reason for withdrawing"))
    readings = EmbeddedDocumentListField(MeterReading, verbose_name=_l("Meter readings"))
    occupied_months = ListField(StringField(max_length=7), verbose_name=_l("Months billed in full (used)"))
    flagged = BooleanField(default=False, verbose_name=_l("Flagged: meters show use"))

    meta = {"collection": "vacancies",
            "indexes": [("community", "state", "starts_on"), ("household", "state"), ("community", "-applied_at"),
                        ("community", "building_no"), ("community", "flagged"), ("community", "room_code"),
                        ("community", "owner_name"), ("community", "ends_on"), "room"],
            "ordering": ["-applied_at"]}

    def __str__(self):
        return f"{self.room_code or ''} {self.starts_on or ''}–{self.ends_on or ''}".strip()

    # --- what others ask ---
    def covers_month(self, period: str) -> bool:
        """Does this approved vacancy cover every day of the month?"""
        first, last = month_bounds(period)
        return self.state in COVERING_STATES and self.starts_on <= first and self.ends_on >= last

    def factor(self, period: str) -> Decimal:
        if self.covers_month(period) and period not in (self.occupied_months or []):
            return VACANCY_RATE
        return FULL_RATE

    def is_current(self, on: date | None = None) -> bool:
        on = on or community_today(self.community)
        return self.state in COVERING_STATES and self.starts_on <= on <= self.ends_on

    # --- who may take a step on this record ---
    def authorize_step(self, step, user):
        """A housekeeper works on the vacancies of the buildings they look after."""
        if self.granted_only_as(step, user, "housekeeper") and not _looks_after(user, self.building_no):
            raise PermissionDenied(gettext("Building %(no)s is not one of the buildings you look after.",
                                           no=self.building_no or "—"))

    # --- applying ---
    @classmethod
    def apply(cls, user, household, starts_on, ends_on, reason, owner_name, id_number, id_type="id_card"):
        """A new application, checked and stored as "applied" (with its audit entry).

        The original ID card is checked by `user` at the counter: they are recorded as the checker.
        """
        authorize_area(AREA, "action:apply", user, household.community, label=_l("Apply for vacancy"))
        check_building(user, AREA, "action:apply", household.building_no)
        if household.status != "current":
            raise DomainError(gettext("Only a household living here now applies for a vacancy."), field="room")
        owner_name, reason = (owner_name or "").strip(), (reason or "").strip()
        id_number = (id_number or "").strip().upper()
        if not owner_name:
            raise DomainError(gettext("Write the name of the owner who applies."), field="owner_name")
        if not id_number:
            raise DomainError(gettext("Check the owner's original ID card and write its number."),
                              field="id_number")
        problem = id_document_problem(id_type, id_number)
        if problem:
            raise DomainError(problem, field="id_number")
        if not reason:
            raise DomainError(gettext("Write why the unit stays vacant."), field="reason")
        cls.check_period(household, starts_on, ends_on)
        now = clock.now()
        # the household's n-th application has one id: a double click (or two clerks at once) saves
        # it once, and the second is told so instead of registering an overlapping copy
        number = cls.objects(household=household).count()
        record = cls(id=_key(f"vacancy:{household.pk}:{number}"), version=1,
                     community=household.community, household=household, room=household.room,
                     room_code=household.room_code, building_no=household.building_no,
                     household_name=household.name, owner_name=owner_name, id_type=id_type or "id_card",
                     id_number=id_number, id_checked_by=getattr(user, "display_name", None) or user.username,
                     id_checked_at=now, starts_on=starts_on, ends_on=ends_on, reason=reason, state="new",
                     applied_at=now,
                     reminder_due_at=end_of_local_day(ends_on - REMINDER_BEFORE, zone_of(household.community)))
        try:
            record.save(force_insert=True)
        except NotUniqueError:
            raise DomainError(gettext("This application has just been registered (a second click?); it was "
                                      "saved once.")) from None
        audit.record("create", record, audit.diff({}, audit.snapshot(record)), actor=user)
        return record.transition("apply", user, checked=False)

    @classmethod
    def check_period(cls, household, starts_on, ends_on, exclude=None):
        """The period's own rules: order, length over three months, no past month, no overlap."""
        if starts_on is None:
            raise DomainError(gettext("Enter the first vacant day."), field="starts_on")
        if ends_on is None:
            raise DomainError(gettext("Enter the last vacant day."), field="ends_on")
        if ends_on < starts_on:
            raise DomainError(gettext("The last vacant day cannot be before the first."), field="ends_on")
        if ends_on < shortest_end(starts_on):
            raise DomainError(gettext(
                "A vacancy must be longer than %(n)d months: from %(start)s the last vacant day is "
                "%(end)s at the earliest.", n=MIN_VACANCY_MONTHS, start=starts_on.isoformat(),
                end=shortest_end(starts_on).isoformat()), field="ends_on")
        today = community_today(household.community)
        if starts_on < today.replace(day=1):
            raise DomainError(gettext("A vacancy cannot start in a past month: its bills are already made."),
                              field="starts_on")
        clash = cls.objects(household=household, state__in=list(BLOCKING_STATES), starts_on__lte=ends_on,
                            ends_on__gte=starts_on, pk__ne=exclude).first()
        if clash is not None:
            raise DomainError(gettext(
                "This household already has a vacancy from %(start)s to %(end)s (%(state)s); periods "
                "may not overlap.", start=clash.starts_on.isoformat(), end=clash.ends_on.isoformat(),
                state=clash.state_label), field="starts_on")

    # --- steps (declared below; the engine checks role, community, building and state) ---
    def apply_step(self, user):
        return self.transition("apply", user)

    def review(self, user, opinion: str):
        self.check("review", user)
        opinion = (opinion or "").strip()
        if not opinion:
            raise DomainError(gettext("Write the customer service opinion."), field="opinion")
        return self.transition("review", user, checked=False, values={
            "opinion": opinion[:500], "reviewed_by": _name(user), "reviewed_at": clock.now()})

    def approve(self, user, note: str = ""):
        """The service-centre director signs; the shut-off work order opens with the same write."""
        self.check("approve", user)
        order = self._new_work_order(user)
        try:
            self.transition("approve", user, checked=False, values={
                "decided_by": _name(user), "decided_at": clock.now(),
                "decision_note": (note or "").strip()[:500] or None, "work_order": order})
        except DomainError:
            order.delete()          # a double click: the other request approved and opened its order
            raise
        audit.record("create", order, audit.diff({}, audit.snapshot(order)), actor=user,
                     note=gettext("Opened by vacancy %(record)s", record=str(self)))
        return self

    def reject(self, user, note: str):
        self.check("reject", user)
        if not (note or "").strip():
            raise DomainError(gettext("Say why the application is rejected."), field="note")
        return self.transition("reject", user, checked=False, values={
            "decided_by": _name(user), "decided_at": clock.now(), "decision_note": note.strip()[:500]})

    def receive(self, user):
        """The cashier receives the signed application (from now on bills use the 50 %)."""
        self.check("receive", user)
        return self.transition("receive", user, checked=False, values={
            "received_by": _name(user), "received_at": clock.now()})

    def remind(self, user, note: str = ""):
        """The owner was told that the vacancy ends (re-apply, or billed in full again)."""
        self.check("remind", user)
        return self.transition("remind", user, checked=False, values={
            "reminded_at": clock.now(), "reminded_by": _name(user), "remind_note": (note or "").strip()[:500] or None})

    def withdraw(self, user, reason: str):
        self.check("withdraw", user)
        if not (reason or "").strip():
            raise DomainError(gettext("Say why the application is withdrawn."), field="reason")
        return self.transition("withdraw", user, checked=False, values={"withdraw_reason": reason.strip()[:500]})

    def read_meters(self, user, read_on, water, electricity):
        """A monthly reading; a month with more than 1 t / 5 kWh of use is billed in full and flags
        the vacancy. Readings come in order and never go down; none is dated in the future."""
        self.check("read_meters", user)
        reading = self._checked_reading(read_on, water, electricity)
        reading.read_by, reading.recorded_at = _name(user), clock.now()
        readings = list(self.readings or []) + [reading]
        occupied = sorted(period for period, (w, p) in month_use(readings).items() if lived_in(w, p))
        return self.transition("read_meters", user, checked=False, values={
            "readings": readings, "occupied_months": occupied, "flagged": bool(occupied)},
            note=gettext("Water %(w)s t, electricity %(e)s kWh", w=reading.water, e=reading.electricity))

    def _checked_reading(self, read_on, water, electricity) -> MeterReading:
        if read_on is None:
            raise DomainError(gettext("Enter the day the meters were read."), field="read_on")
        if read_on > community_today(self.community):
            raise DomainError(gettext("A reading cannot be dated in the future."), field="read_on")
        water, electricity = _reading(water, "water"), _reading(electricity, "electricity")
        last = self.readings[-1] if self.readings else None
        if last is None:
            return MeterReading(read_on=read_on, water=water, electricity=electricity)
        if read_on < last.read_on:
            raise DomainError(gettext("Readings are entered in order: the last one was read on %(day)s.",
                                      day=last.read_on.isoformat()), field="read_on")
        for name, value, before in (("water", water, last.water), ("electricity", electricity, last.electricity)):
            if value < Decimal(str(before)):
                raise DomainError(gettext("The meter reads less than at the previous reading (%(value)s on "
                                          "%(day)s); check the number.", value=before,
                                          day=last.read_on.isoformat()), field=name)
        return MeterReading(read_on=read_on, water=water, electricity=electricity,
                            water_used=water - Decimal(str(last.water)),
                            electricity_used=electricity - Decimal(str(last.electricity)))

    def _new_work_order(self, user):
        """The work order to shut water and power and read the meters (seed 003 5.2.4)."""
        from documents.repairs import Repair
        with force_locale("zh_Hans_CN"):     # the order is printed for the technicians in Chinese
            description = gettext(
                "Vacant unit %(from)s to %(to)s: shut off water and power, close the valves and read the "
                "water and electricity meters.", **{"from": self.starts_on.isoformat(), "to": self.ends_on.isoformat()})
        order = Repair(community=self.community, room=self.room, location="room", source="walk_in",
                       category="plumbing", description=description, urgency="ordinary",
                       resident_name=self.owner_name, registered_by=user)
        order.save_versioned(None)
        return order


def _key(text: str) -> ObjectId:
    """A record id made from what makes the record unique: saving it twice is refused by the store."""
    return ObjectId(hashlib.sha1(text.encode()).digest()[:12])


def ref_id(raw):
    """The id a reference holds, loaded or not (a record, a DBRef or an ObjectId)."""
    return getattr(raw, "pk", None) or getattr(raw, "id", None) or raw


def _name(user) -> str:
    return (getattr(user, "display_name", None) or getattr(user, "username", "") or "")[:60]


REMINDER_CLOCK, = declare_clocks(Vacancy, [
    ClockKind("vacancy_end", _l("Vacancy ends: tell the owner"), ("approved", "received"), "reminder_due_at",
              done_field="reminded_at", role="clerk"),
], area=AREA, endpoint="vacancies.details_view")

declare(Vacancy, Workflow(AREA, [
    Step("apply", ("new",), "applied", label=_l("Apply for vacancy"), page=False, method="apply_step"),
    Step("review", ("applied",), "reviewed", label=_l("Sign opinion"),
         needs=_l("Only a new application gets the customer service opinion.")),
    Step("approve", ("reviewed",), "approved", label=_l("Sign off vacancy"),
         needs=_l("Customer service signs its opinion first.")),
    Step("reject", ("applied", "reviewed"), "rejected", label=_l("Reject vacancy"),
         needs=_l("Only an application not yet decided can be rejected.")),
    Step("receive", ("approved",), "received", label=_l("Received by cashier"),
         needs=_l("The director signs the application off first.")),
    Step("remind", ("approved", "received"), "told", label=_l("Owner told of the end"),
         needs=_l("Only an approved vacancy ends.")),
    Step("withdraw", ("applied", "reviewed"), "withdrawn", label=_l("Withdraw application"),
         needs=_l("Only an application not yet decided can be withdrawn.")),
    Step("read_meters", COVERING_STATES, None, label=_l("Record meter reading"),
         needs=_l("Meters are read once the vacancy is approved.")),
]))


# --- the interface of the fees core ---

def billing_factor(household, period: str) -> Decimal:
    """The share of the month's VACANCY_DISCOUNTED_KINDS charges billed to `household` for `period`
    ("YYYY-MM"): Decimal("0.5") when an approved vacancy (signed off by the director: states
    approved, received, told) covers every day
    of that month and the meters showed no use in it (at most 1 t and 5 kWh), else Decimal("1").

    A month partly covered (the first or last month of a vacancy that does not start on the 1st or
    end on the month's last day) is billed in full: 50 % only for whole months. Why: the rule is a
    monthly one (fees are charged per month, and the 1 t / 5 kWh test is per month, which a part of
    a month cannot be held to), the factor stays exactly 0.5 or 1 (no fractions of days to round),
    and the application form tells the owner so - a vacancy from the 1st is discounted from that
    month. Move-in/move-out pro-rata is the fees core's own and multiplies with this factor.
    A month after the last vacant day is billed in full again unless a new vacancy covers it.
    """
    first, last = month_bounds(period)
    vacancy = Vacancy.objects(household=getattr(household, "pk", household), state__in=list(COVERING_STATES),
                              starts_on__lte=first, ends_on__gte=last).first()
    return vacancy.factor(period) if vacancy is not None else FULL_RATE


register_billing_factor(billing_factor)


def billing_factors(community, period: str) -> dict:
    """{household id: Decimal("0.5")} of the community's households discounted in `period` (one
    query, for generating a month's bills); every household not in it has FULL_RATE."""
    first, last = month_bounds(period)
    factors = {}
    query = Vacancy.objects(community=getattr(community, "pk", community), state__in=list(COVERING_STATES),
                            starts_on__lte=first, ends_on__gte=last).only("household", "state", "starts_on",
                                                                          "ends_on", "occupied_months")
    for vacancy in query.no_dereference():
        if vacancy.factor(period) != FULL_RATE:
            factors[ref_id(vacancy._data.get("household"))] = VACANCY_RATE
    return factors


def factor_for_kind(household, period: str, kind: str) -> Decimal:
    """The factor for one fee kind: billing_factor for the discounted kinds, else FULL_RATE."""
    return billing_factor(household, period) if kind in VACANCY_DISCOUNTED_KINDS else FULL_RATE


# --- inspections of vacant units and basements ---

@dataclass(frozen=True)
class Target:
    """A unit due for inspection: a room, why it is inspected, and where it is."""
    room_id: ObjectId
    room_code: str
    building_no: str
    kind: str
    sort_key: str = ""

    @property
    def kind_label(self) -> str:
        return str(dict(TARGET_KINDS).get(self.kind, self.kind))


def inspection_targets(community, period: str, buildings=None) -> list[Target]:
    """Every vacant unit and basement of the community in the month, in building order: unsold
    rooms, rooms with an approved vacancy on any day of the month, rooms on negative floors
    (one room is listed once: a basement first, then a vacancy)."""
    community_id = getattr(community, "pk", community)
    return targets_by_month([community_id], [period], buildings)[community_id][period]


def targets_by_month(communities, periods, buildings=None) -> dict:
    """{community id: {period: [Target]}}: `inspection_targets` of several communities and months in
    four queries whatever their number (the basements, the unsold rooms, the approved vacancies over
    the whole span and their rooms), each month then taking the vacancies on any of its days."""
    ids = [getattr(c, "pk", c) for c in communities]
    bounds = {period: month_bounds(period) for period in periods}
    basements, unsold, vacancies, rooms = _target_rooms(ids, bounds)
    out = {cid: {} for cid in ids}
    for period, (first, last) in bounds.items():
        vacant = [rooms[v["room"]] for v in vacancies if v.get("room") in rooms
                  and _day(v["starts_on"]) <= last and _day(v["ends_on"]) >= first]
        for cid, targets in _month_targets(ids, basements, vacant, unsold).items():
            ordered = sorted(targets.values(), key=lambda t: t.sort_key)
            out[cid][period] = [t for t in ordered if buildings is None or t.building_no in buildings]
    return out


def _target_rooms(ids, bounds):
    """The raw rows `targets_by_month` works from: basements, unsold rooms, the covering vacancies of
    the whole span, and those vacancies' rooms by id."""
    from documents.places import Room
    fields = ("community", "code", "building_no", "sort_key", "floor", "status")
    basements = list(Room.objects(community__in=ids, floor__lt=0).only(*fields).as_pymongo())
    vacancies = list(Vacancy.objects(
        community__in=ids, state__in=list(COVERING_STATES), starts_on__lte=max(last for _f, last in bounds.values()),
        ends_on__gte=min(first for first, _l in bounds.values())).only("room", "starts_on", "ends_on").as_pymongo()) \
        if bounds else []
    room_ids = list({v["room"] for v in vacancies if v.get("room")})
    rooms = {room["_id"]: room for room in Room.objects(pk__in=room_ids).only(*fields).as_pymongo()} if room_ids else {}
    unsold = list(Room.objects(community__in=ids, status="unsold").only(*fields).as_pymongo())
    return basements, unsold, vacancies, rooms


def _month_targets(ids, basements, vacant, unsold) -> dict:
    """{community id: {room id: Target}} of one month: a room is listed once, a basement first, then a
    vacancy, then an unsold room."""
    found = {cid: {} for cid in ids}
    for kind, listed in (("basement", basements), ("vacancy", vacant), ("unsold", unsold)):
        for room in listed:
            in_community = found.get(room.get("community"))
            if in_community is not None and room["_id"] not in in_community:
                in_community[room["_id"]] = Target(room["_id"], room.get("code") or "",
                                                   room.get("building_no") or "", kind, room.get("sort_key") or "")
    return found


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


class InspectionTarget(EmbeddedDocument):
    """A unit a storm round lists as due (kept as it was when the round started)."""
    room = ReferenceField("Room")
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    building_no = StringField(max_length=10, verbose_name=_l("Building no."))
    kind = StringField(choices=TARGET_KINDS, verbose_name=_l("Inspected as"))
    sort_key = StringField()


class StormRound(CommunityOwned):
    """A full inspection of every vacant unit and basement after a rainstorm or gale (5.1.3)."""
    cause = StringField(choices=STORM_CAUSES, required=True, verbose_name=_l("After"))
    started_on = DateField(verbose_name=_l("Day"))
    started_at = DateTimeField(verbose_name=_l("Started on"))
    started_by = StringField(max_length=60, verbose_name=_l("Started by"))
    note = StringField(max_length=500, verbose_name=_l("Note"))
    targets = EmbeddedDocumentListField(InspectionTarget, verbose_name=_l("Units due"))

    meta = {"collection": "vacant_storm_rounds", "indexes": [("community", "-started_at")],
            "ordering": ["-started_at"]}

    def __str__(self):
        return f"{self.started_on or ''} {dict(STORM_CAUSES).get(self.cause, '')}".strip()

    def target_list(self) -> list[Target]:
        return [Target(ref_id(t._data.get("room")), t.room_code, t.building_no, t.kind, t.sort_key or "")
                for t in self.targets]

    @classmethod
    def start(cls, user, community, cause: str, note: str = "") -> "StormRound":
        """One step: every vacant unit and basement of this moment becomes due. A second start for
        the same cause on the same day (a double click) finds the first round and changes nothing."""
        authorize_area(INSPECTION_AREA, "action:storm_round", user, community, label=_l("Start storm round"))
        if cause not in dict(STORM_CAUSES):
            raise DomainError(gettext("Choose the weather that calls for the round."), field="cause")
        today = community_today(community)
        targets = [InspectionTarget(room=t.room_id, room_code=t.room_code, building_no=t.building_no,
                                    kind=t.kind, sort_key=t.sort_key)
                   for t in inspection_targets(community, period_of(today))]
        record = cls(id=_key(f"storm:{community.pk}:{today.isoformat()}:{cause}"), community=community, cause=cause, started_on=today,
                     started_at=clock.now(), started_by=_name(user), note=(note or "").strip()[:500] or None,
                     targets=targets)
        try:
            record.save(force_insert=True)
        except NotUniqueError:
            return cls.objects(pk=record.pk).first()
        audit.record("start_storm_round", record, note=gettext("%(n)d units due", n=len(targets)), actor=user)
        return record


class VacantInspection(CommunityOwned):
    """One inspection of a vacant unit or basement (《空置房检查记录表》 / 《地下室检查记录表》)."""
    room = ReferenceField("Room", required=True, verbose_name=_l("Room"))
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    building_no = StringField(max_length=10, verbose_name=_l("Building no."))
    kind = StringField(choices=TARGET_KINDS, verbose_name=_l("Inspected as"))
    month = StringField(max_length=7, verbose_name=_l("Month"))
    inspected_on = DateField(required=True, verbose_name=_l("Inspected on"))
    inspected_by = ReferenceField("Staff", verbose_name=_l("Inspected by"))
    inspector_name = StringField(max_length=60, verbose_name=_l("Inspected by"))
    facilities_ok = BooleanField(default=True, verbose_name=_l("Facilities in order"))
    hygiene_ok = BooleanField(default=True, verbose_name=_l("Clean"))
    quality_ok = BooleanField(default=True, verbose_name=_l("No cracks or damage"))
    no_leaks = BooleanField(default=True, verbose_name=_l("No leaks, valves closed"))
    findings = StringField(max_length=1000, verbose_name=_l("Findings"))
    work_order = ReferenceField("Repair", verbose_name=_l("Work order"))
    storm_round = ReferenceField(StormRound, verbose_name=_l("Storm round"))
    recorded_at = DateTimeField(verbose_name=_l("Recorded on"))

    meta = {"collection": "vacant_inspections",
            "indexes": [("community", "month"), ("community", "-inspected_on"), "storm_round", "room",
                        ("community", "building_no"), ("community", "room_code"), ("community", "kind")],
            "ordering": ["-inspected_on"]}

    def __str__(self):
        return f"{self.room_code or ''} {self.inspected_on or ''}".strip()

    @property
    def all_ok(self) -> bool:
        return bool(self.facilities_ok and self.hygiene_ok and self.quality_ok and self.no_leaks)


CHECKS = ("facilities_ok", "hygiene_ok", "quality_ok", "no_leaks")


def record_inspection(user, room, inspected_on, findings: str = "", open_work_order: bool = False,
                      category: str = "other", storm_round=None, **checks) -> VacantInspection:
    """An inspection of a room that is due (a vacant unit or basement this month, or in the storm
    round); a check that fails needs a finding, and a finding may open a work order at once."""
    authorize_area(INSPECTION_AREA, "action:inspect", user, room.community, label=_l("Record inspection"))
    check_building(user, INSPECTION_AREA, "action:inspect", room.building_no)
    if inspected_on is None:
        raise DomainError(gettext("Enter the day of the inspection."), field="inspected_on")
    if inspected_on > community_today(room.community):
        raise DomainError(gettext("An inspection cannot be dated in the future."), field="inspected_on")
    target = _due_target(room, inspected_on, storm_round)
    findings = (findings or "").strip()
    values = {name: bool(checks.get(name, True)) for name in CHECKS}
    if not all(values.values()) and not findings:
        raise DomainError(gettext("A check was not in order: write what was found."), field="findings")
    if open_work_order and not findings:
        raise DomainError(gettext("Write the finding the work order is for."), field="findings")
    # one inspection of a room per day (and round): a second click saves nothing more
    inspection = VacantInspection(
        id=_key(f"inspection:{room.pk}:{inspected_on.isoformat()}:{getattr(storm_round, 'pk', '')}"),
        community=room.community, room=room, room_code=room.code, building_no=room.building_no, kind=target.kind,
        month=period_of(inspected_on), inspected_on=inspected_on, inspected_by=user, inspector_name=_name(user),
        findings=findings[:1000] or None, storm_round=storm_round, recorded_at=clock.now(), **values)
    try:
        inspection.save(force_insert=True)
    except NotUniqueError:
        raise DomainError(gettext("The inspection of %(room)s on %(day)s is already recorded.", room=room.code,
                                  day=inspected_on.isoformat()), field="inspected_on") from None
    audit.record("create", inspection, audit.diff({}, audit.snapshot(inspection)), actor=user)
    if open_work_order:
        _open_finding_order(inspection, user, category)
    return inspection


def _due_target(room, inspected_on, storm_round) -> Target:
    if storm_round is not None:
        if storm_round.community.pk != room.community.pk:
            raise PermissionDenied(gettext("You may only work on records of your own communities."))
        if inspected_on < storm_round.started_on:
            raise DomainError(gettext("A storm round's inspection cannot be dated before the round started "
                                      "(%(day)s).", day=storm_round.started_on.isoformat()), field="inspected_on")
        target = next((t for t in storm_round.target_list() if t.room_id == room.pk), None)
    else:
        kind = target_kind(room, period_of(inspected_on))
        target = Target(room.pk, room.code, room.building_no, kind, room.sort_key or "") if kind else None
    if target is None:
        raise DomainError(gettext("%(room)s is not a vacant unit or basement due for inspection.",
                                  room=room.code), field="room")
    return target


def target_kind(room, period: str) -> str | None:
    """Why `room` is due for inspection in the month (the same order as `inspection_targets`), or None."""
    if (room.floor or 0) < 0:
        return "basement"
    first, last = month_bounds(period)
    if Vacancy.objects(room=room.pk, state__in=list(COVERING_STATES), starts_on__lte=last,
                       ends_on__gte=first).first() is not None:
        return "vacancy"
    return "unsold" if room.status == "unsold" else None


def _open_finding_order(inspection, user, category):
    from documents.repairs import Repair
    category = category if category in dict(FINDING_CATEGORIES) else "other"
    order = Repair(community=inspection.community, room=inspection.room, location="room", source="patrol",
                   category=category, description=inspection.findings, urgency="ordinary",
                   registered_by=user)
    order.save_versioned(None)
    VacantInspection.objects(pk=inspection.pk, work_order=None).update_one(set__work_order=order)
    inspection.work_order = order
    audit.record("create", order, audit.diff({}, audit.snapshot(order)), actor=user,
                 note=gettext("Opened by the inspection of %(room)s", room=inspection.room_code))
    return order


@dataclass
class Coverage:
    """Which of the units due were inspected: the share, and the missing ones by building."""
    targets: list
    inspected: set
    housekeepers: dict = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.targets)

    @property
    def done(self) -> int:
        return sum(1 for t in self.targets if t.room_id in self.inspected)

    @property
    def percent(self) -> int:
        """Whole per cent, rounded down (99.9 % is not 100 %); nothing due counts as 100 %."""
        return 100 if not self.targets else self.done * 100 // self.total

    @property
    def missing(self) -> list[Target]:
        return [t for t in self.targets if t.room_id not in self.inspected]

    def missing_by_building(self) -> list[tuple[str, list[str], list[Target]]]:
        """(building no., its housekeepers' names, missing units) in building order."""
        groups: dict[str, list[Target]] = {}
        for target in self.missing:
            groups.setdefault(target.building_no, []).append(target)
        return [(no, self.housekeepers.get(no, []), units)
                for no, units in sorted(groups.items(), key=lambda item: item[0].zfill(6))]


def housekeepers_by_building(community) -> dict[str, list[str]]:
    """Building no. -> the names of the housekeepers who look after it (Staff.buildings)."""
    from documents.staff import Staff
    names: dict[str, list[str]] = {}
    for staff in Staff.objects(active=True, roles="housekeeper", communities=community.pk).only(
            "display_name", "buildings"):
        for number in staff.buildings or []:
            names.setdefault(number, []).append(staff.display_name)
    return names


def month_coverage(community, period: str, buildings=None) -> Coverage:
    targets = inspection_targets(community, period, buildings)
    inspected = _inspected_rooms(VacantInspection.objects(community=community.pk, month=period)) \
        if targets else set()
    return Coverage(targets, inspected, housekeepers_by_building(community))


def coverage_by_month(communities, periods) -> dict:
    """{community id: {period: Coverage}} of several communities and months (`month_coverage` without
    the housekeepers' names) in five queries whatever their number."""
    ids = [getattr(c, "pk", c) for c in communities]
    targets = targets_by_month(ids, periods)
    inspected = defaultdict(set)
    for row in VacantInspection.objects(community__in=ids, month__in=list(periods)).only(
            "community", "month", "room").as_pymongo():
        inspected[row.get("community"), row.get("month")].add(row.get("room"))
    return {cid: {period: Coverage(targets[cid][period], inspected[cid, period]) for period in periods}
            for cid in ids}


def round_coverage(storm_round, buildings=None) -> Coverage:
    targets = storm_round.target_list()
    if buildings is not None:
        targets = [t for t in targets if t.building_no in buildings]
    inspected = _inspected_rooms(VacantInspection.objects(storm_round=storm_round.pk))
    return Coverage(targets, inspected, housekeepers_by_building(storm_round.community))


def _inspected_rooms(query) -> set:
    return {row.get("room") for row in query.only("room").as_pymongo()}


def inspection_buildings(user):
    """A housekeeper (not also a manager or supervisor) sees the buildings they look after only."""
    own_only = user.has_role("housekeeper") and not user.has_role("manager", "supervisor", "clerk")
    return list(user.buildings or []) if own_only else None


audit.register_action_labels({"start_storm_round": _l("Storm round started")}, area=INSPECTION_AREA,
                             collections=["vacant_storm_rounds", "vacant_inspections"])


@timeline.register
def _vacancy_events(household):
    """Every step of the household's vacancy applications: applied, signed, readings, reminders."""
    items = []
    for entry in audit.AuditEntry.objects(collection="vacancies", household=household).order_by("-at").limit(100):
        items.append(timeline.TimelineItem(
            at=entry.at, kind=str(_l("Vacancy")), title=audit.action_label(entry),
            actor=entry.actor_name or "", detail=" ".join(x for x in (entry.record_label, entry.note) if x),
            endpoint="vacancies.details_view", url_args={"id": entry.record_id}))
    return items


__all__ = ["Vacancy", "VacantInspection", "StormRound", "billing_factor", "billing_factors", "factor_for_kind",
           "VACANCY_DISCOUNTED_KINDS", "VACANCY_RATE", "FULL_RATE", "WATER_LIMIT_T", "POWER_LIMIT_KWH",
           "MIN_VACANCY_MONTHS", "REMINDER_BEFORE", "record_inspection", "month_coverage", "round_coverage",
           "coverage_by_month",
           "inspection_targets"]

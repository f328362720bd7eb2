"""Repair work orders (报修 / 维修单 / 派工单) and the community's first-rain days.

reported -> dispatched -> arrived (late if over 15 min after the appointment)
  [-> review -> arrived again (back on site; late if over 30 min)] -> completed (materials, labour)
  -> signed_off (the resident signs on screen or on the paper order and rates; a public area is
  confirmed by the housekeeper of its building) -> return visit -> closed (or closed by a supervisor
  with a recorded reason).
Return visit due: urgent 24 h after completion, ordinary 7 days, leak on the first rain after it.
"""
from datetime import timedelta
from decimal import Decimal

from flask_babel import force_locale, gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateField, DateTimeField, EmbeddedDocument,
                         EmbeddedDocumentListField, IntField, ReferenceField,
                         StringField, ValidationError)
from mongoengine.errors import NotUniqueError
from mongoengine.fields import Decimal128Field

from app import clock
from documents import audit, timeline
from documents.base import CommunityOwned, DomainError, PermissionDenied
from documents.files import GIF, JPEG, MB, PNG, WEBP, StoredFile, UploadedFile, UploadRule
from documents.money import ZERO, MoneyField, exact_decimal, to_money
from documents.agenda import ClockKind, Rung, declare_clocks
from documents.deadlines import end_of_local_day, local_date, zone_of
from documents.service_calendar import Span
from documents.services import (CLOCK_SKEW, ServiceRequest, closing_steps, not_before_text, to_the_minute,
                                validate_satisfaction)
from documents.validators import normalise_phone, validate_mobile
from documents.workflow import Step, Workflow, authorize_area, declare

SOURCES = [("phone", _l("Phone")), ("walk_in", _l("Walk-in")), ("patrol", _l("Patrol")),
           ("letter", _l("Letter"))]
LOCATIONS = [("room", _l("In a room")), ("public", _l("Public area"))]
#: the places of a building's public area (a public-area repair names its building and one of these)
PUBLIC_PLACES = [
    ("lobby", _l("Lobby")), ("stairwell", _l("Stairwell")), ("corridor", _l("Corridor")),
    ("lift", _l("Lift")), ("roof", _l("Roof")), ("basement", _l("Basement and garage")),
    ("outer_wall", _l("Outer walls")), ("plant_room", _l("Plant room")),
    ("surroundings", _l("Around the building")), ("other", _l("Other place")),
]
CATEGORIES = [
    ("plumbing", _l("Water and drains")), ("electrical", _l("Electrical")),
    ("doors_windows", _l("Doors and windows")), ("walls", _l("Walls, ceilings and floors")),
    ("appliances", _l("Fixtures and appliances")), ("gas", _l("Gas")),
    ("lift", _l("Lift")), ("access", _l("Access control and intercom")),
    ("public_facilities", _l("Public facilities")), ("other", _l("Other")),
]
URGENCIES = [("urgent", _l("Urgent")), ("leak", _l("Leak")), ("ordinary", _l("Ordinary"))]
STATES = [
    ("reported", _l("Reported")), ("dispatched", _l("Dispatched")), ("arrived", _l("On site")),
    ("review", _l("Technical review")), ("completed", _l("Completed")),
    ("signed_off", _l("Signed off")), ("closed", _l("Closed")), ("cancelled", _l("Cancelled")),
]
ARRIVAL_GRACE = timedelta(minutes=15)
REVIEW_RETURN = timedelta(minutes=30)
URGENT_VISIT = timedelta(hours=24)
ORDINARY_VISIT_DAYS = 7
#: the messages a form repeats so that every problem shows at once (the step still checks)
SIGNATURE_NEEDED = _l("The resident signs on the screen, or write the number of the paper work order "
                      "the resident signed.")
SATISFACTION_NEEDED = _l("Record the satisfaction rating (1–5).")


class MaterialLine(EmbeddedDocument):
    """One material used: shown to the resident, charged at the office."""
    name = StringField(required=True, max_length=60, verbose_name=_l("Material"))
    spec = StringField(max_length=60, verbose_name=_l("Specification"))
    model = StringField(max_length=60, verbose_name=_l("Model"))
    quantity = Decimal128Field(required=True, min_value=Decimal("0.001"), verbose_name=_l("Quantity"))
    unit_price = MoneyField(required=True, verbose_name=_l("Unit price"))

    @property
    def line_total(self) -> Decimal:
        return to_money(Decimal(self.quantity) * Decimal(self.unit_price))


class Repair(ServiceRequest):
    OPEN_STATES = ("reported", "dispatched", "arrived", "review", "completed", "signed_off")
    VISIT_STATES = ("completed", "signed_off")
    TIMELINE = ("reported_at", "dispatched_at", "arrived_at", "review_started_at", "back_on_site_at",
                "completed_at", "signed_at")
    DERIVED_FIELDS = ("due_at", "arrival_due_at", "arrival_late", "review_due_at", "review_late",
                      "visit_due_at", "materials_total", "total", "labour")

    state = StringField(choices=STATES, default="reported", verbose_name=_l("State"))
    source = StringField(choices=SOURCES, default="phone", required=True, verbose_name=_l("Source"))
    location = StringField(choices=LOCATIONS, default="room", required=True, verbose_name=_l("Location"))
    public_building = ReferenceField("Building", verbose_name=_l("Building"))
    public_place = StringField(choices=PUBLIC_PLACES, verbose_name=_l("Place"))
    #: "3栋 大堂", derived from building and place (older records: the text typed then)
    public_area = StringField(max_length=100, verbose_name=_l("Public area"))
    category = StringField(choices=CATEGORIES, required=True, verbose_name=_l("Category"))
    description = StringField(required=True, max_length=1000, verbose_name=_l("Description"))
    urgency = StringField(choices=URGENCIES, default="ordinary", required=True, verbose_name=_l("Urgency"))
    charge_note = StringField(max_length=300, verbose_name=_l("Charges told to the resident"))
    appointment_at = DateTimeField(verbose_name=_l("Appointment"))
    reported_at = DateTimeField(verbose_name=_l("Reported on"))
    # dispatch and arrival
    technician = StringField(max_length=60, verbose_name=_l("Technician"))
    technician_phone = StringField(max_length=20, validation=validate_mobile,
                                   verbose_name=_l("Technician phone"))
    dispatched_at = DateTimeField(verbose_name=_l("Dispatched on"))
    arrival_due_at = DateTimeField(verbose_name=_l("Arrival due"))
    arrived_at = DateTimeField(verbose_name=_l("Arrived on"))
    arrival_late = BooleanField(default=False, verbose_name=_l("Late arrival"))
    # technical review
    review_note = StringField(max_length=500, verbose_name=_l("Technical review"))
    review_started_at = DateTimeField(verbose_name=_l("Review started"))
    review_due_at = DateTimeField(verbose_name=_l("Back on site due"))
    back_on_site_at = DateTimeField(verbose_name=_l("Back on site"))
    review_late = BooleanField(default=False, verbose_name=_l("Late back on site"))
    # completion
    work_done = StringField(max_length=1000, verbose_name=_l("Work done"))
    materials = EmbeddedDocumentListField(MaterialLine, verbose_name=_l("Materials"))
    labour = MoneyField(verbose_name=_l("Labour"))
    materials_total = MoneyField(verbose_name=_l("Materials total"))
    total = MoneyField(verbose_name=_l("Total charge"))
    completed_at = DateTimeField(verbose_name=_l("Completed on"))
    # sign-off
    signed_by = StringField(max_length=60, verbose_name=_l("Signed by"))
    signature = ReferenceField("RepairSignature", verbose_name=_l("Resident's signature"))
    paper_order_no = StringField(max_length=30, verbose_name=_l("Signed on paper work order no."))
    signed_by_staff = ReferenceField("Staff", verbose_name=_l("Confirmed by staff"))
    satisfaction = IntField(validation=validate_satisfaction, verbose_name=_l("Satisfaction"))
    sign_comment = StringField(max_length=500, verbose_name=_l("Resident's comment"))
    signed_at = DateTimeField(verbose_name=_l("Signed on"))
    visit_due_at = DateTimeField(verbose_name=_l("Return visit due"))
    cancel_reason = StringField(max_length=300, verbose_name=_l("Reason for cancelling"))
    origin_visit = ReferenceField("Visit", verbose_name=_l("Opened by visit"))

    meta = {
        "collection": "repairs",
        # every list filter, sort and search field is indexed (lists stay fast on real MongoDB)
        "indexes": [
            {"fields": ["community", "number"], "unique": True},
            ("community", "state", "due_at"), ("community", "-reported_at"), ("community", "building_no"),
            ("community", "urgency", "state"), ("community", "category"), ("community", "location"),
            ("community", "source"), ("community", "arrival_late"), ("community", "technician"),
            ("community", "-completed_at"), ("community", "appointment_at"), ("community", "room_code"),
            ("community", "resident_name"), ("community", "urgency", "visit_due_at"), "household", "room",
        ],
        "ordering": ["-reported_at"],
    }

    # --- derived values ---
    def clean(self):
        if not self.reported_at:
            self.reported_at = clock.now()
        if self.location == "room":
            if self.room is None:
                raise ValidationError(errors={"room": ValidationError(
                    gettext("Choose the room, or set the location to a public area."))})
            self.public_area = None
        else:
            self.room = None
            self.place_public_area()
        self.link_room()
        if self.location == "public" and self.public_building is not None:
            self.building_no = self.public_building.number
        self.arrival_due_at = ARRIVAL_CLOCK.deadline(self, self.appointment_at, Span.of(ARRIVAL_GRACE))
        # a late arrival stays recorded when the appointment is edited afterwards
        self.arrival_late = bool(self.arrival_late or (
            self.arrived_at and self.arrival_due_at and self.arrived_at > self.arrival_due_at))
        self.review_due_at = REVIEW_CLOCK.deadline(self, self.review_started_at, Span.of(REVIEW_RETURN))
        self.review_late = bool(self.review_late or (
            self.back_on_site_at and self.review_due_at and self.back_on_site_at > self.review_due_at))
        self.compute_totals()
        if self.completed_at and self.urgency != "leak":
            self.visit_due_at = self.visit_due_after(self.completed_at)
        elif self.urgency == "leak" and not self.completed_at:
            self.visit_due_at = None
        self.due_at = self.current_due()

    def place_public_area(self):
        """A public area is a building of the community and a place in it ("3栋 大堂"); a record
        made before places were chosen keeps the text typed then."""
        if self.public_building is None and not self.public_place and (self.public_area or "").strip():
            return
        if self.public_building is None:
            raise ValidationError(errors={"public_building": ValidationError(
                gettext("Choose the building of the public area."))})
        if self.community and self.public_building.community.pk != self.community.pk:
            raise ValidationError(errors={"public_building": ValidationError(
                gettext("The building belongs to another community."))})
        if self.public_place not in dict(PUBLIC_PLACES):
            raise ValidationError(errors={"public_place": ValidationError(
                gettext("Choose the place in the building, e.g. the lobby."))})
        with force_locale("zh_Hans_CN"):     # the stored text searched and printed (Chinese forms)
            self.public_area = f"{self.public_building.number}栋 {dict(PUBLIC_PLACES)[self.public_place]}"

    @property
    def area_text(self) -> str:
        """Where the work is, in the reader's language: the room, or the building and the place."""
        if self.location == "room":
            return self.room_code or ""
        if self.public_place and self.public_building is not None:
            return f"{self.public_building} · {dict(PUBLIC_PLACES)[self.public_place]}"
        return self.public_area or ""

    def compute_totals(self):
        if self.completed_at is None and not self.materials and self.labour is None:
            self.materials_total = self.total = None   # nothing charged before the work is done
            return
        self.materials_total = sum((m.line_total for m in self.materials or []), ZERO)
        self.labour = to_money(self.labour)
        self.total = self.materials_total + (self.labour or ZERO)

    def visit_due_after(self, completed_at):
        """Urgent: 24 h; ordinary: 7 local days; leak: None (due on the next first-rain day)."""
        if self.urgency == "urgent":
            return VISIT_CLOCK.deadline(self, completed_at, Span.of(URGENT_VISIT))
        if self.urgency == "ordinary":
            return VISIT_CLOCK.deadline(self, completed_at, Span(days=ORDINARY_VISIT_DAYS))
        return None

    def current_due(self):
        """The deadline that matters in the current state (lists show due in / late by)."""
        if self.state in ("reported", "dispatched"):
            return self.arrival_due_at
        if self.state == "review":
            return self.review_due_at
        if self.state in self.VISIT_STATES:
            return self.visit_due_at
        return None

    # --- who may take a step on this record ---
    def authorize_step(self, step, user):
        """A public-area repair is confirmed by the housekeeper of its building (seed 003)."""
        if step.name == "sign_off" and self.location == "public" and not self.looks_after_building(user):
            raise PermissionDenied(gettext(
                "A public-area repair is confirmed by the housekeeper of building %(no)s.",
                no=self.building_no or "—"))

    def looks_after_building(self, user) -> bool:
        return bool(self.building_no) and "housekeeper" in (getattr(user, "roles", None) or []) \
            and self.building_no in (getattr(user, "buildings", None) or [])

    def technician_not_arrived_late(self, now=None) -> bool:
        """Dispatched, and the technician is still not there 15 minutes after the appointment."""
        now = now or clock.now()
        return self.state == "dispatched" and bool(self.arrival_due_at) and now > self.arrival_due_at

    def save(self, *args, **kwargs):
        if self.pk is None:
            self.assign_number("BX")
        return super().save(*args, **kwargs)

    # --- steps (declared below; the engine checks role, community and state, and writes once) ---
    def dispatch(self, user, technician: str, appointment_at=None, technician_phone: str = ""):
        self.check("dispatch", user)
        technician = (technician or "").strip()
        if not technician:
            raise DomainError(gettext("Name the technician the order goes to."), field="technician")
        appointment_at = appointment_at or self.appointment_at
        if appointment_at is None:
            raise DomainError(gettext("Agree an appointment time with the resident."),
                              field="appointment_at")
        return self.transition("dispatch", user, values={
            "technician": technician, "technician_phone": normalise_phone(technician_phone) or None,
            "appointment_at": appointment_at, "dispatched_at": clock.now()},
            validate=True, checked=False)

    def arrive(self, user, at=None):
        self.check("arrive", user)
        at = at or clock.now()
        self._check_time(at, self.dispatched_at, "at")
        return self.transition("arrive", user, values={"arrived_at": at},
                               validate=True, checked=False)

    def start_review(self, user, note: str):
        self.check("start_review", user)
        if not (note or "").strip():
            raise DomainError(gettext("Say what needs a technical review."), field="note")
        return self.transition("start_review", user, values={
            "review_note": note.strip(), "review_started_at": clock.now(), "back_on_site_at": None},
            validate=True, checked=False)

    def back_on_site(self, user, at=None):
        self.check("back_on_site", user)
        at = at or clock.now()
        self._check_time(at, self.review_started_at, "at")
        return self.transition("back_on_site", user, values={"back_on_site_at": at},
                               validate=True, checked=False)

    def complete(self, user, work_done: str, materials=(), labour=None):
        self.check("complete", user)
        if not (work_done or "").strip():
            raise DomainError(gettext("Describe the work done."), field="work_done")
        lines = [material_line(line, number) for number, line in enumerate(materials or (), start=1)]
        now = clock.now()
        on_site = max((t for t in (self.arrived_at, self.back_on_site_at) if t), default=None)
        if on_site and now < to_the_minute(on_site):
            raise DomainError(gettext("The work cannot be completed before the technician was on site "
                                      "(%(time)s).", time=not_before_text(on_site, self.community)))
        return self.transition("complete", user, values={
            "work_done": work_done.strip(), "materials": lines,
            "labour": to_money(labour) or ZERO, "completed_at": now},
            validate=True, checked=False)

    def sign_off(self, user, satisfaction=None, comment: str = "", signature: bytes = b"",
                 paper_order_no: str = "", signed_by: str = ""):
        """The resident signs and rates. Nobody signs for the resident (seed 001): the resident
        signs on the screen (`signature`, a PNG) or has signed the paper work order
        (`paper_order_no`); `signed_by` is the resident's name if not the one on the record.
        A public-area repair is confirmed and rated by the housekeeper of its building."""
        self.check("sign_off", user)
        if satisfaction in (None, ""):
            raise DomainError(str(SATISFACTION_NEEDED), field="satisfaction")
        values = {"signed_at": clock.now(), "sign_comment": (comment or "").strip() or None,
                  "satisfaction": int(satisfaction)}
        captured = None
        if self.location == "public":
            values["signed_by_staff"] = user
            values["signed_by"] = getattr(user, "display_name", "")
        else:
            paper = (paper_order_no or "").strip()[:30]
            if not signature and not paper:
                raise DomainError(str(SIGNATURE_NEEDED), field="signature")
            values["signed_by"] = (signed_by or "").strip()[:60] or self.resident_name or ""
            values["paper_order_no"] = paper or None
            if signature:
                captured = RepairSignature.capture(self, signature, values["signed_by"], user)
                values["signature"] = captured
        try:
            result = self.transition("sign_off", user, values=values, validate=True, checked=False)
        except DomainError:
            if captured is not None:
                captured.delete()
            raise
        self.charge_household()
        return result

    def charge_household(self):
        """What the resident agreed to pay becomes a line of their fee account, once (004: the
        resident pays at the office); the cashier's receipt then settles it."""
        total = to_money(self.total)
        if self.household is None or not total or total <= 0 or self.signed_at is None:
            return None
        from documents.fees.ledger import charge, ensure_item
        return charge(self.household, ensure_item(self.community, "repair"), total, source="repair",
                      source_id=str(self.pk), note=f"{self.number} {(self.work_done or '')[:80]}".strip())

    def cancel(self, user, reason: str):
        self.check("cancel", user)
        if not (reason or "").strip():
            raise DomainError(gettext("Say why the work order is cancelled."), field="reason")
        return self.transition("cancel", user, values={"cancel_reason": reason.strip()}, note=reason,
                               validate=True, checked=False)

    def _check_time(self, at, not_before, field):
        if at > clock.now() + CLOCK_SKEW:
            raise DomainError(gettext("This time is in the future."), field=field)
        if not_before and at < to_the_minute(not_before):
            raise DomainError(gettext("This time is before the previous step: not before %(time)s.",
                                      time=not_before_text(not_before, self.community)), field=field)


def material_line(line, number: int = 1) -> MaterialLine:
    """A material line from a form's dict (or a line), quantity and price as exact decimals.

    A line needs a name, a quantity above 0 and a unit price of at least 0; a refusal names the
    line (`number`, counted from 1) so the person finds it among the others."""
    if isinstance(line, dict):
        line = MaterialLine(**line)
    if not (line.name or "").strip():
        raise DomainError(gettext("Material line %(n)d: enter the name of the material.", n=number),
                          field="materials")
    quantity, price = exact_decimal(line.quantity), exact_decimal(line.unit_price)
    if quantity is None or quantity <= 0:
        raise DomainError(gettext("Material line %(n)d: the quantity must be greater than 0.", n=number),
                          field="materials")
    if price is None or price < 0:
        raise DomainError(gettext("Material line %(n)d: the unit price must be at least 0.", n=number),
                          field="materials")
    line.name, line.quantity, line.unit_price = line.name.strip(), quantity, to_money(price)
    return line




ARRIVAL_CLOCK, REVIEW_CLOCK, VISIT_CLOCK = declare_clocks(Repair, [
    ClockKind("repair_arrival", _l("Technician's arrival"), ("reported", "dispatched"), "arrival_due_at",
              done_field="arrived_at", role="clerk",
              ladder=(Rung(1, timedelta(0), "supervisor", _l("Supervisor")),)),
    ClockKind("repair_review", _l("Back on site after a technical review"), ("review",), "review_due_at",
              done_field="back_on_site_at", role="clerk",
              ladder=(Rung(1, timedelta(0), "supervisor", _l("Supervisor")),)),
    ClockKind("repair_visit", _l("Repair return visit"), Repair.VISIT_STATES, "visit_due_at",
              done_field="visited_at", role="clerk"),
], area="repairs", endpoint="repairs.details_view")

declare(Repair, Workflow("repairs", [
    Step("dispatch", ("reported",), "dispatched", label=_l("Dispatch"),
         needs=_l("Only a newly reported work order is dispatched.")),
    Step("arrive", ("dispatched",), "arrived", label=_l("Arrived"),
         needs=_l("Dispatch the work order first.")),
    Step("start_review", ("arrived",), "review", label=_l("Technical review"),
         needs=_l("The technician must be on site.")),
    Step("back_on_site", ("review",), "arrived", label=_l("Back on site"),
         needs=_l("Only during a technical review.")),
    Step("complete", ("arrived",), "completed", label=_l("Complete"),
         needs=_l("The technician must be on site (back from any technical review).")),
    Step("sign_off", ("completed",), "signed_off", label=_l("Sign off"),
         needs=_l("Complete the work first.")),
    *closing_steps(Repair.VISIT_STATES, needs=_l("Complete the work first."), visit_from=("signed_off",),
                   visit_needs=_l("The resident signs off the work first.")),
    Step("cancel", ("reported", "dispatched"), "cancelled", label=_l("Cancel"),
         needs=_l("Only a work order whose technician is not yet on site can be cancelled.")),
]))


class RainDay(CommunityOwned):
    """'First rain on' a date: every leak repair completed before it now has its return visit due."""
    on = DateField(required=True, verbose_name=_l("First rain on"))
    recorded_by = ReferenceField("Staff", verbose_name=_l("Recorded by"))
    recorded_at = DateTimeField(verbose_name=_l("Recorded on"))

    meta = {"collection": "rain_days",
            "indexes": [{"fields": ["community", "on"], "unique": True}], "ordering": ["-on"]}

    def __str__(self):
        return str(self.on)

    @classmethod
    def record(cls, community, day, actor) -> int:
        """Record the rain day and mark waiting leak visits due at the end of that day.

        Returns how many repairs became due. Recording the same day twice changes nothing.
        """
        authorize_area("repairs", "action:first_rain", actor, community, label=_l("First rain recorded"))
        now = clock.now()
        zone = zone_of(community)
        if day > local_date(now, zone):
            raise DomainError(gettext("The first-rain date cannot be in the future."))
        due = end_of_local_day(day, zone)
        existing = cls.objects(community=community, on=day).first()
        if existing is None:
            existing = cls(community=community, on=day, recorded_by=actor, recorded_at=now)
            try:
                existing.save()
                audit.record("first_rain", existing, note=str(day), actor=actor)
            except NotUniqueError:
                pass
        count = 0
        waiting = Repair.objects(community=community, urgency="leak", state__in=list(Repair.VISIT_STATES),
                                 visit_due_at=None, completed_at__lte=due)
        for repair in waiting:
            count += repair.record_change(
                "rain_visit_due", actor, {"visit_due_at": due, "due_at": due},
                {"visit_due_at": None, "state__in": list(Repair.VISIT_STATES)}, note=str(day))
        return count


class RepairPhoto(UploadedFile):
    """A photo of a repair (GridFS); served only through the repair view, scoped to the community."""
    repair = ReferenceField(Repair, required=True)
    meta = {"collection": "repair_photos", "indexes": ["repair"]}


class RepairSignature(StoredFile):
    """The resident's signature drawn on the screen at sign-off (a PNG in GridFS), served only
    through the repair view."""
    repair = ReferenceField(Repair, required=True)
    signer = StringField(max_length=60)
    recorded_by = ReferenceField("Staff")
    recorded_at = DateTimeField()
    meta = {"collection": "repair_signatures", "indexes": ["repair"]}

    def __str__(self):
        return gettext("Signature of %(name)s", name=self.signer or "")

    @classmethod
    def capture(cls, repair, data: bytes, signer: str, actor) -> "RepairSignature":
        name, kind = SIGNATURE_UPLOAD.check("signature.png", data)
        signature = cls(community=repair.community, repair=repair, signer=signer, recorded_by=actor,
                        recorded_at=clock.now())
        signature.keep(data, kind, name)
        signature.save()
        return signature


SIGNATURE_UPLOAD = UploadRule(types=frozenset({PNG}), max_bytes=MB, field="signature",
                              refused=_l("The signature could not be read; please sign again."),
                              default_name="signature.png")
MAX_PHOTOS = 10
PHOTO_UPLOAD = UploadRule(types=frozenset({JPEG, PNG, GIF, WEBP}), max_bytes=5 * MB, field=None,
                          refused=_l("%(name)s is not a JPEG, PNG, GIF or WebP picture."),
                          default_name="photo")


def add_photo(repair, data: bytes, filename: str, actor) -> RepairPhoto:
    name, kind, data = PHOTO_UPLOAD.accept(filename, data)
    if RepairPhoto.objects(repair=repair).count() >= MAX_PHOTOS:
        raise DomainError(gettext("A work order holds at most %(n)d photos.", n=MAX_PHOTOS))
    photo = RepairPhoto(community=repair.community, repair=repair, uploaded_by=actor, uploaded_at=clock.now())
    photo.keep(data, kind, name)
    photo.save()
    audit.record("add_photo", repair, note=photo.filename, actor=actor)
    return photo


audit.register_action_labels({
    "first_rain": _l("First rain recorded"), "rain_visit_due": _l("Leak visit due after rain"),
    "add_photo": _l("Photo added"),
}, area="repairs", collections=["repairs", "rain_days"])


@timeline.register
def _repairs_of(household):
    items = []
    for repair in Repair.objects(household=household).order_by("-reported_at").limit(100):
        items.append(timeline.TimelineItem(
            at=repair.reported_at, kind=str(_l("Repair")),
            title=f"{repair.number} {dict(CATEGORIES).get(repair.category, '')} · {repair.state_label}",
            detail=(repair.description or "")[:120], endpoint="repairs.details_view",
            url_args={"id": str(repair.pk)}))
    return items

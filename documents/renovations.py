"""Renovation files (装修): application, approval, permits, patrols, inspections, deposit refund.

The workflow is an explicit state machine (TRANSITIONS). Every transition is one method that checks,
in this order, the acting staff member's role (app.permissions, area "renovations"; housekeepers only
for their own buildings), the current state, and the data the step needs; it raises a translated
DomainError otherwise. The write is a conditional update on the state read (and, where amounts are
involved, on the version), so a double click or two colleagues at once apply a step exactly once.

    draft -> submitted -> flat inspection (failed -> repaired and re-inspected) -> passed
          -> approved (permit number, deposit received) | rejected (reason)
          -> in_progress (room "renovating") -> initial inspection (room back)
          -> final inspection (failed with items -> re-inspected) -> passed
          -> deposit refunded (one DepositRefund, unique per file) -> archived
"""
import hashlib
import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateField, DateTimeField, Document,
                         EmbeddedDocument, EmbeddedDocumentField, EmbeddedDocumentListField,
                         FileField, IntField, ReferenceField, StringField,
                         ValidationError)
from mongoengine.errors import NotUniqueError

from app import clock
from app.permissions import PERMISSIONS, can
from documents import audit, timeline
from documents.base import CommunityOwned, DomainError, PermissionDenied, Versioned
from documents.deadlines import local_date, to_utc, zone_of
from documents.files import JPEG, MB, PDF, PNG, UploadRule, read_stored, store
from documents.money import MoneyField, money_text, to_money
from documents.places import Room
from documents.residents import Household
from documents.validators import id_card_problem, normalise_phone, validate_mobile

AREA = "renovations"

# --- vocabularies -----------------------------------------------------------------------------

STATES = [
    ("draft", _l("Draft")),
    ("submitted", _l("Submitted")),
    ("flat_failed", _l("Flat inspection failed")),
    ("flat_passed", _l("Flat inspection passed")),
    ("approved", _l("Approved")),
    ("rejected", _l("Rejected")),
    ("in_progress", _l("Work in progress")),
    ("initial_inspected", _l("Initial inspection done")),
    ("final_failed", _l("Final inspection failed")),
    ("final_passed", _l("Final inspection passed")),
    ("refunded", _l("Deposit refunded")),
    ("archived", _l("Archived")),
]
OPEN_STATES = {s for s, _label in STATES} - {"rejected", "refunded", "archived"}

PHASES = [
    ("water_electric", _l("Water and electrical rework")),
    ("carpentry_painting", _l("Carpentry and wall painting")),
    ("tiling_flooring", _l("Tiling and wooden floors")),
    ("installation", _l("Installation (gas water heater, air conditioner, sanitary ware)")),
]
#: Days between patrols per phase (DOMAIN.md); installation is patrolled on the installation day.
PATROL_INTERVAL_DAYS = {"water_electric": 1, "carpentry_painting": 3, "tiling_flooring": 1}

ATTACHMENT_KINDS = [
    ("licence", _l("Business licence copy")),
    ("qualification", _l("Qualification certificate")),
    ("drawings", _l("Drawings")),
    ("worker_ids", _l("Workers' ID copies")),
    ("agreement", _l("Signed renovation agreement")),
    ("photo", _l("Photo")),
    ("other", _l("Other document")),
]
REQUIRED_DOCUMENTS = ("licence", "qualification", "worker_ids")
MAX_ATTACHMENT_BYTES = 10 * MB
#: a contractor's documents are kept for printing: the content decides, and the name must fit it
DOCUMENT_UPLOAD = UploadRule(
    types=frozenset({PDF, JPEG, PNG}), max_bytes=MAX_ATTACHMENT_BYTES, same_extension=True,
    refused=_l("%(name)s is not accepted: only PDF, JPEG or PNG files can be attached."))
PHOTO_UPLOAD = UploadRule(
    types=frozenset({JPEG, PNG}), max_bytes=MAX_ATTACHMENT_BYTES, same_extension=True,
    refused=_l("%(name)s is not accepted: photos must be JPEG or PNG images."))

VIOLATION_TYPES = [
    ("structure", _l("Unauthorised change to structure or load-bearing walls")),
    ("hours", _l("Noisy work outside permitted hours")),
    ("debris", _l("Debris or materials left in public areas")),
    ("hot_work", _l("Hot work without a permit")),
    ("no_pass", _l("Worker without a valid pass")),
    ("fire_safety", _l("Fire-safety hazard")),
    ("pipes", _l("Damage to waterproofing or shared pipes")),
    ("other", _l("Other")),
]
PERMIT_KINDS = [
    ("worker_pass", _l("Temporary pass")),
    ("power", _l("Temporary power")),
    ("hot_work", _l("Hot work")),
    ("item_release", _l("Large-item release")),
]
PERMIT_CODES = {"worker_pass": "P", "power": "D", "hot_work": "H", "item_release": "F"}
PERMIT_STATUSES = [("active", _l("Valid")), ("revoked", _l("Revoked"))]
INSPECTION_KINDS = [("flat", _l("Second flat inspection")), ("initial", _l("Initial inspection")),
                    ("final", _l("Final inspection"))]
REFUND_METHODS = [("cash", _l("Cash")), ("bank_transfer", _l("Bank transfer")),
                  ("wechat", _l("WeChat Pay")), ("alipay", _l("Alipay"))]
MAX_HOT_WORK_HOURS = 12

ACTION_LABELS = {
    "submit": _l("Submitted"), "flat_inspection": _l("Flat inspection recorded"),
    "approve": _l("Approved"), "reject": _l("Rejected"), "start": _l("Work started"),
    "set_phase": _l("Phase changed"), "initial_inspection": _l("Initial inspection recorded"),
    "final_inspection": _l("Final inspection recorded"), "refund": _l("Deposit refunded"),
    "archive": _l("Archived"), "issue_permit": _l("Permit issued"),
    "revoke_permit": _l("Permit revoked"), "log_patrol": _l("Patrol logged"),
    "rectify": _l("Violation rectified"), "attach": _l("File attached"),
    "remove_attachment": _l("File removed"),
}
audit.register_action_labels(ACTION_LABELS)
#: what must have happened before a step (added to the "not possible now" message)
STEP_PRECONDITIONS = {
    "approve": _l("The flat must first pass the second inspection."),
    "start": _l("Work starts only after approval."),
    "initial_inspection": _l("The initial inspection follows the work in progress."),
    "final_inspection": _l("The initial inspection comes first."),
    "refund": _l("The deposit is refunded only after the final inspection has passed."),
    "archive": _l("Only a file whose deposit was refunded, or a rejected one, is archived."),
    "log_patrol": _l("Patrols are logged while the work is in progress."),
}
#: the steps as buttons and in messages ("Your role does not allow this step: Approve.")
STEP_LABELS = {
    "submit": _l("Submit"), "flat_inspection": _l("Record flat inspection"), "approve": _l("Approve"),
    "reject": _l("Reject"), "start": _l("Start work"), "set_phase": _l("Change phase"),
    "initial_inspection": _l("Record initial inspection"), "final_inspection": _l("Record final inspection"),
    "refund": _l("Refund deposit"), "archive": _l("Archive file"), "issue_permit": _l("Issue permit"),
    "approve_hot_work": _l("Approve hot work"), "revoke_permit": _l("Revoke permit"),
    "log_patrol": _l("Log patrol"), "rectify": _l("Mark rectified"), "attach": _l("Attach file"),
    "remove_attachment": _l("Remove file"),
}


def state_label(state) -> str:
    return str(dict(STATES).get(state, state or ""))


def phase_label(phase) -> str:
    return str(dict(PHASES).get(phase, phase or ""))


def new_key() -> str:
    return uuid.uuid4().hex[:12]


# --- small validators ---------------------------------------------------------------------------

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def licence_problem(value: str) -> str | None:
    """Business licence: an 18-character unified social credit code (or an old 15-digit number)."""
    value = (value or "").strip().upper()
    if re.fullmatch(r"\d{15}", value):
        return None
    if not USCC_RE.match(value):
        return gettext("A business licence number is the 18-character unified social credit code.")
    if uscc_check_char(value[:17]) != value[17]:
        return gettext("The unified social credit code's check character is wrong; please check it.")
    return None


def validate_licence(value):
    problem = licence_problem(value)
    if value and problem:
        raise ValidationError(problem)


def validate_worker_id(value):
    problem = id_card_problem(value) if value else None
    if problem:
        raise ValidationError(problem)


# --- time -------------------------------------------------------------------------------------

def local_today(community) -> date:
    """Today in the community's time zone (the clock is naive UTC)."""
    return local_date(clock.now(), zone_of(community))


def next_patrol_due(phase, phase_since, last_patrol_on, installation_on=None):
    """The date the next patrol is due, by the phase rule of DOMAIN.md (None: nothing due).

    water/electrical and tiling/floors: daily; carpentry/painting: every 3 days; installation:
    on the installation day. The first patrol of a phase is due on the day the phase starts.
    """
    if not phase:
        return None
    if phase == "installation":
        if installation_on is None or (last_patrol_on and last_patrol_on >= installation_on):
            return None
        return installation_on
    if last_patrol_on is None or (phase_since and last_patrol_on < phase_since):
        return phase_since
    return last_patrol_on + timedelta(days=PATROL_INTERVAL_DAYS[phase])


def patrol_status(due, today) -> str | None:
    """"overdue", "due_today" or None."""
    if due is None:
        return None
    if due < today:
        return "overdue"
    if due == today:
        return "due_today"
    return None


def as_date(value):
    if isinstance(value, datetime):
        return value.date()
    return value


# --- embedded parts ---------------------------------------------------------------------------

class Contractor(EmbeddedDocument):
    company = StringField(required=True, max_length=120, verbose_name=_l("Company"))
    licence_no = StringField(required=True, max_length=18, validation=validate_licence,
                             verbose_name=_l("Business licence no."))
    qualification = StringField(max_length=120, verbose_name=_l("Qualification"))
    site_manager = StringField(required=True, max_length=60, verbose_name=_l("Site manager"))
    phone = StringField(required=True, max_length=20, validation=validate_mobile,
                        verbose_name=_l("Phone"))

    def clean(self):
        self.licence_no = (self.licence_no or "").strip().upper()
        if self.phone:
            self.phone = normalise_phone(self.phone)


class Worker(EmbeddedDocument):
    name = StringField(required=True, max_length=60, verbose_name=_l("Name"))
    id_number = StringField(required=True, max_length=18, validation=validate_worker_id,
                            verbose_name=_l("ID number"))
    phone = StringField(max_length=20, validation=validate_mobile, verbose_name=_l("Phone"))
    trade = StringField(max_length=30, verbose_name=_l("Trade"))

    @property
    def key(self) -> str:
        """Follows the ID number, so passes stay linked to the worker when the list is edited."""
        return hashlib.sha1((self.id_number or "").strip().upper().encode()).hexdigest()[:12]

    def clean(self):
        self.id_number = (self.id_number or "").strip().upper()
        if self.phone:
            self.phone = normalise_phone(self.phone)


class OtherFee(EmbeddedDocument):
    item = StringField(required=True, max_length=60, verbose_name=_l("Item"))
    amount = MoneyField(required=True, verbose_name=_l("Amount"))


class InspectionItem(EmbeddedDocument):
    key = StringField(max_length=12)
    description = StringField(required=True, max_length=300, verbose_name=_l("Item"))
    deduction = MoneyField(default=Decimal("0.00"), verbose_name=_l("Deduction"))
    repaired_on = DateField(verbose_name=_l("Repaired on"))


class Inspection(EmbeddedDocument):
    key = StringField(max_length=12)
    kind = StringField(choices=INSPECTION_KINDS, required=True, verbose_name=_l("Inspection"))
    on = DateField(required=True, verbose_name=_l("Date"))
    at = DateTimeField(verbose_name=_l("Recorded at"))
    inspector = ReferenceField("Staff", verbose_name=_l("Inspector"))
    inspector_name = StringField(verbose_name=_l("Inspector"))
    passed = BooleanField(verbose_name=_l("Passed"))
    items = EmbeddedDocumentListField(InspectionItem, verbose_name=_l("Items"))
    notes = StringField(max_length=1000, verbose_name=_l("Notes"))


class Violation(EmbeddedDocument):
    key = StringField(max_length=12)
    type = StringField(choices=VIOLATION_TYPES, required=True, verbose_name=_l("Violation"))
    description = StringField(max_length=500, verbose_name=_l("Description"))
    deduction = MoneyField(default=Decimal("0.00"), verbose_name=_l("Deduction"))
    deadline = DateField(verbose_name=_l("Rectify by"))
    rectified_on = DateField(verbose_name=_l("Rectified on"))
    rectified_by_name = StringField(verbose_name=_l("Confirmed by"))


class Patrol(EmbeddedDocument):
    key = StringField(max_length=40)
    on = DateField(required=True, verbose_name=_l("Date"))
    at = DateTimeField(verbose_name=_l("Recorded at"))
    inspector = ReferenceField("Staff", verbose_name=_l("Inspector"))
    inspector_name = StringField(verbose_name=_l("Inspector"))
    phase = StringField(choices=PHASES, verbose_name=_l("Phase"))
    findings = StringField(max_length=2000, verbose_name=_l("Findings"))
    violations = EmbeddedDocumentListField(Violation, verbose_name=_l("Violations"))


class Permit(EmbeddedDocument):
    key = StringField(max_length=40)
    kind = StringField(choices=PERMIT_KINDS, required=True, verbose_name=_l("Permit"))
    number = StringField(verbose_name=_l("Permit no."))
    valid_from = DateField(verbose_name=_l("Valid from"))
    valid_to = DateField(verbose_name=_l("Valid until"))
    # temporary pass
    worker_key = StringField()
    worker_name = StringField(verbose_name=_l("Worker"))
    worker_id_number = StringField(verbose_name=_l("ID number"))
    # temporary power / hot work
    location = StringField(max_length=120, verbose_name=_l("Location"))
    power_load_kw = MoneyField(verbose_name=_l("Load (kW)"))
    starts_at = DateTimeField(verbose_name=_l("From"))
    ends_at = DateTimeField(verbose_name=_l("Until"))
    fire_precautions = StringField(max_length=500, verbose_name=_l("Fire precautions"))
    fire_watch = StringField(max_length=60, verbose_name=_l("Fire watch"))
    # large-item release
    items = StringField(max_length=500, verbose_name=_l("Items and quantities"))
    vehicle_plate = StringField(max_length=10, verbose_name=_l("Vehicle plate"))
    driver_name = StringField(max_length=60, verbose_name=_l("Driver"))
    driver_id = StringField(max_length=30, verbose_name=_l("Driver's licence / ID no."))
    fees_settled = BooleanField(default=False, verbose_name=_l("Fees settled"))
    # bookkeeping
    status = StringField(choices=PERMIT_STATUSES, default="active", verbose_name=_l("Status"))
    issued_at = DateTimeField(verbose_name=_l("Issued at"))
    issued_by_name = StringField(verbose_name=_l("Issued by"))
    approver_name = StringField(verbose_name=_l("Approved by"))
    revoked_at = DateTimeField(verbose_name=_l("Revoked at"))
    revoked_by_name = StringField(verbose_name=_l("Revoked by"))
    revoke_reason = StringField(max_length=300, verbose_name=_l("Reason for revoking"))

    def is_valid_on(self, day) -> bool:
        return self.status == "active" and (self.valid_from is None or as_date(self.valid_from) <= day) \
            and (self.valid_to is None or day <= as_date(self.valid_to))


# --- the renovation file ----------------------------------------------------------------------

class Renovation(CommunityOwned, Versioned):
    household = ReferenceField(Household, required=True, verbose_name=_l("Household"))
    room = ReferenceField(Room, verbose_name=_l("Room"))
    building_no = StringField(verbose_name=_l("Building no."))
    room_code = StringField(verbose_name=_l("Room"))
    sort_key = StringField()
    applicant = StringField(max_length=60, verbose_name=_l("Applicant"))  # default: the household's name
    applicant_phone = StringField(max_length=20, validation=validate_mobile,
                                  verbose_name=_l("Applicant's phone"))
    contractor = EmbeddedDocumentField(Contractor, verbose_name=_l("Contractor"))
    contractor_company = StringField(verbose_name=_l("Contractor"))
    workers = EmbeddedDocumentListField(Worker, verbose_name=_l("Workers"))
    scope = StringField(required=True, max_length=2000, verbose_name=_l("Scope of work"))
    planned_start = DateField(required=True, verbose_name=_l("Planned start"))
    planned_end = DateField(required=True, verbose_name=_l("Planned end"))
    deposit = MoneyField(required=True, verbose_name=_l("Renovation deposit"))
    management_fee = MoneyField(default=Decimal("0.00"), verbose_name=_l("Renovation management fee"))
    other_fees = EmbeddedDocumentListField(OtherFee, verbose_name=_l("Other fees"))
    agreement_signed_on = DateField(verbose_name=_l("Agreement signed on"))
    notes = StringField(max_length=2000, verbose_name=_l("Notes"))

    state = StringField(choices=STATES, default="draft", required=True, verbose_name=_l("State"))
    phase = StringField(choices=PHASES, verbose_name=_l("Phase"))
    phase_since = DateField(verbose_name=_l("Phase since"))
    installation_on = DateField(verbose_name=_l("Installation day"))
    next_patrol_due = DateField(verbose_name=_l("Next patrol due"))
    created_at = DateTimeField(verbose_name=_l("Created at"))
    submitted_at = DateTimeField(verbose_name=_l("Submitted at"))
    approved_at = DateTimeField(verbose_name=_l("Approved at"))
    approved_by_name = StringField(verbose_name=_l("Approved by"))
    permit_no = StringField(verbose_name=_l("Permit no."))
    deposit_received_on = DateField(verbose_name=_l("Deposit received on"))
    rejected_at = DateTimeField(verbose_name=_l("Rejected at"))
    rejected_reason = StringField(max_length=1000, verbose_name=_l("Reason for rejection"))
    started_on = DateField(verbose_name=_l("Work started on"))
    finished_on = DateField(verbose_name=_l("Work finished on"))
    final_passed_on = DateField(verbose_name=_l("Final inspection passed on"))
    archived_at = DateTimeField(verbose_name=_l("Archived at"))
    room_status_before = StringField()

    inspections = EmbeddedDocumentListField(Inspection, verbose_name=_l("Inspections"))
    patrols = EmbeddedDocumentListField(Patrol, verbose_name=_l("Patrols"))
    permits = EmbeddedDocumentListField(Permit, verbose_name=_l("Permits"))

    refund_amount = MoneyField(verbose_name=_l("Amount refunded"))
    refund_deductions = MoneyField(verbose_name=_l("Deductions"))
    refund_method = StringField(choices=REFUND_METHODS, verbose_name=_l("Refund method"))
    refund_paid_to = StringField(max_length=60, verbose_name=_l("Paid to"))
    refund_by = ReferenceField("Staff", verbose_name=_l("Refunded by"))
    refund_by_name = StringField(verbose_name=_l("Refunded by"))
    refund_at = DateTimeField(verbose_name=_l("Refunded at"))
    refund_receipt_no = StringField(verbose_name=_l("Receipt no."))

    meta = {
        "collection": "renovations",
        "indexes": [("community", "state"), ("community", "building_no"), ("community", "room_code"),
                    ("community", "sort_key"), ("community", "phase"), ("community", "next_patrol_due"),
                    ("community", "contractor_company"), ("community", "applicant"),
                    ("community", "planned_start"), ("community", "planned_end"),
                    ("community", "created_at"), ("community", "permit_no"), "household", "room"],
        "ordering": ["-created_at"],
    }

    # ---- display ----
    def __str__(self):
        label = self.permit_no or gettext("Renovation application")
        return f"{self.room_code or ''} {label}".strip()

    @property
    def state_label(self):
        return state_label(self.state)

    @property
    def phase_label(self):
        return phase_label(self.phase)

    # ---- derived data ----
    def clean(self):
        if self.household is not None:
            household = self.household
            if self.community and household.community.pk != self.community.pk:
                raise ValidationError(errors={"household": ValidationError(
                    gettext("The household belongs to another community."))})
            self.community = household.community
            self.room = household.room
            self.room_code = household.room_code or (self.room.code if self.room else None)
            self.building_no = household.building_no or (self.room.building_no if self.room else None)
            self.sort_key = household.sort_key
            if not (self.applicant or "").strip():
                self.applicant = household.name
        if self.applicant_phone:
            self.applicant_phone = normalise_phone(self.applicant_phone)
        self.contractor_company = (self.contractor.company or "").strip() if self.contractor else None
        if self.planned_start and self.planned_end and as_date(self.planned_end) < as_date(self.planned_start):
            raise ValidationError(errors={"planned_end": ValidationError(
                gettext("The planned end cannot be before the planned start."))})
        ids = [w.id_number for w in self.workers or [] if w.id_number]
        if len(ids) != len(set(ids)):
            raise ValidationError(errors={"workers": ValidationError(
                gettext("The same worker is listed twice."))})
        if self.created_at is None:
            now = clock.now()  # MongoDB keeps milliseconds; so does the copy in memory
            self.created_at = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self.room is not None and self.state in OPEN_STATES:
            clash = Renovation.objects(room=self.room, state__in=list(OPEN_STATES), pk__ne=self.pk).first()
            if clash:
                raise ValidationError(errors={"household": ValidationError(gettext(
                    "Room %(code)s already has an open renovation file (%(file)s).",
                    code=self.room_code, file=str(clash)))})

    def editable_fields(self) -> set:
        """Which data fields may still be edited in the current state (the view obeys this)."""
        everything = {"household", "applicant", "applicant_phone", "contractor", "workers", "scope",
                      "planned_start", "planned_end", "deposit", "management_fee", "other_fees",
                      "agreement_signed_on", "notes"}
        if self.state in ("draft", "submitted", "flat_failed", "flat_passed"):
            return everything
        if self.state in ("approved", "in_progress", "initial_inspected", "final_failed", "final_passed"):
            return {"contractor", "workers", "planned_end", "notes"}
        return set()

    def total_fees(self) -> Decimal:
        return (to_money(self.deposit) or Decimal("0.00")) + (to_money(self.management_fee) or Decimal("0.00")) \
            + sum((to_money(f.amount) for f in self.other_fees or []), Decimal("0.00"))

    def deductions(self) -> list[tuple[str, str, Decimal]]:
        """Every recorded deduction: (where, what, amount) from patrol violations and final inspections."""
        rows = []
        for patrol in self.patrols or []:
            for v in patrol.violations or []:
                amount = to_money(v.deduction) or Decimal("0.00")
                if amount:
                    rows.append((f"{gettext('Patrol')} {as_date(patrol.on)}",
                                 f"{dict(VIOLATION_TYPES).get(v.type, v.type)}: {v.description or ''}".strip(": "),
                                 amount))
        for inspection in self.inspections or []:
            if inspection.kind != "final":
                continue
            for item in inspection.items or []:
                amount = to_money(item.deduction) or Decimal("0.00")
                if amount:
                    rows.append((f"{gettext('Final inspection')} {as_date(inspection.on)}", item.description, amount))
        return rows

    def total_deductions(self) -> Decimal:
        return sum((row[2] for row in self.deductions()), Decimal("0.00"))

    def refund_due(self) -> Decimal:
        """Deposit minus deductions (may be negative: then the refund is refused)."""
        return (to_money(self.deposit) or Decimal("0.00")) - self.total_deductions()

    def today(self) -> date:
        return local_today(self.community)

    def last_patrol_on(self):
        dates = [as_date(p.on) for p in self.patrols or [] if p.on]
        return max(dates) if dates else None

    def compute_next_patrol_due(self):
        if self.state != "in_progress":
            return None
        return next_patrol_due(self.phase, as_date(self.phase_since), self.last_patrol_on(),
                               as_date(self.installation_on))

    def patrol_status(self, today=None):
        if self.state != "in_progress":
            return None
        return patrol_status(as_date(self.next_patrol_due), today or self.today())

    def open_violations(self):
        return [(p, v) for p in self.patrols or [] for v in p.violations or [] if not v.rectified_on]

    def worker(self, key):
        return next((w for w in self.workers or [] if w.key == key), None)

    def permit(self, key):
        return next((p for p in self.permits or [] if p.key == key), None)

    def attachments(self):
        return RenovationAttachment.objects(renovation=self).order_by("uploaded_at")

    def missing_documents(self) -> list[str]:
        present = set(RenovationAttachment.objects(renovation=self).distinct("kind"))
        return [kind for kind in REQUIRED_DOCUMENTS if kind not in present]

    def last_inspection(self, kind):
        found = [i for i in self.inspections or [] if i.kind == kind]
        return found[-1] if found else None

    # ---- rules shared by the transitions ----
    def authorize(self, action: str, user):
        """Role (the permission map), community, and for housekeepers their own buildings."""
        if user is None or not can(AREA, f"action:{action}", user):
            raise PermissionDenied(gettext("Your role does not allow this step: %(step)s.",
                                           step=str(STEP_LABELS.get(action, action))))
        if not getattr(user, "sees_all_communities", False) and \
                self.community.pk not in getattr(user, "community_ids", []):
            raise PermissionDenied(gettext("You may only work on records of your own communities."))
        granting = [r for r in user.roles or [] if f"action:{action}" in PERMISSIONS[AREA].get(r, set())]
        if granting and all(r == "housekeeper" for r in granting) and \
                self.building_no not in (user.buildings or []):
            raise PermissionDenied(gettext(
                "Building %(no)s is not one of the buildings you look after.", no=self.building_no))

    def allows(self, action: str, user) -> bool:
        """Would `action` be offered to `user` now (role and state)? Used for buttons only."""
        if self.state not in TRANSITIONS.get(action, ()):
            return False
        try:
            self.authorize(action, user)
        except DomainError:
            return False
        return True

    def require_state(self, action: str):
        if self.state not in TRANSITIONS[action]:
            message = gettext("This step (%(step)s) is not possible while the file is “%(state)s”.",
                              step=str(STEP_LABELS.get(action, action)), state=self.state_label)
            hint = STEP_PRECONDITIONS.get(action)
            raise DomainError(f"{message} {hint}" if hint else message)

    def _write(self, action: str, user, update: dict, note: str | None = None, check_version=False,
               extra_query: dict | None = None, changes=True):
        """The conditional update: applies only if the state (and version) is still the one read."""
        query = {"pk": self.pk, "state": self.state}
        if check_version:
            query["version"] = self.version
        query.update(extra_query or {})
        before = self._audit_view()
        update = dict(update, inc__version=1)
        updated = Renovation.objects(**query).modify(new=True, **update)
        if updated is None:
            current = Renovation.objects(pk=self.pk).only("state").first()
            if current is not None and current.state != self.state:
                raise DomainError(gettext(
                    "Someone else has just moved this file on (it is now “%(state)s”); nothing was "
                    "changed. Reload the page.", state=current.state_label))
            raise DomainError(gettext("This file was changed by someone else at the same moment; "
                                      "nothing was changed. Reload the page and check it again."))
        self._reload_from(updated)
        audit.record(action, self, audit.diff(before, self._audit_view()) if changes else None,
                     note=note, actor=user)
        return self

    def _reload_from(self, other):
        for name in self._fields:
            setattr(self, name, getattr(other, name))
        self._clear_changed_fields()

    def _audit_view(self) -> dict:
        """The scalar fields of the file (embedded lists are described in the entry's note)."""
        snap = audit.snapshot(self)
        for name in ("patrols", "permits", "inspections", "workers", "other_fees", "contractor"):
            snap.pop(name, None)
        return snap

    # ---- transitions ----
    def submit(self, user):
        self.authorize("submit", user)
        self.require_state("submit")
        problems = []
        if not self.contractor or not self.contractor.company or not self.contractor.licence_no:
            problems.append(gettext("the contractor's company and business licence number"))
        if not self.workers:
            problems.append(gettext("at least one worker"))
        if not (to_money(self.deposit) or Decimal("0")) > 0:
            problems.append(gettext("the deposit"))
        missing = self.missing_documents()
        if missing:
            labels = dict(ATTACHMENT_KINDS)
            problems.append(gettext("these documents: %(docs)s",
                                    docs=", ".join(str(labels[k]) for k in missing)))
        if problems:
            raise DomainError(gettext("The file cannot be submitted yet. Missing: %(what)s.",
                                      what="; ".join(problems)))
        return self._write("submit", user, {"set__state": "submitted", "set__submitted_at": clock.now()})

    def record_flat_inspection(self, user, passed: bool, items=(), notes: str = "", on=None):
        """Second inspection of the flat; failures are listed, repaired, then re-inspected."""
        self.authorize("flat_inspection", user)
        self.require_state("flat_inspection")
        items = [str(i).strip() for i in items or [] if str(i).strip()]
        if not passed and not items:
            raise DomainError(gettext("List the items that failed the inspection."), field="items")
        on = self._inspection_day(on)
        inspection = Inspection(key=new_key(), kind="flat", on=on, at=clock.now(), inspector=user,
                                inspector_name=user.display_name, passed=bool(passed), notes=notes or None,
                                items=[InspectionItem(key=new_key(), description=i) for i in items])
        update = {"push__inspections": inspection,
                  "set__state": "flat_passed" if passed else "flat_failed"}
        previous = self.last_inspection("flat")
        note = "✓" if passed else "✗ " + "; ".join(items)  # stored notes stay language-neutral
        if passed and previous is not None and not previous.passed:
            # the re-inspection confirms that the listed failures were repaired
            index = self.inspections.index(previous)
            for n, item in enumerate(previous.items):
                if not item.repaired_on:
                    update[f"set__inspections__{index}__items__{n}__repaired_on"] = on
        return self._write("flat_inspection", user, update, note=note)

    def approve(self, user):
        self.authorize("approve", user)
        self.require_state("approve")
        if not self.agreement_signed_on:
            raise DomainError(gettext("The renovation agreement must be signed before approval; "
                                      "enter the date it was signed."), field="agreement_signed_on")
        if not (to_money(self.deposit) or Decimal("0")) > 0:
            raise DomainError(gettext("The deposit must be recorded before approval."), field="deposit")
        if self.missing_documents():
            raise DomainError(gettext("The contractor's documents are incomplete."))
        year = local_today(self.community).year
        number = f"{self.community.code}-ZX{year}-{Counter.next(f'{self.community.pk}:permit:{year}'):04d}"
        return self._write("approve", user, {
            "set__state": "approved", "set__approved_at": clock.now(),
            "set__approved_by_name": user.display_name, "set__permit_no": number,
            "set__deposit_received_on": self.today()}, note=number)

    def reject(self, user, reason: str):
        self.authorize("reject", user)
        self.require_state("reject")
        reason = (reason or "").strip()
        if len(reason) < 2:
            raise DomainError(gettext("Give the reason for the rejection."), field="reason")
        return self._write("reject", user, {"set__state": "rejected", "set__rejected_at": clock.now(),
                                            "set__rejected_reason": reason[:1000]}, note=reason[:200])

    def start(self, user, phase: str = "water_electric", on=None):
        """Work starts: the room shows as renovating until the initial inspection."""
        self.authorize("start", user)
        self.require_state("start")
        if phase not in dict(PHASES) or phase == "installation":
            raise DomainError(gettext("Choose the phase the work starts with."), field="phase")
        on = as_date(on) or self.today()
        if on > self.today():
            raise DomainError(gettext("The start date cannot be in the future."), field="on")
        room = Room.objects(pk=self.room.pk).only("status").first() if self.room else None
        due = next_patrol_due(phase, on, None)
        self._write("start", user, {
            "set__state": "in_progress", "set__started_on": on, "set__phase": phase,
            "set__phase_since": on, "set__next_patrol_due": due,
            "set__room_status_before": room.status if room else None})
        if room is not None:
            Room.objects(pk=room.pk, status__ne="renovating").update_one(set__status="renovating")
        return self

    def change_phase(self, user, phase: str, installation_on=None, on=None):
        self.authorize("set_phase", user)
        self.require_state("set_phase")
        if phase not in dict(PHASES):
            raise DomainError(gettext("Choose a phase."), field="phase")
        on = as_date(on) or self.today()
        installation_on = as_date(installation_on)
        if phase == "installation" and not installation_on:
            raise DomainError(gettext("Enter the day of the installation: the patrol is due then."),
                              field="installation_on")
        if installation_on and installation_on < on:
            raise DomainError(gettext("The installation day cannot be in the past."), field="installation_on")
        due = next_patrol_due(phase, on, self.last_patrol_on(), installation_on)
        return self._write("set_phase", user, {
            "set__phase": phase, "set__phase_since": on, "set__next_patrol_due": due,
            "set__installation_on": installation_on if phase == "installation" else None},
            note=phase_label(phase), check_version=True)

    def record_initial_inspection(self, user, notes: str = "", items=(), on=None):
        """The work is finished: the initial inspection notes what must be put right before the final one."""
        self.authorize("initial_inspection", user)
        self.require_state("initial_inspection")
        on = self._inspection_day(on)
        items = [str(i).strip() for i in items or [] if str(i).strip()]
        inspection = Inspection(key=new_key(), kind="initial", on=on, at=clock.now(), inspector=user,
                                inspector_name=user.display_name, passed=True, notes=notes or None,
                                items=[InspectionItem(key=new_key(), description=i) for i in items])
        self._write("initial_inspection", user, {
            "push__inspections": inspection, "set__state": "initial_inspected", "set__finished_on": on,
            "set__next_patrol_due": None}, note="; ".join(items) or None)
        self._restore_room()
        return self

    def record_final_inspection(self, user, passed: bool, items=(), notes: str = "", on=None):
        """items: [(description, deduction)]; a failed inspection needs at least one item to fix."""
        self.authorize("final_inspection", user)
        self.require_state("final_inspection")
        on = self._inspection_day(on)
        rows = []
        for description, deduction in items or []:
            description = (description or "").strip()
            amount = to_money(deduction) or Decimal("0.00")
            if amount < 0:
                raise DomainError(gettext("The amount cannot be negative."), field="items")
            if description:
                rows.append(InspectionItem(key=new_key(), description=description, deduction=amount))
            elif amount:
                raise DomainError(gettext("Describe what each deduction is for."), field="items")
        if not passed and not rows:
            raise DomainError(gettext("List the items to fix before the final inspection can pass."),
                              field="items")
        inspection = Inspection(key=new_key(), kind="final", on=on, at=clock.now(), inspector=user,
                                inspector_name=user.display_name, passed=bool(passed), notes=notes or None,
                                items=rows)
        update = {"push__inspections": inspection, "set__state": "final_passed" if passed else "final_failed"}
        if passed:
            update["set__final_passed_on"] = on
        previous = self.last_inspection("final")
        if passed and previous is not None and not previous.passed:
            index = self.inspections.index(previous)
            for n, item in enumerate(previous.items):
                if not item.repaired_on:
                    update[f"set__inspections__{index}__items__{n}__repaired_on"] = on
        note = "✓" if passed else "✗ " + "; ".join(r.description for r in rows)
        # the version check keeps deductions and the refund computed from the same data
        return self._write("final_inspection", user, update, note=note, check_version=True)

    def refund(self, user, method: str, paid_to: str, expected_amount=None):
        """Refund the deposit minus deductions, exactly once.

        The winner is decided by the database: a conditional update from "final_passed" at the
        version whose deductions were summed. A second click, a retry, or a second cashier finds
        the state changed and is refused; the DepositRefund record is unique per file.
        """
        self.authorize("refund", user)
        if self.state == "refunded":
            raise DomainError(gettext("The deposit of this file has already been refunded (receipt %(no)s).",
                                      no=self.refund_receipt_no or "—"))
        self.require_state("refund")
        deposit = to_money(self.deposit) or Decimal("0.00")
        deductions = self.total_deductions()
        if deductions > deposit:
            raise DomainError(gettext(
                "The deductions (%(d)s) are larger than the deposit (%(p)s); the deposit cannot be "
                "refunded. Settle the difference with the resident first.",
                d=money_text(deductions), p=money_text(deposit)))
        amount = deposit - deductions
        if expected_amount is not None and to_money(expected_amount) != amount:
            raise DomainError(gettext(
                "The amount changed since you opened the page (now %(amount)s). Check it and confirm again.",
                amount=money_text(amount)))
        if method not in dict(REFUND_METHODS):
            raise DomainError(gettext("Choose how the deposit is paid back."), field="method")
        paid_to = (paid_to or "").strip()
        if not paid_to:
            raise DomainError(gettext("Enter who receives the refund."), field="paid_to")
        now = clock.now()
        try:
            self._write("refund", user, {
                "set__state": "refunded", "set__refund_amount": amount, "set__refund_deductions": deductions,
                "set__refund_method": method, "set__refund_paid_to": paid_to[:60], "set__refund_by": user,
                "set__refund_by_name": user.display_name, "set__refund_at": now},
                note=f"{money_text(deposit)} - {money_text(deductions)} = {money_text(amount)}",
                check_version=True)
        except DomainError:
            current = Renovation.objects(pk=self.pk).first()
            if current is not None and current.state == "refunded":
                raise DomainError(gettext(
                    "The deposit of this file has already been refunded (receipt %(no)s).",
                    no=current.refund_receipt_no or "—"))
            raise
        return self._record_refund()

    def _record_refund(self):
        """The refund record and receipt number of a refunded file (idempotent by its unique key)."""
        existing = DepositRefund.objects(renovation=self).first()
        if existing is None:
            year = as_date(self.refund_at).year if self.refund_at else self.today().year
            seq = Counter.next(f"{self.community.pk}:refund:{year}")
            record = DepositRefund(
                community=self.community, renovation=self, household=self.household,
                room_code=self.room_code, permit_no=self.permit_no,
                receipt_no=f"{self.community.code}-TK{year}-{seq:05d}", deposit=self.deposit,
                deductions=self.refund_deductions, amount=self.refund_amount, method=self.refund_method,
                paid_to=self.refund_paid_to, paid_by=self.refund_by, paid_by_name=self.refund_by_name,
                paid_at=self.refund_at)
            try:
                record.save()
                existing = record
            except NotUniqueError:
                existing = DepositRefund.objects(renovation=self).first()
        Renovation.objects(pk=self.pk, refund_receipt_no=None).update_one(
            set__refund_receipt_no=existing.receipt_no)
        self.refund_receipt_no = existing.receipt_no
        return existing

    def archive(self, user):
        self.authorize("archive", user)
        self.require_state("archive")
        return self._write("archive", user, {"set__state": "archived", "set__archived_at": clock.now()})

    def _inspection_day(self, on):
        on = as_date(on) or self.today()
        if on > self.today():
            raise DomainError(gettext("The inspection date cannot be in the future."), field="on")
        return on

    def _restore_room(self):
        """The room leaves "renovating" and gets back the status it had before the work."""
        if self.room is None:
            return
        back = self.room_status_before if self.room_status_before not in (None, "renovating") else None
        if back is None:
            household = Household.objects(room=self.room, status="current").first()
            back = ("rented" if household.tenants else "occupied") if household else "vacant"
        Room.objects(pk=self.room.pk, status="renovating").update_one(set__status=back)

    # ---- permits ----
    def issue_permit(self, user, kind: str, key: str | None = None, **data):
        """Issue a temporary pass, temporary-power, hot-work or large-item-release permit.

        `key` is the form's one-time key: the same form posted twice issues one permit.
        """
        self.authorize("issue_permit", user)
        self.require_state("issue_permit")
        if kind not in PERMIT_CODES:
            raise DomainError(gettext("Choose the kind of permit."), field="kind")
        key = (key or new_key())[:40]
        if self.permit(key) is not None:
            return self.permit(key)
        today = self.today()
        valid_from = as_date(data.get("valid_from")) or today
        valid_to = as_date(data.get("valid_to"))
        permit = Permit(key=key, kind=kind, valid_from=valid_from, valid_to=valid_to, issued_at=clock.now(),
                        issued_by_name=user.display_name, status="active")
        if kind == "worker_pass":
            worker = self.worker(data.get("worker_key"))
            if worker is None:
                raise DomainError(gettext("Choose the worker the pass is for."), field="worker_key")
            if not valid_to:
                raise DomainError(gettext("Enter until when the pass is valid."), field="valid_to")
            limit = as_date(self.planned_end)
            if limit and valid_to > limit:
                raise DomainError(gettext("A pass cannot be valid beyond the planned end of the work (%(d)s).",
                                          d=limit.isoformat()), field="valid_to")
            if any(p.kind == "worker_pass" and p.worker_key == worker.key and p.status == "active"
                   and p.valid_to and as_date(p.valid_to) >= valid_from for p in self.permits):
                raise DomainError(gettext("%(name)s already has a valid pass; revoke it first.",
                                          name=worker.name), field="worker_key")
            permit.worker_key, permit.worker_name, permit.worker_id_number = worker.key, worker.name, worker.id_number
        elif kind == "power":
            permit.location = (data.get("location") or "").strip() or None
            try:
                permit.power_load_kw = to_money(data.get("power_load_kw"))
            except DomainError as err:
                raise DomainError(err.message, field="power_load_kw")
            if not permit.location or not permit.power_load_kw or permit.power_load_kw <= 0:
                raise DomainError(gettext("Enter where the temporary power is taken and its load in kW."),
                                  field="location")
            if not valid_to:
                raise DomainError(gettext("Enter until when the permit is valid."), field="valid_to")
        elif kind == "hot_work":
            if not can(AREA, "action:approve_hot_work", user):
                raise PermissionDenied(gettext("Hot work must be approved by a supervisor or the manager."))
            starts, ends = data.get("starts_at"), data.get("ends_at")
            if not starts or not ends or ends <= starts:
                raise DomainError(gettext("Enter the hot-work time window: a start and a later end."),
                                  field="starts_at")
            if ends - starts > timedelta(hours=MAX_HOT_WORK_HOURS):
                raise DomainError(gettext("A hot-work permit covers at most %(n)d hours.",
                                          n=MAX_HOT_WORK_HOURS), field="ends_at")
            precautions = (data.get("fire_precautions") or "").strip()
            if len(precautions) < 4:
                raise DomainError(gettext("Describe the fire precautions (extinguisher, fire watch, "
                                          "combustibles removed…)."), field="fire_precautions")
            permit.location = (data.get("location") or "").strip() or None
            permit.starts_at = to_utc(starts, zone_of(self.community))
            permit.ends_at = to_utc(ends, zone_of(self.community))
            permit.valid_from, permit.valid_to = starts.date(), ends.date()
            permit.fire_precautions, permit.fire_watch = precautions, (data.get("fire_watch") or "").strip() or None
            permit.approver_name = user.display_name
        elif kind == "item_release":
            permit.items = (data.get("items") or "").strip()
            permit.driver_name = (data.get("driver_name") or "").strip() or None
            permit.driver_id = (data.get("driver_id") or "").strip().upper() or None
            permit.vehicle_plate = (data.get("vehicle_plate") or "").strip().upper() or None
            permit.fees_settled = bool(data.get("fees_settled"))
            if not permit.items:
                raise DomainError(gettext("List the items and quantities leaving the estate."), field="items")
            if not permit.driver_name or not permit.driver_id:
                raise DomainError(gettext("Enter the driver's name and licence or ID number."),
                                  field="driver_name")
            if not permit.fees_settled:
                raise DomainError(gettext("Items may only leave once the owner's fees are settled; "
                                          "confirm that they are."), field="fees_settled")
            permit.valid_to = permit.valid_to or valid_from
        if valid_to and valid_to < valid_from:
            raise DomainError(gettext("The permit cannot end before it starts."), field="valid_to")
        code = PERMIT_CODES[kind]
        permit.number = f"{self.permit_no}-{code}{Counter.next(f'{self.pk}:{kind}'):02d}"
        try:
            self._write("issue_permit", user, {"push__permits": permit}, note=permit.number,
                        extra_query={"permits__key__ne": key}, changes=False)
        except DomainError:
            fresh = Renovation.objects(pk=self.pk).first()
            if fresh is None or fresh.permit(key) is None:
                raise
            self._reload_from(fresh)  # the same form was posted twice at once: one permit
        return self.permit(key)

    def revoke_permit(self, user, key: str, reason: str):
        self.authorize("revoke_permit", user)
        permit = self.permit(key)
        if permit is None:
            raise DomainError(gettext("No such permit in this file."))
        if permit.status == "revoked":
            raise DomainError(gettext("Permit %(no)s is already revoked.", no=permit.number))
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(gettext("Give the reason for revoking the permit."), field="reason")
        index = self.permits.index(permit)
        return self._write("revoke_permit", user, {
            f"set__permits__{index}__status": "revoked", f"set__permits__{index}__revoked_at": clock.now(),
            f"set__permits__{index}__revoked_by_name": user.display_name,
            f"set__permits__{index}__revoke_reason": reason[:300]},
            note=f"{permit.number}: {reason[:200]}", changes=False,
            extra_query={f"permits__{index}__key": key, f"permits__{index}__status": "active"})

    # ---- patrols ----
    def log_patrol(self, user, key: str | None = None, on=None, phase=None, findings: str = "",
                   violations=()):
        """Record a patrol (and its violations); the next due date follows the phase rule.

        violations: dicts with type, description, deduction, deadline. `key` is the form's
        one-time key, so a double submit records one patrol.
        """
        self.authorize("log_patrol", user)
        self.require_state("log_patrol")
        key = (key or new_key())[:40]
        if any(p.key == key for p in self.patrols):
            return next(p for p in self.patrols if p.key == key)
        today = self.today()
        on = as_date(on) or today
        if on > today:
            raise DomainError(gettext("A patrol cannot be dated in the future."), field="on")
        if self.started_on and on < as_date(self.started_on):
            raise DomainError(gettext("The patrol date is before the work started."), field="on")
        phase = phase or self.phase
        if phase not in dict(PHASES):
            raise DomainError(gettext("Choose a phase."), field="phase")
        rows = []
        for v in violations or []:
            if not v or not (v.get("type") or v.get("description")):
                continue
            if v.get("type") not in dict(VIOLATION_TYPES):
                raise DomainError(gettext("Choose the type of each violation."), field="violations")
            deduction = to_money(v.get("deduction")) or Decimal("0.00")
            if deduction < 0:
                raise DomainError(gettext("The amount cannot be negative."), field="violations")
            deadline = as_date(v.get("deadline"))
            if deadline and deadline < on:
                raise DomainError(gettext("The deadline to rectify cannot be before the patrol."),
                                  field="violations")
            rows.append(Violation(key=new_key(), type=v["type"], description=(v.get("description") or "").strip()[:500],
                                  deduction=deduction, deadline=deadline))
        findings = (findings or "").strip()
        if not findings and not rows:
            raise DomainError(gettext("Write down what you found (or “no problems”)."), field="findings")
        patrol = Patrol(key=key, on=on, at=clock.now(), inspector=user, inspector_name=user.display_name,
                        phase=phase, findings=findings[:2000], violations=rows)
        last = max([as_date(p.on) for p in self.patrols] + [on])
        due = next_patrol_due(self.phase, as_date(self.phase_since), last, as_date(self.installation_on))
        note = f"{on} {phase_label(phase)}" + (f"; {len(rows)} ✕" if rows else "")
        for attempt in range(3):
            try:
                self._write("log_patrol", user, {"push__patrols": patrol, "set__next_patrol_due": due},
                            note=note, check_version=True, changes=False,
                            extra_query={"patrols__key__ne": key})
                break
            except DomainError:
                fresh = Renovation.objects(pk=self.pk).first()
                if fresh is None or fresh.state != "in_progress" or attempt == 2:
                    raise
                self._reload_from(fresh)
                if any(p.key == key for p in self.patrols):
                    break
                last = max([as_date(p.on) for p in self.patrols] + [on])
                due = next_patrol_due(self.phase, as_date(self.phase_since), last, as_date(self.installation_on))
        return next(p for p in self.patrols if p.key == key)

    def rectify_violation(self, user, patrol_key: str, violation_key: str, on=None):
        self.authorize("rectify", user)
        self.require_state("rectify")
        for pi, patrol in enumerate(self.patrols):
            for vi, violation in enumerate(patrol.violations):
                if patrol.key == patrol_key and violation.key == violation_key:
                    if violation.rectified_on:
                        raise DomainError(gettext("This violation is already marked as rectified."))
                    on = as_date(on) or self.today()
                    if on > self.today() or on < as_date(patrol.on):
                        raise DomainError(gettext("The rectification date must be between the patrol and today."),
                                          field="on")
                    path = f"patrols__{pi}__violations__{vi}"
                    return self._write("rectify", user, {
                        f"set__{path}__rectified_on": on,
                        f"set__{path}__rectified_by_name": user.display_name},
                        note=f"{as_date(patrol.on)} {dict(VIOLATION_TYPES).get(violation.type)}", changes=False,
                        extra_query={f"{path}__key": violation_key, f"{path}__rectified_on": None})
        raise DomainError(gettext("No such violation in this file."))

    # ---- attachments ----
    def attach(self, user, kind: str, filename: str, data: bytes, patrol_key: str | None = None):
        """Store a file in GridFS after checking its real type (by content) and size."""
        self.authorize("attach", user)
        self.require_state("attach")
        if kind not in dict(ATTACHMENT_KINDS):
            raise DomainError(gettext("Choose what kind of document this is."), field="kind")
        name, content_type = (PHOTO_UPLOAD if kind == "photo" else DOCUMENT_UPLOAD).check(filename, data)
        attachment = RenovationAttachment(
            community=self.community, renovation=self, kind=kind, filename=name, content_type=content_type,
            size=len(data), sha256=hashlib.sha256(data).hexdigest(), patrol_key=patrol_key,
            uploaded_at=clock.now(), uploaded_by=user, uploaded_by_name=user.display_name)
        store(attachment.file, data, content_type, name)
        attachment.save()
        audit.record("attach", self, note=f"{dict(ATTACHMENT_KINDS)[kind]}: {name}", actor=user)
        return attachment

    def remove_attachment(self, user, attachment):
        self.authorize("remove_attachment", user)
        self.require_state("remove_attachment")
        if attachment.renovation.pk != self.pk:
            raise DomainError(gettext("No such file in this renovation file."))
        if attachment.patrol_key:
            raise DomainError(gettext("Patrol photos are evidence and cannot be removed."))
        deleted = RenovationAttachment.objects(pk=attachment.pk).delete()
        if deleted:
            attachment.file.delete()
            audit.record("remove_attachment", self, note=f"{attachment.kind}: {attachment.filename}",
                         actor=user)

    def delete(self, *args, **kwargs):
        """Only a draft may be deleted; a submitted file is kept (archived when closed)."""
        if self.state != "draft":
            raise DomainError(gettext("Only a draft can be deleted; this file is kept."))
        for attachment in RenovationAttachment.objects(renovation=self):
            attachment.file.delete()
            attachment.delete()
        return super().delete(*args, **kwargs)


#: action -> states it may start from (the explicit state machine)
TRANSITIONS = {
    "submit": ("draft",),
    "flat_inspection": ("submitted", "flat_failed"),
    "approve": ("flat_passed",),
    "reject": ("submitted", "flat_failed", "flat_passed"),
    "start": ("approved",),
    "set_phase": ("in_progress",),
    "initial_inspection": ("in_progress",),
    "final_inspection": ("initial_inspected", "final_failed"),
    "refund": ("final_passed",),
    "archive": ("refunded", "rejected"),
    "issue_permit": ("approved", "in_progress", "initial_inspected", "final_failed", "final_passed"),
    "revoke_permit": tuple(s for s, _label in STATES),
    "log_patrol": ("in_progress",),
    "rectify": ("in_progress", "initial_inspected", "final_failed", "final_passed"),
    "attach": tuple(s for s, _label in STATES if s not in ("rejected", "archived")),
    "remove_attachment": ("draft", "submitted", "flat_failed", "flat_passed"),
}


class RenovationAttachment(CommunityOwned):
    """A contractor's document or a photo of a renovation file, kept in GridFS."""
    renovation = ReferenceField(Renovation, required=True, verbose_name=_l("Renovation file"))
    kind = StringField(choices=ATTACHMENT_KINDS, required=True, verbose_name=_l("Document"))
    filename = StringField(max_length=200, verbose_name=_l("File name"))
    content_type = StringField(verbose_name=_l("Type"))
    size = IntField(verbose_name=_l("Size"))
    sha256 = StringField()
    file = FileField(collection_name="renovation_files")
    patrol_key = StringField()
    uploaded_at = DateTimeField(verbose_name=_l("Uploaded at"))
    uploaded_by = ReferenceField("Staff")
    uploaded_by_name = StringField(verbose_name=_l("Uploaded by"))

    meta = {"collection": "renovation_attachments",
            "indexes": [("renovation", "kind"), "community"], "ordering": ["uploaded_at"]}

    def __str__(self):
        return self.filename or ""

    def read(self) -> bytes:
        return read_stored(self.file)


class DepositRefund(CommunityOwned):
    """The one refund of a renovation deposit (unique per file) and its receipt."""
    renovation = ReferenceField(Renovation, required=True, unique=True, verbose_name=_l("Renovation file"))
    household = ReferenceField(Household, verbose_name=_l("Household"))
    room_code = StringField(verbose_name=_l("Room"))
    permit_no = StringField(verbose_name=_l("Permit no."))
    receipt_no = StringField(required=True, unique=True, verbose_name=_l("Receipt no."))
    deposit = MoneyField(verbose_name=_l("Renovation deposit"))
    deductions = MoneyField(verbose_name=_l("Deductions"))
    amount = MoneyField(verbose_name=_l("Amount refunded"))
    method = StringField(choices=REFUND_METHODS, verbose_name=_l("Refund method"))
    paid_to = StringField(verbose_name=_l("Paid to"))
    paid_by = ReferenceField("Staff", verbose_name=_l("Refunded by"))
    paid_by_name = StringField(verbose_name=_l("Refunded by"))
    paid_at = DateTimeField(verbose_name=_l("Refunded at"))

    meta = {"collection": "renovation_refunds", "indexes": ["community", "paid_at"]}

    def __str__(self):
        return self.receipt_no


class Counter(Document):
    """Gap-free sequence numbers (permits, receipts): one atomic increment per number."""
    key = StringField(required=True, unique=True)
    value = IntField(default=0)

    meta = {"collection": "renovation_counters"}

    @classmethod
    def next(cls, key: str) -> int:
        return cls.objects(key=key).modify(upsert=True, new=True, inc__value=1).value


def due_patrols(queryset, today_of=local_today, buildings=None):
    """Files in progress whose patrol is due today or overdue (by each community's today)."""
    rows = []
    for renovation in queryset.filter(state="in_progress", next_patrol_due__ne=None).order_by("next_patrol_due"):
        if buildings is not None and renovation.building_no not in buildings:
            continue
        status = renovation.patrol_status(today_of(renovation.community))
        if status:
            rows.append((renovation, status))
    return rows


@timeline.register
def _renovation_events(household):
    """Every step, patrol, permit and refund of the household's renovation files."""
    items = []
    for entry in audit.AuditEntry.objects(collection="renovations", household=household) \
            .order_by("-at").limit(200):
        items.append(timeline.TimelineItem(
            at=entry.at, kind=str(_l("Renovation")), title=audit.action_label(entry.action),
            actor=entry.actor_name or "", detail=" ".join(x for x in (entry.record_label, entry.note) if x),
            endpoint="renovations.details_view", url_args={"id": entry.record_id}))
    return items

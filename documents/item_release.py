"""Item release (物品放行, seed 003 物品放行作业指导书; DOMAIN.md "Item release").

Every item leaving the estate needs an item in/out form (物品出入登记表): the household, the items
and their quantities (at least one), the day, the vehicle plate, the driver's name and driving
licence or ID number. Steps, on the workflow engine:

    applied -confirm_fees (客户服务员落实费用结算, "agree to release")-> agreed
    agreed -sign (the owner signs; a tenant's form carries the owner's consent)-> signed
    signed -release (the guard at the gate: plate and items checked)-> released
    applied/agreed/signed -cancel-> cancelled

Fees: the area's customer-service staff ask the fees area (`fees_settled(household, day)`); arrears
block the release unless a supervisor overrides with a reason (recorded with the owed amount).
Company (public) items need the owning unit's outbound certificate (外运证明), recorded before the
form is signed. A pass is valid for its day only and is released once: the release is one
conditional write on the state, so two guards (or a double click) mark it once.

One form for every release: a household moving things out (source "household") and a renovation's large
items (source "renovation": the form names the renovation file, whose rule says when its items may leave —
while its permit is active, up to the planned end — and always records the driver). Same steps, same pass,
same print (with the QR code of the guard's look-up page).

Month end (月底报负责人存档): a month's forms are listed and printed as one bundle and the month is
closed (`ReleaseMonth`, unique per community and month): no form is added to or taken out of a
closed month.
"""
import re

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (DateField, DateTimeField, EmbeddedDocument, EmbeddedDocumentListField, IntField,
                         ReferenceField, StringField)
from mongoengine.errors import NotUniqueError

from app import clock
from app.permissions import can
from documents import audit, timeline
from documents.base import CommunityOwned, DomainError, PermissionDenied, RuleErrors, Versioned
from documents.deadlines import local_date, zone_of
from documents.files import JPEG, MB, PDF, PNG, UploadedFile, UploadRule
from documents.fees import fees_settled
from documents.fees.vacancy import month_bounds, period_of
from documents.services import save_numbered
from documents.validators import PLATE_RE, id_document_problem
from documents.workflow import Step, Workflow, Workflowed, authorize_area, declare

AREA = "item_release"
NUMBER_PREFIX = "FX"
#: at most this many lines on one form, and this many of one item
MAX_ITEMS = 30
MAX_QUANTITY = 9999

APPLICANTS = [("owner", _l("Owner")), ("tenant", _l("Tenant")), ("company", _l("Company (public) items"))]
DRIVER_ID_TYPES = [("licence", _l("Driving licence")), ("id_card", _l("ID card"))]
STATES = [("applied", _l("Applied")), ("agreed", _l("Agreed to release")), ("signed", _l("Signed by the owner")),
          ("released", _l("Released at the gate")), ("cancelled", _l("Cancelled"))]
OPEN_STATES = ("applied", "agreed", "signed")
SOURCES = [("household", _l("Residents' items")), ("renovation", _l("Renovation (large items)"))]
ITEM_LINE_RE = re.compile(r"^(?P<name>.+?)\s*[x×*]?\s*(?P<qty>\d+)$")


class ReleaseItem(EmbeddedDocument):
    name = StringField(required=True, max_length=60, verbose_name=_l("Item"))
    quantity = IntField(required=True, min_value=1, max_value=MAX_QUANTITY, verbose_name=_l("Quantity"))


def parse_items(text: str) -> list[ReleaseItem]:
    """"沙发 2" per line (name, then the quantity; "× 2" also) -> items; a wrong line is refused."""
    items = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = ITEM_LINE_RE.match(line)
        if not match or not match.group("name").strip():
            raise DomainError(gettext("Line %(n)d: write the item, then its quantity, e.g. “Sofa 2”.", n=number),
                              field="items")
        quantity = int(match.group("qty"))
        if not 1 <= quantity <= MAX_QUANTITY:
            raise DomainError(gettext("Line %(n)d: the quantity must be from 1 to %(max)d.", n=number,
                                      max=MAX_QUANTITY), field="items")
        items.append(ReleaseItem(name=match.group("name").strip()[:60], quantity=quantity))
    return items


def items_text(items) -> str:
    return "\n".join(f"{item.name} {item.quantity}" for item in items or [])


def normal_plate(value: str) -> str:
    return re.sub(r"[\s·.-]", "", (value or "").upper())


def _text(value) -> str | None:
    return (value or "").strip() or None


def _contractor(renovation) -> str | None:
    contractor = getattr(renovation, "contractor", None)
    return _text(" ".join(filter(None, (contractor.company, contractor.site_manager)))[:120]) if contractor else None


def community_today(community):
    return local_date(clock.now(), zone_of(community))


class ReleaseMonth(CommunityOwned):
    """A closed month: its forms are archived (printed as one bundle) and no longer change."""
    period = StringField(required=True, max_length=7, verbose_name=_l("Month"))
    forms = IntField(default=0, verbose_name=_l("Forms"))
    closed_at = DateTimeField(verbose_name=_l("Closed on"))
    closed_by = StringField(max_length=60, verbose_name=_l("Closed by"))

    meta = {"collection": "item_release_months",
            "indexes": [{"fields": ["community", "period"], "unique": True}], "ordering": ["-period"]}

    @classmethod
    def is_closed(cls, community, day) -> bool:
        return day is not None and cls.objects(community=community, period=period_of(day)).first() is not None


class ItemRelease(CommunityOwned, Versioned, Workflowed):
    number = StringField(max_length=30, verbose_name=_l("Pass no."))
    household = ReferenceField("Household", verbose_name=_l("Household"))
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    building_no = StringField(max_length=10, verbose_name=_l("Building no."))
    applicant = StringField(choices=APPLICANTS, default="owner", required=True, verbose_name=_l("Whose items"))
    source = StringField(choices=SOURCES, default="household", verbose_name=_l("Source"))
    renovation = ReferenceField("Renovation", verbose_name=_l("Renovation"))
    renovation_permit_no = StringField(max_length=30, verbose_name=_l("Renovation permit"))
    renovation_contractor = StringField(max_length=120, verbose_name=_l("Contractor"))
    applicant_name = StringField(required=True, max_length=60, verbose_name=_l("Applicant"))
    owner_consent = StringField(max_length=200, verbose_name=_l("Owner's consent"))
    certificate = StringField(max_length=200, verbose_name=_l("Outbound certificate (外运证明)"))
    items = EmbeddedDocumentListField(ReleaseItem, verbose_name=_l("Items and quantities"))
    release_on = DateField(required=True, verbose_name=_l("Release day"))
    vehicle_plate = StringField(max_length=12, verbose_name=_l("Vehicle plate"))
    driver_name = StringField(max_length=60, verbose_name=_l("Driver"))
    driver_id_type = StringField(choices=DRIVER_ID_TYPES, default="licence", verbose_name=_l("Driver's document"))
    driver_id = StringField(max_length=30, verbose_name=_l("Driving licence or ID number"))
    state = StringField(choices=STATES, default="applied", verbose_name=_l("State"))
    registered_by = StringField(max_length=60, verbose_name=_l("Registered by"))
    registered_at = DateTimeField(verbose_name=_l("Registered on"))
    owed = StringField(max_length=20, verbose_name=_l("Fees owed when checked"))
    fees_checked_by = StringField(max_length=60, verbose_name=_l("Agreed by (customer service)"))
    fees_checked_at = DateTimeField(verbose_name=_l("Agreed on"))
    override_reason = StringField(max_length=500, verbose_name=_l("Arrears overridden because"))
    signed_by_name = StringField(max_length=60, verbose_name=_l("Signed by"))
    signed_at = DateTimeField(verbose_name=_l("Signed on"))
    released_by = StringField(max_length=60, verbose_name=_l("Released by (guard)"))
    released_at = DateTimeField(verbose_name=_l("Released on"))
    gate_note = StringField(max_length=500, verbose_name=_l("Gate note"))
    cancel_reason = StringField(max_length=500, verbose_name=_l("Reason for cancelling"))

    meta = {
        "collection": "item_releases",
        "indexes": [{"fields": ["community", "number"], "unique": True}, ("community", "-release_on"),
                    ("community", "state"), ("community", "room_code"), ("community", "applicant_name"),
                    ("community", "building_no"), ("community", "applicant"), "household", "number",
                    ("community", "source"), "renovation"],
        "ordering": ["-release_on", "-number"],
    }

    def __str__(self):
        return f"{self.number or ''} {self.room_code or ''}".strip()

    @property
    def applicant_label(self) -> str:
        return str(dict(APPLICANTS).get(self.applicant, self.applicant or ""))

    @property
    def source_label(self) -> str:
        return str(dict(SOURCES).get(self.source or "household", self.source or ""))

    @property
    def items_summary(self) -> str:
        return "、".join(f"{item.name} × {item.quantity}" for item in self.items or [])

    def clean(self):
        errors = RuleErrors()
        if not self.items:
            errors.add("items", gettext("List at least one item and its quantity."))
        elif len(self.items) > MAX_ITEMS:
            errors.add("items", gettext("At most %(n)d lines on one form.", n=MAX_ITEMS))
        if not (self.applicant_name or "").strip():
            errors.add("applicant_name", gettext("Who takes the items out?"))
        self._check_vehicle(errors)
        self._check_party(errors)
        errors.raise_any()

    def _check_vehicle(self, errors):
        """The plate (a real plate), and with a vehicle its driver's name and licence or ID number."""
        if self.vehicle_plate:
            self.vehicle_plate = normal_plate(self.vehicle_plate)
            if not PLATE_RE.match(self.vehicle_plate):
                errors.add("vehicle_plate", gettext("Not a valid plate number, e.g. 粤B12345 or 粤BD12345."))
            if not (self.driver_name or "").strip():
                errors.add("driver_name", gettext("Record the driver's name."))
            if not (self.driver_id or "").strip():
                errors.add("driver_id", gettext("Record the driver's licence or ID number."))
        elif self.source == "renovation":      # the renovation's rule: its large items leave with a known driver
            if not (self.driver_name or "").strip():
                errors.add("driver_name", gettext("Record the driver's name."))
            if not (self.driver_id or "").strip():
                errors.add("driver_id", gettext("Record the driver's licence or ID number."))
        if self.driver_id:
            self.driver_id = self.driver_id.strip().upper()
            problem = id_document_problem("id_card", self.driver_id)
            if problem and not re.match(r"^[0-9A-Z]{10,18}$", self.driver_id):
                errors.add("driver_id", problem)

    def _check_party(self, errors):
        """Whose items: a household's (a tenant's with the owner's consent), or the company's."""
        if self.applicant == "tenant" and not (self.owner_consent or "").strip():
            errors.add("owner_consent", gettext("A tenant's items leave with the owner's consent: record who "
                                                "consented and how."))
        if self.applicant != "company" and self.household is None:
            errors.add("household", gettext("Choose the household whose items leave."))
        if self.household is not None:
            if self.community and self.household.community.pk != self.community.pk:
                errors.add("household", gettext("The household belongs to another community."))
            self.room_code = self.household.room_code
            self.building_no = self.household.room.building_no if self.household.room else None

    @classmethod
    def register(cls, user, community, *, items, release_on, applicant="owner", applicant_name="", household=None,
                 vehicle_plate="", driver_name="", driver_id="", driver_id_type="licence", owner_consent="",
                 certificate="", renovation=None):
        """The front desk fills in the form with the resident; nothing is saved when a rule refuses.

        `renovation`: the renovation file whose large items leave (its household and community; its rule
        says whether items may leave that day)."""
        authorize_area(AREA, "create", user, community, label=_l("Register a release form"))
        if isinstance(items, str):
            items = parse_items(items)
        if release_on is not None and release_on < community_today(community):
            raise DomainError(gettext("The release day cannot be in the past."), field="release_on")
        if ReleaseMonth.is_closed(community, release_on):
            raise DomainError(gettext("That month is closed and archived; choose another day."), field="release_on")
        source = "household"
        if renovation is not None:
            if renovation.community.pk != community.pk:
                raise DomainError(gettext("The renovation belongs to another community."))
            problem = renovation.item_release_problem(release_on)
            if problem:
                raise DomainError(problem, field="release_on")
            source, household, applicant = "renovation", renovation.household, "owner"
            applicant_name = applicant_name or renovation.applicant
        form = cls(community=community, household=household, items=items, release_on=release_on, source=source,
                   renovation=renovation, renovation_permit_no=getattr(renovation, "permit_no", None),
                   renovation_contractor=_contractor(renovation),
                   applicant=applicant, applicant_name=_text(applicant_name) or getattr(household, "name", None),
                   vehicle_plate=_text(vehicle_plate), driver_name=_text(driver_name), driver_id=_text(driver_id),
                   driver_id_type=driver_id_type or "licence", owner_consent=_text(owner_consent),
                   certificate=_text(certificate), registered_by=user.display_name, registered_at=clock.now())
        return save_numbered(form, user, NUMBER_PREFIX)

    # --- the steps ---
    def authorize_step(self, step, user):
        """A housekeeper (客户服务员 of an area) agrees only for the buildings they look after."""
        if self.granted_only_as(step, user, "housekeeper") and self.building_no not in (user.buildings or []):
            raise PermissionDenied(gettext(
                "Building %(no)s is not one of the buildings you look after.", no=self.building_no))

    def confirm_fees(self, user, override_reason: str = ""):
        """Customer service asks the fees area and agrees to release; arrears need a supervisor's override."""
        self.check("confirm_fees", user)
        reason = (override_reason or "").strip()
        owed = ""
        if self.household is not None:
            settlement = fees_settled(self.household, self.release_on)
            if not settlement.settled:
                owed = str(settlement.owed)
                if not reason:
                    raise DomainError(gettext("The household owes %(owed)s yuan in fees: the release waits until "
                                              "they are paid, or a supervisor overrides with a reason.", owed=owed),
                                      field="override_reason")
                if not can(AREA, "action:override_arrears", user):
                    raise DomainError(gettext("Only a supervisor may release despite arrears."),
                                      field="override_reason")
        return self.transition("confirm_fees", user, values={
            "fees_checked_by": user.display_name, "fees_checked_at": clock.now(), "owed": owed or None,
            "override_reason": reason if owed else None}, note=reason or None, checked=False)

    def sign(self, user, signed_by: str = "", certificate: str = "", certificate_file=None):
        """The owner (or, for company items, the unit's agent) signs the form. Company items need the
        owning unit's outbound certificate attached (`certificate_file`: (file name, bytes)) and named."""
        self.check("sign", user)
        name = (signed_by or "").strip()
        if not name:
            raise DomainError(gettext("Who signed the form?"), field="signed_by")
        values = {"signed_by_name": name, "signed_at": clock.now()}
        checked = CERTIFICATE_UPLOAD.accept(*certificate_file) if certificate_file and certificate_file[1] else None
        if self.applicant == "company":
            certificate = (certificate or "").strip() or self.certificate
            if checked is None and ReleaseCertificate.objects(release=self).first() is None:
                raise DomainError(gettext("Company items leave only with the owning unit's outbound certificate "
                                          "(外运证明): attach it."), field="certificate_file")
            if not certificate:
                raise DomainError(gettext("Name the certificate: its number and the unit that issued it."),
                                  field="certificate")
            values["certificate"] = certificate
        self.transition("sign", user, values=values, checked=False)
        if checked is not None:
            attach_certificate(self, checked, user)
        return self

    def release(self, user, plate_seen: str = "", items_checked: bool = False, note: str = ""):
        """The guard at the gate: its day only, the plate as written, the items checked; once."""
        self.check("release", user)
        today = community_today(self.community)
        if today != self.release_on:
            raise DomainError(gettext("This pass is valid on %(day)s only (today is %(today)s).",
                                      day=self.release_on.isoformat(), today=today.isoformat()), field="plate_seen")
        if self.vehicle_plate and normal_plate(plate_seen) != self.vehicle_plate:
            raise DomainError(gettext("The plate does not match the pass (%(plate)s): do not release.",
                                      plate=self.vehicle_plate), field="plate_seen")
        if not items_checked:
            raise DomainError(gettext("Check the items against the pass first."), field="items_checked")
        return self.transition("release", user, values={
            "released_by": user.display_name, "released_at": clock.now(),
            "gate_note": (note or "").strip() or None}, note=note or None, checked=False)

    def cancel(self, user, reason: str = ""):
        self.check("cancel", user)
        if not (reason or "").strip():
            raise DomainError(gettext("Say why the form is cancelled."), field="reason")
        return self.transition("cancel", user, values={"cancel_reason": reason.strip()}, checked=False)


CERTIFICATE_UPLOAD = UploadRule(types=frozenset({PDF, JPEG, PNG}), max_bytes=10 * MB, same_extension=True,
                                field="certificate_file", default_name="certificate",
                                refused=_l("%(name)s is not accepted: only PDF, JPEG or PNG files can be attached."))


class ReleaseCertificate(UploadedFile):
    """The outbound certificate (外运证明) of company items, served only through the item release view."""
    release = ReferenceField(ItemRelease, required=True)
    meta = {"collection": "item_release_certificates", "indexes": ["release"]}


def attach_certificate(record, checked, user) -> ReleaseCertificate:
    name, kind, data = checked
    stored = ReleaseCertificate(community=record.community, release=record, uploaded_by=user,
                                uploaded_by_name=user.display_name, uploaded_at=clock.now(), size=len(data))
    stored.keep(data, kind, name)
    stored.save()
    audit.record("attach", record, note=name, actor=user)
    return stored


def _month_open(record, user):
    if ReleaseMonth.is_closed(record.community, record.release_on):
        raise DomainError(gettext("The month of this form is closed and archived."))


def _released_already(record, user):
    if record.state == "released":
        raise DomainError(gettext("This pass was already released."))


declare(ItemRelease, Workflow(AREA, [
    Step("confirm_fees", ("applied",), "agreed", label=_l("Agree to release"), preconditions=(_month_open,)),
    Step("sign", ("agreed",), "signed", label=_l("Owner signs"), needs=_l("Customer service agrees first."),
         preconditions=(_month_open,)),
    Step("release", ("signed",), "released", label=_l("Release at the gate"),
         needs=_l("The pass is released once, after customer service agreed and the owner signed."),
         preconditions=(_month_open,)),
    Step("cancel", OPEN_STATES, "cancelled", label=_l("Cancel"), preconditions=(_month_open,)),
]))


def find_pass(user, number: str):
    """The guard's look-up: a pass by its number (typed, or read from the QR code), in their communities."""
    number = (number or "").strip().upper()
    if not number:
        return None
    return ItemRelease.objects.for_user(user).filter(number=number).first()


def renovation_forms(renovation):
    """The release forms of a renovation's large items, the latest first."""
    return ItemRelease.objects(renovation=renovation).order_by("-release_on", "-number")


def month_forms(community, period: str):
    first, last = month_bounds(period)
    return ItemRelease.objects(community=community, release_on__gte=first, release_on__lte=last) \
        .order_by("release_on", "number")


def close_month(user, community, period: str) -> ReleaseMonth:
    """Archive a month (月底存档): every form of it must be released or cancelled; closed once."""
    authorize_area(AREA, "action:close_month", user, community, label=_l("Close the month"))
    first, _last = month_bounds(period)
    if first > community_today(community):
        raise DomainError(gettext("A month is closed at its end, not before."), field="period")
    forms = list(month_forms(community, period))
    still_open = [f.number for f in forms if f.state in OPEN_STATES]
    if still_open:
        raise DomainError(gettext("Forms still open in that month: %(numbers)s. Release or cancel them first.",
                                  numbers=", ".join(still_open[:10])), field="period")
    record = ReleaseMonth(community=community, period=period, forms=len(forms), closed_at=clock.now(),
                          closed_by=user.display_name)
    try:
        record.save(force_insert=True)
    except NotUniqueError:
        raise DomainError(gettext("That month is already closed."), field="period") from None
    audit.record("close_month", record, actor=user)
    return record


audit.register_action_labels({"close_month": _l("Month closed"), "attach": _l("Certificate attached")},
                             area=AREA, collections=["item_release_months", "item_releases"])


@timeline.register
def _releases_of(household):
    return [timeline.TimelineItem(
        at=form.released_at or form.registered_at, kind=gettext("Item release"),
        title=f"{form.number} · {form.state_label}", detail=form.items_summary[:120],
        endpoint="item_release.details_view", url_args={"id": str(form.pk)})
        for form in ItemRelease.objects(household=household).order_by("-release_on").limit(100)]

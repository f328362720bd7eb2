"""Lost & found (物品拾遗, seed 003 物品拾遗作业指导书; DOMAIN.md "Lost & found").

The front desk registers what staff or residents hand in (《拾遗物品登记表》): place, time, item,
description, finder, photos, whether it is valuable (cash, phones…), where it is kept. Then:

    held -to_office-> office -to_company-> company        (each hand-over: who, when, a note)
    held/office -claim-> claimed

Clocks on the agenda (each computed by the agenda's calendar from the time it was found):
- the found-item notice (招领启事) on the notice boards is valid for one week;
- a valuable not claimed the same day goes to the administration office by the end of that day;
- any other item goes to the administration office at the end of the month it was found in;
- after 3 months unclaimed it is handed to the company for disposal - never before.

The claim: the owner shows the original ID card (its number recorded, shown masked afterwards),
describes the item (the clerk checks the description) and signs.
"""
from calendar import monthrange
from datetime import date, timedelta

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateTimeField, EmbeddedDocument, EmbeddedDocumentListField, ReferenceField,
                         StringField)

from app import clock
from documents import audit, timeline
from documents.agenda import ClockKind, declare_clocks
from documents.base import CommunityOwned, DomainError, RuleErrors, Versioned
from documents.deadlines import local_date, start_of_local_day, zone_of
from documents.files import GIF, JPEG, MB, PNG, WEBP, UploadedFile, UploadRule
from documents.fees.vacancy import add_months, month_bounds
from documents.residents import ID_TYPES
from documents.service_calendar import Span
from documents.services import CLOCK_SKEW, save_numbered
from documents.validators import id_document_problem
from documents.workflow import Step, Workflow, Workflowed, authorize_area, declare

AREA = "lost_found"
NUMBER_PREFIX = "SW"
# --- the numbers of the rules (seed 003 4.5-4.8), each named once ---
#: the found-item notice is posted for this long
NOTICE_DAYS = 7
#: unclaimed this many months: handed to the company for disposal
DISPOSAL_MONTHS = 3
MAX_PHOTOS = 6
#: the register print covers at most this many days (a month, a quarter, a year)
MAX_REGISTER_DAYS = 366

FINDERS = [("staff", _l("Staff")), ("resident", _l("Resident")), ("other", _l("Other"))]
STATES = [("held", _l("Kept at the front desk")), ("office", _l("At the administration office")),
          ("company", _l("Handed to the company for disposal")), ("claimed", _l("Claimed"))]
UNCLAIMED = ("held", "office")
PHOTO_UPLOAD = UploadRule(types=frozenset({JPEG, PNG, GIF, WEBP}), max_bytes=5 * MB, field="photos",
                          refused=_l("%(name)s is not a JPEG, PNG, GIF or WebP picture."), default_name="photo")


class HandOver(EmbeddedDocument):
    to = StringField(choices=[("office", _l("Administration office")), ("company", _l("Company"))],
                     verbose_name=_l("To"))
    by = StringField(max_length=60, verbose_name=_l("By"))
    received_by = StringField(max_length=60, verbose_name=_l("Received by"))
    at = DateTimeField(verbose_name=_l("On"))
    note = StringField(max_length=500, verbose_name=_l("Note"))


def month_end_day(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


class FoundItem(CommunityOwned, Versioned, Workflowed):
    DERIVED_FIELDS = ("notice_until", "office_due_at", "company_due_at")

    number = StringField(max_length=30, verbose_name=_l("Number"))
    item = StringField(required=True, max_length=100, verbose_name=_l("Item"))
    description = StringField(max_length=1000, verbose_name=_l("Description"))
    place = StringField(required=True, max_length=200, verbose_name=_l("Where found"))
    found_at = DateTimeField(required=True, verbose_name=_l("Found on"))
    finder_kind = StringField(choices=FINDERS, default="staff", verbose_name=_l("Finder is"))
    finder_name = StringField(required=True, max_length=60, verbose_name=_l("Finder"))
    valuable = BooleanField(default=False, verbose_name=_l("Valuable (cash, phone…)"))
    kept_at = StringField(required=True, max_length=200, verbose_name=_l("Kept at"))
    state = StringField(choices=STATES, default="held", verbose_name=_l("State"))
    registered_by = StringField(max_length=60, verbose_name=_l("Registered by"))
    registered_at = DateTimeField(verbose_name=_l("Registered on"))
    notice_until = DateTimeField(verbose_name=_l("Notice posted until"))
    office_due_at = DateTimeField(verbose_name=_l("To the administration office by"))
    company_due_at = DateTimeField(verbose_name=_l("To the company for disposal from"))
    to_office_at = DateTimeField(verbose_name=_l("To the administration office on"))
    to_company_at = DateTimeField(verbose_name=_l("To the company on"))
    handovers = EmbeddedDocumentListField(HandOver, verbose_name=_l("Hand-overs"))
    claimant_name = StringField(max_length=60, verbose_name=_l("Claimant"))
    claimant_id_type = StringField(choices=ID_TYPES, verbose_name=_l("ID type"))
    claimant_id_number = StringField(max_length=30, verbose_name=_l("ID number"))
    claimant_description = StringField(max_length=1000, verbose_name=_l("How the claimant described it"))
    claimant_signed = StringField(max_length=60, verbose_name=_l("Signed by the claimant"))
    claimed_at = DateTimeField(verbose_name=_l("Claimed on"))
    claim_checked_by = StringField(max_length=60, verbose_name=_l("Checked by"))

    meta = {
        "collection": "found_items",
        "indexes": [{"fields": ["community", "number"], "unique": True}, ("community", "-found_at"),
                    ("community", "state"), ("community", "valuable"), ("community", "item"), ("community", "claimant_id_number"), "number"],
        "ordering": ["-found_at"],
    }

    def __str__(self):
        return f"{self.number or ''} {self.item or ''}".strip()

    @property
    def finder_kind_label(self) -> str:
        return str(dict(FINDERS).get(self.finder_kind, self.finder_kind or ""))

    @property
    def found_day(self) -> date:
        return local_date(self.found_at, zone_of(self.community))

    def clean(self):
        errors = RuleErrors()
        if self.found_at and self.found_at > clock.now() + CLOCK_SKEW:
            errors.add("found_at", gettext("This time is in the future."))
        for name in ("item", "place", "finder_name", "kept_at"):
            if not (getattr(self, name) or "").strip():
                errors.add(name, gettext("This field is required."))
        errors.raise_any()
        self.compute_deadlines()

    def compute_deadlines(self):
        """The notice's week, the office hand-over (same day for valuables, else month end), 3 months."""
        if self.found_at is None or self.community is None:
            return
        found_day = self.found_day
        self.notice_until = NOTICE_CLOCK.deadline(self, self.found_at, Span(days=NOTICE_DAYS))
        office_from = self.found_at if self.valuable else start_of_local_day(month_end_day(found_day),
                                                                             zone_of(self.community))
        self.office_due_at = OFFICE_CLOCK.deadline(self, office_from, Span(end_of_day=True))
        days = (add_months(found_day, DISPOSAL_MONTHS) - found_day).days
        self.company_due_at = COMPANY_CLOCK.deadline(self, self.found_at, Span(days=days))

    @classmethod
    def register(cls, user, community, *, item, place, found_at, finder_name, kept_at, finder_kind="staff",
                 description="", valuable=False):
        authorize_area(AREA, "create", user, community, label=_l("Register a found item"))
        record = cls(community=community, item=(item or "").strip(), place=(place or "").strip(),
                     found_at=found_at or clock.now(), finder_kind=finder_kind or "staff",
                     finder_name=(finder_name or "").strip(), kept_at=(kept_at or "").strip(),
                     description=(description or "").strip() or None, valuable=bool(valuable),
                     registered_by=user.display_name, registered_at=clock.now())
        return save_numbered(record, user, NUMBER_PREFIX)

    # --- the steps ---
    def _hand_over(self, step, user, to, received_by, note, at_field):
        now = clock.now()
        entry = HandOver(to=to, by=user.display_name, received_by=(received_by or "").strip() or None, at=now,
                         note=(note or "").strip() or None)
        return self.transition(step, user, values={at_field: now},
                               ops={"push__handovers": entry.to_mongo().to_dict()}, note=note or None, checked=False)

    def to_office(self, user, received_by: str = "", note: str = ""):
        """Hand the item over to the administration office (部门行政)."""
        self.check("to_office", user)
        if not (received_by or "").strip():
            raise DomainError(gettext("Who at the administration office received it?"), field="received_by")
        return self._hand_over("to_office", user, "office", received_by, note, "to_office_at")

    def to_company(self, user, received_by: str = "", note: str = ""):
        """Hand an item unclaimed for 3 months to the company (企管部) for disposal; never earlier."""
        self.check("to_company", user)
        if clock.now() < self.company_due_at:
            raise DomainError(gettext("Unclaimed items go to the company for disposal only after %(n)d months: "
                                      "not before %(day)s.", n=DISPOSAL_MONTHS,
                                      day=local_date(self.company_due_at, zone_of(self.community)).isoformat()),
                              field="received_by")
        if not (received_by or "").strip():
            raise DomainError(gettext("Who at the company received it?"), field="received_by")
        return self._hand_over("to_company", user, "company", received_by, note, "to_company_at")

    def claim(self, user, claimant_name: str = "", id_type: str = "id_card", id_number: str = "",
              description: str = "", description_checked: bool = False, signed: str = ""):
        """The owner claims it: original ID card shown (number recorded), description checked, signed."""
        self.check("claim", user)
        errors = {}
        number = (id_number or "").strip().upper()
        if not number:
            errors["id_number"] = gettext("The claimant shows the original ID card: record its number.")
        else:
            problem = id_document_problem(id_type or "id_card", number)
            if problem:
                errors["id_number"] = problem
        if not (claimant_name or "").strip():
            errors["claimant_name"] = gettext("Who claims the item?")
        if not (description or "").strip():
            errors["description"] = gettext("Record how the claimant described the item.")
        elif not description_checked:
            errors["description_checked"] = gettext("Check the description against the item first.")
        if not (signed or "").strip():
            errors["signed"] = gettext("The claimant signs for the item.")
        if errors:
            field, message = next(iter(errors.items()))
            raise DomainError(message, field=field)
        return self.transition("claim", user, values={
            "claimant_name": claimant_name.strip(), "claimant_id_type": id_type or "id_card",
            "claimant_id_number": number, "claimant_description": description.strip(),
            "claimant_signed": signed.strip(), "claimed_at": clock.now(), "claim_checked_by": user.display_name},
            checked=False)


declare(FoundItem, Workflow(AREA, [
    Step("to_office", ("held",), "office", label=_l("Hand over to the administration office")),
    Step("to_company", ("office",), "company", label=_l("Hand over to the company for disposal"),
         needs=_l("Items go to the administration office first.")),
    Step("claim", UNCLAIMED, "claimed", label=_l("Claim")),
]))

NOTICE_CLOCK, OFFICE_CLOCK, COMPANY_CLOCK = declare_clocks(FoundItem, [
    ClockKind("found_notice", _l("Found-item notice (one week)"), UNCLAIMED, "notice_until", role="clerk"),
    ClockKind("found_to_office", _l("Found item to the administration office"), ("held",), "office_due_at",
              done_field="to_office_at", role="clerk"),
    ClockKind("found_to_company", _l("Unclaimed found item to the company"), UNCLAIMED, "company_due_at",
              done_field="to_company_at", role="supervisor"),
], area=AREA, endpoint="lost_found.details_view")


class FoundItemPhoto(UploadedFile):
    """A photo of a found item (GridFS), served only through the lost & found view."""
    found_item = ReferenceField(FoundItem, required=True)
    meta = {"collection": "found_item_photos", "indexes": ["found_item"]}


def add_photo(record, data: bytes, filename: str, actor) -> FoundItemPhoto:
    authorize_area(AREA, "create", actor, record.community, label=_l("Add a photo"))
    name, kind, data = PHOTO_UPLOAD.accept(filename, data)
    if FoundItemPhoto.objects(found_item=record).count() >= MAX_PHOTOS:
        raise DomainError(gettext("At most %(n)d photos per item.", n=MAX_PHOTOS), field="photos")
    photo = FoundItemPhoto(community=record.community, found_item=record, uploaded_by=actor,
                           uploaded_by_name=actor.display_name, uploaded_at=clock.now(), size=len(data))
    photo.keep(data, kind, name)
    photo.save()
    audit.record("add_photo", record, note=photo.filename, actor=actor)
    return photo


def notice_items(community, now=None):
    """The items whose found-item notice is on the boards now (unclaimed, within their week)."""
    now = now or clock.now()
    return FoundItem.objects(community=community, state__in=list(UNCLAIMED), notice_until__gt=now) \
        .order_by("found_at")


def register_span(period: str = "", first: date | None = None, last: date | None = None) -> tuple[date, date]:
    """The days a register print covers: a month ("2026-12"), else the range first..last (both days included)."""
    if period:
        return month_bounds(period)
    if first is None or last is None:
        raise DomainError(gettext("Choose a month, or the first and the last day."), field="first")
    if last < first:
        raise DomainError(gettext("The last day cannot be before the first day."), field="last")
    if (last - first).days + 1 > MAX_REGISTER_DAYS:
        raise DomainError(gettext("The register covers at most %(n)d days.", n=MAX_REGISTER_DAYS), field="last")
    return first, last


def register_items(community, first: date, last: date):
    """The register (《拾遗物品登记表》) of a community: the items found from `first` to `last` (local days)."""
    zone = zone_of(community)
    return FoundItem.objects(community=community, found_at__gte=start_of_local_day(first, zone),
                             found_at__lt=start_of_local_day(last + timedelta(days=1), zone)) \
        .order_by("found_at", "number")


audit.register_action_labels({"add_photo": _l("Photo added")}, area=AREA, collections=["found_items"])


@timeline.register
def _found_items_claimed_by(household):
    """A found item claimed by someone of the household (their ID number on the archive)."""
    numbers = [p.id_number for p in list(household.owners or []) + list(getattr(household, "tenants", None) or [])
               if getattr(p, "id_number", None)]
    if not numbers:
        return []
    return [timeline.TimelineItem(
        at=found.claimed_at, kind=gettext("Lost & found"), title=f"{found.number} · {found.item}",
        detail=found.state_label, endpoint="lost_found.details_view", url_args={"id": str(found.pk)})
        for found in FoundItem.objects(community=household.community, claimant_id_number__in=numbers).limit(50)]

"""Community culture (社区文化): annual plans, events, venues and bookings, sign-ups, records.

The flow: the culture officer drafts the year's plan and its events; a supervisor approves (the plan
as a whole, or one event); the event is published (its venue is booked then); the front desk signs
households up (capacity, waiting list); staff tick attendance on the day; afterwards the officer
records the summary, photos and residents' feedback.

Every state change checks the acting staff member's role (`app.permissions.can`), is written as a
conditional update on the state it was read in (a double click or two staff at once apply it once),
and is audit-logged.

Seats: `Event.taken` counts the confirmed people. A seat is only ever taken by
`Event.objects(pk=…, capacity=c, taken__lte=c - n).modify(inc__taken=n)`, so however many clerks
sign up at once the database never confirms more people than the capacity. A new sign-up always
enters the waiting list first and `promote_waiting()` confirms waiting sign-ups strictly in order,
as long as the first one fits; the same call runs after every cancellation or capacity increase.
"""
import io
import time
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from bson import ObjectId
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateTimeField, FileField, IntField, ListField,
                         Q, ReferenceField, StringField, ValidationError)
from mongoengine.errors import NotUniqueError

from app import clock
from app.permissions import can
from documents import audit, timeline
from documents.base import CommunityOwned, DomainError, PermissionDenied, Versioned
from documents.bilingual import BilingualText, current_language, pick, to_local
from documents.files import GIF, JPEG, MB, PNG, WEBP, UploadRule, store
from documents.money import ZERO, MoneyField, to_money
from documents.validators import normalise_phone, validate_mobile

AREA = "events"

EVENT_TYPES = [
    ("festival", _l("Festival")), ("sports", _l("Sports")), ("culture", _l("Culture")),
    ("volunteer", _l("Volunteer")), ("talk", _l("Talk")), ("other", _l("Other")),
]
EVENT_STATES = [
    ("draft", _l("Draft")), ("submitted", _l("Submitted")), ("approved", _l("Approved")),
    ("rejected", _l("Rejected")), ("published", _l("Published")), ("held", _l("Held")),
    ("recorded", _l("Recorded")), ("cancelled", _l("Cancelled")),
]
PLAN_STATES = [("draft", _l("Draft")), ("submitted", _l("Submitted")), ("approved", _l("Approved")),
               ("rejected", _l("Rejected"))]
SIGNUP_STATES = [("confirmed", _l("Confirmed")), ("waiting", _l("Waiting list")),
                 ("cancelled", _l("Cancelled"))]
BOOKING_STATES = [("booked", _l("Booked")), ("cancelled", _l("Cancelled"))]

#: states in which an event can still be cancelled (before it is held)
CANCELLABLE = ("draft", "submitted", "approved", "rejected", "published")
#: content that may still change once an event has been submitted (the rest was approved as is)
EDITABLE_AFTER_SUBMIT = {"description_zh", "description_en", "organiser", "capacity"}
CONTENT_FIELDS = ("plan", "title_zh", "title_en", "description_zh", "description_en", "event_type",
                  "start", "end", "venue", "place", "capacity", "budget", "organiser",
                  "target_buildings", "community")
MAX_PEOPLE_PER_SIGNUP = 20
PHOTO_UPLOAD = UploadRule(types=frozenset({JPEG, PNG, WEBP, GIF}), max_bytes=8 * MB, field="photo",
                          refused=_l("This file is not a picture that can be read."),
                          empty=_l("Please choose a picture."), default_name="photo")
PHOTO_MAX_PIXELS = 40_000_000
#: Pillow's format names of the accepted types
PHOTO_FORMATS = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP, "GIF": GIF}
THUMBNAIL_SIZE = (320, 320)

audit.register_action_labels({
    "submit": _l("Submitted"), "approve": _l("Approved"), "reject": _l("Rejected"),
    "revise": _l("Reopened for changes"), "publish": _l("Published"), "mark_held": _l("Marked as held"),
    "record": _l("Recorded"), "cancel": _l("Cancelled"), "sign_up": _l("Signed up"),
    "promote": _l("Moved up from the waiting list"), "cancel_signup": _l("Sign-up cancelled"),
    "attend": _l("Attendance ticked"), "unattend": _l("Attendance unticked"),
    "book_venue": _l("Venue booked"), "cancel_booking": _l("Venue booking cancelled"),
    "add_photo": _l("Photo added"), "delete_photo": _l("Photo deleted"),
    "add_feedback": _l("Feedback added"), "export_signups": _l("Sign-ups exported"),
})


def label(choices, value) -> str:
    return str(dict(choices).get(value, value or ""))


def require(action: str, user):
    """The acting staff member's role must allow `action:<action>` on the events area."""
    if not can(AREA, f"action:{action}", user):
        raise PermissionDenied(gettext("Your role does not allow this: %(action)s.",
                                       action=audit.action_label(action)))


def changed_by_someone_else():
    return DomainError(gettext("Someone else changed this record just now (or the button was pressed "
                               "twice); nothing more was done. Reload the page to see its state."))


def _transition(doc, action: str, to_state: str, user, allowed_from, extra: dict | None = None,
                note: str | None = None, check_role: bool = True):
    """Move `doc` from its current state to `to_state` with one conditional write, then audit it."""
    if check_role:
        require(action, user)
    current = doc.state
    if current not in allowed_from:
        raise DomainError(gettext("Not possible while the state is “%(state)s”.",
                                  state=label(doc.STATES, current)))
    before = audit.snapshot(doc)
    updates = {"set__state": to_state, "inc__version": 1}
    for name, value in (extra or {}).items():
        updates[f"set__{name}"] = value
    fresh = type(doc).objects(pk=doc.pk, state=current).modify(new=True, **updates)
    if fresh is None:
        raise changed_by_someone_else()
    doc.reload()
    audit.record(action, doc, audit.diff(before, audit.snapshot(doc)), note=note, actor=user)
    return doc


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("Please give a reason."), field="reason")
    return reason[:500]


def _same_community(ref, community) -> bool:
    return ref is None or community is None or getattr(ref.community, "pk", None) == community.pk


# --------------------------------------------------------------------------------------------
# Annual plan
# --------------------------------------------------------------------------------------------

class AnnualPlan(BilingualText, CommunityOwned, Versioned):
    """The year's plan of community events with its budget; approved as a whole."""

    STATES = PLAN_STATES
    year = IntField(required=True, min_value=2000, max_value=2100, verbose_name=_l("Year"))
    title_zh = StringField(max_length=120, verbose_name=_l("Title (Chinese)"))
    title_en = StringField(max_length=160, verbose_name=_l("Title (English)"))
    goals_zh = StringField(max_length=5000, verbose_name=_l("Goals (Chinese)"))
    goals_en = StringField(max_length=5000, verbose_name=_l("Goals (English)"))
    budget = MoneyField(required=True, verbose_name=_l("Budget (yuan)"))
    state = StringField(choices=PLAN_STATES, default="draft", verbose_name=_l("State"))
    rejection_reason = StringField(max_length=500, verbose_name=_l("Reason for rejection"))
    submitted_at = DateTimeField(verbose_name=_l("Submitted at"))
    decided_by = ReferenceField("Staff", verbose_name=_l("Decided by"))
    decided_at = DateTimeField(verbose_name=_l("Decided at"))
    created_by = ReferenceField("Staff", verbose_name=_l("Created by"))

    meta = {"collection": "event_plans",
            "indexes": [{"fields": ["community", "year"], "unique": True}, "state"],
            "ordering": ["-year"]}

    def __str__(self):
        return self.text("title") or gettext("Plan %(year)s", year=self.year)

    def clean(self):
        if not (self.title_zh or "").strip() and not (self.title_en or "").strip():
            raise ValidationError(errors={"title_zh": ValidationError(
                gettext("Give a title in Chinese or in English."))})
        self.budget = to_money(self.budget)
        if self.pk is not None and self.state in ("submitted", "approved"):
            stored = AnnualPlan.objects(pk=self.pk).first()
            if stored and (stored.budget != self.budget or stored.year != self.year):
                raise ValidationError(errors={"budget": ValidationError(gettext(
                    "Year and budget cannot change once the plan was submitted."))})

    def events(self):
        return Event.objects(plan=self).order_by("start")

    def planned_total(self) -> Decimal:
        """Sum of the budgets of the plan's events that still count (not rejected or cancelled)."""
        events = Event.objects(plan=self, state__nin=["rejected", "cancelled"]).only("budget")
        return sum((to_money(event.budget) or ZERO for event in events), ZERO)

    def submit(self, user):
        """Submit the plan with all its draft events for approval."""
        require("submit", user)
        drafts = list(Event.objects(plan=self, state__in=["draft", "rejected"]))
        if not drafts and not Event.objects(plan=self, state="submitted").first():
            raise DomainError(gettext("The plan has no events to submit."))
        total = self.planned_total()
        if total > to_money(self.budget):
            raise DomainError(gettext("The events' budgets add up to %(total)s yuan, more than the "
                                      "plan's budget of %(budget)s yuan.",
                                      total=total, budget=to_money(self.budget)))
        _transition(self, "submit", "submitted", user, ("draft", "rejected"),
                    extra={"submitted_at": clock.now(), "rejection_reason": None})
        for event in drafts:
            try:
                _transition(event, "submit", "submitted", user, ("draft", "rejected"),
                            extra={"submitted_at": clock.now(), "rejection_reason": None},
                            note=str(self), check_role=False)
            except DomainError:
                continue  # changed meanwhile by someone else; it keeps its own state
        return self

    def approve(self, user):
        """Approve the plan and, with it, every submitted event of the plan."""
        require("approve", user)
        _transition(self, "approve", "approved", user, ("submitted",),
                    extra={"decided_by": user, "decided_at": clock.now()})
        for event in Event.objects(plan=self, state="submitted"):
            try:
                _transition(event, "approve", "approved", user, ("submitted",),
                            extra={"decided_by": user, "decided_at": clock.now()},
                            note=str(self), check_role=False)
            except DomainError:
                continue
        return self

    def reject(self, user, reason: str):
        """Send the plan back with a reason; its submitted events are rejected with it."""
        require("reject", user)
        reason = _reason(reason)
        _transition(self, "reject", "rejected", user, ("submitted",),
                    extra={"decided_by": user, "decided_at": clock.now(), "rejection_reason": reason},
                    note=reason)
        for event in Event.objects(plan=self, state="submitted"):
            try:
                _transition(event, "reject", "rejected", user, ("submitted",),
                            extra={"decided_by": user, "decided_at": clock.now(),
                                   "rejection_reason": reason}, note=reason, check_role=False)
            except DomainError:
                continue
        return self


# --------------------------------------------------------------------------------------------
# Venues and bookings
# --------------------------------------------------------------------------------------------

class Venue(BilingualText, CommunityOwned, Versioned):
    """A public venue of the community (activity room, square, hall) that can be booked."""

    name_zh = StringField(max_length=60, verbose_name=_l("Name (Chinese)"))
    name_en = StringField(max_length=100, verbose_name=_l("Name (English)"))
    location = StringField(max_length=120, verbose_name=_l("Location"))
    capacity = IntField(min_value=1, max_value=10000, verbose_name=_l("Capacity (people)"))
    active = BooleanField(default=True, verbose_name=_l("In use"))
    # a short mutual-exclusion lock, so that two bookings of one venue are checked one after the other
    lock_token = StringField()
    lock_until = DateTimeField()

    meta = {"collection": "venues", "indexes": ["community"], "ordering": ["name_zh"]}

    def __str__(self):
        return self.text("name")

    def clean(self):
        if not (self.name_zh or "").strip() and not (self.name_en or "").strip():
            raise ValidationError(errors={"name_zh": ValidationError(
                gettext("Give a name in Chinese or in English."))})

    def conflicts(self, start, end, exclude=None):
        """Active bookings overlapping [start, end). Touching intervals (end == start) do not clash."""
        query = VenueBooking.objects(venue=self, state="booked", start__lt=end, end__gt=start)
        if exclude is not None:
            query = query.filter(pk__ne=exclude)
        return query.order_by("start")

    def _acquire(self, wait_seconds: float = 5.0) -> str:
        token = str(ObjectId())
        deadline = time.monotonic() + wait_seconds
        while True:
            now = datetime.now(timezone.utc).replace(tzinfo=None)  # real time: a lock left by a crashed process expires
            got = Venue.objects(Q(pk=self.pk) & (Q(lock_until=None) | Q(lock_until__lt=now))).modify(
                set__lock_token=token, set__lock_until=now + timedelta(seconds=30))
            if got is not None:
                return token
            if time.monotonic() > deadline:
                raise DomainError(gettext("The venue is being booked by someone else; please try again."))
            time.sleep(0.02)

    def _release(self, token: str):
        Venue.objects(pk=self.pk, lock_token=token).update_one(unset__lock_token=1, unset__lock_until=1)

    def book(self, start, end, user, purpose: str = "", booked_for: str = "", event=None,
             contact_phone: str = "") -> "VenueBooking":
        """Book the venue for [start, end) (naive UTC), refusing a clash with the booking named."""
        require("book_venue", user)
        if not self.active:
            raise DomainError(gettext("This venue is not in use."), field="venue")
        if start is None or end is None or end <= start:
            raise DomainError(gettext("The end must be after the start."), field="end")
        token = self._acquire()
        try:
            if event is not None:
                mine = VenueBooking.objects(venue=self, event=event, state="booked", start=start,
                                            end=end).first()
                if mine is not None:
                    return mine  # the same event booked twice (a double click): one booking
            clash = self.conflicts(start, end).first()
            if clash is not None:
                raise DomainError(gettext("%(venue)s is already booked from %(start)s to %(end)s: "
                                          "%(booking)s.", venue=str(self),
                                          start=f"{to_local(clash.start, self.community):%Y-%m-%d %H:%M}",
                                          end=f"{to_local(clash.end, self.community):%H:%M}",
                                          booking=clash.describe()), field="start")
            booking = VenueBooking(community=self.community, venue=self, start=start, end=end,
                                   purpose=(purpose or "")[:200], booked_for=(booked_for or "")[:100],
                                   contact_phone=contact_phone or "", event=event, state="booked",
                                   created_by=user, created_at=clock.now())
            booking.save_versioned(None)
        finally:
            self._release(token)
        audit.record("book_venue", booking, audit.diff({}, audit.snapshot(booking)), actor=user)
        return booking


class VenueBooking(CommunityOwned, Versioned):
    STATES = BOOKING_STATES
    venue = ReferenceField(Venue, required=True, verbose_name=_l("Venue"))
    start = DateTimeField(required=True, verbose_name=_l("Start"))
    end = DateTimeField(required=True, verbose_name=_l("End"))
    purpose = StringField(max_length=200, verbose_name=_l("Purpose"))
    booked_for = StringField(max_length=100, verbose_name=_l("Booked for"))
    contact_phone = StringField(max_length=20, validation=validate_mobile, verbose_name=_l("Contact phone"))
    event = ReferenceField("Event", verbose_name=_l("Event"))
    state = StringField(choices=BOOKING_STATES, default="booked", verbose_name=_l("State"))
    cancel_reason = StringField(max_length=500, verbose_name=_l("Reason for cancelling"))
    created_by = ReferenceField("Staff", verbose_name=_l("Booked by"))
    created_at = DateTimeField(verbose_name=_l("Booked at"))

    meta = {"collection": "venue_bookings",
            "indexes": [("venue", "state", "start"), ("community", "start"), "event"],
            "ordering": ["start"]}

    def __str__(self):
        return f"{self.venue} {self.start:%Y-%m-%d %H:%M}" if self.start else str(self.venue)

    def describe(self) -> str:
        """What the booking is for, in the user's language."""
        if self.event is not None:
            return gettext("event “%(title)s”", title=self.event.title)
        return self.purpose or self.booked_for or gettext("booking")

    def clean(self):
        if self.contact_phone:
            self.contact_phone = normalise_phone(self.contact_phone)
        if self.start and self.end and self.end <= self.start:
            raise ValidationError(errors={"end": ValidationError(gettext("The end must be after the start."))})
        if not _same_community(self.venue, self.community):
            raise ValidationError(errors={"venue": ValidationError(
                gettext("The venue belongs to another community."))})

    def cancel(self, user, reason: str = ""):
        return _transition(self, "cancel_booking", "cancelled", user, ("booked",),
                           extra={"cancel_reason": (reason or "")[:500]}, note=reason or None)


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------

class Event(BilingualText, CommunityOwned, Versioned):
    STATES = EVENT_STATES
    plan = ReferenceField(AnnualPlan, verbose_name=_l("Annual plan"))
    title_zh = StringField(max_length=120, verbose_name=_l("Title (Chinese)"))
    title_en = StringField(max_length=160, verbose_name=_l("Title (English)"))
    description_zh = StringField(max_length=5000, verbose_name=_l("Description (Chinese)"))
    description_en = StringField(max_length=5000, verbose_name=_l("Description (English)"))
    event_type = StringField(choices=EVENT_TYPES, required=True, default="culture", verbose_name=_l("Type"))
    start = DateTimeField(required=True, verbose_name=_l("Start"))
    end = DateTimeField(required=True, verbose_name=_l("End"))
    venue = ReferenceField(Venue, verbose_name=_l("Venue"))
    place = StringField(max_length=120, verbose_name=_l("Other place"))
    capacity = IntField(required=True, min_value=1, max_value=10000, verbose_name=_l("Capacity (people)"))
    budget = MoneyField(verbose_name=_l("Budget (yuan)"))
    organiser = StringField(max_length=100, verbose_name=_l("Organiser"))
    target_buildings = ListField(ReferenceField("Building"), verbose_name=_l("Target buildings"))
    state = StringField(choices=EVENT_STATES, default="draft", verbose_name=_l("State"))
    rejection_reason = StringField(max_length=500, verbose_name=_l("Reason for rejection"))
    cancel_reason = StringField(max_length=500, verbose_name=_l("Reason for cancelling"))
    summary = StringField(max_length=10000, verbose_name=_l("Summary"))
    booking = ReferenceField(VenueBooking, verbose_name=_l("Venue booking"))
    taken = IntField(default=0, verbose_name=_l("Places taken"))
    signup_seq = IntField(default=0)
    created_by = ReferenceField("Staff", verbose_name=_l("Created by"))
    submitted_at = DateTimeField(verbose_name=_l("Submitted at"))
    decided_by = ReferenceField("Staff", verbose_name=_l("Decided by"))
    decided_at = DateTimeField(verbose_name=_l("Decided at"))
    published_at = DateTimeField(verbose_name=_l("Published at"))
    held_at = DateTimeField(verbose_name=_l("Held at"))
    recorded_at = DateTimeField(verbose_name=_l("Recorded at"))
    cancelled_at = DateTimeField(verbose_name=_l("Cancelled at"))

    meta = {"collection": "events",
            "indexes": [("community", "start"), ("community", "state"), "plan", "venue", "event_type",
                        ("community", "title_zh"), ("community", "title_en"), ("community", "organiser")],
            "ordering": ["-start"]}

    def __str__(self):
        return self.title

    # --- display helpers ---
    def description(self, language=None) -> str:
        return self.text("description", language)

    @property
    def state_label(self) -> str:
        return label(EVENT_STATES, self.state)

    @property
    def type_label(self) -> str:
        return label(EVENT_TYPES, self.event_type)

    @property
    def where(self) -> str:
        return str(self.venue) if self.venue else (self.place or "")

    def local_start(self):
        return to_local(self.start, self.community)

    def local_end(self):
        return to_local(self.end, self.community)

    @property
    def free_places(self) -> int:
        return max(0, (self.capacity or 0) - (self.taken or 0))

    # --- validation ---
    def clean(self):
        errors = {}
        if not (self.title_zh or "").strip() and not (self.title_en or "").strip():
            errors["title_zh"] = ValidationError(gettext("Give a title in Chinese or in English."))
        if self.start and self.end and self.end <= self.start:
            errors["end"] = ValidationError(gettext("The end must be after the start."))
        self.budget = to_money(self.budget)
        if not _same_community(self.plan, self.community):
            errors["plan"] = ValidationError(gettext("The plan belongs to another community."))
        elif self.plan is not None and self.start and to_local(self.start, self.community).year != self.plan.year:
            errors["plan"] = ValidationError(gettext("The event must take place in the plan's year (%(year)s).",
                                                     year=self.plan.year))
        if not _same_community(self.venue, self.community):
            errors["venue"] = ValidationError(gettext("The venue belongs to another community."))
        elif self.venue is not None and self.venue.capacity and self.capacity and \
                self.capacity > self.venue.capacity:
            errors["capacity"] = ValidationError(gettext("The venue holds at most %(n)d people.",
                                                         n=self.venue.capacity))
        if any(not _same_community(b, self.community) for b in self.target_buildings or []):
            errors["target_buildings"] = ValidationError(gettext("The building belongs to another community."))
        if self.pk is not None:
            stored = Event.objects(pk=self.pk).first()
            if stored is not None:
                if self.capacity is not None and self.capacity < (stored.taken or 0):
                    errors["capacity"] = ValidationError(gettext(
                        "%(n)d people are already confirmed; the capacity cannot be lower.", n=stored.taken))
                if stored.state not in ("draft", "rejected"):
                    for name in CONTENT_FIELDS:
                        if name in EDITABLE_AFTER_SUBMIT or name in errors:
                            continue
                        if _value(stored, name) != _value(self, name):
                            errors[name] = ValidationError(gettext(
                                "Cannot be changed once the event was submitted (state: %(state)s).",
                                state=label(EVENT_STATES, stored.state)))
                if stored.state in ("held", "recorded", "cancelled"):
                    for name in EDITABLE_AFTER_SUBMIT:
                        if _value(stored, name) != _value(self, name):
                            errors[name] = ValidationError(gettext(
                                "Cannot be changed any more (state: %(state)s).",
                                state=label(EVENT_STATES, stored.state)))
        if errors:
            raise ValidationError(errors=errors)

    def save(self, *args, **kwargs):
        """An edit of the capacity never drops it below the confirmed people (checked in the write)."""
        condition = kwargs.get("save_condition")
        if self.pk is not None and condition is not None and self.capacity is not None:
            kwargs["save_condition"] = dict(condition, taken__lte=self.capacity)
        return super().save(*args, **kwargs)

    def can_delete(self) -> bool:
        return self.state == "draft" and not SignUp.objects(event=self).first()

    # --- state machine ---
    def submit(self, user):
        require("submit", user)
        if self.start and self.start <= clock.now():
            raise DomainError(gettext("The event's start has passed; change the date first."))
        return _transition(self, "submit", "submitted", user, ("draft", "rejected"),
                           extra={"submitted_at": clock.now(), "rejection_reason": None})

    def approve(self, user):
        return _transition(self, "approve", "approved", user, ("submitted",),
                           extra={"decided_by": user, "decided_at": clock.now()})

    def reject(self, user, reason: str):
        require("reject", user)
        reason = _reason(reason)
        return _transition(self, "reject", "rejected", user, ("submitted",),
                           extra={"decided_by": user, "decided_at": clock.now(), "rejection_reason": reason},
                           note=reason)

    def revise(self, user):
        """A rejected event goes back to draft so the officer can change and resubmit it."""
        return _transition(self, "revise", "draft", user, ("rejected",))

    def publish(self, user):
        """Publish an approved event; its venue is booked for its time (a clash refuses it)."""
        require("publish", user)
        if self.state != "approved":
            raise DomainError(gettext("Not possible while the state is “%(state)s”.", state=self.state_label))
        if self.start <= clock.now():
            raise DomainError(gettext("The event's start has passed; it can no longer be published."))
        booking = None
        if self.venue is not None:
            booking = self.venue.book(self.start, self.end, user, purpose=self.title, event=self,
                                      booked_for=self.organiser or "")
        try:
            return _transition(self, "publish", "published", user, ("approved",),
                               extra={"published_at": clock.now(), "booking": booking})
        except DomainError:
            if booking is not None and not Event.objects(pk=self.pk, booking=booking).first():
                VenueBooking.objects(pk=booking.pk, state="booked").update_one(set__state="cancelled")
            raise

    def mark_held(self, user):
        require("mark_held", user)
        if self.start > clock.now():
            raise DomainError(gettext("The event has not started yet."))
        return _transition(self, "mark_held", "held", user, ("published",), extra={"held_at": clock.now()})

    def record(self, user, summary: str):
        """Close the event with its summary (photos and feedback can be added before and after)."""
        require("record", user)
        summary = (summary or "").strip()
        if not summary:
            raise DomainError(gettext("Please write a summary."), field="summary")
        return _transition(self, "record", "recorded", user, ("held",),
                           extra={"summary": summary[:10000], "recorded_at": clock.now()})

    def cancel(self, user, reason: str):
        """Cancel before the event is held. Returns the sign-ups whose households must be called."""
        require("cancel", user)
        reason = _reason(reason)
        _transition(self, "cancel", "cancelled", user, CANCELLABLE,
                    extra={"cancel_reason": reason, "cancelled_at": clock.now()}, note=reason)
        if self.booking is not None and self.booking.state == "booked":
            VenueBooking.objects(pk=self.booking.pk, state="booked").update_one(
                set__state="cancelled", set__cancel_reason=reason, inc__version=1)
            audit.record("cancel_booking", self.booking, note=reason, actor=user)
        return self.households_to_call()

    def households_to_call(self):
        return list(SignUp.objects(event=self, state__in=["confirmed", "waiting"]).order_by("position"))

    # --- seats and the waiting list ---
    def _next_position(self) -> int:
        fresh = Event.objects(pk=self.pk).modify(new=True, inc__signup_seq=1)
        return fresh.signup_seq

    def _reserve(self, people: int) -> bool:
        """Take `people` seats if they are free; the condition is part of the write."""
        for _attempt in range(10):
            current = Event.objects(pk=self.pk).only("capacity", "taken", "state").first()
            if current is None or current.state != "published":
                return False
            capacity = current.capacity or 0
            if (current.taken or 0) + people > capacity:
                return False
            if Event.objects(pk=self.pk, state="published", capacity=capacity,
                             taken__lte=capacity - people).modify(inc__taken=people) is not None:
                return True
        return False

    def _give_back(self, people: int):
        Event.objects(pk=self.pk).update_one(dec__taken=people)

    def promote_waiting(self, user=None, quiet_for=None) -> list:
        """Confirm waiting sign-ups in order while the first one fits. Returns those confirmed."""
        promoted = []
        for _guard in range(1000):
            first = SignUp.objects(event=self, state="waiting").order_by("position").first()
            if first is None or not self._reserve(first.people):
                break
            done = SignUp.objects(pk=first.pk, state="waiting").modify(
                new=True, set__state="confirmed", set__confirmed_at=clock.now())
            if done is None:  # cancelled or confirmed by someone else meanwhile: seats back
                self._give_back(first.people)
                continue
            promoted.append(done)
            if done.pk != quiet_for:
                audit.record("promote", done, note=str(self), actor=user)
        self.reload("taken")
        return promoted

    def sign_up(self, household, people: int, contact_phone: str, user) -> "SignUp":
        """Sign a household up: confirmed while places are free, else on the waiting list."""
        require("sign_up", user)
        if self.state != "published":
            raise DomainError(gettext("Only published events take sign-ups."))
        if self.start <= clock.now():
            raise DomainError(gettext("The event has started; sign-ups are closed."))
        if household is None or household.community.pk != self.community.pk:
            raise DomainError(gettext("The household belongs to another community."), field="household")
        if household.status != "current":
            raise DomainError(gettext("This household has moved out."), field="household")
        if self.target_buildings and household.building_no not in {b.number for b in self.target_buildings}:
            raise DomainError(gettext("This event is for buildings %(list)s only.",
                                      list=", ".join(b.number for b in self.target_buildings)),
                              field="household")
        try:
            people = int(people)
        except (TypeError, ValueError):
            people = 0
        if people < 1 or people > min(MAX_PEOPLE_PER_SIGNUP, self.capacity):
            raise DomainError(gettext("Number of people: 1 to %(n)d.",
                                      n=min(MAX_PEOPLE_PER_SIGNUP, self.capacity)), field="people")
        phone = normalise_phone(contact_phone or "") or _household_phone(household)
        try:
            validate_mobile(phone)
        except ValidationError as err:
            raise DomainError(err.message, field="contact_phone")
        signup = SignUp(community=self.community, event=self, household=household, people=people,
                        contact_phone=phone, state="waiting", position=self._next_position(),
                        created_by=user, created_at=clock.now())
        try:
            signup.save()
        except NotUniqueError:
            signup = self._sign_up_again(household, people, phone, user)
        signup_id = signup.pk
        self.promote_waiting(user, quiet_for=signup_id)
        signup.reload()
        note = gettext("confirmed") if signup.state == "confirmed" else \
            gettext("waiting list, position %(n)d", n=signup.waiting_number())
        audit.record("sign_up", signup, audit.diff({}, audit.snapshot(signup)), note=note, actor=user)
        return signup

    def _sign_up_again(self, household, people, phone, user):
        """The unique index found an earlier sign-up: only a cancelled one may be taken up again."""
        existing = SignUp.objects(event=self, household=household).first()
        if existing is not None and existing.state == "cancelled":
            again = SignUp.objects(pk=existing.pk, state="cancelled").modify(
                new=True, set__state="waiting", set__people=people, set__contact_phone=phone,
                set__position=self._next_position(), set__attended=False, unset__cancelled_at=1,
                set__created_by=user, set__created_at=clock.now())
            if again is not None:
                return again
            existing.reload()
        state = label(SIGNUP_STATES, existing.state if existing else "")
        raise DomainError(gettext("This household is already signed up for this event (%(state)s).",
                                  state=state), field="household")

    # --- records ---
    def feedback_average(self) -> Decimal | None:
        ratings = [f.rating for f in EventFeedback.objects(event=self).only("rating")]
        if not ratings:
            return None
        return (Decimal(sum(ratings)) / Decimal(len(ratings))).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def _check_records_open(self, user):
        require("add_record", user)
        if self.state not in ("held", "recorded"):
            raise DomainError(gettext("Photos and feedback are recorded once the event was held."))

    def add_feedback(self, user, rating, comment: str = "", household=None, resident_name: str = ""):
        self._check_records_open(user)
        try:
            rating = int(rating)
        except (TypeError, ValueError):
            rating = 0
        if not 1 <= rating <= 5:
            raise DomainError(gettext("The rating is 1 to 5."), field="rating")
        if household is not None and household.community.pk != self.community.pk:
            raise DomainError(gettext("The household belongs to another community."), field="household")
        entry = EventFeedback(community=self.community, event=self, household=household, rating=rating,
                              comment=(comment or "").strip()[:2000], resident_name=(resident_name or "")[:60],
                              recorded_by=user, recorded_at=clock.now())
        entry.save()
        audit.record("add_feedback", self, note=f"{rating}/5 {entry.comment[:100]}", actor=user)
        return entry

    def add_photo(self, user, data: bytes, caption: str = "", filename: str = "") -> "EventPhoto":
        """Store an uploaded picture and its thumbnail in GridFS (only real images are accepted)."""
        self._check_records_open(user)
        name, _sniffed = PHOTO_UPLOAD.check(filename, data)
        image_type, size, thumbnail = make_thumbnail(data)
        photo = EventPhoto(community=self.community, event=self, caption=(caption or "")[:200],
                           filename=name, content_type=image_type, width=size[0],
                           height=size[1], uploaded_by=user, uploaded_at=clock.now())
        store(photo.image, data, image_type, name)
        store(photo.thumbnail, thumbnail, JPEG)
        photo.save()
        audit.record("add_photo", self, note=photo.caption or photo.filename, actor=user)
        return photo

    def photos(self):
        return EventPhoto.objects(event=self).order_by("uploaded_at")

    def feedback(self):
        return EventFeedback.objects(event=self).order_by("-recorded_at")

    def signups(self):
        return SignUp.objects(event=self).order_by("position")


def _value(doc, name):
    value = getattr(doc, name, None)
    if isinstance(value, list):
        return [getattr(v, "pk", v) for v in value]
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Decimal):
        return to_money(value)
    return value


def _household_phone(household) -> str:
    for person in household.people():
        if person.phone:
            return normalise_phone(person.phone)
    return ""


def make_thumbnail(data: bytes):
    """(content type, (width, height), JPEG thumbnail bytes) of an image that passed PHOTO_UPLOAD.

    Pillow reads it fully: a picture that only starts like one, or is too large once unpacked
    (a decompression bomb), is refused here.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            if image_format not in PHOTO_FORMATS or width * height > PHOTO_MAX_PIXELS:
                raise DomainError(gettext("Only JPEG, PNG, WebP or GIF pictures up to 40 megapixels."),
                                  field="photo")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            image.save(out, "JPEG", quality=82)
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise DomainError(gettext("This file is not a picture that can be read."), field="photo")
    return PHOTO_FORMATS[image_format], (width, height), out.getvalue()


# --------------------------------------------------------------------------------------------
# Sign-ups and records
# --------------------------------------------------------------------------------------------

class SignUp(CommunityOwned):
    """A household's sign-up; the unique index keeps one per household and event."""

    STATES = SIGNUP_STATES
    event = ReferenceField(Event, required=True, verbose_name=_l("Event"))
    household = ReferenceField("Household", required=True, verbose_name=_l("Household"))
    people = IntField(required=True, min_value=1, max_value=MAX_PEOPLE_PER_SIGNUP,
                      verbose_name=_l("Number of people"))
    contact_phone = StringField(max_length=20, verbose_name=_l("Contact phone"))
    state = StringField(choices=SIGNUP_STATES, default="waiting", verbose_name=_l("State"))
    position = IntField(verbose_name=_l("Order of sign-up"))
    attended = BooleanField(default=False, verbose_name=_l("Attended"))
    attended_at = DateTimeField(verbose_name=_l("Attendance ticked at"))
    attended_by = ReferenceField("Staff", verbose_name=_l("Ticked by"))
    confirmed_at = DateTimeField(verbose_name=_l("Confirmed at"))
    cancelled_at = DateTimeField(verbose_name=_l("Cancelled at"))
    created_by = ReferenceField("Staff", verbose_name=_l("Signed up by"))
    created_at = DateTimeField(verbose_name=_l("Signed up at"))

    meta = {"collection": "event_signups",
            "indexes": [{"fields": ["event", "household"], "unique": True},
                        ("event", "state", "position"), ("household", "created_at"), "community",
                        ("event", "attended"), "created_at", "state"],
            "ordering": ["position"]}

    def __str__(self):
        return f"{self.household} – {self.event}"

    @property
    def state_label(self) -> str:
        return label(SIGNUP_STATES, self.state)

    def waiting_number(self) -> int:
        """1 for the first household on the waiting list, and so on; 0 if not waiting."""
        if self.state != "waiting":
            return 0
        return SignUp.objects(event=self.event, state="waiting", position__lte=self.position).count()

    def cancel(self, user):
        """Cancel; freed places go to the waiting list at once."""
        require("cancel_signup", user)
        before = SignUp.objects(pk=self.pk, state__in=["confirmed", "waiting"]).modify(
            set__state="cancelled", set__cancelled_at=clock.now())
        if before is None:
            raise DomainError(gettext("This sign-up is already cancelled."))
        self.reload()
        audit.record("cancel_signup", self, [audit.FieldChange(field="state", old=before.state, new="cancelled")],
                     actor=user)
        promoted = []
        if before.state == "confirmed":
            event = Event.objects(pk=self.event.pk).first()
            event._give_back(before.people)
            promoted = event.promote_waiting(user)
        return promoted

    def set_attended(self, user, attended: bool = True):
        """Tick (or untick) attendance, from the event's day on, for a confirmed sign-up."""
        require("attend", user)
        event = self.event
        if self.state != "confirmed":
            raise DomainError(gettext("Only confirmed sign-ups can attend."))
        if event.state not in ("published", "held"):
            raise DomainError(gettext("Attendance is ticked for published or held events."))
        today = to_local(clock.now(), event.community).date()
        if today < event.local_start().date():
            raise DomainError(gettext("Attendance can be ticked from the day of the event on (%(day)s).",
                                      day=f"{event.local_start():%Y-%m-%d}"))
        attended = bool(attended)
        changes = {"set__attended": attended}
        if attended:
            changes.update(set__attended_at=clock.now(), set__attended_by=user)
        done = SignUp.objects(pk=self.pk, state="confirmed", attended=not attended).modify(new=True, **changes)
        if done is None:
            raise DomainError(gettext("Attendance was already ticked.") if attended
                              else gettext("Attendance was not ticked."))
        self.reload()
        audit.record("attend" if attended else "unattend", self, note=str(event), actor=user)
        return self


class EventPhoto(CommunityOwned):
    event = ReferenceField(Event, required=True, verbose_name=_l("Event"))
    image = FileField(collection_name="event_photos", verbose_name=_l("Picture"))
    thumbnail = FileField(collection_name="event_photos", verbose_name=_l("Thumbnail"))
    caption = StringField(max_length=200, verbose_name=_l("Caption"))
    filename = StringField(max_length=120)
    content_type = StringField(max_length=40)
    width = IntField()
    height = IntField()
    uploaded_by = ReferenceField("Staff", verbose_name=_l("Uploaded by"))
    uploaded_at = DateTimeField(verbose_name=_l("Uploaded at"))

    meta = {"collection": "event_photo_records", "indexes": ["event", "community"],
            "ordering": ["uploaded_at"]}

    def __str__(self):
        return self.caption or self.filename or str(self.pk)

    def remove(self, user):
        require("add_record", user)
        self.image.delete()
        self.thumbnail.delete()
        event = self.event
        self.delete()
        audit.record("delete_photo", event, note=self.caption or self.filename, actor=user)


class EventFeedback(CommunityOwned):
    event = ReferenceField(Event, required=True, verbose_name=_l("Event"))
    household = ReferenceField("Household", verbose_name=_l("Household"))
    resident_name = StringField(max_length=60, verbose_name=_l("Resident"))
    rating = IntField(required=True, min_value=1, max_value=5, verbose_name=_l("Rating (1–5)"))
    comment = StringField(max_length=2000, verbose_name=_l("Comment"))
    recorded_by = ReferenceField("Staff", verbose_name=_l("Recorded by"))
    recorded_at = DateTimeField(verbose_name=_l("Recorded at"))

    meta = {"collection": "event_feedback", "indexes": ["event", "household"], "ordering": ["-recorded_at"]}

    def __str__(self):
        return f"{self.rating}/5 {self.comment or ''}"[:80]


# --------------------------------------------------------------------------------------------
# The household timeline
# --------------------------------------------------------------------------------------------

@timeline.register
def _household_events(household):
    """Sign-ups, attendance and feedback of the household appear in its archive timeline."""
    kind = str(_l("Community event"))
    language = current_language()
    items = []
    rows = list(SignUp.objects(household=household).order_by("-created_at").limit(100).as_pymongo())
    events = {e.pk: e for e in Event.objects(pk__in=[r["event"] for r in rows]).only("title_zh", "title_en")} \
        if rows else {}
    for row in rows:
        event = events.get(row["event"])
        if event is None:
            continue
        signup = SignUp._from_son(row)
        title = pick(event.title_zh, event.title_en, language)
        where = {"endpoint": "events.details_view", "url_args": {"id": str(event.pk)}}
        state = label(SIGNUP_STATES, signup.state)
        items.append(timeline.TimelineItem(
            at=signup.created_at, kind=kind,
            title=gettext("Signed up for %(event)s (%(n)d people)", event=title, n=signup.people),
            detail=state, **where))
        if signup.attended and signup.attended_at:
            items.append(timeline.TimelineItem(at=signup.attended_at, kind=kind,
                                               title=gettext("Attended %(event)s", event=title), **where))
        if signup.state == "cancelled" and signup.cancelled_at:
            items.append(timeline.TimelineItem(at=signup.cancelled_at, kind=kind,
                                               title=gettext("Sign-up for %(event)s cancelled", event=title),
                                               **where))
    for entry in EventFeedback.objects(household=household).order_by("-recorded_at").limit(50):
        title = pick(entry.event.title_zh, entry.event.title_en, language)
        items.append(timeline.TimelineItem(
            at=entry.recorded_at, kind=kind,
            title=gettext("Feedback on %(event)s: %(n)d/5", event=title, n=entry.rating),
            detail=entry.comment or "", endpoint="events.details_view", url_args={"id": str(entry.event.pk)}))
    return items

"""Events: planned, approved, published (the venue is booked then), held and recorded.

Every state change is a step of the engine (documents/workflow.py): role, community, state and
what must happen first are checked there, the change and its audit entry are one conditional
write. `Event.clean` keeps what an event may contain, and what may still change once submitted.
"""
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import DateTimeField, IntField, ListField, ReferenceField, StringField

from app import clock
from documents import audit
from documents.base import CommunityOwned, DomainError, RuleErrors, Versioned
from documents.bilingual import BilingualText, to_local
from documents.events import records, signups
from documents.events.common import (AREA, EVENT_STATES, EVENT_TYPES, label, required_reason,
                                     same_community)
from documents.events.records import EventFeedback, EventPhoto
from documents.events.signups import SignUp
from documents.events.venues import Venue, VenueBooking
from documents.money import MoneyField, to_money
from documents.workflow import Step, Workflow, Workflowed, authorize_area, declare

#: states in which an event can still be cancelled (before it is held)
CANCELLABLE = ("draft", "submitted", "approved", "rejected", "published")
#: states in which the content may still change freely
OPEN_STATES = ("draft", "rejected")
#: states after which nothing may change any more
CLOSED_STATES = ("held", "recorded", "cancelled")
#: content that may still change once an event has been submitted (the rest was approved as is)
EDITABLE_AFTER_SUBMIT = {"description_zh", "description_en", "organiser", "capacity"}
CONTENT_FIELDS = ("plan", "title_zh", "title_en", "description_zh", "description_en", "event_type",
                  "start", "end", "venue", "place", "capacity", "budget", "organiser",
                  "target_buildings", "community")


class Event(BilingualText, CommunityOwned, Versioned, Workflowed):
    plan = ReferenceField("AnnualPlan", verbose_name=_l("Annual plan"))
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

    @property
    def records_open(self) -> bool:
        """Photos and feedback belong to an event that was held."""
        return self.state in records.RECORD_STATES

    # --- validation: small named checks, each adding {field: message} ---
    def clean(self):
        self.budget = to_money(self.budget)
        errors = RuleErrors()
        for check in (_title_given, _ends_after_start, _plan_fits, _venue_fits, _buildings_fit):
            check(self, errors)
        stored = Event.objects(pk=self.pk).first() if self.pk is not None else None
        if stored is not None:
            for check in (_capacity_holds_the_confirmed, _content_kept_after_submit, _nothing_changes_once_closed):
                check(self, stored, errors)
        errors.raise_any()

    def save(self, *args, **kwargs):
        """An edit of the capacity never drops it below the confirmed people (checked in the write)."""
        condition = kwargs.get("save_condition")
        if self.pk is not None and condition is not None and self.capacity is not None:
            kwargs["save_condition"] = dict(condition, taken__lte=self.capacity)
        return super().save(*args, **kwargs)

    def can_delete(self) -> bool:
        return self.state == "draft" and not SignUp.objects(event=self).first()

    # --- steps ---
    def submit(self, user):
        self.check("submit", user)
        return self.transition("submit", user, values=_submitted(), checked=False)

    def approve(self, user):
        self.check("approve", user)
        return self.transition("approve", user, values=_decided(user), checked=False)

    def reject(self, user, reason: str):
        self.check("reject", user)
        reason = required_reason(reason)
        return self.transition("reject", user, values=dict(_decided(user), rejection_reason=reason),
                               note=reason, checked=False)

    def revise(self, user):
        """A rejected event goes back to draft so the officer can change and resubmit it."""
        return self.transition("revise", user)

    def publish(self, user):
        """Publish an approved event; its venue is booked for its time (a clash refuses it)."""
        self.check("publish", user)
        booking = None
        if self.venue is not None:
            # no purpose typed: the booking shows its event's title in the reader's language
            booking = self.venue.book(self.start, self.end, user, event=self, booked_for=self.organiser or "")
        try:
            return self.transition("publish", user, values={"published_at": clock.now(), "booking": booking},
                                   checked=False)
        except DomainError:
            if booking is not None and not Event.objects(pk=self.pk, booking=booking).first():
                booking.release(user, gettext("The event could not be published."))
            raise

    def mark_held(self, user):
        return self.transition("mark_held", user, values={"held_at": clock.now()})

    def record(self, user, summary: str):
        """Close the event with its summary (photos and feedback can be added before and after)."""
        self.check("record", user)
        summary = (summary or "").strip()
        if not summary:
            raise DomainError(gettext("Please write a summary."), field="summary")
        return self.transition("record", user, values={"summary": summary[:10000], "recorded_at": clock.now()},
                               checked=False)

    def cancel(self, user, reason: str):
        """Cancel before the event is held; its venue booking is cancelled with it.
        Returns the sign-ups whose households must be called."""
        self.check("cancel", user)
        reason = required_reason(reason)
        self.transition("cancel", user, values={"cancel_reason": reason, "cancelled_at": clock.now()},
                        note=reason, checked=False)
        if self.booking is not None:
            self.booking.release(user, reason)
        return self.households_to_call()

    def follow_plan(self, name: str, user, plan, values: dict, note: str | None = None) -> bool:
        """Take step `name` as part of the same step of the event's plan (the plan's check covered
        role and community). False when someone else moved the event meanwhile."""
        try:
            self.require_state(self.workflow[name])
            self.transition(name, user, values=values, note=note or str(plan), checked=False)
        except DomainError:
            return False
        return True

    def households_to_call(self) -> list:
        """After a cancellation: the sign-ups whose households must be told."""
        if self.state != "cancelled":
            return []
        return list(SignUp.objects(event=self, state__in=signups.ACTIVE).order_by("position"))

    # --- seats and the waiting list (documents/events/signups.py) ---
    def sign_up(self, household, people: int, contact_phone: str, user) -> SignUp:
        return signups.sign_up(self, household, people, contact_phone, user)

    def sign_up_problems(self, household, people, contact_phone: str) -> list:
        return signups.sign_up_problems(self, household, people, contact_phone)

    def promote_waiting(self, user=None, quiet_for=None) -> list:
        return signups.promote_waiting(self, user, quiet_for=quiet_for)

    def may_sign_up(self, user) -> bool:
        """Role, community, and a published event that has not started."""
        try:
            authorize_area(AREA, "action:sign_up", user, self.community)
            signups.check_open(self)
        except DomainError:
            return False
        return True

    def signups(self):
        return SignUp.objects(event=self).order_by("position")

    # --- records (documents/events/records.py) ---
    def may_add_records(self, user) -> bool:
        try:
            records.check_records_open(self, user, "")
        except DomainError:
            return False
        return True

    def add_feedback(self, user, rating, comment: str = "", household=None, resident_name: str = ""):
        return records.add_feedback(self, user, rating, comment, household=household, resident_name=resident_name)

    def add_photo(self, user, data: bytes, caption: str = "", filename: str = "") -> EventPhoto:
        return records.add_photo(self, user, data, caption, filename)

    def feedback_average(self) -> Decimal | None:
        return records.feedback_average(self)

    def photos(self):
        return EventPhoto.objects(event=self).order_by("uploaded_at")

    def feedback(self):
        return EventFeedback.objects(event=self).order_by("-recorded_at")


def _submitted() -> dict:
    return {"submitted_at": clock.now(), "rejection_reason": None}


def _decided(user) -> dict:
    return {"decided_by": user, "decided_at": clock.now()}


# --- the checks of clean() ---

def _title_given(event, errors):
    if not (event.title_zh or "").strip() and not (event.title_en or "").strip():
        errors["title_zh"] = gettext("Give a title in Chinese or in English.")


def _ends_after_start(event, errors):
    if event.start and event.end and event.end <= event.start:
        errors["end"] = gettext("The end must be after the start.")


def _plan_fits(event, errors):
    if not same_community(event.plan, event.community):
        errors["plan"] = gettext("The plan belongs to another community.")
    elif event.plan is not None and event.start and to_local(event.start, event.community).year != event.plan.year:
        errors["plan"] = gettext("The event must take place in the plan's year (%(year)s).", year=event.plan.year)


def _venue_fits(event, errors):
    venue = event.venue
    if not same_community(venue, event.community):
        errors["venue"] = gettext("The venue belongs to another community.")
    elif venue is not None and venue.capacity and event.capacity and event.capacity > venue.capacity:
        errors["capacity"] = gettext("The venue holds at most %(n)d people.", n=venue.capacity)


def _buildings_fit(event, errors):
    if any(not same_community(b, event.community) for b in event.target_buildings or []):
        errors["target_buildings"] = gettext("The building belongs to another community.")


def _capacity_holds_the_confirmed(event, stored, errors):
    if event.capacity is not None and event.capacity < (stored.taken or 0):
        errors["capacity"] = gettext("%(n)d people are already confirmed; the capacity cannot be lower.",
                                     n=stored.taken)


def _changed(event, stored, names):
    return [name for name in names if _value(stored, name) != _value(event, name)]


def _content_kept_after_submit(event, stored, errors):
    if stored.state in OPEN_STATES:
        return
    locked = [name for name in CONTENT_FIELDS if name not in EDITABLE_AFTER_SUBMIT]
    for name in _changed(event, stored, locked):
        errors.setdefault(name, gettext("Cannot be changed once the event was submitted (state: %(state)s).",
                                        state=stored.state_label))


def _nothing_changes_once_closed(event, stored, errors):
    if stored.state not in CLOSED_STATES:
        return
    for name in _changed(event, stored, sorted(EDITABLE_AFTER_SUBMIT)):
        errors[name] = gettext("Cannot be changed any more (state: %(state)s).", state=stored.state_label)


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


# --- preconditions of the steps ---

def _start_ahead_to_submit(event, user):
    if event.start and event.start <= clock.now():
        raise DomainError(gettext("The event's start has passed; change the date first."))


def _start_ahead_to_publish(event, user):
    if event.start <= clock.now():
        raise DomainError(gettext("The event's start has passed; it can no longer be published."))


def _has_started(event, user):
    if event.start > clock.now():
        raise DomainError(gettext("The event has not started yet."))


declare(Event, Workflow(AREA, [
    Step("submit", OPEN_STATES, "submitted", label=_l("Submit for approval"), audit_label=_l("Submitted"),
         needs=_l("Only a draft or a rejected event is submitted."), preconditions=(_start_ahead_to_submit,)),
    Step("approve", ("submitted",), "approved", label=_l("Approve"), audit_label=_l("Approved"),
         needs=_l("It must be submitted for approval first.")),
    Step("reject", ("submitted",), "rejected", label=_l("Reject"), audit_label=_l("Rejected"),
         needs=_l("It must be submitted for approval first.")),
    Step("revise", ("rejected",), "draft", label=_l("Reopen for changes"), audit_label=_l("Reopened for changes"),
         needs=_l("Only a rejected event is reopened.")),
    Step("publish", ("approved",), "published", label=_l("Publish"), audit_label=_l("Published"),
         needs=_l("It must be approved first."), preconditions=(_start_ahead_to_publish,)),
    Step("mark_held", ("published",), "held", label=_l("Mark as held"), audit_label=_l("Marked as held"),
         needs=_l("It must be published first."), preconditions=(_has_started,)),
    Step("record", ("held",), "recorded", label=_l("Record summary"), audit_label=_l("Recorded"),
         needs=_l("Mark the event as held first.")),
    Step("cancel", CANCELLABLE, "cancelled", label=_l("Cancel event"), audit_label=_l("Event cancelled"),
         needs=_l("Only an event that was not held yet can be cancelled.")),
]))

audit.register_action_labels({
    "add_photo": _l("Photo added"), "delete_photo": _l("Photo deleted"), "add_feedback": _l("Feedback added"),
    "export_signups": _l("Sign-ups exported"),
}, area=AREA, collections=[Event._get_collection_name()])


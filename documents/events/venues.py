"""Venues of a community and their bookings: no two bookings of one venue overlap.

Booking a venue is not a step of a record (it creates one): it checks the role and community with
`authorize_area` and holds a short lock on the venue, so that two bookings of the same venue are
checked one after the other. Cancelling a booking is the step `cancel_booking` of the engine.
"""
import time
from datetime import datetime, timedelta, timezone

from bson import ObjectId
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import BooleanField, DateTimeField, IntField, Q, ReferenceField, StringField, ValidationError

from app import clock
from documents import audit
from documents.base import CommunityOwned, DomainError, Versioned, refusals
from documents.bilingual import BilingualText, to_local
from documents.deadlines import local_text
from documents.events.common import AREA, BOOKING_STATES, same_community
from documents.validators import normalise_phone, validate_mobile
from documents.workflow import NotApplicable, Step, Workflow, Workflowed, authorize_area, declare

#: how long a booking may hold the venue's lock (a lock left by a crashed process expires)
LOCK_SECONDS = 30


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

    def can_delete(self) -> bool:
        """A venue with bookings or events stays (marked as not in use instead)."""
        from mongoengine.base import get_document
        return not VenueBooking.objects(venue=self).first() and not get_document("Event").objects(venue=self).first()

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
                set__lock_token=token, set__lock_until=now + timedelta(seconds=LOCK_SECONDS))
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
        authorize_area(AREA, "action:book_venue", user, self.community, label=_l("Book a venue"))
        self._check_in_use()
        if start is None or end is None or end <= start:
            raise DomainError(gettext("The end must be after the start."), field="end")
        token = self._acquire()
        try:
            mine = self._booked_for_event(event, start, end)
            if mine is not None:
                return mine  # the same event booked twice (a double click): one booking
            self._refuse_clash(start, end)
            booking = VenueBooking(community=self.community, venue=self, start=start, end=end,
                                   purpose=(purpose or "")[:200], booked_for=(booked_for or "")[:100],
                                   contact_phone=contact_phone or "", event=event, state="booked",
                                   created_by=user, created_at=clock.now())
            booking.save_versioned(None)
        finally:
            self._release(token)
        audit.record("book_venue", booking, audit.diff({}, audit.snapshot(booking)), actor=user)
        return booking

    def booking_problems(self, start, end) -> list:
        """Every reason the venue would refuse a booking of [start, end) (naive UTC; None: not known
        yet) now, all at once, for a form that shows them with the booking's own checks (the end
        after the start, the phone); `book()` checks them again under the lock."""
        checks = [self._check_in_use]
        if start is not None and end is not None and end > start:
            checks.append(lambda: self._refuse_clash(start, end))
        return refusals(checks)

    def _check_in_use(self):
        if not self.active:
            raise DomainError(gettext("This venue is not in use."), field="venue")

    def _booked_for_event(self, event, start, end):
        if event is None:
            return None
        return VenueBooking.objects(venue=self, event=event, state="booked", start=start, end=end).first()

    def _refuse_clash(self, start, end):
        clash = self.conflicts(start, end).first()
        if clash is not None:
            raise DomainError(gettext("%(venue)s is already booked from %(start)s to %(end)s: %(booking)s.",
                                      venue=str(self),
                                      start=f"{to_local(clash.start, self.community):%Y-%m-%d %H:%M}",
                                      end=f"{to_local(clash.end, self.community):%H:%M}",
                                      booking=clash.describe()), field="start")


def _not_an_events_booking(booking, user):
    """An event's booking goes with the event: it is cancelled by cancelling the event."""
    event = booking.event
    if event is not None and event.state != "cancelled":
        raise NotApplicable(gettext("This booking belongs to the event “%(title)s”; cancel the event instead.",
                                  title=event.title))


def _not_over(booking, user):
    """A booking whose time is over is history: there is nothing left to free."""
    if booking.end is not None and booking.end <= clock.now():
        raise NotApplicable(gettext("This booking ended on %(end)s; a booking that is over cannot be cancelled.",
                                  end=local_text(booking.end, booking.community)))


class VenueBooking(CommunityOwned, Versioned, Workflowed):
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
        """The venue and the start in the community's local time (the step page's title)."""
        return f"{self.venue} {local_text(self.start, self.community)}" if self.start else str(self.venue)

    @property
    def purpose_text(self) -> str:
        """What the booking is for, in the reader's language: the title of its event (read when shown,
        so that it follows the page's language), else the purpose typed when booking."""
        if self.event is not None:
            return self.event.title
        return self.purpose or ""

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
        if not same_community(self.venue, self.community):
            raise ValidationError(errors={"venue": ValidationError(
                gettext("The venue belongs to another community."))})

    def cancel(self, user, reason: str = ""):
        """Free the venue (a booking of an event is cancelled with its event)."""
        self.check("cancel_booking", user)
        reason = (reason or "").strip()[:500]
        return self.transition("cancel_booking", user, values={"cancel_reason": reason or None},
                               note=reason or None, checked=False)

    def release(self, user, reason: str):
        """Cancel the booking as part of another step of the same user (the event's cancellation,
        a publication that failed): that step was authorised; someone who cancelled it at the same
        moment leaves nothing more to do."""
        if self.state != "booked":
            return self
        try:
            return self.transition("cancel_booking", user, values={"cancel_reason": (reason or "")[:500] or None},
                                   note=reason or None, checked=False)
        except DomainError:
            return self


declare(VenueBooking, Workflow(AREA, [
    Step("cancel_booking", ("booked",), "cancelled", method="cancel", label=_l("Cancel booking"),
         audit_label=_l("Venue booking cancelled"), needs=_l("The booking is already cancelled."),
         preconditions=(_not_an_events_booking, _not_over)),
]))

audit.register_action_labels({"book_venue": _l("Venue booked")}, area=AREA,
                             collections=[VenueBooking._get_collection_name()])

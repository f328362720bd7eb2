"""Sign-ups of households for a published event: seats, the waiting list, attendance.

Seats: `Event.taken` counts the confirmed people. A seat is only ever taken by
`Event.objects(pk=…, capacity=c, taken__lte=c - n).modify(inc__taken=n)`, so however many clerks
sign up at once the database never confirms more people than the capacity. A new sign-up always
enters the waiting list first and `promote_waiting()` confirms waiting sign-ups strictly in order,
as long as the first one fits; the same call runs after every cancellation or capacity increase.

Signing up creates a record (not a step): it checks the role and community with `authorize_area`.
Cancelling, ticking attendance and moving up from the waiting list are steps of the engine; a
cancellation is a conditional write on the state it was read in, so the seats of a confirmed
sign-up are given back exactly once.
"""
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import BooleanField, DateTimeField, IntField, ReferenceField, StringField, ValidationError
from mongoengine.errors import NotUniqueError

from app import clock
from documents import audit
from documents.base import CommunityOwned, DomainError, Versioned, refusals
from documents.bilingual import to_local
from documents.events.common import AREA, MAX_PEOPLE_PER_SIGNUP, SIGNUP_STATES, label
from documents.validators import normalise_phone, validate_mobile
from documents.workflow import NotApplicable, Step, Workflow, Workflowed, authorize_area, declare

#: states of the event in which attendance is ticked
ATTENDANCE_STATES = ("published", "held")
#: the sign-ups that still hold a place or wait for one
ACTIVE = ("confirmed", "waiting")


class SignUp(CommunityOwned, Versioned, Workflowed):
    """A household's sign-up; the unique index keeps one per household and event."""

    event = ReferenceField("Event", required=True, verbose_name=_l("Event"))
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

    def waiting_number(self) -> int:
        """1 for the first household on the waiting list, and so on; 0 if not waiting."""
        if self.state != "waiting":
            return 0
        return SignUp.objects(event=self.event, state="waiting", position__lte=self.position).count()

    # --- steps ---
    def cancel(self, user) -> list:
        """Cancel; freed places go to the waiting list at once. Returns the sign-ups moved up."""
        self.check("cancel_signup", user)
        was = self.state
        self.transition("cancel_signup", user, values={"cancelled_at": clock.now()}, checked=False)
        if was != "confirmed":
            return []
        give_back(self.event, self.people)
        return promote_waiting(self.event, user)

    def attend(self, user):
        """Tick attendance (from the event's day on, for a confirmed sign-up)."""
        self.check("attend", user)
        return self.transition("attend", user, values={"attended": True, "attended_at": clock.now(),
                                                       "attended_by": user},
                               extra_query={"attended": False}, note=str(self.event), checked=False)

    def unattend(self, user):
        self.check("unattend", user)
        return self.transition("unattend", user, values={"attended": False, "attended_at": None,
                                                         "attended_by": None},
                               extra_query={"attended": True}, note=str(self.event), checked=False)

    def set_attended(self, user, attended: bool = True):
        return self.perform("attend" if attended else "unattend", user)

    def promote(self, user, event):
        """Move up from the waiting list (the seats were reserved by `promote_waiting`)."""
        return self.transition("promote", user, values={"confirmed_at": clock.now()}, note=str(event),
                               checked=False)


# --- preconditions ---

def _event_takes_changes(signup, user):
    if signup.event.state != "published":
        raise NotApplicable(gettext("Sign-ups change only while the event is published (it is “%(state)s”).",
                                  state=signup.event.state_label))


def _attendance_open(signup, user):
    event = signup.event
    if event.state not in ATTENDANCE_STATES:
        raise NotApplicable(gettext("Attendance is ticked for published or held events."))
    local_start = to_local(event.start, signup.community)
    if to_local(clock.now(), signup.community).date() < local_start.date():
        raise DomainError(gettext("Attendance can be ticked from the day of the event on (%(day)s).",
                                  day=f"{local_start:%Y-%m-%d}"))


def _not_attended(signup, user):
    """A household that came cannot have its sign-up cancelled (untick the attendance if it was a mistake)."""
    if signup.attended:
        raise NotApplicable(gettext("This household has attended; its sign-up can no longer be cancelled."))


def _not_ticked(signup, user):
    if signup.attended:
        raise NotApplicable(gettext("Attendance was already ticked."))


def _ticked(signup, user):
    if not signup.attended:
        raise NotApplicable(gettext("Attendance was not ticked."))


declare(SignUp, Workflow(AREA, [
    Step("cancel_signup", ACTIVE, "cancelled", method="cancel", label=_l("Cancel sign-up"),
         audit_label=_l("Sign-up cancelled"), needs=_l("The sign-up is already cancelled."),
         preconditions=(_event_takes_changes, _not_attended)),
    Step("attend", ("confirmed",), None, label=_l("Tick attendance"), audit_label=_l("Attendance ticked"),
         needs=_l("Only confirmed sign-ups can attend."), preconditions=(_attendance_open, _not_ticked)),
    Step("unattend", ("confirmed",), None, label=_l("Untick attendance"), permission="action:attend",
         audit_label=_l("Attendance unticked"), needs=_l("Only confirmed sign-ups can attend."),
         preconditions=(_attendance_open, _ticked)),
    # taken by the system for the first in line when places free up (never offered as a button)
    Step("promote", ("waiting",), "confirmed", label=_l("Move up from the waiting list"),
         audit_label=_l("Moved up from the waiting list"), permission="action:sign_up", page=False),
]))

audit.register_action_labels({"sign_up": _l("Signed up")}, area=AREA,
                             collections=[SignUp._get_collection_name()])


# --- seats and the waiting list (the event's `taken` and `signup_seq` counters) ---

def next_position(event) -> int:
    return type(event).objects(pk=event.pk).modify(new=True, inc__signup_seq=1).signup_seq


def reserve(event, people: int) -> bool:
    """Take `people` seats if they are free; the condition is part of the write."""
    events = type(event).objects
    for _attempt in range(10):
        current = events(pk=event.pk).only("capacity", "taken", "state").first()
        if current is None or current.state != "published":
            return False
        capacity = current.capacity or 0
        if (current.taken or 0) + people > capacity:
            return False
        if events(pk=event.pk, state="published", capacity=capacity,
                  taken__lte=capacity - people).modify(inc__taken=people) is not None:
            return True
    return False


def give_back(event, people: int):
    type(event).objects(pk=event.pk).update_one(dec__taken=people)


def promote_waiting(event, user=None, quiet_for=None) -> list:
    """Confirm waiting sign-ups in order while the first one fits. Returns those confirmed.

    `quiet_for`: the sign-up being created right now; its confirmation is part of its creation
    (its "signed up" entry says "confirmed"), not a move up the list.
    """
    promoted = []
    for _guard in range(1000):
        first = SignUp.objects(event=event, state="waiting").order_by("position").first()
        if first is None or not reserve(event, first.people):
            break
        done = _confirm(first, user, event, quiet=first.pk == quiet_for)
        if done is None:  # cancelled or confirmed by someone else meanwhile: seats back
            give_back(event, first.people)
            continue
        promoted.append(done)
    event.reload("taken")
    return promoted


def _confirm(signup, user, event, quiet: bool):
    if quiet:
        return SignUp.objects(pk=signup.pk, state="waiting").modify(
            new=True, set__state="confirmed", set__confirmed_at=clock.now(), inc__version=1)
    try:
        return signup.promote(user, event)
    except DomainError:
        return None


# --- signing up (creates a sign-up) ---

def sign_up(event, household, people, contact_phone: str, user) -> SignUp:
    """Sign a household up: confirmed while places are free, else on the waiting list."""
    authorize_area(AREA, "action:sign_up", user, event.community, label=_l("Sign up a household"))
    check_open(event)
    _check_household(event, household)
    people = _checked_people(event, people)
    phone = _checked_phone(contact_phone, household)
    signup = SignUp(community=event.community, event=event, household=household, people=people,
                    contact_phone=phone, state="waiting", position=next_position(event),
                    created_by=user, created_at=clock.now())
    try:
        signup.save()
    except NotUniqueError:
        signup = _sign_up_again(event, household, people, phone, user)
    promote_waiting(event, user, quiet_for=signup.pk)
    signup.reload()
    note = gettext("confirmed") if signup.state == "confirmed" else \
        gettext("waiting list, position %(n)d", n=signup.waiting_number())
    audit.record("sign_up", signup, audit.diff({}, audit.snapshot(signup)), note=note, actor=user)
    return signup


def sign_up_problems(event, household, people, contact_phone: str) -> list:
    """Every reason `sign_up` would refuse these values, all at once, for a form (a value None is not
    known yet: its checks are left out); `sign_up` checks them again when it writes."""
    checks = [lambda: check_open(event)]
    if household is not None:
        checks += [lambda: _check_household(event, household), lambda: _checked_phone(contact_phone, household)]
    if people is not None:
        checks.append(lambda: _checked_people(event, people))
    return refusals(checks)


def check_open(event):
    if event.state != "published":
        raise DomainError(gettext("Only published events take sign-ups."))
    if event.start <= clock.now():
        raise DomainError(gettext("The event has started; sign-ups are closed."))


def _check_household(event, household):
    if household is None or household.community.pk != event.community.pk:
        raise DomainError(gettext("The household belongs to another community."), field="household")
    if household.status != "current":
        raise DomainError(gettext("This household has moved out."), field="household")
    numbers = {b.number for b in event.target_buildings or []}
    if numbers and household.building_no not in numbers:
        raise DomainError(gettext("This event is for buildings %(list)s only.",
                                  list=", ".join(b.number for b in event.target_buildings)),
                          field="household")


def _checked_people(event, people) -> int:
    most = min(MAX_PEOPLE_PER_SIGNUP, event.capacity)
    try:
        people = int(people)
    except (TypeError, ValueError):
        people = 0
    if not 1 <= people <= most:
        raise DomainError(gettext("Number of people: 1 to %(n)d.", n=most), field="people")
    return people


def _checked_phone(contact_phone, household) -> str:
    phone = normalise_phone(contact_phone or "") or household_phone(household)
    try:
        validate_mobile(phone)
    except ValidationError as err:
        raise DomainError(err.message, field="contact_phone")
    return phone


def household_phone(household) -> str:
    return household.contact_phone()


def _sign_up_again(event, household, people, phone, user):
    """The unique index found an earlier sign-up: only a cancelled one may be taken up again."""
    existing = SignUp.objects(event=event, household=household).first()
    if existing is not None and existing.state == "cancelled":
        again = SignUp.objects(pk=existing.pk, state="cancelled").modify(
            new=True, set__state="waiting", set__people=people, set__contact_phone=phone,
            set__position=next_position(event), set__attended=False, unset__cancelled_at=1,
            unset__confirmed_at=1, set__created_by=user, set__created_at=clock.now(), inc__version=1)
        if again is not None:
            return again
        existing.reload()
    state = label(SIGNUP_STATES, existing.state if existing else "")
    raise DomainError(gettext("This household is already signed up for this event (%(state)s).",
                              state=state), field="household")

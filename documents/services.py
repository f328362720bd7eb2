"""What repairs and complaints share: numbering, the room/household link, and the closing steps.

Both are `Workflowed` documents (documents/workflow.py): each declares its own steps, and the
engine checks role, community and state and writes each step once (a conditional write with its
audit entry). The two ways a record closes are the same for both and declared here:
`close` (a supervisor, without a visit) and `return_visit` (taken from the visit log).
"""
from datetime import timedelta

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import DateTimeField, IntField, ReferenceField, StringField, ValidationError

from app import clock
from documents.base import CommunityOwned, DomainError, Versioned
from documents.deadlines import local_date, local_text, zone_of
from documents.sequences import Sequence
from documents.validators import normalise_phone, validate_mobile
from documents.workflow import Step, Workflowed

CLOSE_REASONS = [
    ("unreachable", _l("Resident could not be reached")),
    ("declined", _l("Resident declined the return visit")),
    ("duplicate", _l("Duplicate registration")),
    ("other", _l("Other")),
]
CLOSED = "closed"
#: how far a time a person enters may lie ahead of the server's clock (their watch, a slow form)
CLOCK_SKEW = timedelta(minutes=5)


def next_number(community, prefix: str, now=None) -> str:
    """BX20260311-007: prefix, the community's local date, a daily sequence (atomic $inc)."""
    day = local_date(now or clock.now(), zone_of(community)).strftime("%Y%m%d")
    return f"{prefix}{day}-{Sequence.next(f'{community.pk}:{prefix}:{day}'):03d}"


def save_numbered(record, user, prefix: str):
    """A new record of a register: checked first (nothing saved and no number used when a rule
    refuses), then numbered, saved and audited with every field it was created with."""
    from documents import audit
    from documents.workflow import domain_error_from
    try:
        record.validate()
    except ValidationError as err:
        raise domain_error_from(err) from None
    record.number = next_number(record.community, prefix)
    record.version = 1
    record.save()
    audit.record("create", record, audit.diff({}, audit.snapshot(record)), actor=user)
    return record


def latest_allowed(value, community) -> str | None:
    """The refusal of a time typed later than now (a clock's skew allowed): the latest time it may be,
    in the community's local time; None when the time is fine. Callers word what cannot be in the future."""
    latest = clock.now() + CLOCK_SKEW
    return local_text(latest, community) if value is not None and value > latest else None


def to_the_minute(value):
    """Times are typed to the minute: 10:05 is not "before" a step recorded at 10:05:40."""
    return value.replace(second=0, microsecond=0)


def not_before_text(earliest, community) -> str:
    """The earliest allowed time as a person types it: the community's local time, to the minute."""
    return local_text(to_the_minute(earliest), community)


def validate_satisfaction(value):
    if value is not None and not 1 <= int(value) <= 5:
        raise ValidationError(gettext("Satisfaction is rated from 1 (very unhappy) to 5 (very happy)."))


def closing_steps(visit_states: tuple, needs, visit_from: tuple | None = None, visit_needs=None) -> list[Step]:
    """The two ways a repair or a complaint is closed: by a supervisor with a reason, from the
    states where a return visit is due, or by the return visit (from `visit_from`, default the
    same states: a repair's only once the resident has signed off)."""
    return [
        Step("close", visit_states, CLOSED, label=_l("Close"), needs=needs),
        Step("return_visit", visit_from or visit_states, CLOSED, label=_l("Return visit"),
             needs=visit_needs or needs, area="visits", permission="create", method="close_by_visit",
             page=False),
    ]


class ServiceRequest(CommunityOwned, Versioned, Workflowed):
    """Abstract base of Repair and Complaint (each defines `state` with its own choices)."""

    meta = {"abstract": True}

    OPEN_STATES: tuple = ()      # states that still need work (handover, "open" filter)
    VISIT_STATES: tuple = ()     # states from which a return visit closes the record
    TIMELINE: tuple = ()         # the time fields its steps write, in order (a visit comes after them)

    number = StringField(max_length=30, verbose_name=_l("Number"))
    room = ReferenceField("Room", verbose_name=_l("Room"))
    household = ReferenceField("Household", verbose_name=_l("Household"))
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    building_no = StringField(max_length=10, verbose_name=_l("Building no."))
    resident_name = StringField(max_length=60, verbose_name=_l("Resident"))
    resident_phone = StringField(max_length=20, validation=validate_mobile, verbose_name=_l("Phone"))
    due_at = DateTimeField(verbose_name=_l("Due"))
    registered_by = ReferenceField("Staff", verbose_name=_l("Registered by"))
    visited_at = DateTimeField(verbose_name=_l("Return visit on"))
    visit_satisfaction = IntField(validation=validate_satisfaction, verbose_name=_l("Visit satisfaction"))
    closed_at = DateTimeField(verbose_name=_l("Closed on"))
    close_reason = StringField(choices=CLOSE_REASONS, verbose_name=_l("Reason for closing"))
    close_note = StringField(max_length=500, verbose_name=_l("Closing note"))

    def __str__(self):
        return f"{self.number or ''} {self.room_code or ''}".strip()

    # --- shared derivations ---
    def link_room(self):
        """Room -> household (the room's current archive), room code and building, resident name."""
        from documents.residents import Household
        if self.room is not None:
            if self.community and self.room.community.pk != self.community.pk:
                raise ValidationError(errors={"room": ValidationError(
                    gettext("The room belongs to another community."))})
            self.room_code = self.room.code
            self.building_no = self.room.building_no
            if self.household is None or self.household.room.pk != self.room.pk:
                self.household = Household.objects(room=self.room, status="current").first()
        else:
            self.room_code = None
            self.household = None
        if self.household is not None and not self.resident_name:
            self.resident_name = self.household.name
        if self.resident_phone:
            self.resident_phone = normalise_phone(self.resident_phone)

    def contact_phone(self) -> str:
        """The phone to call: the one taken with the request, else the archive's first phone."""
        if self.resident_phone:
            return self.resident_phone
        return self.household.contact_phone() if self.household is not None else ""

    def assign_number(self, prefix: str):
        if not self.number and self.community is not None:
            self.number = next_number(self.community, prefix)

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    def check_editable(self):
        """A finished record is what was done: its form is closed (its steps remain the way to act)."""
        if not self.is_open:
            raise DomainError(gettext("A finished record can no longer be edited."))

    def last_step(self):
        """(time, label of its field) of the latest step on the record, e.g. the handling; None if none."""
        done = [(getattr(self, name), order, self._fields[name].verbose_name)
                for order, name in enumerate(self.TIMELINE) if getattr(self, name) is not None]
        if not done:
            return None
        at, _order, label = max(done)         # the same minute: the later step in the timeline
        return at, label

    # --- the closing steps every service request has ---
    def close_by_visit(self, user, visit):
        """A return visit closes the record (the `return_visit` step: "may log visits")."""
        self.check("return_visit", user)
        now = clock.now()
        return self.transition("return_visit", user, values={
            "visited_at": visit.visited_at or now, "visit_satisfaction": visit.satisfaction,
            "closed_at": now}, note=visit.resident_said, validate=True, checked=False)

    def close(self, user, reason: str, note: str = ""):
        """Close without a return visit (supervisor): resident unreachable, declined, duplicate…"""
        self.check("close", user)
        if reason not in dict(CLOSE_REASONS):
            raise DomainError(gettext("Choose a reason for closing."), field="reason")
        if reason == "other" and not (note or "").strip():
            raise DomainError(gettext("Say why the record is closed."), field="note")
        return self.transition("close", user, values={
            "closed_at": clock.now(), "close_reason": reason, "close_note": (note or "").strip() or None},
            note=note, validate=True, checked=False)

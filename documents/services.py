"""What repairs and complaints share: numbering, the room/household link, and safe transitions.

A transition (`_advance`) checks the acting staff member's role and the current state, validates
the record with the new values (clean() recomputes deadlines), then writes with a conditional
update `objects(pk=…, state__in=<allowed>).modify(…)`: a double click or two clerks at once can
never apply it twice. Every transition is audit-logged with the changed fields.
"""
from bson import ObjectId
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (DateTimeField, Document, IntField, ReferenceField, StringField,
                         ValidationError)

from app import clock
from app.permissions import can
from documents import audit
from documents.base import CommunityOwned, DomainError, PermissionDenied, Versioned, sees_community
from documents.deadlines import local_date, zone_of
from documents.validators import normalise_phone, validate_mobile

CLOSE_REASONS = [
    ("unreachable", _l("Resident could not be reached")),
    ("declined", _l("Resident declined the return visit")),
    ("duplicate", _l("Duplicate registration")),
    ("other", _l("Other")),
]

STEP_LABELS = {}   # action name -> lazy label, filled by the areas (also used for audit labels)


class Counter(Document):
    """One atomic counter per community, kind and local day, for human-readable numbers."""
    key = StringField(required=True, unique=True)
    value = IntField(default=0)
    meta = {"collection": "counters", "indexes": ["key"]}


def next_number(community, prefix: str, now=None) -> str:
    """BX20260311-007: prefix, the community's local date, a daily sequence (atomic $inc)."""
    day = local_date(now or clock.now(), zone_of(community)).strftime("%Y%m%d")
    counter = Counter.objects(key=f"{community.pk}:{prefix}:{day}").modify(
        upsert=True, new=True, inc__value=1)
    return f"{prefix}{day}-{counter.value:03d}"


def validate_satisfaction(value):
    if value is not None and not 1 <= int(value) <= 5:
        raise ValidationError(gettext("Satisfaction is rated from 1 (very unhappy) to 5 (very happy)."))


class ServiceRequest(CommunityOwned, Versioned):
    """Abstract base of Repair and Complaint (each defines `state` with its own choices)."""

    meta = {"abstract": True}

    AREA = ""                    # permission area, e.g. "repairs"
    STATES: list = []            # (code, label)
    OPEN_STATES: tuple = ()      # states that still need work (handover, "open" filter)
    VISIT_STATES: tuple = ()     # states from which a return visit closes the record
    CLOSED_STATE = "closed"
    DERIVED_FIELDS: tuple = ()   # fields clean() recomputes; written along with every transition

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

    def assign_number(self, prefix: str):
        if not self.number and self.community is not None:
            self.number = next_number(self.community, prefix)

    # --- state ---
    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    def state_label(self) -> str:
        return str(dict(self.STATES).get(self.state, self.state or ""))

    def allowed_steps(self, user) -> list[str]:
        """Names of the transitions this user may apply now (for row actions and buttons)."""
        return [name for name, states in self.STEPS.items()
                if self.state in states and can(self.AREA, f"action:{name}", user)]

    STEPS: dict = {}  # action name -> states it starts from (defined by subclasses)

    def require(self, action: str, actor, area: str | None = None, perm: str | None = None):
        """Role check in the rule itself (the views check too, but this is the last word)."""
        area, perm = area or self.AREA, perm or f"action:{action}"
        if not can(area, perm, actor):
            raise PermissionDenied(gettext("Your role does not allow this step: %(step)s.",
                                           step=step_label(action)))
        if not sees_community(actor, self.community):
            raise PermissionDenied(gettext("You may only work on records of your own communities."))

    def refuse_state(self, action: str):
        raise DomainError(gettext("“%(step)s” is not possible: %(number)s is %(state)s.",
                                  step=step_label(action), number=self.number or "",
                                  state=self.state_label()))

    def _advance(self, action, actor, to_state, values=None, note=None, from_states=None,
                 area=None, perm=None):
        """Apply one transition safely (see the module docstring). Returns self, reloaded."""
        from_states = tuple(from_states or self.STEPS.get(action, ()))
        self.require(action, actor, area, perm)
        if self.state not in from_states:
            self.refuse_state(action)
        before = audit.snapshot(self)
        values = dict(values or {})
        values["state"] = to_state
        for name, value in values.items():
            setattr(self, name, value)
        try:
            self.validate()   # runs clean(): deadlines and totals are recomputed here
        except ValidationError as err:
            self.reload()
            raise domain_error_from(err)
        names = set(values) | set(self.DERIVED_FIELDS)
        sets = {f"set__{n}": getattr(self, n) for n in names if getattr(self, n) is not None}
        unsets = {f"unset__{n}": True for n in names if getattr(self, n) is None}
        fresh = type(self).objects(pk=self.pk, state__in=list(from_states)).modify(
            new=True, inc__version=1, **sets, **unsets)
        self.reload()
        if fresh is None:
            raise DomainError(gettext(
                "%(number)s was changed by someone else meanwhile (it is now %(state)s); "
                "nothing was changed.", number=self.number or "", state=self.state_label()))
        audit.record(action, self, audit.diff(before, audit.snapshot(self)), note=note, actor=actor)
        return self

    # --- steps every service request has ---
    def close_by_visit(self, visit, actor):
        """A return visit closes the record (role checked as "may log visits")."""
        now = clock.now()
        return self._advance("return_visit", actor, self.CLOSED_STATE, {
            "visited_at": visit.visited_at or now, "visit_satisfaction": visit.satisfaction,
            "closed_at": now}, from_states=self.VISIT_STATES, area="visits", perm="create",
            note=visit.resident_said)

    def close(self, actor, reason: str, note: str = ""):
        """Close without a return visit (supervisor): resident unreachable, declined, duplicate…"""
        if reason not in dict(CLOSE_REASONS):
            raise DomainError(gettext("Choose a reason for closing."), field="reason")
        if reason == "other" and not (note or "").strip():
            raise DomainError(gettext("Say why the record is closed."), field="note")
        return self._advance("close", actor, self.CLOSED_STATE, {
            "closed_at": clock.now(), "close_reason": reason, "close_note": (note or "").strip() or None},
            note=note)


def step_label(action: str) -> str:
    return str(STEP_LABELS.get(action, action))


def register_steps(labels: dict):
    """Name transitions once: row buttons, refusals and the audit history use the same label."""
    STEP_LABELS.update(labels)
    audit.register_action_labels(labels)


register_steps({"return_visit": _l("Return visit"), "close": _l("Close")})


def flatten_errors(err, field=None) -> list[tuple[str | None, str]]:
    """A (nested) mongoengine ValidationError as [(field or None, message)], clean()'s __all__ unwrapped."""
    nested = getattr(err, "errors", None)
    if nested:
        pairs = []
        for key, sub in nested.items():
            pairs += flatten_errors(sub, field if key == "__all__" else (field or key))
        return pairs
    return [(field, err.message if isinstance(err, ValidationError) else str(err))]


def domain_error_from(err: ValidationError) -> DomainError:
    pairs = flatten_errors(err)
    field = pairs[0][0] if pairs else None
    return DomainError("; ".join(message for _f, message in pairs), field=field)


def valid_object_id(value) -> bool:
    return bool(value) and ObjectId.is_valid(str(value))

"""The agenda: one document per running deadline ("clock"), and the sweeper that acts on them.

An area declares its clock kinds (`ClockKind`): in which states of a record the clock runs, the
record's field that holds its deadline, the fact that stops it, who answers for it, whether it
counts calendar or working time (documents/service_calendar.py), and its escalation ladder
(`Rung`s). The record computes its deadlines with `kind.deadline(record, start, span)`, so the
arithmetic is the agenda's; the workflow engine calls `sync(record)` after every write, and the
agenda starts, moves, stops or restarts the record's clocks to match its state.

The sweeper (`sweep`, run by `flask sweep` from cron and every minute by the in-process scheduler)
breaches the clocks whose deadline has passed and climbs their ladders, at the moment each was
due and with the system as the actor. Several sweepers may run at once: a lease document lets one
sweep at a time, and each effect is taken by a conditional write on the clock, so it happens once.
A clock's effects (audit entry on the record, notifications) wait in its `pending` list until they
are done, so a sweeper that dies half-way leaves them for the next one; each effect is idempotent.

Recorded facts stay recorded: a breached clock is never made "met" again by an edit that moves the
deadline; a clock that stops after its deadline was breached, whether the sweeper saw it or not.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import hashlib
import logging
import os
import socket
from typing import Callable

from bson import ObjectId
from flask_babel import gettext, lazy_gettext as _l, lazy_pgettext
from mongoengine import (DateTimeField, Document, IntField, ListField, DictField,
                         ObjectIdField, ReferenceField, StringField)
from mongoengine.errors import NotUniqueError

from app import clock
from documents import audit
from documents.base import OwnedQuerySet
from documents.service_calendar import CALENDAR, ServiceCalendar, Span

log = logging.getLogger(__name__)

RUNNING, MET, BREACHED, CANCELLED = "running", "met", "breached", "cancelled"
OPEN, DONE = "open", "done"
PHASES = [(OPEN, lazy_pgettext("clock", "Open")), (DONE, _l("Done"))]
CLOCK_STATES = [(RUNNING, _l("Running")), (MET, _l("Met")), (BREACHED, _l("Breached")),
                (CANCELLED, _l("Cancelled"))]
#: a record moved into one of these states stops its clocks as cancelled, neither met nor breached
CANCELLING_STATES = ("cancelled", "withdrawn", "rejected")
#: a sweep holds its lease this long; a sweeper that died frees it after that
LEASE_SECONDS = 120
#: clocks taken per query by a sweep (it loops until nothing is due)
SWEEP_BATCH = 200

AUDIT_LABELS = {"clock_breach": _l("Deadline passed"), "clock_escalate": _l("Escalated")}
#: every declared clock kind by name, and the kinds of each model
KINDS: dict[str, "ClockKind"] = {}
KINDS_OF: dict[str, list["ClockKind"]] = {}
#: other work each sweep does under its lease: `task(now)`, which decides itself whether it is due
#: (the arrears' aging buckets: once per community day, documents/fees/dunning.py)
SWEEP_TASKS: list[Callable] = []


def register_sweep_task(task: Callable) -> Callable:
    if task not in SWEEP_TASKS:
        SWEEP_TASKS.append(task)
    return task


@dataclass(frozen=True)
class Rung:
    """A step of an escalation ladder: `after` the previous rung (the first: after the deadline),
    the clock reaches `level` and `role` is told."""
    level: int
    after: timedelta
    role: str
    label: object


@dataclass
class ClockKind:
    """A kind of deadline. `states`: the record's states in which it runs; `due_field`: the record's
    field holding the deadline; `done_field`: the time field of the fact that stops it (met when
    not after the deadline; default: the moment it stopped). `responsible(record)` -> Staff or None;
    `role`: who answers for it when no one person does (and who is told of a breach); `roles`: all
    the roles that answer for it together, when more than one does (default: `role` alone).
    `on_rung(record, rung, at)` -> values the record itself keeps of an escalation (e.g. its level).
    `applies(record)`: only records it is true for have this clock (complaints, not suggestions).
    `due(record)`: the deadline when it is not a field as such (a patrol due on a date: its end).
    `recurring`: a new deadline is a new clock (the next patrol), the last one met or breached.
    """
    name: str
    label: object
    states: tuple
    due_field: str
    done_field: str | None = None
    policy: str = CALENDAR
    role: str = "supervisor"
    roles: tuple = ()
    responsible: Callable | None = None
    ladder: tuple = ()
    on_rung: Callable | None = None
    applies: Callable | None = None
    due: Callable | None = None
    recurring: bool = False
    area: str = ""
    endpoint: str = ""
    model: type = field(default=None, repr=False)

    def deadline(self, record, start: datetime | None, span: Span) -> datetime | None:
        """The deadline `span` after `start` on the record community's policy for this kind."""
        if start is None:
            return None
        calendar = ServiceCalendar.of(record.community)
        return calendar.deadline(start, span, calendar.policy_for(self.name, self.policy))

    def due_of(self, record) -> datetime | None:
        return self.due(record) if self.due else getattr(record, self.due_field, None)

    def wants(self, record) -> bool:
        return record.state in self.states and (self.applies is None or self.applies(record)) \
            and self.due_of(record) is not None

    def answering_roles(self) -> tuple:
        """Every role that answers for the clock when no one person does."""
        return tuple(dict.fromkeys((self.role,) + tuple(self.roles or ())))

    def responsible_of(self, record):
        return self.responsible(record) if self.responsible else None

    def rung(self, level: int) -> Rung | None:
        return self.ladder[level] if level < len(self.ladder) else None


def declare_clocks(model, kinds: list[ClockKind], area: str, endpoint: str):
    """Bind clock kinds to a model (its `details` endpoint links notifications to the record)."""
    for kind in kinds:
        kind.model, kind.area, kind.endpoint = model, area, endpoint
        KINDS[kind.name] = kind
    KINDS_OF[model.__name__] = list(kinds)
    audit.register_action_labels(AUDIT_LABELS)
    return kinds


class Clock(Document):
    """One deadline of one record: running until its fact happens, or until it is breached."""
    kind = StringField(required=True, verbose_name=_l("Clock"))
    collection = StringField(required=True)
    record_id = ObjectIdField(required=True)
    round = IntField(default=0)          # 0 the first time, +1 each time the clock starts again
    record_label = StringField(max_length=120, verbose_name=_l("Record"))
    community = ReferenceField("Community", required=True, verbose_name=_l("Community"))
    building_no = StringField(max_length=10, verbose_name=_l("Building no."))   # a housekeeper's scope
    due_at = DateTimeField(required=True, verbose_name=_l("Due"))
    responsible = ReferenceField("Staff", verbose_name=_l("Responsible"))
    responsible_role = StringField(verbose_name=_l("Responsible role"))
    #: every role that answers for it (the kind's `answering_roles`), when it is more than one
    responsible_roles = ListField(StringField())
    state = StringField(choices=CLOCK_STATES, default=RUNNING, verbose_name=_l("State"))
    #: OPEN while running, or breached with the fact still not there; a string (not a boolean) so
    #: that every store answers "open clocks of …" from its index exactly
    phase = StringField(choices=PHASES, default=OPEN)
    started_at = DateTimeField(verbose_name=_l("Started on"))
    met_at = DateTimeField(verbose_name=_l("Met on"))
    breached_at = DateTimeField(verbose_name=_l("Breached on"))
    stopped_at = DateTimeField(verbose_name=_l("Stopped on"))
    level = IntField(default=0, verbose_name=_l("Escalation"))
    escalated_at = DateTimeField(verbose_name=_l("Escalated on"))
    next_at = DateTimeField()           # when the sweeper has something to do (None: nothing)
    pending = ListField(DictField())    # effects taken but not yet carried out (see the docstring)
    version = IntField(default=0)

    meta = {
        "collection": "clocks",
        "queryset_class": OwnedQuerySet,
        "indexes": [
            {"fields": ["record_id", "kind", "round"], "unique": True},
            ("phase", "next_at"), ("collection", "phase", "due_at"), ("community", "phase", "due_at"),
            ("responsible", "phase", "due_at"), ("responsible_role", "community", "phase", "due_at"),
            ("responsible_roles", "community", "phase", "due_at"),
            ("community", "phase", "level"), ("kind", "phase", "community", "due_at"),
            ("kind", "phase", "community", "building_no", "due_at"),
            ("collection", "community", "phase", "state", "due_at"),
            # the KPI page: clocks met / breached in a period, the patrols due in it
            ("community", "state", "met_at"), ("community", "state", "breached_at"),
            ("kind", "community", "due_at"),
        ],
        "ordering": ["due_at"],
    }

    def __str__(self):
        return f"{self.kind_label} {self.record_label or ''}".strip()

    @property
    def kind_def(self) -> ClockKind | None:
        return KINDS.get(self.kind)

    @property
    def kind_label(self) -> str:
        kind = self.kind_def
        return str(kind.label) if kind else self.kind

    def record(self):
        kind = self.kind_def
        return kind.model.objects(pk=self.record_id).first() if kind else None


# --- keeping a record's clocks in step with the record (called by the workflow engine) ---

def sync(record, now: datetime | None = None) -> None:
    """Start, move, restart or stop the record's clocks to match its state and deadlines."""
    kinds = KINDS_OF.get(type(record).__name__)
    if not kinds or record.pk is None:
        return
    now = now or clock.now()
    open_clocks = {c.kind: c for c in Clock.objects(record_id=record.pk, phase=OPEN)}
    for kind in kinds:
        current = open_clocks.get(kind.name)
        if kind.wants(record):
            if current is None:
                _start(kind, record, now)
            elif kind.recurring and kind.due_of(record) != current.due_at:
                _stop(kind, current, record, now)      # this round is over: the next one starts
                _start(kind, record, now)
            else:
                _follow(kind, current, record)
        elif current is not None:
            _stop(kind, current, record, now)


def _start(kind: ClockKind, record, now):
    due = kind.due_of(record)
    responsible = kind.responsible_of(record)
    round_ = Clock.objects(record_id=record.pk, kind=kind.name).count()
    clock_ = Clock(kind=kind.name, collection=record._get_collection_name(), record_id=record.pk,
                   round=round_, record_label=str(record)[:120], community=record.community,
                   building_no=getattr(record, "building_no", None), due_at=due,
                   responsible=responsible, responsible_role=kind.role, started_at=now, next_at=due,
                   responsible_roles=list(roles) if len(roles := kind.answering_roles()) > 1 else None)
    try:
        clock_.save(force_insert=True)
    except NotUniqueError:
        pass  # another write of the same step started it


def _follow(kind: ClockKind, current: Clock, record):
    """A running clock follows a moved deadline (a restart); a breach stays on record."""
    due = kind.due_of(record)
    responsible = kind.responsible_of(record)
    changes = {}
    if current.state == RUNNING and due != current.due_at:
        changes.update(due_at=due, next_at=due)
    if (responsible.pk if responsible else None) != (current.responsible.pk if current.responsible else None):
        changes["responsible"] = responsible
    if changes:
        _update(current, changes)


def _stop(kind: ClockKind, current: Clock, record, now):
    done_at = getattr(record, kind.done_field, None) if kind.done_field else None
    done_at = done_at or now
    values = {"phase": DONE, "stopped_at": done_at, "next_at": None}
    if current.state == RUNNING:
        if record.state in CANCELLING_STATES or (record.state in kind.states and not kind.recurring):
            values.update(state=CANCELLED)          # the deadline was taken away, or the record
        elif done_at <= current.due_at:
            values.update(state=MET, met_at=done_at)
        else:
            values.update(state=BREACHED, breached_at=current.due_at)
    _update(current, values)


def _update(current: Clock, values: dict) -> bool:
    """Set (None: unset) `values` on the clock as it was read: a clock moved on meanwhile is left."""
    return bool(Clock.objects(pk=current.pk, version=current.version).update_one(
        inc__version=1, **{f"set__{k}" if v is not None else f"unset__{k}": (v if v is not None else True)
                           for k, v in values.items()}))


def cancel_clocks(record, now=None):
    """A record that is cancelled or deleted: its open clocks stop, neither met nor breached."""
    now = now or clock.now()
    Clock.objects(record_id=record.pk, phase=OPEN, state=RUNNING).update(
        set__state=CANCELLED, set__phase=DONE, set__stopped_at=now, unset__next_at=True, inc__version=1)


# --- the sweeper ---

class Lease(Document):
    """Who may sweep now: one document per job, taken by a conditional write."""
    name = StringField(primary_key=True)
    holder = StringField()
    until = DateTimeField()
    meta = {"collection": "leases"}


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{ObjectId()}"


def take_lease(name: str, holder: str, now: datetime, seconds: int = LEASE_SECONDS) -> bool:
    """True if `holder` now holds the lease (it was free, expired, or already theirs)."""
    until = now + timedelta(seconds=seconds)
    taken = Lease.objects(name=name, until__lt=now).update_one(set__holder=holder, set__until=until)
    if taken:
        return True
    if Lease.objects(name=name, holder=holder).update_one(set__until=until):
        return True
    try:
        Lease(name=name, holder=holder, until=until).save(force_insert=True)
        return True
    except NotUniqueError:
        return False


def free_lease(name: str, holder: str, now: datetime):
    """Give the lease back: it reads as expired from `now` on."""
    Lease.objects(name=name, holder=holder).update_one(set__until=now - timedelta(seconds=1))


@dataclass
class SweepReport:
    ran: bool = False
    breached: int = 0
    escalated: int = 0
    notified: int = 0
    delivered: int = 0

    def __str__(self):
        if not self.ran:
            return "Another sweeper holds the lease; nothing done."
        return (f"{self.breached} clocks breached, {self.escalated} escalations, "
                f"{self.notified} notifications, {self.delivered} deliveries.")


def sweep(now: datetime | None = None, holder: str | None = None) -> SweepReport:
    """Breach and escalate every clock that is due, carry out waiting effects, send notifications."""
    from documents import notifications
    now = now or clock.now()
    holder = holder or holder_name()
    report = SweepReport()
    if not take_lease("sweep", holder, now):
        return report
    report.ran = True
    try:
        adopt_open_records(now)
        for clock_ in Clock.objects(pending__0__exists=True):   # left by a sweeper that died
            report.notified += _carry_out(clock_)
        while True:
            due = list(Clock.objects(phase=OPEN, next_at__lt=now).order_by("next_at").limit(SWEEP_BATCH))
            if not due:
                break
            for clock_ in due:
                event = _advance(clock_)
                if event is None:
                    continue
                report.breached += event["what"] == "breach"
                report.escalated += event["what"] == "escalate"
                report.notified += _carry_out(Clock.objects(pk=clock_.pk).first())
            take_lease("sweep", holder, now)
        for task in SWEEP_TASKS:
            try:
                task(now)
            except Exception:  # noqa: BLE001 - one area's failed task leaves the sweep's other work
                log.exception("sweep task %s failed", getattr(task, "__name__", task))
        report.delivered = notifications.deliver_due(now)
    finally:
        free_lease("sweep", holder, now)
    return report


ADOPTED = "clocks-adopted"


def adopt_open_records(now: datetime) -> int:
    """Once per store: records that were open before the agenda existed get their clocks (a store
    made by an older release). A marker document says it is done; runs under the sweep's lease."""
    if Lease.objects(name=ADOPTED).first() is not None:
        return 0
    adopted = 0
    for name, kinds in KINDS_OF.items():
        model = kinds[0].model
        states = sorted({state for kind in kinds for state in kind.states})
        for record in model.objects(state__in=states):
            if not Clock.objects(record_id=record.pk).first():
                sync(record, now)
                adopted += 1
    try:
        Lease(name=ADOPTED, holder="agenda", until=now).save(force_insert=True)
    except NotUniqueError:
        pass
    return adopted


def _advance(clock_: Clock) -> dict | None:
    """Take the clock's next effect (breach, or the next rung) by one conditional write."""
    kind = clock_.kind_def
    if kind is None:
        Clock.objects(pk=clock_.pk).update_one(unset__next_at=True)
        return None
    if clock_.state == RUNNING:
        at, level = clock_.due_at, clock_.level
        event = {"what": "breach", "at": at, "level": 0}
        values = {"state": BREACHED, "breached_at": at}
    else:
        rung = kind.rung(clock_.level)
        if rung is None:
            Clock.objects(pk=clock_.pk, version=clock_.version).update_one(unset__next_at=True)
            return None
        at, level = clock_.next_at, rung.level
        event = {"what": "escalate", "at": at, "level": level}
        values = {"level": level, "escalated_at": at}
    event["key"] = f"{clock_.pk}:{event['what']}:{event['level']}"
    following = kind.rung(level if event["what"] == "escalate" else 0)
    next_at = at + following.after if following else None
    update = {f"set__{k}": v for k, v in values.items()}
    update["set__next_at" if next_at else "unset__next_at"] = next_at or True
    taken = Clock.objects(pk=clock_.pk, version=clock_.version).update_one(
        inc__version=1, push__pending=event, **update)
    return event if taken else None


def _carry_out(clock_: Clock | None) -> int:
    """Do the clock's waiting effects (each idempotent), then drop them from `pending`."""
    from documents import notifications
    if clock_ is None:
        return 0
    kind, record = clock_.kind_def, clock_.record()
    sent = 0
    for event in list(clock_.pending or []):
        if kind is not None and record is not None:
            _record_on(kind, record, clock_, event)
            sent += notifications.notify_clock_event(kind, clock_, record, event)
        Clock.objects(pk=clock_.pk).update_one(pull__pending={"key": event["key"]})
    return sent


def _record_on(kind: ClockKind, record, clock_: Clock, event: dict):
    """The record's own history keeps the breach and each escalation (system actor, due moment)."""
    values, conditions = {}, {}
    if event["what"] == "escalate" and kind.on_rung:
        rung = kind.ladder[event["level"] - 1]
        values = kind.on_rung(record, rung, event["at"]) or {}
        conditions = {f"{name}__lt": value for name, value in values.items() if isinstance(value, int)}
    action = f"clock_{event['what']}"
    note = gettext("%(clock)s: due %(due)s", clock=str(kind.label),
                   due=clock_.due_at.strftime("%Y-%m-%d %H:%M") + " UTC") if event["what"] == "breach" \
        else str(kind.ladder[event["level"] - 1].label)
    entry_id = event_entry_id(event["key"])
    from documents.audit import AuditEntry
    if AuditEntry.objects(pk=entry_id).first() is not None:
        return                                   # recorded by a sweeper that died before the pull
    record.record_change(action, None, values, conditions, note=note, at=event["at"], system=True,
                         entry_id=entry_id)


def event_entry_id(key: str) -> ObjectId:
    """The audit entry of a clock event has an id made from the event, so it is written once."""
    return ObjectId(hashlib.sha1(key.encode()).digest()[:12])


# --- what the lists, My work and the handover page ask ---

def open_clocks(user=None, **filters):
    """Open clocks, scoped to what `user` may see."""
    query = Clock.objects(phase=OPEN, **filters)
    return query.for_user(user) if user is not None else query


def record_ids(collection: str, which: str, communities, now: datetime, zone_of) -> list:
    """Ids of records whose open clock is overdue / due today / due this week (each community's day)."""
    from documents.deadlines import today_bounds, week_bounds
    ids = set()
    if which == "overdue":
        query = Clock.objects(collection=collection, phase=OPEN, due_at__lt=now,
                              community__in=[c.pk for c in communities])
        return list({c.record_id for c in query.only("record_id")})
    for community in communities:
        start, end = (today_bounds if which == "today" else week_bounds)(now, zone_of(community))
        query = Clock.objects(collection=collection, phase=OPEN, community=community.pk,
                              due_at__gte=start, due_at__lt=end).only("record_id", "due_at")
        ids |= {c.record_id for c in query}
    return list(ids)



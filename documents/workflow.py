"""The workflow engine: every area declares its steps as data; one engine checks and applies them.

An area declares a `Workflow` of `Step`s (name, from-states, to-state, permission, label, what must
happen first) and mixes `Workflowed` into its document. A step method of the document then reads

    def approve(self, user):
        self.check("approve", user)                 # role, community, record rule, state, preconditions
        ...                                         # the checks that need the step's own data
        return self.transition("approve", user, values={"approved_at": clock.now()})

and the engine does the rest: one conditional write (the state read, and the version when asked, in
the filter) so that a double click or two clerks at once apply the step exactly once, and the
audit entry. `allows(step, user)` / `why_not(step, user)` answer what the UI shows.

The audit entry travels inside the change (a transactional outbox). The conditional write that
changes the record also pushes the entry onto the record's own `audit_outbox` list: MongoDB writes
one document atomically, on every store, so a change can never exist without its entry. Right after
the write the entry is copied into the audit collection under the same id (a retry finds it there
and inserts nothing) and pulled from the outbox. If the process dies between the two, the entry
waits in the record and is delivered by the next step on that record, by its details page, or by
`flask flush-audit`. The alternative, writing the entry first and confirming it after the change,
leaves an unconfirmed entry whose change may or may not have happened; deciding which needs a
marker in the record anyway, so the outbox is the simpler of the two.
"""
from dataclasses import dataclass
from typing import Callable

from flask_babel import gettext
from mongoengine import Document, DictField, ListField, ValidationError
from mongoengine.errors import NotUniqueError

from app.permissions import PERMISSIONS, can
from documents import agenda, audit
from documents.base import DomainError, PermissionDenied, sees_community

#: every declared workflow, by area and model name (the catalogue tests walk it)
REGISTRY: dict[str, "Workflow"] = {}


@dataclass
class Step:
    """One step of an area's workflow.

    from_states: the states it may start from (`ANY`: every state of the record).
    to_state: the state it leads to; None keeps the state; a callable(record, values) computes it.
    permission: the right it needs in the role map (default ``action:<name>``), on `area`
    (default the workflow's area).
    needs: what must happen first, said when the record is not in a from-state.
    preconditions: callables(record, user) raising DomainError with what must happen first; they
    read only the record (and what a list page has already loaded), so buttons obey them too.
    page_checks: the same for checks that read the store (attachments, a plan's events): run on
    the step page and by the step, not for every row of a list.
    page: the step has a step page / button (False: done from another page, e.g. a row of a table).
    reverse: for an area that lets a step be undone, how the step's effects are reversed:
    callable(record, user) -> what the area's undo step writes and does; it raises DomainError
    when they cannot be reversed now (say what must happen first). None: the step changes
    nothing but the state.
    """
    name: str
    from_states: tuple | str
    to_state: str | Callable | None = None
    label: object = None
    permission: str | None = None
    area: str | None = None
    needs: object = None
    preconditions: tuple = ()
    page_checks: tuple = ()
    page: bool = True
    audit_label: object = None
    method: str | None = None
    reverse: Callable | None = None

    @property
    def method_name(self) -> str:
        """The document method that takes the step (default: the step's name)."""
        return self.method or self.name

    @property
    def right(self) -> str:
        return self.permission or f"action:{self.name}"


ANY = "*"


class NotApplicable(DomainError):
    """A precondition's refusal that waiting will not change (the booking is over, the household
    has attended): the step is simply not for this record, so no "not yet" hint lists it."""


@dataclass
class Workflow:
    area: str
    steps: list

    def __post_init__(self):
        self.by_name = {step.name: step for step in self.steps}

    def __getitem__(self, name) -> Step:
        try:
            return self.by_name[name]
        except KeyError:
            raise DomainError(gettext("There is no such step.")) from None

    def __contains__(self, name):
        return name in self.by_name

    def bind(self, model):
        """Called once per document class: register labels (area-keyed) and the catalogue entry."""
        self.model = model
        REGISTRY[f"{self.area}:{model.__name__}"] = self
        collection = model._get_collection_name()
        audit.register_action_labels(
            {s.name: s.audit_label or s.label for s in self.steps if (s.audit_label or s.label)},
            area=self.area, collections=[collection] if collection else [])
        return self


def declare(model, workflow: Workflow):
    """`declare(Renovation, Workflow(...))`: attach the workflow to its document class."""
    model.workflow = workflow.bind(model)
    return workflow


class Workflowed(Document):
    """Mixin of a document with a workflow (`workflow` set by `declare`) and a `state` field."""

    meta = {"abstract": True}
    workflow: Workflow = None
    #: document fields clean() recomputes; written along with every transition that validates
    DERIVED_FIELDS: tuple = ()

    audit_outbox = ListField(DictField())

    # --- what the UI asks ---
    @property
    def state_label(self) -> str:
        state_field = self._fields.get("state")
        choices = dict(getattr(state_field, "choices", None) or ())
        return str(choices.get(self.state, self.state or ""))

    def step_label(self, name) -> str:
        step = self.workflow.by_name.get(name)
        return str(step.label) if step is not None and step.label else name

    def allows(self, name: str, user) -> bool:
        return self.why_not(name, user) is None

    def why_not(self, name: str, user) -> str | None:
        """Why `user` may not take step `name` now (translated), or None when they may."""
        try:
            self.check(name, user)
        except DomainError as err:
            return str(err.message)
        return None

    def offers(self, name: str, user) -> bool:
        """Would a button for the step work now: role, community, record rule, state and the
        preconditions (not the `page_checks`, which read the store; the step page says those)."""
        step = self.workflow.by_name.get(name)
        # the usual refusals first, without making their messages: a list asks for every row and step
        if step is None or not self.in_from_states(step) or not self.holds_right(step, user):
            return False
        try:
            self.authorize(step, user)
            self.require_state(step)
            for precondition in step.preconditions:
                precondition(self, user)
        except DomainError:
            return False
        return True

    def offered_steps(self, user) -> list[str]:
        """The steps with a page this user is offered now (row and details buttons)."""
        return [s.name for s in self.workflow.steps if s.page and self.offers(s.name, user)]

    def waiting_steps(self, user) -> list[tuple[str, str]]:
        """(step, what must happen first) for the steps with a page that this user could take in
        this state but not yet: a details page says what the record is waiting for."""
        waiting = []
        for step in self.workflow.steps:
            if not step.page:
                continue
            try:
                self.authorize(step, user)
                self.require_state(step)
            except DomainError:
                continue
            try:
                self.check(step.name, user)
            except NotApplicable:
                continue
            except DomainError as err:
                waiting.append((step.name, str(err.message)))
        return waiting

    def perform(self, name: str, user, **arguments):
        """Take step `name` through the document method declared for it."""
        return getattr(self, self.workflow[name].method_name)(user, **arguments)

    # --- the checks, in the order a person wants to hear them ---
    def check(self, name: str, user):
        """Role, community, the record's own rule, state, then what must have happened first."""
        step = self.workflow[name]
        self.authorize(step, user)
        self.require_state(step)
        for precondition in step.preconditions + step.page_checks:
            precondition(self, user)
        return step

    def holds_right(self, step: Step, user) -> bool:
        """Does `user`'s role give the step's right (in the step's area, else the workflow's)?"""
        return user is not None and can(step.area or self.workflow.area, step.right, user)

    def authorize(self, step: Step, user):
        if not self.holds_right(step, user):
            raise PermissionDenied(gettext("Your role does not allow this step: %(step)s.",
                                           step=self.step_label(step.name)))
        if not sees_community(user, getattr(self, "community", None)):
            raise PermissionDenied(gettext("You may only work on records of your own communities."))
        self.authorize_step(step, user)

    def authorize_step(self, step: Step, user):
        """The record-level rule of an area (own buildings, own complaints); raise PermissionDenied."""

    def granted_only_as(self, step: Step, user, role: str) -> bool:
        """Does `user` hold the step's right only through `role` (e.g. only as a housekeeper)?"""
        area = step.area or self.workflow.area
        granting = [r for r in getattr(user, "roles", None) or []
                    if step.right in PERMISSIONS.get(area, {}).get(r, set())]
        return bool(granting) and all(r == role for r in granting)

    def in_from_states(self, step: Step) -> bool:
        """Is the record in a state the step starts from? (Areas may refuse more: require_state.)"""
        return step.from_states == ANY or self.state in step.from_states

    def require_state(self, step: Step):
        if self.in_from_states(step):
            return
        message = gettext("This step (%(step)s) is not possible while the record is “%(state)s”.",
                          step=self.step_label(step.name), state=self.state_label)
        raise DomainError(f"{message} {step.needs}" if step.needs else message)

    # --- the one write ---
    def transition(self, name: str, user, values: dict | None = None, ops: dict | None = None,
                   note: str | None = None, check_version: bool = False, extra_query: dict | None = None,
                   validate: bool = False, checked: bool = True):
        """Apply step `name`: set `values` (and the step's to-state), run the raw update `ops`
        (``push__…``, deep ``set__…``), all in one conditional write with the audit entry.

        The write applies only while the record is still in the state it was read in; a step that
        keeps the state, or one with check_version=True, also needs the version read (amounts
        summed from the record, a second click on "tick attendance").
        validate: run clean() on the new values first (it recomputes DERIVED_FIELDS, which are
        written too). extra_query: more conditions the stored record must still meet.
        checked=False skips `check()` (the caller has just run it).
        """
        step = self.check(name, user) if checked else self.workflow[name]
        values = dict(values or {})
        to_state = step.to_state(self, values) if callable(step.to_state) else step.to_state
        if to_state is not None:
            values["state"] = to_state
        conditions = {"state": self.state}
        if check_version or to_state is None:   # a step that keeps the state is once by version
            conditions["version"] = self.version
        conditions.update(extra_query or {})
        return self._write(step.name, user, values, ops, note, conditions, validate)

    def record_change(self, action: str, user, values: dict, conditions: dict, note: str | None = None,
                      at=None, system: bool = False, entry_id=None):
        """A change that is not a person's step (an escalation, a deadline moved by a rain day):
        the same conditional write with its audit entry. Returns False when `conditions` no
        longer hold (someone or something else got there first); nothing is written then.
        `system`/`at`/`entry_id`: the agenda's sweeper records its effects as the system, at the
        moment they became due, under an id made from the event (documents/agenda.py)."""
        try:
            self._write(action, user, dict(values), None, note, dict(conditions), False,
                        entry={"at": at, "system": system, "id": entry_id})
        except DomainError:
            return False
        return True

    def _write(self, action, user, values, ops, note, conditions, validate, entry=None):
        """Set `values` (diffed into the audit entry) and apply `ops`, only while the stored record
        meets `conditions`; the entry rides in the same write (module docstring)."""
        read_state = self.state
        before = audit.snapshot(self)
        for key, value in values.items():
            setattr(self, key, value)
        if validate:
            try:
                self.validate()
            except ValidationError as err:
                self._restore(read_state)
                raise domain_error_from(err) from None
            values.update({key: getattr(self, key) for key in self.DERIVED_FIELDS})
        entry_options = entry or {}
        entry = audit.entry_for(action, self, audit.diff(before, audit.snapshot(self)), note=note,
                                actor=user, at=entry_options.get("at"), system=entry_options.get("system", False))
        entry.id = entry_options.get("id") or entry.id or _new_id()
        update = {(f"unset__{key}" if value is None else f"set__{key}"): (True if value is None else value)
                  for key, value in values.items()}
        update.update(ops or {})
        update["inc__version"] = 1
        update["push__audit_outbox"] = entry.to_mongo().to_dict()
        fresh = type(self).objects(pk=self.pk, **conditions).modify(new=True, **update)
        if fresh is None:
            self._restore(read_state)
            raise self._lost_race(read_state)
        self._take(fresh)
        deliver_audit(type(self), self.pk)
        agenda.sync(self)
        return self

    def save(self, *args, **kwargs):
        """A record created or edited through a form: its clocks follow (documents/agenda.py)."""
        result = super().save(*args, **kwargs)
        agenda.sync(self)
        return result

    def delete(self, *args, **kwargs):
        agenda.cancel_clocks(self)
        return super().delete(*args, **kwargs)

    def _lost_race(self, read_state):
        current = type(self).objects(pk=self.pk).only("state").first()
        if current is not None and current.state != read_state:
            return DomainError(gettext(
                "Someone else has just moved this record on (it is now “%(state)s”); nothing was "
                "changed. Reload the page.", state=current.state_label))
        return DomainError(gettext("This record was changed by someone else at the same moment; "
                                   "nothing was changed. Reload the page and check it again."))

    def _restore(self, read_state):
        stored = type(self).objects(pk=self.pk).first()
        if stored is not None:
            self._take(stored)
        else:
            self.state = read_state

    def _take(self, other):
        for key in self._fields:
            setattr(self, key, getattr(other, key))
        self._clear_changed_fields()


def _new_id():
    from bson import ObjectId
    return ObjectId()


def deliver_audit(model, pk) -> int:
    """Copy the record's waiting audit entries into the audit collection (idempotent), then drop
    them from its outbox. Returns how many were waiting."""
    stored = model.objects(pk=pk).only("audit_outbox").first()
    waiting = list(stored.audit_outbox or []) if stored is not None else []
    for raw in waiting:
        try:
            audit.AuditEntry._from_son(raw).save(force_insert=True)
        except NotUniqueError:
            pass  # delivered by an earlier try
        model.objects(pk=pk).update_one(pull__audit_outbox={"_id": raw["_id"]})
    return len(waiting)


def deliver_all_audit() -> int:
    """Every workflow record's waiting entries (`flask flush-audit`, after a crash)."""
    delivered = 0
    for workflow in list(REGISTRY.values()):
        model = workflow.model
        for record in model.objects(audit_outbox__0__exists=True).only("id"):
            delivered += deliver_audit(model, record.pk)
    return delivered


def flatten_errors(err, field_name=None) -> list[tuple[str | None, str]]:
    """A (nested) mongoengine ValidationError as [(field or None, message)], clean()'s __all__ unwrapped."""
    nested = getattr(err, "errors", None)
    if nested:
        pairs = []
        for key, sub in nested.items():
            pairs += flatten_errors(sub, field_name if key == "__all__" else (field_name or key))
        return pairs
    return [(field_name, err.message if isinstance(err, ValidationError) else str(err))]


def domain_error_from(err: ValidationError) -> DomainError:
    """One refusal for a record's validation errors: their messages joined, and each on its field."""
    pairs = flatten_errors(err)
    return DomainError("; ".join(message for _f, message in pairs), field=pairs[0][0] if pairs else None,
                       parts=[DomainError(message, field=name) for name, message in pairs] if len(pairs) > 1 else ())


def authorize_area(area: str, right: str, user, community, label=None):
    """The same role and community check for an action that is not a step of a record (creating
    a booking, recording a rain day)."""
    if user is None or not can(area, right, user):
        raise PermissionDenied(gettext("Your role does not allow this step: %(step)s.",
                                       step=str(label or right)))
    if not sees_community(user, community):
        raise PermissionDenied(gettext("You may only work on records of your own communities."))

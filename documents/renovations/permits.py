"""Permits that belong to a renovation: temporary passes, temporary power, hot work.

Large items leaving (large-item release) are not a permit of the file any more: they leave on the estate's one
item release form (documents/item_release.py, source "renovation"), with its steps and its one print; the
renovation only says when it may release items (`item_release_problem`). Permits of the kind "item_release"
issued before stay in the files, readable and printable as they were.

Each kind checks and fills its permit in one small function (PERMIT_BUILDERS); `issue_permit` does
what every kind shares: the step's checks, the one-time form key, the number and the one write.
"""
from datetime import timedelta

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import BooleanField, DateField, DateTimeField, EmbeddedDocument, StringField

from app import clock
from documents.base import DomainError
from documents.deadlines import to_utc, zone_of
from documents.money import MoneyField, to_money
from documents.renovations.common import amount_problem, as_date, new_key
from documents.sequences import Sequence

PERMIT_KINDS = [
    ("worker_pass", _l("Temporary pass")),
    ("power", _l("Temporary power")),
    ("hot_work", _l("Hot work")),
    ("item_release", _l("Large-item release")),   # issued before the item release form; read only
]
#: the kind kept only for the permits issued before: new releases are item release forms
RELEASE_KIND = "item_release"
PERMIT_CODES = {"worker_pass": "P", "power": "D", "hot_work": "H", "item_release": "F"}
PERMIT_STATUSES = [("active", _l("Valid")), ("revoked", _l("Revoked"))]
#: what each kind of permit is issued with (the permit form shows these fields)
PERMIT_FIELDS = {
    "worker_pass": ("worker_key", "valid_from", "valid_to"),
    "power": ("location", "power_load_kw", "valid_from", "valid_to"),
    "hot_work": ("location", "starts_at", "ends_at", "fire_precautions", "fire_watch"),
}
MAX_HOT_WORK_HOURS = 12
#: the step that issues a kind of permit: hot work is approved by a supervisor or the manager, so it
#: is a step of its own (its right decides who is offered the button); every other kind: issue_permit
PERMIT_STEPS = {"hot_work": "issue_hot_work"}


def permit_step(kind) -> str:
    return PERMIT_STEPS.get(kind, "issue_permit")


def load_problem(value) -> str | None:
    """The temporary power's load as typed: a positive number of kW (at most two decimal places)."""
    if value is None or str(value).strip() == "" or amount_problem(value, positive=True, places=None):
        return gettext("The load must be a positive number of kW, e.g. 3.5.")
    return amount_problem(value, positive=True)


class Permit(EmbeddedDocument):
    key = StringField(max_length=40)
    kind = StringField(choices=PERMIT_KINDS, required=True, verbose_name=_l("Permit"))
    number = StringField(verbose_name=_l("Pass or permit no."))
    valid_from = DateField(verbose_name=_l("Valid from"))
    valid_to = DateField(verbose_name=_l("Valid until"))
    # temporary pass
    worker_key = StringField()
    worker_name = StringField(verbose_name=_l("Worker"))
    worker_id_number = StringField(verbose_name=_l("ID number"))
    # temporary power / hot work
    location = StringField(max_length=120, verbose_name=_l("Location"))
    power_load_kw = MoneyField(verbose_name=_l("Load (kW)"))
    starts_at = DateTimeField(verbose_name=_l("From"))
    ends_at = DateTimeField(verbose_name=_l("Until"))
    fire_precautions = StringField(max_length=500, verbose_name=_l("Fire precautions"))
    fire_watch = StringField(max_length=60, verbose_name=_l("Fire watch"))
    # large-item release
    items = StringField(max_length=500, verbose_name=_l("Items and quantities"))
    vehicle_plate = StringField(max_length=10, verbose_name=_l("Vehicle plate"))
    driver_name = StringField(max_length=60, verbose_name=_l("Driver"))
    driver_id = StringField(max_length=30, verbose_name=_l("Driver's licence / ID no."))
    fees_settled = BooleanField(default=False, verbose_name=_l("Fees settled"))
    # bookkeeping
    status = StringField(choices=PERMIT_STATUSES, default="active", verbose_name=_l("Status"))
    issued_at = DateTimeField(verbose_name=_l("Issued at"))
    issued_by_name = StringField(verbose_name=_l("Issued by"))
    approver_name = StringField(verbose_name=_l("Approved by"))
    revoked_at = DateTimeField(verbose_name=_l("Revoked at"))
    revoked_by_name = StringField(verbose_name=_l("Revoked by"))
    revoke_reason = StringField(max_length=300, verbose_name=_l("Reason for revoking"))

    def is_valid_on(self, day) -> bool:
        return self.status == "active" and (self.valid_from is None or as_date(self.valid_from) <= day) \
            and (self.valid_to is None or day <= as_date(self.valid_to))


def _text(data, name, upper=False) -> str | None:
    value = (data.get(name) or "").strip()
    return (value.upper() if upper else value) or None


# --- one function per kind: check the data, fill the permit -------------------------------------

def _worker_pass(renovation, permit, data, user):
    worker = renovation.worker(data.get("worker_key"))
    if worker is None:
        raise DomainError(gettext("Choose the worker the pass is for."), field="worker_key")
    if not permit.valid_to:
        raise DomainError(gettext("Enter until when the pass is valid."), field="valid_to")
    limit = as_date(renovation.planned_end)
    if limit and permit.valid_to > limit:
        raise DomainError(gettext("A pass cannot be valid beyond the planned end of the work (%(d)s).",
                                  d=limit.isoformat()), field="valid_to")
    if renovation.valid_pass_of(worker, permit.valid_from) is not None:
        raise DomainError(gettext("%(name)s already has a valid pass; revoke it first.", name=worker.name),
                          field="worker_key")
    permit.worker_key, permit.worker_name, permit.worker_id_number = worker.key, worker.name, worker.id_number


def _power(renovation, permit, data, user):
    permit.location = _text(data, "location")
    if not permit.location:
        raise DomainError(gettext("Enter where the temporary power is taken."), field="location")
    problem = load_problem(data.get("power_load_kw"))
    if problem:
        raise DomainError(problem, field="power_load_kw")
    permit.power_load_kw = to_money(data.get("power_load_kw"))
    if not permit.valid_to:
        raise DomainError(gettext("Enter until when the permit is valid."), field="valid_to")


def _hot_work(renovation, permit, data, user):
    """Who may approve hot work is the right of its step (issue_hot_work); here: its data."""
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if not starts or not ends or ends <= starts:
        raise DomainError(gettext("Enter the hot-work time window: a start and a later end."),
                          field="starts_at")
    if ends - starts > timedelta(hours=MAX_HOT_WORK_HOURS):
        raise DomainError(gettext("A hot-work permit covers at most %(n)d hours.", n=MAX_HOT_WORK_HOURS),
                          field="ends_at")
    precautions = _text(data, "fire_precautions") or ""
    if len(precautions) < 4:
        raise DomainError(gettext("Describe the fire precautions (extinguisher, fire watch, "
                                  "combustibles removed…)."), field="fire_precautions")
    zone = zone_of(renovation.community)
    permit.location = _text(data, "location")
    permit.starts_at, permit.ends_at = to_utc(starts, zone), to_utc(ends, zone)
    permit.valid_from, permit.valid_to = starts.date(), ends.date()
    permit.fire_precautions, permit.fire_watch = precautions, _text(data, "fire_watch")
    permit.approver_name = user.display_name


PERMIT_BUILDERS = {"worker_pass": _worker_pass, "power": _power, "hot_work": _hot_work}


class PermitSteps:
    """Mixed into Renovation: the steps `issue_permit`, `issue_hot_work` and `revoke_permit`."""

    def worker(self, key):
        return next((w for w in self.workers or [] if w.key == key), None)

    def permit(self, key):
        return next((p for p in self.permits or [] if p.key == key), None)

    def item_release_problem(self, day) -> str | None:
        """Why the renovation's large items may not leave on `day` (None: they may). They leave on an item
        release form while the file's permits are issued (fees and deposit paid, final inspection not yet
        passed: the states of the step issue_permit), on a day from today up to the planned end of the work."""
        if not self.permit_no or not self.in_from_states(self.workflow["issue_permit"]):
            return gettext("Items of renovation %(no)s leave only while its permit is active: the fees and "
                           "deposit paid, the final inspection not yet passed.", no=self.permit_no or self.room_code)
        limit = as_date(self.planned_end)
        if day is not None and limit is not None and day > limit:
            return gettext("The release day is after the planned end of the work (%(d)s).", d=limit.isoformat())
        return None

    def valid_pass_of(self, worker, on):
        """The worker's active pass still valid on or after `on`, if any."""
        return next((p for p in self.permits or [] if p.kind == "worker_pass" and p.worker_key == worker.key
                     and p.status == "active" and p.valid_to and as_date(p.valid_to) >= on), None)

    def issue_permit(self, user, kind: str, key: str | None = None, **data):
        """Issue a permit of `kind` (PERMIT_KINDS) with the data its builder reads.

        `key` is the form's one-time key: the same form posted twice issues one permit. A hot-work
        permit is the step `issue_hot_work` (PERMIT_STEPS): checked and audited as that step.
        """
        step = permit_step(kind)
        self.check(step, user)
        build = PERMIT_BUILDERS.get(kind)
        if kind == RELEASE_KIND:
            raise DomainError(gettext("Large items leave on an item release form: register it from the "
                                      "renovation's page."), field="kind")
        if build is None:
            raise DomainError(gettext("Choose the kind of permit."), field="kind")
        key = (key or new_key())[:40]
        if self.permit(key) is not None:
            return self.permit(key)
        permit = Permit(key=key, kind=kind, valid_from=as_date(data.get("valid_from")) or self.today(),
                        valid_to=as_date(data.get("valid_to")), issued_at=clock.now(),
                        issued_by_name=user.display_name, status="active")
        build(self, permit, data, user)
        if permit.valid_to and as_date(permit.valid_to) < as_date(permit.valid_from):
            raise DomainError(gettext("The permit cannot end before it starts."), field="valid_to")
        permit.number = f"{self.permit_no}-{PERMIT_CODES[kind]}{Sequence.next(f'{self.pk}:{kind}'):02d}"
        try:
            self.transition(step, user, ops={"push__permits": permit}, note=permit.number,
                            extra_query={"permits__key__ne": key}, checked=False)
        except DomainError:
            if self.permit(key) is None:   # the engine has re-read the file
                raise
            # the same form was posted twice at once: one permit
        return self.permit(key)

    def issue_hot_work_permit(self, user, key: str | None = None, **data):
        """The step `issue_hot_work`: a hot-work permit, approved by the supervisor or manager issuing it."""
        data.pop("kind", None)
        return self.issue_permit(user, "hot_work", key=key, **data)

    def revoke_permit(self, user, key: str, reason: str):
        self.check("revoke_permit", user)
        permit = self.permit(key)
        if permit is None:
            raise DomainError(gettext("No such permit in this file."))
        if permit.status == "revoked":
            raise DomainError(gettext("Permit %(no)s is already revoked.", no=permit.number))
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(gettext("Give the reason for revoking the permit."), field="reason")
        path = f"permits__{self.permits.index(permit)}"
        return self.transition("revoke_permit", user, ops={
            f"set__{path}__status": "revoked", f"set__{path}__revoked_at": clock.now(),
            f"set__{path}__revoked_by_name": user.display_name, f"set__{path}__revoke_reason": reason[:300]},
            note=f"{permit.number}: {reason[:200]}", checked=False,
            extra_query={f"{path}__key": key, f"{path}__status": "active"})

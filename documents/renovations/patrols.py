"""Patrols of a renovation in progress: due dates by phase, violations, their rectification."""
import hashlib
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (DateField, DateTimeField, EmbeddedDocument, EmbeddedDocumentListField,
                         ReferenceField, StringField)

from app import clock
from documents.base import DomainError
from documents.money import MoneyField, to_money
from documents.renovations.attachments import PHOTO_UPLOAD, RenovationAttachment
from documents.renovations.common import PHASES, amount_problem, as_date, local_today, new_key, phase_label

#: Days between patrols per phase (the office's patrol table); installation is patrolled on the day itself.
PATROL_INTERVAL_DAYS = {"water_electric": 1, "carpentry_painting": 3, "tiling_flooring": 1}

VIOLATION_TYPES = [
    ("structure", _l("Unauthorised change to structure or load-bearing walls")),
    ("hours", _l("Noisy work outside permitted hours")),
    ("debris", _l("Debris or materials left in public areas")),
    ("hot_work", _l("Hot work without a permit")),
    ("no_pass", _l("Worker without a valid pass")),
    ("fire_safety", _l("Fire-safety hazard")),
    ("pipes", _l("Damage to waterproofing or shared pipes")),
    ("other", _l("Other")),
]


class Violation(EmbeddedDocument):
    key = StringField(max_length=12)
    type = StringField(choices=VIOLATION_TYPES, required=True, verbose_name=_l("Violation"))
    description = StringField(max_length=500, verbose_name=_l("Description"))
    deduction = MoneyField(default=Decimal("0.00"), verbose_name=_l("Deduction"))
    deadline = DateField(verbose_name=_l("Rectify by"))
    rectified_on = DateField(verbose_name=_l("Rectified on"))
    rectified_by_name = StringField(verbose_name=_l("Confirmed by"))

    @property
    def type_label(self) -> str:
        return str(dict(VIOLATION_TYPES).get(self.type, self.type or ""))

    @property
    def settled(self) -> bool:
        """Rectified, or settled by the deduction recorded with it."""
        return bool(self.rectified_on) or (to_money(self.deduction) or Decimal("0")) > 0


class Patrol(EmbeddedDocument):
    key = StringField(max_length=40)
    on = DateField(required=True, verbose_name=_l("Date"))
    at = DateTimeField(verbose_name=_l("Recorded at"))
    inspector = ReferenceField("Staff", verbose_name=_l("Inspector"))
    inspector_name = StringField(verbose_name=_l("Inspector"))
    phase = StringField(choices=PHASES, verbose_name=_l("Phase"))
    findings = StringField(max_length=2000, verbose_name=_l("Findings"))
    violations = EmbeddedDocumentListField(Violation, verbose_name=_l("Violations"))

    def total_deduction(self) -> Decimal:
        return sum((to_money(v.deduction) or Decimal("0.00") for v in self.violations or []), Decimal("0.00"))


def next_patrol_due(phase, phase_since, last_patrol_on, installation_on=None):
    """The date the next patrol is due, by the phase of the work (None: nothing due).

    water/electrical and tiling/floors: daily; carpentry/painting: every 3 days; installation:
    on the installation day. The first patrol of a phase is due on the day the phase starts.
    """
    if not phase:
        return None
    if phase == "installation":
        if installation_on is None or (last_patrol_on and last_patrol_on >= installation_on):
            return None
        return installation_on
    if last_patrol_on is None or (phase_since and last_patrol_on < phase_since):
        return phase_since
    return last_patrol_on + timedelta(days=PATROL_INTERVAL_DAYS[phase])


def patrol_status(due, today) -> str | None:
    """"overdue", "due_today" or None."""
    if due is None:
        return None
    if due < today:
        return "overdue"
    if due == today:
        return "due_today"
    return None


#: the patrols-due page shows at most this many files (the most overdue first) and says how many more
DUE_PATROLS_LIMIT = 100


def _due_patrol_clocks(user, buildings, now):
    """Per community the user sees: its open patrol clocks due by the end of its local today."""
    from documents.agenda import open_clocks
    from documents.deadlines import today_bounds, zone_of
    from documents.places import Community
    for community in Community.objects.for_user(user):
        _start, end = today_bounds(now, zone_of(community))
        clocks = open_clocks(user, kind="renovation_patrol", community=community.pk, due_at__lt=end)
        yield clocks.filter(building_no__in=list(buildings)) if buildings is not None else clocks


def patrol_buildings(user):
    """A housekeeper (who is not also a supervisor or manager) patrols their own buildings only."""
    own_only = user.has_role("housekeeper") and not user.has_role("manager", "supervisor")
    return list(user.buildings or []) if own_only else None


def count_due_patrols(user, buildings=None, now=None) -> int:
    return sum(clocks.count() for clocks in _due_patrol_clocks(user, buildings, now or clock.now()))


def due_patrols(user, buildings=None, now=None, limit=DUE_PATROLS_LIMIT):
    """Files in progress whose patrol is due today or overdue, from the agenda's open patrol clocks
    (each community's today). Returns (rows of (file, status), how many there are in all)."""
    from documents.renovations.file import Renovation
    now = now or clock.now()
    found, total = [], 0
    for clocks in _due_patrol_clocks(user, buildings, now):
        total += clocks.count()
        found += list(clocks.order_by("due_at").limit(limit).only("record_id", "due_at"))
    found = sorted(found, key=lambda c: c.due_at)[:limit]
    files = {r.pk: r for r in Renovation.objects(pk__in=[c.record_id for c in found])}
    rows = []
    for due in found:
        renovation = files.get(due.record_id)
        status = renovation.patrol_status(local_today(renovation.community)) if renovation else None
        if status:
            rows.append((renovation, status))
    return rows, total


VIOLATION_FIELDS = ("type", "description", "deduction", "deadline")


def _violation(raw: dict, on, row: int) -> Violation | None:
    """Violation row `row` (0-based) of the patrol form; None when the row was left empty.

    A row with any value must be complete: a type and a description (a deduction alone would be
    dropped with its amount otherwise). A refusal names the line and the field, and carries the form's
    name of the field (``violations-<row>-<field>``), so the page marks it and keeps what was typed.
    """
    raw = raw or {}
    if not any(str(raw.get(name) or "").strip() for name in VIOLATION_FIELDS):
        return None

    def refuse(name, message):
        return DomainError(gettext("Line %(n)d, %(field)s: %(message)s", n=row + 1,
                                   field=Violation._fields[name].verbose_name, message=message),
                           field=f"violations-{row}-{name}")

    if raw.get("type") not in dict(VIOLATION_TYPES):
        raise refuse("type", gettext("Choose the type of violation."))
    description = (raw.get("description") or "").strip()
    if not description:
        raise refuse("description", gettext("Describe what was found."))
    problem = amount_problem(raw.get("deduction"))
    if problem:
        raise refuse("deduction", problem)
    deadline = as_date(raw.get("deadline"))
    if deadline and deadline < on:
        raise refuse("deadline", gettext("The deadline to rectify cannot be before the patrol."))
    return Violation(key=new_key(), type=raw["type"], description=description[:500],
                     deduction=to_money(raw.get("deduction")) or Decimal("0.00"), deadline=deadline)


class PatrolSteps:
    """Mixed into Renovation: the steps `log_patrol` and `rectify`, and what the patrol list shows."""

    def last_patrol_on(self):
        dates = [as_date(p.on) for p in self.patrols or [] if p.on]
        return max(dates) if dates else None

    def patrol(self, key):
        return next((p for p in self.patrols or [] if p.key == key), None)

    def patrol_status(self, today=None):
        if self.state != "in_progress":
            return None
        return patrol_status(as_date(self.next_patrol_due), today or self.today())

    def open_violations(self):
        return [(p, v) for p in self.patrols or [] for v in p.violations or [] if not v.rectified_on]

    def unsettled_violations(self):
        """Violations neither rectified nor settled by a deduction: they keep the final inspection from passing."""
        return [(p, v) for p, v in self.open_violations() if not v.settled]

    def log_patrol(self, user, key: str | None = None, on=None, phase=None, findings: str = "",
                   violations=(), photos=()):
        """Record a patrol (its violations and photos); the next due date follows the phase rule.

        violations: dicts with type, description, deduction, deadline; photos: (file name, bytes).
        `key` is the form's one-time key, so a double submit records one patrol and stores each
        photo once (photos are recognised by their content).
        """
        self.check("log_patrol", user)
        key = (key or new_key())[:40]
        photos = [(name, data) for name, data in photos or [] if name or data]
        for name, data in photos:      # a refused photo records nothing
            PHOTO_UPLOAD.check(name, data)
        patrol = self.patrol(key) or self._write_patrol(user, self._new_patrol(user, key, on, phase, findings,
                                                                                 violations))
        self._attach_patrol_photos(user, patrol, photos)
        return patrol

    def _new_patrol(self, user, key, on, phase, findings, violations) -> Patrol:
        today = self.today()
        on = as_date(on) or today
        if on > today:
            raise DomainError(gettext("A patrol cannot be dated in the future."), field="on")
        if self.started_on and on < as_date(self.started_on):
            raise DomainError(gettext("The patrol date is before the work started."), field="on")
        phase = phase or self.phase
        if phase not in dict(PHASES):
            raise DomainError(gettext("Choose a phase."), field="phase")
        rows = [_violation(raw, on, row) for row, raw in enumerate(violations or [])]
        rows = [violation for violation in rows if violation is not None]
        findings = (findings or "").strip()
        if not findings and not rows:
            raise DomainError(gettext("Write down what you found (or “no problems”)."), field="findings")
        return Patrol(key=key, on=on, at=clock.now(), inspector=user, inspector_name=user.display_name,
                      phase=phase, findings=findings[:2000], violations=rows)

    def _write_patrol(self, user, patrol: Patrol) -> Patrol:
        """One conditional write on the version read; a colleague's write in between is retried on
        the fresh file (the deposit left and the next due date are worked out again)."""
        note = f"{patrol.on} {phase_label(patrol.phase)}"
        if patrol.violations:
            note += f"; {len(patrol.violations)} ✕"
        attempt = 0
        while True:
            if attempt:
                self.check("log_patrol", user)
                if self.patrol(patrol.key) is not None:
                    return self.patrol(patrol.key)      # the same form, saved by a twin request
            self.require_deductions_within_deposit(patrol.total_deduction(), field="violations")
            last = max([as_date(p.on) for p in self.patrols] + [patrol.on])
            due = next_patrol_due(self.phase, as_date(self.phase_since), last, as_date(self.installation_on))
            try:
                self.transition("log_patrol", user, values={"next_patrol_due": due}, ops={"push__patrols": patrol},
                                note=note, check_version=True, extra_query={"patrols__key__ne": patrol.key},
                                checked=False)
                return self.patrol(patrol.key)
            except DomainError:
                attempt += 1
                if attempt == 3:
                    raise

    def _attach_patrol_photos(self, user, patrol, photos):
        stored = set(RenovationAttachment.objects(renovation=self, patrol_key=patrol.key).scalar("sha256"))
        for name, data in photos:
            digest = hashlib.sha256(data).hexdigest()
            if digest not in stored:
                self.attach(user, "photo", name, data, patrol_key=patrol.key)
                stored.add(digest)

    def rectify_violation(self, user, patrol_key: str, violation_key: str, on=None):
        self.check("rectify", user)
        found = next(((pi, vi, p, v) for pi, p in enumerate(self.patrols) for vi, v in enumerate(p.violations)
                      if p.key == patrol_key and v.key == violation_key), None)
        if found is None:
            raise DomainError(gettext("No such violation in this file."))
        pi, vi, patrol, violation = found
        if violation.rectified_on:
            raise DomainError(gettext("This violation is already marked as rectified."))
        on = as_date(on) or self.today()
        if on > self.today() or on < as_date(patrol.on):
            raise DomainError(gettext("The rectification date must be between the patrol and today."), field="on")
        path = f"patrols__{pi}__violations__{vi}"
        return self.transition("rectify", user, ops={
            f"set__{path}__rectified_on": on, f"set__{path}__rectified_by_name": user.display_name},
            note=f"{as_date(patrol.on)} {violation.type_label}", checked=False,
            extra_query={f"{path}__key": violation_key, f"{path}__rectified_on": None})

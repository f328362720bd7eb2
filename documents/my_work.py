"""My work: what waits for one staff member, read from the agenda's clocks and the workflows.

- overdue / due today: open clocks (documents/agenda.py) the person answers for — theirs by name,
  or their role's in their communities when no one person answers for the clock (a clock kind's
  `role` answers "when no one person does");
- escalated to them: open clocks whose escalation ladder has reached a rung of one of their roles
  (company-wide roles such as senior management: every community);
- patrols due: the open renovation patrol clocks due by the end of today (a housekeeper: in their
  own buildings), counted as the patrols-due page lists them;
- waiting for their step: per declared workflow (documents/workflow.py REGISTRY), the states from
  which a step they may take moves a record on (not a step that keeps the state, such as attaching
  a file, nor one that cancels or rejects): the views count the records in each of those states.

Each group is one count and one page of at most `LIMIT` clocks, both answered by the clocks'
indexes; nothing here reads every open item.
"""
from dataclasses import dataclass, field
from datetime import datetime

from mongoengine import Q

from app.permissions import can
from documents.agenda import CANCELLING_STATES, KINDS, OPEN, Clock
from documents.base import community_ids_of, sees_all
from documents.deadlines import today_bounds, zone_of
from documents.workflow import ANY, REGISTRY, Step

#: items shown per group (the rest behind the group's "all" link)
LIMIT = 5


@dataclass
class ClockGroup:
    """A group of clocks: how many there are and the first `LIMIT` of them, soonest due first."""
    name: str
    count: int
    items: list = field(default_factory=list)


def _scope(user) -> Q:
    """The user's communities (nothing to add for someone who sees every community)."""
    return Q() if sees_all(user) else Q(community__in=community_ids_of(user))


def answered_by(user) -> Q:
    """Clocks `user` answers for: theirs by name, or their role's where no one person answers."""
    own = Q(responsible=user.pk)
    roles = list(user.roles or [])
    by_role = Q(responsible=None) & (Q(responsible_role__in=roles) | Q(responsible_roles__in=roles)) & _scope(user)
    return own | by_role


def _today(communities, now: datetime) -> Q:
    """Due from now to the end of each community's local day (communities grouped by zone)."""
    by_zone: dict[str, tuple] = {}
    for community in communities:
        zone = zone_of(community)
        by_zone.setdefault(str(zone), (zone, []))[1].append(community.pk)
    query = None
    for zone, ids in by_zone.values():
        _start, end = today_bounds(now, zone)
        part = Q(community__in=ids, due_at__gte=now, due_at__lt=end)
        query = part if query is None else query | part
    return query if query is not None else Q(pk=None)


def _group(name: str, query: Q, limit: int = LIMIT) -> ClockGroup:
    clocks = Clock.objects(Q(phase=OPEN) & query)
    return ClockGroup(name, clocks.count(), list(clocks.order_by("due_at").limit(limit).select_related(max_depth=1)))


def overdue(user, now: datetime) -> ClockGroup:
    return _group("overdue", answered_by(user) & Q(due_at__lt=now))


def due_today(user, communities, now: datetime) -> ClockGroup:
    return _group("today", answered_by(user) & _today(communities, now))


def escalation_rungs(user) -> list[tuple[str, int]]:
    """(clock kind, level) of every rung of a ladder that tells one of the user's roles."""
    roles = set(user.roles or [])
    return [(kind.name, rung.level) for kind in KINDS.values() for rung in kind.ladder if rung.role in roles]


def escalated(user) -> ClockGroup:
    """Open clocks escalated to one of the user's roles, or further up the same ladder."""
    rungs = escalation_rungs(user)
    if not rungs:
        return ClockGroup("escalated", 0)
    reached = None
    for kind, level in rungs:
        part = Q(kind=kind, level__gte=level)
        reached = part if reached is None else reached | part
    return _group("escalated", reached & _scope(user))


def patrols_due(user, communities, now: datetime) -> int:
    """Renovation patrols due today or overdue: the patrols-due page's count (a housekeeper's own
    buildings)."""
    from documents.renovations import count_due_patrols, patrol_buildings
    return count_due_patrols(user, patrol_buildings(user), now)


# --- waiting for the user's step ---

def moves_on(step: Step) -> bool:
    """A step a record waits for: it leaves the state for another one that is not a cancellation
    (steps that keep the state — permits, attachments, attendance — are taken any time)."""
    if step.from_states == ANY or step.to_state is None:
        return False
    return callable(step.to_state) or step.to_state not in CANCELLING_STATES


@dataclass
class WaitingState:
    """Records of a workflow in `state` wait for one of `steps`, which the user may take."""
    workflow: object
    state: str
    steps: list

    @property
    def model(self):
        return self.workflow.model

    @property
    def state_label(self) -> str:
        choices = dict(getattr(self.model._fields.get("state"), "choices", None) or ())
        return str(choices.get(self.state, self.state))

    @property
    def step_labels(self) -> list[str]:
        return [str(step.label or step.name) for step in self.steps]


def waiting_states(user, offered=lambda workflow, step: True) -> list[WaitingState]:
    """Per workflow and state, the steps that move a record on and that `user` may take;
    `offered(workflow, step)` says whether the portal offers the step somewhere (the views know)."""
    found = []
    for workflow in REGISTRY.values():
        by_state: dict[str, list] = {}
        for step in workflow.steps:
            if moves_on(step) and can(step.area or workflow.area, step.right, user) and offered(workflow, step):
                for state in step.from_states:
                    by_state.setdefault(state, []).append(step)
        found += [WaitingState(workflow, state, steps) for state, steps in by_state.items()]
    return found

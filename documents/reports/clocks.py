"""What the reports read of the agenda's clocks (documents/agenda.py): late or on time, per kind.

Shared by the daily report, the monthly complaint analysis and the KPI page. A clock is **late**
when it was breached (its deadline passed before its fact), or when it still runs past its deadline
(the sweeper, at most a minute behind, has not yet marked it); it is **on time** when it was met.
A cancelled clock (the record was cancelled, or its deadline taken away) counts neither way, nor
does a clock still running within its time. The on-time rate is met / (met + late), in per cent,
None when nothing was decided.

Reads are plain equality / $in / range queries of the few fields needed (`as_pymongo`), counted in
Python: the same on MongoDB, the embedded store and mongomock; record ids are asked in batches of
`BATCH`, so the queries grow with the records only as batches do.
"""
from dataclasses import dataclass
from datetime import datetime

from app import clock
from documents.agenda import BREACHED, CANCELLED, KINDS, MET, RUNNING, Clock
from documents.reports import plain_rows

#: record ids asked per clock query
BATCH = 1000
FIELDS = ("record_id", "kind", "state", "phase", "due_at", "community", "collection", "record_label")


def is_late(row: dict, at: datetime) -> bool:
    """Was the clock (a raw row with state and due_at) late at `at`: breached, or still running,
    with its deadline before `at`? (A breach is dated at the deadline; a met clock never is.)"""
    return row.get("state") in (BREACHED, RUNNING) and bool(row.get("due_at")) and row["due_at"] < at


def is_on_time(row: dict) -> bool:
    return row.get("state") == MET


@dataclass
class Outcome:
    """How the clocks of one kind (or one group) ended: met, late, still running in time, cancelled."""
    met: int = 0
    late: int = 0
    running: int = 0
    cancelled: int = 0

    def add(self, row: dict, now: datetime):
        if is_late(row, now):
            self.late += 1
        elif row.get("state") == MET:
            self.met += 1
        elif row.get("state") == CANCELLED:
            self.cancelled += 1
        else:
            self.running += 1

    @property
    def decided(self) -> int:
        return self.met + self.late

    @property
    def on_time_rate(self) -> float | None:
        """Per cent of the decided clocks that were met (one decimal); None with none decided."""
        return round(100.0 * self.met / self.decided, 1) if self.decided else None


def on_time_rate(met: int, late: int) -> float | None:
    return Outcome(met=met, late=late).on_time_rate


def clocks_of_records(collection: str, record_ids, kinds=None) -> dict:
    """{record id: [clock rows]} of these records (all rounds), read in batches of `BATCH` ids."""
    ids = list(record_ids)
    found: dict = {}
    for start in range(0, len(ids), BATCH):
        query = Clock.objects(collection=collection, record_id__in=ids[start:start + BATCH])
        if kinds:
            query = query.filter(kind__in=list(kinds))
        for row in plain_rows(query, *FIELDS):
            found.setdefault(row["record_id"], []).append(row)
    return found


def outcomes_by_kind(kinds, period, communities, now: datetime | None = None) -> dict:
    """{kind name: Outcome} of the clocks of `kinds` whose deadline falls in `period` (each
    community's local days). Kinds without a clock in the period are there with an empty Outcome."""
    now = now or clock.now()
    names = [getattr(kind, "name", kind) for kind in kinds]
    result = {name: Outcome() for name in names}
    if not names or not communities:
        return result
    query = Clock.objects(period.query("due_at", communities)).filter(kind__in=names)
    for row in plain_rows(query, *FIELDS):
        result[row["kind"]].add(row, now)
    return result


def kind_label(name: str) -> str:
    kind = KINDS.get(name)
    return str(kind.label) if kind else name

"""The service centre's daily report (客服中心日报表, seed 003): one local day of one or more communities.

One line per register, public-area repairs apart from in-home ones (003: the daily report splits
them; a repair's `location` tells them apart), then complaints, suggestions, information feedback
(documents/feedback.py) and return visits. Each line counts

- **received**: registered that day (the community's local day: a repair at 23:59 is that day's);
- **done**: its work finished that day, whenever it was registered (a repair completed, a complaint
  or suggestion handled, feedback answered);
- **open**: registered that day and not finished by the day's end (for today: by now); cancelled
  ones are not open;
- **late**: of the records received or done that day, those late by the day's end: a clock of the
  record breached or running past its deadline (documents/reports/clocks.py), or the record's own
  recorded late fact (a late arrival or return after a review, a complaint handled late, feedback
  answered after its time).

Return visits are counted by their clocks due that day: received = due, done = made, open = not yet
made, late as above. The visits logged that day (return and proactive) are counted beside the table.

Reads: per register, the records received that day and those done that day (two range queries of a
few fields), their clocks in batches, and the visit clocks due that day: the number of queries does
not depend on how many records there are, but for the clock batches.
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from flask_babel import gettext, lazy_gettext as _l, lazy_pgettext

from app import clock
from app.charts import Chart, Series
from documents.agenda import CANCELLED, DONE, OPEN
from documents.reports.clocks import FIELDS as CLOCK_FIELDS, clocks_of_records, is_late
from documents.reports import plain_rows
from documents.reports.period import Period

LINES = [
    ("repair_room", _l("Repairs in homes")), ("repair_public", _l("Repairs in public areas")),
    ("complaint", _l("Complaints")), ("suggestion", _l("Suggestions")),
    ("feedback", _l("Information feedback")), ("visit", _l("Return visits")),
]
#: the columns; their words are the report's own (接报 / 完成 / 未完成 / 超时), hence a context
COLUMNS = [("received", lazy_pgettext("daily report", "Received")), ("done", lazy_pgettext("daily report", "Done")),
           ("open", lazy_pgettext("daily report", "Open")), ("late", lazy_pgettext("daily report", "Late"))]
#: the visit clocks of the "Return visits" line
VISIT_KINDS = ("repair_visit", "complaint_visit")


@dataclass(frozen=True)
class Register:
    """How one register is read: its model, its received and done times, the line a record goes to,
    the clocks whose lateness counts, and the record's own late fact."""
    model: Callable
    received: str
    done: str
    line_of: Callable
    clock_kinds: tuple
    late_fact: Callable
    fields: tuple
    endpoint: str


def _repairs():
    from documents.repairs import Repair
    return Register(Repair, "reported_at", "completed_at",
                    lambda r: "repair_public" if r.get("location") == "public" else "repair_room",
                    ("repair_arrival", "repair_review"),
                    lambda r: bool(r.get("arrival_late") or r.get("review_late")),
                    ("number", "location", "room_code", "public_area", "arrival_late", "review_late"),
                    "repairs.details_view")


def _complaints():
    from documents.complaints import Complaint
    return Register(Complaint, "received_at", "handled_at",
                    lambda r: "suggestion" if r.get("kind") == "suggestion" else "complaint",
                    ("complaint_handling", "suggestion_reply"), lambda r: bool(r.get("handled_late")),
                    ("number", "kind", "room_code", "handled_late"), "complaints.details_view")


def _feedback():
    from documents.feedback import FeedbackEntry
    return Register(FeedbackEntry, "received_at", "answered_at", lambda r: "feedback", ("feedback_answer",),
                    lambda r: bool(r.get("answered_at") and r.get("answer_due_at")
                                   and r["answered_at"] > r["answer_due_at"]),
                    ("number", "room_code", "answer_due_at"), "feedback.details_view")


REGISTERS = (_repairs, _complaints, _feedback)


@dataclass
class Line:
    key: str
    received: int = 0
    done: int = 0
    open: int = 0
    late: int = 0

    @property
    def label(self) -> str:
        return str(dict(LINES)[self.key])

    def value(self, column: str) -> int:
        return getattr(self, column)


@dataclass
class LateItem:
    line: str
    number: str
    where: str
    endpoint: str = ""
    record_id: object = None

    @property
    def line_label(self) -> str:
        return str(dict(LINES)[self.line])


@dataclass
class DailyReport:
    day: date
    communities: list
    lines: list
    late_items: list = field(default_factory=list)
    visits_made: int = 0
    proactive_visits: int = 0

    def line(self, key: str) -> Line:
        return next(line for line in self.lines if line.key == key)

    @property
    def columns(self):
        return [(key, str(label)) for key, label in COLUMNS]

    def chart(self) -> Chart:
        """The day's lines as grouped bars (received, done, open, late): the page's figure and the
        xlsx's sheet."""
        return Chart("daily", gettext("Service centre daily report %(day)s", day=self.day.isoformat()), "bar",
                     [line.label for line in self.lines],
                     [Series(str(label), [line.value(key) for line in self.lines]) for key, label in COLUMNS])


def daily_report(communities, day: date, now: datetime | None = None) -> DailyReport:
    """The daily report of `day` (each community's local day) over `communities`."""
    now = now or clock.now()
    period = Period.day(day)
    communities = list(communities)
    lines = {key: Line(key) for key, _label in LINES}
    report = DailyReport(day, communities, list(lines.values()))
    if not communities:
        return report
    bounds = {c.pk: period.bounds(c) for c in communities}
    # per community, what "by the day's end" means: the end of its local day, or now if sooner
    cutoff = {pk: min(now, high) for pk, (_low, high) in bounds.items()}
    for make in REGISTERS:
        _count_register(make(), period, communities, bounds, cutoff, lines, report.late_items)
    _count_visits(period, communities, cutoff, lines["visit"], report)
    order = [key for key, _label in LINES]
    report.late_items.sort(key=lambda item: (order.index(item.line), item.number))
    return report


def _count_register(register: Register, period, communities, bounds, cutoff, lines, late_items):
    fields = ("community", "state", register.received, register.done) + register.fields
    model = register.model
    rows = {}
    for time_field in (register.received, register.done):
        for row in plain_rows(model.objects(period.query(time_field, communities)), *fields):
            rows[row["_id"]] = row
    clocks = clocks_of_records(model._get_collection_name(), rows, register.clock_kinds)
    for record_id, row in rows.items():
        line = lines[register.line_of(row)]
        end = cutoff[row["community"]]
        low, high = bounds[row["community"]]
        received = _within(row.get(register.received), low, high)
        done_at = row.get(register.done)
        done = _within(done_at, low, high)
        line.received += received
        line.done += done
        if received and row.get("state") != CANCELLED and not (done_at and done_at < end):
            line.open += 1
        if register.late_fact(row) or any(is_late(c, end) for c in clocks.get(record_id, ())):
            line.late += 1
            late_items.append(LateItem(line.key, row.get("number") or "",
                                       row.get("room_code") or row.get("public_area") or "",
                                       register.endpoint, record_id))


def _within(at, low, high) -> bool:
    return at is not None and low <= at < high


def _count_visits(period, communities, cutoff, line: Line, report: DailyReport):
    from documents.agenda import Clock
    from documents.visits import Visit
    query = Clock.objects(period.query("due_at", communities)).filter(kind__in=list(VISIT_KINDS))
    for row in plain_rows(query, *CLOCK_FIELDS):
        if row.get("state") == CANCELLED:
            continue
        line.received += 1
        line.done += row.get("phase") == DONE
        line.open += row.get("phase") == OPEN
        if is_late(row, cutoff[row["community"]]):
            line.late += 1
            endpoint = "repairs.details_view" if row.get("collection") == "repairs" else "complaints.details_view"
            report.late_items.append(LateItem("visit", row.get("record_label") or "", "", endpoint,
                                              row.get("record_id")))
    for row in plain_rows(Visit.objects(period.query("visited_at", communities)), "kind"):
        report.visits_made += 1
        report.proactive_visits += row.get("kind") == "proactive"

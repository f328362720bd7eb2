"""The monthly complaint analysis (003 §4.2.9: the office analyses and sums up its complaints for the
management review; the seed gives no period, a month is the office's habit, any period is accepted).

Of the complaints received in the period (each community's local days):
- counts by class (the cause as 003 classes it: our service, building quality, outside the property
  line), by the department responsible, by building and by channel, each a chart with its numbers;
- the **on-time rate** per class: a complaint is late when its handling clock was breached or runs past
  its deadline (documents/reports/clocks.py), or its own record says so (handled late, or still
  unhandled past its deadline); on time when handled and not late; still in its time it counts neither;
- **repeat complainants**: a household that complained `REPEAT_FROM` times or more in the period;
- **escalations**: to the supervisor (level 1) and to senior management (level 2) by the agenda's
  ladder, to the department head at once (a hard complaint, or one made to the company, the group or
  a government office: its relay, documents/feedback.py), and relays to the front desk that were late;
- the class 1 complaints, which become case studies (003 §4.2.6), listed with their result, the
  measures against a repeat, the handling lines of their relay (name and date of each) and their
  analysis.
Suggestions are counted apart and not analysed.

Reads: one range query of the period's complaints (a few fields), the texts of the newest class 1
cases by id (at most `CASES_SHOWN`), the handling clocks and relays by id in batches.
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext

from app import clock
from app.charts import Chart, Series
from documents.complaints import CHANNELS, CLASS_SHORT, DEPARTMENTS, Complaint
from documents.reports.clocks import BATCH, Outcome, clocks_of_records, is_late
from documents.reports import plain_rows
from documents.reports.period import Period

#: a household that complains this many times in the period is a repeat complainant
REPEAT_FROM = 2
#: the class 1 cases listed (newest first); the counts cover them all
CASES_SHOWN = 200
#: the repeat complainants a page or print lists (most complaints first); the xlsx lists them all
REPEATS_SHOWN = 100
FIELDS = ("community", "kind", "complaint_class", "department", "building_no", "channel", "household",
          "room_code", "resident_name", "number", "received_at", "handled_at", "handle_due_at",
          "handled_late", "escalation_level")
CASE_FIELDS = ("number", "received_at", "room_code", "resident_name", "content", "result", "measures",
               "case_analysis", "state",
               "community", "handled_late")
CLASSES = (1, 2, 3)


@dataclass
class Repeat:
    household: object
    room_code: str
    resident_name: str
    numbers: list

    @property
    def count(self) -> int:
        return len(self.numbers)


@dataclass
class ComplaintAnalysis:
    period: Period
    communities: list
    complaints: int = 0
    suggestions: int = 0
    by_class: Counter = field(default_factory=Counter)
    by_department: Counter = field(default_factory=Counter)
    by_building: Counter = field(default_factory=Counter)
    by_channel: Counter = field(default_factory=Counter)
    on_time: dict = field(default_factory=lambda: {c: Outcome() for c in CLASSES})
    repeats: list = field(default_factory=list)
    escalated_supervisor: int = 0
    escalated_senior: int = 0
    to_department_head: int = 0
    late_relays: int = 0
    class_1: int = 0
    cases: list = field(default_factory=list)
    cases_without_analysis: int = 0

    @property
    def repeats_shown(self) -> list:
        return self.repeats[:REPEATS_SHOWN]

    @property
    def overall(self) -> Outcome:
        total = Outcome()
        for outcome in self.on_time.values():
            total.met += outcome.met
            total.late += outcome.late
            total.running += outcome.running
        return total

    def charts(self) -> list:
        count = gettext("Complaints")
        classes = [str(CLASS_SHORT[c]) for c in CLASSES]
        departments = [key for key, _label in DEPARTMENTS if self.by_department.get(key)]
        if self.by_department.get(None):
            departments.append(None)
        buildings = sorted(self.by_building, key=_building_order)
        channels = [key for key, _label in CHANNELS if self.by_channel.get(key)]
        rates = [self.on_time[c].on_time_rate for c in CLASSES] + [self.overall.on_time_rate]
        return [
            Chart("by-class", gettext("Complaints by class (cause)"), "bar", classes,
                  [Series(count, [self.by_class.get(c, 0) for c in CLASSES])]),
            Chart("on-time", gettext("Handled on time"), "bar", classes + [gettext("All classes")],
                  [Series(gettext("On-time rate"), rates)], unit="%"),
            Chart("by-department", gettext("Complaints by department responsible"), "bar",
                  [str(dict(DEPARTMENTS)[d]) if d else gettext("Not assigned") for d in departments],
                  [Series(count, [self.by_department[d] for d in departments])]),
            Chart("by-building", gettext("Complaints by building"), "bar",
                  [gettext("Building %(no)s", no=b) if b else gettext("No building") for b in buildings],
                  [Series(count, [self.by_building[b] for b in buildings])]),
            Chart("by-channel", gettext("Complaints by channel"), "pie",
                  [str(dict(CHANNELS)[c]) for c in channels], [Series(count, [self.by_channel[c] for c in channels])]),
        ]

    def tables(self) -> list:
        """The lists of the analysis as (title, header, rows): repeat complainants and class 1 cases."""
        repeats = (gettext("Repeat complainants"),
                   [gettext("Room"), gettext("Resident"), gettext("Complaints"), gettext("Numbers")],
                   [[r.room_code, r.resident_name, r.count, " ".join(r.numbers)] for r in self.repeats])
        cases = (gettext("Class 1 case studies"),
                 [gettext("Number"), gettext("Room"), gettext("Complaint"), gettext("Result"),
                  gettext("Measures against a repeat"), gettext("Case analysis")],
                 [[c["number"], c.get("room_code") or "", c.get("content") or "", c.get("result") or "",
                   c.get("measures") or "", c.get("case_analysis") or gettext("Not written yet")]
                  for c in self.cases])
        return [repeats, cases]


def _building_order(number):
    text = number or ""
    return (not text, int(text) if text.isdigit() else 0, text)


def complaint_analysis(communities, period: Period, now: datetime | None = None) -> ComplaintAnalysis:
    """The analysis of the complaints received in `period` in `communities`."""
    now = now or clock.now()
    communities = list(communities)
    report = ComplaintAnalysis(period, communities)
    if not communities:
        return report
    rows = {}
    for row in plain_rows(Complaint.objects(period.query("received_at", communities)), *FIELDS):
        if row.get("kind") == "suggestion":
            report.suggestions += 1
            continue
        rows[row["_id"]] = row
    clocks = clocks_of_records("complaints", rows, ["complaint_handling"])
    households = {}
    for record_id, row in rows.items():
        _count(report, row, clocks.get(record_id, ()), now)
        if row.get("household") is not None:
            households.setdefault(row["household"], []).append(row)
    report.repeats = _repeats(households)
    _count_relays(report, list(rows))
    report.class_1 = report.by_class.get(1, 0)
    report.cases = _cases(rows)
    report.cases_without_analysis = sum(not (c.get("case_analysis") or "").strip() for c in report.cases)
    return report


def _count(report: ComplaintAnalysis, row: dict, clocks, now):
    """One complaint into the counts: class, department, building, channel, on time, escalation."""
    report.complaints += 1
    cls = row.get("complaint_class")
    report.by_class[cls] += 1
    report.by_department[row.get("department")] += 1
    report.by_building[row.get("building_no") or ""] += 1
    report.by_channel[row.get("channel")] += 1
    if cls in report.on_time:
        _judge(row, clocks, now, report.on_time[cls])
    level = row.get("escalation_level") or 0
    report.escalated_supervisor += level >= 1
    report.escalated_senior += level >= 2


def _repeats(households: dict) -> list:
    """The households with `REPEAT_FROM` complaints or more, most complaints first."""
    return sorted(
        (Repeat(household, rs[0].get("room_code") or "", rs[0].get("resident_name") or "",
                [r.get("number") or "" for r in sorted(rs, key=lambda r: r["received_at"])])
         for household, rs in households.items() if len(rs) >= REPEAT_FROM),
        key=lambda r: (-r.count, r.room_code))


def _cases(rows: dict) -> list:
    """The newest `CASES_SHOWN` class 1 complaints with their texts and handling lines."""
    newest = sorted((row for row in rows.values() if row.get("complaint_class") == 1),
                    key=lambda row: row["received_at"], reverse=True)[:CASES_SHOWN]
    if not newest:
        return []
    texts = {row["_id"]: row for row in plain_rows(Complaint.objects(pk__in=[r["_id"] for r in newest]),
                                                   *CASE_FIELDS)}
    cases = [texts[row["_id"]] for row in newest if row["_id"] in texts]
    _handling_lines(cases)
    return cases


def _judge(row, clocks, now, outcome: Outcome):
    """Late (a late handling clock, or the record's own fact), on time (handled), or still in its time."""
    late = bool(row.get("handled_late")) or any(is_late(c, now) for c in clocks) or (
        row.get("handled_at") is None and row.get("handle_due_at") is not None and row["handle_due_at"] < now)
    if late:
        outcome.late += 1
    elif row.get("handled_at") is not None:
        outcome.met += 1
    else:
        outcome.running += 1


def _handling_lines(cases: list):
    """Each case gets the handling lines of its relay (documents/feedback.py), each with the name and
    date of whoever wrote it (003 §4.2.7), as `lines`: [(name, written at, text)]."""
    from documents.feedback import ComplaintRelay
    by_complaint = {case["_id"]: case for case in cases}
    for case in cases:
        case["lines"] = []
    if not cases:
        return
    for relay in plain_rows(ComplaintRelay.objects(complaint__in=list(by_complaint)), "complaint", "lines"):
        by_complaint[relay["complaint"]]["lines"] = [
            (line.get("written_by_name") or "", line.get("written_at"), line.get("text") or "")
            for line in relay.get("lines") or []]


def _count_relays(report: ComplaintAnalysis, complaint_ids: list):
    from documents.feedback import ComplaintRelay
    for start in range(0, len(complaint_ids), BATCH):
        relays = ComplaintRelay.objects(complaint__in=complaint_ids[start:start + BATCH])
        for relay in plain_rows(relays, "hard", "raised_to", "relay_late"):
            report.to_department_head += bool(relay.get("hard") or relay.get("raised_to"))
            report.late_relays += bool(relay.get("relay_late"))


"""The KPI page (issue 13 point 8): the figures a manager and senior management follow month by month.

Per community, or company-wide over every community the reader sees, for a period of whole months:

- **on-time rate per clock kind**: of the agenda's clocks decided in a month, the share met. A clock is
  decided when it is met (`met_at`, counted in that month) or breached (`breached_at`, its deadline:
  counted in the month the deadline passed); a breached clock stays late whatever happens after it
  (met later, it is still a breach); cancelled clocks count neither way (`on_time`). The embedded
  store looks up equalities only, so that range read finds a month's clocks among every clock of the
  communities (4-26 s at five years of an office, bench.kpi): the sweeper keeps the counts as monthly
  tallies (`OnTimeTally`, the running month hourly) and the page reads those (`on_time_by_month`);
- **satisfaction trend**: the average satisfaction per month on a 0-100 scale, from every registered
  source (`register_satisfaction_source`): the return visits' 1-5 rating here; the surveys area plugs
  in its questionnaires' scores without this module importing it;
- **arrears at each month end**: what was due by the month's last day and not paid by its end,
  derived from the lines unpaid today and the payments received since the first month end
  (`arrears_at_month_ends`, see there). That reads every unpaid line and a period's payments
  (12 s at 5,000 households with 32,000 unpaid lines on the embedded store), so the sweeper's daily
  pass keeps it as snapshots (`ArrearsSnapshot`: each closed month of the last year once, the running
  month once a day) and the page reads those only: a month without one shows as not yet computed
  and is asked of the sweeper (`KpiRequest`), so a page never derives (a page must not take 30 s);
- **renovation patrols**: patrols due per month (the recurring patrol clocks, by their due day) and
  those done by their due day (`patrols`; in the same tallies, for the same reason);
- **move-ins done** per month (move-in files finished, by their local day);
- **vacant units and basements inspected**: the month's inspection coverage, by the vacancy module's
  own rule (`documents.fees.vacancy.coverage_by_month`).

Every figure reads each register (or its tallies / snapshots) once for the whole period and all
communities (one query with `community__in`, only the fields it needs, raw documents) and counts in
Python, each record in its own community's local month: the number of queries does not grow with the
number of communities or months. A month without its tally or snapshot costs one write (the request).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

from flask_babel import gettext as _, lazy_gettext as _l
from mongoengine import (BooleanField, DateField, DateTimeField, DictField, Document, IntField, ListField,
                         StringField)
from mongoengine.errors import NotUniqueError

from app import clock
from app.charts import Chart, Series
from documents.agenda import register_sweep_task
from documents.base import CommunityOwned, DomainError
from documents.deadlines import local_date, local_date_range, zone_of
from documents.money import ZERO, MoneyField, to_money
from documents.reports.period import Period

#: the months a KPI page shows unless asked otherwise (this one and the five before it)
DEFAULT_MONTHS = 6
#: the patrol clock's kind (documents/renovations/file.py declares it)
PATROL_KIND = "renovation_patrol"
#: allocated lines whose due day is read per query (the arrears' batch read)
LINE_BATCH = 500
#: a return visit's rating runs 1-5; the trend is on 0-100 like the surveys' scores
VISIT_SCALE = (1, 5)


# --- the months of a period, each community in its own local time ---

def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def month_keys(period: Period) -> list[str]:
    return [month_key(m.start) for m in period.months()]


def default_period(community=None, now: datetime | None = None) -> Period:
    """This month (the community's local today) and the DEFAULT_MONTHS - 1 before it."""
    today = local_date(now or clock.now(), zone_of(community))
    year, month = today.year, today.month - (DEFAULT_MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return Period(date(year, month, 1), Period.month(today.year, today.month).end)


def parse_months(first: str, last: str) -> Period:
    """Two months typed as YYYY-MM: from the first one's first day to the last one's last day."""
    try:
        start = Period.parse_month(first).start
    except DomainError as err:
        err.field = "start"
        raise
    try:
        end = Period.parse_month(last).end
    except DomainError as err:
        err.field = "end"
        raise
    return Period(start, end)


def wide_bounds(period: Period, communities) -> tuple[datetime, datetime]:
    """UTC bounds covering the period in every community's zone (each record is then placed in its own)."""
    bounds = [period.bounds(c) for c in communities] or [period.bounds(None)]
    return min(b[0] for b in bounds), max(b[1] for b in bounds)


class _Months:
    """Places a stored UTC time in its community's local month, if that falls inside the period."""

    def __init__(self, period: Period, communities):
        self.period = period
        self.zones = {c.pk: zone_of(c) for c in communities}
        self.keys = month_keys(period)

    def of(self, community_id, at: datetime | None) -> str | None:
        if at is None:
            return None
        day = local_date(at, self.zones.get(community_id) or zone_of(None))
        return month_key(day) if self.period.start <= day <= self.period.end else None


def _as_date(value) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _rate(met: int, late: int) -> float | None:
    return round(met * 100.0 / (met + late), 1) if met + late else None


# --- on-time rate per clock kind ---

@dataclass
class OnTime:
    """Clocks met on time and late per (kind, community, month)."""
    months: list
    met: dict = field(default_factory=lambda: defaultdict(int))
    late: dict = field(default_factory=lambda: defaultdict(int))
    patrols: dict = field(default_factory=dict)     # from the tallies: {month: {"due", "on_time"}}

    def kinds(self) -> list[str]:
        """The kinds with a decided clock in the period, in the agenda's declaration order."""
        from documents.agenda import KINDS
        seen = {key[0] for key in list(self.met) + list(self.late)}
        return [k for k in KINDS if k in seen] + sorted(seen - set(KINDS))

    def rate(self, kind=None, community=None, month=None) -> float | None:
        """The share met (%) of the clocks matching the given kind / community / month (None: any)."""
        def total(counts):
            return sum(n for (k, c, m), n in counts.items()
                       if kind in (None, k) and community in (None, c) and month in (None, m))
        return _rate(total(self.met), total(self.late))


def on_time(period: Period, communities) -> OnTime:
    """Met vs breached clocks per kind and local month (cancelled and running clocks do not count).

    Two range queries for all communities: the clocks met in the period, the clocks breached in it."""
    from documents.agenda import BREACHED, MET, Clock
    months = _Months(period, communities)
    low, high = wide_bounds(period, communities)
    ids = [c.pk for c in communities]
    result = OnTime(months.keys)
    for state, at, counts in ((MET, "met_at", result.met), (BREACHED, "breached_at", result.late)):
        for raw in Clock.objects(community__in=ids, state=state, **{f"{at}__gte": low, f"{at}__lt": high}) \
                .only("kind", "community", at).as_pymongo():
            month = months.of(raw.get("community"), raw.get(at))
            if month:
                counts[(raw.get("kind"), raw.get("community"), month)] += 1
    return result


#: how old the running month's tally may grow before the sweeper takes it again
TALLY_REFRESH = timedelta(hours=1)


class OnTimeTally(CommunityOwned):
    """The clocks met and breached in one local month of a community, per kind ({kind: n}), as
    `on_time` counts them: the page reads these, not the clocks (the embedded store looks up
    equalities only, so a month's clocks would be found among every clock of the community: 3-7 s
    at five years of an office). The sweeper keeps them (`keep_on_time_tallies`): each closed month
    of the last year once after its end (`closed`), the running month again when its tally is
    older than TALLY_REFRESH; a month further back when a page asks for it (`serve_requests`)."""
    month = StringField(required=True)
    met = DictField()
    late = DictField()
    #: the renovation patrols that fell due in the month, and those done by their due day (`patrols`)
    patrols_due = IntField(default=0)
    patrols_on_time = IntField(default=0)
    closed = BooleanField(default=False)
    taken_at = DateTimeField()

    meta = {"collection": "kpi_on_time_tallies",
            "indexes": [{"fields": ["community", "month"], "unique": True}]}


def _tally_months(community, period: Period, now: datetime, only=None) -> int:
    """Take the tallies of the period's months (or of `only` among them) that are missing, not closed
    though the month has ended, or (the running month) older than TALLY_REFRESH: one `on_time` read
    from the first of them. Returns how many were written."""
    today = local_date(now, zone_of(community))
    months = {m.start: Period.month(m.start.year, m.start.month) for m in period.months()
              if m.start <= today and (only is None or month_key(m.start) in only)}
    have = {raw["month"]: raw for raw in OnTimeTally.objects(community=community.pk, month__in=[
        month_key(start) for start in months]).only("month", "closed", "taken_at").as_pymongo()}

    def stale(key, month):
        raw = have.get(key)
        if raw is None or (month.end < today and not raw.get("closed")):
            return True
        return month.end >= today and (raw.get("taken_at") or datetime.min) <= now - TALLY_REFRESH

    due = sorted(month.start for month in months.values() if stale(month_key(month.start), month))
    if not due:
        return 0
    counted = on_time(Period(due[0], period.end), [community])
    patrol = patrols(Period(due[0], period.end), [community], now)
    for start in due:
        key = month_key(start)
        met = {k: n for (k, _c, m), n in counted.met.items() if m == key}
        late = {k: n for (k, _c, m), n in counted.late.items() if m == key}
        values = {"set__met": met, "set__late": late, "set__closed": months[start].end < today,
                  "set__patrols_due": patrol[key]["due"], "set__patrols_on_time": patrol[key]["on_time"],
                  "set__taken_at": now}
        try:
            OnTimeTally.objects(community=community.pk, month=key).update_one(upsert=True, **values)
        except NotUniqueError:            # another sweeper inserted it meanwhile: the same figures
            OnTimeTally.objects(community=community.pk, month=key).update_one(**values)
    return len(due)


def keep_on_time_tallies(now: datetime | None = None, communities=None) -> int:
    """Every sweep: each community's tallies of the last SNAPSHOT_MONTHS closed months and the running
    month, where `_tally_months` finds them due (one read of the tallies when none is)."""
    from documents.places import Community
    now = now or clock.now()
    taken = 0
    for community in communities or Community.objects.only("timezone"):
        today = local_date(now, zone_of(community))
        back = today.year * 12 + today.month - 1 - SNAPSHOT_MONTHS
        taken += _tally_months(community, Period(date(back // 12, back % 12 + 1, 1), today), now)
    return taken


def on_time_by_month(period: Period, communities, now: datetime | None = None) -> tuple[OnTime, dict]:
    """`on_time` from the tallies (one query): (the counts, {community id: [months without a tally]}).
    The counts carry `patrols` too ({month: {"due", "on_time"}}, as `patrols` counts them). The
    missing months are asked of the sweeper; a month still to come has nothing to count."""
    now = now or clock.now()
    result = OnTime(month_keys(period))
    result.patrols = {m: {"due": 0, "on_time": 0} for m in result.months}
    found = set()
    for raw in OnTimeTally.objects(community__in=[c.pk for c in communities], month__in=result.months).only(
            "community", "month", "met", "late", "patrols_due", "patrols_on_time").as_pymongo():
        found.add((raw.get("community"), raw["month"]))
        result.patrols[raw["month"]]["due"] += int(raw.get("patrols_due") or 0)
        result.patrols[raw["month"]]["on_time"] += int(raw.get("patrols_on_time") or 0)
        for source, counts in ((raw.get("met") or {}, result.met), (raw.get("late") or {}, result.late)):
            for kind, n in source.items():
                counts[(kind, raw.get("community"), raw["month"])] += int(n)
    missing = {}
    for community in communities:
        started = [m for m, at in month_end_moments(period, community, now).items() if at]
        if lacking := [m for m in started if (community.pk, m) not in found]:
            missing[community.pk] = lacking
    if missing:
        request_months(ON_TIME, missing, now)
    return result, missing


# --- satisfaction: every source gives the average per month on 0-100 ---

@dataclass(frozen=True)
class SatisfactionSource:
    key: str
    label: object
    by_month: Callable        # (community_ids, start UTC, end UTC) -> [{"month", "average", "count"}]


SATISFACTION_SOURCES: list[SatisfactionSource] = []


def register_satisfaction_source(key: str, label, by_month: Callable) -> SatisfactionSource:
    """Add a source to the satisfaction trend: `by_month(community_ids, start, end)` returns
    `[{"month": "2026-11", "average": 86.7, "count": 12}, ...]` for what happened in [start, end)
    (UTC), each record in its community's local month, averages on 0-100. Registering a key again
    replaces it (module reloads)."""
    source = SatisfactionSource(key, label, by_month)
    SATISFACTION_SOURCES[:] = [s for s in SATISFACTION_SOURCES if s.key != key] + [source]
    return source


def visits_satisfaction_by_month(community_ids, start: datetime, end: datetime) -> list[dict]:
    """The return visits' satisfaction (1-5, as (rating - 1) x 25 on 0-100) per community-local month."""
    from documents.places import Community
    from documents.visits import Visit
    zones = {c.pk: zone_of(c) for c in Community.objects(pk__in=list(community_ids)).only("timezone")}
    sums: dict[str, list] = defaultdict(list)
    low, high = VISIT_SCALE
    for raw in Visit.objects(community__in=list(community_ids), kind="return", visited_at__gte=start,
                             visited_at__lt=end).only("community", "visited_at", "satisfaction").as_pymongo():
        rating = raw.get("satisfaction")
        if rating is None:
            continue
        month = month_key(local_date(raw["visited_at"], zones.get(raw.get("community")) or zone_of(None)))
        sums[month].append((int(rating) - low) * 100.0 / (high - low))
    return [{"month": month, "average": round(sum(values) / len(values), 1), "count": len(values)}
            for month, values in sorted(sums.items())]


def surveys_satisfaction_by_month(community_ids, start: datetime, end: datetime) -> list[dict]:
    """The satisfaction surveys' returned questionnaires (their satisfaction ratings, 0-100)."""
    from documents.surveys import satisfaction_by_month
    return satisfaction_by_month(community_ids, start, end)


register_satisfaction_source("visits", _l("Return visits"), visits_satisfaction_by_month)
register_satisfaction_source("surveys", _l("Satisfaction surveys"), surveys_satisfaction_by_month)


def satisfaction(period: Period, communities) -> dict[str, dict[str, dict]]:
    """{source key: {month: {"average", "count"}}} for the period's months (one call per source)."""
    low, high = wide_bounds(period, communities)
    ids = [c.pk for c in communities]
    keys = set(month_keys(period))
    return {source.key: {row["month"]: row for row in source.by_month(ids, low, high) if row["month"] in keys}
            for source in SATISFACTION_SOURCES}


# --- arrears at each month end ---

def month_end_moments(period: Period, community, now: datetime) -> dict[str, tuple[date, datetime] | None]:
    """Per month: (the last day whose lines count as due, the UTC moment payments count until).

    A past month: its last day and the start of the next local day. The running month: today and
    now. A month still to come: None (nothing to say yet)."""
    zone = zone_of(community)
    today = local_date(now, zone)
    out = {}
    for month in period.months():
        last = Period.month(month.start.year, month.start.month).end
        if month.start > today:
            out[month_key(month.start)] = None
        elif last >= today:
            out[month_key(month.start)] = (today, now)
        else:
            out[month_key(month.start)] = (last, local_date_range(last, last, zone)[1])
    return out


def arrears_at_month_ends(period: Period, communities, now: datetime | None = None) -> dict:
    """{community id: {month: Decimal owed at its end, or None for a month still to come}}.

    Owed at moment t = what the lines due by t's day still lacked at t. A line's `paid` today is what
    its payments (not void) and other receipts brought, so

        owed(t) = sum of today's unpaid remainders of the lines due by t
                + sum of the allocations (payments not void) received after t to lines due by t.

    Two reads and a batch: the lines unpaid today (the arrears list's set, not the whole ledger), the
    payments received since the period's first month end, and the due days of the lines those
    payments paid that are not among the unpaid ones (LINE_BATCH ids a query). A voided receipt
    counts as never paid; lines paid on another area's receipt count as paid from the start.
    """
    now = now or clock.now()
    tally = _ArrearsTally({c.pk: month_end_moments(period, c, now) for c in communities})
    ids = [c.pk for c in communities]
    due_on = {}
    for line_id, community_id, day, left in _unpaid_lines(ids):
        due_on[line_id] = day
        tally.add(community_id, day, left)
    if tally.first_end is None:
        return tally.result
    received = _allocations_since(ids, tally.first_end)
    due_on.update(_due_days([line for _c, _at, line, _a in received if line not in due_on]))
    for community_id, received_at, line, amount in received:
        tally.add(community_id, due_on.get(line), amount, received_at)
    return tally.result


class _ArrearsTally:
    """Sums per community and month: an amount counts at a month end when its line was due by then
    (and, for a payment, when it came after that month end)."""

    def __init__(self, moments: dict):
        from documents.money import ZERO
        self.moments = moments
        self.result = {cid: {m: (ZERO if at else None) for m, at in by_month.items()}
                       for cid, by_month in moments.items()}
        ends = [at[1] for by_month in moments.values() for at in by_month.values() if at]
        self.first_end = min(ends) if ends else None

    def add(self, community_id, due_day, amount, received_at=None):
        if due_day is None or not amount:
            return
        for month, at in self.moments.get(community_id, {}).items():
            if at and due_day <= at[0] and (received_at is None or received_at >= at[1]):
                self.result[community_id][month] += amount


def _unpaid_lines(community_ids):
    """(line id, community id, due day, what is unpaid today) of every line not settled."""
    from documents.fees.ledger import BillLine
    from documents.money import ZERO, to_money
    for raw in BillLine.objects(community__in=community_ids, settled=False).only(
            "community", "amount", "paid", "due_on").as_pymongo():
        left = max(ZERO, to_money(raw.get("amount")) - (to_money(raw.get("paid")) or ZERO))
        yield raw["_id"], raw.get("community"), _as_date(raw.get("due_on")), left


def _allocations_since(community_ids, since: datetime) -> list:
    """(community id, received at, line id, amount) of what payments not void received since `since` paid."""
    from documents.fees.payments import Payment
    from documents.money import ZERO, to_money
    out = []
    for raw in Payment.objects(community__in=community_ids, void=False, received_at__gte=since).only(
            "community", "received_at", "allocations").as_pymongo():
        out += [(raw.get("community"), raw.get("received_at"), allocation.get("line"),
                 to_money(allocation.get("amount")) or ZERO) for allocation in raw.get("allocations") or []]
    return out


def _due_days(line_ids) -> dict:
    """{line id: due day} read LINE_BATCH lines a query."""
    from documents.fees.ledger import BillLine
    wanted, out = list(set(line_ids)), {}
    for first in range(0, len(wanted), LINE_BATCH):
        for raw in BillLine.objects(pk__in=wanted[first:first + LINE_BATCH]).only("due_on").as_pymongo():
            out[raw["_id"]] = _as_date(raw.get("due_on"))
    return out


# --- arrears snapshots: the month ends kept by the sweeper, so the page reads one row per month ---

#: closed months the daily pass keeps a snapshot of: with the running month, the twelve months a
#: report reads at most (366 days); a longer look back is derived when a page asks for it
SNAPSHOT_MONTHS = 11
SNAPSHOT_TASK = "kpi-arrears"


class ArrearsSnapshot(CommunityOwned):
    """What a community owed at a month's end (`day`: the month's last day), or, for the running
    month, on the day it was taken (`day`: that local day). Written by the sweeper's daily pass
    (`keep_arrears_snapshots`) from `arrears_at_month_ends`, and for the months a page asked for
    (`serve_requests`); the page only reads them."""
    month = StringField(required=True)
    day = DateField(required=True)
    owed = MoneyField(default=ZERO)
    taken_at = DateTimeField()

    meta = {"collection": "kpi_arrears_snapshots",
            "indexes": [{"fields": ["community", "month"], "unique": True}]}


def take_arrears_snapshots(community, now: datetime) -> int:
    """The community's snapshots of the last SNAPSHOT_MONTHS closed months and of the running month,
    those missing or standing for another day; one derivation for all of them. Returns how many."""
    today = local_date(now, zone_of(community))
    back = today.year * 12 + today.month - 1 - SNAPSHOT_MONTHS
    first = date(back // 12, back % 12 + 1, 1)
    return _snapshot_months(community, Period(first, Period.month(today.year, today.month).end), now)


def _snapshot_months(community, period: Period, now: datetime, only=None) -> int:
    """Derive and keep the snapshots of the period's months (or of `only` among them) that are missing
    or stand for another day: one derivation from the first of them. Returns how many were written."""
    moments = month_end_moments(period, community, now)
    if only is not None:
        moments = {m: at for m, at in moments.items() if m in only}
    have = {raw["month"]: _as_date(raw.get("day")) for raw in ArrearsSnapshot.objects(
        community=community.pk, month__in=list(moments)).only("month", "day").as_pymongo()}
    missing = sorted(m for m, at in moments.items() if at and have.get(m) != at[0])
    if not missing:
        return 0
    owed = arrears_at_month_ends(Period(date.fromisoformat(missing[0] + "-01"), period.end), [community],
                                 now)[community.pk]
    for month in missing:
        values = {"set__day": moments[month][0], "set__owed": owed[month], "set__taken_at": now}
        try:
            ArrearsSnapshot.objects(community=community.pk, month=month).update_one(upsert=True, **values)
        except NotUniqueError:            # another sweeper inserted it meanwhile: the same figures
            ArrearsSnapshot.objects(community=community.pk, month=month).update_one(**values)
    return len(missing)


def keep_arrears_snapshots(now: datetime | None = None, communities=None) -> int:
    """Once per community day (the first sweep after its midnight): `take_arrears_snapshots`."""
    from documents.agenda import Lease
    from documents.places import Community
    now = now or clock.now()
    taken = 0
    for community in communities or Community.objects.only("timezone"):
        today = local_date(now, zone_of(community)).isoformat()
        marker = f"{SNAPSHOT_TASK}:{community.pk}"
        if Lease.objects(name=marker, holder=today).first() is not None:
            continue
        taken += take_arrears_snapshots(community, now)
        Lease.objects(name=marker).update_one(upsert=True, set__holder=today, set__until=now)
    return taken


register_sweep_task(keep_arrears_snapshots)
register_sweep_task(keep_on_time_tallies)


class KpiRequest(Document):
    """The months KPI pages found no snapshot or tally for (older than the year the sweeper keeps, or
    not taken yet), as "community id:YYYY-MM", one document per figure (ARREARS, ON_TIME): the
    sweeper's next pass derives them (`serve_requests`), the page never does (arrears read the
    ledger: 12-30 s for a large community; on-time rates every clock of the community: 3-7 s).
    A page asks with one write per figure however many communities it shows."""
    id = StringField(primary_key=True)
    wanted = ListField(StringField())
    asked_at = DateTimeField()

    meta = {"collection": "kpi_requests"}


ARREARS, ON_TIME = "arrears", "on-time"


def request_months(what: str, missing: dict, now: datetime) -> None:
    """Ask the sweeper for `missing` ({community id: [months]}) of a figure (ARREARS, ON_TIME): one write."""
    wanted = sorted(f"{cid}:{month}" for cid, months in missing.items() for month in months)
    if wanted:
        KpiRequest.objects(pk=what).update_one(upsert=True, add_to_set__wanted=wanted, set__asked_at=now)


def serve_requests(now: datetime | None = None) -> int:
    """The sweeper's task: the snapshots and tallies the pages asked for (one derivation per figure and
    community asking); then what was served leaves the request (what was asked meanwhile stays).
    Returns how many months were written."""
    from documents.places import Community
    now = now or clock.now()
    written = 0
    for request in KpiRequest.objects(pk__in=[ARREARS, ON_TIME]):
        if not request.wanted:
            continue
        by_community = defaultdict(set)
        for item in request.wanted:
            cid, _sep, month = item.partition(":")
            by_community[cid].add(month)
        for community in Community.objects(pk__in=list(by_community)).only("timezone"):
            months = sorted(by_community[str(community.pk)])
            period = Period(Period.parse_month(months[0]).start, Period.parse_month(months[-1]).end)
            take = _snapshot_months if request.pk == ARREARS else _tally_months
            written += take(community, period, now, only=set(months))
        KpiRequest.objects(pk=request.pk).update_one(pull_all__wanted=list(request.wanted))
    return written


register_sweep_task(serve_requests)


class ArrearsFigures(dict):
    """{community id: {month: Decimal, or None}}, and `pending`: {community id: [months]} not yet
    computed (asked of the sweeper)."""

    def __init__(self, values, pending):
        super().__init__(values)
        self.pending = pending


def arrears_by_month(period: Period, communities, now: datetime | None = None) -> ArrearsFigures:
    """As `arrears_at_month_ends`, from the snapshots (one query) where they stand for the day the
    page asks about. A month without one is left None and asked of the sweeper (`request_months`):
    the page's work stays two queries and a write per community whatever the ledger's size."""
    now = now or clock.now()
    moments = {c.pk: month_end_moments(period, c, now) for c in communities}
    result = {cid: {m: None for m in by_month} for cid, by_month in moments.items()}
    missing = defaultdict(list)
    found = {(raw.get("community"), raw["month"]): raw for raw in ArrearsSnapshot.objects(
        community__in=list(moments), month__in=month_keys(period)).only(
            "community", "month", "day", "owed").as_pymongo()}
    for cid, by_month in moments.items():
        for month, at in by_month.items():
            raw = found.get((cid, month))
            if at and raw is not None and _as_date(raw.get("day")) == at[0]:
                result[cid][month] = to_money(raw.get("owed")) or ZERO
            elif at:
                missing[cid].append(month)
    if missing:
        request_months(ARREARS, missing, now)
    return ArrearsFigures(result, dict(missing))


# --- renovation patrols and move-ins ---

def patrols(period: Period, communities, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """{month: {"due", "on_time"}}: the patrol clocks due in each local month (by now, not cancelled),
    and those met (the patrol logged by its due day). One range query."""
    from documents.agenda import CANCELLED, MET, Clock
    now = now or clock.now()
    months = _Months(period, communities)
    low, high = wide_bounds(period, communities)
    out = {m: {"due": 0, "on_time": 0} for m in months.keys}
    for raw in Clock.objects(kind=PATROL_KIND, community__in=[c.pk for c in communities], due_at__gte=low,
                             due_at__lt=high).only("community", "due_at", "state").as_pymongo():
        month = months.of(raw.get("community"), raw.get("due_at"))
        if not month or raw.get("state") == CANCELLED or raw["due_at"] > now:
            continue
        out[month]["due"] += 1
        out[month]["on_time"] += raw.get("state") == MET
    return out


def move_ins(period: Period, communities) -> dict:
    """{community id: {month: move-in files finished that local month}} (`moved_in_on` is a local day)."""
    from documents.movein import MoveIn
    keys = month_keys(period)
    out = {c.pk: {m: 0 for m in keys} for c in communities}
    for raw in MoveIn.objects(community__in=[c.pk for c in communities], state="moved_in",
                              moved_in_on__gte=period.start, moved_in_on__lte=period.end).only(
            "community", "moved_in_on").as_pymongo():
        day = _as_date(raw.get("moved_in_on"))
        if day and raw.get("community") in out and period.start <= day <= period.end:
            out[raw["community"]][month_key(day)] += 1
    return out


def vacancy_coverage(period: Period, communities, now: datetime | None = None) -> dict:
    """{community id: {month: % of the vacant units and basements due that were inspected}}, and under
    None all the communities together, by the vacancy module's own rule (`coverage_by_month`: whole
    per cent rounded down, nothing due is 100 %); a month still to come (locally) is None."""
    from documents.fees.vacancy import Coverage, coverage_by_month
    now = now or clock.now()
    keys = month_keys(period)
    coverage = coverage_by_month(communities, keys)
    started = {c.pk: {m: at is not None for m, at in month_end_moments(period, c, now).items()}
               for c in communities}
    out = {c.pk: {m: coverage[c.pk][m].percent if started[c.pk][m] else None for m in keys} for c in communities}
    out[None] = {}
    for m in keys:
        taken = [coverage[c.pk][m] for c in communities if started[c.pk][m]]
        out[None][m] = Coverage([t for one in taken for t in one.targets],
                                set().union(*(one.inspected for one in taken))).percent if taken else None
    return out


# --- the page's charts ---

def _yuan(value) -> int | None:
    """Whole yuan for the trend (the fen are in the fees pages)."""
    return None if value is None else int(Decimal(value).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


class Charts(list):
    """The page's charts, `pending`: the months whose arrears are not computed yet, `pending_on_time`:
    those whose on-time rates are not (sorted)."""
    pending: list = []
    pending_on_time: list = []


def kpi_charts(period: Period, communities, names: dict, company_wide: bool = False,
               now: datetime | None = None) -> Charts:
    """The KPI page's charts for these communities (`names`: id -> display name): the on-time rate per
    clock kind (a row per kind, a column per month) and per month (company-wide: in all and per
    community), satisfaction, arrears, patrols, move-ins (company-wide: stacked per community).
    Titles and series are in the current language. An arrears month without its snapshot is left
    empty (`Charts.pending`) and asked of the sweeper."""
    now = now or clock.now()
    keys = month_keys(period)

    def per_community(values: dict, single_name) -> list:
        """A series per community company-wide, else the one community's under `single_name`."""
        return [Series(names.get(c.pk, str(c.pk)) if company_wide else single_name,
                       [values[c.pk][m] for m in keys]) for c in communities]

    timing, lacking = on_time_by_month(period, communities, now)
    charts = Charts(_on_time_charts(timing, keys, communities, names, company_wide))
    charts.pending_on_time = sorted({m for months in lacking.values() for m in months})
    scores = satisfaction(period, communities)
    charts.append(Chart("satisfaction", _("Satisfaction (0–100)"), "line", keys,
                        [Series(str(s.label), [scores[s.key].get(m, {}).get("average") for m in keys])
                         for s in SATISFACTION_SOURCES]))
    owed = arrears_by_month(period, communities, now)
    charts.append(Chart("arrears", _("Arrears at month end"), "bar", keys,
                        per_community({cid: {m: _yuan(v) for m, v in by.items()} for cid, by in owed.items()},
                                      _("Owed")), unit=_("yuan"), stacked=company_wide))
    charts.pending = sorted({m for months in owed.pending.values() for m in months})
    patrol = timing.patrols
    charts.append(Chart("patrols", _("Renovation patrols"), "bar", keys,
                        [Series(_("Patrols that fell due"), [patrol[m]["due"] for m in keys]),
                         Series(_("Done by the due day"), [patrol[m]["on_time"] for m in keys])]))
    charts.append(Chart("move-ins", _("Move-ins done"), "bar", keys,
                        per_community(move_ins(period, communities), _("Move-ins")), stacked=company_wide))
    covered = vacancy_coverage(period, communities, now)
    charts.append(Chart("vacancy-inspections", _("Vacant units and basements inspected"), "line", keys,
                        ([Series(_("All communities"), [covered[None][m] for m in keys])] if company_wide else [])
                        + per_community(covered, _("Units due inspected")), unit="%"))
    return charts


def _on_time_charts(timing: OnTime, keys, communities, names, company_wide) -> list:
    from documents.agenda import KINDS
    kinds = timing.kinds()
    by_kind = Chart("on-time", _("On-time rate per clock"), "bar",
                    [str(KINDS[k].label) if k in KINDS else k for k in kinds],
                    [Series(m, [timing.rate(k, None, m) for k in kinds]) for m in keys], unit="%")
    trend = [Series(_("All communities") if company_wide else _("All clocks"),
                    [timing.rate(None, None, m) for m in keys])]
    if company_wide:
        trend += [Series(names.get(c.pk, str(c.pk)), [timing.rate(None, c.pk, m) for m in keys])
                  for c in communities]
    return [by_kind, Chart("on-time-trend", _("On-time rate per month"), "line", keys, trend, unit="%")]

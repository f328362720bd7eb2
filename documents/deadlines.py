"""Deadlines in the community's time zone, stored as naive UTC.

Every rule here takes "now" and the zone explicitly (callers pass `clock.now()` and
`zone_of(community)`), so tests freeze the clock and cross a local midnight at will.
A day or a week is always the community's local one: a class 2 complaint received at
23:50 in Shanghai is due 10 minutes later, at the end of that local day.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext
from mongoengine import Q

DEFAULT_ZONE = "Asia/Shanghai"


def zone_of(community) -> ZoneInfo:
    """The community's zone (`Community.timezone`), Asia/Shanghai if unset or unknown."""
    name = getattr(community, "timezone", None) or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def to_local(utc_naive: datetime, zone: ZoneInfo) -> datetime:
    """Stored naive UTC -> aware local time."""
    return utc_naive.replace(tzinfo=timezone.utc).astimezone(zone)


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """Local wall-clock time (naive, or aware) -> naive UTC for storage."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def local_date(utc_naive: datetime, zone: ZoneInfo) -> date:
    return to_local(utc_naive, zone).date()


def start_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of a local calendar day, as naive UTC."""
    return to_utc(datetime.combine(day, time.min), zone)


def end_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    """23:59:59 of a local calendar day, as naive UTC (the last second still "on that day")."""
    return to_utc(datetime.combine(day, time(23, 59, 59)), zone)


def add_hours(start_utc: datetime, hours: float) -> datetime:
    return start_utc + timedelta(hours=hours)


def add_local_days(start_utc: datetime, days: int, zone: ZoneInfo) -> datetime:
    """Same local wall-clock time `days` calendar days later (stays right across DST changes)."""
    local = to_local(start_utc, zone).replace(tzinfo=None) + timedelta(days=days)
    return to_utc(local, zone)


def today_bounds(now_utc: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the local day containing `now`, as naive UTC."""
    day = local_date(now_utc, zone)
    return start_of_local_day(day, zone), start_of_local_day(day + timedelta(days=1), zone)


def week_bounds(now_utc: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) of the local week containing `now`, as naive UTC."""
    day = local_date(now_utc, zone)
    monday = day - timedelta(days=day.weekday())
    return start_of_local_day(monday, zone), start_of_local_day(monday + timedelta(days=7), zone)


def local_date_range(start: date, end_inclusive: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return start_of_local_day(start, zone), start_of_local_day(end_inclusive + timedelta(days=1), zone)


# --- filters over several communities (each with its own zone) ---

DUE_FILTERS = ("overdue", "today", "week")


def local_range_query(field: str, communities, start: date, end_inclusive: date) -> Q:
    clauses = None             # no communities: nothing (Q(pk=None)); else one $or branch each
    for community in communities:
        low, high = local_date_range(start, end_inclusive, zone_of(community))
        clause = Q(community=community.pk, **{f"{field}__gte": low, f"{field}__lt": high})
        clauses = clause if clauses is None else clauses | clause
    return clauses if clauses is not None else Q(pk=None)


# --- "due in" / "late by" ---

def span_text(delta: timedelta) -> str:
    """3 d 4 h / 5 h 20 min / 12 min, translated."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return gettext("%(d)d d %(h)d h", d=days, h=hours)
    if hours:
        return gettext("%(h)d h %(m)d min", h=hours, m=mins)
    return gettext("%(m)d min", m=mins)


def due_status(due_utc: datetime | None, now_utc: datetime) -> tuple[str, str]:
    """("late"|"soon"|"due"|"", text): late by …, due in … ("soon" when under 2 hours)."""
    if due_utc is None:
        return "", ""
    delta = due_utc - now_utc
    if delta.total_seconds() < 0:
        return "late", gettext("late by %(span)s", span=span_text(delta))
    kind = "soon" if delta <= timedelta(hours=2) else "due"
    return kind, gettext("due in %(span)s", span=span_text(delta))


def local_text(utc_naive: datetime | None, community=None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in the community's zone."""
    if utc_naive is None:
        return ""
    return to_local(utc_naive, zone_of(community)).strftime(fmt)

"""A community's service calendar: when its office works, and deadline arithmetic in working time.

A clock kind (documents/agenda.py) runs either on calendar time (the default: "4 h" is four hours
of the clock) or on the community's working time ("4 h" is four hours the office is open). Which
one a kind uses is the kind's default, and the manager may change it per community here.

Working time is: the hours of each weekday (opening, closing, an optional lunch break), China's
public holidays and make-up working days (调休) from the `chinese-calendar` package, and extra
closed days the manager adds. A make-up working day on a weekend has the hours of a Monday. For a
year the package does not know yet, only the weekdays' hours and the manager's closed days count.

Spans a rule can ask for (`Span`): a number of hours, a number of days (working policy: that many
working days later at the same time of day, counted from the next working moment), or "the end
of the same day" (working policy: the closing time of the working day of the start, or of the
next working day when the start is after hours).
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
import logging

import chinese_calendar
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DictField, EmbeddedDocument, EmbeddedDocumentListField,
                         ListField, DateField, IntField, StringField, ValidationError)

from documents.base import CommunityOwned, Versioned
from documents.deadlines import add_local_days, end_of_local_day, local_date, to_local, to_utc, zone_of

log = logging.getLogger(__name__)

CALENDAR, WORKING = "calendar", "working"
POLICIES = [(CALENDAR, _l("Calendar time")), (WORKING, _l("Working time"))]
WEEKDAYS = [(0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")),
            (4, _l("Friday")), (5, _l("Saturday")), (6, _l("Sunday"))]
#: the office hours a community starts with (the manager changes them per community)
DEFAULT_OPENS, DEFAULT_CLOSES = "08:30", "17:30"
DEFAULT_LUNCH = ("12:00", "13:30")
#: a search for the next working moment gives up after this many closed days in a row
MAX_CLOSED_RUN = 60
TIME_RE = r"^([01]\d|2[0-3]):[0-5]\d$"


def parse_hhmm(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(hours, minutes)


@dataclass(frozen=True)
class Span:
    """How long a rule gives: hours, days, or until the end of the day of the start."""
    hours: float = 0
    days: int = 0
    end_of_day: bool = False

    @classmethod
    def of(cls, delta: timedelta) -> "Span":
        return cls(hours=delta.total_seconds() / 3600)


class DayHours(EmbeddedDocument):
    """One weekday's office hours; `open` False: closed that weekday (unless a make-up day)."""
    weekday = IntField(choices=WEEKDAYS, required=True, verbose_name=_l("Weekday"))
    open = BooleanField(default=True, verbose_name=_l("Open"))
    opens = StringField(default=DEFAULT_OPENS, regex=TIME_RE, verbose_name=_l("Opens"))
    closes = StringField(default=DEFAULT_CLOSES, regex=TIME_RE, verbose_name=_l("Closes"))
    lunch_from = StringField(regex=TIME_RE, verbose_name=_l("Lunch break from"))
    lunch_to = StringField(regex=TIME_RE, verbose_name=_l("Lunch break to"))

    def periods(self) -> list[tuple[time, time]]:
        """The open periods of the day, in order: [(08:30, 12:00), (13:30, 17:30)]."""
        opens, closes = parse_hhmm(self.opens), parse_hhmm(self.closes)
        if self.lunch_from and self.lunch_to:
            lunch_from, lunch_to = parse_hhmm(self.lunch_from), parse_hhmm(self.lunch_to)
            if opens < lunch_from < lunch_to < closes:
                return [(opens, lunch_from), (lunch_to, closes)]
        return [(opens, closes)]


def default_hours() -> list[DayHours]:
    return [DayHours(weekday=day, open=day < 5, opens=DEFAULT_OPENS, closes=DEFAULT_CLOSES,
                     lunch_from=DEFAULT_LUNCH[0], lunch_to=DEFAULT_LUNCH[1]) for day in range(7)]


class ServiceCalendar(CommunityOwned, Versioned):
    """The community's office hours, extra closed days and the time policy of each clock kind."""
    hours = EmbeddedDocumentListField(DayHours, verbose_name=_l("Office hours"))
    closed_days = ListField(DateField(), verbose_name=_l("Extra closed days"))
    #: clock kind name -> CALENDAR | WORKING; a kind not named here uses its own default
    policies = DictField(verbose_name=_l("Deadline policy per clock"))

    meta = {"collection": "service_calendars",
            "indexes": [{"fields": ["community"], "unique": True}]}

    def __str__(self):
        return str(self.community) if self.community else ""

    def clean(self):
        days = sorted(h.weekday for h in self.hours or [])
        if len(days) != len(set(days)):
            raise ValidationError(errors={"hours": ValidationError(gettext("Each weekday appears once."))})
        for day in self.hours or []:
            if day.open and parse_hhmm(day.opens) >= parse_hhmm(day.closes):
                raise ValidationError(errors={"hours": ValidationError(gettext(
                    "%(day)s: the office must open before it closes.", day=dict(WEEKDAYS)[day.weekday]))})
        for kind, policy in (self.policies or {}).items():
            if policy not in dict(POLICIES):
                raise ValidationError(errors={"policies": ValidationError(
                    gettext("Unknown deadline policy for %(kind)s.", kind=kind))})

    @classmethod
    def of(cls, community) -> "ServiceCalendar":
        """The community's calendar (an unsaved default one if the manager has not set it up)."""
        found = cls.objects(community=community).first() if community is not None else None
        return found or cls(community=community, hours=default_hours(), closed_days=[], policies={})

    def policy_for(self, kind_name: str, default: str) -> str:
        return (self.policies or {}).get(kind_name, default)

    # --- which days are working days ---
    def hours_of(self, day: date) -> DayHours | None:
        """The office hours of `day`, or None when the office is closed that day."""
        if day in set(self.closed_days or []):
            return None
        by_weekday = {h.weekday: h for h in (self.hours or default_hours())}
        official = official_day(day)
        if official == "makeup":
            open_days = [h for h in sorted(by_weekday.values(), key=lambda h: h.weekday) if h.open]
            regular = by_weekday.get(day.weekday())
            return regular if regular is not None and regular.open else (open_days[0] if open_days else None)
        if official == "holiday":
            return None
        hours = by_weekday.get(day.weekday())
        return hours if hours is not None and hours.open else None

    def periods_on(self, day: date, zone) -> list[tuple[datetime, datetime]]:
        """The open periods of a local day as naive-UTC (start, end) pairs."""
        hours = self.hours_of(day)
        if hours is None:
            return []
        return [(to_utc(datetime.combine(day, a), zone), to_utc(datetime.combine(day, b), zone))
                for a, b in hours.periods()]

    # --- arithmetic ---
    def deadline(self, start_utc: datetime, span: Span, policy: str) -> datetime:
        """When a rule giving `span` from `start_utc` falls due (naive UTC), under `policy`."""
        zone = zone_of(self.community)
        if policy != WORKING:
            if span.end_of_day:
                return end_of_local_day(local_date(start_utc, zone), zone)
            return add_local_days(start_utc, span.days, zone) + timedelta(hours=span.hours)
        if span.end_of_day:
            return self._end_of_working_day(start_utc, zone)
        moment = self.next_working_moment(start_utc, zone)
        if span.days:
            moment = self._add_working_days(moment, span.days, zone)
        return self._add_working_time(moment, timedelta(hours=span.hours), zone) if span.hours else moment

    def next_working_moment(self, at_utc: datetime, zone) -> datetime:
        """`at_utc` if the office is open then, else the next opening (naive UTC)."""
        day = local_date(at_utc, zone)
        for _ in range(MAX_CLOSED_RUN):
            for start, end in self.periods_on(day, zone):
                if at_utc < end:
                    return max(at_utc, start)
            day += timedelta(days=1)
        raise ValueError("no working day within %d days" % MAX_CLOSED_RUN)

    def _add_working_time(self, start_utc: datetime, amount: timedelta, zone) -> datetime:
        day, at, left = local_date(start_utc, zone), start_utc, amount
        for _ in range(MAX_CLOSED_RUN + int(amount.total_seconds() // 3600) + 1):
            for start, end in self.periods_on(day, zone):
                if end <= at:
                    continue
                begin = max(start, at)
                if begin + left <= end:
                    return begin + left
                left -= end - begin
                at = end
            day += timedelta(days=1)
        raise ValueError("working time could not be added")

    def _add_working_days(self, start_utc: datetime, days: int, zone) -> datetime:
        """`days` working days later at the same local time of day (clamped to that day's hours)."""
        local = to_local(start_utc, zone).replace(tzinfo=None)
        day, counted = local.date(), 0
        for _ in range(days * 7 + MAX_CLOSED_RUN):
            day += timedelta(days=1)
            if self.hours_of(day) is not None:
                counted += 1
                if counted == days:
                    periods = self.periods_on(day, zone)
                    wanted = to_utc(datetime.combine(day, local.time()), zone)
                    return min(max(wanted, periods[0][0]), periods[-1][1])
        raise ValueError("working days could not be added")

    def _end_of_working_day(self, start_utc: datetime, zone) -> datetime:
        moment = self.next_working_moment(start_utc, zone)
        return self.periods_on(local_date(moment, zone), zone)[-1][1]


def official_day(day: date) -> str:
    """"holiday" (a public holiday), "makeup" (a weekend made a working day), or "" (an ordinary day,
    or a year the chinese-calendar package does not know yet)."""
    try:
        if chinese_calendar.is_workday(day):
            return "makeup" if day.weekday() >= 5 else ""
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        return "holiday" if on_holiday and name else ""
    except NotImplementedError:
        log.warning("chinese-calendar has no data for %s; weekdays only", day.year)
        return ""

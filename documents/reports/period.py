"""A report's period: local dates of a community, checked once, turned into UTC bounds per community."""
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from mongoengine import Q

from documents.base import DomainError
from documents.deadlines import local_date_range, local_range_query, zone_of

#: the longest period one report reads (a year and a day: a year-on-year comparison still fits)
LONGEST_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date            # first local day
    end: date              # last local day, inclusive

    def __post_init__(self):
        if self.end < self.start:
            raise DomainError(_("The period ends (%(end)s) before it starts (%(start)s).",
                                end=self.end.isoformat(), start=self.start.isoformat()), field="end")
        if (self.end - self.start).days + 1 > LONGEST_PERIOD_DAYS:
            raise DomainError(_("A report covers at most %(days)d days; choose a shorter period.",
                                days=LONGEST_PERIOD_DAYS), field="end")

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        return cls(date(year, month, 1), date(year, month, monthrange(year, month)[1]))

    @classmethod
    def parse_month(cls, text: str) -> "Period":
        """'2026-11' → November 2026; anything else is refused in the user's language."""
        try:
            year, month = (int(part) for part in (text or "").strip().split("-"))
            return cls.month(year, month)
        except (ValueError, TypeError):
            raise DomainError(_("Give the month as YYYY-MM, for example 2026-11."), field="month") from None

    @classmethod
    def parse(cls, start: str, end: str) -> "Period":
        """Two ISO dates typed by a person; a missing or malformed one is refused."""
        first = read_day(start, "start", lambda: _("Give the first day as YYYY-MM-DD."))
        last = read_day(end, "end", lambda: _("Give the last day as YYYY-MM-DD."))
        return cls(first, last)

    @classmethod
    def day(cls, day: date) -> "Period":
        return cls(day, day)

    @classmethod
    def parse_day(cls, text: str) -> "Period":
        """'2026-11-23' → that one day (a daily report); anything else is refused."""
        return cls.day(read_day(text, "day", lambda: _("Give the day as YYYY-MM-DD, for example 2026-11-23.")))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before this one (a month: the month before)."""
        if self.start.day == 1 and self.end == Period.month(self.end.year, self.end.month).end \
                and (self.start.year, self.start.month) == (self.end.year, self.end.month):
            before = self.start - timedelta(days=1)
            return Period.month(before.year, before.month)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def months(self) -> list["Period"]:
        """The calendar months this period touches, each cut to the period."""
        out, first = [], self.start
        while first <= self.end:
            last = min(Period.month(first.year, first.month).end, self.end)
            out.append(Period(first, last))
            first = last + timedelta(days=1)
        return out

    def bounds(self, community) -> tuple[datetime, datetime]:
        """UTC [from, to) of the period in the community's local time."""
        return local_date_range(self.start, self.end, zone_of(community))

    def query(self, field: str, communities) -> Q:
        """`field` inside the period, each community in its own local time."""
        return local_range_query(field, communities, self.start, self.end)

    def __str__(self):
        if self.start == self.end:
            return self.start.isoformat()
        if self.start.day == 1 and self.end == Period.month(self.start.year, self.start.month).end:
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


DAY_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_day(text: str, field: str, shape_message) -> date:
    """A typed ISO day. Written right but not in the calendar (2026-02-30): said so, since "use
    YYYY-MM-DD" would not tell the person what is wrong; otherwise `shape_message()`."""
    text = (text or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        if DAY_SHAPE.match(text):
            raise DomainError(_("There is no %(day)s in the calendar: check the month and the day.", day=text),
                              field=field) from None
        raise DomainError(shape_message(), field=field) from None

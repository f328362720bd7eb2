"""Dates and date-times typed, pasted or picked by people.

Every date and date-time field of the portal is a text field with a calendar beside it
(app/static/datetime-fields.js): what a person types or pastes stays as they typed it, the calendar
writes only when they pick a day (or press its Apply button), and the server reads the usual ways
of writing a time — `2026-11-28 10:00`, `2026/11/28 10:00`, `2026-11-28T10:00`, full-width digits —
or says on the field how to write it. The values are wall-clock times of the record's community;
the forms turn them into UTC (CommunityFormMixin.store_local_times, LocalTimeStepForm).
"""
import re
from datetime import date, datetime

from flask_babel import gettext
from markupsafe import Markup
from wtforms import widgets
from wtforms.fields import DateField, DateTimeLocalField

DATE_EXAMPLE = "2026-11-28"
DATETIME_EXAMPLE = "2026-11-28 10:00"
DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
#: what a range filter's two days are written with (the first is what the calendar writes)
RANGE_SEPARATORS = (" to ", " 至 ", "至", " ~ ", "~", " - ", "到")

_WIDE = str.maketrans("０１２３４５６７８９：／－．　～", "0123456789:/-. ~")
_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_DATE_ONLY = re.compile(rf"^{_DATE}$")
_DATE_TIME = re.compile(rf"^{_DATE}(?:\s*T\s*|\s+|(?<=日))(\d{{1,2}})\s*[:时點点]\s*(\d{{1,2}})"
                        rf"(?:\s*:\s*(\d{{1,2}})(?:\.\d+)?)?\s*分?$")


def _clean(text) -> str:
    return str(text or "").translate(_WIDE).strip()


def parse_date(text) -> date | None:
    """`2026-11-28`, `2026/11/28`, `2026.11.28`, `2026年11月28日` -> the date; None if it is not one."""
    match = _DATE_ONLY.match(_clean(text))
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def parse_datetime(text) -> datetime | None:
    """`2026-11-28 10:00`, `2026/11/28 10:00:30`, `2026-11-28T10:00` -> the (naive) date-time."""
    match = _DATE_TIME.match(_clean(text))
    if not match:
        return None
    year, month, day, hour, minute, second = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None


def parse_date_range(text) -> tuple[date, date] | None:
    """`2026-11-01 to 2026-11-28` (or `至`, `~`, ` - `) -> both days, the first not after the second."""
    text = _clean(text)
    for separator in RANGE_SEPARATORS:
        if separator in text:
            first, _sep, second = text.partition(separator)
            start, end = parse_date(first), parse_date(second)
            if start is not None and end is not None and start <= end:
                return start, end
    return None


class PickerInput(widgets.TextInput):
    """A text input the calendar script takes over (`data-role`), with an example as placeholder."""

    def __init__(self, role: str, moment_format: str, example: str):
        super().__init__()
        self.role, self.moment_format, self.example = role, moment_format, example

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("data-role", self.role)
        kwargs.setdefault("data-date-format", self.moment_format)
        kwargs.setdefault("placeholder", self.example)
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("inputmode", "numeric")
        return super().__call__(field, **kwargs)


class TypedFieldMixin:
    """Reads what was typed with `parser`; shows it back as typed when the form comes back."""

    display_format = ""
    example = ""

    def parse(self, text):
        raise NotImplementedError

    def problem(self) -> str:
        raise NotImplementedError

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(str(value) for value in valuelist).strip()
        if not text:
            self.data = None
            return
        self.data = self.parse(text)
        if self.data is None:
            raise ValueError(self.problem())

    def _value(self):
        if self.raw_data:
            return " ".join(str(value) for value in self.raw_data)
        return self.data.strftime(self.display_format) if self.data else ""


class TypedDateTimeField(TypedFieldMixin, DateTimeLocalField):
    """A date-time typed as text: `2026-11-28 10:00` or `2026/11/28 10:00` (a calendar helps).

    It is a DateTimeLocalField for the code that asks (step forms turn those into UTC); `format`
    is accepted and ignored: every usual way of writing a time is read."""

    widget = PickerInput("datetimepicker", "YYYY-MM-DD HH:mm", DATETIME_EXAMPLE)
    display_format = DATETIME_FORMAT

    def __init__(self, label=None, validators=None, format=None, **kwargs):  # noqa: A002 - WTForms' name
        super().__init__(label, validators, format=DATETIME_FORMAT, **kwargs)

    def parse(self, text):
        return parse_datetime(text)

    def problem(self) -> str:
        return gettext("Enter a date and time such as %(example)s.", example=DATETIME_EXAMPLE)


class TypedDateField(TypedFieldMixin, DateField):
    """A date typed as text: `2026-11-28` or `2026/11/28` (a calendar helps)."""

    widget = PickerInput("datepicker", "YYYY-MM-DD", DATE_EXAMPLE)
    display_format = DATE_FORMAT

    def __init__(self, label=None, validators=None, format=None, **kwargs):  # noqa: A002
        super().__init__(label, validators, format=DATE_FORMAT, **kwargs)

    def parse(self, text):
        return parse_date(text)

    def problem(self) -> str:
        return gettext("Enter a date such as %(example)s.", example=DATE_EXAMPLE)



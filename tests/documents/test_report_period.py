"""A report's period: bad input refused in the user's language, months, bounds in local time."""
from datetime import date, datetime

import pytest

from documents.base import DomainError
from documents.reports.period import LONGEST_PERIOD_DAYS, Period


def test_a_period_that_ends_before_it_starts_is_refused(app_ctx):
    with pytest.raises(DomainError) as err:
        Period(date(2026, 11, 30), date(2026, 11, 1))
    assert err.value.field == "end" and "早于" in str(err.value)        # zh is the default language
    with pytest.raises(DomainError):
        Period(date(2025, 1, 1), date(2025, 1, 1).replace(year=2026, day=3))
    assert Period(date(2025, 1, 1), date(2025, 12, 31)).days == 365 <= LONGEST_PERIOD_DAYS


@pytest.mark.parametrize("text", ["2026-13", "2026/11", "", "abc", "2026-11-01"])
def test_a_month_is_typed_as_yyyy_mm(app_ctx, text):
    with pytest.raises(DomainError) as err:
        Period.parse_month(text)
    assert err.value.field == "month"


def test_the_message_speaks_the_users_language(app):
    from flask_babel import force_locale
    with app.test_request_context("/"), force_locale("en"):
        with pytest.raises(DomainError) as err:
            Period.parse("2026-11-30", "2026-11-01")
        with pytest.raises(DomainError) as typed:
            Period.parse("2026-11-31", "2026-12-01")
    assert str(err.value) == "The period ends (2026-11-01) before it starts (2026-11-30)."
    assert typed.value.field == "start" and str(typed.value).startswith("There is no 2026-11-31 in the calendar")


def test_months_previous_and_local_bounds(app_ctx, world):
    november = Period.parse_month("2026-11")
    assert (november.start, november.end, str(november)) == (date(2026, 11, 1), date(2026, 11, 30), "2026-11")
    assert november.previous() == Period.month(2026, 10)
    assert [str(m) for m in Period(date(2026, 10, 15), date(2026, 12, 2)).months()] == \
        ["2026-10-15 – 2026-10-31", "2026-11", "2026-12-01 – 2026-12-02"]
    assert Period(date(2026, 11, 10), date(2026, 11, 12)).previous() == Period(date(2026, 11, 7), date(2026, 11, 9))
    low, high = november.bounds(world["A"])            # Asia/Shanghai: local midnight is 16:00 UTC the day before
    assert low == datetime(2026, 10, 31, 16, 0) and high == datetime(2026, 11, 30, 16, 0)


@pytest.mark.parametrize("text", ["2026-02-30", "", "2026-11", "23/11/2026"])
def test_a_day_is_typed_as_yyyy_mm_dd(app_ctx, text):
    with pytest.raises(DomainError) as err:
        Period.parse_day(text)
    assert err.value.field == "day"
    assert Period.parse_day(" 2026-11-23 ") == Period(date(2026, 11, 23), date(2026, 11, 23))


def test_a_day_written_right_but_not_in_the_calendar_is_named(app_ctx):
    with pytest.raises(DomainError) as err:
        Period.parse_day("2026-02-30")
    assert "2026-02-30" in err.value.message and "日历" in err.value.message and err.value.field == "day"
    with pytest.raises(DomainError) as err:
        Period.parse("2026-11-01", "2026-11-31")
    assert "2026-11-31" in err.value.message and err.value.field == "end"
    with pytest.raises(DomainError) as err:
        Period.parse_day("30.02.2026")
    assert "YYYY-MM-DD" in err.value.message

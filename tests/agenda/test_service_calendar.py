"""Working-time deadlines on a community's service calendar: hours, lunch, China's holidays and
make-up working days (the 2026 National Day holiday), the manager's extra closed days."""
from datetime import date

import pytest

from app import clock
from documents.service_calendar import CALENDAR, WORKING, ServiceCalendar, Span, official_day
from tests.services_support import freeze_shanghai, make_complaint, request_context, shanghai  # noqa: F401

FOUR_HOURS = Span(hours=4)


@pytest.fixture
def office(world):
    """Community A's calendar: 08:30-17:30 Monday to Friday, lunch 12:00-13:30 (the defaults)."""
    return ServiceCalendar.of(world["A"])


def test_the_package_knows_national_day_2026_and_its_make_up_working_days():
    assert official_day(date(2026, 10, 1)) == official_day(date(2026, 10, 7)) == "holiday"
    assert official_day(date(2026, 10, 10)) == "makeup"          # a Saturday worked
    assert official_day(date(2026, 9, 20)) == "makeup"           # a Sunday worked
    assert official_day(date(2026, 10, 9)) == ""                 # an ordinary Friday
    assert official_day(date(2027, 10, 1)) == ""                 # a year it does not know: weekdays only


def test_a_four_hour_clock_from_1600_ends_at_1100_the_next_working_day(office):
    # Monday 23 Nov 2026, 16:00: 1.5 h left today, 2.5 h from 08:30 tomorrow
    assert office.deadline(shanghai(2026, 11, 23, 16, 0), FOUR_HOURS, WORKING) == shanghai(2026, 11, 24, 11, 0)
    # on calendar time the same clock ends at 20:00
    assert office.deadline(shanghai(2026, 11, 23, 16, 0), FOUR_HOURS, CALENDAR) == shanghai(2026, 11, 23, 20, 0)


def test_the_lunch_break_does_not_count(office):
    # 11:00 + 4 working hours: 1 h before lunch, 3 h after 13:30 -> 16:30
    assert office.deadline(shanghai(2026, 11, 23, 11, 0), FOUR_HOURS, WORKING) == shanghai(2026, 11, 23, 16, 30)
    # started during lunch: counts from 13:30
    assert office.deadline(shanghai(2026, 11, 23, 12, 30), Span(hours=1), WORKING) == shanghai(2026, 11, 23, 14, 30)


def test_a_clock_started_before_national_day_resumes_after_the_holiday(office):
    # Wednesday 30 Sep 16:00: 1.5 h, then 1-7 October is closed, Thursday 8 Oct from 08:30
    assert office.deadline(shanghai(2026, 9, 30, 16, 0), FOUR_HOURS, WORKING) == shanghai(2026, 10, 8, 11, 0)


def test_the_make_up_saturday_is_worked_and_the_sunday_after_it_is_not(office):
    assert office.deadline(shanghai(2026, 10, 9, 16, 0), FOUR_HOURS, WORKING) == shanghai(2026, 10, 10, 11, 0)
    assert office.deadline(shanghai(2026, 10, 10, 16, 0), FOUR_HOURS, WORKING) == shanghai(2026, 10, 12, 11, 0)
    # the make-up Sunday before the holiday is worked too
    assert office.deadline(shanghai(2026, 9, 19, 10, 0), FOUR_HOURS, WORKING) == shanghai(2026, 9, 20, 14, 0)


def test_working_days_skip_the_holiday(office):
    # 3 working days from Tue 29 Sep 10:00: 30 Sep, 8 Oct, 9 Oct -> 9 Oct 10:00
    assert office.deadline(shanghai(2026, 9, 29, 10, 0), Span(days=3), WORKING) == shanghai(2026, 10, 9, 10, 0)


def test_same_day_after_hours_means_the_end_of_the_next_working_day(office):
    assert office.deadline(shanghai(2026, 9, 30, 10, 0), Span(end_of_day=True), WORKING) \
        == shanghai(2026, 9, 30, 17, 30)
    assert office.deadline(shanghai(2026, 9, 30, 18, 0), Span(end_of_day=True), WORKING) \
        == shanghai(2026, 10, 8, 17, 30)


def test_the_manager_closes_an_extra_day(world, office):
    office.closed_days = [date(2026, 10, 8)]
    office.save()
    assert ServiceCalendar.of(world["A"]).deadline(shanghai(2026, 9, 30, 16, 0), FOUR_HOURS, WORKING) \
        == shanghai(2026, 10, 9, 11, 0)


def test_a_complaint_clock_follows_the_policy_the_manager_chose(world, office):
    freeze_shanghai(2026, 9, 30, 16, 0)
    assert make_complaint(world, complaint_class=1).handle_due_at == shanghai(2026, 9, 30, 20, 0)
    office.policies = {"complaint_handling": WORKING}
    office.save()
    assert make_complaint(world, complaint_class=1).handle_due_at == shanghai(2026, 10, 8, 11, 0)
    # other kinds keep their own default (a suggestion's reply runs on calendar time)
    suggestion = make_complaint(world, kind="suggestion", complaint_class=None)
    assert suggestion.handle_due_at == shanghai(2026, 10, 1, 16, 0)
    clock.freeze(None)


def test_a_calendar_refuses_hours_that_close_before_they_open(world, office):
    from mongoengine import ValidationError
    office.hours[0].opens, office.hours[0].closes = "18:00", "09:00"
    with pytest.raises(ValidationError):
        office.save()

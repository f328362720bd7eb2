"""A record's rules report every problem at once (a form shows them together), not only the first:
clean() collects its messages by field (RuleErrors), and the checks of a document method that makes
a record (a booking, a sign-up) can be asked for all their refusals before it writes."""
from datetime import date, datetime

import pytest
from mongoengine import ValidationError

from documents.base import DomainError, refusals
from documents.complaints import Complaint
from documents.residents import ExtraField, Household
from tests.events_support import ew, make_event  # noqa: F401 - fixture
from tests.support import english_request


def field_errors(err) -> dict:
    errors = err.value.errors
    return errors["__all__"].errors if "__all__" in errors else errors


def test_an_archive_names_every_broken_rule(app, world):
    household = Household(community=world["A"], room=world["rooms"]["B"]["1-1-102"], name="王芳",
                          move_in_date=date(2020, 5, 1), move_out_date=date(2019, 1, 1),
                          extra_fields=[ExtraField(key="车位", value="B1"), ExtraField(key="车位", value="B2")])
    with english_request(app), pytest.raises(ValidationError) as err:
        household.validate()
    errors = field_errors(err)
    assert set(errors) == {"room", "move_out_date", "extra_fields"}
    assert errors["room"].message == "The room belongs to another community."


def test_a_complaint_names_every_broken_rule(app, world):
    complaint = Complaint(community=world["A"], kind="complaint", channel="phone", content="噪音",
                          received_at=datetime(2030, 1, 1, 2, 0), case_analysis="培训用")
    with english_request(app), pytest.raises(ValidationError) as err:
        complaint.validate()
    assert set(field_errors(err)) == {"received_at", "complaint_class", "case_analysis"}


def test_refusals_runs_every_check():
    def refuse(message, field=None):
        def check():
            raise DomainError(message, field=field)
        return check
    found = refusals([refuse("a", "x"), lambda: None, refuse("b")])
    assert [(e.message, e.field) for e in found] == [("a", "x"), ("b", None)]
    with pytest.raises(ZeroDivisionError):        # anything but a refusal is a bug: not swallowed
        refusals([lambda: 1 / 0])


def test_a_venue_names_every_reason_to_refuse_a_booking(ew):
    from tests.events_support import local
    start, end = local(ew.community, 2026, 5, 20, 9, 0), local(ew.community, 2026, 5, 20, 11, 0)
    ew.venue.book(start, end, ew.clerk, purpose="书法班")
    ew.venue.active = False
    found = ew.venue.booking_problems(local(ew.community, 2026, 5, 20, 10, 0), end)
    assert [e.field for e in found] == ["venue", "start"]
    assert "书法班" in found[1].message
    assert ew.venue.booking_problems(None, None)[0].field == "venue"   # times not known yet: no clash check


def test_an_event_names_every_reason_to_refuse_a_sign_up(ew):
    event = make_event(ew, capacity=3)
    moved = ew.households[1]
    moved.status = "moved_out"
    found = event.sign_up_problems(moved, 9, "123")
    assert sorted(e.field for e in found) == ["contact_phone", "household", "people"]
    assert event.sign_up_problems(None, None, "") == []          # nothing known yet: only the event's own checks

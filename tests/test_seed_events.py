"""Demo community events: dates relative to the day the seed runs, nothing that happened lies ahead."""
from datetime import datetime, timedelta

import pytest

from app import clock
from documents.bilingual import to_local
from documents.events import AnnualPlan, Event, EventFeedback, SignUp, VenueBooking
from documents.notices import Notice

#: what was done (or decided) by the time the seed runs
DONE_FIELDS = ("submitted_at", "decided_at", "published_at", "held_at", "recorded_at", "cancelled_at")
PAST_STATES = ("held", "recorded", "cancelled")
AHEAD_STATES = ("draft", "submitted", "approved", "rejected")


def _check_dates(now):
    community = Event.objects.first().community
    today = to_local(now, community).date()
    for event in Event.objects:
        for name in DONE_FIELDS:
            value = getattr(event, name)
            assert value is None or value <= now, (event.title_zh, name, value)
        if event.state in PAST_STATES:
            assert event.end <= now, event.title_zh
        if event.state in AHEAD_STATES:
            assert event.start > now, event.title_zh
        if event.state == "published":
            assert to_local(event.start, event.community).date() >= today, event.title_zh
        assert event.plan.year == to_local(event.start, event.community).year, event.title_zh
    for signup in SignUp.objects:
        for name in ("created_at", "confirmed_at", "attended_at"):
            value = getattr(signup, name)
            assert value is None or value <= now, (str(signup.event), name, value)
        assert signup.created_at <= signup.event.start
    for booking in VenueBooking.objects:
        assert booking.created_at <= now
        assert not (booking.event and booking.purpose), booking.purpose   # an event's booking shows its title
    assert all(f.recorded_at <= now for f in EventFeedback.objects)
    assert all(p.decided_at is None or p.decided_at <= now for p in AnnualPlan.objects)
    for notice in Notice.objects(state="published"):
        assert notice.publish_date <= today and notice.published_at <= now, notice.title_zh


@pytest.mark.parametrize("now", [
    datetime(2026, 11, 27, 16, 4),      # the review: 00:04 on 28 November in Shanghai
    datetime(2027, 3, 15, 2, 0),
    datetime(2026, 6, 1, 2, 0),
])
def test_demo_dates_are_relative_to_the_day_the_seed_runs(app_ctx, monkeypatch, now):
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-xyz")
    clock.freeze(now)
    run(households_per_community=(30, 15))
    _check_dates(now)
    community = Event.objects.first().community
    today = to_local(now, community).date()
    # the demo always has an event today to tick attendance at, and one ahead taking sign-ups
    published = list(Event.objects(community=community, state="published"))
    assert any(to_local(e.start, community).date() == today for e in published)
    ahead = [e for e in published if e.start > now + timedelta(days=7)]
    assert ahead and SignUp.objects(event__in=ahead).count() > 0
    # a booking that is over, and others still to come
    bookings = VenueBooking.objects(community=community, event=None)
    assert any(b.end <= now for b in bookings) and any(b.start > now for b in bookings)
    # a second run some days later creates nothing new
    counts = [model.objects.count() for model in (Event, SignUp, VenueBooking, Notice, AnnualPlan)]
    clock.freeze(now + timedelta(days=3))
    run(households_per_community=(30, 15))
    assert [model.objects.count() for model in (Event, SignUp, VenueBooking, Notice, AnnualPlan)] == counts

"""Fixtures and helpers shared by the events and notices tests (documents and views)."""
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from app import clock
from tests.support import english_request, separate_requests, wall_clock_utc

#: 2026-05-01 10:00 in Shanghai (stored as naive UTC)
NOW = datetime(2026, 5, 1, 2, 0)


def local(community, *parts):
    """A wall-clock time in the community's zone -> stored naive UTC."""
    return wall_clock_utc(*parts, zone=community.timezone or "Asia/Shanghai")


@pytest.fixture
def ew(app, world):
    """The `world` plus four more households in A, two venues and a 2026 plan; clock frozen."""
    from documents.events import AnnualPlan, Venue
    from documents.residents import Household, Person

    clock.freeze(NOW)
    community = world["A"]
    rooms = world["rooms"]["A"]
    households = [world["hh_a"], world["hh_a2"]]
    for index, code in enumerate(["1-1-102", "1-1-202", "1-1-301", "1-1-302"]):
        households.append(Household(community=community, room=rooms[code], name=f"住户{index}", owners=[
            Person(name=f"住户{index}", relation="owner", phone=f"1390000000{index}")]).save_versioned(None))
    venue = Venue(community=community, name_zh="多功能活动室", name_en="Activity room", capacity=80).save()
    square = Venue(community=community, name_zh="中心广场", name_en="", capacity=500).save()
    venue_b = Venue(community=world["B"], name_zh="乙区会所", name_en="Clubhouse B", capacity=40).save()
    plan = AnnualPlan(community=community, year=2026, title_zh="2026年社区文化活动计划",
                      title_en="Community events plan 2026", budget="5000.00").save()
    staff = world["staff"]
    with separate_requests(app), english_request(app):  # rule messages in English
        yield SimpleNamespace(world=world, community=community, households=households, venue=venue,
                              square=square, venue_b=venue_b, plan=plan, staff=staff, **staff)


def make_event(ew, state="published", capacity=3, start=(2026, 5, 10, 19, 0), hours=2, **fields):
    """An event stored directly in `state` (the state machine itself is tested separately)."""
    from documents.events import Event

    start_utc = local(ew.community, *start)
    values = dict(community=ew.community, title_zh="中秋游园会", title_en="Mid-Autumn fair",
                  event_type="festival", start=start_utc,
                  end=start_utc + timedelta(hours=hours), capacity=capacity,
                  budget="800.00", organiser="客服中心", state=state)
    values.update(fields)
    event = Event(**values)
    event.save_versioned(None)
    return event

"""Fixtures and helpers shared by the events and notices tests (documents and views)."""
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from app import clock
from documents.bilingual import to_utc

#: 2026-05-01 10:00 in Shanghai (stored as naive UTC)
NOW = datetime(2026, 5, 1, 2, 0)


def local(community, *parts):
    """A wall-clock time in the community's zone -> stored naive UTC."""
    return to_utc(datetime(*parts), community)


def _fresh_request_globals(sender, **extra):
    """Each test-client request starts with an empty `g`, as it does in production.

    The `app` fixture keeps one app context pushed for the whole test and Flask reuses it for
    every test-client request, so `g` would be shared between requests: Flask-Login's cached user
    (`g._login_user`) and flask-babel's cached locale would leak from one client to the next.
    """
    from flask import g
    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture
def ew(app, world):
    """The `world` plus four more households in A, two venues and a 2026 plan; clock frozen."""
    from flask import request_started

    from documents.events import AnnualPlan, Venue
    from documents.residents import Household, Person

    request_started.connect(_fresh_request_globals, app)
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
    with app.test_request_context("/", headers={"Accept-Language": "en"}):  # rule messages in English
        yield SimpleNamespace(world=world, community=community, households=households, venue=venue,
                              square=square, venue_b=venue_b, plan=plan, staff=staff, **staff)
    request_started.disconnect(_fresh_request_globals, app)


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


@contextmanager
def atomic_store_operations():
    """Make every single write of mongomock atomic, as each single-document write is on MongoDB.

    mongomock's find_one_and_update finds the document, then updates it by _id in a second step,
    so without this a thread switch in between could apply a write whose condition no longer
    holds; real MongoDB never does that. The lock is per operation, so application code of
    concurrent requests still interleaves freely between operations.
    """
    import mongomock.collection as mc

    lock = threading.RLock()
    originals = {name: getattr(mc.Collection, name) for name in ("_insert", "_update", "_find_and_modify")}

    def wrap(func):
        def locked(self, *args, **kwargs):
            with lock:
                return func(self, *args, **kwargs)
        return locked

    for name, func in originals.items():
        setattr(mc.Collection, name, wrap(func))
    try:
        yield
    finally:
        for name, func in originals.items():
            setattr(mc.Collection, name, func)

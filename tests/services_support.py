"""Helpers shared by the service-request tests (repairs, complaints, visits, handover)."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app import clock
from documents.deadlines import to_local
from tests.support import english_request, separate_requests, wall_clock_utc


def shanghai(*args) -> datetime:
    """A Shanghai wall-clock time as the naive UTC value the store keeps."""
    return wall_clock_utc(*args)


def freeze_shanghai(*args) -> datetime:
    at = shanghai(*args)
    clock.freeze(at)
    return at


def local_now(fmt="%Y-%m-%dT%H:%M") -> str:
    """"Now" as a person types it into a form: the Shanghai wall-clock time (the test communities')."""
    return to_local(clock.now(), ZoneInfo("Asia/Shanghai")).strftime(fmt)


def make_repair(world, actor="clerk", room="1-1-101", **fields):
    from documents.repairs import Repair
    room = world["rooms"]["A"][room] if isinstance(room, str) else room
    data = dict(community=world["A"], location="room", room=room, source="phone",
                category="plumbing", description="厨房水龙头漏水", urgency="ordinary",
                appointment_at=clock.now(), registered_by=world["staff"][actor])
    data.update(fields)
    return Repair(**data).save_versioned(None)


def make_complaint(world, complaint_class=1, room="1-1-101", **fields):
    from documents.complaints import Complaint
    room = world["rooms"]["A"][room] if isinstance(room, str) else room
    data = dict(community=world["A"], room=room, kind="complaint", channel="phone",
                complaint_class=complaint_class, content="楼道灯坏了三天没人修",
                registered_by=world["staff"]["clerk"])
    data.update(fields)
    return Complaint(**data).save_versioned(None)


def completed_repair(world, **fields):
    """A repair walked through dispatch, arrival and completion by the clerk."""
    clerk = world["staff"]["clerk"]
    repair = make_repair(world, **fields)
    repair.dispatch(clerk, "王师傅")
    repair.arrive(clerk)
    repair.complete(clerk, "更换水龙头阀芯", [{"name": "阀芯", "quantity": "1", "unit_price": "35.50"}],
                    labour="20")
    return repair


@pytest.fixture(autouse=True)
def request_context(app):
    """Rules translate their messages, which needs a request (the locale comes from it)."""
    with english_request(app):
        yield


@pytest.fixture(autouse=True)
def separate_logins(app):
    """Clients of different roles and languages stay apart although a context is held open."""
    with separate_requests(app):
        yield

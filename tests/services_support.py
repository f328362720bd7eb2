"""Helpers shared by the service-request tests (repairs, complaints, visits, handover)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient

from app import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(*args) -> datetime:
    """A Shanghai wall-clock time as the naive UTC value the store keeps."""
    return datetime(*args, tzinfo=SHANGHAI).astimezone(timezone.utc).replace(tzinfo=None)


def freeze_shanghai(*args) -> datetime:
    at = shanghai(*args)
    clock.freeze(at)
    return at


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
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


def as_request(app):
    """For view tests: run rules (which translate messages) inside a short request context."""
    return app.test_request_context("/", headers={"Accept-Language": "en"})


class _FreshUserClient(FlaskClient):
    """Test client that makes Flask-Login load the user from this client's session on every request.

    The `app` fixture keeps one app context open for the whole test; every request then shares its
    `g`, where Flask-Login caches the user and Flask-Babel the locale of the *first* request, so a
    second client would act (and read) as the first one. Dropping both caches before each request
    keeps clients of different roles and languages apart.
    """

    def open(self, *args, **kwargs):
        if has_app_context():   # only when a test holds one open; otherwise there is nothing to leak
            g.pop("_login_user", None)
            g.pop("_flask_babel", None)
        return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def separate_logins(app):
    app.test_client_class = _FreshUserClient
    yield

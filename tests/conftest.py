"""Fixtures: an app on mongomock, a small two-community world, logged-in clients per role."""
import re
from datetime import date

import pytest

from app import clock, create_app
from app.config import TestConfig

PASSWORD = "test-password-123"
ROLES = ["admin", "manager", "supervisor", "clerk", "housekeeper", "cashier", "culture"]


def pytest_sessionstart(session):
    """Compile the catalogs if needed, so a bare `pytest` sees the same texts as `make test`."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).resolve().parent.parent.glob("translations/*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as src, open(mo, "wb") as dst:
                write_mo(dst, read_po(src))


@pytest.fixture
def app():
    """A fresh app on an empty in-memory store.

    No app context is held open during the test: Flask would reuse it for every request of the
    test client, and `g` (the logged-in user, the locale) would leak from one request to the next.
    Use the `app_ctx` fixture where code needs a context outside a request.
    """
    application = create_app(TestConfig())
    yield application
    clock.freeze(None)


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def world(app):
    """Community A (code A) and B, each: building 1, unit 1, floors 1-3 x 2 rooms, two households.

    Staff: one account per role in A (username = role), `clerk_b` and `manager_b` in B.
    """
    from documents.places import Building, Community
    from documents.residents import Household, Person
    from documents.staff import Staff

    data = {}
    for code, name in (("A", "甲小区"), ("B", "乙小区")):
        community = Community(code=code, name_zh=name, name_en=f"Community {code}").save()
        building = Building(community=community, number="1", floors=3).save()
        building.generate_units_and_rooms(1, 3, 2)
        data[code] = community
    rooms = {code: {r.code: r for r in __import__("documents.places", fromlist=["Room"]).Room.objects(
        community=data[code])} for code in ("A", "B")}
    data["rooms"] = rooms
    data["hh_a"] = Household(community=data["A"], room=rooms["A"]["1-1-101"], name="张伟",
                             owners=[Person(name="张伟", relation="owner", phone="13800138000",
                                            id_type="id_card", id_number="11010519491231002X")],
                             move_in_date=date(2020, 5, 1)).save_versioned(None)
    data["hh_a2"] = Household(community=data["A"], room=rooms["A"]["1-1-201"], name="Michael Brown",
                              tenants=[], owners=[Person(name="Michael Brown", relation="owner",
                                                         phone="13912345678", id_type="passport",
                                                         id_number="E12345678")]).save_versioned(None)
    data["hh_b"] = Household(community=data["B"], room=rooms["B"]["1-1-101"], name="李娜",
                             owners=[Person(name="李娜", relation="owner", phone="13700001111")]
                             ).save_versioned(None)
    staff = {}
    for role in ROLES:
        account = Staff(username=role, display_name=f"{role} A", roles=[role], communities=[data["A"]],
                        buildings=["1"], language="en")
        account.set_password(PASSWORD)
        staff[role] = account.save()
    for role in ("clerk", "manager"):
        account = Staff(username=f"{role}_b", display_name=f"{role} B", roles=[role],
                        communities=[data["B"]], language="en")
        account.set_password(PASSWORD)
        staff[f"{role}_b"] = account.save()
    data["staff"] = staff
    return data


def login(client, username, password=PASSWORD):
    return client.post("/auth/login", data={"username": username, "password": password})


@pytest.fixture
def client_as(app, world):
    """client_as("clerk") -> a test client logged in as that account."""
    def make(username):
        client = app.test_client()
        response = login(client, username)
        assert response.status_code == 302, response.data[:500]
        return client
    return make


def csrf_token_of(html: bytes) -> str:
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(rb'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1).decode()

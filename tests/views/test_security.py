"""Login on every admin URL, the role matrix (also by direct POST), CSRF, sessions, login slow-down."""
import re
from urllib.parse import parse_qs, urlparse

import pytest

from app.config import TestConfig
from app.permissions import PERMISSIONS, permissions_of
from documents.residents import Household
from documents.staff import LoginThrottle, Staff
from tests.conftest import PASSWORD, ROLES, csrf_token_of, login

# endpoint of each model view -> its permission area
MODEL_VIEWS = {"households": "residents", "rooms": "places", "buildings": "places", "units": "places",
               "communities": "communities", "staff": "staff", "audit": "audit"}


def admin_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/admin")
            and not r.endpoint.endswith(".static") and r.endpoint != "admin.static"]


def test_every_admin_url_requires_login(app, world):
    client = app.test_client()
    rules = admin_rules(app)
    assert len(rules) > 20
    for rule in rules:
        url = re.sub(r"<[^>]+>", "x", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 401, 403), (rule.rule, method, response.status_code)
            if response.status_code == 302:
                assert "/auth/login" in response.headers["Location"], rule.rule
    # the redirect keeps the page asked for
    response = client.get("/admin/households/?search=1")
    location = urlparse(response.headers["Location"])
    assert parse_qs(location.query)["next"] == ["/admin/households/?search=1"]


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_list_and_create_pages(client_as, role):
    client = client_as(role)
    for endpoint, area in MODEL_VIEWS.items():
        granted = permissions_of([role], area)
        listing = client.get(f"/admin/{endpoint}/")
        assert listing.status_code == (200 if "list" in granted else 403), (role, endpoint)
        create = client.get(f"/admin/{endpoint}/new/")
        assert create.status_code == (200 if "create" in granted else 403), (role, endpoint)
    lookup = client.get("/admin/lookup/")
    assert lookup.status_code == (200 if "list" in permissions_of([role], "lookup") else 403), role


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_direct_posts(client_as, world, role):
    """What the map forbids is refused server side, whatever the buttons show."""
    client = client_as(role)
    granted = permissions_of([role], "residents")
    hh = world["hh_a"]
    room = world["rooms"]["A"]["1-1-102"]
    client.post("/admin/households/new/", data={"room": str(room.pk), "name": f"by {role}",
                                                "status": "current"})
    assert Household.objects(name=f"by {role}").count() == (1 if "create" in granted else 0), role
    client.post(f"/admin/households/edit/?id={hh.pk}",
                data={"room": str(hh.room.pk), "name": hh.name, "status": "current",
                      "record_version": "1", "notes": f"edited by {role}"})
    hh.reload()
    assert (hh.notes == f"edited by {role}") == ("edit" in granted), role
    response = client.post("/admin/households/action/", data={"action": "move_out", "rowid": str(hh.pk)})
    hh.reload()
    assert (hh.status == "moved_out") == ("action:move_out" in granted), role
    if "action:move_out" not in granted:
        assert response.status_code in (302, 403)
    response = client.post("/admin/households/delete/", data={"id": str(world["hh_a2"].pk)})
    exists = Household.objects(pk=world["hh_a2"].pk).count() == 1
    assert exists == ("delete" not in granted), role
    # staff accounts: only administrators
    client.post("/admin/staff/new/", data={"username": f"x{role}", "display_name": "x", "roles": "admin",
                                           "new_password": "another-pass-1", "language": "en"})
    assert (Staff.objects(username=f"x{role}").count() == 1) == (role == "admin"), role


def test_map_has_one_entry_per_area_and_known_roles():
    from documents.staff import ROLES as ALL_ROLES
    known = {role for role, _label in ALL_ROLES}
    for area, role_map in PERMISSIONS.items():
        assert set(role_map) <= known, area


def test_forbidden_page_is_in_the_users_language(client_as, world):
    Staff.objects(username="culture").update_one(set__language="zh_Hans_CN")
    page = client_as("culture").get("/admin/staff/")
    assert page.status_code == 403
    assert "en" not in page.headers.get("Content-Language", "")
    Staff.objects(username="cashier").update_one(set__language="en")
    page = client_as("cashier").get("/admin/staff/")
    assert page.status_code == 403 and b"Not allowed" in page.data


def test_logout_invalidates_copies_of_the_session_cookie(app, world):
    client = app.test_client()
    login(client, "clerk")
    copied = client.get_cookie("session").value
    assert client.get("/admin/households/").status_code == 200
    client.post("/auth/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/admin/households/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(app, world):
    first, second = app.test_client(), app.test_client()
    login(first, "clerk")
    login(second, "clerk")
    response = first.post("/auth/password", data={"current_password": PASSWORD,
                                                  "new_password": "a-new-password-9",
                                                  "confirm": "a-new-password-9"})
    assert response.status_code == 302
    assert first.get("/admin/households/").status_code == 200
    assert second.get("/admin/households/").status_code == 302
    fresh = app.test_client()
    assert login(fresh, "clerk").status_code == 401
    assert login(fresh, "clerk", "a-new-password-9").status_code == 302


def test_wrong_current_password_is_refused(client_as):
    client = client_as("clerk")
    response = client.post("/auth/password", data={"current_password": "nope-nope-nope",
                                                   "new_password": "a-new-password-9",
                                                   "confirm": "a-new-password-9"})
    assert b"The current password is wrong." in response.data


def english_client(app, address="127.0.0.1"):
    client = app.test_client()
    client.environ_base.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)
    return client


def test_failed_logins_slow_down_the_account_at_that_address_only(app, world):
    client = english_client(app)
    for _ in range(5):
        assert login(client, "clerk", "wrong-password").status_code == 401
    response = login(client, "clerk")  # right password, but the account must wait here now
    assert response.status_code == 429 and b"Please wait" in response.data
    # a colleague behind the same address, and the account from elsewhere, are not locked out
    assert login(english_client(app), "manager").status_code == 302
    assert login(english_client(app, "10.9.9.9"), "clerk").status_code == 302


def test_failed_logins_slow_down_per_address_after_a_higher_ceiling(app, world):
    ceiling = app.config["LOGIN_ADDRESS_FAILURES_BEFORE_DELAY"]
    assert ceiling > app.config["LOGIN_FAILURES_BEFORE_DELAY"]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    for number in range(ceiling - 1):
        login(client, f"a{number}", "guess-guess")
    assert login(client, "manager").status_code == 302      # typos of many people: still fine
    client.post("/auth/logout")
    login(client, "zz", "guess-guess")
    assert login(client, "supervisor").status_code == 429    # a sweep of names: the address waits
    assert LoginThrottle.objects(key="ip:10.1.1.1").first().failures == ceiling
    assert login(english_client(app, "10.2.2.2"), "supervisor").status_code == 302


def test_unknown_user_and_wrong_password_look_the_same(app, world):
    a = login(english_client(app), "nobody", "whatever-123")
    b = login(english_client(app), "clerk", "whatever-123")
    assert a.status_code == b.status_code == 401
    assert b"Wrong username or password" in a.data and b"Wrong username or password" in b.data


def test_open_redirect_after_login_is_refused(app, world):
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "clerk", "password": PASSWORD,
                                                "next": "//evil.example/x"})
    assert response.headers["Location"].endswith("/admin/")


class CsrfConfig(TestConfig):
    WTF_CSRF_ENABLED = True


@pytest.fixture
def csrf_app():
    from app import create_app
    return create_app(CsrfConfig())


def test_csrf_required_on_login_logout_edit_and_actions(csrf_app):
    from tests.conftest import world as _world  # noqa: F401 - fixture body reused below
    client = csrf_app.test_client()
    assert client.post("/auth/login", data={"username": "x", "password": "y"}).status_code == 400
    # build a minimal account and archive
    from documents.places import Building, Community
    from documents.residents import Household as HH
    c = Community(code="C", name_zh="丙").save()
    Building(community=c, number="1", floors=1).save().generate_units_and_rooms(1, 1, 1)
    from documents.places import Room
    room = Room.objects.first()
    hh = HH(community=c, room=room, name="王芳").save_versioned(None)
    staff = Staff(username="clerk", display_name="c", roles=["clerk"], communities=[c])
    staff.set_password(PASSWORD)
    staff.save()
    token = csrf_token_of(client.get("/auth/login").data)
    assert client.post("/auth/login", data={"username": "clerk", "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
    edit = {"room": str(room.pk), "name": hh.name, "status": "current", "record_version": "1",
            "notes": "no token"}
    assert client.post(f"/admin/households/edit/?id={hh.pk}", data=edit).status_code == 400
    assert client.post("/admin/households/action/", data={"action": "move_out",
                                                          "rowid": str(hh.pk)}).status_code == 400
    assert client.post("/auth/logout").status_code == 400
    hh.reload()
    assert hh.notes is None and hh.status == "current"
    page = client.get(f"/admin/households/edit/?id={hh.pk}").data
    edit["csrf_token"] = csrf_token_of(page)
    assert client.post(f"/admin/households/edit/?id={hh.pk}", data=edit).status_code == 302
    hh.reload()
    assert hh.notes == "no token"


def test_security_headers_and_cookie_flags(app, world):
    client = app.test_client()
    response = login(client, "clerk")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/admin/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"

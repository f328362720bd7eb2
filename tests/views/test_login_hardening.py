"""Login and password hardening: equal work for every failed login, audited failures and
lockouts, and a password policy that refuses guessable passwords in both languages."""
import pytest

import documents.staff as staff_module
from documents.audit import AuditEntry
from documents.staff import Staff
from tests.conftest import PASSWORD, login


def english_client(app, address="127.0.0.1", language="en"):
    client = app.test_client()
    client.environ_base.update(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=address)
    return client


class CountingHasher:
    """The real hasher, counting the password checks (the expensive part of a login)."""

    def __init__(self, inner):
        self.inner, self.verified = inner, 0

    def hash(self, password):
        return self.inner.hash(password)

    def verify(self, password_hash, password):
        self.verified += 1
        return self.inner.verify(password_hash, password)


def test_unknown_disabled_and_real_accounts_take_the_same_work(app, world, monkeypatch):
    Staff.objects(username="cashier").update_one(set__active=False)
    counting = CountingHasher(staff_module._hasher)
    monkeypatch.setattr(staff_module, "_hasher", counting)
    checks = {}
    for name in ("nobody", "cashier", "clerk"):
        before = counting.verified
        response = login(english_client(app, f"10.0.0.{len(checks) + 1}"), name, "whatever-123")
        assert response.status_code == 401
        checks[name] = counting.verified - before
    assert checks == {"nobody": 1, "cashier": 1, "clerk": 1}
    # the disabled account's right password does not log in either (and costs the same)
    before = counting.verified
    assert login(english_client(app, "10.0.0.9"), "cashier").status_code == 401
    assert counting.verified - before == 1


def test_failed_logins_and_lockouts_are_in_the_audit_history_for_the_admin(app, world, client_as):
    client = english_client(app, "192.0.2.7")
    login(client, "nobody", "whatever-123")
    for _ in range(app.config["LOGIN_FAILURES_BEFORE_DELAY"]):
        login(client, "clerk", "wrong-password")
    unknown = AuditEntry.objects(action="login_failed_unknown").get()
    assert (unknown.record_label, unknown.ip, unknown.at is not None) == ("nobody", "192.0.2.7", True)
    wrong = AuditEntry.objects(action="login_failed")
    assert wrong.count() == 5 and {e.record_id for e in wrong} == {str(world["staff"]["clerk"].pk)}
    locked = AuditEntry.objects(action="login_locked_account").get()
    assert locked.record_label == "clerk @ 192.0.2.7" and locked.note == "30 s"
    page = client_as("admin").get("/admin/audit/").get_data(as_text=True)
    assert "Failed login: no such account" in page and "Failed login: wrong password" in page
    assert "Logins of this account from this address paused" in page and "192.0.2.7" in page
    # never the password tried
    assert "wrong-password" not in page and "whatever-123" not in page


WEAK = ["1234567890", "password12", "aaaaaaaaaa", "qwertyuiop", "clerk-2026-x", PASSWORD]


@pytest.mark.parametrize("new", WEAK)
@pytest.mark.parametrize("language,marker", [("en", "password"), ("zh_Hans_CN", "密码")])
def test_weak_known_or_current_passwords_are_refused_with_a_reason(app, world, new, language, marker):
    Staff.objects(username="clerk").update_one(set__language=language)
    client = english_client(app)
    assert login(client, "clerk").status_code == 302
    response = client.post("/auth/password", data={"current_password": PASSWORD, "new_password": new,
                                                   "confirm": new})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="invalid-feedback"' in page
    reason = page.split('class="invalid-feedback">')[1].split("</div>")[0]
    assert marker in reason, reason
    if language == "en":
        assert any(word in reason for word in ("guess", "username", "differ from the current")), reason
    assert Staff.objects(username="clerk").get().check_password(PASSWORD)


def test_the_username_and_the_current_password_have_their_own_messages(app, world):
    client = english_client(app)
    login(client, "clerk")
    for new, message in (("clerk-2026-x", "must not contain the username"),
                         (PASSWORD, "must differ from the current one")):
        page = client.post("/auth/password", data={"current_password": PASSWORD, "new_password": new,
                                                   "confirm": new}).get_data(as_text=True)
        assert message in page, new


def test_a_strong_password_is_accepted(app, world):
    client = english_client(app)
    login(client, "clerk")
    new = "lantern-orchid-47-river"
    response = client.post("/auth/password", data={"current_password": PASSWORD, "new_password": new,
                                                   "confirm": new})
    assert response.status_code == 302
    assert Staff.objects(username="clerk").get().check_password(new)


def test_the_admin_cannot_give_an_account_a_guessable_password(client_as, world):
    client = client_as("admin")
    page = client.post("/admin/staff/new/", data={"username": "newbie", "display_name": "Newbie",
                                                  "roles": "clerk", "new_password": "password12",
                                                  "language": "en"}).get_data(as_text=True)
    assert Staff.objects(username="newbie").count() == 0
    assert "too easy to guess" in page

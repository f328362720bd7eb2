"""Staff accounts: login, roles, communities, preferred language, failed-login slow-down."""
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext, lazy_gettext as _l
from flask_login import UserMixin
from mongoengine import (BooleanField, DateTimeField, Document, EmailField, IntField, ListField, ReferenceField,
                         StringField)
from zxcvbn import zxcvbn

from app import clock
from documents.base import DomainError, OwnedQuerySet

ROLES = [
    ("manager", _l("Manager")),
    ("supervisor", _l("Supervisor")),
    ("clerk", _l("Front-desk clerk")),
    ("housekeeper", _l("Housekeeper")),
    ("cashier", _l("Cashier")),
    ("culture", _l("Culture officer")),
    ("admin", _l("Administrator")),
    ("executive", _l("Senior management")),
    ("guard", _l("Gate guard")),
]
LANGUAGES = [("zh_Hans_CN", "简体中文"), ("en", "English")]
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200

_hasher = PasswordHasher()  # argon2id, library defaults (t=3, m=64 MiB)
_dummy_hash = None  # a hash of a random secret, checked when there is no account to check

#: zxcvbn's score (0-4) a new password needs: 3 = "safely unguessable: moderate protection from an
#: offline slow-hash scenario"; common passwords, repetitions, sequences and keyboard walks score lower
MIN_PASSWORD_SCORE = 3


def use_fast_hasher():
    """Tests only: argon2id with a small cost so the suite stays quick."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _dummy_hash = None


def _verify(password_hash: str | None, password: str) -> bool:
    """One argon2 check, whatever the account: a missing hash is checked against a dummy one,
    so an unknown or disabled account takes the same work as a wrong password."""
    global _dummy_hash
    if not password_hash:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash(secrets.token_hex(16))
        password_hash = _dummy_hash
    try:
        return _hasher.verify(password_hash, password or "") and password_hash is not _dummy_hash
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, username: str = "", other_words=()) -> str | None:
    """Why `password` may not be chosen (translated), or None: too short, containing the username,
    or easy to guess (a common password, a repetition, a sequence, a keyboard walk, a date...)."""
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        return gettext("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return gettext("The password may have at most %(n)d characters.", n=MAX_PASSWORD_LENGTH)
    lowered = password.lower()
    if username and (username.lower() in lowered or lowered in username.lower()):
        return gettext("The password must not contain the username.")
    words = [w for w in [username, *other_words] if w]
    if zxcvbn(password[:100], user_inputs=words)["score"] < MIN_PASSWORD_SCORE:
        return gettext("This password is too easy to guess: it is a common password or made of "
                       "repetitions, sequences, keyboard rows, dates or your name. Choose a longer one, "
                       "for example several unrelated words.")
    return None


class Staff(UserMixin, Document):
    username = StringField(required=True, unique=True, max_length=40, regex=r"^[a-z0-9_.-]+$",
                           verbose_name=_l("Username"))
    display_name = StringField(required=True, max_length=60, verbose_name=_l("Display name"))
    password_hash = StringField(verbose_name=_l("Password"))
    roles = ListField(StringField(choices=ROLES), verbose_name=_l("Roles"))
    communities = ListField(ReferenceField("Community"), verbose_name=_l("Communities"))
    buildings = ListField(StringField(max_length=10), verbose_name=_l("Buildings looked after"))
    email = EmailField(max_length=120, verbose_name=_l("E-mail"))
    language = StringField(choices=LANGUAGES, default="zh_Hans_CN", verbose_name=_l("Language"))
    active = BooleanField(default=True, verbose_name=_l("Active"))
    last_login = DateTimeField(verbose_name=_l("Last login"))
    session_version = IntField(default=0)

    meta = {"collection": "staff", "indexes": ["username", "display_name", "roles", "communities", "active"],
            "queryset_class": OwnedQuerySet}

    def __str__(self):
        return f"{self.display_name} ({self.username})"

    # --- Flask-Login ---
    def get_id(self):
        """The session carries the session version: bumping it invalidates every old cookie."""
        return f"{self.pk}:{self.session_version}"

    @property
    def is_active(self):
        return bool(self.active)

    # --- passwords ---
    def set_password(self, password: str, field: str = "password"):
        """Refuses a short or guessable password, one containing the username, and the current one."""
        problem = password_problem(password, self.username or "", [self.display_name or ""])
        if problem is None and self.password_hash and self.check_password(password):
            problem = gettext("The new password must differ from the current one.")
        if problem:
            raise DomainError(problem, field=field)
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        return bool(password) and _verify(self.password_hash, password)

    @classmethod
    def authenticate(cls, username: str, password: str):
        """The active account with this name and password, or None. Exactly one password check
        whatever the outcome, so the time taken tells no one which accounts exist or are disabled."""
        staff = cls.objects(username=username).first()
        usable = staff is not None and staff.is_active
        ok = _verify(staff.password_hash if usable else None, password)
        return staff if usable and ok else None

    def change_password(self, current: str, new: str):
        if not self.check_password(current):
            raise DomainError(gettext("The current password is wrong."), field="current_password")
        self.set_password(new, field="new_password")
        self.invalidate_sessions()

    def invalidate_sessions(self):
        """Every copy of every session cookie of this account stops working."""
        self.session_version = (self.session_version or 0) + 1
        self.save()

    def record_login(self):
        self.last_login = clock.now()
        Staff.objects(pk=self.pk).update_one(set__last_login=self.last_login)

    # --- roles and communities ---
    def has_role(self, *roles) -> bool:
        return any(r in (self.roles or []) for r in roles)

    @property
    def sees_all_communities(self) -> bool:
        return self.has_role("admin", "executive")

    @property
    def community_ids(self) -> list:
        """The ids of the staff member's communities, without reading the communities themselves
        (every page asks: its lists are scoped by them)."""
        raw = self._data.get("communities") or []
        return [c.pk if isinstance(c, Document) else getattr(c, "id", c) for c in raw]


class LoginThrottle(Document):
    """Failed-login counter for one key (see `keys`): an account name tried from one address, or an
    address whatever the names tried.

    After `free` misses each further miss doubles the wait (capped at one hour); failures older than
    FORGET_AFTER are forgotten. A success clears the pair's key only.
    """
    key = StringField(required=True, unique=True)
    failures = IntField(default=0)
    locked_until = DateTimeField()
    last_failure = DateTimeField()

    #: failures older than this are forgotten (an office behind one address is not punished forever)
    FORGET_AFTER = timedelta(minutes=15)

    meta = {"collection": "login_throttle", "indexes": ["key"]}

    @staticmethod
    def keys(username: str, address: str) -> tuple[str, str]:
        """(the account-and-address pair, the address). There is no key for an account alone: then
        anyone could lock a named colleague out from anywhere."""
        return f"account:{username}|ip:{address}", f"ip:{address}"

    @classmethod
    def wait_seconds(cls, *keys) -> int:
        now = clock.now()
        waits = [(t.locked_until - now).total_seconds() for t in cls.objects(key__in=keys)
                 if t.locked_until]
        return max([0] + [int(w + 0.999) for w in waits if w > 0])

    @classmethod
    def record_failure(cls, key: str, free: int, base_delay: int) -> int:
        """Count one failure; the seconds of the wait this failure starts (0: none yet)."""
        now = clock.now()
        cls.objects(key=key, last_failure__lt=now - cls.FORGET_AFTER).update_one(set__failures=0)
        throttle = cls.objects(key=key).modify(upsert=True, new=True, inc__failures=1,
                                               set__last_failure=now)
        over = throttle.failures - free
        if over < 0:
            return 0
        wait = min(base_delay * (2 ** over), 3600)
        cls.objects(pk=throttle.pk).update_one(set__locked_until=clock.now() + timedelta(seconds=wait))
        return wait

    @classmethod
    def clear(cls, key: str):
        cls.objects(key=key).delete()


def audit_login_failure(username: str, staff, address: str, waits: dict):
    """A failed login in the audit history (who was tried, from where, when), and any wait it
    started: `waits` maps "account" / "address" to the seconds of a lockout this failure began."""
    from documents.audit import AuditEntry

    if staff is None:
        action = "login_failed_unknown"
    elif not staff.is_active:
        action = "login_failed_disabled"
    else:
        action = "login_failed"
    record_id = str(staff.pk) if staff is not None else username
    base = dict(at=clock.now(), actor_name=username[:40], ip=address, collection="staff",
                record_id=record_id)
    AuditEntry(action=action, record_label=username[:200], **base).save()
    for scope, seconds in waits.items():
        if seconds:
            label = f"{username} @ {address}" if scope == "account" else address
            AuditEntry(action=f"login_locked_{scope}", record_label=label[:200],
                       note=f"{seconds} s", **base).save()

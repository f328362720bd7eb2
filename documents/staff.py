"""Staff accounts: login, roles, communities, preferred language, failed-login slow-down."""
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext, lazy_gettext as _l
from flask_login import UserMixin
from mongoengine import (BooleanField, DateTimeField, Document, EmailField, IntField, ListField, ReferenceField,
                         StringField)

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
]
LANGUAGES = [("zh_Hans_CN", "简体中文"), ("en", "English")]
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()  # argon2id, library defaults (t=3, m=64 MiB)


def use_fast_hasher():
    """Tests only: argon2id with a small cost so the suite stays quick."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


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
    def set_password(self, password: str):
        if not password or len(password) < MIN_PASSWORD_LENGTH:
            raise DomainError(gettext("The password must have at least %(n)d characters.",
                                      n=MIN_PASSWORD_LENGTH), field="password")
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        if not self.password_hash or not password:
            return False
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def change_password(self, current: str, new: str):
        if not self.check_password(current):
            raise DomainError(gettext("The current password is wrong."), field="current_password")
        self.set_password(new)
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
        return [c.pk if hasattr(c, "pk") else c for c in (self.communities or [])]


class LoginThrottle(Document):
    """Failed-login counter for one key: an account name (existing or not) or a client address.

    After `free` misses each further miss doubles the wait (capped at one hour); a success
    clears the account's key. Kept apart from Staff so unknown names are slowed down alike.
    """
    key = StringField(required=True, unique=True)
    failures = IntField(default=0)
    locked_until = DateTimeField()
    last_failure = DateTimeField()

    #: failures older than this are forgotten (an office behind one address is not punished forever)
    FORGET_AFTER = timedelta(minutes=15)

    meta = {"collection": "login_throttle", "indexes": ["key"]}

    @classmethod
    def wait_seconds(cls, *keys) -> int:
        now = clock.now()
        waits = [(t.locked_until - now).total_seconds() for t in cls.objects(key__in=keys)
                 if t.locked_until]
        return max([0] + [int(w + 0.999) for w in waits if w > 0])

    @classmethod
    def record_failure(cls, key: str, free: int, base_delay: int):
        now = clock.now()
        cls.objects(key=key, last_failure__lt=now - cls.FORGET_AFTER).update_one(set__failures=0)
        throttle = cls.objects(key=key).modify(upsert=True, new=True, inc__failures=1,
                                               set__last_failure=now)
        over = throttle.failures - free
        if over >= 0:
            wait = min(base_delay * (2 ** over), 3600)
            cls.objects(pk=throttle.pk).update_one(
                set__locked_until=clock.now() + timedelta(seconds=wait))

    @classmethod
    def clear(cls, key: str):
        cls.objects(key=key).delete()

"""Shared pieces every area uses: the domain error, community ownership, edit versions."""
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import Document, IntField, QuerySet, ReferenceField, ValidationError
from mongoengine.errors import SaveConditionError


class DomainError(Exception):
    """A business rule refused an operation. `message` is translated; `field` names the form field."""

    def __init__(self, message, field: str | None = None, parts: tuple = ()):
        super().__init__(str(message))
        self.message = message
        self.field = field
        #: the refusals this one joins, each on its own field (a form shows them where they belong)
        self.parts = tuple(parts)

    def __str__(self):
        return str(self.message)


class RuleErrors(dict):
    """A `clean()`'s messages by field, raised together at the end of the checks, so that a form shows
    every rule a record breaks at once (the first message of a field is kept)."""

    def add(self, field: str, message):
        self.setdefault(field, message)

    def raise_any(self):
        if self:
            raise ValidationError(errors={name: ValidationError(str(message)) for name, message in self.items()})


def refusals(checks, also: tuple = ()) -> list:
    """Run every check (a callable that raises DomainError, or one of the errors in `also`) and
    return all the refusals, not only the first: a form shows them at once."""
    found = []
    for check in checks:
        try:
            check()
        except (DomainError, *also) as err:
            found.append(err)
    return found


class PermissionDenied(DomainError):
    """The acting staff member's role does not allow the operation."""


class StaleEditError(DomainError):
    """Someone else saved the record after it was opened for editing."""


def sees_all(user) -> bool:
    return bool(getattr(user, "sees_all_communities", False))


def community_ids_of(user) -> list:
    """The ids of the communities `user` works in (empty for nobody / anonymous)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(getattr(user, "community_ids", None) or [])


def sees_community(user, community) -> bool:
    """May `user` see and work on records of `community`? The one answer every layer asks."""
    if user is None or community is None:
        return False
    if sees_all(user):
        return True
    return getattr(community, "pk", community) in community_ids_of(user)


class OwnedQuerySet(QuerySet):
    """`Model.objects.for_user(user)`: the records of the communities `user` works in."""

    def for_user(self, user):
        if sees_all(user):
            return self
        ids = community_ids_of(user)
        if self._document._class_name == "Community":
            return self.filter(pk__in=ids)
        if "community" in self._document._fields:
            return self.filter(community__in=ids)
        if "communities" in self._document._fields:      # staff accounts
            return self.filter(communities__in=ids)
        return self


class CommunityOwned(Document):
    """A record that belongs to one community; staff see only records of their communities."""

    meta = {"abstract": True, "queryset_class": OwnedQuerySet}
    community = ReferenceField("Community", required=True, verbose_name=_l("Community"))

    def visible_to(self, user) -> bool:
        return sees_community(user, self.community)


class Versioned(Document):
    """Optimistic locking: every save bumps `version`; a save from a stale form is refused."""

    meta = {"abstract": True}
    version = IntField(default=0, verbose_name=_l("Version"))

    @property
    def record_version(self):
        return self.version

    def save_versioned(self, expected_version: int | None, **kwargs):
        """Save only if nobody saved since `expected_version` was read (conditional write)."""
        if self.pk is None:
            self.version = 1
            return self.save(**kwargs)
        if expected_version is None:
            expected_version = self.version
        if int(expected_version) != int(self.version or 0):
            raise StaleEditError(stale_message())
        self.version = int(expected_version) + 1
        try:
            return self.save(save_condition={"version": int(expected_version)}, **kwargs)
        except SaveConditionError:
            self.version = int(expected_version)
            raise StaleEditError(stale_message())


def stale_message():
    return gettext("Someone else saved this record while you were editing it. Your changes were not "
                   "saved; their version was kept. Reload the record, then make your change again.")

"""Shared pieces every area uses: the domain error, community ownership, edit versions."""
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import Document, IntField, ReferenceField
from mongoengine.errors import SaveConditionError


class DomainError(Exception):
    """A business rule refused an operation. `message` is translated; `field` names the form field."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)


class PermissionDenied(DomainError):
    """The acting staff member's role does not allow the operation."""


class StaleEditError(DomainError):
    """Someone else saved the record after it was opened for editing."""


class CommunityOwned(Document):
    """A record that belongs to one community; staff see only records of their communities."""

    meta = {"abstract": True}
    community = ReferenceField("Community", required=True, verbose_name=_l("Community"))


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

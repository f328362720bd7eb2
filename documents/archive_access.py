"""Confidential archives (004, PIPL art. 28/51/55, GB/T 35273 §7): levels, access requests, register.

Each role has a standing level on archives (`app.permissions.archive_standing_level`): summary,
contact or full. Reading above it needs an access request (reason, period) that the office director
(manager) approves; the approved window is checked here, on the server, at every read. Every read
at full level is written into the access register (who, which archive, when, why), which the
manager reviews and exports.
"""
from datetime import timedelta

from flask import g, has_request_context
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import DateTimeField, Q, ReferenceField, StringField

from app import clock
from app.permissions import ARCHIVE_LEVELS, archive_standing_level, level_at_least
from app.request_cache import per_request
from documents.base import CommunityOwned, DomainError, PermissionDenied, Versioned
from documents.workflow import Step, Workflow, Workflowed, authorize_area, declare

AREA = "archive_access"
STATES = [("new", _l("New")), ("requested", _l("Waiting for approval")), ("approved", _l("Approved")),
          ("rejected", _l("Rejected"))]
LEVEL_CHOICES = [("contact", _l("Contact (phone numbers)")), ("full", _l("Full (ID numbers and documents)"))]
MAX_DAYS = 31


class AccessRequest(CommunityOwned, Versioned, Workflowed):
    """A request to read archives above one's level: one household, or the whole community."""

    requested_by = ReferenceField("Staff", required=True, verbose_name=_l("Requested by"))
    requester_name = StringField(max_length=60, verbose_name=_l("Requested by"))
    household = ReferenceField("Household", verbose_name=_l("Household"))
    room_code = StringField(verbose_name=_l("Room"))
    level = StringField(choices=LEVEL_CHOICES, required=True, default="full", verbose_name=_l("Level asked for"))
    reason = StringField(required=True, max_length=500, verbose_name=_l("Reason"))
    starts_at = DateTimeField(required=True, verbose_name=_l("From"))
    ends_at = DateTimeField(required=True, verbose_name=_l("Until"))
    state = StringField(choices=STATES, default="new", verbose_name=_l("State"))
    decided_by = StringField(max_length=60, verbose_name=_l("Decided by"))
    decided_at = DateTimeField(verbose_name=_l("Decided at"))
    decision_note = StringField(max_length=500, verbose_name=_l("Decision note"))

    meta = {"collection": "archive_access_requests",
            "indexes": [("requested_by", "state", "ends_at"), ("community", "state"), ("community", "-starts_at"),
                        "household"],
            "ordering": ["-starts_at"]}

    def __str__(self):
        what = self.room_code or gettext("All archives of the community")
        return f"{self.requester_name or ''} · {what}"

    # --- steps ---
    def request(self, user):
        """Ask (the record is filled in and saved as "new" by `ask`)."""
        return self.transition("request", user)

    def approve(self, user, note=""):
        self.check("approve", user)
        return self.transition("approve", user, checked=False, values={
            "decided_by": user.username, "decided_at": clock.now(), "decision_note": (note or "")[:500]})

    def reject(self, user, note=""):
        self.check("reject", user)
        if not (note or "").strip():
            raise DomainError(gettext("Say why the request is rejected."), field="note")
        return self.transition("reject", user, checked=False, values={
            "decided_by": user.username, "decided_at": clock.now(), "decision_note": note.strip()[:500]})

    def authorize_step(self, step, user):
        if step.name in ("approve", "reject") and self.requested_by and self.requested_by.pk == user.pk:
            raise PermissionDenied(gettext("Nobody may decide on their own access request."))

    @property
    def active(self) -> bool:
        now = clock.now()
        return self.state == "approved" and self.starts_at <= now <= self.ends_at

    @classmethod
    def ask(cls, user, community, household, level, reason, starts_at, ends_at):
        """A new request by `user`, checked and stored in state "requested" (with its audit entry)."""
        authorize_area(AREA, "action:request", user, community, label=_l("Request access"))
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(gettext("Say why you need to read the archive."), field="reason")
        if level not in dict(LEVEL_CHOICES):
            raise DomainError(gettext("Choose the level you need."), field="level")
        if ends_at <= starts_at:
            raise DomainError(gettext("The period must end after it starts."), field="ends_at")
        if ends_at - starts_at > timedelta(days=MAX_DAYS):
            raise DomainError(gettext("An access request covers at most %(n)d days.", n=MAX_DAYS),
                              field="ends_at")
        if ends_at <= clock.now():
            raise DomainError(gettext("The period is already over."), field="ends_at")
        if household is not None and household.community.pk != community.pk:
            raise PermissionDenied(gettext("You may only work on records of your own communities."))
        record = cls(community=community, requested_by=user, requester_name=user.username,
                     household=household, room_code=household.room_code if household else None,
                     level=level, reason=reason, starts_at=starts_at, ends_at=ends_at, state="new")
        record.save_versioned(None)
        return record.request(user)


def _window_open(record, user):
    if record.ends_at <= clock.now():
        from documents.workflow import NotApplicable
        raise NotApplicable(gettext("The requested period is already over."))


declare(AccessRequest, Workflow(AREA, [
    Step("request", ("new",), "requested", label=_l("Request access"), page=False),
    Step("approve", ("requested",), "approved", label=_l("Approve access"),
         needs=_l("Only a request waiting for approval can be approved."), preconditions=(_window_open,)),
    Step("reject", ("requested",), "rejected", label=_l("Reject access"),
         needs=_l("Only a request waiting for approval can be rejected.")),
]))


# --- what a reader may see of one archive ---

def _grants(user) -> list[tuple]:
    """(household id or None, community id, level) of the user's approved requests open now.

    Read once per request: lists, exports and searches ask for every row.
    """
    key = f"archive_grants_{getattr(user, 'pk', None)}"
    if has_request_context() and key in g:
        return g.get(key)
    now = clock.now()
    grants = [(row.get("household"), row.get("community"), row.get("level"))
              for row in AccessRequest.objects(requested_by=user, state="approved", ends_at__gte=now,
                                               starts_at__lte=now)
              .only("household", "community", "level").as_pymongo()]
    if has_request_context():
        setattr(g, key, grants)
    return grants


def level_for(user, household) -> str:
    """The level `user` reads `household` at now: their role's, or an approved request's."""
    cache = per_request("archive_standing_level")      # a list asks for every row
    key = getattr(user, "pk", None)
    if cache is None or key not in cache:
        level = archive_standing_level(user)
        if cache is not None:
            cache[key] = level
    else:
        level = cache[key]
    if household is None or level == "full":
        return level
    grants = _grants(user)
    if not grants:
        return level
    community_id = _community_id(household)
    for household_id, grant_community, grant_level in grants:
        if grant_community == community_id and household_id in (None, household.pk) \
                and level_at_least(grant_level, level):
            level = grant_level
    return level


def _community_id(household):
    """The id of the household's community without loading the community (a list asks per row)."""
    raw = household._data.get("community")
    return getattr(raw, "pk", None) or getattr(raw, "id", None) or raw


def approved_request(user, household):
    """The approved request that gives `user` full level on `household` now (None: standing right)."""
    community_id = _community_id(household)
    return AccessRequest.objects(Q(household=household) | Q(household=None), requested_by=user,
                                 state="approved", community=community_id, level="full",
                                 starts_at__lte=clock.now(), ends_at__gte=clock.now()).first()


def shows_phones(user, household) -> bool:
    return level_at_least(level_for(user, household), "contact")


def shows_ids(user, household) -> bool:
    return level_for(user, household) == "full"


# --- the access register ---

class AccessRecord(CommunityOwned):
    """One read of an archive at full level: who, which archive, when, why."""

    at = DateTimeField(required=True, verbose_name=_l("Time"))
    staff = ReferenceField("Staff", verbose_name=_l("Staff"))
    staff_name = StringField(verbose_name=_l("Staff"))
    household = ReferenceField("Household", verbose_name=_l("Household"))
    room_code = StringField(verbose_name=_l("Room"))
    what = StringField(verbose_name=_l("What was read"))
    why = StringField(verbose_name=_l("Why"))
    request = ReferenceField(AccessRequest, verbose_name=_l("Access request"))
    ip = StringField(verbose_name=_l("IP address"))

    meta = {"collection": "archive_access_register",
            "indexes": [("community", "-at"), "household", "staff", ("community", "staff_name"), ("community", "room_code")],
            "ordering": ["-at"]}


def read_full(user, household, what: str, ip: str | None = None) -> AccessRecord:
    """Check that `user` may read `household` at full level now, and register the read.

    Refused (PermissionDenied) without the standing right or an approved request open now.
    """
    if level_for(user, household) != "full":
        raise PermissionDenied(gettext(
            "Reading this archive in full needs the office director's approval: request access first."))
    grant = None if archive_standing_level(user) == "full" else approved_request(user, household)
    why = grant.reason if grant is not None else gettext("Standing right of the role")
    return AccessRecord(community=household.community, at=clock.now(), staff=user, staff_name=user.username,
                        household=household, room_code=household.room_code, what=what, why=why,
                        request=grant, ip=ip).save()


__all__ = ["AccessRequest", "AccessRecord", "ARCHIVE_LEVELS", "level_for", "read_full", "shows_ids",
           "shows_phones"]

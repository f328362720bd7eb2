"""What every part of the events area shares: its name, choices, limits and small checks."""
from flask_babel import gettext, lazy_gettext as _l

from documents.base import DomainError

AREA = "events"

#: the years a plan may be made for, and the calendar may show
FIRST_YEAR, LAST_YEAR = 2000, 2100

EVENT_TYPES = [
    ("festival", _l("Festival")), ("sports", _l("Sports")), ("culture", _l("Culture")),
    ("volunteer", _l("Volunteer")), ("talk", _l("Talk")), ("other", _l("Other")),
]
EVENT_STATES = [
    ("draft", _l("Draft")), ("submitted", _l("Submitted")), ("approved", _l("Approved")),
    ("rejected", _l("Rejected")), ("published", _l("Published")), ("held", _l("Held")),
    ("recorded", _l("Recorded")), ("cancelled", _l("Cancelled")),
]
PLAN_STATES = [("draft", _l("Draft")), ("submitted", _l("Submitted")), ("approved", _l("Approved")),
               ("rejected", _l("Rejected"))]
SIGNUP_STATES = [("confirmed", _l("Confirmed")), ("waiting", _l("Waiting list")),
                 ("cancelled", _l("Cancelled"))]
BOOKING_STATES = [("booked", _l("Booked")), ("cancelled", _l("Cancelled"))]

MAX_PEOPLE_PER_SIGNUP = 20


def label(choices, value) -> str:
    return str(dict(choices).get(value, value or ""))


def required_reason(reason: str | None) -> str:
    """The reason a step was given, trimmed; refused when empty."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("Please give a reason."), field="reason")
    return reason[:500]


def same_community(ref, community) -> bool:
    return ref is None or community is None or getattr(ref.community, "pk", None) == community.pk

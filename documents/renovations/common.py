"""What every part of a renovation file shares: the area, its vocabularies, validators and dates."""
import re
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from babel.lists import format_list
from flask_babel import get_locale, gettext, lazy_gettext as _l
from mongoengine import ValidationError

from app import clock
from documents.deadlines import local_date, zone_of
from documents.validators import id_card_problem

AREA = "renovations"

STATES = [
    ("draft", _l("Draft")),
    ("submitted", _l("Submitted")),
    ("flat_failed", _l("Flat inspection failed")),
    ("flat_passed", _l("Flat inspection passed")),
    ("approved", _l("Approved")),
    ("rejected", _l("Rejected")),
    ("fees_paid", _l("Fees and deposit paid")),
    ("in_progress", _l("Work in progress")),
    ("initial_inspected", _l("Initial inspection done")),
    ("final_failed", _l("Final inspection failed")),
    ("final_passed", _l("Final inspection passed")),
    ("refund_approved", _l("Refund approved")),
    ("refunded", _l("Deposit refunded")),
    ("archived", _l("Archived")),
]
ALL_STATES = tuple(state for state, _label in STATES)
CLOSED_STATES = ("rejected", "refunded", "archived")
OPEN_STATES = set(ALL_STATES) - set(CLOSED_STATES)

PHASES = [
    ("water_electric", _l("Water and electrical rework")),
    ("carpentry_painting", _l("Carpentry and wall painting")),
    ("tiling_flooring", _l("Tiling and wooden floors")),
    ("installation", _l("Installation (gas water heater, air conditioner, sanitary ware)")),
]
INSPECTION_KINDS = [("flat", _l("Second flat inspection")), ("initial", _l("Initial inspection")),
                    ("final", _l("Final inspection"))]
#: how a cashier takes fees in and pays a deposit back
PAYMENT_METHODS = [("cash", _l("Cash")), ("bank_transfer", _l("Bank transfer")),
                   ("wechat", _l("WeChat Pay")), ("alipay", _l("Alipay"))]
REFUND_METHODS = PAYMENT_METHODS


def phase_label(phase) -> str:
    return str(dict(PHASES).get(phase, phase or ""))


def new_key() -> str:
    return uuid.uuid4().hex[:12]


def as_date(value):
    if isinstance(value, datetime):
        return value.date()
    return value


def local_today(community) -> date:
    """Today in the community's time zone (the clock is naive UTC)."""
    return local_date(clock.now(), zone_of(community))


# --- validators ---------------------------------------------------------------------------------

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def licence_problem(value: str) -> str | None:
    """Business licence: an 18-character unified social credit code (or an old 15-digit number)."""
    value = (value or "").strip().upper()
    if re.fullmatch(r"\d{15}", value):
        return None
    if not USCC_RE.match(value):
        return gettext("A business licence number is the 18-character unified social credit code.")
    if uscc_check_char(value[:17]) != value[17]:
        return gettext("The unified social credit code's check character is wrong; please check it.")
    return None


def validate_licence(value):
    problem = licence_problem(value)
    if value and problem:
        raise ValidationError(problem)


def validate_worker_id(value):
    problem = id_card_problem(value) if value else None
    if problem:
        raise ValidationError(problem)


def amount_problem(value, positive: bool = False, places: int | None = 2) -> str | None:
    """What is wrong with an amount as typed ("1,200.50", "¥30"), or None: a number with at most
    `places` decimal places (nothing is rounded silently), not negative, above zero when `positive`."""
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, float):
        return gettext("Amounts must be given exactly, not as a floating-point number.")
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("¥", ""))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        return gettext("Enter a number, e.g. 1200.50.")
    if places is not None and amount != amount.quantize(Decimal(1).scaleb(-places)):
        return gettext("Enter at most two decimal places.")
    if amount < 0 or (positive and amount == 0):
        return gettext("Enter a positive number.") if positive else gettext("The amount cannot be negative.")
    return None


def list_text(items) -> str:
    """Items as one list in the reader's language: "a, b, and c" / "甲、乙和丙"."""
    items = [str(item) for item in items]
    try:
        locale = get_locale() or "en"
    except RuntimeError:           # outside a request: the catalogue's source language
        locale = "en"
    return format_list(items, locale=locale) if items else ""


def lines(items) -> list[str]:
    """The non-empty, stripped texts of a list of items."""
    return [str(item).strip() for item in items or [] if str(item).strip()]

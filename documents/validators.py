"""Format checks for personal data: mainland mobiles, ID documents (GB 11643), plate numbers.

Each validator raises mongoengine's ValidationError with a message translated at call time,
so the form shows it on the field in the user's language.
"""
import re
from datetime import date

from flask_babel import gettext
from mongoengine import ValidationError

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_CARD_RE = re.compile(r"^\d{17}[\dX]$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,17}$")
HK_MACAU_PERMIT_RE = re.compile(r"^[HM]\d{8}(\d{2})?$")
TAIWAN_PERMIT_RE = re.compile(r"^\d{8}(\d{2})?$")
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_RE = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{4,5}}[A-HJ-NP-Z0-9挂学警港澳]$")

ID_TYPES = [
    ("id_card", "id_card"), ("passport", "passport"),
    ("hk_macau_permit", "hk_macau_permit"), ("taiwan_permit", "taiwan_permit"),
]


def normalise_phone(value: str) -> str:
    value = re.sub(r"[\s-]", "", value or "")
    if value.startswith("+86"):
        value = value[3:]
    return value


def validate_mobile(value):
    if value and not MOBILE_RE.match(normalise_phone(value)):
        raise ValidationError(gettext("Not a mainland mobile number: 11 digits starting with 13–19."))


def id_card_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


def id_card_problem(value: str) -> str | None:
    """Why an 18-digit resident ID number is invalid, or None if it is valid."""
    value = (value or "").upper()
    if not ID_CARD_RE.match(value):
        return gettext("An ID card number has 18 characters: 17 digits and a digit or X.")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return gettext("The birth date inside the ID card number is not a real date.")
    if id_card_check_digit(value[:17]) != value[17]:
        return gettext("The ID card number's check digit is wrong; please check the number.")
    return None


def id_document_problem(id_type: str, number: str) -> str | None:
    number = (number or "").strip().upper()
    if not number:
        return None
    if id_type in (None, "", "id_card"):
        return id_card_problem(number)
    if id_type == "passport" and not PASSPORT_RE.match(number):
        return gettext("A passport number has 5 to 17 letters and digits.")
    if id_type == "hk_macau_permit" and not HK_MACAU_PERMIT_RE.match(number):
        return gettext("A Home Return Permit number is H or M followed by 8 or 10 digits.")
    if id_type == "taiwan_permit" and not TAIWAN_PERMIT_RE.match(number):
        return gettext("A Taiwan compatriot permit number has 8 or 10 digits.")
    return None


def validate_plate(value):
    if value and not PLATE_RE.match(value.strip().upper()):
        raise ValidationError(gettext("Not a valid plate number, e.g. 粤B12345 or 粤BD12345."))


def mask_phone(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""        # nothing to hide: no "****" that suggests a number
    return value[:3] + "****" + value[-4:] if len(value) >= 8 else "****"


def mask_id(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 4) + value[-4:] if len(value) >= 8 else "****"


ID_IN_TEXT_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|[EGHM]\d{8,10})(?![0-9A-Za-z])")
MOBILE_IN_TEXT_RE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")


def mask_text(text: str, ids: bool = True, phones: bool = True) -> str:
    """Mask ID numbers and mobile numbers inside free text (e.g. audit old/new values)."""
    text = text or ""
    if ids:
        text = ID_IN_TEXT_RE.sub(lambda m: mask_id(m.group(1)), text)
    if phones:
        text = MOBILE_IN_TEXT_RE.sub(lambda m: mask_phone(m.group(1)), text)
    return text

"""Money: exact amounts in yuan with two decimals, shared by every area.

In Python an amount is a `Decimal` rounded to the cent half up (as on a paper receipt); in MongoDB
a Decimal128 (`MoneyField`), never a float. Floats are refused outright: 0.1 + 0.2 is not 0.30.
The embedded stores (mongomock, litemongo) cannot range-query or sort Decimal128, so money columns
are not sortable in lists.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext
from mongoengine import Decimal128Field

from documents.base import DomainError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("10000000")


def exact_decimal(value) -> Decimal | None:
    """An exact decimal from a number or a text such as "¥1,234.5"; None for no value or not a
    number. A float is refused: it is not exact."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise DomainError(gettext("Amounts must be given exactly, not as a floating-point number."))
    if hasattr(value, "to_decimal"):
        value = value.to_decimal()
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("¥", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def to_money(value) -> Decimal | None:
    """An exact amount with two decimals, or None for no value; floats and nonsense are refused.

    Takes a Decimal, an int, a Decimal128 (as read from the store) or a text such as "¥1,234.5".
    """
    if value is None or value == "":
        return None
    amount = exact_decimal(value)
    if amount is None:
        raise DomainError(gettext("Not an amount: %(value)s", value=value))
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(value) -> str:
    """`1234.5` -> "1,234.50" (no value: "0.00"), for pages, prints and receipts."""
    amount = to_money(value) if value is not None else ZERO
    return f"{amount:,.2f}"


def rmb_upper(amount) -> str:
    """An amount in Chinese capital numerals for receipts: 2300.10 -> 贰仟叁佰元壹角整."""
    amount = to_money(amount)
    if amount < 0:
        return "负" + rmb_upper(-amount)
    digits, units, groups = "零壹贰叁肆伍陆柒捌玖", ("", "拾", "佰", "仟"), ("", "万", "亿", "万亿")
    yuan, cents = int(amount), int(amount * 100) % 100
    text, zero, s = "", False, str(yuan)
    for i, ch in enumerate(s):
        pos, d = len(s) - 1 - i, int(ch)
        if d == 0:
            zero = True
        else:
            if zero:
                text += "零"
                zero = False
            text += digits[d] + units[pos % 4]
        if pos % 4 == 0 and pos and int(s[max(0, len(s) - 4 * (pos // 4 + 1)):len(s) - pos]):
            text += groups[pos // 4]
    text = (text or "零") + "元"
    jiao, fen = divmod(cents, 10)
    if not cents:
        return text + "整"
    if jiao:
        text += digits[jiao] + "角"
    elif yuan:
        text += "零"
    return text + (digits[fen] + "分" if fen else "整")


class MoneyField(Decimal128Field):
    """Exact money: a Decimal with two places in Python, a Decimal128 in MongoDB (never a float)."""

    def __init__(self, min_value=Decimal("0"), max_value=MAX_AMOUNT, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_mongo(self, value):
        if value is None:
            return None
        if not isinstance(value, Decimal) and not hasattr(value, "to_decimal"):
            value = Decimal(str(value))
        if hasattr(value, "to_decimal"):
            value = value.to_decimal()
        return super().to_mongo(value.quantize(CENT, rounding=ROUND_HALF_UP))

    def validate(self, value):
        try:
            amount = to_money(value)
        except DomainError as err:
            self.error(str(err))
            return
        if amount is not None and self.min_value is not None and amount < self.min_value:
            self.error(gettext("The amount cannot be negative."))
        if amount is not None and self.max_value is not None and amount > self.max_value:
            self.error(gettext("The amount is too large."))

    def to_form_field(self, model, kwargs):
        """Flask-Admin: a decimal input with two places (its converter calls this automatically)."""
        from wtforms import DecimalField
        from wtforms.validators import NumberRange
        kwargs["places"] = 2
        kwargs["validators"].append(NumberRange(min=0, max=float(MAX_AMOUNT)))
        return DecimalField(**kwargs)

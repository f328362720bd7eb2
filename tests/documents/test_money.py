"""The one money module of every area: exact cents rounded half up, never a float, Decimal128 in store."""
from decimal import Decimal

import pytest
from bson.decimal128 import Decimal128

from documents.base import DomainError
from documents.money import MoneyField, money_text, rmb_upper, to_money


def test_money_never_accepts_floats_or_nonsense():
    with pytest.raises(DomainError):
        to_money(0.1)
    with pytest.raises(DomainError, match="Not an amount"):
        to_money("about 5 yuan")
    with pytest.raises(DomainError, match="Not an amount"):
        to_money("NaN")
    assert to_money("0.005") == Decimal("0.01") and to_money(None) is None and to_money("") is None
    assert to_money("1,234.565") == Decimal("1234.57") and to_money("¥30") == Decimal("30.00")
    assert to_money(Decimal128("18.525")) == Decimal("18.53") and to_money(7) == Decimal("7.00")


def test_money_text():
    assert money_text(Decimal("1234.5")) == "1,234.50" and money_text(None) == "0.00"


def test_money_field_stores_exact_cents():
    field = MoneyField()
    stored = field.to_mongo(Decimal("0.10") + Decimal("0.205"))
    assert isinstance(stored, Decimal128) and stored.to_decimal() == Decimal("0.31")
    with pytest.raises(Exception, match="cannot be negative"):
        field.validate(Decimal("-1"))
    with pytest.raises(Exception, match="too large"):
        field.validate(Decimal("10000000.01"))


def test_rmb_upper():
    assert rmb_upper(Decimal("2800.00")) == "贰仟捌佰元整"
    assert rmb_upper(Decimal("1005.05")) == "壹仟零伍元零伍分"
    assert rmb_upper(Decimal("100000")) == "壹拾万元整"
    assert rmb_upper(Decimal("10010.5")) == "壹万零壹拾元伍角整"

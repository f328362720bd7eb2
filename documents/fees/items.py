"""Fee items and their rates (收费项目, seed 003 chapter 5 "服务收费作业指导书").

Each community keeps its own list of items: the property management fee (per m² of the room per
month, by room use), the vehicle parking fee (per parking space per month), paid special services,
shared water and electricity (a month's total apportioned by floor area), venue and house rent,
and others (deposits, repair charges, fees collected for the utilities). A rate carries the day it
is valid from; a bill line keeps the rate it was made with, so a new rate never rewrites a past bill,
and a rate a bill was made with can no longer be changed or removed.
"""
from datetime import date
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateField, EmbeddedDocument, EmbeddedDocumentListField, IntField,
                         StringField)

from documents.base import CommunityOwned, DomainError, Versioned
from documents.money import MoneyField, money_text, to_money
from documents.places import ROOM_USES

FEE_KINDS = [
    ("property", _l("Property management fee")),
    ("parking", _l("Vehicle parking fee")),
    ("service", _l("Paid special service")),
    ("shared_utilities", _l("Shared water and electricity")),
    ("rent", _l("Venue and house rent")),
    ("renovation", _l("Renovation fees and deposit")),
    ("repair", _l("Repair charge")),
    ("other", _l("Other (deposits, collected for utilities)")),
]
BASES = [
    ("area", _l("Per m² of the room per month")),
    ("space", _l("Per parking space per month")),
    ("apportioned", _l("A month's total shared by floor area")),
    ("fixed", _l("Fixed amount per household per month")),
    ("one_off", _l("Charged case by case")),
]
#: bases billed by the monthly generation (the others are charged one by one)
MONTHLY_BASES = ("area", "space", "fixed")
#: the day of the billed month by which a monthly bill is due (each item may set its own)
DEFAULT_DUE_DAY = 15


class Rate(EmbeddedDocument):
    valid_from = DateField(required=True, verbose_name=_l("Valid from"))
    amount = MoneyField(required=True, verbose_name=_l("Rate (yuan)"))
    room_use = StringField(choices=ROOM_USES, verbose_name=_l("Room use (empty: any)"))

    def __str__(self):
        return f"{self.valid_from:%Y-%m-%d} {money_text(self.amount)}"


class FeeItem(CommunityOwned, Versioned):
    code = StringField(required=True, max_length=20, regex=r"^[A-Za-z0-9_-]+$", verbose_name=_l("Code"))
    name_zh = StringField(required=True, max_length=60, verbose_name=_l("Name (Chinese)"))
    name_en = StringField(max_length=80, verbose_name=_l("Name (English)"))
    kind = StringField(required=True, choices=FEE_KINDS, verbose_name=_l("Kind"))
    basis = StringField(required=True, choices=BASES, default="area", verbose_name=_l("Charged"))
    rates = EmbeddedDocumentListField(Rate, verbose_name=_l("Rates"))
    due_day = IntField(min_value=1, max_value=28, default=DEFAULT_DUE_DAY, verbose_name=_l("Due on day"))
    active = BooleanField(default=True, verbose_name=_l("Billed"))
    #: the last period ("YYYY-MM") billed with this item: rates valid up to it are kept as they are
    billed_through = StringField(verbose_name=_l("Billed through"))

    meta = {"collection": "fee_items", "indexes": [{"fields": ["community", "code"], "unique": True},
                                                    ("community", "kind")],
            "ordering": ["code"]}

    def __str__(self):
        return self.name()

    def check_deletable(self):
        """A billed item stays: its bill lines name it. Switching billing off stops it instead."""
        from documents.fees.ledger import BillLine
        if BillLine.objects(item=self).only("id").first() is not None:
            raise DomainError(gettext("Bills were made with %(item)s: it cannot be deleted. Switch “Billed” off "
                                      "to stop billing it.", item=self.name()))

    def name(self, language: str | None = None) -> str:
        from documents.bilingual import current_language, pick
        return pick(self.name_zh, self.name_en, language or current_language())

    def rate_on(self, day: date, room_use: str | None = None) -> Decimal | None:
        """The rate valid on `day`: the latest one started by then, one for the room's use before
        one for any use; None when the item has no rate yet."""
        best = None
        for rate in self.rates or []:
            if rate.valid_from > day or (rate.room_use and rate.room_use != room_use):
                continue
            key = (rate.valid_from, bool(rate.room_use))
            if best is None or key > best[0]:
                best = (key, rate)
        return to_money(best[1].amount) if best else None

    def clean(self):
        seen = set()
        for rate in self.rates or []:
            if rate.amount is not None and to_money(rate.amount) < 0:
                raise DomainError(gettext("A rate cannot be negative."), field="rates")
            key = (rate.valid_from, rate.room_use or "")
            if key in seen:
                raise DomainError(gettext("Two rates start on %(day)s for the same room use.",
                                          day=f"{rate.valid_from:%Y-%m-%d}"), field="rates")
            seen.add(key)
        if self.basis in MONTHLY_BASES and self.active and not self.rates:
            raise DomainError(gettext("A monthly item needs at least one rate."), field="rates")
        self._keep_billed_rates()

    def _keep_billed_rates(self):
        """Rates a bill was made with stay as they were (a new rate starts later instead)."""
        if not self.pk or not self.billed_through:
            return
        stored = type(self).objects(pk=self.pk).only("rates", "billed_through").first()
        if stored is None:
            return
        last_billed = date.fromisoformat(self.billed_through + "-01")
        old = {(r.valid_from, r.room_use or "", to_money(r.amount)) for r in stored.rates or []
               if r.valid_from <= last_billed}
        new = {(r.valid_from, r.room_use or "", to_money(r.amount)) for r in self.rates or []
               if r.valid_from <= last_billed}
        if old != new:
            raise DomainError(gettext(
                "Bills up to %(period)s were made with these rates: they cannot change. Add a rate "
                "valid from a later month instead.", period=self.billed_through), field="rates")

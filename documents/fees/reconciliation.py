"""The day's takings for finance (数据与财务核对): what came in, by method, by fee item and by cashier.

For one community and a day or a span of days on the community's clock (a payment keeps its local
day in `Payment.received_on`, so a day is read by equality, never by a time range):

- totals to the fen by payment method and by fee item (from the payments' allocations), per day,
  per cashier and over the span - the three must agree;
- voided receipts listed on their own and never counted; receipts of earlier days voided during
  the span are listed too (the cash of that day was counted then);
- the receipt numbers of each day (first to last, per year) and a check that none is missing:
  every number between the first and the last of the span exists, and so does the one before
  the span's first (taken on an earlier day).

Nothing is written: the report is read again whenever it is shown, printed or exported.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext, lazy_gettext as _l

from documents.base import DomainError
from documents.bilingual import current_language, pick
from documents.deadlines import start_of_local_day, zone_of
from documents.fees.ledger import today_in
from documents.fees.payments import PAYMENT_METHODS, Payment, receipt_number
from documents.money import ZERO, to_money
from documents.workflow import authorize_area

#: the longest span one report covers (a quarter)
MAX_DAYS = 92


@dataclass
class Totals:
    """Valid (not void) receipts: how many, how much, by method and by fee item."""
    count: int = 0
    amount: object = ZERO
    by_method: dict = field(default_factory=dict)          # method code -> amount
    by_item: dict = field(default_factory=dict)            # (name_zh, name_en) -> amount

    def add(self, receipt):
        self.count += 1
        self.amount += receipt.amount
        self.by_method[receipt.method] = self.by_method.get(receipt.method, ZERO) + receipt.amount
        for allocation in receipt.allocations:
            key = (allocation.get("item_name") or "", allocation.get("item_name_en") or "")
            self.by_item[key] = self.by_item.get(key, ZERO) + to_money(allocation.get("amount"))

    def method(self, code):
        return self.by_method.get(code, ZERO)

    def item(self, key):
        return self.by_item.get(key, ZERO)

    @property
    def balanced(self) -> bool:
        """The methods and the items each add up to the total."""
        return sum(self.by_method.values(), ZERO) == self.amount == sum(self.by_item.values(), ZERO)


class Receipt:
    """A payment as the report reads it: from the stored document as it is (building a mongoengine
    document per receipt costs more than the whole report; its allocations would read every line)."""

    FIELDS = ("receipt_no", "receipt_year", "receipt_seq", "received_on", "received_at", "room_code",
              "household_name", "method", "reference", "received_by", "received_by_name", "void", "void_reason",
              "voided_at", "voided_by_name")
    __slots__ = FIELDS + ("pk", "amount", "allocations")

    def __init__(self, raw: dict):
        self.pk = raw["_id"]
        for name in self.FIELDS:
            setattr(self, name, raw.get(name))
        self.void = bool(self.void)
        self.amount = to_money(raw.get("amount")) or ZERO
        self.allocations = raw.get("allocations") or []

    def __eq__(self, other):
        return getattr(other, "pk", None) == self.pk

    def __hash__(self):
        return hash(self.pk)

    def method_label(self) -> str:
        return str(dict(PAYMENT_METHODS).get(self.method, self.method or ""))


@dataclass
class ReceiptRange:
    """The receipt numbers of a day (or of the span) in one receipt year."""
    year: int
    first: int
    last: int
    first_no: str
    last_no: str
    count: int                    # receipts with these numbers, void ones included
    missing: list = field(default_factory=list)      # receipt numbers that do not exist


@dataclass
class Cashier:
    key: str
    name: str
    totals: Totals = field(default_factory=Totals)


@dataclass
class DayReport:
    day: date
    totals: Totals = field(default_factory=Totals)
    cashiers: list = field(default_factory=list)     # Cashier, by name
    payments: list = field(default_factory=list)     # valid receipts, by number
    voided: list = field(default_factory=list)       # void receipts taken this day, by number
    ranges: list = field(default_factory=list)       # ReceiptRange per receipt year

    @property
    def missing(self) -> list:
        return [number for r in self.ranges for number in r.missing]


@dataclass
class Reconciliation:
    community: object
    first: date
    last: date
    days: list = field(default_factory=list)          # DayReport, every day of the span
    totals: Totals = field(default_factory=Totals)
    cashiers: list = field(default_factory=list)      # Cashier over the span
    ranges: list = field(default_factory=list)        # ReceiptRange per year over the span
    voided_later: list = field(default_factory=list)  # earlier days' receipts voided in the span

    @property
    def single_day(self) -> bool:
        return self.first == self.last

    @property
    def voided(self) -> list:
        return [p for day in self.days for p in day.voided]

    @property
    def missing(self) -> list:
        return [number for r in self.ranges for number in r.missing]

    @property
    def methods(self) -> list:
        """(code, label) of every method, in the counter's order."""
        return [(code, str(label)) for code, label in PAYMENT_METHODS]

    @property
    def items(self) -> list:
        """The fee items paid in the span, by their Chinese name: (key, label)."""
        return [(key, item_label(key)) for key in sorted(self.totals.by_item)]

    @property
    def balanced(self) -> bool:
        return self.totals.balanced and all(day.totals.balanced for day in self.days)


def item_label(key, language=None) -> str:
    return pick(key[0], key[1], language or current_language()) or gettext("(no item)")


def parse_day(text, field_name: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise DomainError(gettext("Give the day as YYYY-MM-DD, e.g. 2026-12-06."), field=field_name) from None


def check_span(first: date, last: date, community) -> tuple[date, date]:
    """A span the report can cover: in order, not beyond today, at most MAX_DAYS days."""
    if last < first:
        raise DomainError(gettext("The last day comes before the first day."), field="last")
    today = today_in(community)
    for day, field_name in ((first, "first"), (last, "last")):
        if day > today:
            raise DomainError(gettext("%(day)s has not come yet on the community's clock.", day=day.isoformat()),
                              field=field_name)
    if (last - first).days + 1 > MAX_DAYS:
        raise DomainError(gettext("A report covers at most %(n)d days.", n=MAX_DAYS), field="last")
    return first, last


def reconcile(community, first: date, last: date | None = None, actor=None) -> Reconciliation:
    """The reconciliation of `community` from `first` to `last` (local days, both included)."""
    if actor is not None:
        authorize_area("fees", "action:reconcile", actor, community, label=_l("Daily reconciliation"))
    first, last = check_span(first, last or first, community)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    report = Reconciliation(community=community, first=first, last=last)
    by_day = {day.isoformat(): DayReport(day) for day in days}
    everyone: dict = {}
    per_day: dict = {iso: {} for iso in by_day}
    found = Payment.objects(community=community, received_on__in=list(by_day)).only(*Receipt.FIELDS, "amount",
                                                                                    "allocations").as_pymongo()
    for payment in sorted(map(Receipt, found), key=lambda r: (r.receipt_year or 0, r.receipt_seq or 0)):
        day = by_day[payment.received_on]
        if payment.void:
            day.voided.append(payment)
            continue
        day.payments.append(payment)
        day.totals.add(payment)
        report.totals.add(payment)
        key, name = cashier_of(payment)
        for cashiers in (per_day[payment.received_on], everyone):
            cashiers.setdefault(key, Cashier(key, name)).totals.add(payment)
    for iso, day in by_day.items():
        day.cashiers = sorted(per_day[iso].values(), key=lambda c: c.name)
        day.ranges = receipt_ranges(community, day.payments + day.voided, check_before=False)
    report.days = list(by_day.values())
    report.cashiers = sorted(everyone.values(), key=lambda c: c.name)
    report.ranges = receipt_ranges(community, [p for d in report.days for p in d.payments + d.voided],
                                   check_before=True)
    report.voided_later = voided_during(community, first, last)
    return report


def cashier_of(receipt) -> tuple[str, str]:
    staff = receipt.received_by
    key = str(getattr(staff, "id", staff) or "")
    return key, receipt.received_by_name or gettext("(unknown)")


def receipt_ranges(community, payments, check_before: bool) -> list[ReceiptRange]:
    """First and last receipt number per year of these payments, and the numbers missing between
    them; with `check_before`, the number just before the first must exist too (an earlier day's)."""
    by_year: dict = {}
    for payment in payments:
        by_year.setdefault(payment.receipt_year, set()).add(payment.receipt_seq)
    ranges = []
    for year in sorted(by_year):
        numbers = by_year[year]
        low, high = min(numbers), max(numbers)
        missing = [seq for seq in range(low, high + 1) if seq not in numbers]
        if check_before and low > 1 and not Payment.objects(
                receipt_no=receipt_number(community, year, low - 1)).only("id").first():
            missing.insert(0, low - 1)
        ranges.append(ReceiptRange(year, low, high, receipt_number(community, year, low),
                                   receipt_number(community, year, high), len(numbers),
                                   [receipt_number(community, year, seq) for seq in missing]))
    return ranges


def voided_during(community, first: date, last: date) -> list:
    """Receipts taken before `first` and voided between `first` and `last` (local days)."""
    zone = zone_of(community)
    start, end = start_of_local_day(first, zone), start_of_local_day(last + timedelta(days=1), zone)
    found = Payment.objects(community=community, void=True, voided_at__gte=start, voided_at__lt=end).only(
        *Receipt.FIELDS, "amount", "allocations").as_pymongo()
    return sorted((r for r in map(Receipt, found) if (r.received_on or "") < first.isoformat()),
                  key=lambda r: (r.receipt_year, r.receipt_seq))

"""Bills: one line per household x fee item x month, made by the monthly generation, and the
household's account (what it owes, since when) that the arrears list and the other areas read.

A line keeps what it was made with (quantity, rate, days billed, vacancy factor), so a later change
of rate or area never rewrites it. Its `key` is unique in the database: generating a month twice,
or two people generating it at once, creates each line once. What a line has been paid is derived
from the payments (documents/fees/payments.py) by `settle_household`, which any step may run again:
after a crash between a payment and its lines, the next look repairs them.
"""
import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from bson import ObjectId
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateField, DateTimeField, IntField, ReferenceField, StringField)
from mongoengine.errors import BulkWriteError, NotUniqueError

from app import clock
from documents import audit
from documents.base import CommunityOwned, DomainError
from documents.deadlines import local_date, zone_of
from documents.fees.items import FEE_KINDS, MONTHLY_BASES, FeeItem
from documents.money import CENT, ZERO, MoneyField, money_text, to_money
from documents.residents import Household
from documents.workflow import authorize_area

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SOURCES = [
    ("monthly", _l("Monthly bill")),
    ("apportioned", _l("Apportioned shared cost")),
    ("charge", _l("Charge")),
    ("repair", _l("Repair charge")),
    ("renovation", _l("Renovation fees")),
    ("opening", _l("Opening balance")),
]
#: the kinds billed at the vacancy rate while an approved vacancy runs (seed 003: 物业管理费及水电公摊费)
VACANCY_KINDS = ("property", "shared_utilities")
#: lines written to the store in one go by the monthly generation
INSERT_CHUNK = 1000

_billing_factors = []
_account_values = []
_account_listeners = []


def register_billing_factor(factor):
    """`factor(household, period) -> Decimal` applied to the VACANCY_KINDS lines of a month (the
    vacancy area registers one: 0.5 while an approved vacancy runs). Registering twice is harmless."""
    if factor not in _billing_factors:
        _billing_factors.append(factor)
    return factor


def billing_factor(household, period: str) -> Decimal:
    result = Decimal("1")
    for factor in _billing_factors:
        result *= Decimal(factor(household, period))
    return result


def register_account_values(hook):
    """`hook(household, oldest_due_on, now) -> dict` of more ``set__…`` / ``set_on_insert__…``
    values written with every write of an account (the dunning area's aging bucket)."""
    if hook not in _account_values:
        _account_values.append(hook)
    return hook


def register_account_listener(listener):
    """`listener(account, now)` after every write of an account (the dunning area stops a promise
    to pay once nothing due is unpaid)."""
    if listener not in _account_listeners:
        _account_listeners.append(listener)
    return listener


# --- periods ---

def parse_period(text) -> tuple[date, date]:
    """"2026-12" -> (first day, last day); a clear message for anything else."""
    match = PERIOD_RE.match((text or "").strip())
    if not match:
        raise DomainError(gettext("Give the month as YYYY-MM, e.g. 2026-12."), field="period")
    year, month = int(match.group(1)), int(match.group(2))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def today_in(community, now=None) -> date:
    return local_date(now or clock.now(), zone_of(community))


def require_not_future(period: str, community, now=None):
    first, _ = parse_period(period)
    if period_of(first) > period_of(today_in(community, now)):
        raise DomainError(gettext("%(period)s has not begun yet: bills are made for this month or earlier.",
                                  period=period), field="period")


# --- documents ---

class BillLine(CommunityOwned):
    key = StringField(required=True, unique=True)
    household = ReferenceField(Household, required=True, verbose_name=_l("Household"))
    household_name = StringField(verbose_name=_l("Household"))
    room_code = StringField(verbose_name=_l("Room"))
    building_no = StringField(verbose_name=_l("Building no."))
    sort_key = StringField()
    item = ReferenceField(FeeItem, required=True, verbose_name=_l("Fee item"))
    item_name = StringField(verbose_name=_l("Fee item"))
    item_name_en = StringField()
    kind = StringField(choices=FEE_KINDS, verbose_name=_l("Kind"))
    period = StringField(verbose_name=_l("Month"))
    # what the line was made with (area or spaces: two places like money, never a float)
    quantity = MoneyField(verbose_name=_l("Quantity"))
    rate = MoneyField(verbose_name=_l("Rate"))
    days = IntField(verbose_name=_l("Days billed"))
    month_days = IntField()
    factor = StringField(verbose_name=_l("Vacancy factor"))
    amount = MoneyField(required=True, verbose_name=_l("Amount"))
    paid = MoneyField(default=ZERO, verbose_name=_l("Paid"))
    #: paid on another area's receipt (the renovation fees), not through a payment here
    paid_elsewhere = MoneyField(default=ZERO, verbose_name=_l("Paid on another receipt"))
    settled = BooleanField(default=False, verbose_name=_l("Settled"))
    due_on = DateField(verbose_name=_l("Due on"))
    source = StringField(choices=SOURCES, default="monthly", verbose_name=_l("Source"))
    source_id = StringField()
    note = StringField(max_length=200, verbose_name=_l("Note"))
    created_at = DateTimeField(verbose_name=_l("Created"))
    created_by_name = StringField(verbose_name=_l("Created by"))

    meta = {"collection": "bill_lines",
            "indexes": [("community", "period"), ("household", "settled"), ("community", "settled"),
                        ("community", "item"), ("community", "source"), "due_on", "sort_key"],
            "ordering": ["due_on", "sort_key"]}

    def __str__(self):
        return f"{self.room_code or ''} {self.period or ''} {self.item_label()}".strip()

    def item_label(self) -> str:
        from documents.bilingual import current_language, pick
        return pick(self.item_name, self.item_name_en, current_language())

    @property
    def owed(self) -> Decimal:
        return max(ZERO, to_money(self.amount) - (to_money(self.paid) or ZERO))

    def basis_text(self) -> str:
        """How the amount was reached, e.g. "89.50 × 1.85 · 18/31 days · 50 %"."""
        parts = []
        if self.quantity is not None and self.rate is not None:
            parts.append(f"{money_text(self.quantity)} × {money_text(self.rate)}")
        if self.days and self.month_days and self.days != self.month_days:
            parts.append(gettext("%(days)s/%(month_days)s days", days=self.days, month_days=self.month_days))
        if self.factor and Decimal(self.factor) != 1:
            parts.append(f"{Decimal(self.factor) * 100:.0f} %")
        return " · ".join(parts)


class Account(CommunityOwned):
    """One household's balance, kept by `settle_household` for the lists (arrears, dunning)."""
    household = ReferenceField(Household, required=True, unique=True, verbose_name=_l("Household"))
    household_name = StringField(verbose_name=_l("Household"))
    room_code = StringField(verbose_name=_l("Room"))
    building_no = StringField(verbose_name=_l("Building no."))
    sort_key = StringField()
    owed = MoneyField(default=ZERO, verbose_name=_l("Owed"))
    #: the same in fen: money cannot be range-queried or sorted on the embedded stores
    owed_fen = IntField(default=0)
    #: something is owed
    owing = BooleanField(default=False)
    #: the same as a string, OWING or CLEAR, for the accounts list and its filter: the embedded store
    #: answers a string equality, and a page of it in room order, from its index tables alone (a
    #: boolean is keyed like the number 1, so `owing=True` made it read and sort every account that owes)
    standing = StringField()
    open_lines = IntField(default=0, verbose_name=_l("Unpaid lines"))
    oldest_due_on = DateField(verbose_name=_l("Oldest unpaid since"))
    last_payment_at = DateTimeField(verbose_name=_l("Last payment"))
    settled_at = DateTimeField()
    # kept by the dunning area (documents/fees/dunning.py) for the arrears list: strings, so that
    # every store answers its filters from an index by equality
    aging = StringField(verbose_name=_l("Aging"))
    contact_age = StringField()
    last_contact_at = DateTimeField(verbose_name=_l("Last contact"))
    last_contact_method = StringField(verbose_name=_l("Contact method"))
    last_contact_by_name = StringField(verbose_name=_l("Contacted by"))
    promised_on = DateField(verbose_name=_l("Promised payment date"))

    meta = {"collection": "fee_accounts",
            "indexes": [("community", "owed_fen"), ("community", "building_no"), "oldest_due_on", "sort_key",
                        ("community", "standing", "sort_key"),
                        ("community", "aging"), ("community", "contact_age")],
            "ordering": ["sort_key"]}

    def __str__(self):
        return f"{self.room_code or ''} {self.household_name or ''}".strip()


#: Account.standing
OWING, CLEAR = "owing", "clear"
_standing_filled = False


def fill_standing() -> int:
    """Accounts written before `standing` existed get it from what they owe: once per process, before
    the accounts list first asks by it (every write of an account sets it). Returns how many were set."""
    global _standing_filled
    if _standing_filled:
        return 0
    written = 0
    for account in Account.objects(standing=None).only("owed_fen"):
        Account.objects(pk=account.pk, standing=None).update_one(
            set__standing=OWING if (account.owed_fen or 0) > 0 else CLEAR)
        written += 1
    _standing_filled = True
    return written


def household_fields(household) -> dict:
    return {"household": household, "household_name": household.name, "room_code": household.room_code,
            "building_no": household.building_no, "sort_key": household.sort_key}


# --- what a household has paid, derived from the payments ---

def settle_household(household, now=None) -> Account:
    """Set every line's `paid` from the payments that are not void, and the account from the lines.

    Safe to run at any time and again: it only writes what differs from what it derives."""
    from documents.fees.payments import Payment
    paid_by_line: dict = {}
    last_payment = None
    for payment in Payment.objects(household=household, void=False).only("allocations", "received_at"):
        last_payment = max(filter(None, [last_payment, payment.received_at]), default=None)
        for allocation in payment.allocations:
            line_id = allocation.line.pk if hasattr(allocation.line, "pk") else allocation.line
            paid_by_line[line_id] = paid_by_line.get(line_id, ZERO) + to_money(allocation.amount)
    owed, open_lines, oldest = ZERO, 0, None
    for line in BillLine.objects(household=household).only("amount", "paid", "paid_elsewhere", "settled",
                                                          "due_on"):
        paid = paid_by_line.get(line.pk, ZERO) + (to_money(line.paid_elsewhere) or ZERO)
        settled = paid >= to_money(line.amount)
        if paid != to_money(line.paid) or settled != bool(line.settled):
            BillLine.objects(pk=line.pk).update_one(set__paid=paid, set__settled=settled)
        if not settled:
            owed += to_money(line.amount) - paid
            open_lines += 1
            if line.due_on and (oldest is None or line.due_on < oldest):
                oldest = line.due_on
    return _write_account(household, owed, open_lines, oldest, last_payment, now)


def _write_account(household, owed, open_lines, oldest, last_payment=None, now=None,
                   read_back: bool = True) -> Account | None:
    values = {f"set__{k}": v for k, v in household_fields(household).items()}
    values.update(set__community=household._data.get("community"), set__owed=owed, set__owed_fen=int(owed * 100),
                  set__owing=owed > 0, set__standing=OWING if owed > 0 else CLEAR,
                  set__open_lines=open_lines, set__oldest_due_on=oldest, set__settled_at=now or clock.now())
    if last_payment is not None:
        values["set__last_payment_at"] = last_payment
    for hook in _account_values:
        values.update(hook(household, oldest, now or clock.now()) or {})
    Account.objects(household=household).update_one(upsert=True, **values)
    if not read_back and not _account_listeners:
        return None
    account = Account.objects(household=household).first()
    for listener in _account_listeners:
        listener(account, now or clock.now())
    return account if read_back else None


def _refresh_accounts_from_lines(community, household_ids, now=None):
    """After new unpaid lines (the monthly generation): the accounts of these households from their
    unpaid lines, read in one query as raw documents (building a document per line, or following
    its household reference, costs more than the sums), the households in one query of the
    community (an `$in` of thousands of ids is slow on the embedded stores)."""
    wanted = set(household_ids)
    owed, counts, oldest = {}, {}, {}
    for raw in BillLine.objects(community=community, settled=False).only(
            "household", "amount", "paid", "due_on").as_pymongo():
        hid = raw.get("household")
        if hid not in wanted:
            continue
        left = max(ZERO, to_money(raw.get("amount")) - (to_money(raw.get("paid")) or ZERO))
        owed[hid] = owed.get(hid, ZERO) + left
        counts[hid] = counts.get(hid, 0) + 1
        due = raw.get("due_on")
        due = due.date() if hasattr(due, "date") else due
        if due and (hid not in oldest or due < oldest[hid]):
            oldest[hid] = due
    for household in Household.objects(community=community).only("name", "room_code", "building_no", "sort_key",
                                                                  "community"):
        if household.pk in wanted:
            _write_account(household, owed.get(household.pk, ZERO), counts.get(household.pk, 0),
                           oldest.get(household.pk), now=now, read_back=False)


# --- what is owed, for the other areas ---

@dataclass
class Settlement:
    settled: bool
    owed: Decimal                 # due by the day asked about and unpaid
    not_yet_due: Decimal          # billed, unpaid, due later
    lines: list = field(default_factory=list)

    def message(self) -> str:
        if self.settled:
            return gettext("Fees settled.")
        return gettext("%(amount)s yuan of fees are due and unpaid.", amount=money_text(self.owed))


def fees_settled(household, on: date | None = None) -> Settlement:
    """Are this household's fees settled on `on` (the community's today)? Everything due by then
    must be paid; a bill not yet due does not count against it."""
    settle_household(household)
    on = on or today_in(household.community)
    due, later, lines = ZERO, ZERO, []
    for line in BillLine.objects(household=household, settled=False).order_by("due_on"):
        if line.due_on is None or line.due_on <= on:
            due += line.owed
            lines.append(line)
        else:
            later += line.owed
    return Settlement(due == ZERO, due, later, lines)


# --- making lines ---

@dataclass
class GenerationReport:
    period: str
    created: int = 0
    existing: int = 0
    households: int = 0
    without_rate: list = field(default_factory=list)     # item names without a rate for the month
    without_area: int = 0                                 # rooms without an area (no area-based line)


def billed_days(household, first: date, last: date) -> int:
    """Days of the month the household lived there (a move-in or move-out inside it: pro rata)."""
    start = max(first, household.move_in_date or first)
    end = min(last, household.move_out_date or last)
    return max(0, (end - start).days + 1)


def line_amount(quantity, rate, days: int, month_days: int, factor: Decimal) -> Decimal:
    """quantity x rate x days/month days x factor, rounded half up to the fen - once, at the end."""
    exact = Decimal(quantity) * Decimal(rate) * Decimal(days) / Decimal(month_days) * factor
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def quantity_for(item, household, room) -> Decimal | None:
    if item.basis == "area":
        return to_money(room.area) if room is not None and room.area is not None else None
    if item.basis == "space":
        spaces = {(v.parking_space or "").strip() for v in household.vehicles or [] if (v.parking_space or "").strip()}
        return Decimal(len(spaces))
    return Decimal("1")


def living_households(community, first: date, last: date, building_no: str | None = None):
    """(household, room, days lived there) of every household billed for the month [first, last]."""
    from documents.places import Room
    rooms = {r.pk: r for r in Room.objects(community=community).only("area", "use")}
    households = Household.objects(community=community, status__in=["current", "moved_out"])
    if building_no:
        households = households.filter(building_no=building_no)
    for household in households.only("name", "room", "room_code", "building_no", "sort_key", "vehicles",
                                     "move_in_date", "move_out_date", "status", "community"):
        days = billed_days(household, first, last)
        if days == 0 or (household.status == "moved_out" and not household.move_out_date):
            continue
        # the raw reference: following it would read the room once per household (and a query made
        # with no_dereference() copies every field definition per document in mongoengine 0.29)
        raw_room = household._data.get("room")
        yield household, rooms.get(getattr(raw_room, "id", raw_room)), days


@dataclass
class _Month:
    """What the generation of one month knows while it goes through the households."""
    community: object
    period: str
    first: date
    last: date
    report: GenerationReport
    now: object
    created_by: str
    existing: set

    @property
    def month_days(self) -> int:
        return (self.last - self.first).days + 1

    def lines_of(self, household, room, days: int, items) -> list:
        """The household's new lines of the month (none for a line that exists or has no rate)."""
        lines, factor = [], None
        for item in items:
            key = f"{household.pk}:{item.pk}:{self.period}"
            if key in self.existing:
                self.report.existing += 1
                continue
            rate = item.rate_on(self.first, getattr(room, "use", None))
            if rate is None:
                if item.name() not in self.report.without_rate:
                    self.report.without_rate.append(item.name())
                continue
            quantity = quantity_for(item, household, room)
            if quantity is None:
                self.report.without_area += 1
                continue
            line_factor = Decimal("1")
            if item.kind in VACANCY_KINDS:
                factor = billing_factor(household, self.period) if factor is None else factor
                line_factor = factor
            amount = line_amount(quantity, rate, days, self.month_days, line_factor)
            if amount > 0:
                lines.append(self.line(household, item, key, quantity, rate, days, line_factor, amount))
        return lines

    def line(self, household, item, key, quantity, rate, days, factor, amount) -> BillLine:
        return BillLine(
            community=self.community.pk, key=key, household=household.pk, household_name=household.name,
            room_code=household.room_code, building_no=household.building_no, sort_key=household.sort_key,
            item=item.pk, item_name=item.name_zh, item_name_en=item.name_en, kind=item.kind, period=self.period,
            quantity=quantity, rate=rate, days=days, month_days=self.month_days, factor=str(factor),
            amount=amount, paid=ZERO, paid_elsewhere=ZERO, settled=False,
            due_on=self.first.replace(day=min(item.due_day or 1, self.month_days)), source="monthly",
            created_at=self.now, created_by_name=self.created_by)


def generate_bills(community, period: str, actor=None, now=None) -> GenerationReport:
    """The month's lines of every monthly item for every household living there that month.

    Idempotent: a line that exists (same household, item and month) is left as it is; two runs at
    once create each line once (unique key). `actor` None: the command line or the scheduler."""
    if actor is not None:
        authorize_area("fees", "action:generate_bills", actor, community, label=_l("Generate bills"))
    now = now or clock.now()
    first, last = parse_period(period)
    period = period_of(first)
    require_not_future(period, community, now)
    month = _Month(community, period, first, last, report=GenerationReport(period), now=now,
                   created_by=getattr(actor, "display_name", None) or "system",
                   existing=set(BillLine.objects(community=community, period=period).scalar("key")))
    report = month.report
    items = list(FeeItem.objects(community=community, active=True, basis__in=list(MONTHLY_BASES)))
    new_lines, touched = [], set()
    for household, room, days in living_households(community, first, last):
        report.households += 1
        lines = month.lines_of(household, room, days, items)
        if lines:
            new_lines += lines
            touched.add(household.pk)
    report.created = _insert_new(new_lines)
    report.existing += len(new_lines) - report.created
    for item in items:
        if not item.billed_through or item.billed_through < period:
            FeeItem.objects(pk=item.pk).update_one(set__billed_through=period)
    _refresh_accounts_from_lines(community, touched, now)
    audit.record_event("generate_bills", "bill_lines", period, gettext("Bills of %(period)s", period=period),
                       note=gettext("%(created)s lines created, %(existing)s already there",
                                    created=report.created, existing=report.existing),
                       community=community, actor=actor)
    return report


def _insert_new(lines) -> int:
    """Insert lines in chunks; a chunk someone else partly wrote meanwhile goes one by one."""
    created = 0
    for start in range(0, len(lines), INSERT_CHUNK):
        chunk = lines[start:start + INSERT_CHUNK]
        try:
            BillLine.objects.insert(chunk, load_bulk=False)
            created += len(chunk)
        except (NotUniqueError, BulkWriteError):
            for line in chunk:
                if BillLine.objects(key=line.key).first() is not None:
                    continue
                try:
                    line.pk = None
                    line.save(force_insert=True)
                    created += 1
                except NotUniqueError:
                    pass
    return created


def ensure_item(community, kind: str) -> FeeItem:
    """The community's case-by-case item of a kind (repair charges, renovation fees), made once."""
    item = FeeItem.objects(community=community, kind=kind, basis="one_off").first()
    if item is None:
        label = dict(FEE_KINDS)[kind]
        from flask_babel import force_locale
        with force_locale("zh_Hans_CN"):
            name_zh = str(label)
        with force_locale("en"):
            name_en = str(label)
        try:
            item = FeeItem(community=community, code=kind.upper()[:20], name_zh=name_zh, name_en=name_en,
                           kind=kind, basis="one_off", active=True)
            item.save()
        except NotUniqueError:
            item = FeeItem.objects(community=community, code=kind.upper()[:20]).first()
    return item


def charge(household, item, amount, actor=None, note: str = "", period: str | None = None,
           source: str = "charge", source_id: str | None = None, due_on: date | None = None,
           paid_elsewhere=None) -> BillLine:
    """One line charged case by case (a special service, rent, a repair, the renovation fees).

    With a `source_id` the line is made once for that record (a second call returns it)."""
    if actor is not None:
        authorize_area("fees", "action:charge", actor, household.community, label=_l("Add a charge"))
    amount = to_money(amount)
    if amount is None or amount <= 0:
        raise DomainError(gettext("Enter an amount above zero."), field="amount")
    today = today_in(household.community)
    if period:
        require_not_future(period, household.community)
    key = f"{source}:{source_id}" if source_id else f"{source}:{ObjectId()}"
    line = BillLine.objects(key=key).first()
    if line is not None:
        return line
    line = BillLine(community=household.community, key=key, **household_fields(household), item=item,
                    item_name=item.name_zh, item_name_en=item.name_en, kind=item.kind,
                    period=period or period_of(today), amount=amount, paid=ZERO,
                    paid_elsewhere=to_money(paid_elsewhere) or ZERO, settled=False, due_on=due_on or today,
                    source=source, source_id=source_id, note=(note or "").strip()[:200] or None,
                    created_at=clock.now(), created_by_name=getattr(actor, "display_name", None) or "system")
    try:
        line.save(force_insert=True)
    except NotUniqueError:
        return BillLine.objects(key=key).first()
    audit.record("charge", line, note=money_text(amount), actor=actor)
    settle_household(household)
    return line


# --- a month's shared water and electricity, apportioned by floor area ---

@dataclass
class Apportionment:
    period: str
    total: Decimal
    households: int = 0
    area: Decimal = ZERO
    created: int = 0
    billed: Decimal = ZERO          # after the vacancy factor: what the households are charged


def shares_by_weight(total: Decimal, weights: list) -> list[Decimal]:
    """`total` split in proportion to `weights`, in fen, adding up to `total` exactly: every share
    rounded down, the fen left over go one each to the largest remainders (ties: the first)."""
    fen, whole = int(total * 100), sum(weights)
    if not weights or whole <= 0:
        return [ZERO for _ in weights]
    exact = [Decimal(fen) * Decimal(w) / Decimal(whole) for w in weights]
    floors = [int(e) for e in exact]
    left = fen - sum(floors)
    for i in sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))[:left]:
        floors[i] += 1
    return [Decimal(f) / 100 for f in floors]


def apportion(community, item, period: str, total, actor=None, building_no: str | None = None,
              now=None) -> Apportionment:
    """Share a month's shared water and electricity (an item charged "apportioned") among the
    households living there that month (one building's, or the community's), by floor area times
    the days lived there; the vacancy factor then applies to each share (seed 003: 水电公摊费 50 %).
    Once per item, month and scope: a second run is refused with what the first one made."""
    if actor is not None:
        authorize_area("fees", "action:generate_bills", actor, community, label=_l("Apportion a shared cost"))
    total = _apportioned_total(community, item, total)
    now = now or clock.now()
    first, last = parse_period(period)
    period = period_of(first)
    require_not_future(period, community, now)
    building_no = (building_no or "").strip().upper() or None
    scope = f"{period}:{building_no or '*'}"
    done = BillLine.objects(community=community, item=item, period=period, source="apportioned")
    if building_no:
        done = done.filter(building_no=building_no)
    if done.count():
        raise DomainError(gettext("%(item)s of %(period)s is already apportioned (%(n)s lines).",
                                  item=item.name(), period=period, n=done.count()), field="period")
    living = [(h, r, d) for h, r, d in living_households(community, first, last, building_no)
              if r is not None and r.area]
    if not living:
        raise DomainError(gettext("No household with a room area lived there in %(period)s.", period=period),
                          field="period")
    month_days = (last - first).days + 1
    weights = [to_money(room.area) * days for _, room, days in living]
    result = Apportionment(period, total, households=len(living), area=sum(to_money(r.area) for _, r, _ in living))
    lines = []
    for (household, room, days), share in zip(living, shares_by_weight(total, weights)):
        factor = billing_factor(household, period)
        amount = (share * factor).quantize(CENT, rounding=ROUND_HALF_UP)
        if amount > 0:
            result.billed += amount
            lines.append(_share_line(community, item, period, first, month_days, household, room, days, factor,
                                     amount, total, scope, now, actor))
    result.created = _insert_new(lines)
    _refresh_accounts_from_lines(community, {household.pk for household, _, _ in living}, now)
    audit.record_event("apportion", "bill_lines", scope, gettext("%(item)s of %(period)s apportioned",
                                                                 item=item.name(), period=period),
                       note=gettext("%(total)s over %(n)s households", total=money_text(total), n=result.households),
                       community=community, actor=actor)
    return result


def _apportioned_total(community, item, total) -> Decimal:
    if item is None or item.basis != "apportioned" or item.community.pk != community.pk:
        raise DomainError(gettext("Choose an item of this community charged by apportionment."), field="item")
    try:
        total = to_money(total)
    except DomainError:
        raise DomainError(gettext("Enter the amount as a number, e.g. 1280.50."), field="total") from None
    if total is None or total <= 0:
        raise DomainError(gettext("Enter an amount above zero."), field="total")
    return total


def _share_line(community, item, period, first, month_days, household, room, days, factor, amount, total, scope,
                now, actor) -> BillLine:
    return BillLine(
        community=community.pk, key=f"{household.pk}:{item.pk}:{period}", household=household.pk,
        household_name=household.name, room_code=household.room_code, building_no=household.building_no,
        sort_key=household.sort_key, item=item.pk, item_name=item.name_zh, item_name_en=item.name_en,
        kind=item.kind, period=period, quantity=to_money(room.area), days=days, month_days=month_days,
        factor=str(factor), amount=amount, paid=ZERO, paid_elsewhere=ZERO, settled=False,
        due_on=first.replace(day=min(item.due_day or 1, month_days)), source="apportioned", source_id=scope,
        note=gettext("share of %(total)s by floor area", total=money_text(total)),
        created_at=now, created_by_name=getattr(actor, "display_name", None) or "system")

"""Arrears and dunning (欠费与催缴; seeds 001/002: 通过上门、电话或邮件等方式对物业费及有关费用进行催缴).

**The arrears list** reads the households' accounts (`ledger.Account`): a household is in arrears
when a line of its account is unpaid after its due date, that is when the oldest unpaid line fell
due before the community's today. How long it has been in arrears is an aging bucket counted in days
from that oldest unpaid due date (`AGING_LIMITS`: up to 30, 31–60, 61–90, over 90 days).

Why an `aging` field on the account, kept by the sweeper, and not a range on `oldest_due_on`:
the list must answer at 12 months x 5,000 households within 150 ms on the embedded store, which
answers equalities and `$in` on strings from its on-disk indexes (counts in SQL, a sorted page read
from the sort index), while a range on a date is checked document by document over the whole
community. So the bucket is a string on the account, an indexed equality like the building; it is
written with every write of an account (`ledger.register_account_values`: a bill, a payment, a void),
and once a day the agenda's sweeper moves the accounts whose days crossed a limit since
(`refresh_aging`, a sweep task that runs at the first sweep of each community's day). The other
option, turning a bucket into the set of due dates it covers, gives an unbounded set for "over 90
days" (any charge may fall due on any day, opening balances years back) and still needs a string
copy of the date to be exact. The same holds for "last contact": `contact_age` is "never" or a bucket
of days since the last contact (`CONTACT_LIMITS`), kept by each contact and by the same daily pass.

**Dunning records** (催缴记录): one per contact - method, who, when (not in the future, not before
the arrears began), what the resident said, a promised payment date (today or later) and the next
step. A housekeeper records for the buildings they look after only (`Staff.buildings`); a cashier
or manager for the whole community. A promise runs a clock on the agenda (`PROMISE_CLOCK`) until
the end of the promised day: answered for by the building's housekeeper (else the community's
cashiers). When the date passes with the debt unpaid, the sweeper breaches it and it shows in "My
work" as overdue. The account leaving the arrears list (nothing unpaid that is past due) keeps the
promise: the clock stops, met when that happened by the promised day (a late payment leaves the
breach on record). A later contact with a new promise replaces the running one (cancelled); a
contact after a broken promise follows it up (its overdue clock stops).

**The dunning letter** (催缴通知单): `letter_for(household)`: the unpaid lines due by the pay-by
date, by month and item, their total in figures and in capitals.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from bson import ObjectId
from flask_babel import gettext, lazy_gettext as _l, lazy_pgettext
from mongoengine import DateField, DateTimeField, ReferenceField, StringField
from mongoengine.errors import NotUniqueError

from app import clock
from app.permissions import PERMISSIONS
from documents import audit, timeline
from documents.agenda import ClockKind, Lease, declare_clocks, register_sweep_task
from documents.base import CommunityOwned, DomainError, PermissionDenied, Versioned, sees_community
from documents.deadlines import end_of_local_day, local_date, local_text, start_of_local_day, zone_of
from documents.fees.ledger import (Account, BillLine, household_fields, register_account_listener,
                                   register_account_values, settle_household)
from documents.money import ZERO, MoneyField, money_text, rmb_upper
from documents.services import CLOCK_SKEW, not_before_text, to_the_minute
from documents.workflow import Workflowed, authorize_area

AREA = "fees"
RIGHT = "action:dunning"

# --- aging: days since the oldest unpaid due date ---

#: the upper limits (days) of the aging buckets but the last: up to 30, 31–60, 61–90, over 90 (issue 9)
AGING_LIMITS = (30, 60, 90)
#: an account with nothing unpaid past its due date
NOT_DUE = "none"
#: the last contact: never, or a bucket of days since it (the list's "no contact for more than N days")
CONTACT_LIMITS = (7, 30)
NEVER = "never"


def _buckets(limits, first: int = 1) -> list[tuple[str, int, int | None]]:
    """(code, first day, last day or None) of each bucket: "1-30", "31-60", "61-90", "91+"."""
    buckets, low = [], first
    for high in limits:
        buckets.append((f"{low}-{high}", low, high))
        low = high + 1
    buckets.append((f"{low}+", low, None))
    return buckets


def _labels(buckets) -> list[tuple[str, object]]:
    labels = []
    for code, low, high in buckets:
        if high is None:
            labels.append((code, _l("over %(days)s days", days=low - 1)))
        elif low <= 1:
            labels.append((code, _l("up to %(days)s days", days=high)))
        else:
            labels.append((code, _l("%(low)s–%(high)s days", low=low, high=high)))
    return labels


AGING_BUCKETS = _buckets(AGING_LIMITS)
AGING = _labels(AGING_BUCKETS)
IN_ARREARS = tuple(code for code, _label in AGING)
CONTACT_BUCKETS = _buckets(CONTACT_LIMITS, first=0)
#: the list's last-contact filter: never, or no contact for more than N days (never included)
CONTACT_FILTERS = [(NEVER, _l("never contacted"))] + [
    (str(limit), _l("no contact for more than %(days)s days", days=limit)) for limit in CONTACT_LIMITS]


def _bucket_of(buckets, days: int) -> str:
    for code, _low, high in buckets:
        if high is None or days <= high:
            return code
    return buckets[-1][0]


def aging_of(oldest_due_on: date | None, today: date) -> str:
    """The account's aging bucket on `today`: NOT_DUE unless a line fell due before today."""
    if oldest_due_on is None:
        return NOT_DUE
    if isinstance(oldest_due_on, datetime):
        oldest_due_on = oldest_due_on.date()
    days = (today - oldest_due_on).days
    return NOT_DUE if days < 1 else _bucket_of(AGING_BUCKETS, days)


def aging_label(code: str | None) -> str:
    return str(dict(AGING).get(code, "")) if code in IN_ARREARS else ""


def contact_age_of(last_contact_at: datetime | None, today: date, zone) -> str:
    """NEVER, or the bucket of days between the last contact's local day and `today` (0-7, 8-30, 31+)."""
    if last_contact_at is None:
        return NEVER
    return _bucket_of(CONTACT_BUCKETS, max(0, (today - local_date(last_contact_at, zone)).days))


def contact_ages_for(choice: str) -> list[str] | None:
    """The `contact_age` values the list's last-contact filter keeps (None: no such filter)."""
    if choice == NEVER:
        return [NEVER]
    if choice.isdigit() and int(choice) in CONTACT_LIMITS:
        return [NEVER] + [code for code, low, _high in CONTACT_BUCKETS if low > int(choice)]
    return None


def _zone(community):
    """The zone of a community given as a document or only a reference (a bill run's households)."""
    if getattr(community, "timezone", None) is None and community is not None:
        from documents.places import Community
        community = Community.objects(pk=getattr(community, "pk", None) or getattr(community, "id", community)) \
            .only("timezone").first()
    return zone_of(community)


def _account_values(household, oldest_due_on, now) -> dict:
    """Written with every account: its aging on the community's today; "never" for a new account."""
    return {"set__aging": aging_of(oldest_due_on, local_date(now, _zone(household.community))),
            "set_on_insert__contact_age": NEVER}


register_account_values(_account_values)


# --- who may see and dun which household ---

def own_buildings(user, right: str = "list") -> list | None:
    """The buildings a housekeeper dunning through that role alone works on (Staff.buildings);
    None for a cashier, manager or anyone else whose rights cover the whole community."""
    granting = [role for role in getattr(user, "roles", None) or [] if right in PERMISSIONS[AREA].get(role, set())]
    if granting and all(role == "housekeeper" for role in granting):
        return list(getattr(user, "buildings", None) or [])
    return None


def may_see(user, household) -> bool:
    buildings = own_buildings(user)
    return sees_community(user, household.community) and (buildings is None or household.building_no in buildings)


def _check_building(user, household):
    buildings = own_buildings(user, RIGHT)
    if buildings is not None and household.building_no not in buildings:
        raise PermissionDenied(gettext(
            "Building %(no)s is not one of the buildings you look after: its arrears are dunned by its "
            "own housekeeper or the cashier.", no=household.building_no or "—"), field="household")


# --- the dunning record ---

METHODS = [
    ("visit", lazy_pgettext("dunning method", "Visit")),
    ("phone", lazy_pgettext("dunning method", "Phone")),
    ("letter", lazy_pgettext("dunning method", "Letter")),
    ("email", lazy_pgettext("dunning method", "E-mail")),
    ("sms", lazy_pgettext("dunning method", "SMS")),
    ("wechat", lazy_pgettext("dunning method", "WeChat")),
]
#: the methods in which the resident answers there and then: what they said is written down
SPOKEN = ("visit", "phone")
STATES = [
    ("noted", _l("Recorded")),
    ("promised", _l("Payment promised")),
    ("paid", _l("Arrears paid")),
    ("followed_up", _l("Broken promise followed up")),
    ("withdrawn", _l("Replaced by a new promise")),     # a cancelling state: its clock stops as cancelled
]


class DunningRecord(CommunityOwned, Versioned, Workflowed):
    """One dunning contact with a household (催缴记录)."""
    household = ReferenceField("Household", required=True, verbose_name=_l("Household"))
    household_name = StringField(verbose_name=_l("Household"))
    room_code = StringField(verbose_name=_l("Room"))
    building_no = StringField(verbose_name=_l("Building no."))
    sort_key = StringField()
    method = StringField(required=True, choices=METHODS, verbose_name=_l("Contact method"))
    contacted_at = DateTimeField(required=True, verbose_name=_l("Contacted at"))
    contacted_by = ReferenceField("Staff", verbose_name=_l("Contacted by"))
    contacted_by_name = StringField(max_length=60, verbose_name=_l("Contacted by"))
    resident_said = StringField(max_length=2000, verbose_name=_l("What the resident said"))
    promised_on = DateField(verbose_name=_l("Promised payment date"))
    promise_due_at = DateTimeField(verbose_name=_l("Promise due"))
    next_step = StringField(max_length=500, verbose_name=_l("Next step"))
    owed = MoneyField(verbose_name=_l("Owed at the contact"))
    oldest_due_on = DateField(verbose_name=_l("Oldest unpaid since"))
    aging = StringField(verbose_name=_l("Aging"))
    state = StringField(choices=STATES, default="noted", verbose_name=_l("State"))
    paid_at = DateTimeField(verbose_name=_l("Arrears paid at"))
    submission_key = StringField(max_length=64)
    created_at = DateTimeField()

    meta = {"collection": "dunning_records",
            "indexes": [("household", "-contacted_at"), ("community", "-contacted_at"), ("household", "state"),
                        {"fields": ["submission_key"], "unique": True, "sparse": True}],
            "ordering": ["-contacted_at"]}

    def __str__(self):
        return f"{self.room_code or ''} {self.method_label()} {local_text(self.contacted_at, self.community, '%Y-%m-%d')}" \
            .strip()

    def method_label(self) -> str:
        return str(dict(METHODS).get(self.method, self.method or ""))


def _promise_responsible(record):
    """The housekeeper of the record's building (none: the community's cashiers answer for it)."""
    from documents.renovations.file import housekeeper_of
    return housekeeper_of(record)


PROMISE_CLOCK, = declare_clocks(DunningRecord, [
    ClockKind("dunning_promise", _l("Promised payment of arrears"), ("promised",), "promise_due_at",
              done_field="paid_at", role="cashier", responsible=_promise_responsible),
], area=AREA, endpoint="arrears.record")

audit.register_action_labels({
    "dunning": _l("Dunning contact recorded"), "promise_paid": _l("Promise kept: arrears paid"),
    "promise_followed_up": _l("Broken promise followed up"), "promise_replaced": _l("Promise replaced"),
}, area=AREA, collections=["dunning_records"])


@dataclass
class Contact:
    """What the contact form says (times as naive UTC, dates as the community's days)."""
    method: str = ""
    contacted_at: datetime | None = None
    resident_said: str = ""
    promised_on: date | None = None
    next_step: str = ""


def arrears_began(account) -> datetime | None:
    """The first moment of arrears: the local day after the oldest unpaid due date (naive UTC)."""
    if account is None or account.oldest_due_on is None:
        return None
    due = account.oldest_due_on.date() if isinstance(account.oldest_due_on, datetime) else account.oldest_due_on
    return start_of_local_day(due + timedelta(days=1), _zone(account.community))


def check_contact(household, account, contact: Contact, now=None) -> list[tuple[str, str]]:
    """Every problem of the form at once, as (field, message); nothing when it can be recorded."""
    now = now or clock.now()
    today = local_date(now, _zone(household.community))
    problems = []
    if contact.method not in dict(METHODS):
        problems.append(("method", gettext("Choose how the household was contacted.")))
    began = arrears_began(account)
    if contact.contacted_at is None:
        problems.append(("contacted_at", gettext("Enter when the household was contacted.")))
    elif contact.contacted_at > now + CLOCK_SKEW:
        problems.append(("contacted_at", gettext("This time is in the future.")))
    elif began is not None and contact.contacted_at < to_the_minute(began):
        problems.append(("contacted_at", gettext(
            "The arrears began on %(day)s (the day after the oldest unpaid bill fell due): a contact about "
            "them is dated %(time)s or later.", day=local_text(began, household.community, "%Y-%m-%d"),
            time=not_before_text(began, household.community))))
    if contact.method in SPOKEN and not (contact.resident_said or "").strip():
        problems.append(("resident_said", gettext("Write down what the resident said.")))
    if contact.promised_on is not None and contact.promised_on < today:
        problems.append(("promised_on", gettext(
            "The promised date %(day)s has passed: a promise to pay is for today (%(today)s) or later.",
            day=contact.promised_on.isoformat(), today=today.isoformat())))
    return problems


def record_contact(household, actor, contact: Contact, submission_key: str | None = None, now=None) -> DunningRecord:
    """Record one dunning contact (see the module's docstring); the same form sent twice is stored
    once (its submission key) and answers with the record stored the first time."""
    authorize_area(AREA, RIGHT, actor, household.community, label=_l("Record a dunning contact"))
    _check_building(actor, household)
    key = (submission_key or "").strip()[:64] or None
    if key and (done := DunningRecord.objects(submission_key=key).first()) is not None:
        return done
    now = now or clock.now()
    account = settle_household(household, now)
    if account.aging not in IN_ARREARS:
        raise DomainError(gettext("%(room)s has no arrears: nothing unpaid is past its due date.",
                                  room=household.room_code or household.name), field="household")
    problems = check_contact(household, account, contact, now)
    if problems:
        raise DomainError(problems[0][1], field=problems[0][0])
    zone = _zone(household.community)
    record = DunningRecord(
        id=ObjectId(), community=household.community, **household_fields(household), method=contact.method,
        contacted_at=contact.contacted_at, contacted_by=actor, contacted_by_name=getattr(actor, "display_name", None),
        resident_said=(contact.resident_said or "").strip()[:2000] or None, promised_on=contact.promised_on,
        promise_due_at=end_of_local_day(contact.promised_on, zone) if contact.promised_on else None,
        next_step=(contact.next_step or "").strip()[:500] or None, owed=account.owed,
        oldest_due_on=account.oldest_due_on, aging=account.aging,
        state="promised" if contact.promised_on else "noted", submission_key=key, created_at=now, version=1)
    try:
        record.save(force_insert=True)
    except NotUniqueError:
        return DunningRecord.objects(submission_key=key).first()
    audit.record("dunning", record, audit.diff({}, audit.snapshot(record)), actor=actor)
    _close_open_promises(household, actor, record, now)
    _note_on_account(household, record, now, zone)
    return record


def _close_open_promises(household, actor, new: DunningRecord, now):
    """A new promise replaces the running one; any contact after a broken promise follows it up."""
    today = local_date(now, _zone(household.community))
    for old in DunningRecord.objects(household=household, state="promised", pk__ne=new.pk):
        if new.promised_on is not None:
            old.record_change("promise_replaced", actor, {"state": "withdrawn"}, {"state": "promised"},
                              note=gettext("New promise: %(day)s", day=new.promised_on.isoformat()))
        elif old.promised_on is not None and old.promised_on < today:
            old.record_change("promise_followed_up", actor, {"state": "followed_up"}, {"state": "promised"},
                              note=new.method_label())


def _note_on_account(household, record: DunningRecord, now, zone):
    """The account shows the latest contact and the promise that runs (the list reads them there)."""
    latest = DunningRecord.objects(household=household).order_by("-contacted_at").only(
        "contacted_at", "method", "contacted_by_name").first()
    running = DunningRecord.objects(household=household, state="promised").order_by("-promised_on") \
        .only("promised_on").first()
    today = local_date(now, zone)
    values = {"set__last_contact_at": latest.contacted_at, "set__last_contact_method": latest.method,
              "set__last_contact_by_name": latest.contacted_by_name,
              "set__contact_age": contact_age_of(latest.contacted_at, today, zone)}
    if running is not None:
        values["set__promised_on"] = running.promised_on
    else:
        values["unset__promised_on"] = True
    Account.objects(household=household).update_one(**values)


def _after_account_write(account, now):
    """Nothing past due is unpaid any more: the household's running promises are kept (paid)."""
    if account is None or account.promised_on is None or account.aging in IN_ARREARS:
        return
    keep_promises(account, now)


register_account_listener(_after_account_write)


def keep_promises(account, now=None) -> int:
    """Stop the household's promise clocks as paid (met when paid by the promised day)."""
    now = now or clock.now()
    kept = 0
    for record in DunningRecord.objects(household=account.household, state="promised"):
        paid_at = account.last_payment_at if account.last_payment_at and account.last_payment_at >= \
            record.contacted_at else now
        kept += record.record_change("promise_paid", None, {"state": "paid", "paid_at": paid_at},
                                     {"state": "promised"}, note=money_text(account.owed), system=True)
    Account.objects(pk=account.pk).update_one(unset__promised_on=True)
    return kept


# --- the daily pass of the sweeper ---

AGING_TASK = "fees-aging"


def refresh_aging(now=None, communities=None) -> int:
    """Once per community day (the first sweep after its midnight): every account's aging and
    last-contact bucket on the new day. Returns how many accounts changed."""
    from documents.places import Community
    now = now or clock.now()
    changed = 0
    for community in communities or Community.objects.only("timezone"):
        today = local_date(now, zone_of(community))
        marker = f"{AGING_TASK}:{community.pk}"
        if Lease.objects(name=marker, holder=today.isoformat()).first() is not None:
            continue
        changed += refresh_community(community, today)
        Lease.objects(name=marker).update_one(upsert=True, set__holder=today.isoformat(), set__until=now)
    return changed


register_sweep_task(refresh_aging)


def refresh_community(community, today: date) -> int:
    """The buckets of a community's accounts on `today`, written where they differ (one update per
    bucket); also gives a never-contacted account its "never"."""
    zone = zone_of(community)
    moves: dict[tuple[str, str], list] = {}
    for raw in Account.objects(community=community).only("oldest_due_on", "aging", "last_contact_at",
                                                          "contact_age").as_pymongo():
        aging = aging_of(raw.get("oldest_due_on"), today)
        contact = contact_age_of(raw.get("last_contact_at"), today, zone)
        if raw.get("aging") != aging:
            moves.setdefault(("aging", aging), []).append(raw["_id"])
        if raw.get("contact_age") != contact:
            moves.setdefault(("contact_age", contact), []).append(raw["_id"])
    for (name, value), ids in moves.items():
        for start in range(0, len(ids), 500):
            Account.objects(pk__in=ids[start:start + 500]).update(**{f"set__{name}": value})
    return len({pk for ids in moves.values() for pk in ids})


# --- the arrears list ---

SORTS = {"owed": "-owed_fen", "room": "sort_key"}


@dataclass
class ArrearsQuery:
    """What the arrears list shows: the households in arrears of `communities` (ids), a
    housekeeper's own buildings, and the filters chosen."""
    communities: list
    buildings: list | None = None
    building: str = ""
    aging: str = ""
    contact: str = ""
    sort: str = "owed"

    def filters(self) -> dict:
        query = {"community__in": list(self.communities),
                 "aging__in": [self.aging] if self.aging in IN_ARREARS else list(IN_ARREARS)}
        buildings = self.buildings
        if self.building:
            buildings = [b for b in (buildings if buildings is not None else [self.building]) if b == self.building]
        if buildings is not None:
            query["building_no__in"] = buildings
        ages = contact_ages_for(self.contact)
        if ages is not None:
            query["contact_age__in"] = ages
        return query

    def queryset(self):
        """Every condition an equality or `$in` on an indexed string (or id), sorted by an indexed
        field: the embedded store counts and pages it from its indexes."""
        return Account.objects(**self.filters()).order_by(SORTS.get(self.sort, SORTS["owed"]))


def arrears_for(user, communities, **choices) -> ArrearsQuery:
    """The arrears `user` may see in `communities` (documents already scoped to the user)."""
    return ArrearsQuery([c.pk for c in communities if sees_community(user, c)], own_buildings(user), **choices)


def household_in_arrears(communities, room_text: str, household_id=None):
    """The household in arrears at a typed room (`3-2-1201`, `3栋2单元1201`) of `communities`; the
    one chosen on the list (`household_id`) when it is there. Each problem said on the field."""
    from documents.places import parse_room_code
    code = parse_room_code((room_text or "").strip())
    if code is None:
        raise DomainError(gettext("Type the room as building-unit-room, e.g. 3-2-1201."), field="household")
    accounts = list(Account.objects(community__in=[getattr(c, "pk", c) for c in communities], room_code=code,
                                    aging__in=list(IN_ARREARS)))
    chosen = [a for a in accounts if household_id and str(a.household.pk) == str(household_id)]
    if chosen:
        return chosen[0].household
    if not accounts:
        raise DomainError(gettext("No household of room %(room)s is in arrears.", room=code), field="household")
    if len(accounts) > 1:
        raise DomainError(gettext("Several households of room %(room)s are in arrears: record the contact from "
                                  "the household's row of the arrears list.", room=code), field="household")
    return accounts[0].household


def unpaid_lines(household, due_by: date | None = None) -> list[BillLine]:
    """The household's unpaid lines (due by `due_by` when given), by month and item."""
    lines = [line for line in BillLine.objects(household=household, settled=False)
             if due_by is None or line.due_on is None or line.due_on <= due_by]
    return sorted(lines, key=lambda line: (line.period or "", line.item_name or "", line.due_on or date.min))


# --- the dunning letter ---

#: the pay-by date a letter gives when none is chosen: this many days after it is printed
LETTER_PAY_WITHIN_DAYS = 7


@dataclass
class Letter:
    household: object
    community: object
    owners: str
    lines: list
    total: Decimal
    pay_by: date
    printed_on: date
    months: list = field(default_factory=list)      # (period, [lines], subtotal)

    @property
    def total_text(self) -> str:
        return money_text(self.total)

    @property
    def total_upper(self) -> str:
        return rmb_upper(self.total)


def letter_for(household, pay_by: date | None = None, now=None) -> Letter:
    """The letter of one household: what is unpaid and due by the pay-by date, month by month."""
    today = local_date(now or clock.now(), _zone(household.community))
    pay_by = pay_by or today + timedelta(days=LETTER_PAY_WITHIN_DAYS)
    lines = unpaid_lines(household, due_by=pay_by)
    months: dict[str, list] = {}
    for line in lines:
        months.setdefault(line.period or "", []).append(line)
    owners = "、".join(p.name for p in household.owners or [] if p.name) or household.name
    return Letter(household=household, community=household.community, owners=owners, lines=lines,
                  total=sum((line.owed for line in lines), ZERO), pay_by=pay_by, printed_on=today,
                  months=[(period, items, sum((i.owed for i in items), ZERO)) for period, items in months.items()])


def check_pay_by(text: str, community, now=None) -> date | None:
    """A pay-by date typed on the print form: empty (the default), or today or later."""
    if not (text or "").strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(gettext("Give the date as YYYY-MM-DD, e.g. 2026-12-31."), field="pay_by") from None
    today = local_date(now or clock.now(), _zone(community))
    if day < today:
        raise DomainError(gettext("The pay-by date %(day)s has passed: choose today or later.", day=day.isoformat()),
                          field="pay_by")
    return day


# --- the household's timeline ---

@timeline.register
def _dunning_of(household):
    items = []
    for record in DunningRecord.objects(household=household).order_by("-contacted_at").limit(100):
        title = f"{record.method_label()} · {record.state_label}"
        if record.promised_on:
            title += " · " + gettext("promised %(day)s", day=record.promised_on.isoformat())
        detail = " · ".join(x for x in ((record.resident_said or "")[:120], record.next_step or "") if x)
        items.append(timeline.TimelineItem(
            at=record.contacted_at, kind=str(_l("Dunning")), title=title, actor=record.contacted_by_name or "",
            detail=detail, endpoint="arrears.household", url_args={"id": str(household.pk)}))
    return items


# --- demo data ---

def seed_dunning(communities, now=None) -> int:
    """Demo dunning records for a few households in arrears of each community (idempotent: keyed).
    The lead's seed calls this after the bills and payments."""
    from documents.staff import Staff
    now = now or clock.now()
    created = 0
    samples = [("phone", "业主称近期出差，月底前缴清。", 10, "月底前电话确认缴费情况"),
               ("visit", "业主对电梯维修有意见，暂不缴费。", None, "转客服主管跟进电梯问题后再次上门"),
               ("letter", "", None, "送达催缴通知单，一周后电话跟进")]
    for community in communities:
        if DunningRecord.objects(community=community).first() is not None:
            continue       # seeded before: the accounts in arrears have changed since
        zone = zone_of(community)
        accounts = Account.objects(community=community, aging__in=list(IN_ARREARS)).order_by("-owed_fen").limit(6)
        for index, account in enumerate(accounts):
            method, said, promise_in, next_step = samples[index % len(samples)]
            household = account.household
            staff = Staff.objects(active=True, roles="housekeeper", communities=community.pk,
                                  buildings=household.building_no).first() or \
                Staff.objects(active=True, roles__in=["cashier", "manager"], communities=community.pk).first()
            if staff is None:
                continue
            began = arrears_began(account) or now
            at = max(began, now - timedelta(days=2 + index))
            today = local_date(now, zone)
            contact = Contact(method=method, contacted_at=at, resident_said=said, next_step=next_step,
                              promised_on=today + timedelta(days=promise_in) if promise_in else None)
            key = f"seed-dunning:{household.pk}:{index}"
            if DunningRecord.objects(submission_key=key).first() is None:
                record_contact(household, staff, contact, submission_key=key, now=now)
                created += 1
    return created

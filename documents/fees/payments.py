"""Payments at the counter and their receipts (收款收据).

The cashier records a payment (cash, bank card, transfer, WeChat Pay, Alipay - recorded here, not
processed) against chosen lines or the oldest first; more than is owed is refused (no prepayment is
taken: the office bills monthly and refunds nothing it did not bill). A payment is one insert:

- its `token` (one per opened payment form) is unique, so a double click or a resent form records
  it once and shows the same receipt;
- its receipt number is the next of the community and year, taken at the insert: the pair is
  unique, so two cashiers at once get consecutive numbers, and a number exists only with its payment
  - no gaps. A wrong receipt is voided by a supervisor with a reason and stays, marked void;
- the lines' paid amounts and the account follow from the payments (`ledger.settle_household`), and
  the household's payments are recorded one at a time (a lease per household), so two cashiers
  cannot both pay the same unpaid line.
"""
import time

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateTimeField, EmbeddedDocument, EmbeddedDocumentListField, IntField,
                         ReferenceField, StringField)
from mongoengine.errors import NotUniqueError

from app import clock
from documents import audit, timeline
from documents.agenda import free_lease, holder_name, take_lease
from documents.base import CommunityOwned, DomainError
from documents.deadlines import local_date, zone_of
from documents.fees.items import FEE_KINDS
from documents.fees.ledger import BillLine, household_fields, settle_household
from documents.money import ZERO, MoneyField, money_text, to_money
from documents.residents import Household
from documents.workflow import authorize_area

PAYMENT_METHODS = [
    ("cash", _l("Cash")),
    ("card", _l("Bank card")),
    ("transfer", _l("Bank transfer")),
    ("wechat", _l("WeChat Pay")),
    ("alipay", _l("Alipay")),
]
#: methods whose slip or transaction number must be written down
METHODS_WITH_REFERENCE = ("card", "transfer", "wechat", "alipay")
RECEIPT_CODE = "SK"                 # 收款: <community>-SK2026-000001
#: how long one household's payment may hold its lease, and how long another waits for it
HOUSEHOLD_LEASE_SECONDS = 30
WAIT_FOR_LEASE_SECONDS = 10
MAX_NUMBER_TRIES = 200


class Allocation(EmbeddedDocument):
    line = ReferenceField(BillLine, required=True)
    amount = MoneyField(required=True, verbose_name=_l("Amount"))
    item_name = StringField(verbose_name=_l("Fee item"))
    item_name_en = StringField()
    period = StringField(verbose_name=_l("Month"))

    def item_label(self) -> str:
        from documents.bilingual import current_language, pick
        return pick(self.item_name, self.item_name_en, current_language())


class Payment(CommunityOwned):
    token = StringField(required=True, unique=True)
    household = ReferenceField(Household, required=True, verbose_name=_l("Household"))
    household_name = StringField(verbose_name=_l("Household"))
    room_code = StringField(verbose_name=_l("Room"))
    building_no = StringField(verbose_name=_l("Building no."))
    sort_key = StringField()
    receipt_year = IntField(required=True)
    receipt_seq = IntField(required=True)
    receipt_no = StringField(required=True, unique=True, verbose_name=_l("Receipt no."))
    amount = MoneyField(required=True, verbose_name=_l("Amount"))
    method = StringField(required=True, choices=PAYMENT_METHODS, verbose_name=_l("Payment method"))
    reference = StringField(max_length=60, verbose_name=_l("Slip or transaction no."))
    paid_by = StringField(max_length=60, verbose_name=_l("Paid by"))
    allocations = EmbeddedDocumentListField(Allocation, verbose_name=_l("Paid for"))
    received_at = DateTimeField(required=True, verbose_name=_l("Received at"))
    received_on = StringField(verbose_name=_l("Day"))        # the community's local day, YYYY-MM-DD
    received_by = ReferenceField("Staff", verbose_name=_l("Cashier"))
    received_by_name = StringField(verbose_name=_l("Cashier"))
    void = BooleanField(default=False, verbose_name=_l("Void"))
    void_reason = StringField(max_length=200, verbose_name=_l("Reason for voiding"))
    voided_at = DateTimeField(verbose_name=_l("Voided at"))
    voided_by = ReferenceField("Staff", verbose_name=_l("Voided by"))
    voided_by_name = StringField(verbose_name=_l("Voided by"))

    meta = {"collection": "payments",
            "indexes": [{"fields": ["community", "receipt_year", "receipt_seq"], "unique": True},
                        ("household", "received_at"), ("community", "received_at"),
                        ("community", "received_on"), ("community", "method"), ("community", "received_by"),
                        "allocations.line", "void"],
            "ordering": ["-received_at"]}

    def __str__(self):
        return self.receipt_no or ""

    def method_label(self) -> str:
        return str(dict(PAYMENT_METHODS).get(self.method, self.method or ""))

    def void_receipt(self, actor, reason: str):
        """A supervisor voids a wrong receipt with a reason; it stays, marked void, and what it paid
        is owed again. Once: a second click hears who voided it."""
        authorize_area("fees", "action:void", actor, self.community, label=_l("Void the receipt"))
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(gettext("Say why the receipt is voided."), field="reason")
        now = clock.now()
        done = Payment.objects(pk=self.pk, void=False).update_one(
            set__void=True, set__void_reason=reason[:200], set__voided_at=now, set__voided_by=actor,
            set__voided_by_name=getattr(actor, "display_name", None))
        if not done:
            self.reload()
            raise DomainError(gettext("Receipt %(no)s was already voided by %(name)s.",
                                      no=self.receipt_no, name=self.voided_by_name or "?"))
        self.reload()
        audit.record("void_receipt", self, note=reason, actor=actor)
        settle_household(self.household)
        return self


def receipt_number(community, year: int, seq: int) -> str:
    return f"{community.code}-{RECEIPT_CODE}{year}-{seq:06d}"


def open_lines(household, line_ids=None) -> list[BillLine]:
    """The household's unpaid lines, the oldest due first (only `line_ids` when given)."""
    lines = BillLine.objects(household=household, settled=False)
    if line_ids is not None:
        wanted = {str(i) for i in line_ids}
        lines = [line for line in lines if str(line.pk) in wanted]
        if len(lines) != len(wanted):
            raise DomainError(gettext("Some chosen lines are paid already or are not this household's. "
                                      "Reload the page and choose again."), field="lines")
    kinds = [kind for kind, _ in FEE_KINDS]
    return sorted(lines, key=lambda line: (line.due_on or line.created_at.date(), line.period or "",
                                           kinds.index(line.kind) if line.kind in kinds else len(kinds),
                                           str(line.pk)))


def allocate(lines, amount):
    """Split `amount` over `lines` in their order: each line is paid in full before the next."""
    allocations, rest = [], amount
    for line in lines:
        if rest <= 0:
            break
        part = min(rest, line.owed)
        if part > 0:
            allocations.append(Allocation(line=line, amount=part, item_name=line.item_name,
                                          item_name_en=line.item_name_en, period=line.period))
            rest -= part
    return allocations


def check_payment(amount, method: str, reference: str):
    """The form's values, each with its message on its field; returns the exact amount."""
    try:
        amount = to_money(amount)
    except DomainError:
        raise DomainError(gettext("Enter the amount as a number, e.g. 1280.50."), field="amount") from None
    if amount is None or amount <= 0:
        raise DomainError(gettext("Enter an amount above zero."), field="amount")
    if method not in dict(PAYMENT_METHODS):
        raise DomainError(gettext("Choose how the resident pays."), field="method")
    if method in METHODS_WITH_REFERENCE and not (reference or "").strip():
        raise DomainError(gettext("Write down the slip or transaction number of this payment."),
                          field="reference")
    return amount


def take_payment(household, actor, amount, method: str, token: str, reference: str = "", paid_by: str = "",
                 line_ids=None) -> Payment:
    """Record one payment and its receipt (see the module's docstring); returns the payment - the
    same one again for the same token."""
    authorize_area("fees", "action:take_payment", actor, household.community, label=_l("Take a payment"))
    if not token:
        raise DomainError(gettext("The payment form has expired. Open it again."))
    existing = Payment.objects(token=token).first()
    if existing is not None:
        return existing
    amount = check_payment(amount, method, reference)
    lease, holder = f"fees:{household.pk}", holder_name()
    deadline = time.monotonic() + WAIT_FOR_LEASE_SECONDS
    while not take_lease(lease, holder, clock.now(), HOUSEHOLD_LEASE_SECONDS):
        if time.monotonic() > deadline:
            raise DomainError(gettext("Another payment of this household is being recorded. Try again in a moment."))
        time.sleep(0.05)
    try:
        existing = Payment.objects(token=token).first()
        if existing is not None:
            return existing
        settle_household(household)            # what earlier payments paid, even after a crash
        lines = open_lines(household, line_ids)
        owed = sum((line.owed for line in lines), ZERO)
        if owed == ZERO:
            raise DomainError(gettext("Nothing is owed on this account."), field="amount")
        if amount > owed:
            raise DomainError(gettext(
                "%(amount)s is more than the %(owed)s owed on the chosen lines; the office takes no "
                "prepayment. Take %(owed)s or less.", amount=money_text(amount), owed=money_text(owed)),
                field="amount")
        payment = _insert_numbered(household, actor, amount, method, token, reference, paid_by,
                                   allocate(lines, amount))
        settle_household(household)
    finally:
        free_lease(lease, holder, clock.now())
    audit.record("take_payment", payment, note=f"{money_text(amount)} {payment.method_label()}", actor=actor)
    return payment


def _insert_numbered(household, actor, amount, method, token, reference, paid_by, allocations) -> Payment:
    """Insert the payment with the next receipt number of the year (another cashier may take the
    same number at the same moment: the unique pair sends the loser to the next one)."""
    community = household.community
    now = clock.now()
    day = local_date(now, zone_of(community))
    for _ in range(MAX_NUMBER_TRIES):
        # the community's highest receipt number: numbers sort as year then sequence (zero-padded).
        # On the embedded store a filter on the community alone with a sort on the indexed number
        # is answered from its index tables (a year is a number, which they cannot match exactly:
        # they would read the year's payments), and only a limited cursor is (`.first()` reads
        # every match there): 4 ms instead of 2 s at a year of 5,000 households' payments
        last = next(iter(Payment.objects(community=community).order_by("-receipt_no")
                         .only("receipt_year", "receipt_seq").limit(1)), None)
        seq = (last.receipt_seq if last and last.receipt_year == day.year else 0) + 1
        payment = Payment(community=community, token=token, **household_fields(household), receipt_year=day.year,
                          receipt_seq=seq, receipt_no=receipt_number(community, day.year, seq), amount=amount,
                          method=method, reference=(reference or "").strip()[:60] or None,
                          paid_by=(paid_by or "").strip()[:60] or None, allocations=allocations,
                          received_at=now, received_on=day.isoformat(), received_by=actor,
                          received_by_name=getattr(actor, "display_name", None))
        try:
            payment.save(force_insert=True)
            return payment
        except NotUniqueError:
            same = Payment.objects(token=token).first()
            if same is not None:
                return same
    raise DomainError(gettext("Too many payments at once: try again."))


audit.register_action_labels({
    "generate_bills": _l("Bills generated"), "charge": _l("Charge added"), "apportion": _l("Shared cost apportioned"),
    "take_payment": _l("Payment received"), "void_receipt": _l("Receipt voided"),
}, area="fees", collections=["bill_lines", "payments", "fee_items", "fee_accounts"])


@timeline.register
def _fees_of(household):
    """The household's bills (one item per month) and payments."""
    items, months = [], {}
    for line in BillLine.objects(household=household).order_by("-due_on").limit(300).only(
            "period", "amount", "created_at", "source", "item_name", "item_name_en"):
        month = months.setdefault(line.period, {"at": line.created_at, "total": ZERO, "count": 0})
        month["total"] += to_money(line.amount)
        month["count"] += 1
        month["at"] = min(filter(None, [month["at"], line.created_at]), default=None)
    for period, month in months.items():
        items.append(timeline.TimelineItem(
            at=month["at"], kind=str(_l("Fees")),
            title=gettext("Bill %(period)s: %(count)s lines, %(amount)s yuan", period=period,
                          count=month["count"], amount=money_text(month["total"])),
            endpoint="fee_accounts.household", url_args={"id": str(household.pk)}))
    for payment in Payment.objects(household=household).order_by("-received_at").limit(100):
        title = f"{payment.receipt_no} · {money_text(payment.amount)} · {payment.method_label()}"
        if payment.void:
            title += " · " + gettext("void")
        items.append(timeline.TimelineItem(
            at=payment.received_at, kind=str(_l("Payment")), title=title, actor=payment.received_by_name or "",
            endpoint="payments.receipt", url_args={"id": str(payment.pk)}))
    return items

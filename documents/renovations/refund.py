"""The deposit: deductions (patrol violations, final inspection), the manager's approval of a large
refund, and the refund itself - exactly once, with its receipt.

Deductions never exceed the deposit: a patrol or a final inspection that would take them beyond it
is refused when recorded, so every file can still be refunded and archived. A refund above the
community's limit (`Community.refund_approval_limit`) is approved by the manager first; up to the
limit the cashier refunds directly.
"""
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import DateTimeField, ReferenceField, StringField

from app import clock
from documents.base import CommunityOwned, DomainError
from documents.money import MoneyField, money_text, to_money
from documents.places import DEFAULT_REFUND_APPROVAL_LIMIT
from documents.renovations.common import REFUND_METHODS, as_date
from documents.renovations.receipts import confirm_amount, issue_receipt, pay_once
from documents.residents import Household
from documents.workflow import NotApplicable

ZERO = Decimal("0.00")


class DepositRefund(CommunityOwned):
    """The one refund of a renovation deposit (unique per file) and its receipt."""
    renovation = ReferenceField("Renovation", required=True, unique=True, verbose_name=_l("Renovation file"))
    household = ReferenceField(Household, verbose_name=_l("Household"))
    room_code = StringField(verbose_name=_l("Room"))
    permit_no = StringField(verbose_name=_l("Permit no."))
    receipt_no = StringField(required=True, unique=True, verbose_name=_l("Receipt no."))
    deposit = MoneyField(verbose_name=_l("Renovation deposit"))
    deductions = MoneyField(verbose_name=_l("Deductions"))
    amount = MoneyField(verbose_name=_l("Amount refunded"))
    method = StringField(choices=REFUND_METHODS, verbose_name=_l("Refund method"))
    paid_to = StringField(verbose_name=_l("Paid to"))
    paid_by = ReferenceField("Staff", verbose_name=_l("Refunded by"))
    paid_by_name = StringField(verbose_name=_l("Refunded by"))
    paid_at = DateTimeField(verbose_name=_l("Refunded at"))
    #: the manager who approved a refund above the community's limit (empty up to the limit)
    approved_by_name = StringField(verbose_name=_l("Refund approved by"))

    meta = {"collection": "renovation_refunds", "indexes": ["community", "paid_at"]}

    def __str__(self):
        return self.receipt_no


# --- preconditions of the steps (declared with the workflow in file.py) ---------------------------

def approved_if_above_limit(renovation, user):
    """refund: above the community's limit the manager approves first."""
    if renovation.state == "final_passed" and renovation.refund_needs_approval():
        raise DomainError(gettext(
            "A refund of %(amount)s is above this community's limit of %(limit)s: the manager approves "
            "it first (step “Approve refund”).", amount=money_text(renovation.refund_due()),
            limit=money_text(renovation.refund_limit())))


def above_limit(renovation, user):
    """approve_refund: only a refund above the limit needs (and gets) the manager's approval; below it
    the step does not apply (no "not yet" hint: waiting will not change it)."""
    if not renovation.refund_needs_approval():
        raise NotApplicable(gettext(
            "No approval is needed: refunds up to %(limit)s are paid by the cashier directly.",
            limit=money_text(renovation.refund_limit())))


class DepositSteps:
    """Mixed into Renovation: deductions and what is left of the deposit; `approve_refund`, `refund`."""

    def deductions(self) -> list[tuple[str, str, Decimal]]:
        """Every recorded deduction: (where, what, amount) from patrol violations and final inspections."""
        rows = []
        for patrol in self.patrols or []:
            where = f"{gettext('Patrol')} {as_date(patrol.on)}"
            rows += [(where, f"{v.type_label}: {v.description or ''}".strip(": "), to_money(v.deduction))
                     for v in patrol.violations or [] if to_money(v.deduction)]
        for inspection in self.inspections or []:
            if inspection.kind == "final":
                where = f"{gettext('Final inspection')} {as_date(inspection.on)}"
                rows += [(where, item.description, to_money(item.deduction))
                         for item in inspection.items or [] if to_money(item.deduction)]
        return rows

    def total_deductions(self) -> Decimal:
        return sum((row[2] for row in self.deductions()), ZERO)

    def refund_due(self) -> Decimal:
        """Deposit minus deductions (negative only for a file recorded before deductions were capped)."""
        return (to_money(self.deposit) or ZERO) - self.total_deductions()

    def deposit_left(self) -> Decimal:
        return max(self.refund_due(), ZERO)

    def require_deductions_within_deposit(self, amount, field: str | None = None):
        """Refuse new deductions of `amount` that would take the deductions beyond the deposit."""
        amount = to_money(amount) or ZERO
        if amount > self.deposit_left():
            raise DomainError(gettext(
                "The deductions cannot exceed the deposit: %(left)s of the deposit of %(deposit)s is left, "
                "and %(amount)s was entered.", left=money_text(self.deposit_left()),
                deposit=money_text(to_money(self.deposit) or ZERO), amount=money_text(amount)), field=field)

    def refund_limit(self) -> Decimal:
        limit = getattr(self.community, "refund_approval_limit", None)
        return to_money(limit) if limit is not None else DEFAULT_REFUND_APPROVAL_LIMIT

    def refund_needs_approval(self) -> bool:
        return self.refund_due() > self.refund_limit()

    def approve_refund(self, user):
        self.check("approve_refund", user)
        amount = self.refund_due()
        return self.transition("approve_refund", user, values={
            "refund_approved_at": clock.now(), "refund_approved_by_name": user.display_name},
            note=money_text(amount), check_version=True, checked=False)

    def refund(self, user, method: str, paid_to: str, expected_amount=None):
        """Refund the deposit minus deductions, exactly once.

        The winner is decided by the database: the engine's conditional write from the state and
        version whose deductions were summed. A second click, a retry, or a second cashier finds
        the state changed and is refused; the DepositRefund record is unique per file.
        """
        self.check("refund", user)
        deposit, deductions = to_money(self.deposit) or ZERO, self.total_deductions()
        if deductions > deposit:
            raise DomainError(gettext(
                "The deductions (%(d)s) are larger than the deposit (%(p)s); the deposit cannot be "
                "refunded. Settle the difference with the resident first.",
                d=money_text(deductions), p=money_text(deposit)))
        amount = deposit - deductions
        confirm_amount(expected_amount, amount)
        if method not in dict(REFUND_METHODS):
            raise DomainError(gettext("Choose how the deposit is paid back."), field="method")
        paid_to = (paid_to or "").strip()
        if not paid_to:
            raise DomainError(gettext("Enter who receives the refund."), field="paid_to")
        pay_once(self, "refund", user, {
            "refund_amount": amount, "refund_deductions": deductions, "refund_method": method,
            "refund_paid_to": paid_to[:60], "refund_by": user, "refund_by_name": user.display_name,
            "refund_at": clock.now()}, note=f"{money_text(deposit)} - {money_text(deductions)} = {money_text(amount)}")
        return self.deposit_refund()

    def deposit_refund(self):
        """The refund record and receipt of a refunded file (made now if a crash left it missing)."""
        if not self.refund_at:
            return None
        return issue_receipt(self, DepositRefund, "refund_receipt_no", "refund", "TK", self.refund_at,
                             lambda no: DepositRefund(
                                 community=self.community, renovation=self, household=self.household,
                                 room_code=self.room_code, permit_no=self.permit_no, receipt_no=no,
                                 deposit=self.deposit, deductions=self.refund_deductions, amount=self.refund_amount,
                                 method=self.refund_method, paid_to=self.refund_paid_to, paid_by=self.refund_by,
                                 paid_by_name=self.refund_by_name, paid_at=self.refund_at,
                                 approved_by_name=self.refund_approved_by_name))

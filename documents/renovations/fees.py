"""The cashier's step between approval and the work: fees and deposit paid, with a printable receipt.

The office's rule: fees and deposit are paid before the permit is issued - so the work starts, and
permits are issued, only from "fees and deposit paid" on.
"""
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import DateTimeField, EmbeddedDocumentListField, ReferenceField, StringField

from app import clock
from documents.base import CommunityOwned, DomainError
from documents.deadlines import local_date, zone_of
from documents.money import MoneyField, money_text, to_money
from documents.renovations.common import PAYMENT_METHODS
from documents.renovations.parts import OtherFee
from documents.renovations.receipts import confirm_amount, issue_receipt, pay_once
from documents.residents import Household


class FeePayment(CommunityOwned):
    """The fees and deposit paid for a renovation file (one per file) and their receipt."""
    renovation = ReferenceField("Renovation", required=True, unique=True, verbose_name=_l("Renovation file"))
    household = ReferenceField(Household, verbose_name=_l("Household"))
    room_code = StringField(verbose_name=_l("Room"))
    permit_no = StringField(verbose_name=_l("Permit no."))
    receipt_no = StringField(required=True, unique=True, verbose_name=_l("Receipt no."))
    deposit = MoneyField(verbose_name=_l("Renovation deposit"))
    management_fee = MoneyField(verbose_name=_l("Renovation management fee"))
    other_fees = EmbeddedDocumentListField(OtherFee, verbose_name=_l("Other fees"))
    total = MoneyField(verbose_name=_l("Total"))
    method = StringField(choices=PAYMENT_METHODS, verbose_name=_l("Payment method"))
    paid_by = StringField(verbose_name=_l("Paid by"))
    received_by = ReferenceField("Staff", verbose_name=_l("Received by"))
    received_by_name = StringField(verbose_name=_l("Received by"))
    paid_at = DateTimeField(verbose_name=_l("Paid at"))

    meta = {"collection": "renovation_fee_payments", "indexes": ["community", "paid_at"]}

    def __str__(self):
        return self.receipt_no


class FeeSteps:
    """Mixed into Renovation: the amounts due and the step `pay_fees`."""

    def total_fees(self) -> Decimal:
        return (to_money(self.deposit) or Decimal("0.00")) + (to_money(self.management_fee) or Decimal("0.00")) \
            + sum((to_money(f.amount) for f in self.other_fees or []), Decimal("0.00"))

    def fee_rows(self) -> list[tuple[str, Decimal]]:
        """(item, amount) of everything paid at the cashier's before the work starts."""
        rows = [(gettext("Renovation deposit"), to_money(self.deposit) or Decimal("0.00")),
                (gettext("Renovation management fee"), to_money(self.management_fee) or Decimal("0.00"))]
        return rows + [(f.item, to_money(f.amount)) for f in self.other_fees or []]

    def pay_fees(self, user, method: str, paid_by: str, expected_total=None):
        """The cashier records the deposit, the management fee and the other fees as paid, once."""
        self.check("pay_fees", user)
        total = self.total_fees()
        confirm_amount(expected_total, total)
        if method not in dict(PAYMENT_METHODS):
            raise DomainError(gettext("Choose how the fees are paid."), field="method")
        paid_by = (paid_by or "").strip()
        if not paid_by:
            raise DomainError(gettext("Enter who pays the fees."), field="paid_by")
        now = clock.now()
        pay_once(self, "pay_fees", user, {
            "fees_paid_at": now, "fees_method": method, "fees_paid_by": paid_by[:60], "fees_received_by": user,
            "fees_received_by_name": user.display_name,
            "deposit_received_on": local_date(now, zone_of(self.community))}, note=money_text(total))
        receipt = self.fee_payment()
        self.record_in_fee_account(receipt)
        return receipt

    def record_in_fee_account(self, receipt):
        """The fees and deposit join the household's fee account as a line paid on this receipt,
        so the account shows them without a second entry at the cashier's."""
        if self.household is None or receipt is None or not self.total_fees():
            return None
        from documents.fees.ledger import charge, ensure_item
        return charge(self.household, ensure_item(self.community, "renovation"), self.total_fees(),
                      source="renovation", source_id=str(self.pk), paid_elsewhere=self.total_fees(),
                      note=f"{receipt.receipt_no} {self.permit_no or ''}".strip())

    def fee_payment(self):
        """The receipt record of the fees paid (made now if a crash left it missing); None if unpaid."""
        if not self.fees_paid_at:
            return None
        return issue_receipt(self, FeePayment, "fees_receipt_no", "fees", "SF", self.fees_paid_at,
                             lambda no: FeePayment(
                                 community=self.community, renovation=self, household=self.household,
                                 room_code=self.room_code, permit_no=self.permit_no, receipt_no=no,
                                 deposit=self.deposit, management_fee=self.management_fee,
                                 other_fees=list(self.other_fees or []), total=self.total_fees(),
                                 method=self.fees_method, paid_by=self.fees_paid_by,
                                 received_by=self.fees_received_by,
                                 received_by_name=self.fees_received_by_name, paid_at=self.fees_paid_at))

"""Household accounts (业户账户): the list a cashier searches by room, and one household's page -
what is owed line by line, what was paid, the receipts - with the "Take payment" form.

The payment itself is documents/fees/payments.py `take_payment`: the form's one-time token (made
when the page is drawn) lets a double click or a resent form record once and show the same receipt.
"""
import secrets

from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter, FilterEqual
from flask_admin.model import filters as base_filters
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from admin_views.base import EstateModelView, resolve_references, scoped_or_404, show_refusal
from admin_views.fees.bills import account_link, search_by_household
from admin_views.filters import CommunityFilter
from app.permissions import can
from documents.base import DomainError
from documents.fees.ledger import (CLEAR, OWING, Account, BillLine, fill_standing, period_of, settle_household,
                                  today_in)
from documents.fees.payments import METHODS_WITH_REFERENCE, PAYMENT_METHODS, Payment, open_lines, take_payment
from documents.money import CENT, ZERO, exact_decimal, money_text, to_money
from documents.residents import Household

AREA = "fees"
#: paid lines and payments shown per page on the household's page
PAGE_SIZE = 20


def two_places(form, field):
    """What was typed stays; more than two decimal places is refused, never rounded silently (the
    payment checks the rest: a number, above zero, not above what is owed)."""
    number = exact_decimal_or_none(field.data)
    if number is not None and number != number.quantize(CENT):
        raise ValidationError(_("Enter at most two decimal places."))


def exact_decimal_or_none(text):
    try:
        return exact_decimal(text)
    except DomainError:
        return None


class PaymentForm(FlaskForm):
    amount = StringField(_l("Amount (yuan)"), validators=[two_places],
                         description=_l("Empty: the ticked lines, or everything owed"),
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    method = SelectField(_l("Payment method"), choices=PAYMENT_METHODS, default="cash", validate_choice=False)
    reference = StringField(_l("Slip or transaction no."), validators=[Optional(), Length(max=60)],
                            description=_l("Needed for a card, transfer, WeChat Pay or Alipay payment"),
                            render_kw={"autocomplete": "off"})
    paid_by = StringField(_l("Paid by"), validators=[Optional(), Length(max=60)])
    token = HiddenField()


class OwingFilter(BaseMongoEngineFilter, base_filters.BaseBooleanFilter):
    """Accounts with something owed (yes) or nothing owed (no)."""

    def apply(self, query, value):
        fill_standing()
        return query.filter(standing=OWING if value == "1" else CLEAR)

    def operation(self):
        return _l("is")


def pages_of(total: int, page: int) -> tuple[int, int]:
    """(page, pages) with the page kept inside 0 .. pages-1."""
    pages = max(1, -(-total // PAGE_SIZE))
    return min(max(0, page), pages - 1), pages


class AccountView(EstateModelView):
    area = AREA
    list_template = "fees/cashier/account_list.html"
    can_view_details = False
    column_list = ["room_code", "household_name", "owed", "open_lines", "oldest_due_on", "last_payment_at"]
    column_export_list = ["community", "room_code", "household_name", "owed", "open_lines", "oldest_due_on",
                          "last_payment_at"]
    column_labels = {"room_code": _l("Room")}
    column_sortable_list = [("room_code", "sort_key"), ("owed", "owed_fen"), "oldest_due_on"]
    column_searchable_list = ["household"]         # see search_by_household
    column_filters = [CommunityFilter(), FilterEqual("building_no", _l("Building no.")),
                      OwingFilter("standing", _l("Owing"))]
    column_formatters = {"room_code": lambda v, c, m, n: account_link(m)}
    column_formatters_export = {"room_code": lambda v, c, m, n: m.room_code or ""}
    #: the last payment is shown on its community's clock: the page's communities read in one query
    list_references = ("community",)
    column_display_actions = False    # the room opens the account
    can_create = can_edit = can_delete = False

    def search_placeholder(self):
        return _("Room (3-2-1201) or household name")

    def _search(self, query, term):
        return search_by_household(query, term)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Without a chosen order: the accounts that owe first, then the others, each by room."""
        if sort_column is not None or not execute:
            return super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        fill_standing()
        count, query = super().get_list(0, None, False, search, filters, execute=False, page_size=0)
        size = page_size or self.page_size
        start = (page or 0) * size
        owing = query.filter(standing=OWING).order_by("sort_key")
        owing_count = owing.count()
        rows = list(owing.skip(start).limit(size)) if start < owing_count else []
        if len(rows) < size:
            rows += list(query.filter(standing=CLEAR).order_by("sort_key")
                         .skip(max(0, start - owing_count)).limit(size - len(rows)))
        return count, resolve_references(rows, self.list_references)

    # --- one household's account ---
    @expose("/household/", methods=("GET", "POST"))
    def household(self):
        if not can(AREA, "details"):
            abort(403)
        household = scoped_or_404(Household, request.args.get("id"))
        may_pay = can(AREA, "action:take_payment")
        if request.method == "POST" and not may_pay:
            abort(403)
        account = settle_household(household)            # what the payments paid, even after a crash
        unpaid = open_lines(household)
        owed = sum((line.owed for line in unpaid), ZERO)
        form = PaymentForm()
        if request.method == "POST":
            payment = self._take_payment(household, form, unpaid)
            if payment is not None:
                return redirect(url_for("payments.receipt", id=str(payment.pk)))
        else:
            form.token.data = secrets.token_urlsafe(16)
            form.paid_by.data = household.name
            form.amount.data = str(owed) if owed else ""
        ticked = set(request.form.getlist("lines")) if request.method == "POST" else set()
        return self.render("fees/cashier/account.html", household=household, account=account, unpaid=unpaid,
                           owed=owed, ticked=ticked, form=form, may_pay=may_pay,
                           may_charge=can(AREA, "action:charge"), with_reference=METHODS_WITH_REFERENCE,
                           today=today_in(household.community), money=money_text,
                           this_month=period_of(today_in(household.community)),
                           **self._paid_and_payments(household))

    @staticmethod
    def _take_payment(household, form, unpaid):
        """The form's values to `take_payment`; None (and the messages on their fields) when refused."""
        if not form.validate():
            return None
        line_ids = request.form.getlist("lines") or None
        amount = (form.amount.data or "").strip()
        if not amount:      # empty: the ticked lines, or all that is owed
            amount = str(sum((line.owed for line in unpaid if line_ids is None or str(line.pk) in line_ids), ZERO))
        try:
            return take_payment(household, current_user._get_current_object(), amount, form.method.data,
                                token=form.token.data, reference=form.reference.data or "",
                                paid_by=form.paid_by.data or "", line_ids=line_ids)
        except DomainError as err:
            show_refusal(form, err)
            return None

    @staticmethod
    def _paid_and_payments(household) -> dict:
        paid_query = BillLine.objects(household=household, settled=True).order_by("-due_on", "-period")
        paid_page, paid_pages = pages_of(paid_query.count(), request.args.get("paid_page", 0, type=int) or 0)
        payment_query = Payment.objects(household=household).order_by("-received_at")
        pay_page, pay_pages = pages_of(payment_query.count(), request.args.get("payments_page", 0, type=int) or 0)
        return {"paid": list(paid_query.skip(paid_page * PAGE_SIZE).limit(PAGE_SIZE)), "paid_page": paid_page,
                "paid_pages": paid_pages,
                "payments": list(payment_query.skip(pay_page * PAGE_SIZE).limit(PAGE_SIZE)),
                "payments_page": pay_page, "payments_pages": pay_pages}


def fee_balance(household) -> dict:
    """What the archive page shows of the household's account: owed (text), owing, unpaid since."""
    account = Account.objects(household=household).only("owed", "oldest_due_on").first() \
        if household is not None and household.pk is not None else None
    owed = to_money(account.owed) if account is not None and account.owed is not None else ZERO
    return {"owed": money_text(owed), "owing": owed > 0, "since": account.oldest_due_on if owed > 0 else None}


def register(admin, category):
    admin.add_view(AccountView(Account, name=_l("Household accounts"), category=category, endpoint="fee_accounts"))
    admin.app.jinja_env.globals["fee_balance"] = fee_balance

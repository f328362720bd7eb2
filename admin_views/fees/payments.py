"""Payments and receipts (收款与收据): the list, the printable receipt (A4, the user's language, the
total in 大写), voiding a wrong receipt with a reason, and a household's monthly statement.

Receipts are numbered and voided by documents/fees/payments.py; nothing here writes a payment.
"""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import BooleanEqualFilter, FilterEqual
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from mongoengine import Q
from wtforms import StringField
from wtforms.validators import Length

from admin_views.base import EstateModelView, scoped_or_404, show_refusal, user_communities
from admin_views.fees.bills import account_link, matched_households, search_by_household
from admin_views.filters import CommunityFilter, LocalDateBetweenFilter, ReferenceFilter
from app import clock
from app.i18n import current_language
from app.permissions import PERMISSIONS, can
from documents.base import DomainError
from documents.deadlines import local_text
from documents.fees.ledger import BillLine, parse_period, period_of, require_not_future, settle_household, today_in
from documents.fees.payments import PAYMENT_METHODS, RECEIPT_CODE, Payment
from documents.money import ZERO, money_text, rmb_upper, to_money
from documents.residents import Household
from documents.staff import Staff

AREA = "fees"
#: the roles that take payments (the cashier filter's choices)
PAYMENT_ROLES = [role for role, rights in PERMISSIONS[AREA].items() if "action:take_payment" in rights]


def cashier_choices():
    ids = [c.pk for c in user_communities()]
    return [(str(s.pk), s.display_name) for s in Staff.objects(communities__in=ids, roles__in=PAYMENT_ROLES)
            .only("display_name").order_by("display_name")]


class VoidForm(FlaskForm):
    reason = StringField(_l("Reason for voiding"), validators=[Length(max=200)],
                         render_kw={"autocomplete": "off"})


def _receipt_link(view, context, model, name):
    link = Markup('<a href="{}" class="receipt-link">{}</a>').format(
        url_for("payments.receipt", id=str(model.pk)), model.receipt_no)
    if model.void:
        link += Markup(' <span class="badge badge-danger">{}</span>').format(_("Void"))
    return link


def _paid_for(view, context, model, name):
    return "; ".join(f"{a.item_label()} {a.period or ''}".strip() for a in model.allocations or [])


def print_language() -> str:
    """The printout's language: `?lang=en|zh`, else the user's."""
    chosen = request.args.get("lang")
    if chosen in ("en", "zh"):
        return "en" if chosen == "en" else "zh_Hans_CN"
    return current_language()


class PaymentView(EstateModelView):
    area = AREA
    can_view_details = False
    can_create = can_edit = can_delete = False
    column_list = ["receipt_no", "received_at", "room_code", "household_name", "amount", "method", "reference",
                   "received_by_name"]
    column_export_list = ["community", "receipt_no", "received_at", "room_code", "household_name", "amount",
                          "method", "reference", "paid_by", "allocations", "received_by_name", "void", "void_reason",
                          "voided_by_name"]
    column_labels = {"room_code": _l("Room")}
    column_sortable_list = ["received_at", "receipt_no"]
    column_default_sort = ("received_at", True)
    column_searchable_list = ["receipt_no", "household"]      # see _search
    column_formatters = {"receipt_no": _receipt_link, "room_code": lambda v, c, m, n: account_link(m)}
    column_formatters_export = {"allocations": _paid_for, "receipt_no": lambda v, c, m, n: m.receipt_no,
                                "room_code": lambda v, c, m, n: m.room_code or ""}
    list_select_related = False
    column_display_actions = False    # the receipt number opens the receipt
    list_template = "fees/cashier/payment_list.html"

    def __init__(self, *args, **kwargs):
        self.column_filters = [
            CommunityFilter(),
            LocalDateBetweenFilter("received_at", _l("Date received")),
            FilterEqual("method", _l("Payment method"), options=PAYMENT_METHODS),
            ReferenceFilter("received_by", _l("Cashier"), choices=cashier_choices),
            BooleanEqualFilter("void", _l("Void")),
        ]
        super().__init__(*args, **kwargs)

    def search_placeholder(self):
        return _("Receipt no. or room (3-2-1201)")

    def _search(self, query, term):
        """A receipt number (A-SK2026-000012), its sequence as said at the counter (12), or a room."""
        term = str(term or "").strip()[:60]
        if RECEIPT_CODE in term.upper():
            return query.filter(receipt_no=term.upper())
        if term.isdigit() and len(term) <= 6:
            return query.filter(Q(receipt_seq=int(term)) | Q(household__in=matched_households(term)))
        return search_by_household(query, term)

    # --- the receipt ---
    @expose("/receipt/", methods=("GET",))
    def receipt(self):
        if not can(AREA, "details"):
            abort(403)
        payment = scoped_or_404(Payment, request.args.get("id"))
        return self._receipt_page(payment, VoidForm(formdata=None))

    def _receipt_page(self, payment, form):
        lang = print_language()
        with force_locale(lang):
            return self.render("fees/print/receipt.html", lang=lang, payment=payment, community=payment.community,
                               upper=rmb_upper(payment.amount), money=money_text, printed_at=clock.now(),
                               received_at=local_text(payment.received_at, payment.community),
                               voided_at=local_text(payment.voided_at, payment.community) if payment.voided_at else "",
                               may_void=can(AREA, "action:void") and not payment.void, form=form)

    @expose("/void/", methods=("POST",))
    def void(self):
        """A supervisor voids a wrong receipt, with a reason (asked to confirm first)."""
        if not can(AREA, "action:void"):
            abort(403)
        payment = scoped_or_404(Payment, request.args.get("id"))
        form = VoidForm()
        if form.validate():
            try:
                payment.void_receipt(current_user._get_current_object(), form.reason.data)
            except DomainError as err:
                if err.field != "reason":
                    flash(err.message, "error")
                    return redirect(url_for(".receipt", id=str(payment.pk)))
                show_refusal(form, err)
            else:
                flash(_("Receipt %(no)s is void; what it paid is owed again.", no=payment.receipt_no), "success")
                return redirect(url_for(".receipt", id=str(payment.pk)))
        return self._receipt_page(payment, form)

    # --- the monthly statement of a household ---
    @expose("/statement/")
    def statement(self):
        if not can(AREA, "details"):
            abort(403)
        household = scoped_or_404(Household, request.args.get("id"))
        month = (request.args.get("month") or "").strip() or period_of(today_in(household.community))
        try:
            first, last = parse_period(month)
            require_not_future(month, household.community)
        except DomainError as err:
            flash(err.message, "error")
            return redirect(url_for("fee_accounts.household", id=str(household.pk)))
        settle_household(household)
        month = period_of(first)
        billed = list(BillLine.objects(household=household, period=month).order_by("due_on"))
        earlier = [line for line in BillLine.objects(household=household, settled=False, period__lt=month)
                   .order_by("due_on", "period")]
        payments = list(Payment.objects(household=household, received_on__gte=first.isoformat(),
                                        received_on__lte=last.isoformat()).order_by("received_at"))
        totals = {
            "billed": sum((to_money(line.amount) for line in billed), ZERO),
            "billed_paid": sum((to_money(line.paid) for line in billed), ZERO),
            "billed_owed": sum((line.owed for line in billed), ZERO),
            "earlier_owed": sum((line.owed for line in earlier), ZERO),
            "payments": sum((to_money(p.amount) for p in payments if not p.void), ZERO),
        }
        totals["balance"] = totals["billed_owed"] + totals["earlier_owed"]
        lang = print_language()
        with force_locale(lang):
            return self.render("fees/print/statement.html", lang=lang, household=household,
                               community=household.community, month=month, billed=billed, earlier=earlier,
                               payments=payments, totals=totals, upper=rmb_upper(totals["balance"]),
                               money=money_text, printed_at=clock.now(),
                               local_time=lambda value: local_text(value, household.community))


def register(admin, category):
    admin.add_view(PaymentView(Payment, name=_l("Payments and receipts"), category=category, endpoint="payments"))

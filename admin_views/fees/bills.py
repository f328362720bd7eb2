"""Bill lines (账单明细): the list with its filters and export, the month's generation, a charge.

Thin: the lines are made by documents/fees/ledger.py (`generate_bills`, `charge`); this module
only turns forms into their arguments and shows what came back.
"""
import secrets

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter, BooleanEqualFilter, FilterEqual
from flask_admin.model.fields import AjaxSelectField
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from admin_views.base import EstateModelView, ScopedAjaxLoader, show_refusal, user_communities
from admin_views.filters import CommunityFilter, ReferenceFilter, community_choices
from app.permissions import can
from documents.base import DomainError, sees_community
from documents.bilingual import current_language
from documents.fees import ledger
from documents.fees.items import FeeItem, MONTHLY_BASES
from documents.fees.ledger import PERIOD_RE, SOURCES, BillLine, period_of, today_in
from documents.money import money_text
from documents.renovations.common import amount_problem
from documents.residents import Household, search_households

AREA = "fees"
#: kinds whose lines come from their own area (a completed repair, a renovation file): never typed
#: here as well, or they would be billed twice
CHARGED_BY_THEIR_AREA = ("repair", "renovation")


def item_choices():
    """The fee items of the user's communities (a filter's choices, per request)."""
    communities = user_communities()
    several = len(communities) > 1
    names = {c.pk: c.display_name(current_language()) for c in communities} if several else {}
    return [(str(item.pk), f"{item.name()} · {names.get(item.community.pk, '')}" if several else item.name())
            for item in FeeItem.objects(community__in=[c.pk for c in communities]).order_by("code")]


class PeriodFilter(FilterEqual):
    """A month typed as YYYY-MM."""

    def validate(self, value):
        return bool(PERIOD_RE.match(str(value or "").strip()))

    def clean(self, value):
        return str(value).strip()


#: households a search or a building filter may stand for at most (a building of a large estate)
MATCHED_HOUSEHOLDS = 2000


def matched_households(term) -> list:
    """The households of the user's communities the universal search finds for `term` (room code,
    building(-unit), name, phone tail), by their indexed keys: the fee lists then ask for
    `household__in`, an indexed field of each of them."""
    return list(search_households(Household.objects.for_user(current_user), term)
                .limit(MATCHED_HOUSEHOLDS).scalar("id"))


def search_by_household(query, term):
    """The search box of the fee lists: room (3-2-1201, 3-2), household name or phone tail."""
    term = str(term or "").strip()[:60]
    return query.filter(household__in=matched_households(term)) if term else query


class BuildingFilter(BaseMongoEngineFilter):
    """The lines of one building's households (the building number as typed: 3, A)."""

    def __init__(self, name=_l("Building no.")):
        super().__init__("household", name)

    def validate(self, value):
        return bool(str(value or "").strip()) and len(str(value)) <= 10

    def apply(self, query, value):
        ids = Household.objects.for_user(current_user).filter(building_no=str(value).strip().upper()) \
            .limit(MATCHED_HOUSEHOLDS).scalar("id")
        return query.filter(household__in=list(ids))

    def operation(self):
        return _l("equals")


def filtered_url(view, **values) -> str:
    """The list of `view` filtered by column = value (`filtered_url(view, period="2026-12")`)."""
    args = {}
    for arg, (_index, flt) in view._filter_args.items():
        if getattr(flt, "column", None) in values:
            args[f"flt{len(args)}_{arg}"] = values.pop(flt.column)
    return view.get_url(".index_view", **args)


def household_loader(name="household"):
    """The household picker of a fee form: the user's communities, by room code or name."""
    return ScopedAjaxLoader(name, Household, fields=["room_code", "name"], prefix_fields=["room_code"],
                            order_by="sort_key", placeholder=_l("Type a room code or a name, e.g. 3-2-12"))


class GenerateForm(FlaskForm):
    community = SelectField(_l("Community"), choices=[], validate_choice=False)
    period = StringField(_l("Month"), validators=[InputRequired(), Length(max=7)],
                         description=_l("YYYY-MM, e.g. 2026-12"), render_kw={"autocomplete": "off",
                                                                             "placeholder": "2026-12"})


class ApportionForm(GenerateForm):
    item = SelectField(_l("Fee item"), choices=[], validate_choice=False, validators=[InputRequired()])
    total = StringField(_l("The month's total (yuan)"), validators=[InputRequired(), Length(max=20)],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    building_no = StringField(_l("Building no. (empty: the whole community)"), validators=[Optional(), Length(max=10)])


def positive_amount(form, field):
    problem = amount_problem(field.data, positive=True)
    if problem:
        raise ValidationError(problem)


class ChargeForm(FlaskForm):
    household = AjaxSelectField(household_loader(), _l("Household"), validators=[InputRequired()])
    item = SelectField(_l("Fee item"), choices=[], validate_choice=False, validators=[InputRequired()])
    amount = StringField(_l("Amount (yuan)"), validators=[InputRequired(), positive_amount],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
    token = HiddenField()


class BillLineView(EstateModelView):
    area = AREA
    list_template = "fees/cashier/bill_list.html"
    can_view_details = False
    column_list = ["room_code", "household_name", "item_name", "period", "basis", "amount", "paid", "owed",
                   "due_on", "source"]
    column_export_list = ["community", "room_code", "household_name", "item_name", "period", "basis", "amount",
                          "paid", "owed", "due_on", "settled", "source", "note", "created_at", "created_by_name"]
    column_labels = {"room_code": _l("Room"), "basis": _l("How the amount was reached"), "owed": _l("Owed")}
    column_sortable_list = [("room_code", "sort_key"), "period", "due_on"]
    column_default_sort = [("period", True), ("sort_key", False)]
    column_searchable_list = ["household"]         # see search_by_household
    column_formatters = {
        "item_name": lambda v, c, m, n: m.item_label(),
        "basis": lambda v, c, m, n: m.basis_text() or (m.note or ""),
        "owed": lambda v, c, m, n: money_text(m.owed),
        "room_code": lambda v, c, m, n: account_link(m),
    }
    column_formatters_export = {
        "item_name": lambda v, c, m, n: m.item_label(),
        "basis": lambda v, c, m, n: m.basis_text(),
        "owed": lambda v, c, m, n: m.owed,
        "room_code": lambda v, c, m, n: m.room_code or "",
    }
    list_select_related = False       # every column is the line's own (denormalised) field
    column_display_actions = False    # no row actions: a line is made by the generation or a charge

    def __init__(self, *args, **kwargs):
        self.column_filters = [
            CommunityFilter(),
            PeriodFilter("period", _l("Month")),
            ReferenceFilter("item", _l("Fee item"), choices=item_choices),
            BuildingFilter(),
            BooleanEqualFilter("settled", _l("Settled")),
            FilterEqual("source", _l("Source"), options=SOURCES),
        ]
        self.form_ajax_refs = {"household": household_loader()}
        super().__init__(*args, **kwargs)

    can_create = can_edit = can_delete = False       # lines are made by the generation and charges

    def search_placeholder(self):
        return _("Room (3-2-1201) or household name")

    def _search(self, query, term):
        return search_by_household(query, term)

    def render(self, template, **kwargs):
        kwargs.setdefault("may_generate", can(AREA, "action:generate_bills"))
        kwargs.setdefault("may_charge", can(AREA, "action:charge"))
        return super().render(template, **kwargs)

    # --- the month's bills ---
    @expose("/generate/", methods=("GET", "POST"))
    def generate_view(self):
        """Generate a month's bills for one community; running it again creates nothing new."""
        if not can(AREA, "action:generate_bills"):
            abort(403)
        communities = user_communities()
        if not communities:
            abort(404)
        form = GenerateForm()
        form.community.choices = community_choices(communities)
        chosen = {str(c.pk): c for c in communities}.get(form.community.data or request.args.get("community"),
                                                        communities[0])
        report = None
        if request.method == "GET":
            form.community.data = str(chosen.pk)
            form.period.data = request.args.get("period") or period_of(today_in(chosen))
        elif form.validate():
            try:
                report = ledger.generate_bills(chosen, form.period.data.strip(), actor=current_user._get_current_object())
            except DomainError as err:
                show_refusal(form, err)
        period = form.period.data if PERIOD_RE.match((form.period.data or "").strip()) else None
        return self.render("fees/cashier/generate.html", form=form, report=report, community=chosen,
                           lines_url=filtered_url(self, period=report.period, community=str(chosen.pk))
                           if report else None,
                           several=len(communities) > 1, monthly_items=self._monthly_items(chosen),
                           existing=BillLine.objects(community=chosen, period=period.strip()).count() if period else 0,
                           period=period)

    @expose("/apportion/", methods=("GET", "POST"))
    def apportion_view(self):
        """Share a month's shared water and electricity among the households, by floor area."""
        if not can(AREA, "action:generate_bills"):
            abort(403)
        communities = user_communities()
        if not communities:
            abort(404)
        form = ApportionForm()
        form.community.choices = community_choices(communities)
        chosen = {str(c.pk): c for c in communities}.get(form.community.data or request.args.get("community"),
                                                        communities[0])
        items = {str(i.pk): i for i in FeeItem.objects(community=chosen, basis="apportioned", active=True)}
        form.item.choices = [("", "—")] + [(key, item.name()) for key, item in items.items()]
        result = None
        if request.method == "GET":
            form.community.data = str(chosen.pk)
            form.period.data = period_of(today_in(chosen))
        elif form.validate():
            try:
                result = ledger.apportion(chosen, items.get(form.item.data), form.period.data.strip(),
                                          form.total.data, actor=current_user._get_current_object(),
                                          building_no=form.building_no.data)
            except DomainError as err:
                show_refusal(form, err)
        return self.render("fees/cashier/apportion.html", form=form, result=result, community=chosen,
                           several=len(communities) > 1, has_items=bool(items),
                           lines_url=filtered_url(self, period=result.period, community=str(chosen.pk))
                           if result else None)

    @staticmethod
    def _monthly_items(community):
        return list(FeeItem.objects(community=community, active=True, basis__in=list(MONTHLY_BASES)).order_by("code"))

    # --- a charge case by case ---
    @expose("/charge/", methods=("GET", "POST"))
    def charge_view(self):
        """Charge one household for a case-by-case item (a special service, rent, a deposit)."""
        if not can(AREA, "action:charge"):
            abort(403)
        form = ChargeForm()
        items = {str(item.pk): item for item in FeeItem.objects.for_user(current_user).filter(
            basis="one_off", active=True, kind__nin=list(CHARGED_BY_THEIR_AREA)).order_by("code")}
        several = len(user_communities()) > 1
        form.item.choices = [("", "—")] + [
            (key, f"{item.name()} · {item.community.display_name(current_language())}" if several else item.name())
            for key, item in items.items()]
        if request.method == "GET":
            form.token.data = secrets.token_urlsafe(16)
            household = form.household.loader.get_one(request.args.get("household", "")) \
                if request.args.get("household") else None
            form.household.data = household
        elif form.validate():
            household, item = form.household.data, items.get(form.item.data)
            if household is None or not sees_community(current_user, household.community):
                form.household.errors.append(_("Please choose one of the offered entries."))
            elif item is None:
                form.item.errors.append(_("Please choose one of the offered entries."))
            elif item.community.pk != household.community.pk:
                form.item.errors.append(_("This item belongs to another community than the household."))
            else:
                try:
                    line = ledger.charge(household, item, form.amount.data, actor=current_user._get_current_object(),
                                         note=form.note.data or "", source_id=form.token.data or None)
                except DomainError as err:
                    show_refusal(form, err)
                else:
                    flash(_("Charge added: %(item)s, %(amount)s yuan for %(household)s.", item=line.item_label(),
                            amount=money_text(line.amount), household=str(household)), "success")
                    return redirect(url_for("fee_accounts.household", id=str(household.pk)))
        return self.render("fees/cashier/charge.html", form=form, has_items=len(items) > 0)


def account_link(record):
    """A line's or payment's room, as a link to the household's account."""
    household = record._data.get("household")
    household_id = getattr(household, "id", household)
    if household_id is None:
        return record.room_code or ""
    return Markup('<a href="{}" class="account-link">{}</a>').format(
        url_for("fee_accounts.household", id=str(household_id)), record.room_code or "?")


def register(admin, category):
    admin.add_view(BillLineView(BillLine, name=_l("Bill lines"), category=category, endpoint="bill_lines"))

"""Lost & found (物品拾遗): the register with photos, hand-overs, the claim, the found-item notice print.

The rules are in documents/lost_found.py; these pages turn forms into its arguments and show its
refusals on the field they concern.
"""
from datetime import date

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from admin_views.base import EstateModelView, html_table, scoped_or_404, show_refusal, user_communities
from admin_views.datetimes import TypedDateTimeField
from admin_views.files import read_upload, send_stored_file
from admin_views.filters import TrueFilter, chosen_community, community_choices
from admin_views.steps import StepForm, StepPageMixin, state_badge
from app import clock
from app.permissions import can
from documents.base import DomainError
from documents.deadlines import local_date, local_text, to_utc, zone_of
from documents.fees.vacancy import period_of
from documents.lost_found import (FINDERS, NOTICE_DAYS, PHOTO_UPLOAD, STATES, FoundItem, FoundItemPhoto, add_photo,
                                  notice_items, register_items, register_span)
from documents.residents import ID_TYPES
from documents.validators import mask_id

AREA = "lost_found"
STATE_COLOURS = {"held": "warning", "office": "info", "company": "secondary", "claimed": "success"}


def claimant_id_text(model) -> str:
    return (model.claimant_id_number or "") if can(AREA, "view_id_numbers") else mask_id(model.claimant_id_number)


def _handovers_cell(view, context, model, name):
    rows = [(str(dict(h._fields["to"].choices).get(h.to, h.to)), h.by or "", h.received_by or "",
             local_text(h.at, model.community), h.note or "") for h in model.handovers or []]
    return html_table([_("To"), _("By"), _("Received by"), _("On"), _("Note")], rows) if rows else ""


def _local(field):
    return lambda v, c, m, n: local_text(getattr(m, field), m.community)


class HandOverForm(StepForm):
    received_by = StringField(_l("Received by"), validators=[Optional(), Length(max=60)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class ClaimForm(StepForm):
    claimant_name = StringField(_l("Claimant"), validators=[Optional(), Length(max=60)])
    id_type = SelectField(_l("ID type"), choices=ID_TYPES, default="id_card")
    id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=30)],
                            description=_l("From the original ID card the claimant shows"))
    description = TextAreaField(_l("How the claimant described it"), validators=[Optional(), Length(max=1000)])
    description_checked = BooleanField(_l("The description matches the item"))
    signed = StringField(_l("Signed by the claimant"), validators=[Optional(), Length(max=60)])


class RegisterForm(FlaskForm):
    """《拾遗物品登记表》 as the front desk fills it in."""
    community = SelectField(_l("Community"), choices=[], validators=[Optional()])
    item = StringField(_l("Item"), validators=[Optional(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=1000)],
                                description=_l("Kept off the notice: the owner describes the item to claim it"))
    place = StringField(_l("Where found"), validators=[Optional(), Length(max=200)])
    found_at = TypedDateTimeField(_l("Found on"), validators=[Optional()], description=_l("Local time; leave empty for now"))
    finder_kind = SelectField(_l("Finder is"), choices=FINDERS, default="staff")
    finder_name = StringField(_l("Finder"), validators=[Optional(), Length(max=60)])
    valuable = BooleanField(_l("Valuable (cash, phone…)"),
                            description=_l("Not claimed the same day: to the administration office"))
    kept_at = StringField(_l("Kept at"), validators=[Optional(), Length(max=200)])
    photos = MultipleFileField(_l("Photos"))


class FoundItemView(StepPageMixin, EstateModelView):
    area = AREA
    step_forms = {"to_office": HandOverForm, "to_company": HandOverForm, "claim": ClaimForm}
    list_template = "lost_found/list.html"
    details_template = "lost_found/details.html"
    column_list = ["number", "found_at", "item", "place", "valuable", "kept_at", "state", "notice_until"]
    column_details_list = [
        "number", "community", "item", "description", "place", "found_at", "finder_kind", "finder_name", "valuable",
        "kept_at", "state", "registered_by", "registered_at", "notice_until", "office_due_at", "company_due_at",
        "handovers", "claimant_name", "claimant_id_type", "claimant_id_number", "claimant_description",
        "claimant_signed", "claimed_at", "claim_checked_by"]
    column_export_list = ["number", "community", "found_at", "item", "description", "place", "finder_name",
                          "valuable", "kept_at", "state", "to_office_at", "to_company_at", "claimant_name",
                          "claimant_id_number", "claimed_at"]
    column_formatters = {
        "state": lambda v, c, m, n: state_badge(m, STATE_COLOURS),
        "claimant_id_number": lambda v, c, m, n: claimant_id_text(m),
        "handovers": _handovers_cell,
        "found_at": _local("found_at"), "notice_until": _local("notice_until"),
        "office_due_at": _local("office_due_at"), "company_due_at": _local("company_due_at"),
        "registered_at": _local("registered_at"), "claimed_at": _local("claimed_at"),
    }
    column_formatters_export = {"state": lambda v, c, m, n: m.state_label,
                                "claimant_id_number": lambda v, c, m, n: claimant_id_text(m),
                                "found_at": _local("found_at"), "to_office_at": _local("to_office_at"),
                                "to_company_at": _local("to_company_at"), "claimed_at": _local("claimed_at")}
    column_default_sort = ("found_at", True)
    column_sortable_list = ["number", "found_at", "state"]
    column_searchable_list = ["number", "item"]
    search_hint = _l("Number or item")
    can_edit = False
    can_delete = False

    def __init__(self, *args, **kwargs):
        self.column_filters = [FilterEqual("state", _l("State"), options=STATES),
                               TrueFilter("valuable", _l("Valuable (cash, phone…)"))]
        super().__init__(*args, **kwargs)

    can_create = False  # items are registered on the register form (register_view)

    def get_query(self):
        return FoundItem.objects.for_user(current_user)

    def step_summary(self, record) -> list:
        return [(_("Number"), record.number), (_("Item"), record.item), (_("Where found"), record.place),
                (_("Found on"), local_text(record.found_at, record.community)), (_("Kept at"), record.kept_at),
                (_("State"), record.state_label)]

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra["photos"] = list(FoundItemPhoto.objects(found_item=model).only("id", "filename"))
        return extra

    @expose("/register/", methods=("GET", "POST"))
    def register_view(self):
        if not can(AREA, "create"):
            abort(403)
        communities = user_communities()
        form = RegisterForm()
        form.community.choices = community_choices(communities)
        if request.method == "POST" and form.validate():
            community = chosen_community(communities, form.community)
            if community is not None:
                record = self._register(form, community)
                if record is not None:
                    return redirect(self.get_url(".details_view", id=str(record.pk)))
        return self.render("lost_found/register.html", form=form, several=len(communities) > 1)

    def _register(self, form, community):
        user = current_user._get_current_object()
        uploads = [f for f in (form.photos.data or []) if getattr(f, "filename", "")]
        try:
            checked = [(PHOTO_UPLOAD.accept(u.filename, read_upload(u, PHOTO_UPLOAD))) for u in uploads]
            found_at = to_utc(form.found_at.data, zone_of(community)) if form.found_at.data else None
            record = FoundItem.register(user, community, item=form.item.data, place=form.place.data,
                                        found_at=found_at, finder_name=form.finder_name.data,
                                        kept_at=form.kept_at.data, finder_kind=form.finder_kind.data,
                                        description=form.description.data, valuable=form.valuable.data)
        except DomainError as err:
            show_refusal(form, err)
            return None
        for name, _kind, data in checked:
            try:
                add_photo(record, data, name, user)
            except DomainError as err:
                flash(err.message, "warning")
        flash(_("Found item %(number)s registered; it is on the found-item notice for %(n)d days.",
                number=record.number, n=NOTICE_DAYS), "success")
        return record

    @expose("/photo/<photo_id>")
    def photo_view(self, photo_id):
        if not can(AREA, "details"):
            abort(403)
        return send_stored_file(scoped_or_404(FoundItemPhoto, photo_id), max_age=600)

    def _community(self):
        communities = user_communities()
        community = next((c for c in communities if str(c.pk) == request.args.get("community")), None) \
            or (communities[0] if communities else None)
        if community is None:
            abort(404)
        return community, communities

    @staticmethod
    def _lang():
        return "en" if request.args.get("lang") == "en" else "zh_Hans_CN"

    def _print(self, template, **kwargs):
        with force_locale(self._lang()):
            return self.render(template, lang=self._lang(), printed_at=clock.now(), **kwargs)

    @expose("/notice/")
    def notice_view(self):
        """The found-item notice (招领启事) for the notice boards: what, where, when - never the details."""
        if not can(AREA, "list"):
            abort(403)
        community, _communities = self._community()
        return self._print("lost_found/notice.html", community=community, items=list(notice_items(community)),
                           days=NOTICE_DAYS)

    @expose("/register-print/")
    def register_print_view(self):
        """The register (《拾遗物品登记表》) of the days `first`..`last`, else of a month (`period`, default this one)."""
        if not can(AREA, "list"):
            abort(403)
        community, communities = self._community()
        args = request.args
        first, last = (_day(args.get(name)) for name in ("first", "last"))
        ranged = bool(args.get("first") or args.get("last"))      # days typed: they win over the month
        period = "" if ranged else (args.get("period") or "").strip() \
            or period_of(local_date(clock.now(), zone_of(community)))
        items, span = [], None
        with force_locale(self._lang()):          # a refusal in the print's language
            try:
                span = register_span(period, first, last)
                items = list(register_items(community, *span))
            except DomainError as err:
                flash(str(err.message), "error")
        return self._print("lost_found/register_print.html", community=community, communities=communities,
                           items=items, span=span, period=period or (args.get("period") or "").strip(),
                           first=args.get("first", ""),
                           last=args.get("last", ""), claimant_id_text=claimant_id_text)


def _day(text):
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def register(admin):
    admin.add_view(FoundItemView(FoundItem, name=_l("Lost & found"), category=_l("Service"),
                                 endpoint="lost_found"))


"""Vacant units: applications and their steps, meter readings, inspections, coverage, storm rounds.

The rules are in documents/fees/vacancy.py; these pages turn forms into its arguments and show its
refusals on the field they concern.
"""
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from admin_views.base import (EstateModelView, SecurePage, html_table, scoped_or_404, show_refusal,
                              user_communities)
from admin_views.datetimes import TypedDateField
from admin_views.filters import TrueFilter, community_choices
from admin_views.steps import StepForm, StepPageMixin, state_badge
from app.permissions import archive_standing_level, can
from documents.archive_access import shows_ids
from documents.base import DomainError
from documents.fees.vacancy import (FINDING_CATEGORIES, MIN_VACANCY_MONTHS, POWER_LIMIT_KWH, STATES,
                                    STORM_CAUSES, TARGET_KINDS, WATER_LIMIT_T, StormRound, VacantInspection,
                                    Vacancy, community_today, inspection_buildings, month_bounds,
                                    month_coverage, period_of, record_inspection, round_coverage)
from documents.places import Room, parse_room_code
from documents.residents import ID_TYPES, Household
from documents.validators import mask_id

AREA = "vacancies"
INSPECTION_AREA = "vacant_inspections"
STATE_COLOURS = {"applied": "warning", "reviewed": "warning", "approved": "primary", "received": "success", "told": "info",
                 "rejected": "secondary", "withdrawn": "secondary"}


# --- step forms ---

class OpinionForm(StepForm):
    opinion = TextAreaField(_l("Customer service opinion"), validators=[DataRequired(), Length(max=500)],
                            description=_l("E.g. the owner was told how to use water and power while vacant "
                                           "and how to cancel the vacancy"))


class NoteForm(StepForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class ReasonNoteForm(StepForm):
    note = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class WithdrawForm(StepForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class RemindForm(StepForm):
    note = TextAreaField(_l("What the owner said"), validators=[Optional(), Length(max=500)],
                         description=_l("Re-applying for a new period, or back to full fees after the last day"))


class ReadingForm(StepForm):
    read_on = TypedDateField(_l("Meters read on"), validators=[Optional()])
    water = StringField(_l("Water meter (t)"), validators=[Optional(), Length(max=20)])
    electricity = StringField(_l("Electricity meter (kWh)"), validators=[Optional(), Length(max=20)])

    def for_record(self, record, user):
        self.water.description = _("More than %(w)s t of water or %(e)s kWh of electricity in a month: that "
                                   "month is billed in full.", w=WATER_LIMIT_T, e=POWER_LIMIT_KWH)


def _id_cell(view, context, model, name):
    """The owner's ID number, masked as the archives mask it for this reader."""
    household = model.household
    full = shows_ids(current_user, household) if household is not None \
        else archive_standing_level(current_user) == "full"
    return model.id_number if full else mask_id(model.id_number)


def _readings_cell(view, context, model, name):
    rows = [(r.read_on.isoformat(), r.water, r.electricity, "" if r.water_used is None else r.water_used,
             "" if r.electricity_used is None else r.electricity_used, r.read_by or "")
            for r in model.readings or []]
    return html_table([_("Meters read on"), _("Water meter (t)"), _("Electricity meter (kWh)"), _("Water used (t)"),
                       _("Electricity used (kWh)"), _("Read by")], rows)


def _flag_cell(view, context, model, name):
    if not model.flagged:
        return ""
    return Markup('<span class="badge badge-danger vacancy-flag">{}</span> {}').format(
        _("Occupied"), ", ".join(model.occupied_months or []))


def _work_order_cell(view, context, model, name):
    order = model.work_order
    if order is None:
        return ""
    return Markup('<a href="{}">{}</a>').format(view.get_url("repairs.details_view", id=str(order.pk)), order.number)


class VacancyView(StepPageMixin, EstateModelView):
    area = AREA
    step_forms = {"review": OpinionForm, "approve": NoteForm, "reject": ReasonNoteForm, "remind": RemindForm,
                  "withdraw": WithdrawForm, "read_meters": ReadingForm}
    list_template = "fees/vacancy/list.html"
    details_template = "fees/vacancy/details.html"
    column_list = ["state", "room_code", "owner_name", "starts_on", "ends_on", "flagged", "received_at"]
    column_details_list = [
        "community", "room_code", "household_name", "owner_name", "id_type", "id_number", "id_checked_by",
        "id_checked_at", "starts_on", "ends_on", "reason", "state", "opinion", "reviewed_by", "reviewed_at",
        "decided_by", "decided_at", "decision_note", "work_order", "received_by", "received_at",
        "reminder_due_at", "reminded_by", "reminded_at", "remind_note", "withdraw_reason", "flagged", "readings"]
    column_export_list = ["community", "room_code", "household_name", "owner_name", "id_number", "starts_on",
                          "ends_on", "reason", "state", "decided_by", "received_by", "flagged", "occupied_months"]
    column_formatters = {"state": lambda v, c, m, n: state_badge(m, STATE_COLOURS), "id_number": _id_cell,
                         "readings": _readings_cell, "flagged": _flag_cell, "work_order": _work_order_cell}
    column_formatters_export = {"id_number": lambda v, c, m, n: m.id_number if archive_standing_level(
        current_user) == "full" else mask_id(m.id_number), "state": lambda v, c, m, n: m.state_label,
        "occupied_months": lambda v, c, m, n: ", ".join(m.occupied_months or [])}
    column_default_sort = ("applied_at", True)
    column_sortable_list = ["starts_on", "ends_on", "state"]
    column_searchable_list = ["room_code", "owner_name"]
    search_hint = _l("Room or owner")
    can_edit = False
    can_delete = False

    def __init__(self, *args, **kwargs):
        self.column_filters = [
            FilterEqual("state", _l("State"), options=[(k, v) for k, v in STATES if k != "new"]),
            FilterEqual("building_no", _l("Building no.")),
            TrueFilter("flagged", _l("Flagged: meters show use")),
        ]
        super().__init__(*args, **kwargs)

    can_create = False  # applications are taken on the application form (apply_view)

    def get_query(self):
        return Vacancy.objects.for_user(current_user).filter(state__ne="new")

    def step_summary(self, record) -> list:
        return [(_("Room"), record.room_code), (_("Owner"), record.owner_name),
                (_("Period"), f"{record.starts_on} – {record.ends_on}"), (_("Reason"), record.reason),
                (_("State"), record.state_label)]

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra["household_url"] = self.get_url("households.details_view", id=str(model.household.pk)) \
            if model.household is not None and can("residents", "details") else None
        return extra

    @expose("/apply/", methods=("GET", "POST"))
    def apply_view(self):
        if not can(AREA, "action:apply"):
            abort(403)
        household = scoped_or_404(Household, request.args.get("household")) \
            if request.args.get("household") else None
        form = ApplyForm(request.form if request.method == "POST" else None)
        communities = user_communities()
        form.community.choices = community_choices(communities)
        if request.method == "GET":
            form.prefill(household)
        elif form.validate():
            chosen = household or form.household(communities)
            if chosen is not None:
                try:
                    record = Vacancy.apply(current_user._get_current_object(), chosen, form.starts_on.data,
                                           form.ends_on.data, form.reason.data, form.owner_name.data,
                                           form.id_number.data, form.id_type.data)
                    flash(_("The application of %(room)s was registered: customer service signs its opinion next.",
                            room=record.room_code), "success")
                    return redirect(self.get_url(".details_view", id=str(record.pk)))
                except DomainError as err:
                    show_refusal(form, err)
        return self.render("fees/vacancy/apply.html", form=form, household=household,
                           several=len(communities) > 1, months=MIN_VACANCY_MONTHS)


class ApplyForm(FlaskForm):
    """The vacancy application (空置房申请表) as the front desk fills it in with the owner."""
    community = SelectField(_l("Community"), choices=[], validators=[Optional()])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=30)],
                       description=_l("Building-unit-room, e.g. 3-2-1201"))
    owner_name = StringField(_l("Owner"), validators=[Optional(), Length(max=60)])
    id_type = SelectField(_l("ID type"), choices=ID_TYPES, default="id_card")
    id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=30)],
                            description=_l("From the original ID card the owner shows; you are recorded as "
                                           "having checked it"))
    starts_on = TypedDateField(_l("Vacant from"), validators=[Optional()])
    ends_on = TypedDateField(_l("Last vacant day"), validators=[Optional()],
                             description=_l("Only whole months are billed at 50 %: a vacancy from the 1st "
                                            "is discounted from that month"))
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])

    def prefill(self, household):
        if household is None:
            return
        owner = next(iter(household.owners or []), None)
        if owner is not None:
            self.owner_name.data = owner.name
            self.id_type.data = owner.id_type or "id_card"

    def household(self, communities):
        """The current archive of the typed room in the chosen (or only) community; else a message."""
        code = parse_room_code(self.room.data or "")
        if code is None:
            self.room.errors = list(self.room.errors) + [_("Write the room as building-unit-room, e.g. 3-2-1201.")]
            return None
        ids = [c.pk for c in communities if not self.community.data or str(c.pk) == self.community.data]
        found = Household.objects(community__in=ids, room_codes=code, status="current").first()
        if found is None:
            self.room.errors = list(self.room.errors) + [_("No current archive for room %(code)s.", code=code)]
        return found


# --- inspections ---

class InspectForm(FlaskForm):
    """《空置房检查记录表》 / 《地下室检查记录表》."""
    community = SelectField(_l("Community"), choices=[], validators=[Optional()])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=30)],
                       description=_l("Building-unit-room, e.g. 3-2-1201 (a basement: 3-1-B01)"))
    inspected_on = TypedDateField(_l("Inspected on"), validators=[Optional()])
    facilities_ok = BooleanField(_l("Facilities in order"), default=True)
    hygiene_ok = BooleanField(_l("Clean"), default=True)
    quality_ok = BooleanField(_l("No cracks or damage"), default=True)
    no_leaks = BooleanField(_l("No leaks, valves closed"), default=True)
    findings = TextAreaField(_l("Findings"), validators=[Optional(), Length(max=1000)])
    open_work_order = BooleanField(_l("Open a work order for the findings"))
    category = SelectField(_l("Work order category"), choices=FINDING_CATEGORIES, default="other")

    def checks(self) -> dict:
        return {name: getattr(self, name).data for name in ("facilities_ok", "hygiene_ok", "quality_ok", "no_leaks")}

    def chosen_room(self, communities):
        code = parse_room_code(self.room.data or "")
        if code is None:
            self.room.errors = list(self.room.errors) + [_("Write the room as building-unit-room, e.g. 3-2-1201.")]
            return None
        ids = [c.pk for c in communities if not self.community.data or str(c.pk) == self.community.data]
        found = Room.objects(community__in=ids, code=code).first()
        if found is None:
            self.room.errors = list(self.room.errors) + [_("There is no room %(code)s.", code=code)]
        return found


def _inspection_flags(view, context, model, name):
    if model.all_ok:
        return Markup('<span class="badge badge-success">{}</span>').format(_("All in order"))
    return Markup('<span class="badge badge-warning">{}</span>').format(_("Findings"))


class InspectionView(EstateModelView):
    area = INSPECTION_AREA
    column_list = ["inspected_on", "room_code", "kind", "inspector_name", "facilities_ok", "findings",
                   "work_order", "storm_round"]
    column_details_list = ["community", "room_code", "kind", "month", "inspected_on", "inspector_name",
                           "facilities_ok", "hygiene_ok", "quality_ok", "no_leaks", "findings", "work_order",
                           "storm_round", "recorded_at"]
    column_export_list = ["community", "room_code", "building_no", "kind", "month", "inspected_on", "inspector_name",
                          "facilities_ok", "hygiene_ok", "quality_ok", "no_leaks", "findings"]
    column_labels = {"facilities_ok": _l("Facilities in order")}
    column_formatters = {"facilities_ok": _inspection_flags, "work_order": _work_order_cell}
    column_default_sort = ("inspected_on", True)
    column_sortable_list = ["inspected_on"]
    column_searchable_list = ["room_code"]
    search_hint = _l("Room")
    can_edit = False
    can_delete = False
    list_template = "fees/vacancy/inspection_list.html"

    def __init__(self, *args, **kwargs):
        self.column_filters = [FilterEqual("month", _l("Month")), FilterEqual("building_no", _l("Building no.")),
                               FilterEqual("kind", _l("Inspected as"), options=TARGET_KINDS)]
        super().__init__(*args, **kwargs)

    can_create = False  # recorded on the inspection form (inspect_view), from the coverage page

    @expose("/inspect/", methods=("GET", "POST"))
    def inspect_view(self):
        if not can(INSPECTION_AREA, "action:inspect"):
            abort(403)
        storm = scoped_or_404(StormRound, request.args.get("round")) if request.args.get("round") else None
        room = scoped_or_404(Room, request.args.get("room")) if request.args.get("room") else None
        communities = user_communities()
        form = InspectForm(request.form if request.method == "POST" else None)
        form.community.choices = community_choices(communities)
        if request.method == "GET":
            form.room.data = room.code if room is not None else None
            form.community.data = str(room.community.pk) if room is not None else None
            form.inspected_on.data = community_today(room.community if room else (communities or [None])[0])
        elif form.validate():
            chosen = form.chosen_room(communities)
            if chosen is not None:
                try:
                    record = record_inspection(current_user._get_current_object(), chosen, form.inspected_on.data,
                                               findings=form.findings.data, open_work_order=form.open_work_order.data,
                                               category=form.category.data, storm_round=storm, **form.checks())
                    flash(_("The inspection of %(room)s was recorded.", room=record.room_code), "success")
                    if record.work_order is not None:
                        flash(_("Work order %(no)s was opened for the findings.", no=record.work_order.number),
                              "success")
                    return redirect(self.get_url("vacant_coverage.index", round=str(storm.pk) if storm else None,
                                                 month=None if storm else record.month))
                except DomainError as err:
                    show_refusal(form, err)
        return self.render("fees/vacancy/inspect.html", form=form, storm=storm, several=len(communities) > 1)


class StormForm(FlaskForm):
    cause = SelectField(_l("After"), choices=STORM_CAUSES, default="rainstorm")
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class CoverageView(SecurePage):
    """Coverage of a month (or of a storm round): the share inspected and who is missing, by building
    and its housekeepers; the director starts a storm round here."""
    area = INSPECTION_AREA

    def is_accessible(self):
        return current_user.is_authenticated and can(INSPECTION_AREA, "coverage")

    def _community(self, communities):
        wanted = request.values.get("community", "")
        return next((c for c in communities if str(c.pk) == wanted), communities[0] if communities else None)

    @expose("/")
    def index(self):
        communities = user_communities()
        community = self._community(communities)
        if community is None:
            abort(404)
        storm = scoped_or_404(StormRound, request.args.get("round")) if request.args.get("round") else None
        if storm is not None:
            community = storm.community
        period = request.args.get("month", "").strip() or period_of(community_today(community))
        try:
            month_bounds(period)
        except DomainError as err:
            flash(err.message, "error")
            period = period_of(community_today(community))
        buildings = inspection_buildings(current_user)
        coverage = round_coverage(storm, buildings) if storm else month_coverage(community, period, buildings)
        rounds = list(StormRound.objects(community=community.pk).only(
            "cause", "started_on", "started_at", "started_by").order_by("-started_at").limit(5))
        return self.render("fees/vacancy/coverage.html", coverage=coverage, community=community, period=period,
                           storm=storm, rounds=rounds, communities=communities, own_only=buildings is not None,
                           buildings=buildings, storm_form=StormForm(),
                           can_start=can(INSPECTION_AREA, "action:storm_round"),
                           can_inspect=can(INSPECTION_AREA, "action:inspect"))

    @expose("/storm/", methods=("POST",))
    def storm_view(self):
        if not can(INSPECTION_AREA, "action:storm_round"):
            abort(403)
        community = self._community(user_communities())
        form = StormForm(request.form)
        if community is None or not form.validate():
            flash(_("Choose the weather that calls for the round."), "error")
            return redirect(self.get_url(".index"))
        try:
            storm = StormRound.start(current_user._get_current_object(), community, form.cause.data, form.note.data)
        except DomainError as err:
            flash(err.message, "error")
            return redirect(self.get_url(".index"))
        flash(_("Storm round started: %(n)d vacant units and basements are due.", n=len(storm.targets)), "success")
        return redirect(self.get_url(".index", round=str(storm.pk)))


def register(admin, category):
    admin.add_view(VacancyView(Vacancy, name=_l("Vacant units"), category=category, endpoint="vacancies"))
    admin.add_view(InspectionView(VacantInspection, name=_l("Vacant-unit inspections"), category=category,
                                  endpoint="vacant_inspections"))
    admin.add_view(CoverageView(name=_l("Inspection coverage"), category=category, endpoint="vacant_coverage",
                                url="vacant-coverage"))

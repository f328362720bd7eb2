"""Visit log: the "Log visit" form (from repair, complaint and archive rows) and the visit list."""
import secrets

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from admin_views.base import EstateModelView, add_row_actions, choice_label, scoped_or_404, show_refusal
from admin_views.datetimes import TypedDateTimeField
from admin_views.filters import CommunityFilter, LocalDateBetweenFilter, TrueFilter
from admin_views.services import SATISFACTION, LocalTimeStepForm, household_row_actions
from app.permissions import can
from documents.base import DomainError
from documents.complaints import Complaint
from documents.deadlines import local_text, to_utc, zone_of
from documents.repairs import Repair
from documents.residents import Household
from documents.visits import (FOLLOW_UP_KIND_NEEDED, FOLLOW_UP_NOTE_NEEDED, FOLLOW_UPS, KINDS, METHODS,
                              SATISFACTION_NEEDED, TARGETS, Visit, log_visit, target_kind, visit_time_problem)

AREA = "visits"
#: target -> (document, the permission area whose list the target belongs to, endpoint)
TARGET_MODELS = {"repair": (Repair, "repairs", "repairs"),
                 "complaint": (Complaint, "complaints", "complaints"),
                 "household": (Household, "residents", "households")}


def _text(field):
    return (field.data or "").strip() or None


class VisitForm(LocalTimeStepForm):
    """The "Log visit" form: the visit's data, typed in the local time of the target's community.

    It checks what it can know itself (the time against the target's timeline, the rating of a
    return visit, the follow-up), so every problem shows at once; log_visit still checks it all."""

    method = SelectField(_l("Method"), choices=METHODS, validators=[DataRequired()])
    visited_at = TypedDateTimeField(_l("Visited on"), validators=[InputRequired()])
    resident_name = StringField(_l("Resident"), validators=[Optional(), Length(max=60)])
    resident_said = TextAreaField(_l("What the resident said"), validators=[DataRequired(), Length(max=2000)])
    satisfaction = SelectField(_l("Satisfaction"), choices=SATISFACTION, validators=[Optional()])
    follow_up_needed = BooleanField(_l("Follow-up needed"))
    follow_up_kind = SelectField(_l("Follow-up"), choices=[("", "—")] + [(k, v) for k, v in FOLLOW_UPS],
                                 validators=[Optional()])
    follow_up_note = TextAreaField(_l("Follow-up details"), validators=[Optional(), Length(max=1000)])
    submission_key = HiddenField()
    target = None

    def for_record(self, target, user):
        self.target = target

    def validate(self, extra_validators=None):
        """The fields' own checks, then the visit's rules the form can know, all in one round."""
        valid = super().validate(extra_validators)
        for field, message in self.rule_problems():
            field.errors.append(message)
            valid = False
        return valid

    def rule_problems(self):
        """(field, message) for each rule of documents/visits.py this form's data break."""
        if self.target is None:
            return
        if self.visited_at.data is not None:
            problem = visit_time_problem(self.target, to_utc(self.visited_at.data, zone_of(self.target.community)))
            if problem:
                yield self.visited_at, problem
        if target_kind(self.target) != "household" and not self.satisfaction.data:
            yield self.satisfaction, str(SATISFACTION_NEEDED)
        if self.follow_up_needed.data:
            if not self.follow_up_kind.data:
                yield self.follow_up_kind, str(FOLLOW_UP_KIND_NEEDED)
            if not (self.follow_up_note.data or "").strip():
                yield self.follow_up_note, str(FOLLOW_UP_NOTE_NEEDED)

    def prefill(self, target, user):
        self.resident_name.data = target.name if target_kind(target) == "household" else target.resident_name
        self.submission_key.data = secrets.token_urlsafe(16)
        super().prefill(target, user)

    def arguments(self, target) -> dict:
        return {"method": self.method.data, "visited_at": super().arguments(target)["visited_at"],
                "resident_name": _text(self.resident_name), "resident_said": _text(self.resident_said),
                "satisfaction": int(self.satisfaction.data) if self.satisfaction.data else None,
                "follow_up_needed": bool(self.follow_up_needed.data),
                "follow_up_kind": self.follow_up_kind.data or None, "follow_up_note": _text(self.follow_up_note),
                "submission_key": self.submission_key.data}


class VisitView(EstateModelView):
    area = AREA
    can_edit = False
    can_delete = False
    column_list = ["visited_at", "kind", "record_number", "room_code", "resident_name", "method", "staff_name",
                   "satisfaction", "follow_up_needed"]
    column_details_list = ["community", "visited_at", "kind", "target", "record_number", "room_code",
                           "resident_name", "method", "staff_name", "resident_said", "satisfaction",
                           "follow_up_needed", "follow_up_kind", "follow_up_note", "follow_up_repair",
                           "follow_up_complaint"]
    column_export_list = ["visited_at", "community", "kind", "target", "record_number", "room_code",
                          "resident_name", "method", "staff_name", "resident_said", "satisfaction",
                          "follow_up_needed", "follow_up_note"]
    column_sortable_list = ["visited_at", "satisfaction"]
    column_default_sort = ("visited_at", True)
    column_searchable_list = ["record_number", "room_code", "resident_name"]

    def search_placeholder(self):
        return _("Number, room (3-2-1201) or resident")

    can_create = False  # visits are logged from a repair, complaint or archive row ("Log visit")

    def __init__(self, *args, **kwargs):
        self.column_filters = [
            CommunityFilter(),
            FilterEqual("building_no", _l("Building no.")),
            FilterEqual("kind", _l("Type"), options=KINDS),
            FilterEqual("target", _l("Visit to"), options=TARGETS),
            FilterEqual("method", _l("Method"), options=METHODS),
            FilterEqual("staff_name", _l("Staff")),
            TrueFilter("follow_up_needed", _l("Follow-up needed")),
            LocalDateBetweenFilter("visited_at", _l("Visited on")),
        ]
        super().__init__(*args, **kwargs)

    # labels are the fields' own names; times are shown in the community's zone and choices by their
    # labels by default (EstateModelView)
    column_formatters = {
        "follow_up_needed": lambda v, c, m, n: _("Yes") if m.follow_up_needed else "",
        "record_number": lambda v, c, m, n: _record_link(m),
        "follow_up_repair": lambda v, c, m, n: _link("repairs", m.follow_up_repair),
        "follow_up_complaint": lambda v, c, m, n: _link("complaints", m.follow_up_complaint),
    }
    column_formatters_export = dict(column_formatters, **{
        "record_number": lambda v, c, m, n: m.record_number or "",
        "follow_up_needed": lambda v, c, m, n: _("Yes") if m.follow_up_needed else _("No"),
    })

    def _target_or_404(self, kind, raw_id):
        if kind not in TARGET_MODELS:
            abort(404)
        model, area, _endpoint = TARGET_MODELS[kind]
        if not can(area, "list"):
            abort(403)
        return scoped_or_404(model, raw_id)

    @expose("/log/", methods=("GET", "POST"))
    def log_view(self):
        """The "Log visit" form: pre-filled from its target; saving may close the target."""
        if not can(AREA, "create"):
            abort(403)
        kind = request.args.get("target", "")
        target = self._target_or_404(kind, request.args.get("id"))
        _model, _area, endpoint = TARGET_MODELS[kind]
        return_url = get_redirect_target() or url_for(f"{endpoint}.index_view")
        user = current_user._get_current_object()
        form = VisitForm()
        form.for_record(target, user)
        # a return visit is the record's step: say why not instead of a form that cannot be saved
        refusal = None if kind == "household" else target.why_not("return_visit", user)
        if request.method == "GET":
            form.prefill(target, user)
        elif refusal is None and form.validate():
            try:
                log_visit(target, user, **form.arguments(target))
            except DomainError as err:
                show_refusal(form, err)
            else:
                label = getattr(target, "number", None) or str(target)
                flash(_("Visit logged: %(record)s.", record=label), "success")
                return redirect(return_url)
        title = _("Log a visit") if kind == "household" else _("Log visit")
        return self.render("visits/log.html", form=form, target=target, kind=kind, return_url=return_url,
                           title=title, target_label=choice_label(TARGETS, kind), summary=_summary(kind, target),
                           refusal=refusal)


def _summary(kind, target):
    if kind == "household":
        return [(_("Room"), target.room_code), (_("Household name"), target.name)]
    text = getattr(target, "description", None) or getattr(target, "content", "")
    return [(_("Number"), target.number), (_("Room"), target.room_code or getattr(target, "public_area", "") or ""),
            (_("Resident"), target.resident_name or ""), (_("State"), target.state_label),
            (_("Return visit due"), local_text(target.visit_due_at, target.community)), ("", text)]


def _link(endpoint, record):
    from markupsafe import Markup
    if record is None:
        return ""
    return Markup('<a href="{}">{}</a>').format(url_for(f"{endpoint}.details_view", id=str(record.pk)),
                                                record.number)


def _record_link(m):
    if m.repair is not None:
        return _link("repairs", m.repair)
    if m.complaint is not None:
        return _link("complaints", m.complaint)
    return m.record_number or ""


def register(admin):
    admin.add_view(VisitView(Visit, name=_l("Visit log"), category=_l("Service"), endpoint="visits"))
    add_row_actions("households", household_row_actions)

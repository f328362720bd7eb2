"""What the repair and complaint views share: step pages, row buttons, deadline columns and filter.

A *step* is a document transition with a small form: GET shows the form (pre-filled), POST
applies it through the document method (which checks role, state and data, and writes
conditionally). Row buttons show only the steps the user's role allows in the row's state.
"""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import BaseListRowAction, EditRowAction
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateTimeLocalField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from admin_views.base import (CommunityFormMixin, EstateModelView, ScopedAjaxLoader, scoped_or_404,
                              show_refusal, user_communities)
from app import clock
from app.permissions import can
from documents.base import DomainError
from documents.deadlines import DUE_FILTERS, due_query, due_status, local_text, to_local, to_utc, zone_of
from documents.places import Room
from documents.services import CLOSE_REASONS, step_label
from documents.visits import Visit

DUE_OPTIONS = [("overdue", _l("Overdue")), ("today", _l("Due today")), ("week", _l("Due this week"))]
BADGES = {"late": "badge-danger", "soon": "badge-warning", "due": "badge-light border"}


# --- filters ---

class DueFilter(BaseMongoEngineFilter):
    """Overdue / due today / due this week, each community's day and week in its own zone."""

    def __init__(self, column="due_at", name=_l("Deadline")):
        super().__init__(column, name, options=DUE_OPTIONS)

    def validate(self, value):
        return value in DUE_FILTERS

    def apply(self, query, value):
        return query.filter(due_query(self.column, value, user_communities(), clock.now()))

    def operation(self):
        return _l("is")


def handler_options():
    from documents.staff import Staff
    ids = [c.pk for c in user_communities()]
    return [(str(s.pk), s.display_name) for s in Staff.objects(communities__in=ids, active=True)
            .order_by("display_name")]


# --- list cells ---

def due_badge(record, now=None) -> Markup:
    kind, text = due_status(record.due_at, now or clock.now())
    if not kind:
        return Markup("")
    return Markup('<span class="badge {} due-{}" title="{}">{}</span>').format(
        BADGES[kind], kind, local_text(record.due_at, record.community), text)


def local_cell(value, community) -> str:
    return local_text(value, community)


def state_badge(record) -> Markup:
    colour = "secondary" if record.state in ("closed", "cancelled") else "info"
    return Markup('<span class="badge badge-{} state-{}">{}</span>').format(
        colour, record.state, record.state_label())


# --- row buttons ---

class StepRowAction(BaseListRowAction):
    """A button for one transition, shown only when the role allows it in the row's state."""

    def __init__(self, step):
        super().__init__(title=None)
        self.step = step

    def render(self, context, row_id, row):
        if self.step not in row.allowed_steps(current_user):
            return ""
        get_url = context.resolve("get_url")
        url = get_url(".step_view", step=self.step, id=row_id, url=context.resolve("return_url"))
        return Markup('<a class="btn btn-sm btn-outline-primary py-0 px-1 mr-1 mb-1 step-{}" href="{}">{}</a>'
                      ).format(self.step, url, step_label(self.step))


class LogVisitRowAction(BaseListRowAction):
    """"Log visit" on a repair, complaint or household row: opens the visit form pre-filled."""

    def __init__(self, target):
        super().__init__(title=_l("Log visit"))
        self.target = target

    def render(self, context, row_id, row):
        if not can("visits", "create"):
            return ""
        if self.target == "household":
            if getattr(row, "status", "current") != "current":
                return ""
        elif row.state not in row.VISIT_STATES:
            return ""
        url = url_for("visits.log_view", target=self.target, id=row_id, url=context.resolve("return_url"))
        label = _("Log a visit") if self.target == "household" else _("Log visit")
        return Markup('<a class="btn btn-sm btn-outline-success py-0 px-1 mr-1 mb-1 log-visit" href="{}">{}</a>'
                      ).format(url, label)


class OpenRecordEditRowAction(EditRowAction):
    """The edit pencil only on records still open (a finished record is refused on save anyway)."""

    def render(self, context, row_id, row):
        return super().render(context, row_id, row) if row.is_open else ""


def household_row_actions(view):
    """Added to the archive list through base.add_row_actions (no change to the archive view)."""
    return [LogVisitRowAction("household")] if can("visits", "create") else []


# --- the shared model view ---

class ServiceRequestView(CommunityFormMixin, EstateModelView):
    list_template = "services/list.html"
    details_template = "services/details.html"
    can_view_details = True
    #: step name -> form class; handled by `apply_step`
    step_forms: dict = {}
    visit_target = ""
    number_prefixes: tuple = ()

    def search_placeholder(self):
        return _("Number, room (3-2-1201) or resident")

    def get_list_row_actions(self):
        actions = [OpenRecordEditRowAction() if isinstance(a, EditRowAction) else a
                   for a in super().get_list_row_actions()]
        actions += [StepRowAction(step) for step in self.step_forms]
        if self.visit_target:
            actions.append(LogVisitRowAction(self.visit_target))
        return actions

    # --- registration / edit forms ---
    def on_model_change(self, form, model, is_created):
        if model.room is not None:
            model.community = model.room.community
        self.store_local_times(model)
        if is_created:
            model.registered_by = current_user._get_current_object()
        elif not model.is_open:
            raise DomainError(_("A finished record can no longer be edited."))

    def _search(self, query, term):
        """Number (exact or prefix), room code, or resident name."""
        from mongoengine import Q
        from documents.places import parse_room_code
        term = str(term or "").strip()[:40]
        if not term:
            return query
        code = parse_room_code(term)
        if code:
            return query.filter(room_code=code)
        upper = term.upper()
        if upper.startswith(self.number_prefixes):
            return query.filter(number__startswith=upper)
        criteria = Q(resident_name__istartswith=term) | Q(room_code__startswith=upper)
        if "public_area" in self.model._fields:
            criteria |= Q(public_area__icontains=term)
        return query.filter(criteria)

    # --- steps ---
    def _record_or_404(self, raw_id):
        return scoped_or_404(self.model, raw_id)

    @expose("/step/<step>/", methods=("GET", "POST"))
    def step_view(self, step):
        if step not in self.step_forms:
            abort(404)
        if not can(self.area, f"action:{step}"):
            abort(403)
        record = self._record_or_404(request.args.get("id"))
        return_url = get_redirect_target() or self.get_url(".details_view", id=str(record.pk))
        form = self.make_step_form(step, record)
        if request.method == "GET":
            self.prefill_step(step, form, record)
        elif form.validate():
            try:
                self.apply_step(step, form, record, current_user._get_current_object())
            except DomainError as err:
                show_refusal(form, err)
            else:
                flash(_("%(step)s: %(number)s is now %(state)s.", step=step_label(step),
                        number=record.number, state=record.state_label()), "success")
                return redirect(return_url)
        return self.render("services/step.html", form=form, record=record, step=step,
                           step_title=step_label(step), return_url=return_url,
                           summary=self.summary_rows(record))

    def make_step_form(self, step, record):
        return self.step_forms[step](request.form if request.method == "POST" else None)

    def prefill_step(self, step, form, record):
        """Defaults shown on a step form (e.g. "now" in local time)."""
        zone = zone_of(record.community)
        for field in form:
            if isinstance(field, DateTimeLocalField) and field.data is None:
                field.data = to_local(clock.now(), zone).replace(tzinfo=None, second=0, microsecond=0)

    def apply_step(self, step, form, record, actor):
        raise NotImplementedError

    def local_to_utc(self, record, value):
        return to_utc(value, zone_of(record.community)) if value else None

    def summary_rows(self, record):
        """(label, value) pairs shown above a step form and on the details page."""
        return []

    # --- details page extras ---
    def details_extra(self, model):
        steps = [(s, step_label(s)) for s in model.allowed_steps(current_user) if s in self.step_forms]
        return {
            "steps": steps, "due": due_badge(model), "visits": Visit.objects(**{self.visit_target: model})
            .order_by("-visited_at"), "can_log_visit": can("visits", "create") and
            model.state in model.VISIT_STATES, "visit_target": self.visit_target,
            "local_time": lambda v: local_text(v, model.community),
        }


class StepForm(FlaskForm):
    """Base of step forms (CSRF token included)."""


def reason_choices(choices):
    return [("", "—")] + [(k, str(v)) for k, v in choices]


class CloseForm(StepForm):
    """Closing a repair or a complaint: one of the common reasons, and a note."""
    reason = SelectField(_l("Reason for closing"), choices=reason_choices(CLOSE_REASONS),
                         validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


def room_loader():
    """The scoped room lookup of a registration form (type the start of a room code)."""
    return ScopedAjaxLoader("room", Room, fields=["code"], prefix_fields=["code"], order_by="sort_key",
                            placeholder=_l("Type a room code, e.g. 3-2-12"))

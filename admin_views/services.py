"""What the repair and complaint views share: step pages, row buttons, deadline columns and filter.

The step pages and buttons are the generic ones (admin_views/steps.py); the step forms here only
say how their data become the step's arguments (local times -> UTC in the record's community).
"""
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter
from flask_admin.model.template import BaseListRowAction, EditRowAction
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from mongoengine import ValidationError as RuleError
from wtforms import DateTimeLocalField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation, ValidationError

from admin_views.base import (CommunityFormMixin, EstateModelView, ScopedAjaxLoader, masked_phone, row_url,
                              user_communities)
from admin_views.steps import StepForm, StepPageMixin, state_badge
from app import clock
from app.permissions import can
from documents import agenda
from documents.deadlines import DUE_FILTERS, due_status, local_text, to_utc, zone_of
from documents.places import Room
from documents.validators import validate_mobile
from documents.services import CLOSE_REASONS
from documents.visits import Visit

DUE_OPTIONS = [("overdue", _l("Overdue")), ("today", _l("Due today")), ("week", _l("Due this week"))]
BADGES = {"late": "badge-danger", "soon": "badge-warning", "due": "badge-light border"}
#: the 1-5 rating of a sign-off or a visit, best first
SATISFACTION = [("", "—")] + [(str(n), f"{n} ★") for n in range(5, 0, -1)]


# --- filters ---

class DueFilter(BaseMongoEngineFilter):
    """Overdue / due today / due this week, each community's day and week in its own zone: the
    records whose open clock on the agenda is due then (documents/agenda.py), read by index."""

    def __init__(self, column="due_at", name=_l("Deadline")):
        super().__init__(column, name, options=DUE_OPTIONS)

    def validate(self, value):
        return value in DUE_FILTERS

    def apply(self, query, value):
        collection = query._document._get_collection_name()
        ids = agenda.record_ids(collection, value, user_communities(), clock.now(), zone_of)
        return query.filter(pk__in=ids)

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


#: finished records grey, open ones blue
STATE_COLOURS = {"closed": "secondary", "cancelled": "secondary"}


def service_state_badge(record) -> Markup:
    return state_badge(record, STATE_COLOURS)


def staff_name(field: str):
    """A column formatter: the display name of the staff member the reference `field` names."""
    return lambda v, c, m, n: getattr(m, field).display_name if getattr(m, field) else ""


#: what the lists of repairs and complaints show alike: the state and the deadline as badges
LIST_FORMATTERS = {
    "state": lambda v, c, m, n: service_state_badge(m),
    "due_at": lambda v, c, m, n: due_badge(m),
}
#: and their details pages, besides the list's
DETAIL_FORMATTERS = {
    "resident_phone": lambda v, c, m, n: masked_phone("residents", m.resident_phone or ""),
    "registered_by": staff_name("registered_by"),
}


def without_badges(formatters: dict) -> dict:
    """Export formatters: the state and the deadline as plain text (the field defaults), not badges."""
    return {name: formatter for name, formatter in formatters.items() if name not in LIST_FORMATTERS}


# --- row buttons ---

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
        elif not row.offers("return_visit", current_user):
            return ""
        url = row_url("visits.log_view", target=self.target, id=row_id, url=context.resolve("return_url"))
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


# --- form validators (our own words: WTForms' Chinese says "greater than 0" where 0 is allowed) ---

class AtLeast(NumberRange):
    """`NumberRange(min=…)` saying "Must be at least 0." (0 allowed). Quiet when the input was not a
    number: the field says that already."""

    def __init__(self, minimum, message=_l("Must be at least %(min)s.")):
        super().__init__(min=minimum, message=message)

    def __call__(self, form, field):
        if field.data is not None:
            super().__call__(form, field)


class Above(AtLeast):
    """A number greater than `minimum` (a quantity: more than 0)."""

    def __init__(self, minimum, message=_l("Must be greater than %(min)s.")):
        super().__init__(minimum, message)

    def __call__(self, form, field):
        if field.data is not None and not field.data > self.min:
            raise ValidationError(self.message % {"min": self.min})


class Needed:
    """`DataRequired` in a document's own words (a lazy message, translated when the form is checked):
    the form repeats the rule so that all problems show in one round; the document still checks."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data or (isinstance(field.data, str) and not field.data.strip()):
            field.errors[:] = []
            raise StopValidation(str(self.message))


def mobile_phone(form, field):
    """The documents' mobile-number check (documents/validators.py), its message on the field."""
    try:
        validate_mobile(field.data)
    except RuleError as err:
        raise ValidationError(err.message) from None


# --- step forms ---

class LocalTimeStepForm(StepForm):
    """A step form whose date-times are typed as wall-clock times of the record's community."""

    def arguments(self, record) -> dict:
        values = super().arguments(record)
        zone = zone_of(record.community)
        for name, field in self._fields.items():
            if isinstance(field, DateTimeLocalField) and values.get(name) is not None:
                values[name] = to_utc(values[name], zone)
        return values


# --- the shared model view ---

class ServiceRequestView(StepPageMixin, CommunityFormMixin, EstateModelView):
    list_template = "services/list.html"
    details_template = "services/details.html"
    can_view_details = True
    visit_target = ""
    number_prefixes: tuple = ()

    def search_placeholder(self):
        return _("Number, room (3-2-1201) or resident")

    def get_list_row_actions(self):
        actions = [OpenRecordEditRowAction() if isinstance(a, EditRowAction) else a
                   for a in super().get_list_row_actions()]
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
        else:
            model.check_editable()

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

    # --- details page extras (the step buttons come from StepPageMixin) ---
    def details_extra(self, model):
        extra = super().details_extra(model)
        extra.update({
            "due": due_badge(model), "visits": Visit.objects(**{self.visit_target: model})
            .order_by("-visited_at"), "can_log_visit": model.offers("return_visit", current_user),
            "visit_target": self.visit_target, "local_time": lambda v: local_text(v, model.community),
        })
        return extra


def reason_choices(choices):
    """An empty choice first; the labels stay lazy, so they are translated when the page is shown."""
    return [("", "—")] + list(choices)


class CloseForm(StepForm):
    """Closing a repair or a complaint: one of the common reasons, and a note."""
    reason = SelectField(_l("Reason for closing"), choices=reason_choices(CLOSE_REASONS),
                         validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


def room_loader():
    """The scoped room lookup of a registration form (type the start of a room code)."""
    return ScopedAjaxLoader("room", Room, fields=["code"], prefix_fields=["code"], order_by="sort_key",
                            placeholder=_l("Type a room code, e.g. 3-2-12"))

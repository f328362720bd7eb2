"""Complaints and suggestions: register, assign, record handling, close; deadlines and escalation."""
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from admin_views.base import choice_label
from admin_views.filters import CommunityFilter, LocalDateBetweenFilter, ReferenceFilter
from admin_views.services import (DETAIL_FORMATTERS, LIST_FORMATTERS, CloseForm, DueFilter, ServiceRequestView,
                                  handler_options, reason_choices, room_loader, staff_name, without_badges)
from admin_views.steps import StepForm
from documents.complaints import (CHANNELS, CLASS_SHORT, CLASSES, DEPARTMENTS, ESCALATION_LEVELS, KINDS, STATES,
                                  Complaint)
from documents.deadlines import local_text
from documents.staff import Staff

AREA = "complaints"


HANDLER_ROLES = ["supervisor", "clerk", "housekeeper", "manager"]


class AssignForm(StepForm):
    department = SelectField(_l("Department"), choices=reason_choices(DEPARTMENTS), validators=[DataRequired()])
    handler = SelectField(_l("Handler"), choices=[], validators=[Optional()])
    note = TextAreaField(_l("Instructions"), validators=[Optional(), Length(max=500)])

    def for_record(self, record, user):
        """The handlers to choose from: active staff of the complaint's community."""
        staff = Staff.objects(communities=record.community.pk, active=True, roles__in=HANDLER_ROLES) \
            .order_by("display_name")
        self.handler.choices = [("", "—")] + [(str(s.pk), s.display_name) for s in staff]

    def prefill(self, record, user):
        """Re-assigning starts from the current department and handler."""
        self.department.data = record.department
        self.handler.data = str(record.handler.pk) if record.handler else ""
        super().prefill(record, user)

    def arguments(self, record) -> dict:
        handler = Staff.objects(pk=self.handler.data).first() if self.handler.data else None
        return {"department": self.department.data, "handler": handler, "note": self.note.data}


class HandleForm(StepForm):
    result = TextAreaField(_l("Result"), validators=[DataRequired(), Length(max=2000)])
    measures = TextAreaField(_l("Measures against a repeat"), validators=[Optional(), Length(max=2000)])


def optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def escalation_badge(m) -> Markup:
    if not m.escalation_level:
        return Markup("")
    colour = "danger" if m.escalation_level >= 2 else "warning"
    return Markup('<span class="badge badge-{} escalation-{}">{}</span>').format(
        colour, m.escalation_level, _("Escalated: %(to)s", to=choice_label(ESCALATION_LEVELS, m.escalation_level)))


def _class_label(m):
    return str(CLASS_SHORT.get(m.complaint_class, ""))


def _where(m):
    return m.room_code or ""


class ComplaintView(ServiceRequestView):
    area = AREA
    visit_target = "complaint"
    number_prefixes = ("TS", "JY")
    step_forms = {"assign": AssignForm, "handle": HandleForm, "close": CloseForm}
    local_time_fields = ("received_at",)

    column_list = ["number", "kind", "received_at", "room_code", "resident_name", "complaint_class", "channel",
                   "state", "handler", "due_at", "escalation_level"]
    column_details_list = [
        "number", "community", "kind", "state", "escalation_level", "channel", "room_code", "resident_name",
        "resident_phone", "complaint_class", "content", "received_at", "registered_by", "handle_due_at",
        "department", "handler", "assigned_at", "assign_note", "result", "measures", "handled_at",
        "handled_by", "visit_due_at", "visited_at", "visit_satisfaction", "closed_at", "close_reason",
        "close_note", "case_analysis", "escalated_at", "origin_visit"]
    column_export_list = ["number", "community", "kind", "received_at", "room_code", "resident_name", "channel",
                          "complaint_class", "content", "state", "department", "handler", "handle_due_at",
                          "handled_at", "result", "measures", "escalation_level", "visited_at",
                          "visit_satisfaction", "closed_at"]
    column_sortable_list = ["number", "received_at", "due_at", "state", "complaint_class", "escalation_level"]
    column_default_sort = ("received_at", True)
    column_searchable_list = ["number", "resident_name", "room_code"]
    form_columns = ["community", "kind", "channel", "room", "resident_name", "resident_phone",
                    "complaint_class", "content", "received_at"]
    form_args = {
        "received_at": {"description": _l("Local time; leave empty for now"),
                        "format": ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]},
        "room": {"description": _l("Leave empty for a matter that concerns no room")},
    }
    form_overrides = {"content": TextAreaField}
    form_widget_args = {"content": {"rows": 4}, "case_analysis": {"rows": 6}}

    def __init__(self, *args, **kwargs):
        self.form_ajax_refs = {"room": room_loader()}
        self.column_filters = [
            CommunityFilter(),
            FilterEqual("building_no", _l("Building no.")),
            FilterEqual("kind", _l("Type"), options=KINDS),
            FilterEqual("state", _l("State"), options=STATES),
            FilterEqual("complaint_class", _l("Class"), options=[(str(k), v) for k, v in CLASSES]),
            FilterEqual("escalation_level", _l("Escalation"),
                        options=[(str(k), v) for k, v in ESCALATION_LEVELS]),
            FilterEqual("channel", _l("Channel"), options=CHANNELS),
            FilterEqual("department", _l("Department"), options=DEPARTMENTS),
            ReferenceFilter("handler", _l("Handler"), choices=handler_options),
            DueFilter(),
            LocalDateBetweenFilter("received_at", _l("Received on")),
            LocalDateBetweenFilter("handled_at", _l("Handled on")),
        ]
        super().__init__(*args, **kwargs)

    # labels are the fields' own names; times are shown in the community's zone and choices by their
    # labels by default (EstateModelView)
    column_formatters = LIST_FORMATTERS | {
        "complaint_class": lambda v, c, m, n: _class_label(m),
        "handler": staff_name("handler"),
        "escalation_level": lambda v, c, m, n: escalation_badge(m),
    }
    column_formatters_detail = column_formatters | DETAIL_FORMATTERS | {
        "complaint_class": lambda v, c, m, n: choice_label(CLASSES, m.complaint_class),
        "handled_by": staff_name("handled_by"),
    }
    column_formatters_export = dict(without_badges(column_formatters_detail), **{
        "escalation_level": lambda v, c, m, n: choice_label(ESCALATION_LEVELS, m.escalation_level),
    })

    def scaffold_form(self):
        """The class select needs an empty choice (a suggestion has no class)."""
        form_class = super().scaffold_form()
        form_class.complaint_class = SelectField(
            _l("Class"), choices=[("", "—")] + [(str(k), v) for k, v in CLASSES], coerce=optional_int,
            validators=[Optional()], description=_l("Not needed for a suggestion"))
        return form_class

    def get_edit_form(self):
        """The case analysis is written later, on the edit form (class 1 only; the rule checks)."""
        form_class = super().get_edit_form()
        form_class.case_analysis = TextAreaField(_l("Case analysis (training)"), validators=[Optional(), Length(max=4000)],
                                        description=_l("Class 1 complaints only: what happened, why, what we learn"))
        return form_class

    def step_summary(self, record):
        return [(_("Number"), record.number), (_("Type"), choice_label(KINDS, record.kind)),
                (_("Room"), _where(record)), (_("Resident"), record.resident_name or ""),
                (_("Class"), choice_label(CLASSES, record.complaint_class)), (_("Content"), record.content),
                (_("Handle by"), local_text(record.handle_due_at, record.community)),
                (_("State"), record.state_label)]


def register(admin):
    admin.add_view(ComplaintView(Complaint, name=_l("Complaints and suggestions"), category=_l("Service"),
                                 endpoint="complaints"))

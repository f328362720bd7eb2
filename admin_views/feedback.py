"""Information feedback: the front desk's intake, the feedback register, and liaison slips (print)."""
from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from admin_views.base import (CommunityFormMixin, EstateModelView, ScopedAjaxLoader, SecurePage, choice_label,
                              scoped_or_404, user_communities)
from admin_views.filters import CommunityFilter, LocalDateBetweenFilter
from admin_views.services import ServiceRequestView, due_badge, room_loader, staff_name
from admin_views.steps import StepForm, StepPageMixin
from app import clock
from app.permissions import can
from documents.complaints import CHANNELS, DEPARTMENTS, Complaint
from documents.deadlines import local_text
from documents.feedback import (CLASSIFICATIONS, FEEDBACK_STATES, HANDLER_REPLY_HOURS, MAJOR_ANSWER_HOURS, RAISED_TO,
                                RELAY_HOURS, REPORT_UP_HOURS, SLIP_STATES, SOURCES, SUPERIOR_TOLD_HOURS, ComplaintRelay,
                                FeedbackEntry, LiaisonSlip, slips_of)
from documents.repairs import Repair
from documents.places import Room, parse_room_code
from documents.staff import Staff

AREA, SLIP_AREA, RELAY_AREA = "feedback", "liaison_slips", "complaint_relays"
#: where each classification is registered: (area, create endpoint)
REGISTERS = {"repair": ("repairs", "repairs.create_view"), "complaint": ("complaints", "complaints.create_view"),
             "internal": (AREA, "feedback.create_view")}


def _local(field):
    return lambda v, c, m, n: local_text(getattr(m, field), m.community)


class IntakeForm(FlaskForm):
    classification = RadioField(_l("It is"), choices=CLASSIFICATIONS, validators=[DataRequired()])
    community = SelectField(_l("Community"), choices=[], validators=[DataRequired()])
    room_code = StringField(_l("Room"), validators=[Optional(), Length(max=30)],
                            description=_l("e.g. 3-2-1201; leave empty for a matter that concerns no room"))


class ReportForm(StepForm):
    note = TextAreaField(_l("Report to management"), validators=[DataRequired(), Length(max=1000)])


class AnswerForm(StepForm):
    answer = TextAreaField(_l("Answer to the resident"), validators=[DataRequired(), Length(max=2000)])


class FeedbackView(StepPageMixin, CommunityFormMixin, EstateModelView):
    area = AREA
    details_template = "feedback/details.html"
    step_forms = {"report": ReportForm, "answer": AnswerForm}
    local_time_fields = ("received_at",)
    column_list = ["number", "received_at", "room_code", "resident_name", "source", "content", "major", "state",
                   "due_at"]
    column_details_list = ["number", "community", "state", "source", "passed_on_by", "room_code", "resident_name",
                           "resident_phone", "content", "major", "received_at", "registered_by", "answer_due_at",
                           "reported_at", "reported_by", "report_note", "answer", "answered_at", "answered_by"]
    column_export_list = ["number", "community", "received_at", "source", "passed_on_by", "room_code",
                          "resident_name", "resident_phone", "content", "major", "state", "answer_due_at",
                          "reported_at", "answer", "answered_at", "answered_by"]
    column_sortable_list = ["number", "received_at", "due_at", "state"]
    column_default_sort = ("received_at", True)
    column_searchable_list = ["number", "resident_name", "room_code"]
    form_columns = ["community", "room", "resident_name", "resident_phone", "source", "passed_on_by", "content",
                    "major", "received_at"]
    form_args = {
        "received_at": {"description": _l("Local time; leave empty for now"),
                        "format": ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]},
        "room": {"description": _l("Leave empty for a matter that concerns no room")},
        "major": {"description": _l("A major matter is answered within %(hours)d h and reported to management", hours=MAJOR_ANSWER_HOURS)},
    }
    form_overrides = {"content": TextAreaField}
    column_formatters = {
        "received_at": _local("received_at"), "due_at": lambda v, c, m, n: due_badge(m),
        "content": lambda v, c, m, n: (m.content or "")[:60],
        "major": lambda v, c, m, n: _("Yes") if m.major else "",
        "passed_on_by": staff_name("passed_on_by"),
    }
    column_formatters_detail = column_formatters | {
        "content": lambda v, c, m, n: m.content, "answer_due_at": _local("answer_due_at"),
        "reported_at": _local("reported_at"), "answered_at": _local("answered_at"),
        "reported_by": staff_name("reported_by"), "answered_by": staff_name("answered_by"),
        "registered_by": staff_name("registered_by"),
    }
    column_formatters_export = column_formatters_detail | {"due_at": _local("due_at")}

    def __init__(self, *args, **kwargs):
        self.form_ajax_refs = {"room": room_loader()}
        self.column_filters = [
            CommunityFilter(), FilterEqual("state", _l("State"), options=FEEDBACK_STATES),
            FilterEqual("source", _l("Source"), options=SOURCES), FilterEqual("building_no", _l("Building no.")),
            LocalDateBetweenFilter("received_at", _l("Received on")),
        ]
        super().__init__(*args, **kwargs)

    def search_placeholder(self):
        return _("Number, room (3-2-1201) or resident")

    def create_form(self, obj=None):
        form = super().create_form(obj)
        _staff_of_communities(form.passed_on_by)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        _staff_of_communities(form.passed_on_by)
        return form

    # the room sets the community, times typed in local time, the registering clerk: as repairs and complaints
    on_model_change = ServiceRequestView.on_model_change

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra.update(due=due_badge(model), slips=slips_of(model), slip_source="feedback", source_id=model.pk,
                     local_time=lambda v: local_text(v, model.community),
                     can_issue_slip=can(SLIP_AREA, "create") and model.is_open)
        return extra

    def step_summary(self, record):
        return [(_("Number"), record.number), (_("Room"), record.room_code or ""),
                (_("Resident"), record.resident_name or ""), (_("Content"), record.content),
                (_("Answer the resident by"), local_text(record.answer_due_at, record.community)),
                (_("State"), record.state_label)]


def _staff_of_communities(field):
    """A staff choice lists the active staff of the user's communities only."""
    field.queryset = Staff.objects(communities__in=[c.pk for c in user_communities()], active=True) \
        .order_by("display_name")


class IntakePage(SecurePage):
    """Everything reaches the front desk: the clerk says what it is, and the matching register's
    new-record form opens with the room preset (a repair, a complaint, or internal feedback)."""
    area = AREA

    def is_accessible(self):
        return current_user.is_authenticated and can(AREA, "intake")

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = IntakeForm()
        communities = user_communities()
        form.community.choices = [(str(c.pk), c.display_name(str(get_locale()))) for c in communities]
        if request.method == "GET" and len(communities) == 1:
            form.community.data = str(communities[0].pk)
        if form.validate_on_submit():
            target = self._intake_target(form)
            if target:
                return redirect(target)
        return self.render("feedback/intake.html", form=form,
                           registers=[(key, label, can(REGISTERS[key][0], "create")) for key, label in CLASSIFICATIONS])

    def _intake_target(self, form):
        """The create form of the chosen register, the room preset; None (message on the field) if not."""
        area, endpoint = REGISTERS[form.classification.data]
        if not can(area, "create"):
            form.classification.errors.append(_("Your role may not register this kind of matter."))
            return None
        community = next((c for c in user_communities() if str(c.pk) == form.community.data), None)
        args = {}
        if form.room_code.data:
            room = Room.objects(community=community, code=parse_room_code(form.room_code.data) or "").first()
            if room is None:
                form.room_code.errors.append(_("There is no room %(code)s in this community.",
                                               code=form.room_code.data))
                return None
            args["room"] = str(room.pk)
        return url_for(endpoint, **args)


class SignForm(StepForm):
    needs_superior = BooleanField(_l("It needs the superior (reported up within %(hours)d h)", hours=REPORT_UP_HOURS))


class ReportUpForm(StepForm):
    superior = StringField(_l("Superior"), validators=[DataRequired(), Length(max=60)])


class ReplyForm(StepForm):
    reply = TextAreaField(_l("Reply"), validators=[DataRequired(), Length(max=2000)])


class LiaisonSlipView(StepPageMixin, CommunityFormMixin, EstateModelView):
    area = SLIP_AREA
    details_template = "feedback/slip_details.html"
    step_forms = {"sign": SignForm, "report_up": ReportUpForm, "reply": ReplyForm}
    local_time_fields = ("due_at",)
    column_list = ["number", "issued_at", "department", "addressee", "matter", "state", "reply_due_at", "signed_by"]
    column_details_list = ["number", "community", "state", "feedback", "complaint", "department", "addressee",
                           "matter", "due_at", "issued_at", "issued_by", "signed_by", "signed_at", "needs_superior",
                           "report_due_at", "reported_up_at", "superior", "answer_due_at", "reply_due_at",
                           "reply", "replied_at", "replied_by"]
    column_export_list = ["number", "community", "issued_at", "department", "addressee", "matter", "reply_due_at",
                          "signed_by", "signed_at", "reported_up_at", "superior", "reply", "replied_at"]
    column_sortable_list = ["number", "issued_at", "reply_due_at", "state"]
    column_default_sort = ("issued_at", True)
    column_searchable_list = ["number"]
    form_columns = ["community", "feedback", "complaint", "department", "addressee", "matter", "due_at"]
    form_args = {
        "due_at": {"description": _l("Local time; leave empty: the reply is due within %(hours)d h", hours=HANDLER_REPLY_HOURS),
                   "format": ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]},
        "addressee": {"description": _l("Leave empty when whoever takes the slip signs for it")},
    }
    form_overrides = {"matter": TextAreaField}
    column_formatters = {
        "issued_at": _local("issued_at"), "reply_due_at": _local("reply_due_at"),
        "matter": lambda v, c, m, n: (m.matter or "")[:60],
        "addressee": staff_name("addressee"), "signed_by": staff_name("signed_by"),
        "department": lambda v, c, m, n: choice_label(DEPARTMENTS, m.department),
    }
    column_formatters_detail = column_formatters | {
        "matter": lambda v, c, m, n: m.matter,
        **{name: _local(name) for name in ("due_at", "signed_at", "report_due_at", "reported_up_at",
                                           "answer_due_at", "replied_at")},
        "issued_by": staff_name("issued_by"), "replied_by": staff_name("replied_by"),
        "needs_superior": lambda v, c, m, n: _("Yes") if m.needs_superior else _("No"),
    }
    column_formatters_export = column_formatters_detail

    def __init__(self, *args, **kwargs):
        self.form_ajax_refs = {
            "feedback": ScopedAjaxLoader("feedback", FeedbackEntry, fields=["number"], prefix_fields=["number"],
                                         order_by="-received_at", placeholder=_l("Feedback number")),
            "complaint": ScopedAjaxLoader("complaint", Complaint, fields=["number"], prefix_fields=["number"],
                                          order_by="-received_at", placeholder=_l("Complaint number")),
        }
        self.column_filters = [
            CommunityFilter(), FilterEqual("state", _l("State"), options=SLIP_STATES),
            FilterEqual("department", _l("Department"), options=DEPARTMENTS),
            LocalDateBetweenFilter("issued_at", _l("Issued on")),
        ]
        super().__init__(*args, **kwargs)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        _staff_of_communities(form.addressee)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        _staff_of_communities(form.addressee)
        return form

    def on_model_change(self, form, model, is_created):
        source = model.feedback or model.complaint
        if source is not None:
            model.community = source.community
        self.store_local_times(model)
        if is_created:
            model.issued_by = current_user._get_current_object()
            model.issued_at = clock.now()

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra["print_url"] = self.get_url(".print_view", id=str(model.pk)) if can(SLIP_AREA, "print") else None
        return extra

    def step_summary(self, record):
        return [(_("Number"), record.number), (_("Department"), choice_label(DEPARTMENTS, record.department)),
                (_("Matter"), record.matter), (_("Reply due"), local_text(record.reply_due_at, record.community)),
                (_("State"), record.state_label)]

    @expose("/print/")
    def print_view(self):
        """The slip on A4, in Chinese and English, with the line where whoever takes it signs."""
        if not can(SLIP_AREA, "print"):
            abort(403)
        record = scoped_or_404(LiaisonSlip, request.args.get("id"))
        return self.render("feedback/slip_print.html", record=record, labels=_bilingual(PRINT_LABELS),
                           department=_both(DEPARTMENTS, record.department),
                           local_time=lambda v: local_text(v, record.community),
                           printed_at=local_text(clock.now(), record.community))


class TellSuperiorForm(StepForm):
    superior = StringField(_l("Superior told"), validators=[DataRequired(), Length(max=60)])


class LineForm(StepForm):
    text = TextAreaField(_l("Handling"), validators=[DataRequired(), Length(max=1000)],
                         description=_l("Signed with your name and today's date"))


class LinkRepairForm(StepForm):
    repair = StringField(_l("Repair number"), validators=[DataRequired(), Length(max=30)])

    def arguments(self, record) -> dict:
        number = (self.repair.data or "").strip().upper()
        return {"repair": Repair.objects(community=record.community, number=number).first()}


class ComplaintRelayView(StepPageMixin, CommunityFormMixin, EstateModelView):
    area = RELAY_AREA
    details_template = "feedback/relay_details.html"
    step_forms = {"tell_superior": TellSuperiorForm, "write_line": LineForm, "link_repair": LinkRepairForm}
    local_time_fields = ("received_at", "relayed_at")
    column_list = ["complaint", "channel", "received_by", "received_at", "relayed_at", "relay_late", "state",
                   "superior_due_at", "head"]
    column_details_list = ["complaint", "community", "state", "channel", "received_by", "received_at", "relayed_at",
                           "relay_late", "solved_on_spot", "superior_due_at", "superior", "superior_told_at", "hard",
                           "raised_to", "head", "head_told_at", "warranty_repair"]
    column_export_list = ["complaint", "community", "channel", "received_by", "received_at", "relayed_at",
                          "relay_late", "superior_told_at", "hard", "raised_to", "head", "head_told_at"]
    column_sortable_list = ["received_at", "relay_late"]
    column_default_sort = ("received_at", True)
    form_columns = ["complaint", "received_by", "received_at", "relayed_at", "solved_on_spot", "hard", "raised_to",
                    "head"]
    form_args = {
        "received_at": {"format": ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"], "validators": [DataRequired()]},
        "relayed_at": {"format": ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"],
                       "description": _l("Letter, phone or e-mail: when it was passed on to the front desk "
                                         "(within %(hours)d h)", hours=RELAY_HOURS)},
        "solved_on_spot": {"description": _l("Face to face: if not, the superior is told within %(hours)d h",
                                             hours=SUPERIOR_TOLD_HOURS)},
        "head": {"description": _l("A hard complaint, or one made to the company, the group or a government "
                                   "office: the department head told at once")},
    }
    column_formatters = {
        "complaint": lambda v, c, m, n: m.complaint.number if m.complaint else "",
        "received_by": staff_name("received_by"),
        "channel": lambda v, c, m, n: choice_label(CHANNELS, m.channel),
        "relay_late": lambda v, c, m, n: Markup('<span class="badge badge-danger relay-late">{}</span>').format(
            _("Relayed late")) if m.relay_late else "",
        **{name: _local(name) for name in ("received_at", "relayed_at", "superior_due_at", "superior_told_at",
                                           "head_told_at")},
    }
    column_formatters_detail = column_formatters | {
        "complaint": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            url_for("complaints.details_view", id=m.complaint.pk), m.complaint.number) if m.complaint else "",
        "warranty_repair": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            url_for("repairs.details_view", id=m.warranty_repair.pk), m.warranty_repair.number)
        if m.warranty_repair else "",
        "raised_to": lambda v, c, m, n: choice_label(RAISED_TO, m.raised_to) if m.raised_to else "",
    }
    column_formatters_export = column_formatters | {
        "relay_late": lambda v, c, m, n: _("Yes") if m.relay_late else "",
        "raised_to": lambda v, c, m, n: choice_label(RAISED_TO, m.raised_to) if m.raised_to else "",
    }

    def __init__(self, *args, **kwargs):
        self.form_ajax_refs = {
            "complaint": ScopedAjaxLoader("complaint", Complaint, fields=["number"], prefix_fields=["number"],
                                          order_by="-received_at", placeholder=_l("Complaint number")),
        }
        self.column_filters = [CommunityFilter(), FilterEqual("channel", _l("Channel"), options=CHANNELS),
                               LocalDateBetweenFilter("received_at", _l("Received on"))]
        super().__init__(*args, **kwargs)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        _staff_of_communities(form.received_by)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        _staff_of_communities(form.received_by)
        return form

    def on_model_change(self, form, model, is_created):
        if model.complaint is not None:
            model.community = model.complaint.community
        self.store_local_times(model)

    def step_summary(self, record):
        return [(_("Complaint"), str(record)), (_("Channel"), choice_label(CHANNELS, record.channel)),
                (_("Content"), record.complaint.content if record.complaint else ""), (_("State"), record.state_label)]

    def details_extra(self, model):
        """The handling lines, and the liaison slips sent for the complaint (issue one from here)."""
        extra = super().details_extra(model)
        extra.update(local_time=lambda v: local_text(v, model.community), slips=slips_of(model.complaint),
                     slip_source="complaint", source_id=model.complaint.pk, can_issue_slip=can(SLIP_AREA, "create"))
        return extra


PRINT_LABELS = {
    "title": _l("Liaison slip"), "number": _l("Number"), "to_department": _l("To department"),
    "to": _l("To"), "source": _l("Concerning"), "matter": _l("Matter"), "issued": _l("Issued on"),
    "issued_by": _l("Issued by"), "reply_by": _l("Reply by"), "signature": _l("Signed for by (signature)"),
    "signed_at": _l("Signed on"), "reply": _l("Reply"), "replied_at": _l("Replied on"), "printed": _l("Printed"),
    "rule": _l("Whoever takes this slip signs for it. Reply to the front desk by the time above; a matter "
               "that needs the superior is reported up within %(hours)d h.", hours=REPORT_UP_HOURS),
}


def _bilingual(labels: dict) -> dict:
    result = {}
    for locale in ("zh_Hans_CN", "en"):
        with force_locale(locale):
            for key, label in labels.items():
                result.setdefault(key, []).append(str(label))
    return result


def _both(choices, value) -> tuple:
    texts = []
    for locale in ("zh_Hans_CN", "en"):
        with force_locale(locale):
            texts.append(choice_label(choices, value))
    return tuple(texts)


def register(admin):
    admin.add_view(IntakePage(name=_l("Front-desk intake"), category=_l("Service"), endpoint="intake"))
    admin.add_view(FeedbackView(FeedbackEntry, name=_l("Information feedback"), category=_l("Service"),
                                endpoint="feedback"))
    admin.add_view(LiaisonSlipView(LiaisonSlip, name=_l("Liaison slips"), category=_l("Service"),
                                   endpoint="liaison_slips"))
    admin.add_view(ComplaintRelayView(ComplaintRelay, name=_l("Complaint relays"), category=_l("Service"),
                                      endpoint="complaint_relays"))

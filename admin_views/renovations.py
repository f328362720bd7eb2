"""Admin views of renovation files: list, details, the workflow's step pages, files, prints.

Views stay thin: every rule lives in documents/renovations/. Steps go through the one step page
(admin_views/steps.py): each step that needs input has a StepForm whose `arguments()` turns its data
into the document method's keyword arguments. Steps taken from a row of the details page (revoke a
permit, mark a violation rectified, attach or remove a file) post their small form to `/do/<step>/`.
"""
from bson import ObjectId
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter, FilterEqual, FilterLike
from flask_admin.model.template import EditRowAction
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileRequired
from markupsafe import Markup, escape
from mongoengine import Q
from wtforms import (DecimalField, FieldList, FileField,
                     FormField, HiddenField, MultipleFileField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from admin_views.base import (EstateModelView, SecurePage, household_loader, html_table, masked_id,
                              masked_phone, scoped_or_404, user_communities)
from admin_views.datetimes import TypedDateField, TypedDateTimeField
from admin_views.files import read_upload, send_stored_file
from admin_views.filters import CommunityFilter, DateBetweenFilter, LocalDateBetweenFilter
from admin_views.steps import ConfirmStepForm, StepForm, StepPageMixin, state_badge
from app import clock
from app.i18n import TranslatedForm
from app.permissions import can
from documents import agenda, audit
from documents.deadlines import zone_of
from documents.money import money_text, rmb_upper, to_money
from documents.item_release import renovation_forms
from documents.places import parse_room_code
from documents.renovations import (AREA, ATTACHMENT_KINDS, INSPECTION_KINDS, PAYMENT_METHODS, PERMIT_FIELDS,
                                   PERMIT_KINDS, PERMIT_STATUSES, PHASES, PHOTO_UPLOAD, REFUND_METHODS, STATES,
                                   VIOLATION_TYPES, Renovation, RenovationAttachment, amount_problem, as_date,
                                   RELEASE_KIND, due_patrols, load_problem, new_key, patrol_buildings,
                                   permit_step, upload_rule)


def _date(value):
    value = as_date(value)
    return value.isoformat() if value else ""


#: one badge colour per state, on the list, the details table and the file's header
STATE_BADGES = {
    "draft": "secondary", "submitted": "primary", "flat_failed": "danger", "flat_passed": "primary",
    "approved": "primary", "rejected": "danger", "fees_paid": "warning", "in_progress": "warning",
    "initial_inspected": "info", "final_failed": "danger", "final_passed": "info", "refund_approved": "info",
    "refunded": "success", "archived": "dark",
}


def file_state_badge(record, element_id=None) -> Markup:
    return state_badge(record, STATE_BADGES, "secondary", element_id)


def _state_badge(v, c, m, n):
    return file_state_badge(m)


def _patrol_due(v, c, m, n):
    if not m.next_patrol_due:        # set while the work is in progress
        return ""
    status = m.patrol_status()
    text = escape(_date(m.next_patrol_due))
    if status == "overdue":
        return Markup(f'<span class="badge badge-danger">{text} · {escape(_("overdue"))}</span>')
    if status == "due_today":
        return Markup(f'<span class="badge badge-warning">{text} · {escape(_("today"))}</span>')
    return text


def _scrolling(table) -> Markup:
    """A table inside the details table scrolls sideways on a phone instead of widening the page."""
    return Markup('<div class="table-responsive">{}</div>').format(table) if table else table


def _contractor_table(v, c, m, n):
    k = m.contractor
    if not k:
        return ""
    return _scrolling(html_table(
        [_("Company"), _("Business licence no."), _("Qualification"), _("Site manager"), _("Phone")],
        [[k.company, k.licence_no, k.qualification or "", k.site_manager, masked_phone(AREA, k.phone or "")]]))


def _current_pass(m, worker) -> str:
    current = next((p for p in reversed(m.permits or []) if p.kind == "worker_pass"
                    and p.worker_key == worker.key and p.status == "active"), None)
    return f"{current.number} ({_date(current.valid_from)} – {_date(current.valid_to)})" if current else ""


def _workers_table(v, c, m, n):
    rows = [[w.name, masked_id(AREA, w.id_number or ""), masked_phone(AREA, w.phone or ""), w.trade or "",
             _current_pass(m, w)] for w in m.workers or []]
    return _scrolling(html_table([_("Name"), _("ID number"), _("Phone"), _("Trade"), _("Temporary pass")], rows))


def _fees_table(v, c, m, n):
    rows = [[item, money_text(amount)] for item, amount in m.fee_rows()]
    rows.append([_("Total"), money_text(m.total_fees())])
    return _scrolling(html_table([_("Item"), _("Amount")], rows))


class OverduePatrolFilter(BaseMongoEngineFilter):
    """Files in progress whose patrol clock on the agenda has run out (each community's day)."""

    def apply(self, query, value):
        if value != "1":
            return query
        return query.filter(pk__in=agenda.record_ids("renovations", "overdue", user_communities(),
                                                      clock.now(), zone_of))

    def operation(self):
        return _l("is")


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class AmountField(DecimalField):
    """An amount typed as text with a decimal keyboard: a number box would empty "abc" silently and
    send nothing. What was typed stays in the box; `check` (a rule of the documents) refuses it on
    the field: not a number, more than two decimal places (never rounded silently), negative."""
    widget = TextInput()

    def __init__(self, label=None, validators=None, check=amount_problem, **kwargs):
        kwargs.setdefault("places", 2)
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.check = check

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        problem = self.check(valuelist[0])
        if problem:
            raise ValueError(problem)
        self.data = to_money(valuelist[0])


def two_places(form, field):
    """Create and edit forms (Flask-Admin's decimal fields): at most two decimal places, not rounded."""
    problem = amount_problem(field.data) if field.data is not None and field.data >= 0 else None
    if problem:
        raise ValidationError(problem)


#: the money fields of the create and edit forms: typed as text (see AmountField), checked for places
MONEY_INPUT = {"validators": [two_places], "render_kw": {"type": "text", "inputmode": "decimal",
                                                         "autocomplete": "off"}}


# --- the forms of the step pages ----------------------------------------------------------------

class ApproveForm(ConfirmStepForm):
    def done_message(self, record, outcome):
        return _("Approved: permit no. %(no)s. The permit is handed over once the fees and deposit are paid.",
                 no=record.permit_no)


class RejectForm(StepForm):
    reason = TextAreaField(_l("Reason for rejection"), validators=[DataRequired(), Length(max=1000)])

    def done_message(self, record, outcome):
        return _("The application was rejected.")


class StartForm(StepForm):
    phase = SelectField(_l("First phase"), choices=[p for p in PHASES if p[0] != "installation"])
    on = TypedDateField(_l("Start date"), validators=[Optional()])


class PhaseForm(StepForm):
    phase = SelectField(_l("Phase"), choices=PHASES)
    installation_on = TypedDateField(_l("Installation day"), validators=[Optional()],
                                description=_l("Required for the installation phase: the patrol is due that day."))

    def prefill(self, record, user):
        super().prefill(record, user)
        self.phase.data = record.phase
        self.installation_on.data = as_date(record.installation_on)

    def done_message(self, record, outcome):
        changed = _("The phase is now: %(phase)s.", phase=record.phase_label)
        due = _("Next patrol due: %(d)s.", d=_date(record.next_patrol_due)) if record.next_patrol_due else ""
        return f"{changed} {due}".strip()


class FlatInspectionForm(StepForm):
    passed = RadioField(_l("Result"), choices=[("yes", _l("Passed")), ("no", _l("Failed"))],
                        validators=[InputRequired()])
    items = TextAreaField(_l("Failed items (one per line)"), validators=[Length(max=3000)],
                          description=_l("e.g. 卫生间闭水试验渗漏; they are confirmed repaired by the next inspection."))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=1000)])
    on = TypedDateField(_l("Inspection date"), validators=[Optional()])

    def arguments(self, record):
        return {"passed": self.passed.data == "yes", "items": _lines(self.items.data), "notes": self.notes.data,
                "on": self.on.data}


class InitialInspectionForm(StepForm):
    items = TextAreaField(_l("To put right before the final inspection (one per line)"),
                          validators=[Length(max=3000)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=1000)])
    on = TypedDateField(_l("Inspection date"), validators=[Optional()])

    def arguments(self, record):
        return {"items": _lines(self.items.data), "notes": self.notes.data, "on": self.on.data}


class ItemForm(TranslatedForm):
    description = StringField(_l("Item"), validators=[Length(max=300)])
    deduction = AmountField(_l("Deduction"), validators=[Optional()])


class FinalInspectionForm(StepForm):
    intro_template = "renovations/_deposit_intro.html"
    passed = RadioField(_l("Result"), choices=[("yes", _l("Passed")), ("no", _l("Failed"))],
                        validators=[InputRequired()])
    items = FieldList(FormField(ItemForm), min_entries=3, max_entries=20,
                      label=_l("Items to fix and deductions from the deposit"))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=1000)])
    on = TypedDateField(_l("Inspection date"), validators=[Optional()])

    def arguments(self, record):
        return {"passed": self.passed.data == "yes", "notes": self.notes.data, "on": self.on.data,
                "items": [(e.form.description.data, e.form.deduction.data) for e in self.items.entries]}


class FeesForm(StepForm):
    """The cashier receives the fees and deposit shown (the amounts of the file)."""
    intro_template = "renovations/_fees_intro.html"
    method = SelectField(_l("Payment method"), choices=PAYMENT_METHODS)
    paid_by = StringField(_l("Paid by"), validators=[DataRequired(), Length(max=60)])
    expected_total = HiddenField()

    def prefill(self, record, user):
        self.paid_by.data = self.paid_by.data or record.applicant
        self.expected_total.data = str(record.total_fees())   # the amount shown is the amount confirmed

    def arguments(self, record):
        return {"method": self.method.data, "paid_by": self.paid_by.data, "expected_total": self.expected_total.data}

    def done_message(self, record, outcome):
        return _("Fees and deposit received: %(amount)s, receipt %(no)s.", amount=money_text(outcome.total),
                 no=outcome.receipt_no)


class RefundForm(StepForm):
    intro_template = "renovations/_refund_intro.html"
    method = SelectField(_l("Refund method"), choices=REFUND_METHODS)
    paid_to = StringField(_l("Paid to"), validators=[DataRequired(), Length(max=60)])
    expected_amount = HiddenField()

    def prefill(self, record, user):
        self.paid_to.data = self.paid_to.data or record.applicant
        self.expected_amount.data = str(record.refund_due())   # the amount shown is the amount confirmed

    def arguments(self, record):
        return {"method": self.method.data, "paid_to": self.paid_to.data,
                "expected_amount": self.expected_amount.data}

    def done_message(self, record, outcome):
        return _("The deposit was refunded: %(amount)s, receipt %(no)s.", amount=money_text(outcome.amount),
                 no=outcome.receipt_no)


class ApproveRefundForm(ConfirmStepForm):
    intro_template = "renovations/_refund_intro.html"


class ViolationForm(TranslatedForm):
    type = SelectField(_l("Violation"), choices=[("", "—")] + VIOLATION_TYPES, validators=[Optional()])
    description = StringField(_l("Description"), validators=[Length(max=500)])
    deduction = AmountField(_l("Deduction"), validators=[Optional()])
    deadline = TypedDateField(_l("Rectify by"), validators=[Optional()])


class PatrolForm(StepForm):
    key = HiddenField()
    on = TypedDateField(_l("Date"), validators=[Optional()])
    phase = SelectField(_l("Phase"), choices=PHASES)
    findings = TextAreaField(_l("Findings"), validators=[Length(max=2000)])
    violations = FieldList(FormField(ViolationForm), min_entries=2, max_entries=10, label=_l("Violations"))
    photos = MultipleFileField(_l("Photos (JPEG or PNG)"))

    def prefill(self, record, user):
        super().prefill(record, user)
        self.key.data = new_key()       # one patrol per form, however often it is posted
        self.phase.data = record.phase

    def arguments(self, record):
        violations = [{"type": e.form.type.data, "description": e.form.description.data,
                       "deduction": e.form.deduction.data, "deadline": e.form.deadline.data}
                      for e in self.violations.entries]
        photos = [(upload.filename, read_upload(upload, PHOTO_UPLOAD))
                  for upload in self.photos.data or [] if upload and upload.filename]
        return {"key": self.key.data, "on": self.on.data, "phase": self.phase.data,
                "findings": self.findings.data, "violations": violations, "photos": photos}

    def done_message(self, record, outcome):
        recorded = _("The patrol was recorded.")
        due = _("Next patrol due: %(d)s.", d=_date(record.next_patrol_due)) if record.next_patrol_due else ""
        return f"{recorded} {due}".strip()


class PermitForm(StepForm):
    """One form for the kinds of permit of the step issue_permit (`?kind=` in the step's URL); only its
    kind's fields are shown. The hot-work permit is the step issue_hot_work (HotWorkPermitForm)."""
    intro_template = "renovations/_permit_intro.html"
    key = HiddenField()
    worker_key = SelectField(_l("Worker"), choices=[], validate_choice=False)
    valid_from = TypedDateField(_l("Valid from"), validators=[Optional()])
    valid_to = TypedDateField(_l("Valid until"), validators=[Optional()])
    location = StringField(_l("Location"), validators=[Length(max=120)])
    power_load_kw = AmountField(_l("Load (kW)"), validators=[Optional()], check=load_problem)
    starts_at = TypedDateTimeField(_l("From"), validators=[Optional()])
    ends_at = TypedDateTimeField(_l("Until"), validators=[Optional()])
    fire_precautions = TextAreaField(_l("Fire precautions"), validators=[Length(max=500)])
    fire_watch = StringField(_l("Fire watch"), validators=[Length(max=60)])

    step = "issue_permit"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = self.chosen_kind()
        if self.kind not in PERMIT_FIELDS or permit_step(self.kind) != self.step:
            abort(404)
        self.kind_label = dict(PERMIT_KINDS)[self.kind]
        for name in list(self._fields):
            if name not in PERMIT_FIELDS[self.kind] + ("key", "csrf_token"):
                del self[name]
        if "worker_key" in self._fields:
            record = Renovation.objects.for_user(current_user).filter(pk=request.args.get("id")).only("workers").first()
            self.worker_key.choices = [(w.key, f"{w.name} ({masked_id(AREA, w.id_number)})")
                                       for w in (record.workers if record else [])]

    def prefill(self, record, user):
        super().prefill(record, user)
        self.key.data = new_key()
        if "worker_key" in self._fields:
            self.valid_to.data = as_date(record.planned_end)

    def arguments(self, record):
        return {"kind": self.kind, "key": self.key.data,
                **{name: self[name].data for name in PERMIT_FIELDS[self.kind]}}

    @staticmethod
    def chosen_kind() -> str:
        return request.args.get("kind", "")

    def done_message(self, record, outcome):
        return _("Permit %(no)s was issued.", no=outcome.number)


class HotWorkPermitForm(PermitForm):
    """The step issue_hot_work: only a supervisor or the manager is offered it (its right)."""
    step = "issue_hot_work"

    @staticmethod
    def chosen_kind() -> str:
        return "hot_work"

    def arguments(self, record):
        return {key: value for key, value in super().arguments(record).items() if key != "kind"}


# --- the forms of steps taken from a row of the details page ------------------------------------

class RevokeForm(StepForm):
    key = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Reason for revoking"), validators=[DataRequired(), Length(max=300)])

    def arguments(self, record):
        return {"key": self.key.data, "reason": self.reason.data}

    def done_message(self, record, outcome):
        return _("The permit was revoked.")


class RectifyForm(StepForm):
    patrol_key = HiddenField(validators=[DataRequired()])
    violation_key = HiddenField(validators=[DataRequired()])

    def arguments(self, record):
        return {"patrol_key": self.patrol_key.data, "violation_key": self.violation_key.data}

    def done_message(self, record, outcome):
        return _("The violation was marked as rectified.")


class UploadForm(StepForm):
    kind = SelectField(_l("Document"), choices=list(ATTACHMENT_KINDS))
    file = FileField(_l("File (PDF, JPEG or PNG, at most 10 MB)"),
                     validators=[FileRequired(_l("Choose a file to attach."))])

    def arguments(self, record):
        upload = self.file.data
        return {"kind": self.kind.data, "filename": upload.filename,
                "data": read_upload(upload, upload_rule(self.kind.data))}

    def done_message(self, record, outcome):
        return _("%(name)s was attached.", name=outcome.filename)


class RemoveFileForm(StepForm):
    attachment = HiddenField(validators=[DataRequired()])
    removed = None

    def arguments(self, record):
        raw = str(self.attachment.data or "")
        self.removed = RenovationAttachment.objects.for_user(current_user).filter(
            pk=raw, renovation=record).first() if ObjectId.is_valid(raw) else None
        return {"attachment": self.removed}

    def done_message(self, record, outcome):
        return _("%(name)s was removed.", name=self.removed.filename)


# --- the view -----------------------------------------------------------------------------------

class OpenFileEditAction(EditRowAction):
    """The list's edit pencil, only on files that can still be edited."""

    def render(self, context, row_id, row):
        return super().render(context, row_id, row) if row.editable_fields() else ""


class RenovationView(StepPageMixin, EstateModelView):
    area = AREA
    list_references = ("community",)   # what a row reads (not the household)
    step_forms = {
        "approve": ApproveForm, "reject": RejectForm, "flat_inspection": FlatInspectionForm,
        "pay_fees": FeesForm, "start": StartForm, "set_phase": PhaseForm, "log_patrol": PatrolForm,
        "initial_inspection": InitialInspectionForm, "final_inspection": FinalInspectionForm,
        "approve_refund": ApproveRefundForm, "refund": RefundForm, "issue_permit": PermitForm,
        "issue_hot_work": HotWorkPermitForm,
    }
    #: steps without a page of their own, posted from a row of the details page
    row_step_forms = {"revoke_permit": RevokeForm, "rectify": RectifyForm, "attach": UploadForm,
                      "remove_attachment": RemoveFileForm}
    #: the workflow's buttons, in its order (permits have one button per kind, in the permits section)
    row_steps = ("submit", "flat_inspection", "approve", "reject", "pay_fees", "start", "set_phase", "log_patrol",
                 "initial_inspection", "final_inspection", "approve_refund", "refund", "archive")
    bulk_steps = {"submit": _l("Submit the selected files for approval?"),
                  "approve": _l("Approve the selected files and number their permits?"),
                  "archive": _l("Archive the selected files?")}
    list_template = "renovations/list.html"
    details_template = "renovations/details.html"
    column_list = ["room_code", "permit_no", "applicant", "contractor_company", "state", "phase",
                   "planned_start", "planned_end", "next_patrol_due"]
    column_details_list = ["community", "room_code", "permit_no", "state", "phase", "next_patrol_due",
                           "applicant", "applicant_phone", "contractor", "workers", "scope", "planned_start",
                           "planned_end", "fees", "agreement_signed_on", "deposit_received_on",
                           "started_on", "finished_on", "final_passed_on", "rejected_reason", "notes"]
    column_export_list = ["community", "room_code", "permit_no", "applicant", "contractor_company", "state",
                          "phase", "planned_start", "planned_end", "started_on", "finished_on", "deposit",
                          "management_fee", "deductions", "refund_amount", "refund_receipt_no",
                          "next_patrol_due"]
    column_sortable_list = [("room_code", "sort_key"), "planned_start", "planned_end", "next_patrol_due",
                            "created_at"]
    column_default_sort = ("created_at", True)
    column_searchable_list = ["room_code", "applicant", "contractor_company"]
    column_filters = [
        CommunityFilter(),
        FilterEqual("building_no", _l("Building no.")),
        FilterEqual("state", _l("State"), options=STATES),
        FilterEqual("phase", _l("Phase"), options=PHASES),
        FilterLike("contractor_company", _l("Contractor")),
        OverduePatrolFilter("next_patrol_due", _l("Patrol overdue"), options=[("1", _l("Yes"))]),
        DateBetweenFilter("planned_start", _l("Planned start")),
        DateBetweenFilter("planned_end", _l("Planned end")),
        LocalDateBetweenFilter("created_at", _l("Opened")),
    ]
    column_labels = {
        "applicant_phone": _l("Applicant's phone"),
        "fees": _l("Fees"),
        "deductions": _l("Deductions"),
        "created_at": _l("Opened"),
    }
    form_columns = ["household", "applicant", "applicant_phone", "contractor", "workers", "scope",
                    "planned_start", "planned_end", "deposit", "management_fee", "other_fees",
                    "agreement_signed_on", "notes"]
    form_overrides = {"scope": TextAreaField, "notes": TextAreaField}
    form_args = {
        "applicant": {"description": _l("Left empty: the household's name")},
        "deposit": dict(MONEY_INPUT, description=_l(
            "Renovation deposit, refunded after the final inspection minus deductions")),
        # starts empty (a "0.00" in the box turns a typed 1200 into 0.001200); left empty: 0
        "management_fee": dict(MONEY_INPUT, default=None),
    }
    # dates, choices, money and the community read by their field type (EstateModelView)
    column_formatters = {"state": _state_badge, "next_patrol_due": _patrol_due}
    column_formatters_detail = dict(column_formatters, **{
        "contractor": _contractor_table, "workers": _workers_table, "fees": _fees_table,
        "applicant_phone": lambda v, c, m, n: masked_phone(AREA, m.applicant_phone or ""),
    })
    column_formatters_export = {
        "deductions": lambda v, c, m, n: to_money(m.total_deductions()),
    }
    # list_select_related (base default): the community of each row (time zone, scoping checks of the
    # row buttons) is fetched in one query per page, not one per row

    def __init__(self, *args, **kwargs):
        self.form_ajax_refs = {
            "household": household_loader(_l("Type a room code, e.g. 3-2-12, or a name")),
        }
        super().__init__(*args, **kwargs)

    def render(self, template, **kwargs):
        kwargs.setdefault("money", money_text)
        kwargs.setdefault("fmt_date", _date)
        kwargs.setdefault("state_badge", file_state_badge)
        return super().render(template, **kwargs)

    def get_list_row_actions(self):
        """A closed file (rejected, refunded, archived) shows no edit pencil: it cannot be edited."""
        return [OpenFileEditAction() if isinstance(action, EditRowAction) else action
                for action in super().get_list_row_actions()]

    # ---- list ----
    def search_placeholder(self):
        return _("Room code, permit no., applicant or contractor")

    def _search(self, query, term):
        term = str(term or "").strip()[:60]
        code = parse_room_code(term) or term.upper()
        return query.filter(Q(room_code__startswith=code) | Q(permit_no=term.upper())
                            | Q(applicant__icontains=term) | Q(contractor_company__icontains=term))

    # ---- forms ----
    def on_model_change(self, form, model, is_created):
        if model.household is not None:
            model.community = model.household.community
        if is_created:
            model.state = "draft"
        if model.management_fee is None:
            model.management_fee = to_money(0)

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None:
            allowed = obj.editable_fields()
            for name in list(form._fields):
                if name not in allowed and name not in ("csrf_token", "record_version"):
                    del form[name]
        return form

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        raw_id = str(request.args.get("id", ""))
        model = self.get_query().filter(pk=raw_id).first() if ObjectId.is_valid(raw_id) else None
        if model is not None and not model.editable_fields():
            flash(_("This file is closed and can no longer be edited."), "error")
            return redirect(self.get_url(".details_view", id=model.pk))
        return super().edit_view()

    # ---- steps ----
    def step_summary(self, record) -> list:
        rows = super().step_summary(record) + [(_("Applicant"), record.applicant or "")]
        if record.permit_no:
            rows.append((_("Permit no."), record.permit_no))
        if record.next_patrol_due:
            rows += [(_("Phase"), record.phase_label), (_("Next patrol due"), _date(record.next_patrol_due))]
        if record.open_violations():
            rows.append((_("Violations not yet rectified"), str(len(record.open_violations()))))
        if record.deposit_received_on:
            rows.append((_("Deposit left after deductions"), money_text(record.deposit_left())))
        return rows

    def step_buttons(self, record, return_url=None):
        """The workflow's buttons (permits have theirs, one per kind, in the permits section)."""
        return [button for button in super().step_buttons(record, return_url) if button[0] in self.row_steps]

    # ---- details ----
    def details_extra(self, model):
        extra = super().details_extra(model)
        user = current_user._get_current_object()
        offered = {name: model.offers(name, user) for name in (*self.row_step_forms, "issue_permit",
                                                                "issue_hot_work")}
        extra.update({
            "workflow": [e for e in audit.AuditEntry.objects(collection="renovations", record_id=str(model.pk))
                         .order_by("at") if e.action in model.workflow or e.action == "create"],
            "attachments": list(model.attachments()), "offered": offered, "upload_form": UploadForm(),
            "permit_buttons": [(kind, label, self.get_url(".step_view", step=permit_step(kind), id=str(model.pk),
                                                          kind=kind, url=request.url))
                               for kind, label in PERMIT_KINDS if kind != RELEASE_KIND and offered[permit_step(kind)]],
            **self._item_releases(model),
            "labels": self._labels(), "deductions": model.deductions(),
            "total_deductions": model.total_deductions(), "masked_id": lambda v: masked_id(AREA, v or ""),
        })
        return extra

    def _item_releases(self, model) -> dict:
        """The renovation's large items leave on the estate's item release form (one form, one pass)."""
        offer = can("item_release", "create") and model.item_release_problem(model.today()) is None
        return {"item_releases": list(renovation_forms(model)) if can("item_release", "details") else [],
                "item_release_url": self.get_url("item_release.register_view", renovation=str(model.pk)) if offer else None}

    @staticmethod
    def _labels():
        return {"kinds": dict(ATTACHMENT_KINDS), "permits": dict(PERMIT_KINDS),
                "permit_status": dict(PERMIT_STATUSES), "violations": dict(VIOLATION_TYPES),
                "phases": dict(PHASES), "inspections": dict(INSPECTION_KINDS),
                "methods": dict(PAYMENT_METHODS)}

    def _back(self, model):
        return redirect(self.get_url(".details_view", id=model.pk))

    # ---- files ----
    @expose("/attachment/<attachment_id>")
    def file_view(self, attachment_id):
        """A file of a renovation, only for staff of its community (the scoped query gives 404)."""
        self._require_details()
        attachment = scoped_or_404(RenovationAttachment, attachment_id)
        return send_stored_file(attachment, as_attachment=request.args.get("download") == "1")

    # ---- printable pages (A4, Chinese or English) ----
    def _require_details(self):
        if not can(AREA, "details"):
            abort(403)

    def _print(self, template, **kwargs):
        lang = "en" if request.args.get("lang") == "en" else "zh_Hans_CN"
        with force_locale(lang):
            return self.render(template, lang=lang, printed_at=clock.now(), **kwargs)

    @expose("/print/permit/")
    def print_permit(self):
        self._require_details()
        model = scoped_or_404(Renovation, request.args.get("id"))
        if not model.permit_printable:
            flash(_("The permit is handed over once the file is approved and the fees and deposit are paid."),
                  "error")
            return self._back(model)
        return self._print("renovations/print_permit.html", model=model)

    @expose("/print/pass/")
    def print_subpermit(self):
        self._require_details()
        model = scoped_or_404(Renovation, request.args.get("id"))
        permit = model.permit(request.args.get("key", ""))
        if permit is None:
            abort(404)
        return self._print("renovations/print_subpermit.html", model=model, permit=permit)

    @expose("/print/fees/")
    def print_fees(self):
        self._require_details()
        model = scoped_or_404(Renovation, request.args.get("id"))
        record = model.fee_payment()
        if record is None:
            flash(_("There is no fee receipt for this file yet."), "error")
            return self._back(model)
        return self._print("renovations/print_fees.html", model=model, record=record,
                           upper=rmb_upper(record.total), methods=dict(PAYMENT_METHODS))

    @expose("/print/receipt/")
    def print_receipt(self):
        self._require_details()
        model = scoped_or_404(Renovation, request.args.get("id"))
        record = model.deposit_refund()
        if record is None:
            flash(_("There is no refund receipt for this file yet."), "error")
            return self._back(model)
        return self._print("renovations/print_receipt.html", model=model, record=record,
                           upper=rmb_upper(record.amount), methods=dict(REFUND_METHODS))


class PatrolsDueView(SecurePage):
    """Patrols due today and overdue: for a housekeeper, in the buildings they look after."""
    area = AREA

    def is_accessible(self):
        return current_user.is_authenticated and can(AREA, "patrols_due")

    @expose("/")
    def index(self):
        buildings = patrol_buildings(current_user)
        own_only = buildings is not None
        chosen = request.args.get("building", "").strip()[:10]
        if chosen:
            buildings = [b for b in (buildings if buildings is not None else [chosen]) if b == chosen]
        rows, total = due_patrols(current_user, buildings=buildings)
        return self.render("renovations/patrols_due.html", rows=rows, total=total, own_only=own_only,
                           buildings=current_user.buildings or [], chosen=chosen, fmt_date=_date,
                           can_log=can(AREA, "action:log_patrol"))


def register(admin):
    category = _l("Renovations")
    admin.add_view(RenovationView(Renovation, name=_l("Renovation files"), category=category,
                                  endpoint="renovations"))
    admin.add_view(PatrolsDueView(name=_l("Patrols due"), category=category, endpoint="renovation_patrols",
                                  url="renovation-patrols"))

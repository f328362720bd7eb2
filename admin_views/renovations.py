"""Admin views of renovation files: list, details, one page per workflow step, files, prints.

Views stay thin: every rule lives in documents/renovations.py. A step's page shows what will
happen (the refund amount, the fields the step needs) and POSTs to the same URL; the document
method decides and the page shows its outcome as a flash message.
"""
from bson import ObjectId
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter, FilterEqual, FilterLike
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from mongoengine import Q
from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, FieldList, FileField,
                     Form, FormField, HiddenField, MultipleFileField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from admin_views.base import (EstateModelView, ScopedAjaxLoader, SecurePage, html_table, masked_id,
                              masked_phone, money_cell, scoped_or_404)
from admin_views.files import read_upload, send_stored_file
from admin_views.filters import CommunityFilter, DateBetweenFilter, LocalDateBetweenFilter
from app import clock
from app.permissions import can
from documents import audit
from documents.base import DomainError
from documents.money import money_text, rmb_upper
from documents.places import parse_room_code
from documents.renovations import (ACTION_LABELS, AREA, ATTACHMENT_KINDS, DOCUMENT_UPLOAD,
                                   INSPECTION_KINDS, PERMIT_KINDS, PERMIT_STATUSES, PHASES, PHOTO_UPLOAD,
                                   REFUND_METHODS, STATES, STEP_LABELS, VIOLATION_TYPES, DepositRefund,
                                   Renovation, RenovationAttachment, as_date, due_patrols, local_today,
                                   new_key)
from documents.residents import Household

#: steps done with one confirmed click (no data to enter); the others have a form page
ONE_CLICK_STEPS = ("submit", "approve", "archive")
#: the steps offered as buttons, in workflow order
WORKFLOW_STEPS = ("submit", "flat_inspection", "approve", "reject", "start", "set_phase", "log_patrol",
                  "initial_inspection", "final_inspection", "refund", "archive")
CONFIRMATIONS = {
    "submit": _l("Submit this renovation file for approval?"),
    "approve": _l("Approve this renovation and issue the permit? The deposit is recorded as received."),
    "archive": _l("Archive this renovation file? It can no longer be changed afterwards."),
}
SUCCESS = {
    "submit": _l("The file was submitted."), "flat_inspection": _l("The flat inspection was recorded."),
    "approve": _l("Approved: permit %(no)s was issued."), "reject": _l("The application was rejected."),
    "start": _l("Work started; the room is shown as renovating."), "set_phase": _l("The phase was changed."),
    "log_patrol": _l("The patrol was recorded."), "initial_inspection": _l("The initial inspection was recorded."),
    "final_inspection": _l("The final inspection was recorded."),
    "refund": _l("The deposit was refunded: %(amount)s, receipt %(no)s."), "archive": _l("The file was archived."),
}


def _date(value):
    value = as_date(value)
    return value.isoformat() if value else ""


def _state_badge(v, c, m, n):
    colour = {"rejected": "danger", "refunded": "success", "archived": "secondary", "draft": "light",
              "in_progress": "warning", "final_failed": "danger", "flat_failed": "danger"}.get(m.state, "info")
    return Markup(f'<span class="badge badge-{colour} state-{escape(m.state)}">{escape(m.state_label)}</span>')


def _patrol_due(v, c, m, n):
    if m.state != "in_progress" or not m.next_patrol_due:
        return ""
    status = m.patrol_status()
    text = escape(_date(m.next_patrol_due))
    if status == "overdue":
        return Markup(f'<span class="badge badge-danger">{text} · {escape(_("overdue"))}</span>')
    if status == "due_today":
        return Markup(f'<span class="badge badge-warning">{text} · {escape(_("today"))}</span>')
    return text


def _contractor_table(v, c, m, n):
    k = m.contractor
    if not k:
        return ""
    return html_table([_("Company"), _("Business licence no."), _("Qualification"), _("Site manager"), _("Phone")],
                      [[k.company, k.licence_no, k.qualification or "", k.site_manager,
                        masked_phone(AREA, k.phone or "")]])


def _workers_table(v, c, m, n):
    rows = []
    for w in m.workers or []:
        passes = [p for p in m.permits if p.kind == "worker_pass" and p.worker_key == w.key]
        current = next((p for p in reversed(passes) if p.status == "active"), None)
        pass_text = f"{current.number} ({_date(current.valid_from)} – {_date(current.valid_to)})" if current else ""
        rows.append([w.name, masked_id(AREA, w.id_number or ""), masked_phone(AREA, w.phone or ""),
                     w.trade or "", pass_text])
    return html_table([_("Name"), _("ID number"), _("Phone"), _("Trade"), _("Temporary pass")], rows)


def _fees_table(v, c, m, n):
    rows = [[_("Renovation deposit"), money_text(m.deposit)],
            [_("Renovation management fee"), money_text(m.management_fee)]]
    rows += [[f.item, money_text(f.amount)] for f in m.other_fees or []]
    rows.append([_("Total"), money_text(m.total_fees())])
    return html_table([_("Item"), _("Amount")], rows)


class OverduePatrolFilter(BaseMongoEngineFilter):
    """Files in progress whose next patrol date has passed (today in each community's zone)."""

    def apply(self, query, value):
        if value != "1":
            return query
        today = local_today(getattr(current_user, "communities", [None])[0] if
                            getattr(current_user, "communities", None) else None)
        return query.filter(state="in_progress", next_patrol_due__lt=today)

    def operation(self):
        return _l("is")


# --- forms of the steps ---------------------------------------------------------------------------

class ConfirmForm(FlaskForm):
    pass


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for rejection"), validators=[DataRequired(), Length(max=1000)])


class StartForm(FlaskForm):
    phase = SelectField(_l("First phase"), choices=[p for p in PHASES if p[0] != "installation"])
    on = DateField(_l("Start date"), validators=[Optional()])


class PhaseForm(FlaskForm):
    phase = SelectField(_l("Phase"), choices=PHASES)
    installation_on = DateField(_l("Installation day"), validators=[Optional()],
                                description=_l("Required for the installation phase: the patrol is due that day."))


class FlatInspectionForm(FlaskForm):
    passed = RadioField(_l("Result"), choices=[("yes", _l("Passed")), ("no", _l("Failed"))],
                        validators=[InputRequired()])
    items = TextAreaField(_l("Failed items (one per line)"), validators=[Length(max=3000)],
                          description=_l("e.g. 卫生间闭水试验渗漏; they are confirmed repaired by the next inspection."))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=1000)])
    on = DateField(_l("Inspection date"), validators=[Optional()])


class InitialInspectionForm(FlaskForm):
    items = TextAreaField(_l("To put right before the final inspection (one per line)"),
                          validators=[Length(max=3000)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=1000)])
    on = DateField(_l("Inspection date"), validators=[Optional()])


class ItemForm(Form):
    description = StringField(_l("Item"), validators=[Length(max=300)])
    deduction = DecimalField(_l("Deduction"), places=2, validators=[Optional()])


class FinalInspectionForm(FlaskForm):
    passed = RadioField(_l("Result"), choices=[("yes", _l("Passed")), ("no", _l("Failed"))],
                        validators=[InputRequired()])
    items = FieldList(FormField(ItemForm), min_entries=3, max_entries=20,
                      label=_l("Items to fix and deductions from the deposit"))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=1000)])
    on = DateField(_l("Inspection date"), validators=[Optional()])


class RefundForm(FlaskForm):
    method = SelectField(_l("Refund method"), choices=REFUND_METHODS)
    paid_to = StringField(_l("Paid to"), validators=[DataRequired(), Length(max=60)])
    expected_amount = HiddenField()


class ViolationForm(Form):
    type = SelectField(_l("Violation"), choices=[("", "—")] + VIOLATION_TYPES, validators=[Optional()])
    description = StringField(_l("Description"), validators=[Length(max=500)])
    deduction = DecimalField(_l("Deduction"), places=2, validators=[Optional()])
    deadline = DateField(_l("Rectify by"), validators=[Optional()])


class PatrolForm(FlaskForm):
    key = HiddenField()
    on = DateField(_l("Date"), validators=[Optional()])
    phase = SelectField(_l("Phase"), choices=PHASES)
    findings = TextAreaField(_l("Findings"), validators=[Length(max=2000)])
    violations = FieldList(FormField(ViolationForm), min_entries=2, max_entries=10, label=_l("Violations"))
    photos = MultipleFileField(_l("Photos (JPEG or PNG)"))


class PermitForm(FlaskForm):
    key = HiddenField()
    kind = HiddenField()
    worker_key = SelectField(_l("Worker"), choices=[], validate_choice=False)
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid until"), validators=[Optional()])
    location = StringField(_l("Location"), validators=[Length(max=120)])
    power_load_kw = DecimalField(_l("Load (kW)"), places=2, validators=[Optional()])
    starts_at = DateTimeLocalField(_l("From"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Until"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    fire_precautions = TextAreaField(_l("Fire precautions"), validators=[Length(max=500)])
    fire_watch = StringField(_l("Fire watch"), validators=[Length(max=60)])
    items = TextAreaField(_l("Items and quantities"), validators=[Length(max=500)])
    vehicle_plate = StringField(_l("Vehicle plate"), validators=[Length(max=10)])
    driver_name = StringField(_l("Driver"), validators=[Length(max=60)])
    driver_id = StringField(_l("Driver's licence / ID no."), validators=[Length(max=30)])
    fees_settled = BooleanField(_l("I have checked that the owner's fees are settled"))


PERMIT_FIELDS = {
    "worker_pass": ("worker_key", "valid_from", "valid_to"),
    "power": ("location", "power_load_kw", "valid_from", "valid_to"),
    "hot_work": ("location", "starts_at", "ends_at", "fire_precautions", "fire_watch"),
    "item_release": ("items", "vehicle_plate", "driver_name", "driver_id", "valid_from", "fees_settled"),
}


class RevokeForm(FlaskForm):
    key = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Reason for revoking"), validators=[DataRequired(), Length(max=300)])


class RectifyForm(FlaskForm):
    patrol_key = HiddenField(validators=[DataRequired()])
    violation_key = HiddenField(validators=[DataRequired()])


class UploadForm(FlaskForm):
    kind = SelectField(_l("Document"), choices=[k for k in ATTACHMENT_KINDS])
    file = FileField(_l("File (PDF, JPEG or PNG, at most 10 MB)"))


class RemoveFileForm(FlaskForm):
    attachment = HiddenField(validators=[DataRequired()])


STEP_FORMS = {
    "submit": ConfirmForm, "approve": ConfirmForm, "archive": ConfirmForm, "reject": RejectForm,
    "start": StartForm, "set_phase": PhaseForm, "flat_inspection": FlatInspectionForm,
    "initial_inspection": InitialInspectionForm, "final_inspection": FinalInspectionForm,
    "refund": RefundForm, "log_patrol": PatrolForm,
}


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# --- the view -----------------------------------------------------------------------------------

class RenovationView(EstateModelView):
    area = AREA
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
        "room_code": _l("Room"), "permit_no": _l("Permit no."), "applicant": _l("Applicant"),
        "contractor_company": _l("Contractor"), "state": _l("State"), "phase": _l("Phase"),
        "planned_start": _l("Planned start"), "planned_end": _l("Planned end"),
        "next_patrol_due": _l("Next patrol due"), "community": _l("Community"),
        "applicant_phone": _l("Applicant's phone"), "contractor": _l("Contractor"), "workers": _l("Workers"),
        "scope": _l("Scope of work"), "fees": _l("Fees"), "agreement_signed_on": _l("Agreement signed on"),
        "deposit_received_on": _l("Deposit received on"), "started_on": _l("Work started on"),
        "finished_on": _l("Work finished on"), "final_passed_on": _l("Final inspection passed on"),
        "rejected_reason": _l("Reason for rejection"), "notes": _l("Notes"), "household": _l("Household"),
        "deposit": _l("Renovation deposit"), "management_fee": _l("Renovation management fee"),
        "other_fees": _l("Other fees"), "deductions": _l("Deductions"), "refund_amount": _l("Amount refunded"),
        "refund_receipt_no": _l("Receipt no."), "created_at": _l("Opened"),
    }
    form_columns = ["household", "applicant", "applicant_phone", "contractor", "workers", "scope",
                    "planned_start", "planned_end", "deposit", "management_fee", "other_fees",
                    "agreement_signed_on", "notes"]
    form_overrides = {"scope": TextAreaField, "notes": TextAreaField}
    form_args = {
        "applicant": {"description": _l("Left empty: the household's name")},
        "deposit": {"description": _l("Renovation deposit, refunded after the final inspection minus deductions")},
    }
    column_formatters = {
        "state": _state_badge, "phase": lambda v, c, m, n: m.phase_label,
        "next_patrol_due": _patrol_due,
        "planned_start": lambda v, c, m, n: _date(m.planned_start),
        "planned_end": lambda v, c, m, n: _date(m.planned_end),
    }
    column_formatters_detail = dict(column_formatters, **{
        "community": lambda v, c, m, n: m.community.display_name(None) if m.community else "",
        "contractor": _contractor_table, "workers": _workers_table, "fees": _fees_table,
        "applicant_phone": lambda v, c, m, n: masked_phone(AREA, m.applicant_phone or ""),
        "agreement_signed_on": lambda v, c, m, n: _date(m.agreement_signed_on),
        "deposit_received_on": lambda v, c, m, n: _date(m.deposit_received_on),
        "started_on": lambda v, c, m, n: _date(m.started_on),
        "finished_on": lambda v, c, m, n: _date(m.finished_on),
        "final_passed_on": lambda v, c, m, n: _date(m.final_passed_on),
    })
    column_formatters_export = {
        "community": lambda v, c, m, n: str(m.community) if m.community else "",
        "state": lambda v, c, m, n: m.state_label, "phase": lambda v, c, m, n: m.phase_label,
        "deposit": money_cell, "management_fee": money_cell, "refund_amount": money_cell,
        "deductions": lambda v, c, m, n: money_text(m.total_deductions()),
        **{name: (lambda name: lambda v, c, m, n: _date(getattr(m, name)))(name) for name in (
            "planned_start", "planned_end", "started_on", "finished_on", "next_patrol_due")},
    }
    # list_select_related (base default): the community of each row (time zone, scoping checks of the
    # row buttons) is fetched in one query per page, not one per row

    def __init__(self, *args, **kwargs):
        self.form_ajax_refs = {
            "household": ScopedAjaxLoader("household", Household, fields=["room_code", "name"],
                                          prefix_fields=["room_code"], order_by="sort_key",
                                          placeholder=_l("Type a room code, e.g. 3-2-12, or a name")),
        }
        super().__init__(*args, **kwargs)

    # ---- list ----
    def search_placeholder(self):
        return _("Room code, permit no., applicant or contractor")

    def _search(self, query, term):
        term = str(term or "").strip()[:60]
        code = parse_room_code(term) or term.upper()
        return query.filter(Q(room_code__startswith=code) | Q(permit_no=term.upper())
                            | Q(applicant__icontains=term) | Q(contractor_company__icontains=term))

    def steps_for(self, model):
        """The workflow buttons this user may use on this file now (role and state)."""
        return [(name, STEP_LABELS[name], name in ONE_CLICK_STEPS, CONFIRMATIONS.get(name))
                for name in WORKFLOW_STEPS if model.allows(name, current_user)]

    # ---- forms ----
    def on_model_change(self, form, model, is_created):
        if model.household is not None:
            model.community = model.household.community
        if is_created:
            model.state = "draft"

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

    # ---- details ----
    def details_extra(self, model):
        workflow = [e for e in audit.AuditEntry.objects(collection="renovations", record_id=str(model.pk))
                    .order_by("at") if e.action in ACTION_LABELS or e.action == "create"]
        return {
            "steps": self.steps_for(model), "workflow": workflow,
            "attachments": list(model.attachments()),
            "upload_form": UploadForm(), "revoke_form": RevokeForm(), "rectify_form": RectifyForm(),
            "remove_form": RemoveFileForm(),
            "can_attach": model.allows("attach", current_user),
            "can_remove": model.allows("remove_attachment", current_user),
            "can_issue": model.allows("issue_permit", current_user),
            "can_revoke": can(AREA, "action:revoke_permit"),
            "can_rectify": model.allows("rectify", current_user),
            "permit_kinds": PERMIT_KINDS, "labels": self._labels(),
            "deductions": model.deductions(), "total_deductions": model.total_deductions(),
            "money": money_text, "fmt_date": _date, "masked_id": lambda v: masked_id(AREA, v or ""),
        }

    @staticmethod
    def _labels():
        return {"kinds": dict(ATTACHMENT_KINDS), "permits": dict(PERMIT_KINDS),
                "permit_status": dict(PERMIT_STATUSES), "violations": dict(VIOLATION_TYPES),
                "phases": dict(PHASES), "inspections": dict(INSPECTION_KINDS),
                "methods": dict(REFUND_METHODS), "actions": ACTION_LABELS}

    def _back(self, model):
        return redirect(self.get_url(".details_view", id=model.pk))

    def _require(self, perm):
        if not can(AREA, perm):
            abort(403)

    # ---- workflow steps ----
    @expose("/step/<step>/", methods=("GET", "POST"))
    def step_view(self, step):
        name = step
        if name not in STEP_FORMS:
            abort(404)
        self._require(f"action:{name}")
        model = scoped_or_404(Renovation, request.args.get("id"))
        if request.method == "GET":
            try:  # no form for a step that cannot be taken now; say why instead
                model.authorize(name, current_user._get_current_object())
                model.require_state(name)
            except DomainError as err:
                flash(err.message, "error")
                return self._back(model)
        form = STEP_FORMS[name]()
        self._prefill(name, model, form)
        if request.method == "POST" and form.validate():
            try:
                outcome = self._perform(name, model, form)
            except DomainError as err:
                flash(err.message, "error")
                model = scoped_or_404(Renovation, model.pk)
                if name in ONE_CLICK_STEPS or not model.allows(name, current_user._get_current_object()):
                    return self._back(model)  # e.g. a colleague took the step meanwhile
                self._prefill(name, model, form)
            else:
                flash(outcome, "success")
                if name == "log_patrol" and request.args.get("from") == "due":
                    return redirect(url_for("renovation_patrols.index"))
                return self._back(model)
        elif request.method == "POST":
            for field, errors in form.errors.items():
                flash(f"{getattr(form, field).label.text}: {'; '.join(map(str, errors))}", "error")
        return self.render("renovations/step.html", model=model, form=form, step=name,
                           step_label=STEP_LABELS[name], confirmation=CONFIRMATIONS.get(name),
                           money=money_text, fmt_date=_date)

    def _prefill(self, name, model, form):
        if name == "refund":
            due = model.refund_due()
            form.expected_amount.data = str(due)  # the amount shown is the amount confirmed
            if not form.paid_to.data:
                form.paid_to.data = model.applicant
        if name == "log_patrol":
            if not form.key.data:
                form.key.data = new_key()
            if request.method == "GET":
                form.phase.data = model.phase
                form.on.data = model.today()
        if name == "set_phase" and request.method == "GET":
            form.phase.data = model.phase

    def _perform(self, name, model, form):
        user = current_user._get_current_object()
        if name == "submit":
            model.submit(user)
        elif name == "approve":
            model.approve(user)
            return _("Approved: permit %(no)s was issued.", no=model.permit_no)
        elif name == "archive":
            model.archive(user)
        elif name == "reject":
            model.reject(user, form.reason.data)
        elif name == "start":
            model.start(user, form.phase.data, on=form.on.data)
        elif name == "set_phase":
            model.change_phase(user, form.phase.data, installation_on=form.installation_on.data)
        elif name == "flat_inspection":
            model.record_flat_inspection(user, form.passed.data == "yes", _lines(form.items.data),
                                         form.notes.data, on=form.on.data)
        elif name == "initial_inspection":
            model.record_initial_inspection(user, form.notes.data, _lines(form.items.data), on=form.on.data)
        elif name == "final_inspection":
            items = [(e.form.description.data, e.form.deduction.data) for e in form.items.entries]
            model.record_final_inspection(user, form.passed.data == "yes", items, form.notes.data,
                                          on=form.on.data)
        elif name == "refund":
            record = model.refund(user, form.method.data, form.paid_to.data,
                                  expected_amount=request.form.get("expected_amount"))
            return _("The deposit was refunded: %(amount)s, receipt %(no)s.",
                     amount=money_text(record.amount), no=record.receipt_no)
        elif name == "log_patrol":
            self._check_photos(form.photos.data)
            violations = [{"type": e.form.type.data, "description": e.form.description.data,
                           "deduction": e.form.deduction.data, "deadline": e.form.deadline.data}
                          for e in form.violations.entries]
            patrol = model.log_patrol(user, key=form.key.data, on=form.on.data, phase=form.phase.data,
                                      findings=form.findings.data, violations=violations)
            stored = 0
            for upload in form.photos.data or []:
                if upload and upload.filename:
                    if RenovationAttachment.objects(renovation=model, patrol_key=patrol.key,
                                                    filename=upload.filename).first():
                        continue  # the same form posted again
                    model.attach(user, "photo", upload.filename, read_upload(upload, PHOTO_UPLOAD),
                                 patrol_key=patrol.key)
                    stored += 1
        return str(SUCCESS[name])

    @staticmethod
    def _check_photos(uploads):
        """Photos are checked before the patrol is written, so a bad photo records nothing."""
        for upload in uploads or []:
            if upload and upload.filename:
                data = read_upload(upload, PHOTO_UPLOAD)
                upload.seek(0)
                PHOTO_UPLOAD.check(upload.filename, data)

    @action("submit", _l("Submit"), _l("Submit the selected files for approval?"))
    def action_submit(self, ids):
        self._bulk("submit", ids, lambda m, u: m.submit(u))

    @action("approve", _l("Approve"), _l("Approve the selected files and issue their permits?"))
    def action_approve(self, ids):
        self._bulk("approve", ids, lambda m, u: m.approve(u))

    @action("archive", _l("Archive file"), _l("Archive the selected files?"))
    def action_archive(self, ids):
        self._bulk("archive", ids, lambda m, u: m.archive(u))

    def _bulk(self, name, ids, step):
        user, done = current_user._get_current_object(), 0
        for model in self.get_query().filter(pk__in=ids):
            try:
                step(model, user)
                done += 1
            except DomainError as err:
                flash(f"{model}: {err.message}", "error")
        if done:
            flash(_("%(step)s: %(n)d files.", step=STEP_LABELS[name], n=done), "success")

    # ---- permits ----
    @expose("/permit/", methods=("GET", "POST"))
    def permit_view(self):
        self._require("action:issue_permit")
        model = scoped_or_404(Renovation, request.args.get("id"))
        kind = request.args.get("kind", "")
        if kind not in PERMIT_FIELDS:
            abort(404)
        form = PermitForm()
        form.worker_key.choices = [(w.key, f"{w.name} ({masked_id(AREA, w.id_number)})") for w in model.workers]
        if request.method == "GET":
            form.key.data = new_key()
            form.valid_to.data = as_date(model.planned_end) if kind == "worker_pass" else None
        if request.method == "POST" and form.validate():
            data = {name: getattr(form, name).data for name in PERMIT_FIELDS[kind]}
            try:
                permit = model.issue_permit(current_user._get_current_object(), kind, key=form.key.data, **data)
            except DomainError as err:
                flash(err.message, "error")
            else:
                flash(_("Permit %(no)s was issued.", no=permit.number), "success")
                return self._back(model)
        return self.render("renovations/permit_form.html", model=model, form=form, kind=kind,
                           kind_label=dict(PERMIT_KINDS)[kind], fields=PERMIT_FIELDS[kind])

    @expose("/permit/revoke/", methods=("POST",))
    def revoke_view(self):
        self._require("action:revoke_permit")
        model = scoped_or_404(Renovation, request.args.get("id"))
        form = RevokeForm()
        if not form.validate():
            flash(_("Give the reason for revoking the permit."), "error")
            return self._back(model)
        try:
            model.revoke_permit(current_user._get_current_object(), form.key.data, form.reason.data)
            flash(_("The permit was revoked."), "success")
        except DomainError as err:
            flash(err.message, "error")
        return self._back(model)

    @expose("/violation/rectify/", methods=("POST",))
    def rectify_view(self):
        self._require("action:rectify")
        model = scoped_or_404(Renovation, request.args.get("id"))
        form = RectifyForm()
        if form.validate():
            try:
                model.rectify_violation(current_user._get_current_object(), form.patrol_key.data,
                                        form.violation_key.data)
                flash(_("The violation was marked as rectified."), "success")
            except DomainError as err:
                flash(err.message, "error")
        return self._back(model)

    # ---- files ----
    @expose("/attachment/upload/", methods=("POST",))
    def upload_view(self):
        self._require("action:attach")
        model = scoped_or_404(Renovation, request.args.get("id"))
        form = UploadForm()
        upload = form.file.data
        if not form.validate() or upload is None or not getattr(upload, "filename", ""):
            flash(_("Choose a file to attach."), "error")
            return self._back(model)
        rule = PHOTO_UPLOAD if form.kind.data == "photo" else DOCUMENT_UPLOAD
        try:
            attachment = model.attach(current_user._get_current_object(), form.kind.data, upload.filename,
                                      read_upload(upload, rule))
            flash(_("%(name)s was attached.", name=attachment.filename), "success")
        except DomainError as err:
            flash(err.message, "error")
        return self._back(model)

    @expose("/attachment/remove/", methods=("POST",))
    def remove_file_view(self):
        self._require("action:remove_attachment")
        model = scoped_or_404(Renovation, request.args.get("id"))
        form = RemoveFileForm()
        if not form.validate():
            abort(404)
        attachment = scoped_or_404(RenovationAttachment, form.attachment.data)
        if attachment.renovation.pk != model.pk:
            abort(404)
        try:
            model.remove_attachment(current_user._get_current_object(), attachment)
            flash(_("%(name)s was removed.", name=attachment.filename), "success")
        except DomainError as err:
            flash(err.message, "error")
        return self._back(model)

    @expose("/attachment/<attachment_id>")
    def file_view(self, attachment_id):
        """A file of a renovation, only for staff of its community (the scoped query gives 404)."""
        self._require("details")
        attachment = scoped_or_404(RenovationAttachment, attachment_id)
        return send_stored_file(attachment, as_attachment=request.args.get("download") == "1")

    # ---- printable pages (A4, Chinese or English) ----
    def _print(self, template, **kwargs):
        lang = "en" if request.args.get("lang") == "en" else "zh_Hans_CN"
        with force_locale(lang):
            return self.render(template, lang=lang, money=money_text, fmt_date=_date,
                               printed_at=clock.now(), **kwargs)

    @expose("/print/permit/")
    def print_permit(self):
        self._require("details")
        model = scoped_or_404(Renovation, request.args.get("id"))
        if not model.permit_no:
            flash(_("The permit is issued when the file is approved."), "error")
            return self._back(model)
        return self._print("renovations/print_permit.html", model=model)

    @expose("/print/pass/")
    def print_subpermit(self):
        self._require("details")
        model = scoped_or_404(Renovation, request.args.get("id"))
        permit = model.permit(request.args.get("key", ""))
        if permit is None:
            abort(404)
        return self._print("renovations/print_subpermit.html", model=model, permit=permit)

    @expose("/print/receipt/")
    def print_receipt(self):
        self._require("details")
        model = scoped_or_404(Renovation, request.args.get("id"))
        record = DepositRefund.objects(renovation=model).first()
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
        query = Renovation.objects.for_user(current_user)
        own_only = current_user.has_role("housekeeper") and not any(
            current_user.has_role(r) for r in ("manager", "supervisor"))
        buildings = list(current_user.buildings or []) if own_only else None
        chosen = request.args.get("building", "").strip()[:10]
        if chosen:
            buildings = [b for b in (buildings if buildings is not None else [chosen]) if b == chosen]
        rows = due_patrols(query, buildings=buildings)
        return self.render("renovations/patrols_due.html", rows=rows, own_only=own_only,
                           buildings=current_user.buildings or [], chosen=chosen, fmt_date=_date,
                           can_log=can(AREA, "action:log_patrol"))


def register(admin):
    category = _l("Renovations")
    admin.add_view(RenovationView(Renovation, name=_l("Renovation files"), category=category,
                                  endpoint="renovations"))
    admin.add_view(PatrolsDueView(name=_l("Patrols due"), category=category, endpoint="renovation_patrols",
                                  url="renovation-patrols"))

"""One step page for every area, and the buttons that lead to it.

A view of a document with a workflow (documents/workflow.py) mixes in `StepPageMixin` and maps the
steps that need input to a `StepForm`; every other step with a page gets a plain confirmation form.

- GET /step/<step>/?id=…  shows the record's summary and the step's form, or says why the step is
  not possible now (the document's `why_not`);
- POST validates the form and passes `form.arguments(record)` to the document's step method; a
  refusal (DomainError) is shown on the field it names, nothing typed is lost;
- list-row and details-page buttons come from the document's `offered_steps(user)`.

No view names a state or branches on a step: what differs lives in the document (the rule) and in
the step's form (its fields, how they become arguments, the message on success).
"""
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import BaseListRowAction
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, DateTimeLocalField, HiddenField

from admin_views.base import scoped_or_404, show_refusal
from app import clock
from app.permissions import can
from documents.base import DomainError
from documents.deadlines import to_local, zone_of


class StepForm(FlaskForm):
    """Base of step forms: the fields a step needs besides the acting user.

    `arguments()` turns the data into the step method's keyword arguments (override to convert),
    `for_record()` sets what depends on the record (choices, on GET and POST), `prefill()` sets
    defaults on GET, `done_message()` may word the success message,
    `intro_template` names a template shown above the form (e.g. the refund calculation).
    """

    intro_template: str | None = None

    def for_record(self, record, user):
        """Called on GET and POST, before validation: what depends on the record (e.g. choices)."""

    def arguments(self, record) -> dict:
        return {name: field.data for name, field in self._fields.items()
                if name != "csrf_token" and not isinstance(field, HiddenField)}

    def prefill(self, record, user):
        """Date-time fields start at "now", date fields at "today", in the record's community."""
        community = getattr(record, "community", None)
        now = to_local(clock.now(), zone_of(community)).replace(tzinfo=None, second=0, microsecond=0)
        for field in self:
            if field.data is not None:
                continue
            if isinstance(field, DateTimeLocalField):
                field.data = now
            elif isinstance(field, DateField):
                field.data = now.date()

    def done_message(self, record, outcome) -> str | None:
        return None

    @classmethod
    def warnings_after(cls, record, outcome) -> list[str]:
        """Warnings shown once the step was taken, on its page or as a bulk action (whom to inform)."""
        return []


class ConfirmStepForm(StepForm):
    """A step that needs nothing but a confirmation (submit, approve, archive…)."""


def state_badge(record, colours: dict, default: str = "info", element_id=None) -> Markup:
    """A record's state as a badge: `colours` maps a state to its Bootstrap colour, so one state
    looks the same on the list, the details table and the page header."""
    id_attr = Markup(' id="{}"').format(element_id) if element_id else ""
    return Markup('<span class="badge badge-{} state-{}"{}>{}</span>').format(
        colours.get(record.state, default), record.state, id_attr, record.state_label)


def step_url(view, step, record, return_url=None):
    return view.get_url(".step_view", step=step, id=str(record.pk), url=return_url)


class StepRowAction(BaseListRowAction):
    """A list-row button for one step, shown when the user is offered it on that row."""

    def __init__(self, step, label):
        super().__init__(title=label)
        self.step = step

    def render(self, context, row_id, row):
        if not row.offers(self.step, current_user):
            return ""
        get_url = context.resolve("get_url")
        url = get_url(".step_view", step=self.step, id=row_id, url=context.resolve("return_url"))
        return Markup('<a class="btn btn-sm btn-outline-primary py-0 px-1 mr-1 mb-1 step-{}" href="{}">{}</a>'
                      ).format(self.step, url, self.title)


class StepPageMixin:
    """Put before EstateModelView. `step_forms`: step name -> StepForm subclass."""

    step_forms: dict = {}
    step_template = "admin_ext/step.html"
    #: steps shown as list-row buttons (default: every step with a page)
    row_steps: tuple | None = None
    #: confirm-only steps offered as bulk actions on the list: step -> confirmation question
    bulk_steps: dict = {}
    #: steps posted from a row of the details page (`/do/<step>/`): step -> StepForm subclass
    row_step_forms: dict = {}

    # --- the page ---
    @expose("/step/<step>/", methods=("GET", "POST"))
    def step_view(self, step):
        spec = self._allowed_spec(step, pages=True)
        record = scoped_or_404(self.model, request.args.get("id"))
        user = current_user._get_current_object()
        return_url = get_redirect_target() or self.get_url(".details_view", id=str(record.pk))
        form = self.step_forms.get(step, ConfirmStepForm)()
        form.for_record(record, user)
        refusal = record.why_not(step, user)
        if request.method == "GET":
            if refusal is None:
                form.prefill(record, user)
        elif refusal is not None:
            flash(refusal, "error")
        elif form.validate():
            err = self._take(spec.name, record, form, user)
            if err is None:
                return redirect(return_url)
            show_refusal(form, err)
        return self.render(self.step_template, form=form, record=record, model=None, step=step,
                           step_title=record.step_label(step), refusal=refusal, return_url=return_url,
                           summary=self.step_summary(record), intro=form.intro_template)

    @expose("/do/<step>/", methods=("POST",))
    def row_step_view(self, step):
        """A step posted from a row of a details page (revoke this permit, remove that file): its
        small form in `row_step_forms`, the outcome flashed, then back to the page."""
        if step not in self.row_step_forms:
            abort(404)
        self._allowed_spec(step, pages=False)
        record = scoped_or_404(self.model, request.args.get("id"))
        form = self.row_step_forms[step]()
        if not form.validate():
            for field in form:
                for error in field.errors:
                    flash(_("%(field)s: %(message)s", field=field.label.text, message=error), "error")
        else:
            err = self._take(step, record, form, current_user._get_current_object())
            if err is not None:
                flash(err.message, "error")
        return redirect(get_redirect_target() or self.get_url(".details_view", id=str(record.pk)))

    def _allowed_spec(self, step, pages: bool):
        """The declared step (404 if none, or if it has no page where one is asked) the user's role
        may take at all (else 403); the record's own checks follow in the document."""
        workflow = self.model.workflow
        spec = workflow.by_name.get(step)
        if spec is None or (pages and not spec.page):
            abort(404)
        if not can(spec.area or workflow.area, spec.right):
            abort(403)
        return spec

    def _take(self, step, record, form, user):
        """Take the step with the form's arguments and say how it went; the refusal, if any."""
        try:
            outcome = record.perform(step, user, **form.arguments(record))
        except DomainError as err:
            return err
        flash(form.done_message(record, outcome) or self.step_done(step, record), "success")
        for note in form.warnings_after(record, outcome):
            flash(note, "warning")
        return None

    def step_done(self, step, record) -> str:
        return _("%(step)s: %(record)s is now “%(state)s”.", step=record.step_label(step),
                 record=str(record), state=record.state_label)

    def step_summary(self, record) -> list:
        """(label, value) rows shown beside a step form; areas add what the person should see."""
        return [(_("Record"), str(record)), (_("State"), record.state_label)]

    # --- bulk steps: one Flask-Admin action per step, each record through the same rule ---
    def init_actions(self):
        super().init_actions()
        for name, question in self.bulk_steps.items():
            label = self.model.workflow[name].label or name
            self._actions.append((name, label))
            self._actions_data[name] = ((lambda ids, step=name: self.bulk_step(step, ids)), label, question)

    def is_action_allowed(self, name):
        if name in self.bulk_steps:
            spec = self.model.workflow[name]
            return can(spec.area or self.model.workflow.area, spec.right)
        return super().is_action_allowed(name)

    def bulk_step(self, step, ids):
        """Take `step` on each chosen record; say how many were done and why the others were not."""
        user = current_user._get_current_object()
        form_class = self.step_forms.get(step, ConfirmStepForm)
        done, refused, notes = 0, [], []
        for record in self.get_query().filter(pk__in=ids):
            try:
                outcome = record.perform(step, user)
                done += 1
                notes += form_class.warnings_after(record, outcome)
            except DomainError as err:
                refused.append(_("%(record)s: %(message)s", record=str(record), message=err.message))
        if done:
            flash(_("%(step)s: %(n)d record(s) done.", step=self.model.workflow[step].label, n=done), "success")
        for message in refused[:10]:
            flash(message, "error")
        for note in notes[:10]:
            flash(note, "warning")

    # --- buttons ---
    def get_list_row_actions(self):
        actions = super().get_list_row_actions()
        names = self.row_steps if self.row_steps is not None else \
            [s.name for s in self.model.workflow.steps if s.page]
        return actions + [StepRowAction(name, self.model.workflow[name].label or name) for name in names]

    def step_buttons(self, record, return_url=None) -> list[tuple[str, str, str]]:
        """(step, label, url) of the steps the user is offered on this record."""
        return [(name, record.step_label(name), step_url(self, name, record, return_url))
                for name in record.offered_steps(current_user)]

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra.setdefault("step_buttons", self.step_buttons(model, request.url))
        extra.setdefault("waiting_steps", [(model.step_label(name), reason)
                                           for name, reason in model.waiting_steps(current_user)])
        return extra


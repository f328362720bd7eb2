"""The page of an Excel import (archives, opening balances): template, upload -> preview with every
bad row -> confirm, and the earlier imports. An area's page says which document functions it uses;
the steps are the same for every import (documents/spreadsheet.py)."""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import FileField, SelectField
from wtforms.validators import DataRequired

from admin_views.filters import community_choices
from admin_views.base import SecurePage, scoped_or_404, user_communities
from admin_views.exports import XLSX_TYPE
from app.permissions import can
from documents.base import DomainError
from documents.files import read_stored
from documents.spreadsheet import MAX_BYTES

PREVIEW_ROWS = 200
LIST_ROWS = 50


class UploadForm(FlaskForm):
    community = SelectField(_l("Community"), choices=[], validators=[DataRequired()])
    file = FileField(_l("Excel file (.xlsx)"))


class SpreadsheetImportPage(SecurePage):
    """Subclasses set the page's template, the job document, the permission and the importer module."""

    page_template = ""
    job_model = None
    permission = ("", "")                 # (area, permission) that may import
    template_name = "import-template"     # the downloaded template: <name>-zh.xlsx / -en.xlsx

    # --- the area's steps (documents/<area>) ---
    #: the area's import module in documents/: read_plan(data, community), apply_plan(plan, user, job),
    #: start(user, community, filename, data), template_workbook(locale)
    importer = None

    def read_plan(self, data, community):
        return self.importer.read_plan(data, community)

    def apply_plan(self, plan, user, job):
        return self.importer.apply_plan(plan, user, job)

    def start(self, user, community, filename, data):
        return self.importer.start(user, community, filename, data)

    def template_workbook(self, locale) -> bytes:
        return self.importer.template_workbook(locale)

    def done_message(self, job) -> str:
        raise NotImplementedError

    def has_work(self, plan) -> bool:
        """Is there anything to write (else no job is kept and no Import button shown)?"""
        return True

    # --- the page ---
    def is_accessible(self):
        return super().is_accessible() and can(*self.permission)

    def _page(self, form, plan=None, job=None, status=200):
        jobs = self.job_model.objects.for_user(current_user).filter(state="done").order_by("-at").limit(LIST_ROWS)
        return self.render(self.page_template, form=form, plan=plan, job=job, jobs=list(jobs),
                           preview_rows=PREVIEW_ROWS, max_mb=MAX_BYTES // (1024 * 1024)), status

    def _form(self):
        form = UploadForm(request.form if request.method == "POST" else None)
        form.community.choices = community_choices()
        return form

    @expose("/")
    def index(self):
        return self._page(self._form())

    @expose("/template/")
    def template(self):
        locale = "en" if request.args.get("lang") == "en" else "zh_Hans_CN"
        name = f"{self.template_name}-{'en' if locale == 'en' else 'zh'}.xlsx"
        return send_file(io.BytesIO(self.template_workbook(locale)), as_attachment=True, download_name=name,
                         mimetype=XLSX_TYPE)

    @expose("/preview/", methods=("POST",))
    def preview(self):
        """Read the upload, keep it, and show what it would do; nothing is imported."""
        try:
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            flash(_("The file is larger than the limit of %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024)), "error")
            return redirect(self.get_url(".index"))
        form = self._form()
        if not form.validate():
            return self._page(form)
        community = next(c for c in user_communities() if str(c.pk) == form.community.data)
        data = upload.read(MAX_BYTES + 1) if upload else b""
        if not data:
            form.file.errors = [_("Choose the Excel file to import.")]
            return self._page(form)
        try:
            plan = self.read_plan(data, community)
        except DomainError as err:
            form.file.errors = [err.message]
            return self._page(form)
        job = None if plan.errors or not self.has_work(plan) else self.start(
            current_user._get_current_object(), community, upload.filename, data)
        return self._page(form, plan=plan, job=job)

    @expose("/confirm/", methods=("POST",))
    def confirm(self):
        """Import the file that was previewed (read and checked again: nothing half-written)."""
        form = FlaskForm()
        if not form.validate():
            abort(400)
        job = scoped_or_404(self.job_model, request.args.get("id"))
        if job.state != "previewed":
            flash(_("This file was imported already."), "warning")
            return redirect(self.get_url(".index"))
        try:
            plan = self.read_plan(read_stored(job.file), job.community)
            self.apply_plan(plan, current_user._get_current_object(), job)
        except DomainError as err:
            flash(err.message, "error")
            return redirect(self.get_url(".index"))
        flash(self.done_message(job), "success")
        return redirect(url_for(".index"))

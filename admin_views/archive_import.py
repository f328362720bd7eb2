"""Excel import of archives: template, upload -> preview with every bad row -> confirm -> list."""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import FileField, SelectField
from wtforms.validators import DataRequired

from admin_views.base import SecurePage, scoped_or_404, user_communities
from admin_views.exports import XLSX_TYPE
from app.i18n import current_language
from app.permissions import can
from documents.archive_import import MAX_BYTES, ArchiveImport, apply_plan, read_plan, start, template_workbook
from documents.base import DomainError
from documents.files import read_stored

PREVIEW_ROWS = 200
LIST_ROWS = 50


class UploadForm(FlaskForm):
    community = SelectField(_l("Community"), choices=[], validators=[DataRequired()])
    file = FileField(_l("Excel file (.xlsx)"))


class ArchiveImportView(SecurePage):
    area = "residents"

    def is_accessible(self):
        return super().is_accessible() and can("residents", "import")

    def _page(self, form, plan=None, job=None, status=200):
        jobs = ArchiveImport.objects.for_user(current_user).filter(state="done").order_by("-at").limit(LIST_ROWS)
        return self.render("residents/import.html", form=form, plan=plan, job=job, jobs=list(jobs),
                           preview_rows=PREVIEW_ROWS, max_mb=MAX_BYTES // (1024 * 1024)), status

    def _form(self):
        form = UploadForm(request.form if request.method == "POST" else None)
        form.community.choices = [(str(c.pk), c.display_name(current_language())) for c in user_communities()]
        return form

    @expose("/")
    def index(self):
        return self._page(self._form())

    @expose("/template/")
    def template(self):
        locale = "en" if request.args.get("lang") == "en" else "zh_Hans_CN"
        name = "archives-template-en.xlsx" if locale == "en" else "archives-template-zh.xlsx"
        return send_file(io.BytesIO(template_workbook(locale)), as_attachment=True, download_name=name,
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
            plan = read_plan(data, community)
        except DomainError as err:
            form.file.errors = [err.message]
            return self._page(form)
        job = start(current_user._get_current_object(), community, upload.filename, data) if not plan.errors else None
        return self._page(form, plan=plan, job=job)

    @expose("/confirm/", methods=("POST",))
    def confirm(self):
        """Import the file that was previewed (read and checked again: nothing half-written)."""
        form = FlaskForm()
        if not form.validate():
            abort(400)
        job = scoped_or_404(ArchiveImport, request.args.get("id"))
        if job.state != "previewed":
            flash(_("This file was imported already."), "warning")
            return redirect(self.get_url(".index"))
        try:
            plan = read_plan(read_stored(job.file), job.community)
            apply_plan(plan, current_user._get_current_object(), job)
        except DomainError as err:
            flash(err.message, "error")
            return redirect(self.get_url(".index"))
        flash(_("Imported %(file)s: %(created)d archives created, %(updated)d updated, %(rooms)d rooms created.",
                file=job.filename, created=job.created, updated=job.updated, rooms=job.rooms_created), "success")
        return redirect(url_for(".index"))


def register(admin):
    admin.add_view(ArchiveImportView(name=_l("Import archives"), category=_l("Residents"),
                                     endpoint="archive_import"))

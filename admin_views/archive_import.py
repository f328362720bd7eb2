"""Excel import of archives: template, upload -> preview with every bad row -> confirm -> list."""
from flask_babel import gettext as _, lazy_gettext as _l

from admin_views.spreadsheet_import import SpreadsheetImportPage
from documents import archive_import
from documents.archive_import import ArchiveImport


class ArchiveImportView(SpreadsheetImportPage):
    area = "residents"
    permission = ("residents", "import")
    page_template = "residents/import.html"
    job_model = ArchiveImport
    template_name = "archives-template"
    importer = archive_import

    def done_message(self, job):
        return _("Imported %(file)s: %(created)d archives created, %(updated)d updated, %(rooms)d rooms created.",
                 file=job.filename, created=job.created, updated=job.updated, rooms=job.rooms_created)


def register(admin):
    admin.add_view(ArchiveImportView(name=_l("Import archives"), category=_l("Residents"),
                                     endpoint="archive_import"))

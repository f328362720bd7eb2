"""Opening balances at go-live (收费 → 期初欠费导入): template, upload -> preview -> confirm."""
from flask_babel import gettext as _, lazy_gettext as _l

from admin_views.spreadsheet_import import SpreadsheetImportPage
from documents.fees import opening
from documents.fees.opening import OpeningImport
from documents.money import money_text


class OpeningImportView(SpreadsheetImportPage):
    area = "fees"
    permission = ("fees", "action:import_opening")
    page_template = "fees/finance/opening.html"
    job_model = OpeningImport
    template_name = "opening-balances-template"
    importer = opening

    def render(self, template, **kwargs):
        kwargs.setdefault("money", money_text)
        return super().render(template, **kwargs)

    def has_work(self, plan):
        return plan.created > 0

    def done_message(self, job):
        return _("Imported %(file)s: %(created)d lines created (%(amount)s yuan), %(skipped)d already there.",
                 file=job.filename, created=job.created, amount=money_text(job.amount), skipped=job.skipped)


def register(admin, category):
    admin.add_view(OpeningImportView(name=_l("Import opening balances"), category=category,
                                     endpoint="fee_opening"))

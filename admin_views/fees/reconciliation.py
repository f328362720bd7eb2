"""Daily reconciliation for finance (收费 → 收款日报核对): a community's takings of a day or span, on
screen, printed on A4 (zh / en) and exported as a workbook (audited). The rules and sums are
documents/fees/reconciliation.py; this page only chooses the community and the days."""
import io
from datetime import date
from decimal import Decimal

from flask import abort, current_app, request, send_file, url_for
from flask_admin import expose
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user

from admin_views.base import SecurePage, can_open, user_communities
from admin_views.exports import XLSX_TYPE, safe_cell
from app import clock
from app.i18n import current_language
from app.permissions import can
from documents import audit
from documents.base import DomainError
from documents.bilingual import pick
from documents.deadlines import local_text
from documents.fees.ledger import today_in
from documents.fees.reconciliation import item_label, parse_day, reconcile
from documents.money import money_text, rmb_upper, to_money

AREA = "fees"
#: receipts listed on the page and the print (the export has them all)
RECEIPTS_SHOWN = 500
#: a receipt's own page (the cashier's pages, admin_views/fees/payments.py)
RECEIPT_ENDPOINT = "payments.receipt"


class ReconciliationView(SecurePage):
    area = AREA

    def is_accessible(self):
        return super().is_accessible() and can(AREA, "action:reconcile")

    def _chosen(self):
        """The community, the span and the report asked for; or the form's errors by field."""
        communities = user_communities()
        if not communities:
            abort(403)
        wanted = request.args.get("community", "")
        community = next((c for c in communities if str(c.pk) == wanted), communities[0])
        today = today_in(community)
        errors, first, last = {}, today, None
        try:
            first = parse_day(request.args.get("first") or today.isoformat(), "first")
        except DomainError as err:
            errors[err.field] = err.message
        try:
            last = parse_day(request.args["last"], "last") if request.args.get("last") else first
        except DomainError as err:
            errors[err.field] = err.message
        report = None
        if not errors:
            try:
                report = reconcile(community, first, last, actor=current_user._get_current_object())
            except DomainError as err:
                errors[err.field or "first"] = err.message
        return {"communities": communities, "community": community, "first": first, "last": last or first,
                "errors": errors, "report": report, "today": today}

    def _args(self, chosen, **extra) -> dict:
        args = {"community": str(chosen["community"].pk), "first": chosen["first"].isoformat()}
        if chosen["last"] != chosen["first"]:
            args["last"] = chosen["last"].isoformat()
        return {**args, **extra}

    def _helpers(self, language) -> dict:
        return {"money": money_text, "item_label": lambda key: item_label(key, language),
                "local_text": local_text, "receipts_shown": RECEIPTS_SHOWN, "can_export": can(AREA, "export")}

    @expose("/")
    def index(self):
        chosen = self._chosen()
        return self.render("fees/finance/reconciliation.html", **chosen, args=self._args(chosen),
                           community_name=lambda c: c.display_name(current_language()), receipt_url=receipt_url(),
                           **self._helpers(current_language()))

    @expose("/print/")
    def print_view(self):
        chosen = self._chosen()
        if chosen["report"] is None:
            abort(400)
        lang = "en" if request.args.get("lang") == "en" else "zh_Hans_CN"
        with force_locale(lang):
            return self.render("fees/finance/print_reconciliation.html", **chosen, lang=lang,
                               args=self._args(chosen), printed_at=clock.now(), upper=rmb_upper,
                               community_label=chosen["community"].display_name(lang), **self._helpers(lang))

    @expose("/export/")
    def export(self):
        if not can(AREA, "export"):
            abort(403)
        chosen = self._chosen()
        report = chosen["report"]
        if report is None:
            abort(400)
        span = report.first.isoformat() + ("" if report.single_day else f"_{report.last.isoformat()}")
        data = workbook(report, current_language())
        audit.record_event("export", "payments", self.endpoint, f"{report.community.code} {span}",
                           note=_("%(rows)d receipts, %(voided)d void, XLSX", rows=report.totals.count,
                                  voided=len(report.voided)),
                           community=report.community, actor=current_user._get_current_object())
        return send_file(io.BytesIO(data), as_attachment=True, mimetype=XLSX_TYPE,
                         download_name=f"reconciliation-{report.community.code}-{span}.xlsx")


def receipt_url():
    """A link maker to a receipt's page when the cashier's pages exist and the user may open them."""
    if RECEIPT_ENDPOINT not in current_app.view_functions or not can_open(RECEIPT_ENDPOINT):
        return None
    return lambda payment: url_for(RECEIPT_ENDPOINT, id=str(payment.pk))


def _sheet(book, title, header, rows):
    """One sheet: a bold header, then the rows (safe cells; dates and money formatted)."""
    from openpyxl.styles import Font

    ws = book.create_sheet(str(title)[:31])
    ws.append([safe_cell(str(h)) for h in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    for column in ws.columns:
        ws.column_dimensions[column[0].column_letter].width = 16
    return ws


def _receipt_row(p, community, void_text):
    return [p.receipt_no, date.fromisoformat(p.received_on), local_text(p.received_at, community), p.room_code,
            p.household_name, p.method_label(), p.reference or "", p.received_by_name or "", to_money(p.amount),
            void_text, p.void_reason or ""]


def _receipt_rows(report):
    receipts = sorted([p for d in report.days for p in d.payments + d.voided],
                      key=lambda p: (p.receipt_year, p.receipt_seq))
    return [_receipt_row(p, report.community, _("Yes") if p.void else "") for p in receipts] \
        + [_receipt_row(p, report.community, _("Voided in this period")) for p in report.voided_later]


def _check_rows(report, name):
    checks = [[_("Community"), name], [_("First day"), report.first], [_("Last day"), report.last]]
    for r in report.ranges:
        checks.append([_("Receipt numbers %(year)d", year=r.year), f"{r.first_no} – {r.last_no} ({r.count})"])
    checks.append([_("Missing receipt numbers"), ", ".join(report.missing) or _("None")])
    checks.append([_("Voided receipts (not counted)"), len(report.voided)])
    checks.append([_("Methods and items add up to the total"), _("Yes") if report.balanced else _("No")])
    return checks


def workbook(report, language) -> bytes:
    """The report as a workbook: by day and method, by fee item, by day and cashier, every receipt
    (void ones marked), and the checks. Amounts are numbers, days real dates."""
    from openpyxl import Workbook

    methods = report.methods
    book = Workbook()
    book.remove(book.active)
    by_method = [code for code, _l in methods]
    _sheet(book, _("By day"), [_("Day"), _("Receipts")] + [label for _c, label in methods] + [_("Total")],
           [[d.day, d.totals.count] + [d.totals.method(code) for code in by_method] + [d.totals.amount]
            for d in report.days]
           + [[_("Total"), report.totals.count] + [report.totals.method(code) for code in by_method]
              + [report.totals.amount]])
    _sheet(book, _("By fee item"), [_("Fee item")] + [d.day for d in report.days] + [_("Total")],
           [[item_label(key, language)] + [d.totals.item(key) for d in report.days] + [report.totals.item(key)]
            for key, _label in report.items]
           + [[_("Total")] + [d.totals.amount for d in report.days] + [report.totals.amount]])
    _sheet(book, _("By cashier"),
           [_("Day"), _("Cashier"), _("Receipts")] + [label for _c, label in methods] + [_("Total")],
           [[d.day, c.name, c.totals.count] + [c.totals.method(code) for code in by_method] + [c.totals.amount]
            for d in report.days for c in d.cashiers]
           + [[_("Total"), c.name, c.totals.count] + [c.totals.method(code) for code in by_method]
              + [c.totals.amount] for c in report.cashiers])
    _sheet(book, _("Receipts"), [_("Receipt no."), _("Day"), _("Received at"), _("Room"), _("Household"),
                                 _("Payment method"), _("Slip or transaction no."), _("Cashier"), _("Amount"),
                                 _("Void"), _("Reason for voiding")], _receipt_rows(report))
    _sheet(book, _("Checks"), [_("Check"), _("Result")],
           _check_rows(report, pick(report.community.name_zh, report.community.name_en, language)))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def register(admin, category):
    admin.add_view(ReconciliationView(name=_l("Daily reconciliation"), category=category,
                                      endpoint="fee_reconciliation"))

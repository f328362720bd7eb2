"""The reports a manager reads (issue 13): the daily service report and the monthly complaint analysis.

Each report has its page (a period form, the figures with their charts), an A4 print
(print_base.html) and an xlsx. The figures come from documents/reports/; this view only reads the
form, scopes the communities (a manager of B never sees A's figures; whoever sees every community
may read them all together) and renders. A bad period (malformed, or ending before it starts) is told
in the user's language on the form, which keeps what was typed.
"""
from datetime import date

from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from admin_views.filters import community_choices
from admin_views.base import SecurePage, user_communities
from admin_views.fees.payments import print_language
from app import clock
from app import charts
from app.i18n import current_language
from app.permissions import can
from documents.base import DomainError
from documents.deadlines import local_date, zone_of
from documents.reports.complaints_monthly import REPEAT_FROM, complaint_analysis
from documents.reports.daily import daily_report
from documents.reports.period import Period

AREA = "reports"


class ReportsView(SecurePage):
    area = AREA

    # --- what every report page reads from its form ---
    def _communities(self):
        """(the communities the report covers, the chosen id or ""): one of the user's, or all of them."""
        mine = user_communities()
        chosen = (request.args.get("community") or "").strip()
        if not chosen:
            return mine, ""
        found = [c for c in mine if str(c.pk) == chosen]
        if not found:
            abort(404)
        return found, chosen

    def _choices(self):
        return community_choices()

    def _today(self, communities) -> date:
        return local_date(clock.now(), zone_of(communities[0] if communities else None))

    def _need(self, perm: str):
        if not can(AREA, perm):
            abort(403)

    @expose("/")
    def index(self):
        return redirect(url_for(".daily" if can(AREA, "daily") else ".complaints"))

    # --- the daily service report ---
    def _daily(self):
        self._need("daily")
        communities, chosen = self._communities()
        typed = request.args.get("day")
        form = {"community": chosen, "day": typed if typed is not None else self._today(communities).isoformat()}
        errors, report = {}, None
        try:
            period = Period.parse_day(form["day"])
        except DomainError as err:
            errors["day"] = err.message
        else:
            report = daily_report(communities, period.start)
        return communities, form, errors, report

    @expose("/daily/")
    def daily(self):
        communities, form, errors, report = self._daily()
        return self.render("reports/daily.html", form=form, errors=errors, report=report,
                           choices=self._choices(), can_complaints=can(AREA, "complaints"),
                           can_export=can(AREA, "export"))

    @expose("/daily/print/")
    def daily_print(self):
        communities, form, errors, report = self._daily()
        if report is None:
            return redirect(url_for(".daily", **form))
        lang = print_language()
        with force_locale(lang):                          # labels and chart are read in the print's language
            return self.render("reports/daily_print.html", lang=lang, report=report, printed_at=clock.now(), printing=True,
                               community=communities[0] if len(communities) == 1 else None)

    @expose("/daily/xlsx/")
    def daily_xlsx(self):
        self._need("export")
        communities, form, errors, report = self._daily()
        if report is None:
            return redirect(url_for(".daily", **form))
        late = (_("Late"), [_("Line"), _("Number"), _("Room / area")],
                [[item.line_label, item.number, item.where] for item in report.late_items])
        return charts.charts_xlsx([report.chart()], f"daily-report-{report.day.isoformat()}.xlsx",
                           heading=scope_heading(communities), endpoint="reports.daily", community=communities[0] if len(communities) == 1 else None,
                           tables=[late])

    # --- the monthly complaint analysis ---
    def _complaints(self):
        self._need("complaints")
        communities, chosen = self._communities()
        args = request.args
        start, end = args.get("start", "").strip(), args.get("end", "").strip()
        today = self._today(communities)
        month = args.get("month")
        form = {"community": chosen, "month": month if month is not None else f"{today.year}-{today.month:02d}",
                "start": start, "end": end}
        errors, report = {}, None
        try:
            period = Period.parse(start, end) if (start or end) else Period.parse_month(form["month"])
        except DomainError as err:
            errors[err.field or "month"] = err.message
        else:
            report = complaint_analysis(communities, period)
        return communities, form, errors, report

    @expose("/complaints/")
    def complaints(self):
        communities, form, errors, report = self._complaints()
        return self.render("reports/complaints.html", form=form, errors=errors, report=report,
                           choices=self._choices(), can_daily=can(AREA, "daily"), can_export=can(AREA, "export"),
                           repeat_from=REPEAT_FROM)

    @expose("/complaints/print/")
    def complaints_print(self):
        communities, form, errors, report = self._complaints()
        if report is None:
            return redirect(url_for(".complaints", **form))
        lang = print_language()
        with force_locale(lang):
            return self.render("reports/complaints_print.html", lang=lang, report=report, printed_at=clock.now(), printing=True,
                               community=communities[0] if len(communities) == 1 else None,
                               repeat_from=REPEAT_FROM)

    @expose("/complaints/xlsx/")
    def complaints_xlsx(self):
        self._need("export")
        communities, form, errors, report = self._complaints()
        if report is None:
            return redirect(url_for(".complaints", **form))
        return charts.charts_xlsx(report.charts(), f"complaint-analysis-{str(report.period).replace(' – ', '_')}.xlsx",
                           heading=_("Complaint analysis %(period)s", period=str(report.period)) + " · "
                           + scope_heading(communities), endpoint="reports.complaints",
                           community=communities[0] if len(communities) == 1 else None, tables=report.tables())


def scope_heading(communities) -> str:
    """Whose figures a workbook holds: the community, or the communities it adds up."""
    names = [c.display_name(current_language()) for c in communities]
    return names[0] if len(names) == 1 else _("%(n)d communities: %(names)s", n=len(names), names="、".join(names))


def register(admin):
    admin.add_view(ReportsView(name=_l("Service reports"), category=_l("Reports"), endpoint="reports"))

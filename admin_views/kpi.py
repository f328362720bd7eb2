"""The KPI page (issue 13 point 8): the charts of documents/reports/kpi.py for one community, or
company-wide for the roles that see every community; months from-to; an xlsx of all its charts."""
from flask import abort, request
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l

from admin_views.base import SecurePage, user_communities
from app.charts import charts_xlsx
from app.i18n import current_language
from app.permissions import can
from documents.base import DomainError, sees_all
from documents.reports import kpi

AREA = "kpi"
#: the community choice meaning every community the reader sees
ALL = "all"


class KpiView(SecurePage):
    area = AREA

    def _choice(self):
        """(communities, chosen community or None for company-wide, the choices' value)."""
        communities = user_communities()
        if not communities:
            abort(404)
        wide = sees_all_choice(communities)
        asked = request.args.get("community") or (ALL if wide else str(communities[0].pk))
        if asked == ALL and wide:
            return communities, None, ALL
        chosen = next((c for c in communities if str(c.pk) == asked), None)
        if chosen is None:
            abort(404)                    # another community's figures are not reachable
        return communities, chosen, str(chosen.pk)

    def _figures(self):
        communities, chosen, choice = self._choice()
        scope = communities if chosen is None else [chosen]
        first, last = request.args.get("start"), request.args.get("end")
        errors, period = {}, None
        if first is None and last is None:
            period = kpi.default_period(scope[0])
            first, last = kpi.month_key(period.start), kpi.month_key(period.end)
        else:
            try:
                period = kpi.parse_months(first, last)
            except DomainError as err:
                errors[err.field or "end"] = err.message
        language = current_language()
        names = {c.pk: c.display_name(language) for c in scope}
        charts = kpi.kpi_charts(period, scope, names, company_wide=chosen is None) if period else []
        heading = " · ".join([_("Company-wide") if chosen is None else names[chosen.pk], str(period or "")])
        return dict(communities=communities, chosen=chosen, choice=choice, start=first or "", end=last or "",
                    errors=errors, period=period, charts=charts, heading=heading, language=language,
                    can_see_all=sees_all_choice(communities))

    @expose("/")
    def index(self):
        figures = self._figures()
        return self.render("reports/kpi.html", can_export=can(AREA, "export"), **figures)

    @expose("/export/")
    def export(self):
        if not can(AREA, "export"):
            abort(403)
        figures = self._figures()
        if figures["period"] is None:
            abort(400)
        chosen = figures["chosen"]
        name = f"kpi-{chosen.code if chosen is not None else ALL}-{figures['start']}-{figures['end']}.xlsx"
        return charts_xlsx(figures["charts"], name, heading=figures["heading"], endpoint="kpi.index",
                           community=chosen)


def sees_all_choice(communities) -> bool:
    from flask_login import current_user
    return sees_all(current_user) and len(communities) > 1


def register(admin):
    admin.add_view(KpiView(name=_l("Key performance indicators"), category=_l("Reports"), endpoint="kpi"))

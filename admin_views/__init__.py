"""Flask-Admin set-up: one Admin per app, each area registering its own views."""
from pathlib import Path

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin_views import (agenda, archive_access, archive_import, audit, complaints, events, feedback, fees,
                         handover, item_release, keys, kpi, lookup, lost_found, movein, notices, places,
                         renovations, rental, repairs, reports, residents, staff, surveys, visits)
from admin_views.base import cached_menu, can_open
from app.headers import csp_nonce

#: our Chinese for the few Flask-Admin strings its own catalog leaves out (admin.po)
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

# Areas in menu order; a new area adds its module here.
AREAS = [lookup, residents, archive_import, archive_access, repairs, complaints, feedback, surveys, visits, handover,
         reports, kpi, movein, item_release, lost_found, renovations, keys, rental, fees, events, notices, places,
         staff, agenda, audit]


def init_admin(app):
    admin = Admin(app, name=_l("Estate Desk"), url="/admin", translations_path=str(TRANSLATIONS),
                  index_view=agenda.MyWorkView(name=_l("Home"), url="/admin"),
                  theme=Bootstrap4Theme(base_template="estate_master.html", fluid=True),
                  csp_nonce_generator=csp_nonce)
    for area in AREAS:
        area.register(admin)
    app.extensions["estate_admin"] = admin
    app.jinja_env.globals["can_open"] = can_open
    app.jinja_env.globals["cached_menu"] = cached_menu
    return admin

"""The fees area's pages (menu 收费 / Fees): one module per register, each with `register(admin, category)`."""
from flask_babel import lazy_gettext as _l

from admin_views.fees import accounts, arrears, bills, items, opening, payments, reconciliation, vacancy

#: the modules of the area, in menu order (each adds its pages in `register`)
MODULES = [accounts, arrears, payments, bills, reconciliation, items, opening, vacancy]


def register(admin):
    category = _l("Fees")
    for module in MODULES:
        module.register(admin, category)

"""Staff accounts, managed by administrators."""
from flask import flash
from flask_admin.actions import action
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import PasswordField, SelectMultipleField
from wtforms.validators import Optional

from flask_admin.contrib.mongoengine.filters import FilterEqual

from admin_views.base import EstateModelView
from documents import audit
from documents.base import DomainError
from documents.staff import ROLES, Staff


class StaffView(EstateModelView):
    area = "staff"
    column_list = ["username", "display_name", "roles", "communities", "language", "active", "last_login"]
    column_searchable_list = ["username", "display_name"]
    column_filters = ["active", FilterEqual("roles", _l("Role"), options=ROLES)]
    column_details_list = column_list + ["email", "buildings"]
    column_export_list = column_list
    form_columns = ["username", "display_name", "email", "roles", "communities", "buildings", "language", "active",
                    "new_password"]
    form_overrides = {"roles": SelectMultipleField}
    form_args = {"roles": {"choices": ROLES}, "communities": {"allow_blank": True},
                 "email": {"description": _l("Deadline notifications are sent here when the portal has a mail "
                                             "server; leave empty for none.")}}
    form_extra_fields = {"new_password": PasswordField(
        _l("New password"), validators=[Optional()],
        description=_l("Leave empty to keep the current password. At least 10 characters, not the username, "
                        "not a common or guessable password."))}

    def check_community(self, model):
        """Staff are not community-owned; only admins reach this view at all."""

    def on_model_change(self, form, model, is_created):
        password = form._fields.get("new_password")
        if password is not None and password.data:
            model.set_password(password.data, field="new_password")
            if not is_created:
                model.session_version = (model.session_version or 0) + 1
        elif is_created:
            raise DomainError(_("A new account needs a password."), field="new_password")

    def _set_active(self, ids, active: bool):
        count = 0
        for staff in self.get_query().filter(pk__in=ids):
            before = audit.snapshot(staff)
            staff.active = active
            staff.session_version = (staff.session_version or 0) + 1
            staff.save()
            audit.record("activate" if active else "deactivate", staff,
                         audit.diff(before, audit.snapshot(staff)))
            count += 1
        flash(_("%(n)d accounts were updated.", n=count), "success")

    @action("deactivate", _l("Deactivate"), _l("Deactivate the selected accounts? They are logged out at once."))
    def action_deactivate(self, ids):
        self._set_active(ids, False)

    @action("activate", _l("Activate"), _l("Activate the selected accounts?"))
    def action_activate(self, ids):
        self._set_active(ids, True)


def register(admin):
    admin.add_view(StaffView(Staff, name=_l("Staff"), category=_l("Administration"), endpoint="staff"))

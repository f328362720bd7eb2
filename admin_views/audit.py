"""Read-only audit history for managers and administrators."""
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import lazy_gettext as _l

from admin_views.base import EstateModelView, html_table
from app.i18n import datetime_local, personal_data
from documents.audit import action_label, display_value


def _changes(v, c, m, n):
    return html_table([_l("Field"), _l("Old value"), _l("New value")],
                      [[ch.field, personal_data(display_value(ch.old), ch.field), personal_data(display_value(ch.new), ch.field)]
                       for ch in m.changes])


class AuditView(EstateModelView):
    area = "audit"
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ["at", "actor_name", "action", "collection", "record_label", "ip", "changes"]
    column_details_list = column_list + ["record_id", "note"]
    column_export_list = ["at", "actor_name", "action", "collection", "record_id", "record_label", "ip"]
    column_default_sort = ("at", True)
    column_sortable_list = ["at"]
    column_filters = [FilterEqual("actor_name", _l("Staff")), FilterEqual("action", _l("Action")),
                      FilterEqual("collection", _l("Record type")), FilterEqual("record_id", _l("Record"))]
    column_labels = {
                     "record_id": _l("Record ID"), }
    column_formatters = {"changes": _changes,
                         "at": lambda v, c, m, n: datetime_local(m.at, "yyyy-MM-dd HH:mm:ss"),
                         "action": lambda v, c, m, n: action_label(m)}
    list_select_related = False

    def get_query(self):
        """Managers see the history of their communities' records (and of staff actions there)."""
        from flask_login import current_user
        from mongoengine import Q
        qs = self.model.objects
        if current_user.sees_all_communities:
            return qs
        return qs.filter(Q(community__in=current_user.community_ids)
                         | (Q(community=None) & Q(actor__in=self._colleagues())))

    @staticmethod
    def _colleagues():
        from flask_login import current_user
        from documents.staff import Staff
        return list(Staff.objects(communities__in=current_user.community_ids).scalar("id"))


def register(admin):
    from documents.audit import AuditEntry
    admin.add_view(AuditView(AuditEntry, name=_l("Audit history"), category=_l("Administration"),
                             endpoint="audit"))

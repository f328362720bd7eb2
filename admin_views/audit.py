"""Read-only audit history for managers and administrators."""
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import lazy_gettext as _l

from flask import g

from admin_views.base import EstateModelView, html_table, raw_id, user_communities
from app.i18n import personal_data
from documents.audit import action_label, display_value
from documents.deadlines import local_text
from documents.places import Community


def entry_time(entry) -> str:
    """When it happened, on the clock of the entry's community (staff actions: the reader's)."""
    community_id = raw_id(entry._data.get("community"))
    zones = g.setdefault("audit_zones", {})
    if community_id not in zones:
        zones[community_id] = Community.objects(pk=community_id).only("timezone").first() if community_id else None
    community = zones[community_id] or (user_communities() or [None])[0]
    return local_text(entry.at, community, "%Y-%m-%d %H:%M:%S")


def _changes(v, c, m, n):
    return html_table([_l("Field"), _l("Old value"), _l("New value")],
                      [[ch.field, personal_data(display_value(ch.old)), personal_data(display_value(ch.new))]
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
                         "at": lambda v, c, m, n: entry_time(m),
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

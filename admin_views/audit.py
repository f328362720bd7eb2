"""Read-only audit history for managers and administrators, read as the records' own histories:
field names, values in words, times on the community's clock, "System" for automatic steps."""
from types import SimpleNamespace

from flask import g
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l

from admin_views.base import (EstateModelView, change_value, html_table, named_field, raw_id, user_communities,
                              walk_field)
from app.i18n import personal_data
from documents.audit import action_label, display_value
from documents.deadlines import local_text
from documents.places import Community


def entry_time(entry) -> str:
    """When it happened, on the clock of the entry's community (staff actions: the reader's)."""
    community = entry_community(entry) or (user_communities() or [None])[0]
    return local_text(entry.at, community, "%Y-%m-%d %H:%M:%S")


def entry_community(entry):
    community_id = raw_id(entry._data.get("community"))
    zones = g.setdefault("audit_communities", {})
    if community_id not in zones:
        zones[community_id] = Community.objects(pk=community_id).only("timezone").first() if community_id else None
    return zones[community_id]


def model_of(collection: str):
    """The document class stored in `collection` (None if no longer known)."""
    from mongoengine.base import _document_registry
    for model in _document_registry.values():
        if not model._meta.get("abstract") and model._get_collection_name() == collection:
            return model
    return None


def _changes(v, c, m, n):
    """Each change as on the record's own history: the field's name, values in words."""
    model = model_of(m.collection)
    where = SimpleNamespace(community=entry_community(m))
    rows = []
    for ch in m.changes:
        if model is None:
            rows.append([ch.field, ch.old, ch.new, ch.field])
        elif named_field(model, ch.field):
            field, words = walk_field(model, ch.field)
            rows.append([" · ".join(words), change_value(field, ch.old, where), change_value(field, ch.new, where),
                         ch.field])
    return html_table([_l("Field"), _l("Old value"), _l("New value")],
                      [[label, personal_data(display_value(old), name), personal_data(display_value(new), name)]
                       for label, old, new, name in rows])


def record_type(view, entry) -> str:
    """The kind of record, as its list is named in the menu ("Repairs"), not its collection."""
    for other in view.admin._views:
        model = getattr(other, "model", None)
        if model is not None and model._get_collection_name() == entry.collection:
            return str(other.name)
    return entry.collection


def actor(entry) -> str:
    return _("System") if entry.actor_name in (None, "", "system") else entry.actor_name


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
                         "action": lambda v, c, m, n: action_label(m),
                         "collection": lambda v, c, m, n: record_type(v, m),
                         "actor_name": lambda v, c, m, n: actor(m)}
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

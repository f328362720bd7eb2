"""Every filter, sort and search field of the service lists has an index (same rule as the foundation's)."""


def indexed_fields(model):
    fields = set()
    for spec in model._meta.get("index_specs", []):
        fields.update(name for name, _direction in spec["fields"])
    return fields | {"_id"}


def view_fields(view):
    names = set()
    for flt in view.column_filters or []:
        names.add(flt.column if hasattr(flt, "column") else flt)
    for col in view.column_searchable_list or []:
        names.add(col)
    for col in view.column_sortable_list or []:
        names.add(col[1] if isinstance(col, tuple) else col)
    return names


def test_service_lists_are_indexed(app):
    views = [v for v in app.extensions["estate_admin"]._views
             if getattr(v, "endpoint", "") in ("repairs", "complaints", "visits")]
    assert len(views) == 3
    for view in views:
        fields = view_fields(view)
        assert {"community", "state", "due_at"} & fields or view.endpoint == "visits"
        missing = {f for f in fields if view.model._fields[f].db_field not in indexed_fields(view.model)}
        assert missing == set(), (view.endpoint, missing)

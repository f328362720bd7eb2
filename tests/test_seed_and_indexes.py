"""Demo data is deterministic and idempotent; every list filter/sort/search field is indexed."""
from datetime import datetime

from mongoengine.connection import get_db

from app import clock
from documents.residents import Household
from documents.staff import Staff


def test_seed_twice_creates_nothing_new_and_uses_demo_password(app_ctx, monkeypatch):
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-xyz")
    first = run(households_per_community=(40, 20))
    assert "new households: 60" in first and "manager2" in first and "demo-password-xyz" not in first
    snapshot = sorted((h.room_code, h.name, h.owners[0].phone) for h in Household.objects)
    db = get_db()
    counts = {name: db[name].count_documents({}) for name in db.list_collection_names()}
    second = run(households_per_community=(40, 20))
    grown = {name: db[name].count_documents({}) - counts.get(name, 0) for name in db.list_collection_names()}
    assert {name: n for name, n in grown.items() if n} == {}        # no payment, file or record twice
    assert "new households: 0" in second and "new staff accounts: 0" in second
    assert sorted((h.room_code, h.name, h.owners[0].phone) for h in Household.objects) == snapshot
    clerk = Staff.objects(username="clerk").get()
    assert clerk.check_password("demo-password-xyz")
    assert {s.username for s in Staff.objects} >= {"admin", "manager", "supervisor", "clerk", "housekeeper",
                                                   "cashier", "culture", "manager2", "clerk2"}
    assert Staff.objects(username="clerk2").get().communities[0].code == "CHW"
    assert Household.objects(tenants__id_type="passport").count() >= 1  # a few foreign tenants


def test_seed_runs_on_any_day_of_the_month(app_ctx):
    """The 3rd: this month's inspections fall on the 1st, and so would the storm round two days ago."""
    from seed import run
    clock.freeze(datetime(2026, 12, 3, 2, 0))
    assert "Demo password" in run(households_per_community=(10, 5))


def test_seed_generates_a_password_when_none_is_given(app_ctx, monkeypatch):
    from seed import run
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    report = run(households_per_community=(5, 5))
    password = report.split("Demo password (shown only now): ")[1].strip()
    assert len(password) >= 10 and Staff.objects(username="admin").get().check_password(password)


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
    return {n if isinstance(n, str) else n.name for n in names}


def test_every_filtered_sorted_or_searched_field_has_an_index(app):
    for view in app.extensions["estate_admin"]._views:
        model = getattr(view, "model", None)
        if model is None:
            continue
        mongo_names = {name: model._fields[name].db_field for name in model._fields}
        missing = {f for f in view_fields(view) if mongo_names.get(f, f) not in indexed_fields(model)}
        assert missing == set(), (view.endpoint, missing)


def test_service_lists_are_indexed(app):
    """The service lists are there, filter by deadline and state, and name only real, indexed fields."""
    views = [v for v in app.extensions["estate_admin"]._views
             if getattr(v, "endpoint", "") in ("repairs", "complaints", "visits")]
    assert len(views) == 3
    for view in views:
        fields = view_fields(view)
        assert {"community", "state", "due_at"} & fields or view.endpoint == "visits"
        missing = {f for f in fields if view.model._fields[f].db_field not in indexed_fields(view.model)}
        assert missing == set(), (view.endpoint, missing)

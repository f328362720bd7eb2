"""Every query the app makes answers the same on the embedded store as on mongomock.

The demo data is seeded on mongomock and every page of the portal is visited as an administrator
and as a clerk: every list (each sortable column both ways, a search, page 2), the first record's
details and edit pages, exports, the lookup grid, the search box, the handover page. Each read
query the pages make (find with its sort, skip, limit and projection; count_documents; distinct)
is recorded with its real values. The data is then copied, in the same natural order and with the
same declared indexes, into a fresh embedded store, and every recorded query is run on both:
the results must be equal, document by document, in order.
"""
import os
import re
from collections import OrderedDict

import pytest

from app import clock, create_app, embedded_store
from app.config import TestConfig

litemongo = pytest.importorskip("litemongo")
PASSWORD = "shape-test-password"


def _freeze(value):
    """A hashable, order-keeping key for a query (filters hold dicts, lists, ObjectIds)."""
    if isinstance(value, dict):
        return ("d", tuple((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("l", tuple(_freeze(v) for v in value))
    if isinstance(value, re.Pattern):
        return ("re", value.pattern, value.flags)
    return ("v", type(value).__name__, repr(value))


class Recorder:
    """Records the read queries made on mongomock (the store of the test suite)."""

    def __init__(self, monkeypatch):
        import mongomock.collection as mm

        self.queries = OrderedDict()
        self.active = True
        recorder = self
        compute, count, distinct = mm.Cursor._compute_results, mm.Collection.count_documents, \
            mm.Collection.distinct

        def spy_compute(cursor, with_limit_and_skip=False):
            recorder.add(("find", cursor.collection.name, cursor._spec, cursor._sort, cursor._skip,
                          cursor._limit, cursor._projection))
            return compute(cursor, with_limit_and_skip)

        def spy_count(coll, filter, **kwargs):  # noqa: A002
            recorder.add(("count", coll.name, filter, kwargs.get("skip", 0), kwargs.get("limit")))
            return count(coll, filter, **kwargs)

        def spy_distinct(coll, key, filter=None, **kwargs):  # noqa: A002
            recorder.add(("distinct", coll.name, key, filter))
            return distinct(coll, key, filter, **kwargs)

        monkeypatch.setattr(mm.Cursor, "_compute_results", spy_compute)
        monkeypatch.setattr(mm.Collection, "count_documents", spy_count)
        monkeypatch.setattr(mm.Collection, "distinct", spy_distinct)

    def add(self, query):
        import copy

        if not self.active:
            return
        self.queries.setdefault(_freeze(query), copy.deepcopy(query))


def run_query(db, query):
    kind, name = query[0], query[1]
    coll = db[name]
    if kind == "count":
        _, _, filter_, skip, limit = query
        kwargs = {"skip": skip} | ({"limit": limit} if limit else {})
        return coll.count_documents(filter_, **kwargs)
    if kind == "distinct":
        return sorted(map(repr, coll.distinct(query[2], query[3])))
    _, _, spec, sort, skip, limit, projection = query
    cursor = coll.find(spec, projection)
    if sort:
        cursor = cursor.sort(sort)
    if skip:
        cursor = cursor.skip(skip)
    if limit:
        cursor = cursor.limit(limit)
    return list(cursor)


def _links(html, pattern):
    return list(dict.fromkeys(m.replace("&amp;", "&") for m in re.findall(pattern, html)))


def visit_everything(app, username):
    client = app.test_client()
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"login of {username} failed"
    admin = app.extensions["estate_admin"]
    visited = 0
    for view in admin._views:
        from flask import url_for

        with app.test_request_context("/"):
            try:
                base = url_for(f"{view.endpoint}.index_view")
            except Exception:  # noqa: BLE001 - a view without an index page
                continue
        page = client.get(base)
        if page.status_code != 200:
            continue
        html = page.data.decode()
        urls = _links(html, r'href="(/admin/[^"]*\?[^"]*sort=\d+[^"]*)"')[:16]
        urls += _links(html, r'href="(/admin/[^"]*/details/\?id=[^"&]+)')[:1]
        urls += _links(html, r'href="(/admin/[^"]*/edit/\?id=[^"&]+)')[:1]
        urls += _links(html, r'href="(/admin/[^"]*/export/[a-z]+/[^"]*)"')[:2]
        urls += _links(html, r'href="(/admin/[^"]*\?[^"]*page=1[^"]*)"')[:1]
        urls += [base + "?search=1", base + "?search=%E5%BC%A0"]
        for url in urls:
            client.get(url)
            visited += 1
    for url in ("/admin/lookup/", "/admin/", "/admin/handover/", "/admin/kpi/", "/admin/kpi/?start=2026-01&end=2026-12"):
        page = client.get(url).data.decode()
        for link in _links(page, r'href="(/admin/lookup/[^"]*\?[^"]+)"')[:6]:
            client.get(link)
            visited += 1
    return visited


def copy_into_embedded(source_db, target_db):
    """Every collection of mongomock's store, same order and indexes, into the embedded store."""
    for name in source_db.list_collection_names():
        source, target = source_db[name], target_db[name]
        for index_name, info in source.index_information().items():
            if index_name == "_id_":
                continue
            options = {k: v for k, v in info.items() if k in ("unique", "sparse")}
            target.create_index(info["key"], name=index_name, **options)
        docs = list(source.find())
        if docs:
            target._store.load_many(docs)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    os.environ["DEMO_PASSWORD"] = PASSWORD
    app = create_app(TestConfig())
    try:
        recorder = Recorder(monkeypatch)
        with app.app_context():
            from seed import run
            run((30, 15))
        recorder.queries.clear()          # the app's reads, not the seeding's
        visited = sum(visit_everything(app, user) for user in ("admin", "clerk", "manager"))
        recorder.active = False
        db = app.extensions["estate_db"]
        client = litemongo.MongoClient(embedded_store.new_server_store(
            str(tmp_path_factory.mktemp("shapes") / "store")))
        target = client["estate_desk"]
        copy_into_embedded(db, target)
        yield db, target, recorder.queries, visited
        client.close()
    finally:
        monkeypatch.undo()
        os.environ.pop("DEMO_PASSWORD", None)
        clock.freeze(None)


def test_the_visit_reaches_every_kind_of_page(recorded):
    _, _, queries, visited = recorded
    assert visited > 100
    kinds = {q[0] for q in queries.values()}
    assert kinds >= {"find", "count"}
    collections = {q[1] for q in queries.values()}
    assert {"households", "repairs", "complaints", "renovations", "audit_entries", "staff", "rooms",
            "events", "visits", "notices"} <= collections, collections
    # the KPI page's reads (the sweeper's on-time tallies and arrears snapshots of its months)
    assert any(q[1] == "kpi_on_time_tallies" and "month" in repr(q[2]) for q in queries.values())
    assert any(q[1] == "kpi_arrears_snapshots" and "month" in repr(q[2]) for q in queries.values())


@pytest.mark.parametrize("walk_above", [embedded_store.WALK_INDEX_ABOVE, -1])
def test_every_recorded_query_answers_as_on_mongomock(recorded, walk_above, monkeypatch):
    """(-1: every sorted page walks the sort index instead of sorting the matches)"""
    monkeypatch.setattr(embedded_store, "WALK_INDEX_ABOVE", walk_above)
    mongomock_db, embedded_db, queries, _ = recorded
    mismatches, exact = [], 0
    for query in queries.values():
        expected = run_query(mongomock_db, query)
        got = run_query(embedded_db, query)
        if got != expected:
            mismatches.append((query, expected if not isinstance(expected, list) else len(expected),
                               got if not isinstance(got, list) else len(got)))
        if query[0] != "distinct" and embedded_store.exact_plan(embedded_db[query[1]], query[2]):
            exact += 1
    assert not mismatches, f"{len(mismatches)} of {len(queries)} differ, e.g. {mismatches[:3]}"
    assert len(queries) > 150
    assert exact > len(queries) // 3, "most queries of the pages are answered from the index tables"

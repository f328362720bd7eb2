"""The embedded store's index-only paths give exactly what litemongo's normal path gives."""
import random
from datetime import datetime, timedelta

import pytest
from bson import ObjectId

from app import embedded_store

litemongo = pytest.importorskip("litemongo")

COMMUNITIES = [ObjectId() for _ in range(3)]


@pytest.fixture
def coll(tmp_path):
    embedded_store.install()
    client = litemongo.MongoClient(embedded_store.new_server_store(str(tmp_path / "store")))
    collection = client["db"]["things"]
    for keys in (["community", "sort_key"], ["community", "tags"], ["status"], ["when"], ["n"],
                 ["mixed"], ["people.phone"], ["maybe"]):
        collection.create_index([(k, 1) for k in keys])
    rng = random.Random(7)
    docs = []
    for i in range(250):
        doc = {"community": rng.choice(COMMUNITIES), "status": rng.choice(["current", "moved_out"]),
               "sort_key": f"{rng.randrange(30):06d}-{rng.randrange(5):06d}",
               "tags": rng.sample(["a", "b", "c", "d"], rng.randrange(3)),
               "when": datetime(2024, 1, 1) + timedelta(hours=rng.randrange(5000)),
               "n": rng.choice([rng.randrange(50), rng.randrange(50) + 0.5]),
               "mixed": rng.choice(["x", 3, "y"]),
               "people": [{"phone": f"138{rng.randrange(10**8):08d}"}]}
        if i % 7 == 0:
            doc["maybe"] = None
        elif i % 5:
            doc["maybe"] = f"m{rng.randrange(20):02d}"
        docs.append(doc)
    collection.insert_many(docs)
    yield collection
    embedded_store.ENABLED = True
    client.close()


@pytest.fixture
def reads(coll, monkeypatch):
    """Largest number of documents one query read from the store."""
    seen = []
    store_class = type(coll._store)
    original = store_class.get_rows

    def spy(self, keys):
        keys = list(keys)
        seen.append(len(keys))
        return original(self, keys)

    monkeypatch.setattr(store_class, "get_rows", spy)
    return seen


def both(run, reads=None):
    """(normal path's result, fast path's result); `reads` then holds the fast path's reads."""
    embedded_store.ENABLED = False
    slow = run()
    embedded_store.ENABLED = True
    if reads is not None:
        reads.clear()
    fast = run()
    return slow, fast


A, B = COMMUNITIES[0], COMMUNITIES[1]
EXACT = [
    {"community": A},
    {"community": {"$in": [A, B]}, "status": "current"},
    {"community": A, "$or": [{"tags": "a"}, {"status": "moved_out"}]},
    {"$and": [{"community": A}, {"tags": {"$in": ["b", "c"]}}]},
    {"community": {"$in": []}},
    {"status": {"$eq": "current"}, "tags": "d"},
    {},
]
SORTS = [None, [("sort_key", 1)], [("sort_key", -1)], [("status", 1), ("sort_key", -1)],
         [("when", -1)], [("n", 1)], [("maybe", 1)], [("maybe", -1)], [("$natural", -1)]]


@pytest.fixture(params=["join", "walk", "walk_cut_short"])
def plan_kind(request, monkeypatch):
    """The ways to order a page: sort the matches, walk the sort index probing each row, or start
    walking and give up after a few rows (the matches are rare there) to sort the matches instead."""
    if request.param != "join":
        monkeypatch.setattr(embedded_store, "WALK_INDEX_ABOVE", -1)
    if request.param == "walk_cut_short":
        monkeypatch.setattr(embedded_store, "WALK_BUDGET", 5)
    return request.param


@pytest.mark.parametrize("query", EXACT)
@pytest.mark.parametrize("sort", SORTS)
def test_exact_pages_match_the_normal_path_and_read_only_the_page(coll, reads, query, sort, plan_kind):
    for skip in (0, 7, 150):
        def page():
            cursor = coll.find(query).skip(skip).limit(20)
            if sort:
                cursor = cursor.sort(sort)
            return list(cursor)  # whole documents
        slow, fast = both(page, reads)
        assert fast == slow
        assert reads[-1] <= 20, "the fast path must read only the page's documents"


@pytest.mark.parametrize("query", EXACT)
@pytest.mark.parametrize("sort", SORTS)
def test_exact_queries_without_limit_match_without_checking_each_document(coll, monkeypatch,
                                                                          query, sort):
    from litemongo._vendor.mongomock import collection as mm_collection

    checks = []
    original = mm_collection.filter_applies
    monkeypatch.setattr(mm_collection, "filter_applies",
                        lambda *args, **kw: checks.append(1) or original(*args, **kw))

    def everything():
        cursor = coll.find(query).skip(3)
        if sort:
            cursor = cursor.sort(sort)
        return [doc["_id"] for doc in cursor]
    slow, fast = both(everything)
    assert fast == slow
    if query:  # (an empty filter has no candidates to narrow)
        checks.clear()
        everything()
        assert checks == []


@pytest.mark.parametrize("query", EXACT)
def test_exact_counts_match_and_read_nothing(coll, reads, query):
    for kwargs in ({}, {"skip": 5}, {"limit": 3}, {"skip": 2, "limit": 50}):
        slow, fast = both(lambda: coll.count_documents(query, **kwargs), reads)
        assert fast == slow
        assert reads == [], "an exact count reads no document"
    if query == {"community": A}:  # and by hand, for the plainest case
        assert coll.count_documents(query) == sum(1 for doc in coll.find() if doc["community"] == A)


@pytest.mark.parametrize("query,sort", [
    ({"community": A, "sort_key": {"$regex": "^00001"}}, [("sort_key", 1)]),   # regex: not exact
    ({"people.phone": "13800000000"}, None),                                    # through an array
    ({"community": A, "n": 3}, None),                                           # numbers are coarse
    ({"community": A}, [("mixed", 1)]),                                         # mixed types
    ({"community": A}, [("tags", 1)]),                                          # arrays
    ({"community": A}, [("unindexed", 1)]),
    ({"community": A, "$or": [{"tags": "a"}, {"sort_key": {"$gt": "000010"}}]}, None),
])
def test_other_queries_take_the_normal_path_with_the_same_results(coll, query, sort):
    def run():
        cursor = coll.find(query).skip(3).limit(10)
        if sort:
            cursor = cursor.sort(sort)
        return [doc["_id"] for doc in cursor], coll.count_documents(query)
    slow, fast = both(run)
    assert fast == slow


def test_or_of_indexed_branches_narrows_the_candidates(coll, monkeypatch):
    from litemongo._vendor.mongomock import collection as mm_collection

    checks = []
    original = mm_collection.filter_applies
    monkeypatch.setattr(mm_collection, "filter_applies",
                        lambda *args, **kw: checks.append(1) or original(*args, **kw))
    query = {"$or": [{"tags": "a"}, {"status": "moved_out"}], "n": {"$ne": 3}}  # $ne: not exact
    slow, fast = both(lambda: sorted(doc["_id"] for doc in coll.find(query)))
    assert fast == slow
    checks.clear()
    coll.count_documents(query)
    assert 0 < len(checks) < coll.count_documents({}), "the $or branches narrowed the documents read"


def test_parts_over_the_estimate_cap_are_counted_further_to_start_from_the_smaller(coll, monkeypatch):
    """Both parts reach the cap (a community's 50,000 work orders, its 5,000 open ones): the rows
    are read from the smaller part, not from whichever came first."""
    monkeypatch.setattr(embedded_store.Planner, "ESTIMATE_CAP", 5)
    monkeypatch.setattr(embedded_store.Planner, "RECOUNT_FACTOR", 1000)
    community = COMMUNITIES[0]
    query = {"community": community, "tags": "a"}
    store, planner, plan = embedded_store.exact_plan(coll, query)
    assert all(planner.estimate(part) == 5 for part in plan[1])
    first = planner.most_selective_first(plan[1])[0]
    sizes = {part: coll.count_documents({"community": community} if part[1] == planner.paths["community"]
                                        else {"tags": "a"}) for part in plan[1]}
    assert sizes[first] == min(sizes.values()) < max(sizes.values())
    slow, fast = both(lambda: coll.count_documents(query))
    assert fast == slow


def test_writes_keep_the_index_values_in_step(coll):
    first = coll.find({"community": A}).sort([("sort_key", 1)]).limit(1)[0]
    coll.update_one({"_id": first["_id"]}, {"$set": {"sort_key": "999999"}})
    new = coll.insert_one({"community": A, "sort_key": "!first", "status": "current"}).inserted_id
    slow, fast = both(lambda: [d["_id"] for d in coll.find({"community": A}).sort([("sort_key", 1)])
                               .limit(300)])
    assert fast == slow and fast[0] == new and fast[-1] == first["_id"]
    coll.delete_one({"_id": new})
    slow, fast = both(lambda: [d["_id"] for d in coll.find({"community": A}).sort([("sort_key", 1)])
                               .limit(2)])
    assert fast == slow and new not in fast
    assert coll.count_documents({"community": A}) == len(list(coll.find({"community": A})))


def test_projection_and_limit_of_one(coll):
    slow, fast = both(lambda: list(coll.find({"community": B}, {"sort_key": 1}).sort([("sort_key", -1)])
                                   .skip(1).limit(1)))
    assert fast == slow and set(fast[0]) == {"_id", "sort_key"}


def test_writes_through_another_connection_are_seen(coll):
    """As from a second process: its writes maintain the index tables the first one reads."""
    other = litemongo.MongoClient(embedded_store.new_server_store(
        str(coll._store._path.parent.parent)))["db"]["things"]
    first = other.insert_one({"community": A, "sort_key": "!first", "status": "current"}).inserted_id
    other.update_many({"community": B}, {"$set": {"status": "moved_out"}})
    assert coll.find({"community": A}).sort([("sort_key", 1)]).limit(1)[0]["_id"] == first
    slow, fast = both(lambda: ([d["_id"] for d in coll.find({"community": A}).sort([("sort_key", 1)])
                               .limit(500)], coll.count_documents({"community": B, "status": "current"})))
    assert fast == slow and fast[1] == 0
    other.database.client.close()


@pytest.mark.parametrize("query", [
    {"when": {"$gte": datetime(2024, 3, 1), "$lt": datetime(2024, 3, 8)}},
    {"community": A, "when": {"$gt": datetime(2024, 2, 1), "$lte": datetime(2024, 4, 1)}},
    {"$or": [{"community": A, "when": {"$gte": datetime(2024, 5, 1), "$lt": datetime(2024, 5, 20)}},
             {"community": B, "when": {"$gte": datetime(2024, 5, 1), "$lt": datetime(2024, 6, 1)}}]},
    {"n": {"$gte": 10, "$lt": 20.5}},
    {"when": {"$lt": datetime(2024, 1, 5)}},
])
def test_a_range_on_dates_or_numbers_narrows_the_candidates_with_the_same_results(coll, monkeypatch, query):
    """A report's period ({"$gte": start, "$lt": end}) reads the documents of the period from the sort
    table, not the whole collection: exactly, or, once values the table cannot order (arrays) are
    on the path, as candidates checked one by one. Projections of top-level fields as before."""
    from litemongo._vendor.mongomock import collection as mm_collection

    exact = embedded_store.exact_plan(coll, query)
    assert exact is not None, "a range over values the sort table orders is exact"
    assert both(lambda: (sorted(doc["_id"] for doc in coll.find(query)), coll.count_documents(query),
                         [doc["_id"] for doc in coll.find(query).sort([("when", -1)]).skip(2).limit(5)]))[0][1] > 0
    slow, fast = both(lambda: (sorted(doc["_id"] for doc in coll.find(query)), coll.count_documents(query),
                               [doc["_id"] for doc in coll.find(query).sort([("when", -1)]).skip(2).limit(5)],
                               list(coll.find(query, {"when": 1, "community": 1}).sort([("_id", 1)]))))
    assert fast == slow
    coll.insert_many([{"community": A, "when": [datetime(2024, 3, 2), datetime(2030, 1, 1)], "n": [15]},
                      {"community": A, "when": "2024-03-02", "n": "15"}, {"community": B},
                      {"community": A, "when": None, "n": None}])
    assert embedded_store.exact_plan(coll, query) is None, "an array on the path: a superset, checked"
    checks = []
    original = mm_collection.filter_applies
    monkeypatch.setattr(mm_collection, "filter_applies",
                        lambda *args, **kw: checks.append(1) or original(*args, **kw))
    slow, fast = both(lambda: (sorted(doc["_id"] for doc in coll.find(query)), coll.count_documents(query)))
    assert fast == slow and slow[1] > 0
    checks.clear()
    list(coll.find(query))
    assert len(checks) < coll.count_documents({}) / 2, "the range narrowed the documents read"

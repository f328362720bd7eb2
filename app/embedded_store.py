"""Index-only query planning for the embedded store (litemongo 0.2.0).

litemongo evaluates every query in Python. Its hash indexes narrow the candidates of an equality
filter, but each candidate is still read from SQLite, decoded and checked, and a sorted page
(`sort().skip().limit()`) or a count looks at every match: a list of the 5,000 archives of one
community costs about half a second per page. `install()` adds three things, used only when
they give exactly the results the normal path gives (anything else takes the normal path):

- `$or` of indexable branches narrows the candidates too (the union of the branches);
- a filter made only of equality / `$in` on indexed fields with string or ObjectId values (and
  `$and` / `$or` of such) is answered from the index alone: counts cost no document read;
- the results of such a query are ordered from values the index keeps for each document (single
  string, ObjectId, number or date fields, or none), and only the documents asked for (the page:
  skip and limit) are read, without checking each against the filter again.

The indexes are the ones declared in each document's `meta`. Tests compare every path with the
normal one (`ENABLED = False`).
"""
import datetime
import math
import threading

from bson import ObjectId

ENABLED = True
EXACT_KINDS = ("s", "o")          # index keys that stand for exactly one value (str, ObjectId)
_installed = False
_lock = threading.Lock()


def install():
    """Patch litemongo's vendored mongomock once per process (a no-op on other versions)."""
    global _installed
    with _lock:
        if _installed:
            return
        import litemongo
        if litemongo.__version__ != "0.2.0":  # the patches follow this version's internals
            _installed = True
            return
        from litemongo._vendor.mongomock import collection, indexing

        _patch_index(indexing)
        _patch_collection(collection)
        _installed = True


# --- per-document sort values kept next to each hash index ---

_NOT_SORTABLE = object()


def _sort_value(doc, path):
    """The value a sort on `path` compares for `doc` (None for missing), or _NOT_SORTABLE."""
    value = doc
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, (list, tuple)):
            return _NOT_SORTABLE      # arrays sort by rules the index does not follow
        else:
            return None               # the path continues through a scalar: no value
        if value is None:
            return None
    if isinstance(value, bool):
        return _NOT_SORTABLE
    if isinstance(value, float) and math.isnan(value):
        return _NOT_SORTABLE
    if isinstance(value, (str, ObjectId, int, float, datetime.datetime)):
        return value
    return _NOT_SORTABLE


def _patch_index(indexing):
    field_index = indexing.FieldIndex
    original_add, original_remove = field_index.add, field_index.remove
    original_candidates = indexing.CollectionIndexes.candidates

    def add(self, store_key, doc):
        original_add(self, store_key, doc)
        sortable = self.__dict__.setdefault("sort_values", {})
        value = _sort_value(doc, self.path)
        if value is _NOT_SORTABLE:
            sortable.pop(store_key, None)
        else:
            sortable[store_key] = value

    def remove(self, store_key):
        original_remove(self, store_key)
        self.__dict__.setdefault("sort_values", {}).pop(store_key, None)

    def candidates(self, filter):  # noqa: A002 - mongomock's name
        found = original_candidates(self, filter)
        if not ENABLED or not isinstance(filter, dict):
            return found
        branches = filter.get("$or")
        if isinstance(branches, (list, tuple)) and branches:
            union = set()
            for branch in branches:
                sub = self.candidates(branch)
                if sub is None:
                    return found
                union |= sub
            found = union if found is None else found & union
        return found

    field_index.add, field_index.remove = add, remove
    indexing.CollectionIndexes.candidates = candidates


# --- exact answers from the index ---

def _exact_condition_keys(condition):
    """Index keys of a condition the index answers exactly, else None."""
    from litemongo._vendor.mongomock import indexing

    if isinstance(condition, dict):
        if len(condition) != 1 or next(iter(condition)) not in ("$eq", "$in"):
            return None
    keys = indexing.query_keys(condition)
    if keys is None or any(key[0] not in EXACT_KINDS for key in keys):
        return None
    return keys


def exact_matches(index, filter):  # noqa: A002
    """Store keys of exactly the documents matching `filter`, or None if the index can't tell."""
    if not isinstance(filter, dict):
        return None
    if not filter:
        return set(index._docs)
    result = None
    for field, condition in filter.items():
        if field in ("$and", "$or"):
            if not isinstance(condition, (list, tuple)) or not condition:
                return None
            parts = [exact_matches(index, sub) for sub in condition]
            if any(part is None for part in parts):
                return None
            found = set.intersection(*parts) if field == "$and" else set.union(*parts)
        else:
            field_index = index._fields.get(field)
            if field.startswith("$") or field_index is None or field_index._unkeyed:
                return None
            keys = _exact_condition_keys(condition)
            if keys is None:
                return None
            found = field_index.candidates(keys)
        result = found if result is None else result & found
    return result


def _plan(collection, filter, sort=False):  # noqa: A002
    """(store, the matching store keys - in result order unless `sort` is False), or None.

    Planned under the store's read lock: writers change the index under its write lock.
    """
    if not ENABLED or not isinstance(filter, dict):
        return None
    store = collection._store
    if not hasattr(store, "_get_query_index"):
        return None
    store._remove_expired_documents()
    index = store._get_query_index()
    with store._rwlock.reader():
        keys = exact_matches(index, filter)
        if keys is None or sort is False:
            return None if keys is None else (store, keys)
        order = _ordered(index, keys, sort)
    return None if order is None else (store, order)


def _ordered(index, keys, sort):
    """Store keys in the order the normal path returns them, or None if the index can't say."""
    order = index.in_natural_order(keys)
    if not sort:
        return order
    items = sort.items() if isinstance(sort, dict) else sort
    for field, direction in reversed(list(items)):
        if field == "$natural":
            if direction < 0:
                order.reverse()
            continue
        field_index = index._fields.get(field)
        values = getattr(field_index, "sort_values", None) if field_index else None
        if values is None or field.startswith("$"):
            return None
        if not values.keys() >= keys:
            return None
        types = set(map(type, map(values.__getitem__, order)))
        has_none = type(None) in types
        types.discard(type(None))
        if len(types) > 1 and not types <= {int, float}:
            return None
        # None (missing) sorts first, as in MongoDB; sorted() is stable, like the normal path
        key = (lambda k: (0, 0) if values[k] is None else (1, values[k])) if has_none \
            else values.__getitem__
        order = sorted(order, key=key, reverse=direction < 0)
    return order


def _patch_collection(collection):
    cursor_class = collection.Cursor
    collection_class = collection.Collection
    original_compute = cursor_class._compute_results
    original_count = collection_class.count_documents
    helpers = collection.helpers
    from litemongo import sqlite_store

    def _compute_results(self, with_limit_and_skip=False):
        if with_limit_and_skip and getattr(self, "_collation", None) is None \
                and not (self._results and self._factory_last_generated_results == self._factory):
            marker = (self._factory, self._skip, self._limit)
            cached = self.__dict__.get("_estate_page")
            if cached is not None and cached[0] == marker:
                return cached[1]
            page = _page(self)
            if page is not None:
                self._estate_page = (marker, page)
                return page
        return original_compute(self, with_limit_and_skip)

    def _page(cursor):
        plan = _plan(cursor.collection, cursor._spec, cursor._sort)
        if plan is None:
            return None
        store, order = plan
        skip = cursor._skip or 0
        chosen = order[skip:skip + abs(cursor._limit)] if cursor._limit else order[skip:]
        docs = list(store._get_many(chosen))
        if cursor._projection is not None or not isinstance(store, sqlite_store.CollectionStore):
            # the SQLite store decodes a new dict per read: only other stores need the copy
            docs = [cursor.collection._copy_only_fields(doc, cursor._projection, dict) for doc in docs]
        if cursor.collection.codec_options.tz_aware:
            docs = [helpers.make_datetime_timezone_aware_in_document(doc) for doc in docs]
        return docs

    def count_documents(self, filter, **kwargs):  # noqa: A002
        if set(kwargs) <= {"skip", "limit", "hint", "maxTimeMS"}:
            limit = kwargs.get("limit")
            skip = kwargs.get("skip") or 0
            valid = limit is None or (isinstance(limit, (int, float)) and limit > 0)
            plan = _plan(self, filter) if valid and isinstance(skip, int) else None
            if plan is not None:
                count = max(len(plan[1]) - skip, 0)
                return count if limit is None else min(count, math.floor(limit))
        return original_count(self, filter, **kwargs)

    cursor_class._compute_results = _compute_results
    collection_class.count_documents = count_documents

"""Counting database queries at the driver level (pymongo, mongomock or litemongo alike).

`count_queries()` wraps, for the duration of a `with` block, the driver's Collection methods that
run a command (count, aggregate, find_one, writes...) and its Cursor's first fetch: `find()` only
builds a cursor (pymongo sends nothing until it is read, and mongoengine builds one it never reads
to count), so a cursor counts once, when first read. Calls a counted method makes inside
(mongomock's find_one reads a find cursor, for instance) count once: only the outermost call of a
thread is a query.
"""
import threading
from collections import Counter
from contextlib import contextmanager
from functools import wraps

METHODS = (
    "find_one", "count_documents", "estimated_document_count", "aggregate", "distinct",
    "find_one_and_update", "find_one_and_replace", "find_one_and_delete",
    "insert_one", "insert_many", "update_one", "update_many", "replace_one",
    "delete_one", "delete_many", "bulk_write",
)
CURSOR_METHODS = ("__next__", "next", "__getitem__", "distinct", "explain")


class QueryLog:
    def __init__(self):
        self.calls = Counter()           # (collection name, method) -> calls

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def by_collection(self) -> Counter:
        result = Counter()
        for (name, _method), n in self.calls.items():
            result[name] += n
        return result

    def summary(self) -> str:
        return ", ".join(f"{name} {n}" for name, n in sorted(self.by_collection().items()))


def driver_classes():
    """The Collection and Cursor classes of the connected driver (pymongo, mongomock, litemongo)."""
    from documents.staff import Staff

    collection = Staff._get_collection()
    return type(collection), type(collection.find({}))  # a cursor not read: no query


@contextmanager
def count_queries():
    collection_class, cursor_class = driver_classes()
    log = QueryLog()
    local = threading.local()
    read = []                                         # cursors already counted (kept alive)
    originals = []

    def counted_call(method, name, label_of):
        @wraps(method)
        def counted(self, *args, **kwargs):
            depth = getattr(local, "depth", 0)
            if depth == 0:
                label = label_of(self, args)
                if label:
                    log.calls[label] += 1
            local.depth = depth + 1
            try:
                return method(self, *args, **kwargs)
            finally:
                local.depth = depth
        return counted

    def patch(cls, names, label_of):
        for name in names:
            method = cls.__dict__.get(name)
            if method is not None:
                originals.append((cls, name, method))
                setattr(cls, name, counted_call(method, name, label_of(name)))

    def collection_label(name):
        return lambda coll, args: (coll.name, name)

    def cursor_label(name):
        def label(cursor, args):
            if name == "__getitem__" and args and isinstance(args[0], slice):
                return None                           # only sets skip/limit
            if any(c is cursor for c in read):
                return None
            read.append(cursor)
            return (cursor.collection.name, "find")
        return label

    patch(collection_class, METHODS, collection_label)
    patch(cursor_class, CURSOR_METHODS, cursor_label)
    try:
        yield log
    finally:
        for cls, name, method in reversed(originals):
            setattr(cls, name, method)

"""Counting database queries at the driver level (pymongo, mongomock or litemongo alike).

`count_queries(collection_class)` wraps the query and write methods of the driver's Collection
class for the duration of a `with` block. Calls a method makes on itself (mongomock's find_one
calls find, for instance) count once: only the outermost call of a thread is a query.
"""
import threading
from collections import Counter
from contextlib import contextmanager
from functools import wraps

METHODS = (
    "find", "find_one", "count_documents", "estimated_document_count", "aggregate", "distinct",
    "find_one_and_update", "find_one_and_replace", "find_one_and_delete",
    "insert_one", "insert_many", "update_one", "update_many", "replace_one",
    "delete_one", "delete_many", "bulk_write",
)


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


def collection_class():
    """The Collection class of the connected driver (pymongo, mongomock or litemongo's)."""
    from documents.staff import Staff

    return type(Staff._get_collection())


@contextmanager
def count_queries(cls=None):
    cls = cls or collection_class()
    log = QueryLog()
    local = threading.local()
    originals = {}

    def wrap(name, method):
        @wraps(method)
        def counted(self, *args, **kwargs):
            depth = getattr(local, "depth", 0)
            if depth == 0:
                log.calls[(self.name, name)] += 1
            local.depth = depth + 1
            try:
                return method(self, *args, **kwargs)
            finally:
                local.depth = depth
        return counted

    for name in METHODS:
        method = cls.__dict__.get(name)
        if method is not None:
            originals[name] = method
            setattr(cls, name, wrap(name, method))
    try:
        yield log
    finally:
        for name, method in originals.items():
            setattr(cls, name, method)

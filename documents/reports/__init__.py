"""The reports a manager reads (issue 13): figures computed from the registers, never stored.

Every report reads one period (`period.Period`) of one or more communities with plain range and
equality queries (no aggregation pipeline: the same code runs on MongoDB, the embedded store and
mongomock) and counts in Python, reading only the fields it needs.
"""


def plain_rows(query, *fields):
    """The raw rows of `query` with only `fields`, in the store's own order: the model's default
    ordering is dropped (every store would otherwise sort the whole match before the first row; on
    the embedded store that sort alone cost a month's analysis half its time). Counting needs no order."""
    return query.order_by().only(*fields).as_pymongo()

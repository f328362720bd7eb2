"""The reports a manager reads (issue 13): figures computed from the registers, never stored.

Every report reads one period (`period.Period`) of one or more communities with plain range and
equality queries (no aggregation pipeline: the same code runs on MongoDB, the embedded store and
mongomock) and counts in Python, reading only the fields it needs.
"""

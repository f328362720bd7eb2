"""The embedded store: litemongo's files and query language, with its indexes on disk.

What was chosen, and why
------------------------
litemongo 0.2.0 is two layers: a vendored mongomock (``litemongo._vendor.mongomock``: the query
language, update operators, projections, GridFS support - the same code as the mongomock the test
suite runs on) over a store that keeps each collection in one SQLite file (table ``documents``:
encoded ``_id`` → BSON, natural order = ROWID; table ``indexes``: the declared indexes). Its
query planning, though, is an in-memory hash index per indexed field, built by reading the whole
collection on the first query of a process, and rebuilt whenever another connection changed the
file (``PRAGMA data_version``). That made the cold start (8 s at 50,000 work orders, 29 s at
326,000 audit entries), the memory (≈12 KB per repair) and the second-process write (a full
rebuild) of issue 16. It also shares one connection and one cursor per collection between
threads, which is why the server had to take one request at a time.

We keep the upper layer - every query is answered by the very mongomock code that answers it
in the tests, which is what keeps results equal - and replace the lower one, in this module:

- **Indexes on disk, in the collection's own SQLite file**, maintained in the same transaction as
  the document write (so a ``kill -9`` leaves both or neither). For every indexed path (each field
  of a declared index, and ``_id``) two tables: ``ix_N(k, rid)`` - the hash keys litemongo's
  planner uses (``indexing._doc_keys``, every element of an array, ``'!'`` for a value it cannot
  key) → the document's ROWID - and ``sv_N(rid, t, v)`` - the value a sort on that path compares
  (type letter and an SQLite value that orders like the BSON value within its type). Nothing is
  held in memory, so a start reads nothing and another process's write costs nothing but the
  rows it wrote.
- **Planning in SQL** (``Planner``): equality / ``$in`` conditions on indexed paths, combined by
  ``$and`` / ``$or``, become index lookups, read from the most selective one and checked against
  the others by primary-key probes (``UNION`` for ``$or``). When they are exact (string or
  ObjectId keys, no unkeyed value on the path) counts are ``count(*)`` and a sorted page is
  ``ORDER BY t, v … , rid LIMIT/OFFSET`` on the sort tables (or, over many matches, a walk of
  the first rows of the sort index probing each one, given up for the sort when the matches are rare there): only the page's documents are read and decoded. Otherwise the lookups narrow the candidates (a superset) and mongomock checks each
  one as before; without usable conditions it reads the collection in natural order, like litemongo.
- **A connection per thread** (WAL, ``synchronous=NORMAL``): readers run side by side, and every
  mongomock write operation (insert, update, delete, find-and-modify, index creation) runs inside
  one ``BEGIN IMMEDIATE`` transaction on the thread's connection, so a conditional update reads
  and writes under SQLite's write lock: safe against other threads and other processes alike.
  ``app.database`` therefore no longer serialises requests.

A store of our own implementing the pymongo subset was the other option; it would have had to
re-implement the query and update language that mongomock already has (and that our tests
compare against), for no gain in speed: the time goes into SQLite lookups and BSON decoding in
both designs; measured at five years of an office (``bench/store.py``), the store now takes a
tenth or less of a page's time, the rest being the application's. Stores written by litemongo
or by an earlier release open as they are: the index tables are built once, the first time a
declared path lacks one (a long first start after the upgrade of a large store). Write the
store only through this module (``app.database``): plain litemongo would not maintain the
index tables; ``check()`` reports any entry that does not match its document.

Rows are linked by the documents' ROWID (``documents`` has no ``INTEGER PRIMARY KEY``): never
``VACUUM`` a collection file, which may renumber ROWIDs; ``flask backup`` copies pages and keeps them.
"""
import contextlib
import datetime
import functools
import math
import sqlite3
import threading
import weakref

import bson
from bson import ObjectId

ENABLED = True                     # False: the exact paths are off (tests compare both)
UNKEYED = "!"                      # index key of a value the hash keys cannot stand for
EXACT_KINDS = ("s", "o")           # index keys that stand for exactly one value (str, ObjectId)
SORT_TYPES = "dnos"                # sortable type letters: datetime, number, ObjectId, string
WALK_INDEX_ABOVE = 2000            # matches above which a page walks the sort index...
WALK_PAGE_END = 2000               # ...when the page ends before this row...
WALK_BUDGET = 4000                 # ...and lies within this many rows of the index
_MAX_PARAMS = 500
_installed = False
_install_lock = threading.Lock()
_EPOCH = datetime.datetime(1970, 1, 1)


# --- index keys and sort values ---

def _sql_key(key):
    """litemongo's hash key (a tuple) as one SQLite value; distinct keys stay distinct."""
    kind = key[0]
    if kind == "o":
        return "o" + str(key[1])
    if kind == "s":
        return "s" + key[1]
    if kind == "t":
        return "t" + key[1].isoformat()
    if kind == "x":
        return "x" + key[1].hex()
    return kind + ":" + "|".join(map(repr, key[1:]))


def doc_keys(doc, path):
    """SQLite keys of `doc` at `path` ([UNKEYED] when litemongo could not key it)."""
    from litemongo._vendor.mongomock import indexing

    keys = indexing._doc_keys(doc, path)
    return [UNKEYED] if keys is None else [_sql_key(key) for key in keys]


def sort_value(doc, path):
    """(type letter, SQLite value) a sort on `path` compares: 'N' None or missing, 'X' unsortable."""
    value = doc
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, (list, tuple)):
            return "X", None          # arrays sort by rules the sort table does not follow
        else:
            return "N", None          # the path continues through a scalar: no value
        if value is None:
            return "N", None
    return _typed(value)


def _typed(value):  # noqa: PLR0911 - one return per type
    if isinstance(value, bool) or isinstance(value, (list, tuple, dict)):
        return "X", None
    if isinstance(value, str):
        return "s", value
    if isinstance(value, ObjectId):
        return "o", value.binary
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        delta = value - _EPOCH
        return "d", (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(value, int):
        return ("n", value) if -(2 ** 63) <= value < 2 ** 63 else ("X", None)
    if isinstance(value, float):
        return ("X", None) if math.isnan(value) else ("n", value)
    return "X", None


# --- the store: litemongo's files, indexes in SQLite, a connection per thread ---

@functools.cache
def _store_classes():
    """Build the store classes (litemongo is imported only when the embedded store is used)."""
    from litemongo import sqlite_store
    from litemongo._vendor.mongomock import indexing
    from litemongo._vendor.mongomock import store as mm_store

    class CollectionStore(mm_store.CollectionStore):
        def __init__(self, path, codec_options=None):  # noqa: D107 - no super(): no in-memory dict
            self._path = path.absolute()
            self._codec_options = codec_options or bson.DEFAULT_CODEC_OPTIONS
            self._local = threading.local()
            self._all = weakref.WeakSet()          # every thread's connection, closed by close()
            self._rwlock = _NoLock()
            self._ttl_indexes = {}
            self.name = path.name
            with self.write() as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS info(key PRIMARY KEY, value)")
                conn.execute("CREATE TABLE IF NOT EXISTS documents(_id PRIMARY KEY, doc)")
                conn.execute("CREATE TABLE IF NOT EXISTS indexes(_id PRIMARY KEY, doc)")
                conn.execute("CREATE TABLE IF NOT EXISTS ix_paths(path TEXT PRIMARY KEY, "
                             "n INTEGER UNIQUE)")
                row = conn.execute("SELECT value FROM info WHERE key='key_format'").fetchone()
                if row is None:
                    has_data = conn.execute("SELECT 1 FROM documents LIMIT 1").fetchone()
                    fmt = sqlite_store.KEY_FORMAT_LEGACY if has_data else sqlite_store.KEY_FORMAT_TYPED
                    conn.execute("INSERT INTO info VALUES ('key_format', ?)", (fmt,))
                else:
                    fmt = row[0]
            self._encode = (sqlite_store._encode_key_legacy if fmt == sqlite_store.KEY_FORMAT_LEGACY
                            else sqlite_store._encode_key_typed)

        # connections and transactions

        def conn(self):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = sqlite3.connect(str(self._path), timeout=60, isolation_level=None,
                                       check_same_thread=False, factory=_Connection)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA cache_size=-2000")   # 2 MB a connection (SQLite's default)
                self._local.conn = conn
                self._local.depth = 0
                self._all.add(conn)
            return conn

        @contextlib.contextmanager
        def write(self):
            """One write transaction per outermost call (reentrant within a thread)."""
            conn = self.conn()
            if self._local.depth:
                self._local.depth += 1
                try:
                    yield conn
                finally:
                    self._local.depth -= 1
                return
            conn.execute("BEGIN IMMEDIATE")
            self._local.depth = 1
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")
            finally:
                self._local.depth = 0
                self._local.meta = None          # our own commits don't change data_version

        def close(self):
            for conn in list(self._all):
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all = weakref.WeakSet()
            self._local = threading.local()

        def _meta(self):
            """(declared index specs, {indexed path: table number}) as this thread last read them."""
            conn = self.conn()
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            meta = getattr(self._local, "meta", None)
            if meta is None or meta[0] != version or self._local.depth:
                specs = {}
                for name, blob in conn.execute("SELECT _id, doc FROM indexes ORDER BY ROWID"):
                    spec = bson.decode(blob, codec_options=self._codec_options)
                    spec["key"] = list(map(tuple, spec["key"]))
                    specs[name] = spec
                paths = dict(conn.execute("SELECT path, n FROM ix_paths"))
                meta = (version, specs, paths, indexing.index_paths(specs.values()))
                self._local.meta = meta
            return meta[1], meta[2]

        # declared indexes (mongomock reads self.indexes)

        @property
        def indexes(self):
            return self._meta()[0]

        @indexes.setter
        def indexes(self, value):               # Collection.drop_indexes() assigns {}
            with self.write() as conn:
                conn.execute("DELETE FROM indexes")
                for name, spec in dict(value).items():
                    conn.execute("INSERT INTO indexes VALUES (?, ?)", (name, bson.encode(spec)))

        def create_index(self, index_name, index_dict):
            with self.write() as conn:
                conn.execute("INSERT INTO indexes VALUES (?, ?) ON CONFLICT(_id) DO UPDATE SET "
                             "doc=excluded.doc", (str(index_name), bson.encode(index_dict)))
                self._build_missing()

        def drop_index(self, index_name):
            with self.write() as conn:
                if not conn.execute("DELETE FROM indexes WHERE _id=?", (str(index_name),)).rowcount:
                    raise KeyError(index_name)

        def _build_missing(self):
            """Index tables for every declared path that has none yet (inside a write)."""
            conn = self.conn()
            specs, paths = self._meta()
            wanted = (indexing.index_paths(specs.values()) | {"_id"}) - set(paths)
            for path in sorted(wanted):
                n = conn.execute("SELECT coalesce(max(n), 0) + 1 FROM ix_paths").fetchone()[0]
                conn.execute(f"CREATE TABLE ix_{n}(k NOT NULL, rid INTEGER NOT NULL, "
                             f"PRIMARY KEY (k, rid)) WITHOUT ROWID")
                conn.execute(f"CREATE INDEX ix_{n}_rid ON ix_{n}(rid)")
                conn.execute(f"CREATE TABLE sv_{n}(rid INTEGER PRIMARY KEY, t TEXT NOT NULL, v)")
                conn.execute(f"CREATE INDEX sv_{n}_tv ON sv_{n}(t, v)")
                conn.execute("INSERT INTO ix_paths VALUES (?, ?)", (path, n))
                last = 0
                while True:   # in chunks: a migration of a large store must not hold it all
                    rows = conn.execute("SELECT rowid, doc FROM documents WHERE rowid > ? "
                                        "ORDER BY rowid LIMIT 2000", (last,)).fetchall()
                    if not rows:
                        break
                    last = rows[-1][0]
                    self._index_rows(conn, {path: n}, [(rid, self._decode(b)) for rid, b in rows])
                self._local.meta = None
            return self._meta()[1]

        def paths(self):
            """{indexed path: table number}; builds the missing tables of declared paths."""
            paths = self._meta()[1]
            if "_id" not in paths or not self._local.meta[3] <= paths.keys():
                with self.write():
                    paths = self._build_missing()
            return paths

        # documents

        def _decode(self, blob):
            return bson.decode(blob, codec_options=self._codec_options)

        def _index_rows(self, conn, paths, items):
            for path, n in paths.items():
                conn.executemany(f"INSERT OR IGNORE INTO ix_{n} VALUES (?, ?)",
                                 [(k, rid) for rid, doc in items for k in doc_keys(doc, path)])
                conn.executemany(f"INSERT OR REPLACE INTO sv_{n} VALUES (?, ?, ?)",
                                 [(rid, *sort_value(doc, path)) for rid, doc in items])

        def _unindex(self, conn, paths, rid):
            for n in paths.values():
                conn.execute(f"DELETE FROM ix_{n} WHERE rid=?", (rid,))
                conn.execute(f"DELETE FROM sv_{n} WHERE rid=?", (rid,))

        def __setitem__(self, key, doc):
            blob = bson.encode(doc, codec_options=self._codec_options)
            with self.write() as conn:
                paths = self.paths()
                encoded = self._encode(key)
                row = conn.execute("SELECT rowid FROM documents WHERE _id=?", (encoded,)).fetchone()
                if row is None:
                    rid = conn.execute("INSERT INTO documents VALUES (?, ?)", (encoded, blob)).lastrowid
                else:
                    rid = row[0]
                    conn.execute("UPDATE documents SET doc=? WHERE rowid=?", (blob, rid))
                    self._unindex(conn, paths, rid)
                self._index_rows(conn, paths, [(rid, doc)])

        def load_many(self, docs):
            """Insert new documents in one transaction without the query layer's checks (bench, tools)."""
            with self.write() as conn:
                paths = self.paths()
                items = []
                for doc in docs:
                    doc.setdefault("_id", ObjectId())
                    blob = bson.encode(doc, codec_options=self._codec_options)
                    rid = conn.execute("INSERT INTO documents VALUES (?, ?)",
                                       (self._encode(doc["_id"]), blob)).lastrowid
                    items.append((rid, doc))
                self._index_rows(conn, paths, items)

        def __delitem__(self, key):
            with self.write() as conn:
                row = conn.execute("SELECT rowid FROM documents WHERE _id=?",
                                   (self._encode(key),)).fetchone()
                if row is None:
                    raise KeyError(key)
                conn.execute("DELETE FROM documents WHERE rowid=?", row)
                self._unindex(conn, self.paths(), row[0])

        def __getitem__(self, key):
            row = self.conn().execute("SELECT doc FROM documents WHERE _id=?",
                                      (self._encode(key),)).fetchone()
            if row is None:
                raise KeyError(key)
            return self._decode(row[0])

        def __contains__(self, key):
            return self.conn().execute("SELECT 1 FROM documents WHERE _id=?",
                                       (self._encode(key),)).fetchone() is not None

        def __len__(self):
            return self.conn().execute("SELECT count(*) FROM documents").fetchone()[0]

        @property
        def is_empty(self):
            return self.conn().execute("SELECT 1 FROM documents LIMIT 1").fetchone() is None

        @property
        def is_created(self):
            return bool(not self.is_empty or self.indexes or self.conn().execute(
                "SELECT 1 FROM info WHERE key='force_created' AND value").fetchone())

        def create(self):
            with self.write() as conn:
                conn.execute("INSERT OR REPLACE INTO info VALUES ('force_created', 1)")

        @property
        def documents(self):
            yield from self._stream("SELECT doc FROM documents ORDER BY rowid", ())

        def _stream(self, sql, params):
            cursor = self.conn().execute(sql, params)
            try:
                for (blob,) in cursor:
                    yield self._decode(blob)
            finally:
                cursor.close()

        def drop(self):
            with self.write() as conn:
                for n in self._meta()[1].values():
                    conn.execute(f"DROP TABLE IF EXISTS ix_{n}")
                    conn.execute(f"DROP TABLE IF EXISTS sv_{n}")
                for table in ("documents", "indexes", "ix_paths"):
                    conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
                conn.execute("DELETE FROM info WHERE key != 'key_format'")

        def copy_from(self, source):
            self.drop()
            with self.write():
                self.indexes = source.indexes
                self.load_many(list(source.documents))

        # query planning (used by the patched mongomock layer below)

        def get_rows(self, rids):
            """Documents of these ROWIDs, in the order given (missing ones skipped)."""
            conn = self.conn()
            for start in range(0, len(rids), _MAX_PARAMS):
                chunk = rids[start:start + _MAX_PARAMS]
                marks = ",".join("?" * len(chunk))
                found = dict(conn.execute(f"SELECT rowid, doc FROM documents WHERE rowid IN ({marks})",
                                          chunk).fetchall())
                for rid in chunk:
                    if rid in found:
                        yield self._decode(found[rid])

        def find_candidates(self, filter):  # noqa: A002 - mongomock's name
            plan = Planner(self).candidates(filter)
            if plan is None:
                return self.documents
            sql, params = plan
            return self._stream(f"SELECT doc FROM documents WHERE rowid IN ({sql}) ORDER BY rowid",
                                params)

    class DatabaseStore(sqlite_store.DatabaseStore):
        def __init__(self, path, codec_options=None):
            super().__init__(path, codec_options)
            self._lock = threading.Lock()

        def __getitem__(self, col_name):
            store = self._collections.get(col_name)
            if store is None:
                with self._lock:
                    store = self._collections.get(col_name)
                    if store is None:
                        store = CollectionStore(self._dirpath / col_name, self._codec_options)
                        self._collections[col_name] = store
            return store

        def rename(self, name, new_name):
            self[new_name].copy_from(self[name])
            self[name].drop()

    class ServerStore(sqlite_store.ServerStore):
        def __init__(self, dirpath=""):
            super().__init__(dirpath)
            self._lock = threading.Lock()

        def __getitem__(self, db_name):
            with self._lock:
                if db_name not in self._databases:
                    self._databases[db_name] = DatabaseStore(self._dirpath / db_name)
                return self._databases[db_name]

    return ServerStore, CollectionStore


class _Connection(sqlite3.Connection):
    """A connection that close() can find through a weak reference (gone with its thread)."""


class _NoLock:
    """mongomock's RWLock is for its in-memory dicts; SQLite isolates our reads and writes."""

    @contextlib.contextmanager
    def reader(self):
        yield

    writer = reader


_UNPLANNABLE = object()


class Planner:
    """SQL over a collection's index tables for the filter shapes they answer.

    A filter becomes a tree of nodes: ``("leaf", n, keys)`` (the documents with one of these keys
    in ``ix_n``), ``("range", n, type, bounds)`` (the documents whose sort value
    in ``sv_n`` lies within the bounds of a range on dates or numbers - a report's period - and those
    whose value it cannot order, exact when there are none), ``("and", nodes)``, ``("or", nodes)``, ``("all",)``. Its rows are read from the
    most selective part (``drive``), the other parts being checked per row by primary-key probes
    (``member``): an audit history of one record reads that record's entries, not every entry of
    its collection. A sorted page over many matches walks the sort index and probes each row.
    """

    ESTIMATE_CAP = 5000
    RECOUNT_FACTOR = 40           # parts tied at the cap are counted up to 200,000

    def __init__(self, store):
        self.store = store
        self.paths = store.paths()
        self.conn = store.conn()
        self._unkeyed = {}
        self._estimates = {}

    def has_unorderable(self, n):
        """Does a document hold a value on this path the sort table cannot order (an array)?"""
        key = ("X", n)
        if key not in self._unkeyed:
            self._unkeyed[key] = self.conn.execute(
                f"SELECT 1 FROM sv_{n} WHERE t = 'X' LIMIT 1").fetchone() is not None
        return self._unkeyed[key]

    def has_unkeyed(self, n):
        if n not in self._unkeyed:
            self._unkeyed[n] = self.conn.execute(
                f"SELECT 1 FROM ix_{n} WHERE k=? LIMIT 1", (UNKEYED,)).fetchone() is not None
        return self._unkeyed[n]

    def _leaf(self, field, condition, exact):
        """The leaf node of one field's condition (None: not plannable)."""
        from litemongo._vendor.mongomock import indexing

        n = self.paths.get(field)
        if n is None or field.startswith("$"):
            return None
        bounds = self._range(condition)
        if bounds is not None:
            # exact when the sort table orders every value on the path (no arrays: 'X')
            return ("range", n) + bounds if not exact or not self.has_unorderable(n) else None
        if exact and isinstance(condition, dict) and (
                len(condition) != 1 or next(iter(condition)) not in ("$eq", "$in")):
            return None
        keys = indexing.query_keys(condition)
        if keys is None:
            return None
        if exact and (any(key[0] not in EXACT_KINDS for key in keys) or self.has_unkeyed(n)):
            return None
        values = sorted({_sql_key(key) for key in keys})
        if not exact:
            values.append(UNKEYED)
        return ("leaf", n, tuple(values))

    RANGE_OPS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
    RANGE_TYPES = ("d", "n")      # datetimes, numbers: their sort values order as the store compares them

    def _range(self, condition):
        """(type letter, ((sql operator, sort value), ...)) of a range on dates or numbers - a
        period's `{"$gte": start, "$lt": end}` - else None. The rows come from the sort table, those
        whose value it cannot order ('X': arrays) included: exact when there are none (a range
        matches values of its own type only, as MongoDB compares), else a superset."""
        if not isinstance(condition, dict) or not condition or any(op not in self.RANGE_OPS for op in condition):
            return None
        typed = [(self.RANGE_OPS[op], _typed(value)) for op, value in condition.items()]
        kinds = {kind for _op, (kind, _value) in typed}
        if len(kinds) != 1 or next(iter(kinds)) not in self.RANGE_TYPES:
            return None
        return next(iter(kinds)), tuple(sorted((op, value) for op, (_kind, value) in typed))

    def _range_test(self, node):
        """(sql condition on a row of sv_n, params) of a range node."""
        _, _n, kind, clauses = node
        test = " AND ".join(f"v {op} ?" for op, _value in clauses)
        return f"((t = ? AND {test}) OR t = 'X')", [kind] + [value for _op, value in clauses]

    def plan(self, filter, exact):  # noqa: A002 - mongomock's name
        """The node selecting the matches - exactly them when `exact`, else a superset - or None."""
        if not isinstance(filter, dict):
            return None
        parts = []
        for field, condition in filter.items():
            if field in ("$and", "$or"):
                part = self._logical(field, condition, exact)
            else:
                part = self._leaf(field, condition, exact)
            if part is _UNPLANNABLE:
                return None
            if part is None:
                if exact:
                    return None
                continue                      # a superset may leave a condition out
            parts.append(part)
        if not parts:
            return ("all",) if exact and not filter else None
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))

    def _logical(self, field, condition, exact):
        """The node of an $and / $or (None: it narrows nothing)."""
        if not isinstance(condition, (list, tuple)) or not condition:
            return _UNPLANNABLE
        subs = [self.plan(sub, exact) for sub in condition]
        if any(sub is None for sub in subs):
            if exact or field == "$or":
                return None
            subs = [sub for sub in subs if sub is not None]   # $and: the parts that narrow
            if not subs:
                return None
        return subs[0] if len(subs) == 1 else (field[1:], tuple(subs))

    def candidates(self, filter):  # noqa: A002
        if not isinstance(filter, dict) or not filter:
            return None
        node = self.plan(filter, exact=False)
        return None if node is None else self.rows(node)

    # SQL of a node

    def estimate(self, node, cap=None):
        """How many rows a node selects, counted up to `cap` (ESTIMATE_CAP)."""
        cap = cap or self.ESTIMATE_CAP
        kind = node[0]
        if kind == "all":
            return math.inf
        if kind == "and":
            return min(self.estimate(sub, cap) for sub in node[1])
        if kind == "or":
            return sum(self.estimate(sub, cap) for sub in node[1])
        if kind == "range" and (node, cap) not in self._estimates:
            sql, params = self.rows(node)
            self._estimates[node, cap] = self.conn.execute(
                f"SELECT count(*) FROM ({sql} LIMIT ?)", (*params, cap)).fetchone()[0]
        if (node, cap) not in self._estimates:
            _, n, values = node
            marks = ",".join("?" * len(values))
            self._estimates[node, cap] = self.conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM ix_{n} WHERE k IN ({marks}) LIMIT ?)",
                (*values, cap)).fetchone()[0] if values else 0
        return self._estimates[node, cap]

    def most_selective_first(self, nodes):
        """The parts of an "and", the fewest rows first; parts that all reach the cap are counted
        further (the open work orders of a community: 5,000 of its 50,000, both over the cap)."""
        nodes = sorted(nodes, key=self.estimate)
        if len(nodes) > 1 and self.estimate(nodes[0]) >= self.ESTIMATE_CAP:
            recount = self.ESTIMATE_CAP * self.RECOUNT_FACTOR
            nodes = sorted(nodes, key=lambda sub: self.estimate(sub, recount))
        return nodes

    def rows(self, node):
        """(sql, params) selecting the distinct ROWIDs of a node."""
        kind = node[0]
        if kind == "all":
            return f"SELECT rid FROM sv_{self.paths['_id']}", []
        if kind == "range":
            n, (kind_, clauses) = node[1], node[2:]
            test = " AND ".join(f"v {op} ?" for op, _value in clauses)
            return (f"SELECT rid FROM sv_{n} WHERE t = ? AND {test} UNION ALL SELECT rid FROM sv_{n} WHERE t = 'X'",
                    [kind_] + [value for _op, value in clauses])
        if kind == "leaf":
            _, n, values = node
            if not values:
                return f"SELECT rid FROM ix_{n} WHERE 0", []
            marks = ",".join("?" * len(values))
            distinct = "DISTINCT " if len(values) > 1 else ""
            return f"SELECT {distinct}rid FROM ix_{n} WHERE k IN ({marks})", list(values)
        if kind == "or":
            parts = [self.rows(sub) for sub in node[1]]
            return (" UNION ".join(f"SELECT rid FROM ({sql})" for sql, _ in parts),
                    [p for _, params in parts for p in params])
        subs = self.most_selective_first(node[1])
        sql, params = self.rows(subs[0])
        tests = [self.member(sub, "d.rid") for sub in subs[1:]]
        where = " AND ".join(test for test, _ in tests)
        return (f"SELECT d.rid AS rid FROM ({sql}) d WHERE {where}",
                params + [p for _, ps in tests for p in ps])

    def member(self, node, rid):
        """(sql, params): a condition true when the row `rid` is selected by the node."""
        kind = node[0]
        if kind == "all":
            return "1", []
        if kind == "range":
            test, params = self._range_test(node)
            return f"EXISTS (SELECT 1 FROM sv_{node[1]} WHERE rid = {rid} AND {test})", params
        if kind == "leaf":
            _, n, values = node
            if not values:
                return "0", []
            marks = ",".join("?" * len(values))
            return f"EXISTS (SELECT 1 FROM ix_{n} WHERE k IN ({marks}) AND rid = {rid})", list(values)
        tests = [self.member(sub, rid) for sub in node[1]]
        glue = " AND " if kind == "and" else " OR "
        return "(" + glue.join(test for test, _ in tests) + ")", [p for _, ps in tests for p in ps]

    def count(self, node):
        sql, params = self.rows(node)
        return self.conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]

    def ordered(self, node, sort, skip, limit):
        """ROWIDs of the page in the order the normal path gives, or None if the tables can't say."""
        sql, params = self.rows(node)
        items = list(sort.items() if isinstance(sort, dict) else sort) if sort else []
        window = " LIMIT ? OFFSET ?"
        paging = [limit if limit else -1, skip]
        if not items or items == [("$natural", 1)]:
            return self._rids(f"SELECT rid FROM ({sql}) ORDER BY rid{window}", params + paging)
        if items == [("$natural", -1)]:
            return self._rids(f"SELECT rid FROM ({sql}) ORDER BY rid DESC{window}", params + paging)
        tables, order = [], []
        for i, (field, direction) in enumerate(items):
            n = self.paths.get(field)
            if n is None or field.startswith("$") or direction not in (1, -1):
                return None
            if not self._one_type(n, sql, params):
                return None
            way = "DESC" if direction < 0 else "ASC"
            tables.append(f"JOIN sv_{n} s{i} ON s{i}.rid = c.rid")
            order += [f"s{i}.t {way}", f"s{i}.v {way}"]
        order.append("c.rid ASC")
        if len(items) == 1 and limit and skip + limit <= WALK_PAGE_END \
                and self.estimate(node) > WALK_INDEX_ABOVE:
            # many matches, a page near the start: walk the sort index, probe each row
            n = self.paths[items[0][0]]
            way = "DESC" if items[0][1] < 0 else "ASC"
            test, test_params = self.member(node, "s.rid")
            rids = self._rids(f"SELECT s.rid FROM (SELECT rid, t, v FROM sv_{n} INDEXED BY sv_{n}_tv "
                              f"ORDER BY t {way}, v {way}, rid ASC LIMIT ?) s WHERE {test} "
                              f"ORDER BY s.t {way}, s.v {way}, s.rid ASC{window}",
                              [WALK_BUDGET] + test_params + paging)
            if len(rids) == limit:
                return rids
            # the matches are rare at this end of the index (open records among years of closed
            # ones, sorted by deadline): sorting the matches themselves is cheaper than walking on
        return self._rids(f"SELECT c.rid FROM ({sql}) c {' '.join(tables)} ORDER BY "
                          f"{', '.join(order)}{window}", params + paging)

    def _one_type(self, n, sql, params):
        """True when the values on this path are of at most one sortable type (and None)."""
        found, last = [], ""
        while True:
            row = self.conn.execute(f"SELECT min(t) FROM sv_{n} WHERE t > ?", (last,)).fetchone()
            if row[0] is None:
                break
            last = row[0]
            found.append(last)
        types = set(found) - {"N"}
        if "X" not in types and len(types) <= 1:
            return True
        types = {t for (t,) in self.conn.execute(
            f"SELECT DISTINCT t FROM sv_{n} WHERE rid IN ({sql})", params)} - {"N"}
        return "X" not in types and len(types) <= 1

    def _rids(self, sql, params):
        return [rid for (rid,) in self.conn.execute(sql, params)]


def exact_plan(collection, filter):  # noqa: A002
    """(store, planner, plan) when the index tables answer `filter` exactly, else None."""
    if not ENABLED or not isinstance(filter, dict):
        return None
    store = collection._store
    if not hasattr(store, "paths"):
        return None
    planner = Planner(store)
    node = planner.plan(filter, exact=True)
    return None if node is None else (store, planner, node)


# --- the mongomock layer: writes in one transaction, exact counts and pages ---

def install():
    """Patch litemongo's vendored mongomock once per process."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from litemongo._vendor.mongomock import collection

        _patch_writes(collection.Collection)
        _patch_reads(collection)
        _installed = True


def new_server_store(path):
    """The ServerStore for a directory (what ``litemongo.MongoClient`` takes)."""
    install()
    return _store_classes()[0](path)


def _in_transaction(method):
    def wrapped(self, *args, **kwargs):
        store = self._store
        if not hasattr(store, "write"):
            return method(self, *args, **kwargs)
        with store.write():
            return method(self, *args, **kwargs)

    wrapped.__wrapped__ = method
    wrapped.__name__ = method.__name__
    return wrapped


def _patch_writes(collection_class):
    for name in ("_insert", "_update", "_delete", "_find_and_modify", "create_index", "drop"):
        setattr(collection_class, name, _in_transaction(getattr(collection_class, name)))
    original_create_index = collection_class.create_index

    def create_index(self, keys, cache_for=300, session=None, **kwargs):
        # the same index again (each process declares its indexes): no scan for duplicates
        from litemongo._vendor.mongomock import helpers

        name = kwargs.get("name") or helpers.gen_index_name(helpers.create_index_list(keys))
        existing = self._store.indexes.get(name)
        if existing is not None and existing.get("unique") == bool(kwargs.get("unique")) \
                and existing["key"] == helpers.create_index_list(keys) \
                and existing.get("sparse", False) == bool(kwargs.get("sparse")) \
                and existing.get("partialFilterExpression") == kwargs.get("partialFilterExpression") \
                and existing.get("expireAfterSeconds") == kwargs.get("expireAfterSeconds"):
            return name
        return original_create_index(self, keys, cache_for=cache_for, session=session, **kwargs)

    collection_class.create_index = create_index


def _patch_reads(collection):
    cursor_class = collection.Cursor
    collection_class = collection.Collection
    original_compute = cursor_class._compute_results
    original_count = collection_class.count_documents
    helpers = collection.helpers

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
        found = exact_plan(cursor.collection, cursor._spec)
        if found is None:
            return None
        store, planner, plan = found
        rids = planner.ordered(plan, cursor._sort, cursor._skip or 0, abs(cursor._limit or 0))
        if rids is None:
            return None
        docs = list(store.get_rows(rids))
        if cursor._projection is not None:
            docs = [cursor.collection._copy_only_fields(doc, cursor._projection, dict) for doc in docs]
        if cursor.collection.codec_options.tz_aware:
            docs = [helpers.make_datetime_timezone_aware_in_document(doc) for doc in docs]
        return docs

    original_copy_only_fields = collection_class._copy_only_fields

    def _copy_only_fields(self, doc, fields, container):
        """A projection of top-level fields (`.only(...)`) takes them from the document as decoded
        for this read (nothing else holds it, so nothing needs copying); any other shape as before."""
        if container is dict and isinstance(fields, dict) and fields and not any(
                "." in name or name.startswith("$") for name in fields) and all(
                value in (1, True) for name, value in fields.items() if name != "_id") \
                and fields.get("_id", 1) in (0, 1, True, False) and len(fields) > ("_id" in fields):
            names = ("_id",) * (fields.get("_id", 1) in (1, True)) + tuple(name for name in fields if name != "_id")
            return {name: doc[name] for name in names if name in doc}
        return original_copy_only_fields(self, doc, fields, container)

    collection_class._copy_only_fields = _copy_only_fields

    def count_documents(self, filter, **kwargs):  # noqa: A002
        if set(kwargs) <= {"skip", "limit", "hint", "maxTimeMS"}:
            limit = kwargs.get("limit")
            skip = kwargs.get("skip") or 0
            valid = limit is None or (isinstance(limit, (int, float)) and limit > 0)
            found = exact_plan(self, filter) if valid and isinstance(skip, int) else None
            if found is not None:
                count = max(found[1].count(found[2]) - skip, 0)
                return count if limit is None else min(count, math.floor(limit))
        return original_count(self, filter, **kwargs)

    cursor_class._compute_results = _compute_results
    collection_class.count_documents = count_documents


# --- consistency check, backup and restore (the files of a store directory) ---

_SIDECARS = ("-wal", "-shm", "-journal")


def collection_files(store_dir):
    """{(database, collection): path} of a store directory (litemongo's layout)."""
    from pathlib import Path

    files = {}
    for database in sorted(p for p in Path(store_dir).iterdir() if p.is_dir()):
        for path in sorted(database.iterdir()):
            if path.is_file() and not path.name.endswith(_SIDECARS):
                files[database.name, path.name] = path
    return files


def check(store_dir):
    """Problems of a store's index tables (an empty list when every entry matches its document)."""
    problems = []
    for (database, name), path in collection_files(store_dir).items():
        conn = sqlite3.connect(str(path))
        try:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name='ix_paths'").fetchone():
                continue
            paths = dict(conn.execute("SELECT path, n FROM ix_paths"))
            wanted = {path_: ({}, {}) for path_ in paths}
            for rid, blob in conn.execute("SELECT rowid, doc FROM documents"):
                doc = bson.decode(blob)
                for path_, (keys, sorts) in wanted.items():
                    keys[rid] = sorted(doc_keys(doc, path_))
                    sorts[rid] = sort_value(doc, path_)
            for path_, n in paths.items():
                keys, sorts = wanted[path_]
                found_keys = {}
                for k, rid in conn.execute(f"SELECT k, rid FROM ix_{n}"):
                    found_keys.setdefault(rid, []).append(k)
                found_keys = {rid: sorted(ks) for rid, ks in found_keys.items()}
                expected_keys = {rid: ks for rid, ks in keys.items() if ks}
                if found_keys != expected_keys:
                    problems.append(f"{database}.{name}: index of {path_} differs from the documents")
                found_sorts = {rid: (t, v) for rid, t, v in conn.execute(f"SELECT rid, t, v FROM sv_{n}")}
                if found_sorts != sorts:
                    problems.append(f"{database}.{name}: sort values of {path_} differ from the documents")
        finally:
            conn.close()
    return problems


def backup(store_dir, target_dir):
    """A consistent copy of every collection file while the store is in use.

    Writers (of any process) are held for the moment it takes to open a read transaction on
    every file - SQLite's write lock on each, taken in one order - so the copy is one moment of
    the whole store; the pages are then copied with SQLite's online backup from those snapshots
    while writers go on. Returns the number of files."""
    from pathlib import Path

    files = collection_files(store_dir)
    target = Path(target_dir)
    if target.exists() and any(target.iterdir()):
        raise ValueError(f"{target} is not empty")
    locks, readers = [], []
    try:
        for path in files.values():
            lock = sqlite3.connect(str(path), timeout=60, isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
            locks.append(lock)
        for path in files.values():
            reader = sqlite3.connect(str(path), isolation_level=None)
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM sqlite_master").fetchone()   # the snapshot
            readers.append(reader)
        for lock in locks:
            lock.execute("ROLLBACK")
        for ((database, name), _path), reader in zip(files.items(), readers):
            (target / database).mkdir(parents=True, exist_ok=True)
            copy = sqlite3.connect(str(target / database / name))
            try:
                reader.backup(copy)
            finally:
                copy.close()
    finally:
        for conn in locks + readers:
            conn.close()
    return len(files)


def restore(source_dir, store_dir):
    """Bring a backup back into a store directory (the portal may keep running: each file is
    replaced in one step, and collections the backup does not have are emptied)."""
    from pathlib import Path

    source = collection_files(source_dir)
    if not source:
        raise ValueError(f"{source_dir} holds no backup")
    ServerStore = _store_classes()[0]
    live = collection_files(store_dir) if Path(store_dir).exists() else {}
    for (database, name), path in source.items():
        (Path(store_dir) / database).mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(str(path))
        dst = sqlite3.connect(str(Path(store_dir) / database / name), timeout=60)
        try:
            dst.execute("PRAGMA journal_mode=WAL")
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    extra = set(live) - set(source)
    if extra:
        server = ServerStore(store_dir)
        try:
            for database, name in sorted(extra):
                server[database][name].drop()
        finally:
            server.close()
    return len(source)

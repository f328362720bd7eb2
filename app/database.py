"""The one connection function: MONGODB_URI picks real MongoDB, the embedded store, or mongomock."""
import sqlite3
import threading

import mongoengine
from mongoengine.connection import disconnect_all


class _CrossThreadSqlite:
    """The sqlite3 module as litemongo sees it: connections usable from any request thread.

    litemongo opens one SQLite connection per collection, lazily, in whichever thread first
    touches it; a threaded server (``flask run``) then fails in every other thread. Access is
    serialised by ``OneRequestAtATime`` below, so sharing the connections is safe.
    """

    def __getattr__(self, name):
        return getattr(sqlite3, name)

    @staticmethod
    def connect(*args, **kwargs):
        kwargs["check_same_thread"] = False
        return sqlite3.connect(*args, **kwargs)


class OneRequestAtATime:
    """WSGI middleware for the embedded store: one request (including its response body) at a time.

    litemongo shares a cursor per collection, so two threads interleaving queries could read each
    other's rows; the embedded store is meant for one process of a small office anyway.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            result = self.wsgi_app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()


class _LiteMongoClient:
    """Adapter: mongoengine calls ``client(host=[...], port=...)``; litemongo wants a store path."""

    def __new__(cls, host=None, port=None, **kwargs):
        import litemongo
        import litemongo.sqlite_store

        litemongo.sqlite_store.sqlite3 = _CrossThreadSqlite()
        path = host[0] if isinstance(host, (list, tuple)) else host
        kwargs.pop("read_preference", None)
        kwargs = {k: v for k, v in kwargs.items() if k in ("document_class", "tz_aware")}
        return litemongo.MongoClient(str(path), **kwargs)


def storage_kind(uri: str) -> str:
    if uri.startswith("mongomock://"):
        return "mongomock"
    if uri.startswith(("mongodb://", "mongodb+srv://")):
        return "mongodb"
    return "embedded"


def connect_db(uri: str, db_name: str):
    """Connect the default mongoengine alias; returns the pymongo-like database object."""
    disconnect_all()
    kind = storage_kind(uri)
    if kind == "mongomock":
        import mongomock
        import mongomock.gridfs

        mongomock.gridfs.enable_gridfs_integration()
        conn = mongoengine.connect(db_name, host="mongodb://localhost",
                                   mongo_client_class=mongomock.MongoClient, uuidRepresentation="standard")
    elif kind == "mongodb":
        conn = mongoengine.connect(db_name, host=uri, uuidRepresentation="standard", tz_aware=False)
    else:
        from pathlib import Path

        from litemongo._vendor.mongomock import gridfs as lite_gridfs

        from app import embedded_store

        lite_gridfs.enable_gridfs_integration()
        embedded_store.install()  # index-only counts and pages (app/embedded_store.py)
        Path(uri).mkdir(parents=True, exist_ok=True)
        conn = mongoengine.connect(db_name, host=uri, mongo_client_class=_LiteMongoClient)
    return conn[db_name]

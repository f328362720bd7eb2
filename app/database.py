"""The one connection function: MONGODB_URI picks real MongoDB, the embedded store, or mongomock."""
import sys

import mongoengine
from mongoengine.connection import disconnect_all


class _LiteMongoClient:
    """Adapter: mongoengine calls ``client(host=[...], port=...)``; litemongo wants a store path."""

    def __new__(cls, host=None, port=None, **kwargs):
        import litemongo

        from app import embedded_store

        path = host[0] if isinstance(host, (list, tuple)) else host
        kwargs.pop("read_preference", None)
        kwargs = {k: v for k, v in kwargs.items() if k in ("document_class", "tz_aware")}
        return litemongo.MongoClient(embedded_store.new_server_store(str(path)), **kwargs)


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
        # Each SQLite call lets go of the GIL; getting it back waits up to the switch interval
        # while another thread computes (an export): 1 ms instead of 5 keeps the others' pages
        # quick (measured in bench.store, item 4).
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        embedded_store.install()  # indexes on disk, a connection per thread (app/embedded_store.py)
        Path(uri).mkdir(parents=True, exist_ok=True)
        conn = mongoengine.connect(db_name, host=uri, mongo_client_class=_LiteMongoClient)
    return conn[db_name]


def backup(uri: str, path: str) -> str:
    """`flask backup PATH`: a consistent copy of the store (embedded store only)."""
    kind = storage_kind(uri)
    if kind == "mongodb":
        raise ValueError("For MongoDB use mongodump: mongodump --uri=\"$MONGODB_URI\" --out=PATH "
                         "(and mongorestore --drop --uri=\"$MONGODB_URI\" PATH to bring it back).")
    if kind != "embedded":
        raise ValueError("The in-memory store (mongomock) has nothing to back up.")
    from app import embedded_store

    return f"{embedded_store.backup(uri, path)} collection files copied to {path}."


def restore(uri: str, path: str) -> str:
    """`flask restore PATH`: bring a backup made by `flask backup` back into the store."""
    kind = storage_kind(uri)
    if kind == "mongodb":
        raise ValueError("For MongoDB use mongorestore: mongorestore --drop --uri=\"$MONGODB_URI\" PATH.")
    if kind != "embedded":
        raise ValueError("The in-memory store (mongomock) cannot be restored.")
    from app import embedded_store

    return f"{embedded_store.restore(path, uri)} collection files restored from {path}."

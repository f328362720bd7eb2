"""The one connection function: MONGODB_URI picks real MongoDB, the embedded store, or mongomock."""
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
        embedded_store.install()  # indexes on disk, a connection per thread (app/embedded_store.py)
        Path(uri).mkdir(parents=True, exist_ok=True)
        conn = mongoengine.connect(db_name, host=uri, mongo_client_class=_LiteMongoClient)
    return conn[db_name]

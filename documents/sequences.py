"""One numbering document for every area: permit, receipt and work-order numbers without gaps.

`Sequence.next(key)` is one atomic increment (`$inc` with upsert), so two clerks at once never get
the same number. Keys name what they count, e.g. ``<community id>:permit:2026``.
"""
from mongoengine import Document, IntField, StringField


class Sequence(Document):
    key = StringField(required=True, unique=True)
    value = IntField(default=0)

    # the collection the repairs' and complaints' daily numbers have always used
    meta = {"collection": "counters"}

    @classmethod
    def next(cls, key: str) -> int:
        return cls.objects(key=key).modify(upsert=True, new=True, inc__value=1).value

    @classmethod
    def adopt(cls, collection: str):
        """Take over the counters an older release kept in `collection` (never going back)."""
        cls._drop_plain_key_index()
        legacy = cls._get_db()[collection]
        for row in legacy.find({}, {"key": 1, "value": 1}):
            cls.objects(key=row["key"]).modify(upsert=True, new=True, max__value=int(row.get("value") or 0))
            legacy.delete_one({"_id": row["_id"]})

    @classmethod
    def _drop_plain_key_index(cls):
        """An older release indexed `key` without `unique` in this collection; MongoDB refuses a
        unique index of the same name, so the plain one goes before the documents' indexes are made
        (read through the raw collection: mongoengine's would try to make them first)."""
        raw = cls._get_db()[cls._meta["collection"]]
        plain = raw.index_information().get("key_1")
        if plain is not None and not plain.get("unique"):
            raw.drop_index("key_1")

"""Audit history: who changed which record, when, from where, and what changed (old -> new)."""
import json
from datetime import date, datetime
from decimal import Decimal

from bson import ObjectId
from flask_babel import lazy_gettext as _l
from mongoengine import (DateTimeField, Document, EmbeddedDocument, EmbeddedDocumentListField,
                         ReferenceField, StringField)

from app import clock
from documents.base import OwnedQuerySet

# Fields that are bookkeeping, not content; never shown as "changed".
IGNORED_FIELDS = {"_id", "version", "_cls", "search_names", "phone_tails", "sort_key", "room_codes",
                  "room_numbers", "name_prefixes", "session_version", "audit_outbox"}
# Fields whose values never go into the audit log; only the fact that they changed.
REDACTED_FIELDS = {"password_hash"}

_actor_provider = lambda: (None, None)  # noqa: E731 - replaced by the app at start-up


def set_actor_provider(provider):
    """The app registers a function returning (staff, ip) for the current request."""
    global _actor_provider
    _actor_provider = provider


ACTION_LABELS = {
    "create": _l("Created"), "edit": _l("Edited"), "delete": _l("Deleted"), "login": _l("Logged in"),
    "logout": _l("Logged out"), "change_password": _l("Changed password"), "move_out": _l("Moved out"),
    "generate_rooms": _l("Generated rooms"), "activate": _l("Activated"), "deactivate": _l("Deactivated"),
    "login_failed": _l("Failed login: wrong password"),
    "login_failed_unknown": _l("Failed login: no such account"),
    "login_failed_disabled": _l("Failed login: account disabled"),
    "login_locked_account": _l("Logins of this account from this address paused"),
    "login_locked_address": _l("Logins from this address paused"),
}


#: (area, action) -> label: the same action name reads differently in each area ("cancel")
AREA_ACTION_LABELS: dict[tuple[str, str], object] = {}
#: stored collection name -> area, so an entry finds its area's labels
AREA_OF_COLLECTION: dict[str, str] = {}


def register_action_labels(labels: dict, area: str | None = None, collections=()):
    """Areas name their own actions (transitions) here, so history lists show them translated.

    With `area`, the labels belong to that area only; `collections` are the stored collections
    whose entries belong to the area.
    """
    if area is None:
        ACTION_LABELS.update(labels)
        return
    for collection in collections:
        AREA_OF_COLLECTION[collection] = area
    for action, label in labels.items():
        AREA_ACTION_LABELS[(area, action)] = label


def action_label(action, collection: str | None = None) -> str:
    """The label of an action; `action` may be an AuditEntry (its collection picks the area)."""
    if isinstance(action, AuditEntry):
        action, collection = action.action, action.collection
    area = AREA_OF_COLLECTION.get(collection or "", collection)
    label = AREA_ACTION_LABELS.get((area, action)) or ACTION_LABELS.get(action, action)
    return str(label)


class FieldChange(EmbeddedDocument):
    field = StringField(verbose_name=_l("Field"))
    old = StringField(verbose_name=_l("Old value"))
    new = StringField(verbose_name=_l("New value"))


class AuditEntry(Document):
    at = DateTimeField(required=True, verbose_name=_l("Time"))
    actor = ReferenceField("Staff", verbose_name=_l("Staff"))
    actor_name = StringField(verbose_name=_l("Staff"))
    ip = StringField(verbose_name=_l("IP address"))
    action = StringField(required=True, verbose_name=_l("Action"))
    collection = StringField(required=True, verbose_name=_l("Record type"))
    record_id = StringField(required=True, verbose_name=_l("Record"))
    record_label = StringField(verbose_name=_l("Record"))
    community = ReferenceField("Community", verbose_name=_l("Community"))
    household = ReferenceField("Household", verbose_name=_l("Household"))
    changes = EmbeddedDocumentListField(FieldChange, verbose_name=_l("Changes"))
    note = StringField(verbose_name=_l("Note"))

    meta = {
        "queryset_class": OwnedQuerySet,
        "collection": "audit_entries",
        "indexes": ["-at", ("collection", "record_id", "-at"), ("community", "-at"),
                    ("household", "-at"), "actor", "actor_name", "action"],
        "ordering": ["-at"],
    }

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.record_label}"

    @classmethod
    def for_record(cls, doc, limit=50):
        return cls.objects(collection=doc._get_collection_name(), record_id=str(doc.pk)).order_by("-at")[:limit]


def _plain(value):
    """A JSON-able, readable form of a stored value."""
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "to_decimal"):
        return str(value.to_decimal())
    if isinstance(value, dict):  # an embedded document; an emptied form field ("") is no change
        return {k: _plain(v) for k, v in value.items()
                if k not in ("_cls",) and v is not None and v != "" and v != []}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _text(value) -> str:
    value = _plain(value)
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


# Which key names an embedded entry when a change is shown to people (owners by name, cars by plate).
DISPLAY_KEYS = ("name", "plate", "key", "code", "kind", "title")


def display_value(text: str | None, limit: int = 120) -> str:
    """A stored old/new value as people read it: lists of entries by name, not as JSON."""
    if not text:
        return ""
    value = text
    if text[:1] in "[{":  # lists and embedded documents are stored as JSON by _text()
        try:
            value = json.loads(text)
        except ValueError:
            pass
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                label = next((str(item[k]) for k in DISPLAY_KEYS if item.get(k)), None)
                if label and item.get("value") and "key" in item:
                    label = f"{label}: {item['value']}"
                parts.append(label or json.dumps(item, ensure_ascii=False, sort_keys=True))
            else:
                parts.append(str(item))
        shown = ", ".join(parts)
    elif isinstance(value, dict):
        shown = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        shown = str(value)
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


def snapshot(doc) -> dict:
    """The stored form of a document, for diffing before/after a change."""
    return {k: _plain(v) for k, v in doc.to_mongo().to_dict().items() if k not in IGNORED_FIELDS}


def _flatten(value, prefix: str, out: dict):
    """owners -> owners.0.phone etc., so a change names the exact sub-field that changed."""
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            _flatten(sub, f"{prefix}.{key}", out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, sub in enumerate(value):
            _flatten(sub, f"{prefix}.{index}", out)
    else:
        out[prefix] = value
    return out


def diff(before: dict, after: dict) -> list[FieldChange]:
    flat_before, flat_after = {}, {}
    for key, value in before.items():
        _flatten(value, key, flat_before)
    for key, value in after.items():
        _flatten(value, key, flat_after)
    changes = []
    for key in sorted(set(flat_before) | set(flat_after)):
        old, new = _text(flat_before.get(key)), _text(flat_after.get(key))
        if old != new:
            if key.split(".")[0] in REDACTED_FIELDS:
                old, new = ("***" if old else ""), "***"
            changes.append(FieldChange(field=key, old=old, new=new))
    return changes


def record(action: str, doc, changes=None, note: str | None = None, actor=None):
    """Write one audit entry for `doc`. Called by views for edits and by documents for transitions."""
    entry = entry_for(action, doc, changes, note, actor)
    entry.save()
    return entry


def entry_for(action: str, doc, changes=None, note: str | None = None, actor=None, at=None,
              system: bool = False) -> "AuditEntry":
    """The audit entry of an action on `doc`, not yet saved (the workflow engine stores it with
    the change itself, see documents/workflow.py). `system`: done by the portal itself (the
    sweeper), never credited to whoever's request happens to be running; `at`: when it happened."""
    provider_actor, ip = (None, None) if system else _actor_provider()
    actor = None if system else (actor or provider_actor)
    community = getattr(doc, "community", None)
    if doc.__class__.__name__ == "Community":
        community = doc
    household = doc if doc.__class__.__name__ == "Household" else getattr(doc, "household", None)
    entry = AuditEntry(
        at=at or clock.now(), actor=actor, actor_name=getattr(actor, "username", None) or "system", ip=ip,
        action=action, collection=doc._get_collection_name(), record_id=str(doc.pk),
        record_label=str(doc)[:200], community=community if _is_doc(community) else None,
        household=household if _is_doc(household) else None,
        changes=changes or [], note=note,
    )
    return entry


def record_event(action: str, collection: str, record_id: str, label: str, note: str | None = None,
                 community=None, household=None, actor=None) -> "AuditEntry":
    """An entry for something done to a list or a register rather than one record (an export, an
    import, a reveal): the list is named instead."""
    provider_actor, ip = _actor_provider()
    actor = actor or provider_actor
    return AuditEntry(at=clock.now(), actor=actor, actor_name=getattr(actor, "username", None) or "system",
                      ip=ip, action=action, collection=collection, record_id=record_id,
                      record_label=str(label)[:200], community=community if _is_doc(community) else None,
                      household=household if _is_doc(household) else None, note=note).save()


def _is_doc(value):
    return value is not None and hasattr(value, "pk") and value.pk is not None

"""Shift handover log (交接班记录): the outgoing shift's notes plus every open work order and complaint.

The open items are listed live on the page and copied into the log when it is written, so the
log shows what was handed over even after those records move on. The incoming shift
acknowledges once (conditional write); the writer cannot acknowledge their own handover.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateTimeField, EmbeddedDocument, EmbeddedDocumentListField,
                         ReferenceField, StringField)

from app import clock
from app.permissions import can
from documents import audit
from documents.base import CommunityOwned, DomainError, PermissionDenied, sees_community
from documents.services import register_steps

SHIFTS = [("day", _l("Day shift")), ("night", _l("Night shift"))]


class HandoverItem(EmbeddedDocument):
    kind = StringField(verbose_name=_l("Type"))            # "repair" | "complaint"
    record_id = StringField()
    number = StringField(verbose_name=_l("Number"))
    room = StringField(verbose_name=_l("Room"))
    summary = StringField(verbose_name=_l("Summary"))
    state = StringField(verbose_name=_l("State"))
    due_at = DateTimeField(verbose_name=_l("Due"))
    late = BooleanField(default=False, verbose_name=_l("Late"))


class Handover(CommunityOwned):
    shift = StringField(choices=SHIFTS, required=True, default="day", verbose_name=_l("Shift"))
    notes = StringField(max_length=4000, verbose_name=_l("Notes"))
    written_at = DateTimeField(required=True, verbose_name=_l("Written on"))
    written_by = ReferenceField("Staff", verbose_name=_l("Written by"))
    written_by_name = StringField(max_length=60, verbose_name=_l("Written by"))
    items = EmbeddedDocumentListField(HandoverItem, verbose_name=_l("Open items"))
    acknowledged_at = DateTimeField(verbose_name=_l("Acknowledged on"))
    acknowledged_by = ReferenceField("Staff", verbose_name=_l("Acknowledged by"))
    acknowledged_by_name = StringField(max_length=60, verbose_name=_l("Acknowledged by"))

    meta = {"collection": "handovers", "indexes": [("community", "-written_at")],
            "ordering": ["-written_at"]}

    def __str__(self):
        return f"{self.written_at:%Y-%m-%d %H:%M} {self.written_by_name or ''}" if self.written_at else ""

    def shift_label(self) -> str:
        return str(dict(SHIFTS).get(self.shift, self.shift or ""))

    def acknowledge(self, actor):
        if not can("handover", "action:acknowledge", actor) or not sees_community(actor, self.community):
            raise PermissionDenied(gettext("Your role does not allow acknowledging a handover."))
        if self.written_by is not None and actor is not None and self.written_by.pk == actor.pk:
            raise DomainError(gettext("The incoming shift acknowledges a handover, not its writer."))
        now = clock.now()
        fresh = Handover.objects(pk=self.pk, acknowledged_at=None).modify(
            new=True, set__acknowledged_at=now, set__acknowledged_by=actor,
            set__acknowledged_by_name=getattr(actor, "display_name", None))
        if fresh is None:
            self.reload()
            raise DomainError(gettext("%(name)s already acknowledged this handover.",
                                      name=self.acknowledged_by_name or "?"))
        self.reload()
        audit.record("acknowledge", self, note=self.acknowledged_by_name, actor=actor)
        return self


register_steps({"acknowledge": _l("Acknowledged"), "write_handover": _l("Handover written")})


@dataclass
class OpenItem:
    kind: str
    record: object
    due_at: datetime | None
    late: bool


def open_items(community_ids, now=None) -> list[OpenItem]:
    """Every open work order and complaint of these communities, the late and soonest due first."""
    from documents.complaints import Complaint
    from documents.repairs import Repair
    now = now or clock.now()
    items = []
    for kind, model in (("repair", Repair), ("complaint", Complaint)):
        for record in model.objects(community__in=list(community_ids), state__in=list(model.OPEN_STATES)) \
                .select_related(max_depth=1):
            items.append(OpenItem(kind, record, record.due_at, bool(record.due_at and record.due_at < now)))
    items.sort(key=lambda i: (i.due_at is None, i.due_at or datetime.max))
    return items


def write_handover(community, actor, shift: str, notes: str) -> Handover:
    if not can("handover", "create", actor) or not sees_community(actor, community):
        raise PermissionDenied(gettext("Your role does not allow writing a handover."))
    if shift not in dict(SHIFTS):
        raise DomainError(gettext("Choose the shift."), field="shift")
    now = clock.now()
    snapshot = []
    for item in open_items([community.pk], now):
        record = item.record
        summary = getattr(record, "description", None) or getattr(record, "content", None) or ""
        snapshot.append(HandoverItem(
            kind=item.kind, record_id=str(record.pk), number=record.number, room=record.room_code or
            getattr(record, "public_area", None) or "", summary=summary[:120],
            state=record.state_label(), due_at=item.due_at, late=item.late))
    handover = Handover(community=community, shift=shift, notes=(notes or "").strip() or None,
                        written_at=now, written_by=actor,
                        written_by_name=getattr(actor, "display_name", None), items=snapshot)
    handover.save()
    audit.record("write_handover", handover, note=handover.notes, actor=actor)
    return handover

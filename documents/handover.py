"""Shift handover log (交接班记录): the outgoing shift's notes plus every open work order and complaint.

The open items are listed live on the page and copied into the log when it is written, so the
log shows what was handed over even after those records move on. Acknowledging is the one step of
a handover (written -> acknowledged, documents/workflow.py): the incoming shift acknowledges once
(the engine's conditional write), and the writer cannot acknowledge their own handover.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateTimeField, EmbeddedDocument, EmbeddedDocumentListField,
                         ReferenceField, StringField)

from app import clock
from documents import audit
from documents.base import CommunityOwned, DomainError, PermissionDenied, Versioned
from documents.deadlines import local_text
from documents.workflow import Step, Workflow, Workflowed, authorize_area, declare

SHIFTS = [("day", _l("Day shift")), ("night", _l("Night shift"))]
STATES = [("written", _l("Written")), ("acknowledged", _l("Acknowledged"))]


class HandoverItem(EmbeddedDocument):
    kind = StringField(verbose_name=_l("Type"))            # "repair" | "complaint"
    record_id = StringField()
    number = StringField(verbose_name=_l("Number"))
    room = StringField(verbose_name=_l("Room"))
    summary = StringField(verbose_name=_l("Summary"))
    state = StringField(verbose_name=_l("State"))
    due_at = DateTimeField(verbose_name=_l("Due"))
    late = BooleanField(default=False, verbose_name=_l("Late"))


class Handover(CommunityOwned, Versioned, Workflowed):
    state = StringField(choices=STATES, default="written", verbose_name=_l("State"))
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
        return f"{local_text(self.written_at, self.community)} {self.written_by_name or ''}" if self.written_at else ""

    def shift_label(self) -> str:
        return str(dict(SHIFTS).get(self.shift, self.shift or ""))

    def authorize_step(self, step, user):
        if self.written_by is not None and user is not None and self.written_by.pk == user.pk:
            raise PermissionDenied(gettext("The incoming shift acknowledges a handover, not its writer."))

    def require_state(self, step):
        if self.state == "acknowledged":
            raise DomainError(gettext("%(name)s already acknowledged this handover.",
                                      name=self.acknowledged_by_name or "?"))
        super().require_state(step)

    def acknowledge(self, user):
        self._settle_legacy_state()
        self.check("acknowledge", user)
        name = getattr(user, "display_name", None)
        try:
            return self.transition("acknowledge", user, values={
                "acknowledged_at": clock.now(), "acknowledged_by": user, "acknowledged_by_name": name},
                note=name, checked=False)
        except DomainError:
            self.require_state(self.workflow["acknowledge"])   # someone was faster: say who
            raise

    def _settle_legacy_state(self):
        """A handover stored before handovers had a state gets the one its acknowledgement says."""
        state = "acknowledged" if self.acknowledged_at else "written"
        if Handover.objects(pk=self.pk, state__exists=False).update_one(set__state=state):
            self.state = state


declare(Handover, Workflow("handover", [
    Step("acknowledge", ("written",), "acknowledged", label=_l("Acknowledge"),
         audit_label=_l("Acknowledged"), page=False),
]))
audit.register_action_labels({"write_handover": _l("Handover written")}, area="handover",
                             collections=["handovers"])


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
    authorize_area("handover", "create", actor, community, label=_l("Write the handover"))
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
            state=record.state_label, due_at=item.due_at, late=item.late))
    handover = Handover(community=community, shift=shift, notes=(notes or "").strip() or None,
                        written_at=now, written_by=actor,
                        written_by_name=getattr(actor, "display_name", None), items=snapshot)
    handover.save()
    audit.record("write_handover", handover, note=handover.notes, actor=actor)
    return handover

"""Shift handover log (交接班记录): the outgoing shift's notes plus the open work orders and complaints.

The page shows counts per kind and a paginated list of open items, the late and soonest due first;
when the log is written, the counts and the first `SNAPSHOT_LIMIT` items are copied into it, so the
log shows what was handed over even after those records move on. Acknowledging is the one step of
a handover (written -> acknowledged, documents/workflow.py): the incoming shift acknowledges once
(the engine's conditional write), and the writer cannot acknowledge their own handover.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import Q
from mongoengine import (BooleanField, DateTimeField, EmbeddedDocument, EmbeddedDocumentListField, IntField,
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
    open_total = IntField(verbose_name=_l("Open items"))      # all of them; `items` keeps the first ones
    late_total = IntField(verbose_name=_l("Late items"))
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


#: the kinds of open work a shift hands over: name -> the document (repairs, complaints)
def open_kinds() -> dict:
    from documents.complaints import Complaint
    from documents.repairs import Repair
    return {"repair": Repair, "complaint": Complaint}


#: what the list and the snapshot show of each kind (the community for its time zone)
LISTED_FIELDS = {
    "repair": ("number", "community", "room_code", "public_area", "description", "state", "due_at"),
    "complaint": ("number", "community", "room_code", "kind", "content", "state", "due_at", "escalation_level"),
}
#: a written handover keeps at most this many open items (the late and soonest due first) and the counts
SNAPSHOT_LIMIT = 100


@dataclass
class OpenCounts:
    kind: str
    open: int
    late: int


def open_counts(community_ids, now=None) -> list[OpenCounts]:
    """Per kind: how many records are open, and how many of their clocks the agenda has found late."""
    from documents.agenda import BREACHED, OPEN, Clock
    counts = []
    for kind, model in open_kinds().items():
        late = Clock.objects(_in_communities(community_ids), collection=model._get_collection_name(),
                             phase=OPEN, state=BREACHED)
        counts.append(OpenCounts(kind, _open_records(model, community_ids).count(), late.count()))
    return counts


def _in_communities(community_ids) -> Q:
    """One community (the usual case) as an equality, which every store answers from its index."""
    ids = list(community_ids)
    return Q(community=ids[0]) if len(ids) == 1 else Q(community__in=ids)


def _open_records(model, community_ids):
    return model.objects(_in_communities(community_ids), state__in=list(model.OPEN_STATES))


def open_items(community_ids, kind: str = "repair", offset: int = 0, limit: int = 20, late_only: bool = False,
               now=None) -> list[OpenItem]:
    """One page of a kind's open records: those with a deadline, soonest (late) first, then the rest.

    Every query is an equality on indexed fields, sorted by an indexed one, so every store answers
    it from its indexes and reads only the page: the open records sorted by deadline (a record with
    none sorts first in MongoDB's order, so the dated ones start after as many records as have no
    open clock), and the late ones from the agenda's breached clocks.
    """
    from documents.agenda import BREACHED, OPEN, Clock
    now = now or clock.now()
    model = open_kinds()[kind]
    clocks = Clock.objects(_in_communities(community_ids), collection=model._get_collection_name(), phase=OPEN)
    if late_only:
        ids = [c.record_id for c in clocks.filter(state=BREACHED).order_by("due_at").skip(offset).limit(limit)
               .only("record_id")]
        found = {r.pk: r for r in model.objects(pk__in=ids).only(*LISTED_FIELDS[kind]).select_related(max_depth=1)}
        records = [found[i] for i in ids if i in found]
    else:
        base = _open_records(model, community_ids).only(*LISTED_FIELDS[kind])
        total = base.count()
        undated = max(0, total - clocks.count())
        records = list(base.order_by("due_at").skip(undated + offset).limit(limit).select_related(max_depth=1))
        if len(records) < limit:
            start = max(0, offset - (total - undated))
            records += list(base.order_by("due_at").skip(start).limit(min(limit - len(records), undated - start))
                            .select_related(max_depth=1)) if undated > start else []
    return [OpenItem(kind, r, r.due_at, bool(r.due_at and r.due_at < now)) for r in records]


def write_handover(community, actor, shift: str, notes: str) -> Handover:
    authorize_area("handover", "create", actor, community, label=_l("Write the handover"))
    if shift not in dict(SHIFTS):
        raise DomainError(gettext("Choose the shift."), field="shift")
    now = clock.now()
    snapshot = []
    items = [item for kind in open_kinds() for item in open_items([community.pk], kind, limit=SNAPSHOT_LIMIT, now=now)]
    items.sort(key=lambda i: (i.due_at is None, i.due_at or datetime.max))
    counts = open_counts([community.pk], now)
    for item in items[:SNAPSHOT_LIMIT]:
        record = item.record
        summary = getattr(record, "description", None) or getattr(record, "content", None) or ""
        snapshot.append(HandoverItem(
            kind=item.kind, record_id=str(record.pk), number=record.number, room=record.room_code or
            getattr(record, "public_area", None) or "", summary=summary[:120],
            state=record.state_label, due_at=item.due_at, late=item.late))
    handover = Handover(community=community, shift=shift, notes=(notes or "").strip() or None,
                        open_total=sum(c.open for c in counts), late_total=sum(c.late for c in counts),
                        written_at=now, written_by=actor,
                        written_by_name=getattr(actor, "display_name", None), items=snapshot)
    handover.save()
    audit.record("write_handover", handover, note=handover.notes, actor=actor)
    return handover

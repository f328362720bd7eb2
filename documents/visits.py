"""Visit log: return visits (回访) to a repair or complaint, proactive visits (走访) to a household.

`log_visit(target, actor, …)` is the one way a visit is written: a return visit closes its repair
or complaint (conditional write on the target's state, so it happens once); a follow-up opens a
new repair or complaint. A visit to a household carries a submission key with a unique index,
so a double-submitted form is stored once.
"""
from bson import ObjectId
from flask_babel import gettext, lazy_gettext as _l, lazy_pgettext
from mongoengine import (BooleanField, DateTimeField, IntField, ReferenceField, StringField,
                         ValidationError)
from mongoengine.errors import NotUniqueError

from app import clock
from app.permissions import can
from documents import audit, timeline
from documents.base import CommunityOwned, DomainError, PermissionDenied
from documents.deadlines import local_text, start_of_local_day, zone_of
from documents.services import CLOCK_SKEW, not_before_text, to_the_minute, validate_satisfaction
from documents.workflow import authorize_area, domain_error_from

TARGETS = [("repair", _l("Repair")), ("complaint", _l("Complaint")), ("household", _l("Household"))]
KINDS = [("return", _l("Return visit")), ("proactive", _l("Proactive visit"))]
#: "On site" is also a repair's state (已到场); a visit made on site is 上门: one context each
METHODS = [("phone", _l("Phone")), ("on_site", lazy_pgettext("visit method", "On site"))]
FOLLOW_UPS = [("repair", _l("New repair")), ("complaint", _l("New complaint"))]
#: the messages the visit form repeats so that every problem shows at once (the document still checks)
SATISFACTION_NEEDED = _l("A return visit records the resident's satisfaction (1–5).")
FOLLOW_UP_KIND_NEEDED = _l("Choose whether the follow-up is a repair or a complaint.")
FOLLOW_UP_NOTE_NEEDED = _l("Describe what has to be followed up.")


class Visit(CommunityOwned):
    target = StringField(choices=TARGETS, required=True, verbose_name=_l("Visit to"))
    kind = StringField(choices=KINDS, required=True, verbose_name=_l("Type"))
    repair = ReferenceField("Repair", verbose_name=_l("Repair"))
    complaint = ReferenceField("Complaint", verbose_name=_l("Complaint"))
    household = ReferenceField("Household", verbose_name=_l("Household"))
    record_number = StringField(max_length=30, verbose_name=_l("Record"))
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    building_no = StringField(max_length=10, verbose_name=_l("Building no."))
    method = StringField(choices=METHODS, required=True, default="phone", verbose_name=_l("Method"))
    visited_at = DateTimeField(required=True, verbose_name=_l("Visited on"))
    staff = ReferenceField("Staff", verbose_name=_l("Staff"))
    staff_name = StringField(max_length=60, verbose_name=_l("Staff"))
    resident_name = StringField(max_length=60, verbose_name=_l("Resident"))
    resident_said = StringField(required=True, max_length=2000, verbose_name=_l("What the resident said"))
    satisfaction = IntField(validation=validate_satisfaction, verbose_name=_l("Satisfaction"))
    follow_up_needed = BooleanField(default=False, verbose_name=_l("Follow-up needed"))
    follow_up_kind = StringField(choices=FOLLOW_UPS, verbose_name=_l("Follow-up"))
    follow_up_note = StringField(max_length=1000, verbose_name=_l("Follow-up details"))
    follow_up_repair = ReferenceField("Repair", verbose_name=_l("Follow-up repair"))
    follow_up_complaint = ReferenceField("Complaint", verbose_name=_l("Follow-up complaint"))
    submission_key = StringField(max_length=64)
    created_at = DateTimeField()

    meta = {
        "collection": "visits",
        "indexes": [("community", "-visited_at"), ("community", "building_no"), ("community", "kind"),
                    ("community", "target"), ("community", "method"), ("community", "staff_name"),
                    ("community", "follow_up_needed"), ("community", "record_number"),
                    ("community", "room_code"), ("community", "resident_name"), ("community", "satisfaction"),
                    "household", "repair", "complaint",
                    {"fields": ["submission_key"], "unique": True, "sparse": True}],
        "ordering": ["-visited_at"],
    }

    def __str__(self):
        return f"{self.record_number or self.room_code or ''} {local_text(self.visited_at, self.community, '%Y-%m-%d')}".strip() \
            if self.visited_at else (self.record_number or "")

    def method_label(self) -> str:
        return str(dict(METHODS).get(self.method, self.method or ""))

    def clean(self):
        if self.kind == "return" and self.satisfaction is None:
            raise ValidationError(errors={"satisfaction": ValidationError(str(SATISFACTION_NEEDED))})
        if self.follow_up_needed:
            if self.follow_up_kind not in dict(FOLLOW_UPS):
                raise ValidationError(errors={"follow_up_kind": ValidationError(str(FOLLOW_UP_KIND_NEEDED))})
            if not (self.follow_up_note or "").strip():
                raise ValidationError(errors={"follow_up_note": ValidationError(str(FOLLOW_UP_NOTE_NEEDED))})
        else:
            self.follow_up_kind = None
        if self.visited_at and self.visited_at > clock.now() + CLOCK_SKEW:
            raise ValidationError(errors={"visited_at": ValidationError(gettext("This time is in the future."))})


def target_kind(target) -> str:
    name = target.__class__.__name__
    return {"Repair": "repair", "Complaint": "complaint", "Household": "household"}[name]


def earliest_visit(target):
    """(time, what) a visit to `target` may not be dated before, or None: the last step of a repair
    or complaint (its completion or sign-off, its handling), the move-in day of a household."""
    if target_kind(target) != "household":
        return target.last_step()
    if target.move_in_date is None:
        return None
    return (start_of_local_day(target.move_in_date, zone_of(target.community)),
            target._fields["move_in_date"].verbose_name)


def visit_time_problem(target, visited_at) -> str | None:
    """What is wrong with the time of a visit to `target` (naive UTC), in words; None if nothing.

    A time a person enters is checked against the record's own timeline, to the minute, and the
    message says the earliest allowed time in the community's local time."""
    if visited_at is None:
        return None
    if visited_at > clock.now() + CLOCK_SKEW:
        return gettext("This time is in the future.")
    earliest = earliest_visit(target)
    if earliest is not None and visited_at < to_the_minute(earliest[0]):
        return gettext("The visit cannot be dated before “%(step)s” of this record: not before %(time)s.",
                       step=earliest[1], time=not_before_text(earliest[0], target.community))
    return None


def new_visit(target, actor, **data) -> Visit:
    """A visit pre-filled from its target (what the "Log visit" form shows)."""
    kind = target_kind(target)
    household = target if kind == "household" else target.household
    visit = Visit(community=target.community, target=kind,
                  kind="proactive" if kind == "household" else "return",
                  household=household, staff=actor, staff_name=getattr(actor, "display_name", None),
                  visited_at=clock.now(), method="phone")
    if kind == "household":
        visit.room_code = target.room_code
        visit.building_no = target.building_no
        visit.resident_name = target.name
    else:
        setattr(visit, kind, target)
        visit.record_number = target.number
        visit.room_code = target.room_code
        visit.building_no = target.building_no
        visit.resident_name = target.resident_name
    for name, value in data.items():
        setattr(visit, name, value)
    return visit


def log_visit(target, actor, submission_key: str | None = None, **data) -> Visit:
    """Write a visit; a return visit closes its repair/complaint, a follow-up opens a new record."""
    authorize_area("visits", "create", actor, target.community, label=_l("Log visit"))
    visit = new_visit(target, actor, **data)
    visit.id = ObjectId()
    visit.submission_key = (submission_key or "").strip()[:64] or None
    visit.created_at = clock.now()
    if visit.follow_up_needed:
        _check_follow_up_rights(visit, actor)
    try:
        visit.validate()
    except ValidationError as err:
        raise domain_error_from(err) from None
    problem = visit_time_problem(target, visit.visited_at)
    if problem:
        raise DomainError(problem, field="visited_at")
    if visit.target != "household":
        # The target's `return_visit` step decides (one conditional write): a second submit finds
        # it closed already.
        target.perform("return_visit", actor, visit=visit)
    try:
        visit.save(validate=False)
    except NotUniqueError:
        raise DomainError(gettext("This visit has already been saved."))
    audit.record("create", visit, audit.diff({}, audit.snapshot(visit)), actor=actor)
    if visit.follow_up_needed:
        _open_follow_up(visit, target, actor)
    return visit


def _check_follow_up_rights(visit, actor):
    area = "repairs" if visit.follow_up_kind == "repair" else "complaints"
    if visit.follow_up_kind in dict(FOLLOW_UPS) and not can(area, "create", actor):
        raise PermissionDenied(gettext("Your role may not open a new %(kind)s; ask the front desk.",
                                       kind=str(dict(FOLLOW_UPS)[visit.follow_up_kind])))


def _open_follow_up(visit, target, actor):
    """The follow-up becomes a new repair (ordinary) or complaint (class 1: our service) at once."""
    from documents.complaints import Complaint
    from documents.repairs import Repair
    household = visit.household
    room = household.room if household is not None else getattr(target, "room", None)
    common = dict(community=visit.community, room=room, resident_name=visit.resident_name,
                  registered_by=actor, origin_visit=visit)
    if visit.follow_up_kind == "repair":
        if room is None:
            record = Repair(location="public", public_area=getattr(target, "public_area", None) or "-",
                            public_building=getattr(target, "public_building", None),
                            public_place=getattr(target, "public_place", None),
                            source="phone", category="other", description=visit.follow_up_note,
                            urgency="ordinary", **{k: v for k, v in common.items() if k != "room"})
        else:
            record = Repair(location="room", source="phone", category="other",
                            description=visit.follow_up_note, urgency="ordinary", **common)
        record.save_versioned(None)
        Visit.objects(pk=visit.pk).update_one(set__follow_up_repair=record)
    else:
        record = Complaint(kind="complaint", channel="phone", complaint_class=1,
                           content=visit.follow_up_note, **common)
        record.save_versioned(None)
        Visit.objects(pk=visit.pk).update_one(set__follow_up_complaint=record)
    audit.record("create", record, audit.diff({}, audit.snapshot(record)), actor=actor,
                 note=gettext("Opened by a visit"))
    visit.reload()
    return record


@timeline.register
def _visits_of(household):
    items = []
    for visit in Visit.objects(household=household).order_by("-visited_at").limit(100):
        title = f"{dict(KINDS).get(visit.kind, '')} · {dict(METHODS).get(visit.method, '')}"
        if visit.record_number:
            title = f"{visit.record_number} {title}"
        if visit.satisfaction:
            title += f" · {visit.satisfaction}/5"
        items.append(timeline.TimelineItem(
            at=visit.visited_at, kind=str(_l("Visit")), title=title, actor=visit.staff_name or "",
            detail=(visit.resident_said or "")[:120], endpoint="visits.details_view",
            url_args={"id": str(visit.pk)}))
    return items

"""Information feedback (信息反馈) and liaison slips (工作联系单), seed 003 ch.4 and 001.

Everything reaches the front desk; the clerk classifies it as a repair or a complaint (their own
registers) or as internal feedback — what the company's own staff pass on for the office to act on —
which is logged here, in the information feedback register (信息反馈记录表).

A matter is sent to a department on a liaison slip: what, to whom, by when. Whoever takes the slip
signs for it, as themselves (nobody signs for another). The handler replies to the clerk within
24 h when the slip names no other time; a matter that needs the superior is reported up within
2 h, and the clerk gets the superior's answer within 24 h of that report. The clerk answers the
resident: ordinary matters within 24 h, major ones within 48 h, and a major one is reported to
management before it is answered. Every one of these times is a clock on the agenda.
"""
from datetime import timedelta

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateTimeField, EmbeddedDocument, EmbeddedDocumentField, ListField,
                         ReferenceField, StringField)

from app import clock
from documents import audit, timeline
from documents.agenda import ClockKind, Rung, declare_clocks
from documents.base import CommunityOwned, DomainError, PermissionDenied, RuleErrors, Versioned
from documents.complaints import DEPARTMENTS
from documents.deadlines import local_text
from documents.service_calendar import Span
from documents.services import ServiceRequest, latest_allowed, next_number
from documents.workflow import ANY, Step, Workflow, Workflowed, declare

#: the handler replies to the clerk within this when the slip names no other time (003 ch.4)
HANDLER_REPLY_HOURS = 24
#: a matter that needs the superior is reported up within this (003 ch.4)
REPORT_UP_HOURS = 2
#: the clerk gets the superior's answer within this after the report (003 ch.4)
SUPERIOR_ANSWER_HOURS = 24
#: the clerk answers the resident on an ordinary matter within this (003 ch.4)
ORDINARY_ANSWER_HOURS = 24
#: ... and on a major matter within this, reported to management (003 ch.4)
MAJOR_ANSWER_HOURS = 48

#: a face-to-face complaint not solved on the spot: the superior is told within this (003 §4.2)
SUPERIOR_TOLD_HOURS = 2
#: a complaint received by letter, phone or e-mail by any staff is relayed to the clerk within this (003 §4.2)
RELAY_HOURS = 1
RAISED_TO = [("", _l("Not raised higher")), ("company", _l("The company")), ("group", _l("The group")),
             ("government", _l("A government office"))]

RELAY_STATES = [("open", _l("Being handled")), ("told", _l("Superior told"))]

#: how the clerk classifies what reaches the front desk (intake page)
CLASSIFICATIONS = [("repair", _l("Repair")), ("complaint", _l("Complaint")),
                   ("internal", _l("Internal feedback (passed on by our staff)"))]
SOURCES = [("staff", _l("Company staff")), ("front_desk", _l("Front desk")), ("phone", _l("Phone")),
           ("letter", _l("Letter")), ("email", _l("E-mail"))]
FEEDBACK_STATES = [("open", _l("Awaiting answer")), ("answered", _l("Answered"))]
SLIP_STATES = [("issued", _l("Issued")), ("signed", _l("Signed for")),
               ("reported", _l("Reported to the superior")), ("replied", _l("Replied"))]


class FeedbackEntry(ServiceRequest):
    """A line of the information feedback register: internal feedback, answered to the resident."""
    OPEN_STATES = ("open",)
    TIMELINE = ("received_at", "reported_at", "answered_at")
    DERIVED_FIELDS = ("due_at", "answer_due_at")

    source = StringField(choices=SOURCES, default="staff", required=True, verbose_name=_l("Source"))
    passed_on_by = ReferenceField("Staff", verbose_name=_l("Passed on by"))
    content = StringField(required=True, max_length=2000, verbose_name=_l("Content"))
    major = BooleanField(default=False, verbose_name=_l("Major matter"))
    received_at = DateTimeField(verbose_name=_l("Received on"))
    state = StringField(choices=FEEDBACK_STATES, default="open", verbose_name=_l("State"))
    answer_due_at = DateTimeField(verbose_name=_l("Answer the resident by"))
    reported_at = DateTimeField(verbose_name=_l("Reported to management on"))
    reported_by = ReferenceField("Staff", verbose_name=_l("Reported by"))
    report_note = StringField(max_length=1000, verbose_name=_l("Report to management"))
    answer = StringField(max_length=2000, verbose_name=_l("Answer to the resident"))
    answered_at = DateTimeField(verbose_name=_l("Answered on"))
    answered_by = ReferenceField("Staff", verbose_name=_l("Answered by"))

    meta = {
        "collection": "feedback_entries",
        "indexes": [{"fields": ["community", "number"], "unique": True}, ("community", "-received_at"),
                    ("community", "state", "due_at"), ("community", "room_code"), ("community", "major"),
                    ("community", "resident_name"), ("community", "source"), ("community", "building_no"),
                    "household"],
        "ordering": ["-received_at"],
    }

    def clean(self):
        errors = RuleErrors()
        self.received_at = self.received_at or clock.now()
        if latest := latest_allowed(self.received_at, self.community):
            errors.add("received_at", gettext("The feedback cannot be received in the future: at the latest %(time)s.",
                                              time=latest))
        if not (self.content or "").strip():
            errors.add("content", gettext("Say what the feedback is."))
        errors.raise_any()
        self.link_room()
        hours = MAJOR_ANSWER_HOURS if self.major else ORDINARY_ANSWER_HOURS
        self.answer_due_at = ANSWER_CLOCK.deadline(self, self.received_at, Span(hours=hours))
        self.due_at = self.answer_due_at if self.state == "open" else None

    def save(self, *args, **kwargs):
        if self.pk is None:
            self.assign_number("FK")
        return super().save(*args, **kwargs)

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_at and clock.now() > self.due_at)

    def report_to_management(self, user, note: str):
        """A major matter is reported to management (once)."""
        self.check("report", user)
        if not (note or "").strip():
            raise DomainError(gettext("Say what is reported to management."), field="note")
        return self.transition("report", user, values={
            "reported_at": clock.now(), "reported_by": user, "report_note": note.strip()},
            validate=True, checked=False)

    def answer_resident(self, user, answer: str):
        """The clerk's answer to the resident; a major matter is reported to management first."""
        self.check("answer", user)
        if not (answer or "").strip():
            raise DomainError(gettext("Write down what the resident was told."), field="answer")
        return self.transition("answer", user, values={
            "answer": answer.strip(), "answered_at": clock.now(), "answered_by": user},
            validate=True, checked=False)


def _major_only(record, user):
    if not record.major:
        raise DomainError(gettext("Only a major matter is reported to management."))
    if record.reported_at:
        raise DomainError(gettext("This matter has already been reported to management."))


def _major_reported_first(record, user):
    if record.major and not record.reported_at:
        raise DomainError(gettext("A major matter is reported to management before the resident is answered."))


class LiaisonSlip(CommunityOwned, Versioned, Workflowed):
    """A liaison slip (工作联系单) from the front desk to a department."""
    DERIVED_FIELDS = ("reply_due_at", "report_due_at", "answer_due_at")

    number = StringField(max_length=30, verbose_name=_l("Number"))
    feedback = ReferenceField(FeedbackEntry, verbose_name=_l("Feedback"))
    complaint = ReferenceField("Complaint", verbose_name=_l("Complaint"))
    department = StringField(choices=DEPARTMENTS, verbose_name=_l("Department"))
    addressee = ReferenceField("Staff", verbose_name=_l("To"))
    matter = StringField(max_length=2000, verbose_name=_l("Matter"))
    due_at = DateTimeField(verbose_name=_l("Reply by"))
    needs_superior = BooleanField(default=False, verbose_name=_l("Needs the superior"))
    issued_at = DateTimeField(verbose_name=_l("Issued on"))
    issued_by = ReferenceField("Staff", verbose_name=_l("Issued by"))
    state = StringField(choices=SLIP_STATES, default="issued", verbose_name=_l("State"))
    signed_by = ReferenceField("Staff", verbose_name=_l("Signed for by"))
    signed_at = DateTimeField(verbose_name=_l("Signed on"))
    reported_up_at = DateTimeField(verbose_name=_l("Reported to the superior on"))
    superior = StringField(max_length=60, verbose_name=_l("Superior"))
    reply = StringField(max_length=2000, verbose_name=_l("Reply"))
    replied_at = DateTimeField(verbose_name=_l("Replied on"))
    replied_by = ReferenceField("Staff", verbose_name=_l("Replied by"))
    reply_due_at = DateTimeField(verbose_name=_l("Reply due"))
    report_due_at = DateTimeField(verbose_name=_l("Report up by"))
    answer_due_at = DateTimeField(verbose_name=_l("Superior's answer due"))

    meta = {
        "collection": "liaison_slips",
        "indexes": [{"fields": ["community", "number"], "unique": True}, ("community", "-issued_at"),
                    ("community", "state"), ("community", "department"), ("community", "reply_due_at"),
                    "feedback", "complaint",
                    "addressee"],
        "ordering": ["-issued_at"],
    }

    def __str__(self):
        return self.number or ""

    #: what the clerk types on the slip; once the handler has signed for it, the slip is what was signed
    TYPED_FIELDS = frozenset(("community", "feedback", "complaint", "department", "addressee", "matter", "due_at"))

    def clean(self):
        if self.pk is not None and self.state != "issued" and self.TYPED_FIELDS & set(self._get_changed_fields()):
            raise DomainError(gettext("A slip that was signed for can no longer be edited."))
        errors = RuleErrors()
        now = clock.now()
        if not self.issued_at:
            self.issued_at = now
        if not self.department:
            errors.add("department", gettext("Choose the department the slip goes to."))
        if not (self.matter or "").strip():
            errors.add("matter", gettext("Say what the department is asked to do."))
        if self.due_at is not None and self.state == "issued" and self.due_at <= self.issued_at:
            errors.add("due_at", gettext("The reply time must be after the slip is issued (%(time)s).",
                                         time=local_text(self.issued_at, self.community)))
        if self.addressee is not None and self.community is not None \
                and self.community.pk not in self.addressee.community_ids:
            errors.add("addressee", gettext("The addressee must work in this community."))
        errors.raise_any()
        self.reply_due_at = self.due_at or REPLY_CLOCK.deadline(self, self.issued_at, Span(hours=HANDLER_REPLY_HOURS))
        self.report_due_at = REPORT_UP_CLOCK.deadline(self, self.signed_at, Span(hours=REPORT_UP_HOURS)) \
            if self.needs_superior else None
        self.answer_due_at = SUPERIOR_ANSWER_CLOCK.deadline(self, self.reported_up_at,
                                                            Span(hours=SUPERIOR_ANSWER_HOURS))

    def save(self, *args, **kwargs):
        if self.pk is None and not self.number and self.community is not None:
            self.number = next_number(self.community, "LX")
        return super().save(*args, **kwargs)

    @property
    def department_label(self) -> str:
        return str(dict(DEPARTMENTS).get(self.department, ""))

    @property
    def source(self):
        return self.feedback or self.complaint

    def authorize_step(self, step, user):
        """A slip addressed to one person is signed by that person; its reply by who signed."""
        if step.name == "sign" and self.addressee is not None and self.addressee.pk != user.pk:
            raise PermissionDenied(gettext("Only %(name)s, to whom the slip is addressed, signs for it.",
                                           name=self.addressee.display_name))
        if step.name in ("report_up", "reply") and self.signed_by is not None and self.signed_by.pk != user.pk:
            raise PermissionDenied(gettext("Only %(name)s, who signed for the slip, answers it.",
                                           name=self.signed_by.display_name))

    def sign(self, user, needs_superior: bool = False):
        """Whoever takes the slip signs for it, as themselves."""
        self.check("sign", user)
        return self.transition("sign", user, values={
            "signed_by": user, "signed_at": clock.now(), "needs_superior": bool(needs_superior)},
            validate=True, checked=False)

    def report_up(self, user, superior: str):
        self.check("report_up", user)
        if not (superior or "").strip():
            raise DomainError(gettext("Name the superior it was reported to."), field="superior")
        return self.transition("report_up", user, values={
            "reported_up_at": clock.now(), "superior": superior.strip(), "needs_superior": True},
            validate=True, checked=False)

    def answer(self, user, reply: str):
        """The reply to the clerk (the handler's, or the superior's answer passed on)."""
        self.check("reply", user)
        if not (reply or "").strip():
            raise DomainError(gettext("Write the reply to the front desk."), field="reply")
        return self.transition("reply", user, values={
            "reply": reply.strip(), "replied_at": clock.now(), "replied_by": user},
            validate=True, checked=False)


class HandlingLine(EmbeddedDocument):
    """A line of a complaint's handling, with the name and date of whoever wrote it (003 §4.2.2, §4.2.7)."""
    text = StringField(required=True, max_length=1000, verbose_name=_l("Handling"))
    written_by = ReferenceField("Staff", verbose_name=_l("Written by"))
    written_by_name = StringField(max_length=60, verbose_name=_l("Written by"))
    written_at = DateTimeField(verbose_name=_l("Written on"))


class ComplaintRelay(CommunityOwned, Versioned, Workflowed):
    """How a complaint reached the front desk and went on (003 §4.2): who received it and when, when
    it was relayed to the clerk (late: flagged for good), the superior told of a face-to-face one not
    solved on the spot, the department head told at once of a hard or higher-up one, the handling
    lines, and the warranty repair a class 2 complaint became."""
    DERIVED_FIELDS = ("superior_due_at", "relay_late")

    complaint = ReferenceField("Complaint", required=True, unique=True, verbose_name=_l("Complaint"))
    channel = StringField(max_length=20, verbose_name=_l("Channel"))
    received_by = ReferenceField("Staff", verbose_name=_l("Received by"))
    received_at = DateTimeField(verbose_name=_l("Received on"))
    relayed_at = DateTimeField(verbose_name=_l("Relayed to the front desk on"))
    relay_late = BooleanField(default=False, verbose_name=_l("Relayed late"))
    solved_on_spot = BooleanField(default=False, verbose_name=_l("Solved on the spot"))
    superior_due_at = DateTimeField(verbose_name=_l("Tell the superior by"))
    superior = StringField(max_length=60, verbose_name=_l("Superior told"))
    superior_told_at = DateTimeField(verbose_name=_l("Superior told on"))
    hard = BooleanField(default=False, verbose_name=_l("Hard complaint"))
    raised_to = StringField(choices=RAISED_TO, default="", verbose_name=_l("Made to"))
    head = StringField(max_length=60, verbose_name=_l("Department head told"))
    head_told_at = DateTimeField(verbose_name=_l("Department head told on"))
    lines = ListField(EmbeddedDocumentField(HandlingLine), verbose_name=_l("Handling lines"))
    warranty_repair = ReferenceField("Repair", verbose_name=_l("Warranty repair"))
    state = StringField(default="open", choices=RELAY_STATES, verbose_name=_l("State"))

    meta = {"collection": "complaint_relays",
            "indexes": [("community", "-received_at"), ("community", "relay_late"), ("community", "channel"),
                        "received_by"],
            "ordering": ["-received_at"]}

    def __str__(self):
        return self.complaint.number if self.complaint else ""

    @property
    def face_to_face(self) -> bool:
        return self.channel == "face_to_face"

    @property
    def needs_head(self) -> bool:
        return bool(self.hard or self.raised_to)

    def clean(self):
        errors = RuleErrors()
        now = clock.now()
        if self.complaint is not None:
            self.community = self.complaint.community
            self.channel = self.complaint.channel
        if self.received_by is None:
            errors.add("received_by", gettext("Say who received the complaint."))
        if self.received_at is None:
            errors.add("received_at", gettext("Say when the complaint was received."))
        elif latest := latest_allowed(self.received_at, self.community):
            errors.add("received_at", gettext("The complaint cannot be received in the future: at the latest %(time)s.",
                                              time=latest))
        if not self.face_to_face and self.relayed_at is None:
            errors.add("relayed_at", gettext("Say when the complaint was passed on to the front desk."))
        if self.relayed_at is not None and self.received_at is not None and self.relayed_at < self.received_at:
            errors.add("relayed_at", gettext("The relay cannot come before the complaint was received (%(time)s).",
                                             time=local_text(self.received_at, self.community)))
        if self.needs_head and not (self.head or "").strip():
            errors.add("head", gettext("A hard complaint, or one made to the company, the group or a government "
                                       "office, goes to the department head at once: name who was told."))
        errors.raise_any()
        if self.needs_head and self.head_told_at is None:
            self.head_told_at = now
        # a relay once found late stays late (a recorded fact)
        self.relay_late = bool(self.relay_late) or bool(
            self.relayed_at and self.received_at and self.relayed_at > self.received_at + timedelta(hours=RELAY_HOURS))
        self.superior_due_at = SUPERIOR_TOLD_CLOCK.deadline(self, self.received_at, Span(hours=SUPERIOR_TOLD_HOURS)) \
            if self.face_to_face and not self.solved_on_spot else None

    def tell_superior(self, user, superior: str):
        self.check("tell_superior", user)
        if not (superior or "").strip():
            raise DomainError(gettext("Name the superior who was told."), field="superior")
        return self.transition("tell_superior", user, values={
            "superior": superior.strip(), "superior_told_at": clock.now()}, validate=True, checked=False)

    def write_line(self, user, text: str):
        """A handling line, signed with the writer's own name and the date: nobody writes for another."""
        self.check("write_line", user)
        if not (text or "").strip():
            raise DomainError(gettext("Write what was done."), field="text")
        line = HandlingLine(text=text.strip(), written_by=user, written_by_name=user.display_name,
                            written_at=clock.now())
        return self.transition("write_line", user, ops={"push__lines": line}, checked=False)

    def link_repair(self, user, repair):
        """The warranty repair a class 2 complaint (building quality) became."""
        self.check("link_repair", user)
        if repair is None or repair.community.pk != self.community.pk:
            raise DomainError(gettext("Choose a repair of this community."), field="repair")
        return self.transition("link_repair", user, values={"warranty_repair": repair}, checked=False)


def _superior_not_told(relay, user):
    if not relay.superior_due_at:
        raise DomainError(gettext("Only a face-to-face complaint not solved on the spot is told to the superior."))


def _class_2_only(relay, user):
    if relay.complaint.complaint_class != 2:
        raise DomainError(gettext("Only a class 2 complaint (building quality) becomes a warranty repair."))


ANSWER_CLOCK, = declare_clocks(FeedbackEntry, [
    ClockKind("feedback_answer", _l("Answer the resident"), ("open",), "answer_due_at",
              done_field="answered_at", role="clerk", responsible=lambda r: r.registered_by,
              ladder=(Rung(1, timedelta(0), "supervisor", _l("Supervisor")),)),
], area="feedback", endpoint="feedback.details_view")

REPLY_CLOCK, REPORT_UP_CLOCK, SUPERIOR_ANSWER_CLOCK = declare_clocks(LiaisonSlip, [
    ClockKind("slip_reply", _l("Reply to a liaison slip"), ("issued", "signed"), "reply_due_at",
              done_field="replied_at", role="clerk", responsible=lambda s: s.signed_by or s.addressee,
              ladder=(Rung(1, timedelta(0), "supervisor", _l("Supervisor")),)),
    ClockKind("slip_report_up", _l("Report a slip to the superior"), ("signed",), "report_due_at",
              done_field="reported_up_at", role="supervisor", responsible=lambda s: s.signed_by,
              applies=lambda s: s.needs_superior,
              ladder=(Rung(1, timedelta(0), "supervisor", _l("Supervisor")),)),
    ClockKind("slip_superior_answer", _l("Superior's answer to a slip"), ("reported",), "answer_due_at",
              done_field="replied_at", role="supervisor", responsible=lambda s: s.signed_by,
              ladder=(Rung(1, timedelta(0), "manager", _l("Manager")),)),
], area="liaison_slips", endpoint="liaison_slips.details_view")

SUPERIOR_TOLD_CLOCK, = declare_clocks(ComplaintRelay, [
    ClockKind("complaint_superior_told", _l("Tell the superior of a complaint"), ("open",), "superior_due_at",
              done_field="superior_told_at", role="supervisor", responsible=lambda r: r.received_by,
              ladder=(Rung(1, timedelta(0), "supervisor", _l("Supervisor")),)),
], area="complaint_relays", endpoint="complaint_relays.details_view")

declare(ComplaintRelay, Workflow("complaint_relays", [
    Step("tell_superior", ("open",), "told", label=_l("Tell the superior"), preconditions=(_superior_not_told,)),
    Step("write_line", ANY, None, label=_l("Write a handling line")),
    Step("link_repair", ANY, None, label=_l("Link the warranty repair"), preconditions=(_class_2_only,)),
]))

declare(FeedbackEntry, Workflow("feedback", [
    Step("report", ("open",), None, label=_l("Report to management"), preconditions=(_major_only,),
         method="report_to_management", needs=_l("An answered matter is not reported again.")),
    Step("answer", ("open",), "answered", label=_l("Answer the resident"), method="answer_resident",
         preconditions=(_major_reported_first,), needs=_l("The resident has already been answered.")),
]))

declare(LiaisonSlip, Workflow("liaison_slips", [
    Step("sign", ("issued",), "signed", label=_l("Sign for the slip"),
         needs=_l("The slip has already been signed for.")),
    Step("report_up", ("signed",), "reported", label=_l("Report to the superior"),
         needs=_l("Sign for the slip first; it is reported up once.")),
    Step("reply", ("signed", "reported"), "replied", label=_l("Reply to the front desk"), method="answer",
         needs=_l("Sign for the slip first.")),
]))


@timeline.register
def _feedback_of(household):
    return [timeline.TimelineItem(
        at=entry.received_at, kind=str(_l("Information feedback")), title=f"{entry.number} · {entry.state_label}",
        detail=(entry.content or "")[:120], endpoint="feedback.details_view", url_args={"id": str(entry.pk)})
        for entry in FeedbackEntry.objects(household=household).order_by("-received_at").limit(100)]


def slips_of(record) -> list:
    """The liaison slips sent for a feedback entry or a complaint, oldest first."""
    field = "feedback" if isinstance(record, FeedbackEntry) else "complaint"
    return list(LiaisonSlip.objects(**{field: record}).order_by("issued_at"))


audit.register_action_labels({"report": _l("Reported to management"), "answer": _l("Answered the resident")},
                             area="feedback", collections=["feedback_entries"])
audit.register_action_labels({"sign": _l("Signed for the slip"), "report_up": _l("Reported to the superior"),
                              "reply": _l("Replied to the front desk")},
                             area="liaison_slips", collections=["liaison_slips"])
audit.register_action_labels({"tell_superior": _l("Told the superior"), "write_line": _l("Wrote a handling line"),
                              "link_repair": _l("Linked the warranty repair")},
                             area="complaint_relays", collections=["complaint_relays"])

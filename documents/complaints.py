"""Complaints and suggestions (投诉 / 建议), with class deadlines and escalation.

received -> assigned (department, handler) -> handled (result, measures) -> return visit -> closed.
Handle within: class 1 (the company's own service) 4 h, class 2 (building quality) by the end of
the local day of receipt, class 3 (outside the property line) 3 days. The deadlines are clocks on
the agenda (documents/agenda.py): when one passes unhandled the sweeper escalates the complaint to
the supervisor (level 1), and 2 days later, still unhandled, to senior management (level 2) —
never before the class's own deadline. Suggestions are recorded alike, answered within 24 h, and
never escalate.
"""
from dataclasses import replace
from datetime import timedelta

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import DateTimeField, IntField, ReferenceField, StringField

from app import clock
from app.permissions import can
from documents import audit, timeline
from documents.base import DomainError, PermissionDenied, RuleErrors
from documents.agenda import ClockKind, Rung, declare_clocks
from documents.service_calendar import Span
from documents.services import ServiceRequest, closing_steps, latest_allowed
from documents.workflow import Step, Workflow, declare

KINDS = [("complaint", _l("Complaint")), ("suggestion", _l("Suggestion"))]
CHANNELS = [("face_to_face", _l("Face to face")), ("phone", _l("Phone")), ("letter", _l("Letter")),
            ("email", _l("E-mail"))]
CLASSES = [(1, _l("Class 1: our management or service (4 h)")),
           (2, _l("Class 2: building quality (same day)")),
           (3, _l("Class 3: outside the property line (3 days)"))]
CLASS_SHORT = {1: _l("Class 1"), 2: _l("Class 2"), 3: _l("Class 3")}
DEPARTMENTS = [("customer_service", _l("Customer service")), ("engineering", _l("Engineering")),
               ("security", _l("Security")), ("cleaning", _l("Cleaning")),
               ("landscaping", _l("Landscaping")), ("management", _l("Management office")),
               ("developer", _l("Developer")), ("other", _l("Other"))]
STATES = [("received", _l("Received")), ("assigned", _l("Assigned")), ("handled", _l("Handled")),
          ("closed", _l("Closed"))]
ESCALATION_LEVELS = [(0, _l("None")), (1, _l("Supervisor")), (2, _l("Senior management"))]
CLASS_1_HOURS = 4
CLASS_3_DAYS = 3
SUGGESTION_REPLY_HOURS = 24
#: still no reply this long after the supervisor was told: senior management is (seed 003 §4.2.4)
SENIOR_AFTER = timedelta(days=2)
VISIT_WITHIN_DAYS = 3
HANDLING_STATES = ("received", "assigned")
CLASS_SPANS = {1: Span(hours=CLASS_1_HOURS), 2: Span(end_of_day=True), 3: Span(days=CLASS_3_DAYS)}


def handling_span(complaint) -> Span | None:
    """How long a complaint of its class (or a suggestion) has to be handled."""
    if complaint.kind == "suggestion":
        return Span(hours=SUGGESTION_REPLY_HOURS)
    return CLASS_SPANS.get(complaint.complaint_class)


class Complaint(ServiceRequest):
    OPEN_STATES = ("received", "assigned", "handled")
    VISIT_STATES = ("handled",)
    TIMELINE = ("received_at", "assigned_at", "handled_at")
    DERIVED_FIELDS = ("due_at", "handle_due_at", "visit_due_at", "handled_late")

    kind = StringField(choices=KINDS, default="complaint", required=True, verbose_name=_l("Type"))
    channel = StringField(choices=CHANNELS, default="phone", required=True, verbose_name=_l("Channel"))
    complaint_class = IntField(choices=CLASSES, verbose_name=_l("Class"))
    content = StringField(required=True, max_length=2000, verbose_name=_l("Content"))
    received_at = DateTimeField(verbose_name=_l("Received on"))
    state = StringField(choices=STATES, default="received", verbose_name=_l("State"))
    handle_due_at = DateTimeField(verbose_name=_l("Handle by"))
    department = StringField(choices=DEPARTMENTS, verbose_name=_l("Department"))
    handler = ReferenceField("Staff", verbose_name=_l("Handler"))
    assigned_at = DateTimeField(verbose_name=_l("Assigned on"))
    assign_note = StringField(max_length=500, verbose_name=_l("Instructions"))
    result = StringField(max_length=2000, verbose_name=_l("Result"))
    measures = StringField(max_length=2000, verbose_name=_l("Measures against a repeat"))
    handled_at = DateTimeField(verbose_name=_l("Handled on"))
    handled_by = ReferenceField("Staff", verbose_name=_l("Handled by"))
    # 1 when handled after the deadline (for the monthly analysis)
    handled_late = IntField(default=0, choices=[(0, _l("No")), (1, _l("Yes"))], verbose_name=_l("Handled late"))
    visit_due_at = DateTimeField(verbose_name=_l("Return visit due"))
    escalation_level = IntField(choices=ESCALATION_LEVELS, default=0, verbose_name=_l("Escalation"))
    escalated_at = DateTimeField(verbose_name=_l("Escalated on"))
    case_analysis = StringField(max_length=4000, verbose_name=_l("Case analysis (training)"))
    origin_visit = ReferenceField("Visit", verbose_name=_l("Opened by visit"))

    meta = {
        "collection": "complaints",
        "indexes": [
            {"fields": ["community", "number"], "unique": True},
            ("community", "state", "due_at"), ("community", "-received_at"),
            ("community", "escalation_level"), ("community", "building_no"), ("community", "kind"),
            ("community", "complaint_class"), ("community", "channel"), ("community", "department"),
            ("community", "-handled_at"), ("community", "room_code"), ("community", "resident_name"),
            ("kind", "state", "handle_due_at"), ("kind", "state", "received_at"), "handler", "household",
        ],
        "ordering": ["-received_at"],
    }

    def clean(self):
        errors = RuleErrors()
        self.received_at = self.received_at or clock.now()
        if latest := latest_allowed(self.received_at, self.community):
            errors.add("received_at", gettext("The complaint cannot be received in the future: at the latest %(time)s.",
                                              time=latest))
        if self.kind == "complaint" and self.complaint_class is None:
            errors.add("complaint_class", gettext("Classify the complaint: class 1, 2 or 3."))
        if self.kind == "suggestion":
            self.complaint_class = None
        if (self.case_analysis or "").strip() and self.complaint_class != 1:
            errors.add("case_analysis", gettext("Only class 1 complaints carry a case analysis."))
        errors.raise_any()
        self.link_room()
        span = handling_span(self)
        kind = HANDLING_CLOCK if self.kind == "complaint" else SUGGESTION_CLOCK
        self.handle_due_at = kind.deadline(self, self.received_at, span) if span else None
        self.visit_due_at = VISIT_CLOCK.deadline(self, self.handled_at, Span(days=VISIT_WITHIN_DAYS))
        self.handled_late = int(bool(self.handled_at and self.handle_due_at
                                     and self.handled_at > self.handle_due_at))
        self.due_at = self.current_due()

    def current_due(self):
        if self.state in HANDLING_STATES:
            return self.handle_due_at
        if self.state in self.VISIT_STATES:
            return self.visit_due_at
        return None

    def save(self, *args, **kwargs):
        if self.pk is None:
            self.assign_number("JY" if self.kind == "suggestion" else "TS")
        return super().save(*args, **kwargs)

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_at and clock.now() > self.due_at)

    # --- steps (declared below; the engine checks role, community and state, and writes once) ---
    def authorize_step(self, step, user):
        """A housekeeper records the handling only of complaints given to them (`handle_any`: all)."""
        if step.name == "handle" and not can(self.workflow.area, "action:handle_any", user) \
                and not self.is_handled_by(user):
            raise PermissionDenied(gettext("You may only record the handling of complaints given to you."))

    def is_handled_by(self, user) -> bool:
        return self.handler is not None and user is not None and self.handler.pk == user.pk

    def assign(self, user, department: str, handler=None, note: str = ""):
        """Give the complaint to a department and (optionally) a handler; re-assigning is allowed."""
        self.check("assign", user)
        if department not in dict(DEPARTMENTS):
            raise DomainError(gettext("Choose the department that handles it."), field="department")
        if handler is not None and self.community.pk not in handler.community_ids:
            raise DomainError(gettext("The handler must work in this community."), field="handler")
        return self.transition("assign", user, values={
            "department": department, "handler": handler, "assigned_at": clock.now(),
            "assign_note": (note or "").strip() or None}, validate=True, checked=False)

    def handle(self, user, result: str, measures: str = ""):
        """Record the handling result (the handler, or whoever may handle any complaint)."""
        self.check("handle", user)
        if not (result or "").strip():
            raise DomainError(gettext("Describe how it was handled."), field="result")
        return self.transition("handle", user, values={
            "result": result.strip(), "measures": (measures or "").strip() or None,
            "handled_at": clock.now(), "handled_by": user}, validate=True, checked=False)


def _case_analysis_written(complaint, user):
    """A class 1 complaint becomes a case study: it is not closed without its analysis (003 §4.2.9)."""
    if complaint.kind == "complaint" and complaint.complaint_class == 1 and not (complaint.case_analysis or "").strip():
        raise DomainError(gettext("A class 1 complaint is closed only once its case analysis is written."))


def _escalation_values(complaint, rung, at) -> dict:
    return {"escalation_level": rung.level, "escalated_at": at}


HANDLING_CLOCK, SUGGESTION_CLOCK, VISIT_CLOCK = declare_clocks(Complaint, [
    ClockKind("complaint_handling", _l("Complaint handling"), HANDLING_STATES, "handle_due_at",
              done_field="handled_at", role="supervisor", responsible=lambda c: c.handler,
              applies=lambda c: c.kind == "complaint", on_rung=_escalation_values,
              ladder=(Rung(1, timedelta(0), "supervisor", _l("Supervisor")),
                      Rung(2, SENIOR_AFTER, "executive", _l("Senior management")))),
    ClockKind("suggestion_reply", _l("Reply to a suggestion"), HANDLING_STATES, "handle_due_at",
              done_field="handled_at", role="clerk", responsible=lambda c: c.handler,
              applies=lambda c: c.kind == "suggestion"),
    ClockKind("complaint_visit", _l("Complaint return visit"), Complaint.VISIT_STATES, "visit_due_at",
              done_field="visited_at", role="clerk"),
], area="complaints", endpoint="complaints.details_view")

declare(Complaint, Workflow("complaints", [
    Step("assign", HANDLING_STATES, "assigned", label=_l("Assign"),
         needs=_l("A handled or closed complaint is not assigned again.")),
    Step("handle", ("assigned",), "handled", label=_l("Record handling"),
         needs=_l("Assign the complaint first.")),
    *[replace(step, preconditions=step.preconditions + (_case_analysis_written,))
      for step in closing_steps(Complaint.VISIT_STATES, needs=_l("Record the handling first."))],
]))
audit.register_action_labels({   # entries of the escalations recorded before the agenda
    "escalate_supervisor": _l("Escalated to the supervisor"),
    "escalate_manager": _l("Escalated to the manager"),
}, area="complaints", collections=["complaints"])


@timeline.register
def _complaints_of(household):
    items = []
    for complaint in Complaint.objects(household=household).order_by("-received_at").limit(100):
        items.append(timeline.TimelineItem(
            at=complaint.received_at, kind=str(dict(KINDS).get(complaint.kind, "")),
            title=f"{complaint.number} · {complaint.state_label}",
            detail=(complaint.content or "")[:120], endpoint="complaints.details_view",
            url_args={"id": str(complaint.pk)}))
    return items

"""The year's plan of community events with its budget, approved by management as a whole.

Submitting, approving or rejecting the plan takes the same step on each of its events that can
take it; every event's change is audited on its own, with the plan named in the note.
"""
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import DateTimeField, IntField, ReferenceField, StringField, ValidationError

from app import clock
from documents.base import CommunityOwned, DomainError, Versioned
from documents.bilingual import BilingualText
from documents.events.common import AREA, FIRST_YEAR, LAST_YEAR, PLAN_STATES, required_reason
from documents.events.events import OPEN_STATES, Event
from documents.money import ZERO, MoneyField, to_money
from documents.workflow import Step, Workflow, Workflowed, declare

#: events that no longer count towards the plan's budget
NOT_COUNTED = ("rejected", "cancelled")


class AnnualPlan(BilingualText, CommunityOwned, Versioned, Workflowed):
    """The year's plan of community events with its budget; approved as a whole."""

    year = IntField(required=True, min_value=FIRST_YEAR, max_value=LAST_YEAR, verbose_name=_l("Year"))
    title_zh = StringField(max_length=120, verbose_name=_l("Title (Chinese)"))
    title_en = StringField(max_length=160, verbose_name=_l("Title (English)"))
    goals_zh = StringField(max_length=5000, verbose_name=_l("Goals (Chinese)"))
    goals_en = StringField(max_length=5000, verbose_name=_l("Goals (English)"))
    budget = MoneyField(required=True, verbose_name=_l("Budget (yuan)"))
    state = StringField(choices=PLAN_STATES, default="draft", verbose_name=_l("State"))
    rejection_reason = StringField(max_length=500, verbose_name=_l("Reason for rejection"))
    submitted_at = DateTimeField(verbose_name=_l("Submitted at"))
    decided_by = ReferenceField("Staff", verbose_name=_l("Decided by"))
    decided_at = DateTimeField(verbose_name=_l("Decided at"))
    created_by = ReferenceField("Staff", verbose_name=_l("Created by"))

    meta = {"collection": "event_plans",
            "indexes": [{"fields": ["community", "year"], "unique": True}, "state"],
            "ordering": ["-year"]}

    def __str__(self):
        return self.text("title") or gettext("Plan %(year)s", year=self.year)

    def clean(self):
        if not (self.title_zh or "").strip() and not (self.title_en or "").strip():
            raise ValidationError(errors={"title_zh": ValidationError(
                gettext("Give a title in Chinese or in English."))})
        self.budget = to_money(self.budget)
        if self.pk is not None and self.state in ("submitted", "approved"):
            stored = AnnualPlan.objects(pk=self.pk).first()
            if stored and (stored.budget != self.budget or stored.year != self.year):
                raise ValidationError(errors={"budget": ValidationError(gettext(
                    "Year and budget cannot change once the plan was submitted."))})

    def events(self):
        return Event.objects(plan=self).order_by("start")

    def planned_total(self) -> Decimal:
        """Sum of the budgets of the plan's events that still count (not rejected or cancelled)."""
        events = Event.objects(plan=self, state__nin=list(NOT_COUNTED)).only("budget")
        return sum((to_money(event.budget) or ZERO for event in events), ZERO)

    def can_delete(self) -> bool:
        return self.state == "draft" and not Event.objects(plan=self).first()

    # --- steps: the plan's step, then the same step on each of its events ---
    def submit(self, user):
        """Submit the plan with all its draft (or rejected) events for approval."""
        self.check("submit", user)
        drafts = list(Event.objects(plan=self, state__in=list(OPEN_STATES)))
        values = {"submitted_at": clock.now(), "rejection_reason": None}
        self.transition("submit", user, values=values, checked=False)
        self._cascade("submit", user, drafts, values)
        return self

    def approve(self, user):
        """Approve the plan and, with it, every submitted event of the plan."""
        self.check("approve", user)
        values = {"decided_by": user, "decided_at": clock.now()}
        self.transition("approve", user, values=values, checked=False)
        self._cascade("approve", user, self._submitted_events(), values)
        return self

    def reject(self, user, reason: str):
        """Send the plan back with a reason; its submitted events are rejected with it."""
        self.check("reject", user)
        reason = required_reason(reason)
        values = {"decided_by": user, "decided_at": clock.now(), "rejection_reason": reason}
        self.transition("reject", user, values=values, note=reason, checked=False)
        self._cascade("reject", user, self._submitted_events(), values, note=reason)
        return self

    def _submitted_events(self):
        return list(Event.objects(plan=self, state="submitted"))

    def _cascade(self, name, user, events, values, note=None) -> int:
        """The plan's step on each event (one changed meanwhile by someone else keeps its state)."""
        return sum(event.follow_plan(name, user, self, values, note=note) for event in events)


# --- preconditions of submitting ---

def _has_events(plan, user):
    if not Event.objects(plan=plan, state__in=list(OPEN_STATES) + ["submitted"]).first():
        raise DomainError(gettext("The plan has no events to submit."))


def _within_budget(plan, user):
    total = plan.planned_total()
    if total > to_money(plan.budget):
        raise DomainError(gettext("The events' budgets add up to %(total)s yuan, more than the "
                                  "plan's budget of %(budget)s yuan.", total=total, budget=to_money(plan.budget)))


declare(AnnualPlan, Workflow(AREA, [
    Step("submit", OPEN_STATES, "submitted", label=_l("Submit for approval"), audit_label=_l("Submitted"),
         needs=_l("Only a draft or a rejected plan is submitted."), page_checks=(_has_events, _within_budget)),
    Step("approve", ("submitted",), "approved", label=_l("Approve"), audit_label=_l("Approved"),
         needs=_l("It must be submitted for approval first.")),
    Step("reject", ("submitted",), "rejected", label=_l("Reject"), audit_label=_l("Rejected"),
         needs=_l("It must be submitted for approval first.")),
]))

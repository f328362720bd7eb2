"""The workflow engine on a small document of its own: checks, the one conditional write, the audit
entry that cannot be lost, area-keyed labels, and ownership through `objects.for_user`."""
import pytest
from flask_babel import lazy_gettext as _l
from mongoengine import StringField, ValidationError

from app.permissions import PERMISSIONS
from documents import audit, workflow
from documents.audit import AuditEntry
from documents.base import CommunityOwned, DomainError, PermissionDenied, Versioned
from documents.workflow import ANY, Step, Workflow, Workflowed, declare
from tests.support import english_request


def _needs_reason(record, user):
    if not record.reason:
        raise DomainError("Write the reason first.")


class Ticket(CommunityOwned, Versioned, Workflowed):
    """A toy record: open -> done (needs a reason) | cancelled; note keeps the state."""
    state = StringField(choices=[("open", _l("Open")), ("done", _l("Done")), ("cancelled", _l("Cancelled"))],
                        default="open")
    reason = StringField()
    building_no = StringField()
    meta = {"collection": "test_tickets"}

    def clean(self):
        if self.reason == "bad":
            raise ValidationError(errors={"reason": ValidationError("Not a reason.")})

    def authorize_step(self, step, user):
        if self.granted_only_as(step, user, "housekeeper") and self.building_no not in (user.buildings or []):
            raise PermissionDenied("Not one of your buildings.")

    def finish(self, user):
        return self.transition("finish", user, values={"reason": self.reason})

    def cancel(self, user, reason=""):
        return self.transition("cancel", user, values={"reason": reason}, validate=True)

    def note(self, user):
        return self.transition("note", user, check_version=True)


declare(Ticket, Workflow("toy", [
    Step("finish", ("open",), "done", label=_l("Finish"), needs="It must be open.",
         preconditions=(_needs_reason,)),
    Step("cancel", ("open",), "cancelled", label=_l("Cancel")),
    Step("note", ANY, None, label=_l("Note")),
]))


@pytest.fixture
def toy(app, world, monkeypatch):
    monkeypatch.setitem(PERMISSIONS, "toy", {
        "manager": {"action:finish", "action:cancel", "action:note"},
        "housekeeper": {"action:finish"},
        "clerk": {"action:note"},
    })
    with english_request(app):
        Ticket.objects.delete()
        yield world


def new_ticket(world, **data):
    data.setdefault("community", world["A"])
    return Ticket(**data).save()


def test_why_not_says_role_community_state_and_what_is_missing(toy):
    staff = toy["staff"]
    ticket = new_ticket(toy)
    assert "does not allow" in ticket.why_not("finish", staff["clerk"])
    other = new_ticket(toy, community=toy["B"])
    assert "own communities" in other.why_not("finish", staff["manager"])
    assert ticket.why_not("finish", staff["manager"]) == "Write the reason first."
    assert not ticket.offers("finish", staff["manager"])      # no button either
    ticket.reason = "fixed"
    assert ticket.allows("finish", staff["manager"])
    ticket.finish(staff["manager"])
    message = ticket.why_not("finish", staff["manager"])
    assert "not possible while the record is “Done”" in message and "It must be open." in message


def test_record_rule_limits_a_housekeeper_to_their_buildings(toy):
    keeper = toy["staff"]["housekeeper"]               # looks after building 1
    assert new_ticket(toy, building_no="1", reason="x").allows("finish", keeper)
    assert new_ticket(toy, building_no="7", reason="x").why_not("finish", keeper) == "Not one of your buildings."
    assert new_ticket(toy, building_no="7", reason="x").allows("finish", toy["staff"]["manager"])


def test_a_step_writes_once_and_is_audited_with_the_areas_label(toy):
    manager = toy["staff"]["manager"]
    ticket = new_ticket(toy, reason="fixed")
    ticket.finish(manager)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.state, stored.version, stored.audit_outbox) == ("done", ticket.version, [])
    assert stored.version == 1
    entries = list(AuditEntry.objects(collection="test_tickets", record_id=str(ticket.pk)))
    assert [e.action for e in entries] == ["finish"]
    assert ("state", "open", "done") in [(c.field, c.old, c.new) for c in entries[0].changes]
    assert audit.action_label(entries[0]) == "Finish"


def test_two_clerks_or_a_double_click_apply_a_step_once(toy):
    manager = toy["staff"]["manager"]
    ticket = new_ticket(toy, reason="fixed")
    first, second = Ticket.objects.get(pk=ticket.pk), Ticket.objects.get(pk=ticket.pk)
    first.finish(manager)
    with pytest.raises(DomainError) as refused:
        second.cancel(manager, "too late")
    assert "moved this record on" in refused.value.message
    assert Ticket.objects.get(pk=ticket.pk).state == "done"
    assert AuditEntry.objects(record_id=str(ticket.pk)).count() == 1


def test_a_version_checked_step_refuses_a_stale_copy(toy):
    clerk = toy["staff"]["clerk"]
    ticket = new_ticket(toy)
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket.note(clerk)
    with pytest.raises(DomainError):
        stale.note(clerk)
    assert Ticket.objects.get(pk=ticket.pk).version == 1


def test_invalid_values_are_refused_and_nothing_is_written(toy):
    manager = toy["staff"]["manager"]
    ticket = new_ticket(toy)
    with pytest.raises(DomainError) as refused:
        ticket.cancel(manager, "bad")
    assert (refused.value.field, refused.value.message) == ("reason", "Not a reason.")
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.state, stored.reason, ticket.state) == ("open", None, "open")
    assert AuditEntry.objects(record_id=str(ticket.pk)).count() == 0


def test_a_crash_between_the_change_and_its_audit_entry_loses_no_entry(toy, monkeypatch):
    manager = toy["staff"]["manager"]
    ticket = new_ticket(toy, reason="fixed")

    def crash(model, pk):
        raise RuntimeError("process killed")
    monkeypatch.setattr(workflow, "deliver_audit", crash)
    with pytest.raises(RuntimeError):
        ticket.finish(manager)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.state == "done"                           # the change happened ...
    assert [e["action"] for e in stored.audit_outbox] == ["finish"]   # ... and its entry is in it
    assert AuditEntry.objects(record_id=str(ticket.pk)).count() == 0
    monkeypatch.undo()
    assert workflow.deliver_all_audit() == 1
    assert workflow.deliver_all_audit() == 0
    entries = list(AuditEntry.objects(record_id=str(ticket.pk)))
    assert [(e.action, e.actor_name) for e in entries] == [("finish", "manager")]
    assert Ticket.objects.get(pk=ticket.pk).audit_outbox == []


def test_delivery_is_idempotent_when_the_crash_follows_the_copy(toy, monkeypatch):
    manager = toy["staff"]["manager"]
    ticket = new_ticket(toy, reason="fixed")
    monkeypatch.setattr(workflow, "deliver_audit", lambda model, pk: None)
    ticket.finish(manager)
    raw = Ticket.objects.get(pk=ticket.pk).audit_outbox[0]
    AuditEntry._from_son(raw).save(force_insert=True)       # copied, then the process died
    monkeypatch.undo()
    assert workflow.deliver_audit(Ticket, ticket.pk) == 1
    assert AuditEntry.objects(record_id=str(ticket.pk)).count() == 1


def test_the_same_action_reads_differently_in_each_area(app):
    audit.register_action_labels({"cancel": "Order cancelled"}, area="area_one", collections=["ones"])
    audit.register_action_labels({"cancel": "Event cancelled"}, area="area_two", collections=["twos"])
    assert audit.action_label("cancel", "ones") == "Order cancelled"
    assert audit.action_label(AuditEntry(action="cancel", collection="twos")) == "Event cancelled"


def test_objects_for_user_keeps_to_the_users_communities(toy):
    from documents.places import Community
    new_ticket(toy), new_ticket(toy, community=toy["B"])
    clerk, admin = toy["staff"]["clerk"], toy["staff"]["admin"]
    assert [t.community.code for t in Ticket.objects.for_user(clerk)] == ["A"]
    assert [c.code for c in Community.objects.for_user(clerk)] == ["A"]
    assert Ticket.objects.for_user(admin).count() == (2 if admin.sees_all_communities else 0)
    assert Ticket.objects.for_user(None).count() == 0


def test_buttons_obey_preconditions_but_not_the_checks_that_read_the_store(toy, monkeypatch):
    manager = toy["staff"]["manager"]
    ticket = new_ticket(toy)
    assert not ticket.offers("finish", manager)          # no reason yet: no button
    ticket.reason = "fixed"
    assert ticket.offers("finish", manager)
    calls = []
    step = Ticket.workflow["finish"]
    monkeypatch.setattr(step, "page_checks", (lambda record, user: calls.append(record.pk),))
    assert ticket.offers("finish", manager) and calls == []
    assert ticket.allows("finish", manager) and calls == [ticket.pk]


def test_the_not_yet_list_names_what_to_wait_for_not_what_does_not_apply(toy, monkeypatch):
    from documents.workflow import NotApplicable
    manager = toy["staff"]["manager"]
    ticket = new_ticket(toy)
    assert ticket.waiting_steps(manager) == [("finish", "Write the reason first.")]

    def never(record, user):
        raise NotApplicable("Not for this ticket.")
    monkeypatch.setattr(Ticket.workflow["finish"], "preconditions", (never,))
    assert ticket.waiting_steps(manager) == [] and ticket.why_not("finish", manager) == "Not for this ticket."

"""Move-in files (入伙): one per room, the eight steps of seed 003 ch. 1 in order.

    verify -> sign -> archive -> fees -> items -> inspect (1, 2, … until accepted) -> handbook -> finish
           -> moved_in

The state of a file is the step it waits for; each step is declared once (documents/workflow.py does
the role, community and order checks and the one conditional write with its audit entry) and each
step method keeps only the checks of its own data. Every step taken is logged on the file (who, when,
what), `state_since` says since when the owner waits at the current step (the handover-day board).

- verify (004): the owner's ID card, purchase contract and move-in notice seen; an agent shows a
  power of attorney and their own ID;
- sign (001): the preliminary property service agreement and the provisional owners' rules are
  signed by the owner in person — nobody signs for them;
- archive: creates the household archive (status "moving in") or completes the room's archive;
- fees: bank auto-debit (account kept masked) and the fees area says the household is settled
  (documents.fees.fees_settled; the cashier takes the payment on the account page);
- items: keys, peephole, doorbell, cards… with counts, signed for by the owner;
- inspect: a checklist and defect rows (房屋验收交接表); each defect becomes a repair work order linked
  to its row; accepted (clean or "with defects") moves on, refused waits for a re-inspection;
- handbook: residents' handbook, service card and tips handed out, move-in checklist filled;
- finish: renovation offered or declined; the archive becomes current, the room occupied.

Skipping or undoing a step needs a supervisor (the role map) and a reason, both logged. Undoing
moves the file back one step and reverses what that step did, as each step declares (`reverse=` on
its Step; a skipped step had no effects):

- verify: who came (owner / agent) is cleared; sign, handbook: nothing but the state;
- archive: archives are kept permanently (004): the archive stays, "moving in", linked to the file;
  redoing the step completes the same archive;
- fees: the auto-debit agreement and the receipt number are cleared from the file; the payment
  stays on the household's account (a refund is the fees area's business);
- items: refused while keys of the room are still with the owner — they are returned into the key
  register first (key register → "Keys returned by the owner"); then the item counts are cleared;
- inspect: the accepting round is withdrawn (kept, marked undone) with its defect rows; their work
  orders not yet under way (reported or dispatched) are cancelled through the repairs workflow,
  those already under way (technician on site or later) are kept and stay linked to their row;
- finish: the archive made current reverts to "moving in" (and its move-in date, if this file set
  it), the room goes back to the status it had, the renovation choice and moving-in day are cleared.
"""
from dataclasses import dataclass, field as dataclass_field
from datetime import timedelta
from typing import Callable

from flask_babel import force_locale, gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateField, DateTimeField, EmbeddedDocument, EmbeddedDocumentListField,
                         IntField, ListField, ReferenceField, StringField)

from app import clock
from documents import audit, timeline
from documents.base import CommunityOwned, DomainError, Versioned
from documents.bilingual import label_of
from documents.deadlines import local_date, zone_of
from documents.places import Room, parse_room_code
from documents.residents import Household, Person
from documents.validators import id_document_problem, normalise_phone
from documents.workflow import Step, Workflow, Workflowed, authorize_area, declare

AREA = "movein"

#: the eight steps of seed 003 ch. 1, in order: (state = the step the file waits for, label)
STEPS = [
    ("verify", _l("1 Verify documents")),
    ("sign", _l("2 Sign agreement and rules")),
    ("archive", _l("3 Collect documents, fill archive")),
    ("fees", _l("4 Auto-debit and fees")),
    ("items", _l("5 Hand over items")),
    ("inspect", _l("6 Inspect the flat")),
    ("handbook", _l("7 Handbook and checklist")),
    ("finish", _l("8 Renovation and moving in")),
]
ORDER = [name for name, _label in STEPS]
STATES = [(name, label) for name, label in STEPS] + [("moved_in", _l("Moved in"))]
#: steps that cannot be skipped: the archive (later steps need it) and moving in itself
NOT_SKIPPABLE = ("archive", "finish")

VISITORS = [("owner", _l("The owner in person")), ("agent", _l("An agent with a power of attorney"))]
#: what is handed over at step 5 (keys also by set from the key register, documents/keys.py)
ITEM_KINDS = [("keys", _l("Keys")), ("peephole", _l("Peephole")), ("doorbell", _l("Doorbell")),
              ("access_card", _l("Access cards")), ("mailbox_key", _l("Mailbox keys")),
              ("meter_card", _l("Meter cards"))]
#: the inspection checklist (004): doors, windows, water, power, walls, roof, floors, smart-home wiring
CHECK_AREAS = [("doors", _l("Doors")), ("windows", _l("Windows")), ("water", _l("Water supply and drains")),
               ("power", _l("Power and lighting")), ("walls", _l("Walls")), ("roof", _l("Ceiling and roof")),
               ("floors", _l("Floors")), ("smart_home", _l("Smart-home wiring"))]
#: the repair category a defect's work order gets, by checklist area
AREA_CATEGORY = {"doors": "doors_windows", "windows": "doors_windows", "water": "plumbing",
                 "power": "electrical", "walls": "walls", "roof": "walls", "floors": "walls",
                 "smart_home": "access"}
OUTCOMES = [("accepted", _l("Accepted")), ("with_defects", _l("Accepted with defects")),
            ("refused", _l("Refused: re-inspect after repair"))]
RENOVATION_CHOICES = [("offered", _l("Wants to renovate: renovation file to open")),
                      ("declined", _l("Declined renovation"))]
#: an owner waiting longer than this at one step is highlighted on the handover-day board
LONG_WAIT_MINUTES = 30
#: the board lists at most this many of the owners waiting long (the longest first)
LONG_WAIT_LIST = 10
#: what a row of the board shows (the rest of a file — its log, defects, outbox — stays in the store)
BOARD_FIELDS = ("community", "room_code", "owner_name", "appointment_on", "day_key", "state", "state_since",
                "arrived_at")


class LogEntry(EmbeddedDocument):
    step = StringField(verbose_name=_l("Step"))
    at = DateTimeField(verbose_name=_l("At"))
    by_name = StringField(verbose_name=_l("By"))
    summary = StringField(verbose_name=_l("What"))
    kind = StringField(default="done")       # done | skipped | undone | inspection (refused: same step)


class HandedItem(EmbeddedDocument):
    kind = StringField(choices=ITEM_KINDS, verbose_name=_l("Item"))
    count = IntField(min_value=0, verbose_name=_l("Count"))


class Defect(EmbeddedDocument):
    round = IntField(verbose_name=_l("Inspection"))
    area = StringField(choices=CHECK_AREAS, verbose_name=_l("Where"))
    description = StringField(max_length=500, verbose_name=_l("Defect"))
    work_order = ReferenceField("Repair", verbose_name=_l("Work order"))
    work_order_no = StringField(verbose_name=_l("Work order"))
    withdrawn = BooleanField(default=False, verbose_name=_l("Withdrawn (inspection undone)"))


class Inspection(EmbeddedDocument):
    round = IntField(verbose_name=_l("Inspection"))
    at = DateTimeField(verbose_name=_l("At"))
    by_name = StringField(verbose_name=_l("Inspected by"))
    failed_areas = ListField(StringField(choices=CHECK_AREAS))
    outcome = StringField(choices=OUTCOMES, verbose_name=_l("Outcome"))
    undone = BooleanField(default=False, verbose_name=_l("Undone"))


class MoveIn(CommunityOwned, Versioned, Workflowed):
    room = ReferenceField(Room, required=True, verbose_name=_l("Room"))
    room_code = StringField(verbose_name=_l("Room"))
    building_no = StringField(verbose_name=_l("Building no."))
    sort_key = StringField()
    household = ReferenceField(Household, verbose_name=_l("Household archive"))
    owner_name = StringField(required=True, max_length=60, verbose_name=_l("Owner"))
    owner_phone = StringField(max_length=20, verbose_name=_l("Owner's phone"))
    appointment_on = DateField(verbose_name=_l("Appointment day"))
    #: the appointment day as text (2026-12-20): the board's index key. A text key is exact on every
    #: store, so its counts are index counts and its pages read only their rows (app/embedded_store.py)
    day_key = StringField()
    opened_at = DateTimeField(verbose_name=_l("Opened at"))
    opened_by_name = StringField(verbose_name=_l("Opened by"))

    state = StringField(choices=STATES, default="verify", required=True, verbose_name=_l("Waiting for"))
    state_since = DateTimeField(verbose_name=_l("Since"))
    arrived_at = DateTimeField(verbose_name=_l("Arrived"))
    log = EmbeddedDocumentListField(LogEntry, verbose_name=_l("Steps taken"))

    visitor = StringField(choices=VISITORS, verbose_name=_l("Who came"))
    agent_name = StringField(max_length=60, verbose_name=_l("Agent"))
    auto_debit = BooleanField(verbose_name=_l("Bank auto-debit"))
    bank = StringField(max_length=60, verbose_name=_l("Bank"))
    account_masked = StringField(max_length=30, verbose_name=_l("Account"))
    receipt_no = StringField(verbose_name=_l("Receipt no."))
    items = EmbeddedDocumentListField(HandedItem, verbose_name=_l("Items handed over"))
    inspections = EmbeddedDocumentListField(Inspection, verbose_name=_l("Inspections"))
    defects = EmbeddedDocumentListField(Defect, verbose_name=_l("Defects"))
    renovation = StringField(choices=RENOVATION_CHOICES, verbose_name=_l("Renovation"))
    moved_in_on = DateField(verbose_name=_l("Moved in on"))
    #: what moving in changed outside the file, so that undoing it puts exactly that back
    archive_made_current = BooleanField(default=False)
    move_in_date_set = BooleanField(default=False)
    room_status_before = StringField()

    meta = {"collection": "move_ins",
            "indexes": [{"fields": ["room"], "unique": True}, ("community", "state"),
                        ("community", "appointment_on", "sort_key"), ("community", "day_key", "state"),
                        ("community", "day_key", "sort_key"), ("community", "day_key", "state_since"),
                        ("community", "sort_key"), "household",
                        ("community", "room_code"), ("community", "owner_name"), ("community", "building_no")],
            "ordering": ["sort_key"]}

    def __str__(self):
        return gettext("Move-in %(room)s", room=self.room_code or "")

    def clean(self):
        self.day_key = self.appointment_on.isoformat() if self.appointment_on else None

    # ---- what the pages ask ----
    def today(self):
        return local_date(clock.now(), zone_of(self.community))

    def step_number(self) -> int:
        """1-8 for the step the file waits for, 9 when moved in."""
        return ORDER.index(self.state) + 1 if self.state in ORDER else len(ORDER) + 1

    def waited_minutes(self, now=None) -> int:
        if self.state_since is None or self.state == "moved_in":
            return 0
        return int(((now or clock.now()) - self.state_since).total_seconds() // 60)

    def waits_long(self, now=None) -> bool:
        return self.waited_minutes(now) > LONG_WAIT_MINUTES

    def item_label(self, kind) -> str:
        return str(dict(ITEM_KINDS).get(kind, kind))

    def next_round(self) -> int:
        return len(self.inspections or []) + 1

    # ---- opening ----
    @classmethod
    def open(cls, user, community, room_text: str, owner_name: str, owner_phone: str = "",
             appointment_on=None) -> "MoveIn":
        """Open the file of a room (from its notice, or at the counter)."""
        authorize_area(AREA, "create", user, community, label=_l("Open a move-in file"))
        code = parse_room_code(room_text or "")
        if code is None:
            raise DomainError(gettext("Write the room as building-unit-room, e.g. 3-2-1201."), field="room")
        room = Room.objects(community=community, code=code).first()
        if room is None:
            raise DomainError(gettext("There is no room %(code)s.", code=code), field="room")
        if cls.objects(room=room).first() is not None:
            raise DomainError(gettext("Room %(code)s already has a move-in file.", code=code), field="room")
        owner_name = (owner_name or "").strip()
        if not owner_name:
            raise DomainError(gettext("Write the owner's name."), field="owner_name")
        household = Household.objects(room=room, status__in=["current", "moving_in"]).first()
        now = clock.now()
        record = cls(community=community, room=room, room_code=room.code, building_no=room.building_no,
                     sort_key=room.sort_key,
                     household=household, owner_name=owner_name,
                     owner_phone=normalise_phone(owner_phone) if owner_phone else None,
                     appointment_on=appointment_on, opened_at=now,
                     opened_by_name=_name(user), state="verify", state_since=now)
        record.save_versioned(None)
        audit.record("create", record, audit.diff({}, audit.snapshot(record)), actor=user)
        return record

    # ---- the one way a step moves the file on ----
    def _advance(self, name, user, values=None, summary="", ops=None, kind="done"):
        now = clock.now()
        values = dict(values or {})
        values["state_since"] = now
        if self.arrived_at is None:
            values["arrived_at"] = now          # the first step taken: the owner is at the counters
        entry = LogEntry(step=name, at=now, by_name=_name(user), summary=summary[:500], kind=kind)
        ops = dict(ops or {})
        ops["push__log"] = entry
        return self.transition(name, user, values=values, ops=ops, note=summary[:500] or None,
                               checked=False, check_version=True)

    # ---- the steps ----
    def verify(self, user, visitor="owner", id_card_seen=False, contract_seen=False, notice_seen=False,
               agent_name="", poa_seen=False, agent_id_seen=False):
        self.check("verify", user)
        missing = [(field, message) for field, seen, message in (
            ("id_card_seen", id_card_seen, gettext("The owner's ID card must be seen.")),
            ("contract_seen", contract_seen, gettext("The purchase contract must be seen.")),
            ("notice_seen", notice_seen, gettext("The move-in notice must be seen.")),
        ) if not seen]
        if missing:
            raise DomainError(missing[0][1], field=missing[0][0])
        agent_name = (agent_name or "").strip()
        if visitor == "agent":
            if not agent_name:
                raise DomainError(gettext("Write the agent's name."), field="agent_name")
            if not poa_seen:
                raise DomainError(gettext("An agent needs the owner's power of attorney."), field="poa_seen")
            if not agent_id_seen:
                raise DomainError(gettext("An agent shows their own ID card too."), field="agent_id_seen")
        elif visitor != "owner":
            raise DomainError(gettext("Say who came."), field="visitor")
        summary = gettext("ID card, purchase contract and move-in notice checked")
        if visitor == "agent":
            summary += "; " + gettext("agent %(name)s with power of attorney", name=agent_name)
        return self._advance("verify", user, {"visitor": visitor, "agent_name": agent_name or None}, summary)

    def sign(self, user, signed_in_person=False, agreement_signed=False, rules_signed=False):
        self.check("sign", user)
        if not signed_in_person:
            raise DomainError(gettext("The owner signs in person; nobody may sign for them."),
                              field="signed_in_person")
        if not agreement_signed:
            raise DomainError(gettext("The preliminary property service agreement must be signed."),
                              field="agreement_signed")
        if not rules_signed:
            raise DomainError(gettext("The provisional owners' rules must be signed."), field="rules_signed")
        return self._advance("sign", user, {}, gettext("Agreement and owners' rules signed by the owner in person"))

    def fill_archive(self, user, owner_name="", phone="", id_type="id_card", id_number="", documents_collected=False):
        """Creates the household archive (moving in) or completes the room's archive."""
        self.check("archive", user)
        if not documents_collected:
            raise DomainError(gettext("Collect the copies of the documents first."), field="documents_collected")
        owner_name = (owner_name or self.owner_name or "").strip()
        id_number = (id_number or "").strip().upper()
        if not id_number:
            raise DomainError(gettext("Write the owner's ID number."), field="id_number")
        problem = id_document_problem(id_type, id_number)
        if problem:
            raise DomainError(problem, field="id_number")
        phone = normalise_phone(phone) if phone else (self.owner_phone or None)
        household = self.household
        if household is None:
            household = Household(community=self.community, room=self.room, name=owner_name, status="moving_in",
                                  owners=[Person(name=owner_name, relation="owner", phone=phone, id_type=id_type,
                                                 id_number=id_number)])
            household.save_versioned(None)
            audit.record("create", household, audit.diff({}, audit.snapshot(household)), actor=user,
                         note=gettext("Opened by the move-in of %(room)s", room=self.room_code))
            summary = gettext("Archive created")
        else:
            before = audit.snapshot(household)
            if not any((o.id_number or "") == id_number for o in household.owners or []):
                household.owners.append(Person(name=owner_name, relation="owner", phone=phone, id_type=id_type,
                                               id_number=id_number))
            household.save_versioned(None)
            audit.record("edit", household, audit.diff(before, audit.snapshot(household)), actor=user)
            summary = gettext("Archive completed")
        return self._advance("archive", user, {"household": household}, summary)

    def settle_fees(self, user, auto_debit=False, bank="", account=""):
        self.check("fees", user)
        from documents.fees import fees_settled
        from documents.fees.payments import Payment
        bank, account = (bank or "").strip(), "".join((account or "").split())
        if auto_debit:
            if not bank:
                raise DomainError(gettext("Write the bank of the auto-debit agreement."), field="bank")
            if not account.isdigit() or not 8 <= len(account) <= 30:
                raise DomainError(gettext("Write the bank account number (8 to 30 digits)."), field="account")
        settlement = fees_settled(self.household, self.today())
        if not settlement.settled:
            raise DomainError(gettext("%(owed)s yuan of fees are still owed: the cashier takes the payment on "
                                      "the household's account page first.", owed=settlement.owed), field="fees")
        last = Payment.objects(household=self.household).order_by("-id").first()
        receipt = getattr(last, "receipt_no", None)
        masked = mask_account(account) if auto_debit else None
        return self._advance("fees", user, {"auto_debit": bool(auto_debit), "bank": bank or None,
                                            "account_masked": masked, "receipt_no": receipt},
                             (gettext("Auto-debit: %(bank)s %(account)s", bank=bank, account=masked) if auto_debit
                              else gettext("No auto-debit")) + "; " + gettext("receipt %(no)s", no=receipt or "—"))

    def key_sets(self, states=("in_cabinet",)) -> list:
        """The room's key sets in the key register (documents/keys.py) in these states."""
        from documents.keys import KeySet
        return list(KeySet.objects(room=self.room, state__in=list(states)).order_by("label_code"))

    def hand_over(self, user, counts: dict, signed_for=False, key_set_ids=()):
        """Items with counts, signed for by the owner; the room's key sets chosen from the register
        are issued to the owner there (identity checked at step 1, the owner's signature)."""
        self.check("items", user)
        counts = {kind: int(counts.get(kind) or 0) for kind, _label in ITEM_KINDS}
        if any(count < 0 for count in counts.values()):
            raise DomainError(gettext("A count cannot be negative."), field="keys")
        chosen = self._chosen_key_sets(key_set_ids)
        counts["keys"] = counts["keys"] or sum(key_set.count for key_set in chosen)
        if counts["keys"] <= 0:
            raise DomainError(gettext("Hand over at least one key."), field="keys")
        if not signed_for:
            raise DomainError(gettext("The owner signs for the items received."), field="signed_for")
        self._issue_keys(user, chosen)
        rows = [HandedItem(kind=kind, count=count) for kind, count in counts.items() if count > 0]
        summary = ", ".join(f"{label_of(ITEM_KINDS, row.kind)}×{row.count}" for row in rows)
        if chosen:
            summary += "; " + ", ".join(key_set.label_code for key_set in chosen)
        return self._advance("items", user, {"items": rows}, summary)

    def _chosen_key_sets(self, key_set_ids) -> list:
        from documents.keys import KeySet
        ids = [str(i) for i in key_set_ids or [] if i]
        found = {str(k.pk): k for k in KeySet.objects(pk__in=ids, room=self.room)} if ids else {}
        if len(found) != len(set(ids)):
            raise DomainError(gettext("Choose key sets of this room."), field="key_set_ids")
        return [found[i] for i in dict.fromkeys(ids)]

    def _issue_keys(self, user, chosen):
        """Issue each chosen set once; a set already issued to this household (a retried step) is kept."""
        from documents.keys import issue_to_owner
        for key_set in chosen:
            if key_set.state == "issued" and key_set.household is not None \
                    and self.household is not None and key_set.household.pk == self.household.pk:
                continue
            issue_to_owner(key_set, self.household, user, identity_checked=True, signed_by=self.owner_name)

    def inspect(self, user, failed_areas=(), defects=(), outcome="accepted"):
        """One inspection round: the failed checklist areas, the defect rows [(area, description)],
        the outcome. Every defect opens a repair work order linked to its row."""
        self.check("inspect", user)
        failed_areas = [a for a in failed_areas or [] if a in dict(CHECK_AREAS)]
        rows = defect_rows(defects)
        check_outcome(outcome, rows, failed_areas)
        round_no = self.next_round()
        orders = [self._work_order(user, round_no, area, description) for area, description in rows]
        found = [Defect(round=round_no, area=area, description=description, work_order=order,
                        work_order_no=order.number) for (area, description), order in zip(rows, orders)]
        inspection = Inspection(round=round_no, at=clock.now(), by_name=_name(user),
                                failed_areas=sorted(set(failed_areas) | {a for a, _d in rows}), outcome=outcome)
        summary = gettext("Round %(n)d: %(outcome)s", n=round_no, outcome=label_of(OUTCOMES, outcome)) + ": " + \
            "; ".join(f"{d.description} → {d.work_order_no}" for d in found)
        try:
            return self._advance("inspect", user, {"_outcome": outcome}, summary.rstrip(": "), ops={
                "push__inspections": inspection, **({"push_all__defects": found} if found else {})},
                kind="inspection" if outcome == "refused" else "done")
        except DomainError:
            for order in orders:          # a second click lost the race: its orders go too
                order.delete()
            raise

    def _work_order(self, user, round_no, area, description):
        from documents.repairs import Repair
        with force_locale("zh_Hans_CN"):     # the order is printed for the technicians in Chinese
            text = gettext("Move-in inspection %(n)d of %(room)s, %(area)s: %(defect)s", n=round_no,
                           room=self.room_code, area=str(dict(CHECK_AREAS)[area]), defect=description)
        order = Repair(community=self.community, room=self.room, location="room", source="walk_in",
                       category=AREA_CATEGORY.get(area, "other"), description=text, urgency="ordinary",
                       resident_name=self.owner_name, registered_by=user)
        order.save_versioned(None)
        audit.record("create", order, audit.diff({}, audit.snapshot(order)), actor=user,
                     note=gettext("Opened by the move-in inspection of %(room)s", room=self.room_code))
        return order

    def give_handbook(self, user, handbook_given=False, service_card_given=False, tips_given=False,
                      checklist_filled=False):
        self.check("handbook", user)
        for field, done, message in (
                ("handbook_given", handbook_given, gettext("Hand out the residents' handbook.")),
                ("service_card_given", service_card_given, gettext("Hand out the service card.")),
                ("tips_given", tips_given, gettext("Hand out the tips for moving in.")),
                ("checklist_filled", checklist_filled, gettext("Fill in the move-in checklist."))):
            if not done:
                raise DomainError(message, field=field)
        return self._advance("handbook", user, {}, gettext("Handbook, service card, tips and checklist handed over"))

    def finish(self, user, renovation=""):
        """Renovation offered or declined; the archive becomes current, the room occupied."""
        self.check("finish", user)
        if renovation not in dict(RENOVATION_CHOICES):
            raise DomainError(gettext("Say whether the owner will renovate."), field="renovation")
        today = self.today()
        household = Household.objects(pk=self.household.pk).first() if self.household is not None else None
        room = Room.objects(pk=self.room.pk).only("status").first()
        result = self._advance("finish", user, {
            "renovation": renovation, "moved_in_on": today,
            "archive_made_current": household is not None and household.status != "current",
            "move_in_date_set": household is not None and household.move_in_date is None,
            "room_status_before": room.status if room is not None else None},
            f"renovation {renovation}; moved in {today.isoformat()}")
        if household is not None and (household.status != "current" or household.move_in_date is None):
            before = audit.snapshot(household)
            household.status = "current"
            household.move_in_date = household.move_in_date or today
            household.save_versioned(None)      # the room becomes occupied (Household._sync_room_status)
            audit.record("edit", household, audit.diff(before, audit.snapshot(household)), actor=user,
                         note=gettext("Moved in (move-in file %(room)s)", room=self.room_code))
        return result

    def skip(self, user, reason=""):
        self.check("skip", user)
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(gettext("Give the reason for skipping the step."), field="reason")
        skipped = self.state
        return self._advance("skip", user, {}, f"{skipped}: {reason}", kind="skipped")

    def undo(self, user, reason=""):
        """Back to the step before, its effects reversed as the step declares (module docstring)."""
        self.check("undo", user)
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(gettext("Give the reason for undoing the step."), field="reason")
        undone = self.undone_step()
        reversal = self.reversal(user)
        said = "; ".join(reversal.said)
        result = self._advance("undo", user, reversal.values, f"{undone}: {reason}" + (f" — {said}" if said else ""),
                               kind="undone")
        if reversal.then is not None:
            reversal.then(self, user)
        return result

    # ---- undoing: what the step before did, and how it is reversed ----
    def undone_step(self) -> str:
        """The step an undo takes back: the one before the step the file waits for."""
        return ORDER[-1] if self.state == "moved_in" else ORDER[ORDER.index(self.state) - 1]

    def undone_was_skipped(self) -> bool:
        """Did the file reach its state by skipping the step before? (then there is nothing to reverse)"""
        moves = []
        for entry in self.log or []:
            if entry.kind in ("done", "skipped"):
                moves.append(entry.kind)
            elif entry.kind == "undone" and moves:
                moves.pop()
        return bool(moves) and moves[-1] == "skipped"

    def reversal(self, user) -> "Reversal":
        """What undoing the step before writes and does (translated sentences in `said`); a
        DomainError when it cannot be undone now."""
        step = self.workflow[self.undone_step()]
        if self.undone_was_skipped():
            return Reversal(said=[gettext("The step was skipped: there is nothing to reverse.")])
        if step.reverse is None:
            return Reversal(said=[gettext("The step changed nothing else: only the file goes back.")])
        return step.reverse(self, user)

    def undo_effects(self, user) -> list[str]:
        """What undoing would do, said on the undo page (empty when it is refused: the page says why)."""
        try:
            return list(self.reversal(user).said) if self.state in ORDER[1:] + ["moved_in"] else []
        except DomainError:
            return []

    def current_inspections(self) -> list:
        """The inspection rounds that stand (an undone round left out)."""
        return [i for i in self.inspections or [] if not i.undone]

    def current_defects(self) -> list:
        """The defect rows of the inspection & handover form (withdrawn rows of an undone round left out)."""
        return [d for d in self.defects or [] if not d.withdrawn]


@dataclass
class Reversal:
    """How undoing a step reverses its effects: `values` the file's fields put back in the undo's
    own write; `then(record, user)` the effects on other records, carried out after that write (each
    through its own document's rules, safe to repeat); `said` what happens, translated."""
    values: dict = dataclass_field(default_factory=dict)
    then: Callable | None = None
    said: list = dataclass_field(default_factory=list)


def _reverse_verify(record, user):
    return Reversal({"visitor": None, "agent_name": None},
                    said=[gettext("Who came (owner or agent) is cleared; the documents are verified again.")])


def _reverse_archive(record, user):
    return Reversal(said=[gettext("Archives are kept permanently: the archive stays “moving in”; redoing the "
                                  "step completes the same archive.")])


def _reverse_fees(record, user):
    return Reversal({"auto_debit": None, "bank": None, "account_masked": None, "receipt_no": None},
                    said=[gettext("The auto-debit agreement and the receipt number are cleared from the file; "
                                  "payments stay on the household's account (a refund goes through the fees "
                                  "area).")])


def _reverse_items(record, user):
    from documents.keys import KeySet
    with_owner = [k.label_code for k in KeySet.objects(room=record.room, state="issued").only("label_code")]
    if with_owner:
        raise DomainError(gettext("The keys %(labels)s were handed over to the owner: take them back into the key "
                                  "register first (key register, “Keys returned by the owner”), then undo.",
                                  labels=", ".join(sorted(with_owner))), field="reason")
    return Reversal({"items": []}, said=[gettext("The items handed over are cleared from the file.")])


def _reverse_inspection(record, user):
    rounds = [i.round for i in record.inspections or [] if not i.undone and i.outcome != "refused"]
    if not rounds:
        return Reversal(said=[gettext("No accepting inspection to withdraw.")])
    last = rounds[-1]
    cancel, kept = _orders_of_round(record, last)
    said = [gettext("Inspection %(n)d is withdrawn (kept on the file, marked undone) with its defect rows.", n=last)]
    if cancel:
        said.append(gettext("Work orders not yet under way are cancelled: %(numbers)s.", numbers=_numbers(cancel)))
    if kept:
        said.append(gettext("Work orders already under way are kept and stay linked to their defect: %(numbers)s.",
                            numbers=_numbers(kept)))
    reason = gettext("Move-in inspection of %(room)s undone", room=record.room_code)

    def cancel_orders(record, user):
        from documents.repairs import Repair
        for order in Repair.objects(pk__in=[o.pk for o in cancel], state__in=list(CANCELLABLE_ORDER_STATES)):
            order.cancel(user, reason)
    return Reversal(_withdrawn(record, last), then=cancel_orders, said=said)


def _orders_of_round(record, round_no) -> tuple[list, list]:
    """The work orders of a round's defects: (those still to cancel, those already under way)."""
    from documents.repairs import Repair
    ids = [d.work_order.pk for d in record.defects or []
           if d.round == round_no and not d.withdrawn and d.work_order is not None]
    orders = list(Repair.objects(pk__in=ids)) if ids else []
    return ([o for o in orders if o.state in CANCELLABLE_ORDER_STATES],
            [o for o in orders if o.state not in CANCELLABLE_ORDER_STATES])


def _withdrawn(record, round_no) -> dict:
    """The file's inspections and defect rows with the round marked undone / withdrawn."""
    def marked(row, flag):
        return type(row)._from_son({**row.to_mongo().to_dict(), flag: True}) if row.round == round_no else row
    return {"inspections": [marked(i, "undone") for i in record.inspections or []],
            "defects": [marked(d, "withdrawn") for d in record.defects or []]}


def _numbers(orders) -> str:
    return ", ".join(sorted(o.number or "" for o in orders))


def _reverse_finish(record, user):
    said = [gettext("The renovation choice and the moving-in day are cleared.")]
    if record.archive_made_current:
        said.append(gettext("The archive goes back to “moving in”, and the room to its status before."))

    def revert_archive(record, user):
        household = Household.objects(pk=record.household.pk).first() if record.household is not None else None
        if household is None or not record.archive_made_current or household.status != "current":
            return
        before = audit.snapshot(household)
        household.status = "moving_in"
        if record.move_in_date_set:
            household.move_in_date = None
        household.save_versioned(None)        # the room leaves "occupied" (Household._sync_room_status)
        if record.room_status_before:
            Room.objects(pk=record.room.pk, status__in=["vacant", "occupied", "rented"]).update_one(
                set__status=record.room_status_before)
        audit.record("edit", household, audit.diff(before, audit.snapshot(household)), actor=user,
                     note=gettext("Moving in undone (move-in file %(room)s)", room=record.room_code))
    return Reversal({"renovation": None, "moved_in_on": None}, then=revert_archive, said=said)


#: a defect's work order is cancelled by undoing its inspection only while no technician is on site
CANCELLABLE_ORDER_STATES = ("reported", "dispatched")


def defect_rows(defects) -> list:
    """[(area, description)] of the defect rows typed; a row without a description or a place is refused."""
    rows = []
    for number, (area, description) in enumerate(defects or [], start=1):
        description = (description or "").strip()
        if not description:
            raise DomainError(gettext("Defect %(n)d: describe the defect.", n=number), field="defects")
        if area not in dict(CHECK_AREAS):
            raise DomainError(gettext("Defect %(n)d: say where it is.", n=number), field="defects")
        rows.append((area, description))
    return rows


def check_outcome(outcome, rows, failed_areas):
    """A flat with defects is accepted "with defects" or refused; either needs the defects listed."""
    if outcome not in dict(OUTCOMES):
        raise DomainError(gettext("Choose the outcome of the inspection."), field="outcome")
    if outcome == "accepted" and (rows or failed_areas):
        raise DomainError(gettext("The flat has defects: accept it “with defects” or refuse it."),
                          field="outcome")
    if outcome != "accepted" and not rows:
        raise DomainError(gettext("List the defects found."), field="defects")


def mask_account(account: str) -> str:
    """Only the last four digits of a bank account are kept."""
    return "**** " + account[-4:] if account else ""


def _name(user) -> str:
    return (getattr(user, "display_name", None) or getattr(user, "username", "") or "")[:60]


def _next(record, values):
    return ORDER[ORDER.index(record.state) + 1] if ORDER.index(record.state) + 1 < len(ORDER) else "moved_in"


def _after_inspection(record, values):
    outcome = values.pop("_outcome", "accepted")
    return "inspect" if outcome == "refused" else _next(record, values)


def _previous(record, values):
    return record.undone_step()


def _skippable(record, user):
    if record.state in NOT_SKIPPABLE:
        raise DomainError(gettext("This step cannot be skipped."))


def _not_first(record, user):
    if record.state not in ORDER[1:] + ["moved_in"]:
        raise DomainError(gettext("There is no earlier step to undo."))


def _reversible(record, user):
    """The undo page says what must happen first (keys with the owner) before it is offered."""
    record.reversal(user)


def _needs(previous):
    return gettext("Take the step “%(step)s” first.", step=dict(STEPS)[previous])


class _Needs:
    """What must happen first, translated when shown (the step before)."""

    def __init__(self, name):
        self.name = name

    def __str__(self):
        index = ORDER.index(self.name)
        return _needs(ORDER[index - 1]) if index else ""


declare(MoveIn, Workflow(AREA, [
    Step("verify", ("verify",), _next, label=_l("Verify documents"), needs=_Needs("verify"),
         reverse=_reverse_verify),
    Step("sign", ("sign",), _next, label=_l("Sign agreement and rules"), needs=_Needs("sign")),
    Step("archive", ("archive",), _next, label=_l("Fill in the archive"), needs=_Needs("archive"),
         method="fill_archive", reverse=_reverse_archive),
    Step("fees", ("fees",), _next, label=_l("Auto-debit and fees"), needs=_Needs("fees"), method="settle_fees",
         reverse=_reverse_fees),
    Step("items", ("items",), _next, label=_l("Hand over items"), needs=_Needs("items"), method="hand_over",
         reverse=_reverse_items),
    Step("inspect", ("inspect",), _after_inspection, label=_l("Inspect the flat"), needs=_Needs("inspect"),
         reverse=_reverse_inspection),
    Step("handbook", ("handbook",), _next, label=_l("Handbook and checklist"), needs=_Needs("handbook"),
         method="give_handbook"),
    Step("finish", ("finish",), _next, label=_l("Moving in"), needs=_Needs("finish"), reverse=_reverse_finish),
    Step("skip", tuple(ORDER), _next, label=_l("Skip this step"), preconditions=(_skippable,)),
    Step("undo", tuple(ORDER) + ("moved_in",), _previous, label=_l("Undo the last step"),
         preconditions=(_not_first,), page_checks=(_reversible,)),
]))


def board(community, day, offset=0, limit=20):
    """The handover day: one page of the day's appointments (by room) and the counts per step.
    Its cost follows what it shows: one indexed count per step, one page of rows (their board
    fields only), however many files the day or the community has."""
    base = MoveIn.objects(community=community, day_key=day.isoformat())
    counts = {name: base.filter(state=name).count() for name in ORDER + ["moved_in"]}
    rows = list(base.only(*BOARD_FIELDS).order_by("sort_key").skip(offset).limit(limit))
    return rows, counts


def long_waits(community, day, now=None, limit=LONG_WAIT_LIST):
    """(the owners of the day waiting longer than LONG_WAIT_MINUTES at one step, longest first,
    at most `limit` of them; how many there are in all).

    Only exact index queries: the day's pending files in the order of their waits, the first
    `limit` read; when all of them wait long, the count is found by bisecting that order (each
    probe reads one file), not by reading every pending file."""
    since = (now or clock.now()) - timedelta(minutes=LONG_WAIT_MINUTES)
    pending = MoveIn.objects(community=community, day_key=day.isoformat(), state__in=ORDER).order_by("state_since")
    first = list(pending.only(*BOARD_FIELDS).limit(limit))
    shown = [row for row in first if row.state_since is not None and row.state_since < since]
    if len(shown) < limit:
        return shown, len(shown)
    waits_long, beyond = limit, pending.count()      # the first `waits_long` wait long; from `beyond` on none
    while waits_long < beyond:
        middle = (waits_long + beyond) // 2
        probe = list(pending.only("state_since").skip(middle).limit(1))
        if probe and probe[0].state_since is not None and probe[0].state_since < since:
            waits_long = middle + 1
        else:
            beyond = middle
    return shown, waits_long


@timeline.register
def _move_ins_of(household):
    record = MoveIn.objects(household=household).first()
    if record is None:
        return []
    return [timeline.TimelineItem(at=entry.at, kind=gettext("Move-in"),
                                  title=f"{record.step_label(entry.step)}"
                                        + (f" ({gettext('skipped')})" if entry.kind == "skipped" else "")
                                        + (f" ({gettext('undone')})" if entry.kind == "undone" else ""),
                                  actor=entry.by_name or "", detail=entry.summary or "",
                                  endpoint="move_ins.details_view", url_args={"id": str(record.pk)})
            for entry in record.log or []]


# ---- move-in notices (入伙通知书) and appointment slots per handover day ----

#: what the owner brings on the handover day (seed 004): printed on every notice
DOCUMENTS_TO_BRING = [
    _l("This move-in notice"),
    _l("The owner's ID card (original and a copy)"),
    _l("The purchase contract (original and a copy)"),
    _l("An agent: the owner's power of attorney and the agent's own ID card"),
    _l("A bank card for the auto-debit agreement"),
    _l("The first property fees and the maintenance fund"),
]
NOTICE_STATES = [("issued", _l("Issued")), ("booked", _l("Appointment booked")), ("opened", _l("File opened"))]
#: a notice is printed for at most this many rooms at once (a building's rooms, or a typed list)
MAX_NOTICES_AT_ONCE = 500


class HandoverSlot(CommunityOwned, Versioned):
    """One appointment slot of a handover day (集中交付), e.g. 2026-12-20 09:00, 10 owners."""
    day = DateField(required=True, verbose_name=_l("Handover day"))
    starts = StringField(required=True, regex=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", verbose_name=_l("Starts at"))
    capacity = IntField(required=True, min_value=1, max_value=500, verbose_name=_l("Capacity"))
    booked = IntField(default=0, min_value=0, verbose_name=_l("Booked"))

    meta = {"collection": "move_in_slots",
            "indexes": [{"fields": ["community", "day", "starts"], "unique": True}],
            "ordering": ["day", "starts"]}

    def __str__(self):
        return f"{self.day.isoformat() if self.day else ''} {self.starts or ''}".strip()

    def clean(self):
        from mongoengine import ValidationError
        if self.capacity is not None and (self.booked or 0) > self.capacity:
            raise ValidationError(errors={"capacity": ValidationError(gettext(
                "%(n)d appointments are already booked in this slot.", n=self.booked))})
        if self.community and self.day and self.starts and HandoverSlot.objects(
                community=self.community, day=self.day, starts=self.starts, pk__ne=self.pk).first():
            raise ValidationError(errors={"starts": ValidationError(gettext("This slot already exists."))})

    @property
    def free(self) -> int:
        return max(0, (self.capacity or 0) - (self.booked or 0))


class MoveInNotice(CommunityOwned, Versioned, Workflowed):
    number = StringField(verbose_name=_l("Notice no."))
    room = ReferenceField(Room, required=True, verbose_name=_l("Room"))
    room_code = StringField(verbose_name=_l("Room"))
    building_no = StringField(verbose_name=_l("Building no."))
    sort_key = StringField()
    issued_at = DateTimeField(verbose_name=_l("Issued at"))
    issued_by_name = StringField(verbose_name=_l("Issued by"))
    state = StringField(choices=NOTICE_STATES, default="issued", verbose_name=_l("State"))
    slot = ReferenceField(HandoverSlot, verbose_name=_l("Appointment"))
    appointment_on = DateField(verbose_name=_l("Appointment day"))
    appointment_starts = StringField(verbose_name=_l("Starts at"))
    move_in = ReferenceField(MoveIn, verbose_name=_l("Move-in file"))

    meta = {"collection": "move_in_notices",
            "indexes": [{"fields": ["room"], "unique": True}, ("community", "state", "sort_key"),
                        ("community", "building_no", "sort_key"), ("community", "appointment_on"),
                        ("community", "room_code")],
            "ordering": ["sort_key"]}

    def __str__(self):
        return gettext("Move-in notice %(room)s", room=self.room_code or "")

    def book(self, user, slot_id=""):
        """Book the owner into a slot: one conditional increment, never above its capacity."""
        self.check("book", user)
        slot = HandoverSlot.objects(pk=slot_id, community=self.community).first() if slot_id else None
        if slot is None:
            raise DomainError(gettext("Choose an appointment slot."), field="slot_id")
        if not HandoverSlot.objects(pk=slot.pk, booked__lt=slot.capacity).update_one(inc__booked=1):
            raise DomainError(gettext("The slot %(slot)s is full; choose another.", slot=str(slot)), field="slot_id")
        try:
            return self.transition("book", user, values={"slot": slot, "appointment_on": slot.day,
                                                         "appointment_starts": slot.starts}, note=str(slot))
        except DomainError:
            HandoverSlot.objects(pk=slot.pk, booked__gt=0).update_one(dec__booked=1)
            raise

    def open_file(self, user, owner_name="", owner_phone=""):
        """The room's move-in file, opened from this notice with its appointment day."""
        self.check("open_file", user)
        record = MoveIn.open(user, self.community, self.room_code, owner_name, owner_phone,
                             appointment_on=self.appointment_on)
        self.transition("open_file", user, values={"move_in": record}, checked=False)
        return record


declare(MoveInNotice, Workflow(AREA, [
    Step("book", ("issued",), "booked", label=_l("Book an appointment"), permission="action:book"),
    Step("open_file", ("issued", "booked"), "opened", label=_l("Open the move-in file"), permission="create"),
]))


def issue_notices(user, community, building_no: str = "", rooms_text: str = "") -> list:
    """Notices for the rooms of a building (those without a current archive or a notice yet) or for
    a typed list of rooms; an unknown room refuses the whole list, nothing is saved then."""
    from documents.places import Building
    authorize_area(AREA, "create", user, community, label=_l("Issue move-in notices"))
    if rooms_text.strip():
        rooms = _typed_rooms(community, rooms_text)
    elif building_no.strip():
        building = Building.objects(community=community, number=building_no.strip()).first()
        if building is None:
            raise DomainError(gettext("There is no building %(no)s.", no=building_no.strip()), field="building_no")
        occupied = {h.room.pk for h in Household.objects(community=community, status="current").only("room")}
        rooms = [r for r in Room.objects(building=building, use="residential").order_by("sort_key")
                 if r.pk not in occupied]
    else:
        raise DomainError(gettext("Choose a building or type the rooms."), field="building_no")
    if len(rooms) > MAX_NOTICES_AT_ONCE:
        raise DomainError(gettext("At most %(n)d notices at once.", n=MAX_NOTICES_AT_ONCE), field="rooms")
    noticed = {n.room.pk for n in MoveInNotice.objects(room__in=[r.pk for r in rooms]).only("room")}
    created, now = [], clock.now()
    for room in rooms:
        if room.pk in noticed:
            continue
        notice = MoveInNotice(community=community, room=room, room_code=room.code, building_no=room.building_no,
                              sort_key=room.sort_key, issued_at=now, issued_by_name=_name(user),
                              number=f"RH-{room.code}")
        notice.save_versioned(None)
        created.append(notice)
    if created:
        audit.record("issue_notices", created[0], note=", ".join(n.room_code for n in created)[:500], actor=user)
    return created


def _typed_rooms(community, text) -> list:
    rooms = []
    for part in text.replace("，", ",").replace("\n", ",").split(","):
        if not part.strip():
            continue
        code = parse_room_code(part)
        room = Room.objects(community=community, code=code).first() if code else None
        if room is None:
            raise DomainError(gettext("There is no room %(code)s.", code=code or part.strip()), field="rooms")
        rooms.append(room)
    return list({r.pk: r for r in rooms}.values())


audit.register_action_labels({"issue_notices": _l("Move-in notices issued")}, area=AREA,
                             collections=["move_in_notices"])

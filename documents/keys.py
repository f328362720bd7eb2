"""The key register (钥匙管理, seed 003 4.2/4.7, seed 000 ch. 2.3; DOMAIN.md "Keys").

**Key sets.** One `KeySet` per room and kind (entrance, mailbox, meter box, ...): a label code, the
number of keys, the cabinet and hook where it hangs, and its state:

    in_cabinet -issue (to the owner, at move-in)-> issued -return_from_owner-> in_cabinet
    in_cabinet -lend-> on_loan -take_back-> in_cabinet
    in_cabinet/issued -mark_lost-> lost   (a key lost on loan: taken back with a note first)
    any state but lost: check_label (the periodic label check), renew_label

Key sets come from the developer before move-in: `receive_from_developer` records one batch receipt
(`KeyReceipt`: building, who handed them over, when) and creates the building's key sets, each with
an id made from its room and kind, so a receipt entered twice creates nothing the second time.

**Issue** (`issue_to_owner`): once, to the household of the key set's room, with the owner's
identity checked and the owner's signature; the step is one conditional write on the key set's
state, so a double click issues once and a second issue is refused.

**Loans** (`KeyLoan`, 钥匙借用登记表): to an owner, a contractor, repair staff, the sales department
or someone else, with the borrower's name and ID number, the purpose and the expected return.
Contractors and repair staff return the same day: the loan is due at the end of the community's
local day and a later expected return is refused. The sales department needs its supervisor's
signature first: its loan waits in "awaiting signature" until the keeper records the signature
(`approve_loan`), and only then does the key leave the cabinet. A key on loan cannot be lent again:
taking the key out of the cabinet is one conditional write on the key set's state (in_cabinet ->
on_loan), so of twenty racing requests exactly one lends it. Every loan on loan is a clock on the
agenda (`KEY_LOAN_CLOCK`): the key keeper role answers for it (My work, overdue list), a breach
escalates to the supervisor at once (their My work shows the count), and each chase is recorded.

**Who**: only the key keeper roles (`app.permissions.KEY_KEEPER_ROLES`, the clerk by default) hold
the "keys" rights to receive, issue, lend, take back and check labels. Every movement is audited (the
workflow engine) and kept as a `KeyMovement`; the household's timeline shows the issue and the loans
of its room.
"""
import hashlib
from datetime import datetime, timedelta

from bson import ObjectId
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (BooleanField, DateTimeField, EmbeddedDocument,
                         EmbeddedDocumentListField, IntField, ReferenceField, StringField)
from mongoengine.errors import NotUniqueError

from app import clock
from app.permissions import KEY_KEEPER_ROLES
from documents import audit, timeline
from documents.agenda import ClockKind, Rung, declare_clocks
from documents.base import CommunityOwned, DomainError, Versioned
from documents.deadlines import end_of_local_day, local_date, zone_of
from documents.workflow import Step, Workflow, Workflowed, authorize_area, declare

AREA = "keys"

KEY_KINDS = [("entrance", _l("Entrance door")), ("mailbox", _l("Mailbox")), ("meter_box", _l("Meter box")),
             ("unit_door", _l("Unit (stairwell) door")), ("storeroom", _l("Storeroom")),
             ("garage", _l("Garage")), ("other", _l("Other key"))]
#: the short code of each kind on a label (1-1-101-E)
KIND_CODES = {"entrance": "E", "mailbox": "M", "meter_box": "B", "unit_door": "U", "storeroom": "S",
              "garage": "G", "other": "X"}
KEY_STATES = [("in_cabinet", _l("In the cabinet")), ("issued", _l("Issued to the owner")),
              ("on_loan", _l("On loan")), ("lost", _l("Lost"))]
LABEL_STATES = [("ok", _l("Label good")), ("damaged", _l("Label damaged")),
                ("unreadable", _l("Label unreadable"))]
#: the label states that put a key set on the list of labels to renew
RENEW_LABEL_STATES = ("damaged", "unreadable")
BORROWER_KINDS = [("owner", _l("Owner")), ("contractor", _l("Contractor")), ("repair_staff", _l("Repair staff")),
                  ("sales", _l("Sales department")), ("other", _l("Other borrower"))]
#: borrowers who return the key the same day (due at the end of the community's local day)
SAME_DAY_BORROWERS = ("contractor", "repair_staff")
#: borrowers whose loan needs their supervisor's signature before the key leaves the cabinet
SIGNATURE_BORROWERS = ("sales",)
LOAN_STATES = [("new", _l("New")), ("awaiting_signature", _l("Awaiting the supervisor's signature")),
               ("on_loan", _l("On loan")), ("returned", _l("Returned")), ("cancelled", _l("Cancelled"))]
MOVEMENT_KINDS = [("receive", _l("Received from the developer")), ("issue", _l("Issued to the owner")),
                  ("lend", _l("Lent")), ("return", _l("Returned")), ("lost", _l("Reported lost"))]
#: the most keys one set may hold
MAX_KEYS_PER_SET = 20


def _key(text: str) -> ObjectId:
    """A record id made from what makes the record unique: saving it twice is refused by the store."""
    return ObjectId(hashlib.sha1(text.encode()).digest()[:12])


def _name(user) -> str:
    return (getattr(user, "display_name", None) or getattr(user, "username", "") or "")[:60]


def _clean(text, limit: int) -> str:
    return (text or "").strip()[:limit]


def community_today(community):
    return local_date(clock.now(), zone_of(community))


def end_of_today(community) -> datetime:
    """The end of the community's local day (23:59:59 local, as naive UTC): when a same-day loan is due."""
    return end_of_local_day(community_today(community), zone_of(community))


def current_household(room):
    from documents.residents import Household
    if room is None:
        return None
    return Household.objects(room=room, status="current").first()


def find_room(community, room_code: str, field: str = "room_code"):
    """The community's room with this code (1-1-101), or a DomainError on `field`."""
    from documents.places import Room
    code = (room_code or "").strip()
    if not code:
        raise DomainError(gettext("Enter the room code, e.g. 1-1-101."), field=field)
    room = Room.objects(community=community, code=code).first()
    if room is None:
        raise DomainError(gettext("There is no room %(code)s in this community.", code=code), field=field)
    return room


class KeyReceipt(CommunityOwned):
    """A batch of key sets received from the developer for one building (before move-in)."""
    building = ReferenceField("Building", required=True, verbose_name=_l("Building"))
    building_no = StringField(max_length=10, verbose_name=_l("Building no."))
    received_from = StringField(required=True, max_length=60, verbose_name=_l("Handed over by (developer)"))
    received_at = DateTimeField(required=True, verbose_name=_l("Received on"))
    received_by = StringField(max_length=60, verbose_name=_l("Received by"))
    sets_created = IntField(default=0, verbose_name=_l("Key sets registered"))
    note = StringField(max_length=500, verbose_name=_l("Note"))

    meta = {"collection": "key_receipts", "indexes": [("community", "-received_at"), "building"],
            "ordering": ["-received_at"]}

    def __str__(self):
        return f"{self.building_no or ''} {self.received_from or ''}".strip()


class KeySet(CommunityOwned, Versioned, Workflowed):
    """One room's keys of one kind, with its label, where it hangs and who has it."""
    room = ReferenceField("Room", required=True, verbose_name=_l("Room"))
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    building_no = StringField(max_length=10, verbose_name=_l("Building no."))
    sort_key = StringField()
    label_code = StringField(max_length=40, verbose_name=_l("Label code"))    # clean(): room and kind by default
    kind = StringField(choices=KEY_KINDS, default="entrance", verbose_name=_l("Key kind"))
    count = IntField(required=True, min_value=1, max_value=MAX_KEYS_PER_SET, default=1,
                     verbose_name=_l("Number of keys"))
    cabinet = StringField(max_length=20, verbose_name=_l("Cabinet"))
    hook = StringField(max_length=20, verbose_name=_l("Hook"))
    state = StringField(choices=KEY_STATES, default="in_cabinet", verbose_name=_l("State"))
    receipt = ReferenceField(KeyReceipt, verbose_name=_l("Batch receipt"))
    received_from = StringField(max_length=60, verbose_name=_l("Handed over by (developer)"))
    received_at = DateTimeField(verbose_name=_l("Received on"))
    household = ReferenceField("Household", verbose_name=_l("Issued to household"))
    issued_at = DateTimeField(verbose_name=_l("Issued on"))
    issued_by = StringField(max_length=60, verbose_name=_l("Issued by"))
    issued_signed_by = StringField(max_length=60, verbose_name=_l("Signed for by"))
    identity_checked = BooleanField(default=False, verbose_name=_l("Identity checked"))
    current_loan = ReferenceField("KeyLoan", verbose_name=_l("Current loan"))
    label_state = StringField(choices=LABEL_STATES, default="ok", verbose_name=_l("Label"))
    label_checked_at = DateTimeField(verbose_name=_l("Label checked on"))
    label_checked_by = StringField(max_length=60, verbose_name=_l("Label checked by"))
    label_note = StringField(max_length=200, verbose_name=_l("Label note"))
    lost_note = StringField(max_length=500, verbose_name=_l("How it was lost"))

    meta = {"collection": "key_sets",
            "indexes": [{"fields": ["community", "label_code"], "unique": True},
                        ("community", "state", "sort_key"), ("community", "building_no", "sort_key"),
                        ("community", "kind"), ("community", "label_state"), ("community", "room_code"), "room",
                        "household"],
            "ordering": ["sort_key", "kind"]}

    def __str__(self):
        return f"{self.label_code or ''} {self.kind_label}".strip()

    @property
    def kind_label(self) -> str:
        return str(dict(KEY_KINDS).get(self.kind, self.kind or ""))

    @property
    def place(self) -> str:
        return " / ".join(x for x in (self.cabinet, self.hook) if x)

    def clean(self):
        if self.pk is not None and self.state != "in_cabinet" and "room" in (self._get_changed_fields() or []):
            raise DomainError(gettext("Only keys in the cabinet may be moved to another room."), field="room_code")
        if self.room is not None:
            self.room_code, self.building_no = self.room.code, self.room.building_no
            self.sort_key = f"{self.room.sort_key or self.room.code}:{self.kind}"
            if self.community is None:
                self.community = self.room.community
        self.label_code = _clean(self.label_code, 40).upper()
        if not self.label_code and self.room_code:
            self.label_code = f"{self.room_code}-{KIND_CODES.get(self.kind, 'X')}"
        if self.pk is not None or self.label_code:
            clash = KeySet.objects(community=self.community, label_code=self.label_code, pk__ne=self.pk).first() \
                if self.community is not None else None
            if clash is not None:
                from mongoengine import ValidationError
                raise ValidationError(errors={"label_code": ValidationError(gettext(
                    "The label code %(code)s is already on key set %(other)s.", code=self.label_code,
                    other=clash.room_code or ""))})

    # --- steps (declared below: the engine checks role, community and state in one write) ---
    def check_label(self, user, label_state: str, note: str = ""):
        """The periodic label check: the label is good, damaged or unreadable (then to renew)."""
        self.check("check_label", user)
        if label_state not in dict(LABEL_STATES):
            raise DomainError(gettext("Choose the state of the label."), field="label_state")
        return self.transition("check_label", user, checked=False, values={
            "label_state": label_state, "label_checked_at": clock.now(), "label_checked_by": _name(user),
            "label_note": _clean(note, 200) or None})

    def renew_label(self, user):
        """A new label has been printed and fixed on the keys."""
        self.check("renew_label", user)
        if self.label_state not in RENEW_LABEL_STATES:
            raise DomainError(gettext("This label is not marked damaged or unreadable."), field="label_state")
        return self.transition("renew_label", user, checked=False, values={
            "label_state": "ok", "label_checked_at": clock.now(), "label_checked_by": _name(user),
            "label_note": None})

    def return_from_owner(self, user, note: str = ""):
        """Keys issued to the owner come back into the cabinet (a move-in handover undone, a sale
        fallen through): the issue is cleared, the movement recorded with the reason."""
        self.check("return_from_owner", user)
        note = _clean(note, 300)
        if not note:
            raise DomainError(gettext("Say why the owner's keys come back to the cabinet."), field="note")
        household = self.household
        self.transition("return_from_owner", user, checked=False, note=note, values={
            "household": None, "issued_at": None, "issued_by": None, "issued_signed_by": None,
            "identity_checked": False})
        _movement("return", self, user, household=household, note=note, key=f"return-owner:{self.pk}:{self.version}")
        return self

    def mark_lost(self, user, note: str):
        self.check("mark_lost", user)
        note = _clean(note, 500)
        if not note:
            raise DomainError(gettext("Say how the keys were lost."), field="note")
        self.transition("mark_lost", user, checked=False, values={"lost_note": note})
        _movement("lost", self, user, note=note)
        return self


class KeyMovement(CommunityOwned):
    """One movement of a key set (received, issued, lent, returned, lost): the register's history."""
    key_set = ReferenceField(KeySet, required=True, verbose_name=_l("Key set"))
    label_code = StringField(max_length=40, verbose_name=_l("Label code"))
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    kind = StringField(choices=MOVEMENT_KINDS, required=True, verbose_name=_l("Movement"))
    at = DateTimeField(required=True, verbose_name=_l("Time"))
    actor = ReferenceField("Staff", verbose_name=_l("By"))
    actor_name = StringField(max_length=60, verbose_name=_l("By"))
    household = ReferenceField("Household", verbose_name=_l("Household"))
    loan = ReferenceField("KeyLoan", verbose_name=_l("Loan"))
    person = StringField(max_length=60, verbose_name=_l("Signed / borrowed by"))
    note = StringField(max_length=500, verbose_name=_l("Note"))

    meta = {"collection": "key_movements", "indexes": [("key_set", "-at"), ("community", "-at"), ("community", "kind"),
                                                       ("community", "label_code"), ("community", "room_code"),
                                                       "household"],
            "ordering": ["-at"]}

    def __str__(self):
        return f"{self.label_code or ''} {self.kind_label}".strip()

    @property
    def kind_label(self) -> str:
        return str(dict(MOVEMENT_KINDS).get(self.kind, self.kind or ""))


def _movement(kind, key_set, user, household=None, loan=None, person=None, note=None, key=None) -> KeyMovement:
    """Record a movement; `key` makes its id (a movement that happens once is stored once)."""
    movement = KeyMovement(community=key_set.community, key_set=key_set, label_code=key_set.label_code,
                           room_code=key_set.room_code, kind=kind, at=clock.now(), actor=user,
                           actor_name=_name(user), household=household, loan=loan, person=person, note=note)
    if key:
        movement.id = _key(key)
        try:
            movement.save(force_insert=True)
        except NotUniqueError:
            return KeyMovement.objects(pk=movement.id).first()
        return movement
    return movement.save()


class Chase(EmbeddedDocument):
    """One chase of an overdue loan: who called or went, when, and what was said."""
    at = DateTimeField(required=True, verbose_name=_l("Chased on"))
    by = StringField(max_length=60, verbose_name=_l("Chased by"))
    note = StringField(max_length=500, verbose_name=_l("Note"))


class KeyLoan(CommunityOwned, Versioned, Workflowed):
    """A loan of a key set (钥匙借用登记表): to whom, why, until when; returned or still out."""
    key_set = ReferenceField(KeySet, required=True, verbose_name=_l("Key set"))
    label_code = StringField(max_length=40, verbose_name=_l("Label code"))
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    building_no = StringField(max_length=10, verbose_name=_l("Building no."))
    key_kind = StringField(choices=KEY_KINDS, verbose_name=_l("Key kind"))
    key_count = IntField(verbose_name=_l("Number of keys"))
    household = ReferenceField("Household", verbose_name=_l("Household of the room"))
    borrower_name = StringField(required=True, max_length=60, verbose_name=_l("Borrower"))
    borrower_id_number = StringField(required=True, max_length=30, verbose_name=_l("Borrower's ID number"))
    borrower_kind = StringField(choices=BORROWER_KINDS, required=True, verbose_name=_l("Borrower is"))
    purpose = StringField(required=True, max_length=300, verbose_name=_l("Purpose"))
    expected_return_at = DateTimeField(required=True, verbose_name=_l("Expected return"))
    state = StringField(choices=LOAN_STATES, default="new", verbose_name=_l("State"))
    requested_at = DateTimeField(verbose_name=_l("Registered on"))
    lent_at = DateTimeField(verbose_name=_l("Lent on"))
    lent_by = ReferenceField("Staff", verbose_name=_l("Lent by"))
    lent_by_name = StringField(max_length=60, verbose_name=_l("Lent by"))
    signed_by = StringField(max_length=60, verbose_name=_l("Supervisor's signature"))
    signature_recorded_by = StringField(max_length=60, verbose_name=_l("Signature recorded by"))
    returned_at = DateTimeField(verbose_name=_l("Returned on"))
    returned_to = StringField(max_length=60, verbose_name=_l("Taken back by"))
    return_note = StringField(max_length=300, verbose_name=_l("Return note"))
    chases = EmbeddedDocumentListField(Chase, verbose_name=_l("Chases"))

    meta = {"collection": "key_loans",
            "indexes": [("community", "state", "expected_return_at"), ("key_set", "-requested_at"),
                        ("community", "-requested_at"), ("community", "label_code"), ("community", "room_code"),
                        ("community", "borrower_name"), ("community", "borrower_kind"), ("community", "building_no"),
                        ("community", "lent_at"), "household"],
            "ordering": ["-requested_at"]}

    def __str__(self):
        return f"{self.label_code or ''} {self.borrower_name or ''}".strip()

    @property
    def borrower_kind_label(self) -> str:
        return str(dict(BORROWER_KINDS).get(self.borrower_kind, self.borrower_kind or ""))

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.state == "on_loan" and self.expected_return_at is not None \
            and self.expected_return_at < (now or clock.now())

    # --- steps (the step pages call these; the module's functions hold the rules) ---
    def approve(self, user, signed_by: str):
        return approve_loan(self, user, signed_by)

    def return_key(self, user, note: str = ""):
        return return_key(self, user, note)

    def cancel(self, user, reason: str = ""):
        return cancel_request(self, user, reason)

    def chase(self, user, note: str):
        """Record a chase of an overdue loan (who, when, what was said)."""
        self.check("chase", user)
        note = _clean(note, 500)
        if not note:
            raise DomainError(gettext("Write what was done to get the key back."), field="note")
        if not self.is_overdue():
            raise DomainError(gettext("This loan is not overdue yet."), field="note")
        return self.transition("chase", user, checked=False, note=note,
                               ops={"push__chases": Chase(at=clock.now(), by=_name(user), note=note)})


# --- the interface: receive, issue, lend, sign, return ---

def receive_from_developer(actor, building, received_from: str, received_at: datetime | None,
                           kinds: dict, cabinet: str = "", note: str = "") -> KeyReceipt:
    """The batch receipt of a building's keys from the developer: one key set per room and kind
    (`kinds`: {kind: number of keys}), labelled <room>-<kind code>, hung in `cabinet` on hooks
    numbered in room order. A room that already has a key set of a kind keeps it."""
    from documents.places import Room
    community = building.community
    authorize_area(AREA, "action:receive", actor, community, label=_l("Receive keys from the developer"))
    received_from = _clean(received_from, 60)
    if not received_from:
        raise DomainError(gettext("Write who handed the keys over for the developer."), field="received_from")
    now = clock.now()
    received_at = received_at or now
    if received_at > now:
        raise DomainError(gettext("Keys cannot be received in the future."), field="received_at")
    kinds = {kind: int(count) for kind, count in (kinds or {}).items() if count}
    if not kinds:
        raise DomainError(gettext("Give the number of keys of at least one kind."), field="kinds")
    for kind, count in kinds.items():
        if kind not in KIND_CODES:
            raise DomainError(gettext("Unknown key kind."), field="kinds")
        if not 1 <= count <= MAX_KEYS_PER_SET:
            raise DomainError(gettext("A key set holds 1 to %(n)d keys.", n=MAX_KEYS_PER_SET), field="kinds")
    receipt = KeyReceipt(community=community, building=building, building_no=building.number,
                         received_from=received_from, received_at=received_at, received_by=_name(actor),
                         note=_clean(note, 500) or None).save()
    created = 0
    rooms = Room.objects(building=building).order_by("sort_key")
    for hook, room in enumerate(rooms, start=1):
        for kind, count in kinds.items():
            key_set = KeySet(id=_key(f"keyset:{room.pk}:{kind}"), community=community, room=room,
                             label_code=f"{room.code}-{KIND_CODES[kind]}", kind=kind, count=count,
                             cabinet=_clean(cabinet, 20) or None, hook=str(hook), state="in_cabinet",
                             receipt=receipt, received_from=received_from, received_at=received_at, version=1)
            key_set.clean()
            try:
                key_set.save(force_insert=True, validate=False)
            except NotUniqueError:
                continue                    # already registered (a receipt entered twice)
            created += 1
            audit.record("create", key_set, audit.diff({}, audit.snapshot(key_set)), actor=actor,
                         note=gettext("Received from %(who)s", who=received_from))
            _movement("receive", key_set, actor, person=received_from)
    receipt.sets_created = created
    receipt.save()
    audit.record("create", receipt, audit.diff({}, audit.snapshot(receipt)), actor=actor)
    return receipt


def issue_to_owner(key_set: KeySet, household, actor, identity_checked: bool, signed_by: str) -> KeyMovement:
    """Hand the key set to the owner at move-in (step 5), once: the owner's identity checked and
    their signature. A second issue (or a double click) is refused; nothing is written then."""
    key_set.authorize(key_set.workflow["issue"], actor)
    if key_set.state == "issued":
        raise DomainError(gettext("These keys were already issued to the owner (signed for by %(name)s); a key "
                                  "set is issued once.", name=key_set.issued_signed_by or "—"), field="label_code")
    key_set.check("issue", actor)
    if household is None:
        raise DomainError(gettext("Room %(room)s has no current household to issue the keys to.",
                                  room=key_set.room_code), field="signed_by")
    if getattr(household, "room", None) is None \
            or household.room.pk != key_set.room.pk:
        raise DomainError(gettext("These keys are for room %(room)s, not for this household.",
                                  room=key_set.room_code), field="household")
    if not identity_checked:
        raise DomainError(gettext("Check the owner's identity (original ID card) before handing over keys."),
                          field="identity_checked")
    signed_by = _clean(signed_by, 60)
    if not signed_by:
        raise DomainError(gettext("The owner signs for the keys: write the name of who signed."),
                          field="signed_by")
    key_set.transition("issue", actor, checked=False, values={
        "household": household, "issued_at": clock.now(), "issued_by": _name(actor),
        "issued_signed_by": signed_by, "identity_checked": True},
        note=gettext("Signed for by %(name)s", name=signed_by))
    return _movement("issue", key_set, actor, household=household, person=signed_by,
                     key=f"issue:{key_set.pk}:{key_set.version}")


def _check_borrower(key_set, borrower_name, borrower_id_number, borrower_kind, purpose, expected_return_at):
    name, id_number, purpose = _clean(borrower_name, 60), _clean(borrower_id_number, 30).upper(), _clean(purpose, 300)
    if borrower_kind not in dict(BORROWER_KINDS):
        raise DomainError(gettext("Choose who borrows the key."), field="borrower_kind")
    if not name:
        raise DomainError(gettext("Write the borrower's name."), field="borrower_name")
    if len(id_number) < 4:
        raise DomainError(gettext("Check the borrower's ID and write its number."), field="borrower_id_number")
    if not purpose:
        raise DomainError(gettext("Write what the key is borrowed for."), field="purpose")
    now = clock.now()
    if borrower_kind in SAME_DAY_BORROWERS and expected_return_at is None:
        expected_return_at = end_of_today(key_set.community)
    if expected_return_at is None:
        raise DomainError(gettext("Enter when the key will be returned."), field="expected_return_at")
    if expected_return_at <= now:
        raise DomainError(gettext("The expected return is in the past."), field="expected_return_at")
    if borrower_kind in SAME_DAY_BORROWERS and expected_return_at > end_of_today(key_set.community):
        raise DomainError(gettext("Contractors and repair staff return keys the same day: the expected return "
                                  "must be today, by the end of the day."), field="expected_return_at")
    return name, id_number, purpose, expected_return_at


def _require_in_cabinet(key_set: KeySet):
    if key_set.state == "on_loan":
        loan = key_set.current_loan
        raise DomainError(gettext("This key is already on loan (to %(who)s); it cannot be lent again.",
                                  who=getattr(loan, "borrower_name", "") or "—"), field="label_code")
    if key_set.state != "in_cabinet":
        raise DomainError(gettext("This key is not in the cabinet (it is “%(state)s”).",
                                  state=key_set.state_label), field="label_code")


def lend(key_set: KeySet, actor, borrower_name: str, borrower_id_number: str, borrower_kind: str,
         purpose: str, expected_return_at: datetime | None) -> "KeyLoan":
    """Register a loan. Most borrowers take the key now (one conditional write on the key set: of
    racing requests one lends it, the others are refused and leave nothing); the sales department's
    loan waits for its supervisor's signature (`approve_loan`) with the key still in the cabinet."""
    key_set.authorize(key_set.workflow["lend"], actor)
    _require_in_cabinet(key_set)
    key_set.check("lend", actor)
    name, id_number, purpose, due = _check_borrower(key_set, borrower_name, borrower_id_number, borrower_kind,
                                                    purpose, expected_return_at)
    loan = KeyLoan(community=key_set.community, key_set=key_set, label_code=key_set.label_code,
                   room_code=key_set.room_code, building_no=key_set.building_no, key_kind=key_set.kind,
                   key_count=key_set.count, household=current_household(key_set.room), borrower_name=name,
                   borrower_id_number=id_number, borrower_kind=borrower_kind, purpose=purpose,
                   expected_return_at=due, state="new", requested_at=clock.now(), version=1)
    loan.save(force_insert=True)
    if borrower_kind in SIGNATURE_BORROWERS:
        return loan.transition("request", actor)
    try:
        _take_out(key_set, loan, actor)
    except DomainError:
        loan.delete()
        raise
    return loan.transition("lend", actor, values={"lent_at": clock.now(), "lent_by": actor,
                                                  "lent_by_name": _name(actor)})


def _take_out(key_set: KeySet, loan: KeyLoan, actor):
    """The key leaves the cabinet: one conditional write on the key set's state."""
    try:
        key_set.transition("lend", actor, values={"current_loan": loan},
                           note=gettext("Lent to %(who)s", who=loan.borrower_name))
    except DomainError:
        fresh = KeySet.objects(pk=key_set.pk).first()
        if fresh is not None:
            _require_in_cabinet(fresh)
        raise
    _movement("lend", key_set, actor, household=loan.household, loan=loan, person=loan.borrower_name,
              note=loan.purpose, key=f"lend:{loan.pk}")


def approve_loan(loan: KeyLoan, actor, signed_by: str) -> KeyLoan:
    """The sales department's supervisor has signed the loan form: record the signature, and the
    key leaves the cabinet (refused if someone else has it meanwhile)."""
    loan.check("approve", actor)
    signed_by = _clean(signed_by, 60)
    if not signed_by:
        raise DomainError(gettext("Write the name of the supervisor who signed."), field="signed_by")
    if loan.expected_return_at <= clock.now():
        raise DomainError(gettext("The expected return is in the past."), field="expected_return_at")
    key_set = KeySet.objects(pk=loan.key_set.pk).first()
    _require_in_cabinet(key_set)
    _take_out(key_set, loan, actor)
    try:
        return loan.transition("approve", actor, checked=False, values={
            "signed_by": signed_by, "signature_recorded_by": _name(actor), "lent_at": clock.now(),
            "lent_by": actor, "lent_by_name": _name(actor)}, note=gettext("Signed by %(name)s", name=signed_by))
    except DomainError:
        key_set.transition("take_back", actor, values={"current_loan": None})
        raise


def cancel_request(loan: KeyLoan, actor, reason: str = "") -> KeyLoan:
    """A sales loan that was not signed is dropped."""
    return loan.transition("cancel", actor, note=_clean(reason, 300) or None)


def return_key(loan: KeyLoan, actor, note: str = "") -> KeyLoan:
    """The key is back in the cabinet: the loan is returned (its clock met or breached) once."""
    if loan is None or loan.state != "on_loan":
        raise DomainError(gettext("This key is not on loan: there is nothing to take back."), field="label_code")
    loan.check("return_key", actor)
    loan.transition("return_key", actor, checked=False, values={
        "returned_at": clock.now(), "returned_to": _name(actor), "return_note": _clean(note, 300) or None})
    key_set = KeySet.objects(pk=loan.key_set.pk).first()
    if key_set is not None and key_set.state == "on_loan" and key_set.current_loan \
            and key_set.current_loan.pk == loan.pk:
        key_set.transition("take_back", actor, values={"current_loan": None},
                           note=gettext("Returned by %(who)s", who=loan.borrower_name))
        _movement("return", key_set, actor, household=loan.household, loan=loan, person=loan.borrower_name,
                  key=f"return:{loan.pk}")
    return loan


def issuable_key_sets(room) -> list:
    """The room's key sets still in the cabinet: what the move-in step hands over."""
    return list(KeySet.objects(room=getattr(room, "pk", room), state="in_cabinet").order_by("kind"))


def return_by_label(community, label_code: str, actor, note: str = "") -> KeyLoan:
    """Take back the key set with this label (the return form): refused when it is not on loan."""
    key_set = find_key_set(community, label_code)
    if key_set.state != "on_loan" or key_set.current_loan is None:
        raise DomainError(gettext("This key is not on loan: there is nothing to take back."), field="label_code")
    return return_key(key_set.current_loan, actor, note)


def find_key_set(community, label_code: str) -> KeySet:
    code = _clean(label_code, 40).upper()
    if not code:
        raise DomainError(gettext("Enter the label code."), field="label_code")
    key_set = KeySet.objects(community=community, label_code=code).first()
    if key_set is None:
        raise DomainError(gettext("There is no key set with the label %(code)s.", code=code), field="label_code")
    return key_set


# --- what the lists ask ---

def overdue_loans(user=None, community=None, now: datetime | None = None):
    query = KeyLoan.objects(state="on_loan", expected_return_at__lt=now or clock.now())
    if community is not None:
        query = query.filter(community=community)
    return query.for_user(user) if user is not None else query


def overdue_count(user=None, community=None, now: datetime | None = None) -> int:
    """How many loans are overdue (the keeper's supervisor sees this number)."""
    return overdue_loans(user, community, now).count()


def labels_to_renew(user=None, community=None):
    query = KeySet.objects(label_state__in=list(RENEW_LABEL_STATES), state__ne="lost")
    if community is not None:
        query = query.filter(community=community)
    return query.for_user(user) if user is not None else query


# --- declarations ---

declare(KeySet, Workflow(AREA, [
    Step("issue", ("in_cabinet",), "issued", label=_l("Issue keys to the owner"),
         needs=_l("Only keys in the cabinet can be issued; a key set is issued once."), page=False),
    Step("lend", ("in_cabinet",), "on_loan", label=_l("Lend key"),
         needs=_l("Only a key in the cabinet can be lent."), page=False),
    Step("return_from_owner", ("issued",), "in_cabinet", label=_l("Keys returned by the owner"),
         permission="action:return_key", needs=_l("Only keys issued to the owner are returned by the owner.")),
    Step("take_back", ("on_loan",), "in_cabinet", label=_l("Take key back"), permission="action:return_key",
         needs=_l("Only a key on loan can be taken back."), page=False),
    Step("mark_lost", ("in_cabinet", "issued"), "lost", label=_l("Report keys lost"),
         needs=_l("A key on loan is taken back first (with a note that it was lost), then reported lost.")),
    Step("check_label", ("in_cabinet", "on_loan", "issued"), None, label=_l("Check label")),
    Step("renew_label", ("in_cabinet", "on_loan", "issued"), None, label=_l("Label renewed")),
]))

declare(KeyLoan, Workflow(AREA, [
    Step("request", ("new",), "awaiting_signature", label=_l("Loan registered, awaiting signature"),
         permission="action:lend", page=False),
    Step("lend", ("new",), "on_loan", label=_l("Lend key"), page=False),
    Step("approve", ("awaiting_signature",), "on_loan", label=_l("Record supervisor's signature"),
         needs=_l("Only a sales department loan waits for a signature.")),
    Step("cancel", ("awaiting_signature",), "cancelled", label=_l("Cancel loan request"),
         permission="action:lend", needs=_l("Only a loan not yet handed out can be cancelled.")),
    Step("return_key", ("on_loan",), "returned", label=_l("Take key back"),
         needs=_l("Only a key on loan can be taken back.")),
    Step("chase", ("on_loan",), None, label=_l("Chase overdue key"),
         needs=_l("Only a key still on loan is chased.")),
]))

KEY_LOAN_CLOCK, = declare_clocks(KeyLoan, [
    ClockKind("key_loan", _l("Key loan: due back"), ("on_loan",), "expected_return_at",
              done_field="returned_at", role=KEY_KEEPER_ROLES[0], roles=KEY_KEEPER_ROLES,
              ladder=(Rung(1, timedelta(0), "supervisor", _l("Overdue key loan: supervisor told")),)),
], area=AREA, endpoint="key_loans.details_view")


@timeline.register
def _key_events(household):
    """The key sets issued to the household and the loans of its room's keys."""
    items = []
    query = audit.AuditEntry.objects(collection__in=["key_sets", "key_loans"], household=household)
    for entry in query.order_by("-at").limit(100):
        loan = entry.collection == "key_loans"
        items.append(timeline.TimelineItem(
            at=entry.at, kind=str(_l("Keys")), title=audit.action_label(entry),
            actor=entry.actor_name or "", detail=" ".join(x for x in (entry.record_label, entry.note) if x),
            endpoint="key_loans.details_view" if loan else "key_sets.details_view",
            url_args={"id": entry.record_id}))
    return items


__all__ = ["KeySet", "KeyLoan", "KeyMovement", "KeyReceipt", "issue_to_owner", "issuable_key_sets", "lend", "approve_loan",
           "return_key", "return_by_label", "receive_from_developer", "overdue_loans", "overdue_count",
           "labels_to_renew", "find_room", "find_key_set", "KEY_KINDS", "BORROWER_KINDS", "KEY_STATES",
           "SAME_DAY_BORROWERS", "SIGNATURE_BORROWERS", "KEY_LOAN_CLOCK"]

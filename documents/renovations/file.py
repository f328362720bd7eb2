"""Renovation files (装修): the file, its workflow and its main steps.

    draft -> submitted -> flat inspection (failed -> repaired and re-inspected) -> passed
          -> approved (permit number) | rejected (reason)
          -> fees and deposit paid (the cashier's receipt) -> work in progress (room "renovating")
          -> initial inspection (room back) -> final inspection (failed with items -> re-inspected)
          -> passed -> [refund approved by the manager, above the community's limit]
          -> deposit refunded (receipt) -> archived

The steps are declared once, as data, at the end of this module (documents/workflow.py does the
checks - role, community, own buildings for housekeepers, state, what must happen first - and the
one conditional write with its audit entry). Each step method keeps only the checks of its own data.
Permits, patrols, fees, the deposit's refund and attachments live in their own modules and are
mixed into the Renovation document.
"""
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import (DateField, DateTimeField, EmbeddedDocumentField, EmbeddedDocumentListField,
                         ReferenceField, StringField, ValidationError)

from app import clock
from documents import audit, timeline
from documents.base import CommunityOwned, DomainError, PermissionDenied, Versioned
from documents.money import MoneyField, to_money
from documents.places import ROOM_STATUSES, Room
from documents.renovations.attachments import ATTACHMENT_KINDS, AttachmentSteps
from documents.renovations.common import (ALL_STATES, AREA, OPEN_STATES, PAYMENT_METHODS, PHASES,
                                          REFUND_METHODS, STATES, amount_problem, as_date, lines, list_text,
                                          local_today, new_key, phase_label)
from documents.renovations.fees import FeeSteps
from documents.renovations.parts import Contractor, Inspection, InspectionItem, OtherFee, Worker
from documents.renovations.patrols import Patrol, PatrolSteps, next_patrol_due
from documents.renovations.permits import Permit, PermitSteps
from documents.renovations.refund import DepositSteps, above_limit, approved_if_above_limit
from documents.residents import Household
from documents.sequences import Sequence
from documents.validators import normalise_phone, validate_mobile
from documents.workflow import ANY, Step, Workflow, Workflowed, declare
from documents.agenda import ClockKind, Rung, declare_clocks
from documents.deadlines import end_of_local_day, zone_of

#: the fields that may still be edited, by state (the edit form obeys this)
ALL_DATA_FIELDS = frozenset({"household", "applicant", "applicant_phone", "contractor", "workers", "scope",
                             "planned_start", "planned_end", "deposit", "management_fee", "other_fees",
                             "agreement_signed_on", "notes"})
WORK_DATA_FIELDS = frozenset({"contractor", "workers", "planned_end", "notes"})
EDITABLE = {"draft": ALL_DATA_FIELDS, "submitted": ALL_DATA_FIELDS, "flat_failed": ALL_DATA_FIELDS,
            "flat_passed": ALL_DATA_FIELDS, **{state: WORK_DATA_FIELDS for state in (
                "approved", "fees_paid", "in_progress", "initial_inspected", "final_failed", "final_passed",
                "refund_approved")}}


class Renovation(PermitSteps, PatrolSteps, FeeSteps, DepositSteps, AttachmentSteps,
                 CommunityOwned, Versioned, Workflowed):
    household = ReferenceField(Household, required=True, verbose_name=_l("Household"))
    room = ReferenceField(Room, verbose_name=_l("Room"))
    building_no = StringField(verbose_name=_l("Building no."))
    room_code = StringField(verbose_name=_l("Room"))
    sort_key = StringField()
    applicant = StringField(max_length=60, verbose_name=_l("Applicant"))  # default: the household's name
    applicant_phone = StringField(max_length=20, validation=validate_mobile,
                                  verbose_name=_l("Applicant's phone"))
    contractor = EmbeddedDocumentField(Contractor, verbose_name=_l("Contractor"))
    contractor_company = StringField(verbose_name=_l("Contractor"))
    workers = EmbeddedDocumentListField(Worker, verbose_name=_l("Workers"))
    scope = StringField(required=True, max_length=2000, verbose_name=_l("Scope of work"))
    planned_start = DateField(required=True, verbose_name=_l("Planned start"))
    planned_end = DateField(required=True, verbose_name=_l("Planned end"))
    deposit = MoneyField(required=True, verbose_name=_l("Renovation deposit"))
    management_fee = MoneyField(default=Decimal("0.00"), verbose_name=_l("Renovation management fee"))
    other_fees = EmbeddedDocumentListField(OtherFee, verbose_name=_l("Other fees"))
    agreement_signed_on = DateField(verbose_name=_l("Agreement signed on"))
    notes = StringField(max_length=2000, verbose_name=_l("Notes"))

    state = StringField(choices=STATES, default="draft", required=True, verbose_name=_l("State"))
    phase = StringField(choices=PHASES, verbose_name=_l("Phase"))
    phase_since = DateField(verbose_name=_l("Phase since"))
    installation_on = DateField(verbose_name=_l("Installation day"))
    next_patrol_due = DateField(verbose_name=_l("Next patrol due"))
    created_at = DateTimeField(verbose_name=_l("Created at"))
    submitted_at = DateTimeField(verbose_name=_l("Submitted at"))
    flat_passed_on = DateField(verbose_name=_l("Flat inspection passed on"))
    approved_at = DateTimeField(verbose_name=_l("Approved at"))
    approved_by_name = StringField(verbose_name=_l("Approved by"))
    permit_no = StringField(verbose_name=_l("Permit no."))
    rejected_at = DateTimeField(verbose_name=_l("Rejected at"))
    rejected_reason = StringField(max_length=1000, verbose_name=_l("Reason for rejection"))
    started_on = DateField(verbose_name=_l("Work started on"))
    finished_on = DateField(verbose_name=_l("Work finished on"))
    final_passed_on = DateField(verbose_name=_l("Final inspection passed on"))
    archived_at = DateTimeField(verbose_name=_l("Archived at"))
    room_status_before = StringField(choices=ROOM_STATUSES, verbose_name=_l("Room status before the work"))

    inspections = EmbeddedDocumentListField(Inspection, verbose_name=_l("Inspections"))
    patrols = EmbeddedDocumentListField(Patrol, verbose_name=_l("Patrols"))
    permits = EmbeddedDocumentListField(Permit, verbose_name=_l("Permits"))

    fees_paid_at = DateTimeField(verbose_name=_l("Fees paid at"))
    fees_method = StringField(choices=PAYMENT_METHODS, verbose_name=_l("Payment method"))
    fees_paid_by = StringField(max_length=60, verbose_name=_l("Paid by"))
    fees_received_by = ReferenceField("Staff", verbose_name=_l("Received by"))
    fees_received_by_name = StringField(verbose_name=_l("Received by"))
    fees_receipt_no = StringField(verbose_name=_l("Fee receipt no."))
    deposit_received_on = DateField(verbose_name=_l("Deposit received on"))

    refund_approved_at = DateTimeField(verbose_name=_l("Refund approved at"))
    refund_approved_by_name = StringField(verbose_name=_l("Refund approved by"))
    refund_amount = MoneyField(verbose_name=_l("Amount refunded"))
    refund_deductions = MoneyField(verbose_name=_l("Deductions"))
    refund_method = StringField(choices=REFUND_METHODS, verbose_name=_l("Refund method"))
    refund_paid_to = StringField(max_length=60, verbose_name=_l("Paid to"))
    refund_by = ReferenceField("Staff", verbose_name=_l("Refunded by"))
    refund_by_name = StringField(verbose_name=_l("Refunded by"))
    refund_at = DateTimeField(verbose_name=_l("Refunded at"))
    refund_receipt_no = StringField(verbose_name=_l("Receipt no."))

    meta = {
        "collection": "renovations",
        "indexes": [("community", "state"), ("community", "building_no"), ("community", "room_code"),
                    ("community", "sort_key"), ("community", "phase"), ("community", "next_patrol_due"),
                    ("community", "contractor_company"), ("community", "applicant"),
                    ("community", "planned_start"), ("community", "planned_end"),
                    ("community", "created_at"), ("community", "permit_no"), "household", "room"],
        "ordering": ["-created_at"],
    }

    # ---- display ----
    def __str__(self):
        label = self.permit_no or gettext("Renovation application")
        return f"{self.room_code or ''} {label}".strip()

    @property
    def phase_label(self):
        return phase_label(self.phase)

    @property
    def permit_printable(self) -> bool:
        """The renovation permit is handed over once the fees and deposit are paid."""
        return bool(self.permit_no) and self.state != "approved"

    # ---- derived data ----
    def clean(self):
        self._take_household()
        if self.applicant_phone:
            self.applicant_phone = normalise_phone(self.applicant_phone)
        self.contractor_company = (self.contractor.company or "").strip() if self.contractor else None
        self._check_amounts()
        self._check_plan()
        if self.created_at is None:
            now = clock.now()  # MongoDB keeps milliseconds; so does the copy in memory
            self.created_at = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self._check_one_open_file()

    def _take_household(self):
        household = self.household
        if household is None:
            return
        if self.community and household.community.pk != self.community.pk:
            raise ValidationError(errors={"household": ValidationError(
                gettext("The household belongs to another community."))})
        self.community, self.room = household.community, household.room
        self.room_code = household.room_code or (self.room.code if self.room else None)
        self.building_no = household.building_no or (self.room.building_no if self.room else None)
        self.sort_key = household.sort_key
        if not (self.applicant or "").strip():
            self.applicant = household.name

    def _check_amounts(self):
        """Amounts are kept as typed: more than two decimal places is refused, never rounded."""
        errors = {name: ValidationError(amount_problem(getattr(self, name)))
                  for name in ("deposit", "management_fee") if amount_problem(getattr(self, name))}
        fees = {row: ValidationError(errors={"amount": ValidationError(amount_problem(fee.amount))})
                for row, fee in enumerate(self.other_fees or []) if amount_problem(fee.amount)}
        if fees:
            errors["other_fees"] = ValidationError(errors=fees)
        if errors:
            raise ValidationError(errors=errors)

    def _check_plan(self):
        if self.planned_start and self.planned_end and as_date(self.planned_end) < as_date(self.planned_start):
            raise ValidationError(errors={"planned_end": ValidationError(
                gettext("The planned end cannot be before the planned start."))})
        ids = [w.id_number for w in self.workers or [] if w.id_number]
        if len(ids) != len(set(ids)):
            raise ValidationError(errors={"workers": ValidationError(gettext("The same worker is listed twice."))})

    def _check_one_open_file(self):
        if self.room is None or self.state not in OPEN_STATES:
            return
        clash = Renovation.objects(room=self.room, state__in=list(OPEN_STATES), pk__ne=self.pk).first()
        if clash:
            raise ValidationError(errors={"household": ValidationError(gettext(
                "Room %(code)s already has an open renovation file (%(file)s).",
                code=self.room_code, file=str(clash)))})

    def editable_fields(self) -> set:
        """Which data fields may still be edited in the current state (the view obeys this)."""
        return set(EDITABLE.get(self.state, ()))

    def today(self):
        return local_today(self.community)

    def last_inspection(self, kind):
        found = [i for i in self.inspections or [] if i.kind == kind]
        return found[-1] if found else None

    # ---- the workflow's hooks ----
    def authorize_step(self, step, user):
        """Housekeepers work only on files of the buildings they look after."""
        if self.granted_only_as(step, user, "housekeeper") and self.building_no not in (user.buildings or []):
            raise PermissionDenied(gettext(
                "Building %(no)s is not one of the buildings you look after.", no=self.building_no))

    def require_state(self, step):
        """A step taken once (fees paid, refund) says so, with its receipt, when asked again."""
        done = self.already_done(step.name)
        if done:
            raise DomainError(done)
        super().require_state(step)

    def already_done(self, name) -> str | None:
        if name == "refund" and self.refund_at:
            return gettext("The deposit of this file has already been refunded (receipt %(no)s).",
                           no=self.refund_receipt_no or "—")
        if name == "pay_fees" and self.fees_paid_at:
            return gettext("The fees and deposit of this file have already been paid (receipt %(no)s).",
                           no=self.fees_receipt_no or "—")
        return None

    # ---- the main steps ----
    def submit(self, user):
        self.check("submit", user)
        return self.transition("submit", user, values={"submitted_at": clock.now()}, checked=False)

    def record_flat_inspection(self, user, passed: bool, items=(), notes: str = "", on=None):
        """Second inspection of the flat; failures are listed, repaired, then re-inspected."""
        self.check("flat_inspection", user)
        items = lines(items)
        if not passed and not items:
            raise DomainError(gettext("List the items that failed the inspection."), field="items")
        on = self._inspection_day(on)
        inspection = self._inspection("flat", user, on, passed, notes,
                                      [InspectionItem(key=new_key(), description=i) for i in items])
        note = "✓" if passed else "✗ " + "; ".join(items)  # stored notes stay language-neutral
        return self.transition("flat_inspection", user, values={"flat_passed_on": on if passed else None},
                               ops={"set__inspections": self._with_inspection(inspection)}, note=note,
                               checked=False)

    def approve(self, user):
        """Approval numbers the permit; it is handed over once the fees and deposit are paid."""
        self.check("approve", user)
        year = local_today(self.community).year
        number = f"{self.community.code}-ZX{year}-{Sequence.next(f'{self.community.pk}:permit:{year}'):04d}"
        return self.transition("approve", user, values={
            "approved_at": clock.now(), "approved_by_name": user.display_name, "permit_no": number},
            note=number, checked=False)

    def reject(self, user, reason: str):
        self.check("reject", user)
        reason = (reason or "").strip()
        if len(reason) < 2:
            raise DomainError(gettext("Give the reason for the rejection."), field="reason")
        return self.transition("reject", user, values={"rejected_at": clock.now(), "rejected_reason": reason[:1000]},
                               note=reason[:200], checked=False)

    def start(self, user, phase: str = "water_electric", on=None):
        """Work starts: the room shows as renovating until the initial inspection."""
        self.check("start", user)
        if phase not in dict(PHASES) or phase == "installation":
            raise DomainError(gettext("Choose the phase the work starts with."), field="phase")
        on = as_date(on) or self.today()
        if on > self.today():
            raise DomainError(gettext("The start date cannot be in the future."), field="on")
        room = Room.objects(pk=self.room.pk).only("status").first() if self.room else None
        self.transition("start", user, values={
            "started_on": on, "phase": phase, "phase_since": on, "next_patrol_due": next_patrol_due(phase, on, None),
            "room_status_before": room.status if room else None}, checked=False)
        if room is not None:
            Room.objects(pk=room.pk, status__ne="renovating").update_one(set__status="renovating")
        return self

    def change_phase(self, user, phase: str, installation_on=None, on=None):
        self.check("set_phase", user)
        if phase not in dict(PHASES):
            raise DomainError(gettext("Choose a phase."), field="phase")
        on = as_date(on) or self.today()
        installation_on = as_date(installation_on)
        if phase == "installation" and not installation_on:
            raise DomainError(gettext("Enter the day of the installation: the patrol is due then."),
                              field="installation_on")
        if installation_on and installation_on < on:
            raise DomainError(gettext("The installation day cannot be in the past."), field="installation_on")
        return self.transition("set_phase", user, values={
            "phase": phase, "phase_since": on,
            "next_patrol_due": next_patrol_due(phase, on, self.last_patrol_on(), installation_on),
            "installation_on": installation_on if phase == "installation" else None},
            note=phase_label(phase), check_version=True, checked=False)

    def record_initial_inspection(self, user, notes: str = "", items=(), on=None):
        """The work is finished: the initial inspection notes what must be put right before the final one."""
        self.check("initial_inspection", user)
        on = self._inspection_day(on)
        items = lines(items)
        inspection = self._inspection("initial", user, on, True, notes,
                                      [InspectionItem(key=new_key(), description=i) for i in items])
        self.transition("initial_inspection", user, values={"finished_on": on, "next_patrol_due": None},
                        ops={"push__inspections": inspection}, note="; ".join(items) or None, checked=False)
        self._restore_room()
        return self

    def record_final_inspection(self, user, passed: bool, items=(), notes: str = "", on=None):
        """items: [(description, deduction)]; a failed inspection needs at least one item to fix.

        It passes only when every violation found on patrol is rectified or settled by the
        deduction recorded with it; its deductions, with the earlier ones, stay within the deposit.
        """
        self.check("final_inspection", user)
        on = self._inspection_day(on)
        rows = _final_items(items)
        if not passed and not rows:
            raise DomainError(gettext("List the items to fix before the final inspection can pass."),
                              field="items")
        if passed:
            self._require_violations_settled()
        self.require_deductions_within_deposit(sum((r.deduction for r in rows), Decimal("0.00")), field="items")
        inspection = self._inspection("final", user, on, passed, notes, rows)
        note = "✓" if passed else "✗ " + "; ".join(r.description for r in rows)
        # the version check keeps deductions and the refund computed from the same data
        return self.transition("final_inspection", user, values={"final_passed_on": on if passed else None},
                               ops={"set__inspections": self._with_inspection(inspection)}, note=note,
                               check_version=True, checked=False)

    def archive(self, user):
        self.check("archive", user)
        return self.transition("archive", user, values={"archived_at": clock.now()}, checked=False)

    def delete(self, *args, **kwargs):
        """Only a draft may be deleted; a submitted file is kept (archived when closed)."""
        if self.state != "draft":
            raise DomainError(gettext("Only a draft can be deleted; this file is kept."))
        self.delete_attachments()
        return super().delete(*args, **kwargs)

    # ---- helpers of the steps ----
    def _inspection_day(self, on):
        on = as_date(on) or self.today()
        if on > self.today():
            raise DomainError(gettext("The inspection date cannot be in the future."), field="on")
        return on

    def _inspection(self, kind, user, on, passed, notes, items) -> Inspection:
        return Inspection(key=new_key(), kind=kind, on=on, at=clock.now(), inspector=user,
                          inspector_name=user.display_name, passed=bool(passed), notes=notes or None, items=items)

    def _with_inspection(self, inspection) -> list:
        """The inspections with the new one; a passing re-inspection confirms that the failures of the
        previous one of its kind were repaired (one $set of the list: MongoDB refuses a $push and a
        $set inside the same list in one update)."""
        previous = self.last_inspection(inspection.kind)
        if inspection.passed and previous is not None and not previous.passed:
            for item in previous.items:
                item.repaired_on = item.repaired_on or inspection.on
        return list(self.inspections or []) + [inspection]

    def _require_violations_settled(self):
        unsettled = self.unsettled_violations()
        if unsettled:
            raise DomainError(gettext(
                "The final inspection cannot pass while violations found on patrol are not rectified: "
                "%(list)s. Mark them rectified first (a violation recorded with a deduction counts as "
                "settled by it).", list="; ".join(f"{as_date(p.on)} {v.type_label}" for p, v in unsettled)),
                field="passed")

    def _restore_room(self):
        """The room leaves "renovating" and gets back the status it had before the work."""
        if self.room is None:
            return
        back = self.room_status_before if self.room_status_before not in (None, "renovating") else None
        if back is None:
            household = Household.objects(room=self.room, status="current").first()
            back = ("rented" if household.tenants else "occupied") if household else "vacant"
        Room.objects(pk=self.room.pk, status="renovating").update_one(set__status=back)


def _final_items(items) -> list[InspectionItem]:
    """[(description, deduction)] of the final inspection form as inspection items; a refusal names
    the line and the field, and carries the form's name of the field (``items-<row>-<field>``)."""
    def refuse(row, name, message):
        return DomainError(gettext("Line %(n)d, %(field)s: %(message)s", n=row + 1,
                                   field=InspectionItem._fields[name].verbose_name, message=message),
                           field=f"items-{row}-{name}")

    rows = []
    for row, (description, deduction) in enumerate(items or []):
        description = (description or "").strip()
        problem = amount_problem(deduction)
        if problem:
            raise refuse(row, "deduction", problem)
        amount = to_money(deduction) or Decimal("0.00")
        if description:
            rows.append(InspectionItem(key=new_key(), description=description, deduction=amount))
        elif amount:
            raise refuse(row, "description", gettext("Describe what each deduction is for."))
    return rows


# --- what must happen first (preconditions of the steps) --------------------------------------------

def complete_for_submission(renovation, user):
    problems = []
    if not renovation.contractor or not renovation.contractor.company or not renovation.contractor.licence_no:
        problems.append(gettext("the contractor's company and business licence number"))
    if not renovation.workers:
        problems.append(gettext("at least one worker"))
    if not (to_money(renovation.deposit) or Decimal("0")) > 0:
        problems.append(gettext("the deposit"))
    missing = renovation.missing_documents()
    if missing:
        labels = dict(ATTACHMENT_KINDS)
        problems.append(gettext("the documents %(docs)s", docs=list_text(labels[k] for k in missing)))
    if problems:
        raise DomainError(gettext("The file cannot be submitted yet. Missing: %(what)s.",
                                  what=gettext("; ").join(problems)))


def agreement_signed(renovation, user):
    if not renovation.agreement_signed_on:
        raise DomainError(gettext("The renovation agreement must be signed before approval; "
                                  "enter the date it was signed."), field="agreement_signed_on")


def deposit_recorded(renovation, user):
    if not (to_money(renovation.deposit) or Decimal("0")) > 0:
        raise DomainError(gettext("The deposit must be recorded before approval."), field="deposit")


def documents_complete(renovation, user):
    if renovation.missing_documents():
        raise DomainError(gettext("The contractor's documents are incomplete."))


def _flat_result(renovation, values):
    return "flat_passed" if values.get("flat_passed_on") else "flat_failed"


def _final_result(renovation, values):
    return "final_passed" if values.get("final_passed_on") else "final_failed"


#: permits are issued once the fees and deposit are paid, until the final inspection has passed
PERMIT_STATES = ("fees_paid", "in_progress", "initial_inspected", "final_failed")
PERMITS_WHEN = _l("Permits are issued once the fees and deposit are paid, and no longer once the final "
                  "inspection has passed.")

WORKFLOW = declare(Renovation, Workflow(AREA, [
    Step("submit", ("draft",), "submitted", label=_l("Submit"), audit_label=_l("Submitted"),
         page_checks=(complete_for_submission,)),
    Step("flat_inspection", ("submitted", "flat_failed"), _flat_result, label=_l("Record flat inspection"),
         audit_label=_l("Flat inspection recorded"), method="record_flat_inspection",
         needs=_l("The flat is inspected once the file is submitted.")),
    Step("approve", ("flat_passed",), "approved", label=_l("Approve"), audit_label=_l("Approved"),
         needs=_l("The flat must first pass the second inspection."),
         preconditions=(agreement_signed, deposit_recorded), page_checks=(documents_complete,)),
    Step("reject", ("submitted", "flat_failed", "flat_passed"), "rejected", label=_l("Reject"),
         audit_label=_l("Rejected"), needs=_l("Only an application that is not yet approved can be rejected.")),
    Step("pay_fees", ("approved",), "fees_paid", label=_l("Receive fees and deposit"),
         audit_label=_l("Fees and deposit paid"), needs=_l("Fees and deposit are paid once the file is approved.")),
    Step("start", ("fees_paid",), "in_progress", label=_l("Start work"), audit_label=_l("Work started"),
         needs=_l("Work starts once the file is approved and the fees and deposit are paid.")),
    Step("set_phase", ("in_progress",), None, label=_l("Change phase"), audit_label=_l("Phase changed"),
         method="change_phase", needs=_l("The phase changes while the work is in progress.")),
    Step("log_patrol", ("in_progress",), None, label=_l("Log patrol"), audit_label=_l("Patrol logged"),
         needs=_l("Patrols are logged while the work is in progress.")),
    Step("initial_inspection", ("in_progress",), "initial_inspected", label=_l("Record initial inspection"),
         audit_label=_l("Initial inspection recorded"), method="record_initial_inspection",
         needs=_l("The initial inspection follows the work in progress.")),
    Step("final_inspection", ("initial_inspected", "final_failed"), _final_result,
         label=_l("Record final inspection"), audit_label=_l("Final inspection recorded"),
         method="record_final_inspection", needs=_l("The initial inspection comes first.")),
    Step("approve_refund", ("final_passed",), "refund_approved", label=_l("Approve refund"),
         audit_label=_l("Refund approved"), preconditions=(above_limit,),
         needs=_l("A refund is approved once the final inspection has passed.")),
    Step("refund", ("final_passed", "refund_approved"), "refunded", label=_l("Refund deposit"),
         audit_label=_l("Deposit refunded"), preconditions=(approved_if_above_limit,),
         needs=_l("The deposit is refunded only after the final inspection has passed.")),
    Step("archive", ("refunded", "rejected"), "archived", label=_l("Archive file"), audit_label=_l("Archived"),
         needs=_l("Only a file whose deposit was refunded, or a rejected one, is archived.")),
    Step("issue_permit", PERMIT_STATES, None, label=_l("Issue permit"), audit_label=_l("Permit issued"),
         needs=PERMITS_WHEN),
    Step("issue_hot_work", PERMIT_STATES, None, label=_l("Issue hot-work permit"),
         audit_label=_l("Hot-work permit issued"), permission="action:approve_hot_work",
         method="issue_hot_work_permit", needs=PERMITS_WHEN),
    Step("revoke_permit", ANY, None, label=_l("Revoke permit"), audit_label=_l("Permit revoked"), page=False),
    Step("rectify", ("in_progress", "initial_inspected", "final_failed", "final_passed", "refund_approved"), None,
         label=_l("Mark rectified"), audit_label=_l("Violation rectified"), method="rectify_violation",
         page=False, needs=_l("Violations are marked rectified from the start of the work until the refund.")),
    Step("attach", tuple(s for s in ALL_STATES if s not in ("rejected", "archived")), None,
         label=_l("Attach file"), audit_label=_l("File attached"), page=False,
         needs=_l("A closed file takes no more files.")),
    Step("remove_attachment", ("draft", "submitted", "flat_failed", "flat_passed"), None,
         label=_l("Remove file"), audit_label=_l("File removed"), page=False,
         needs=_l("Once the file is approved, its documents are kept.")),
]))


def _patrol_due(renovation):
    """A patrol due on a date is late after that local day."""
    if renovation.next_patrol_due is None:
        return None
    return end_of_local_day(as_date(renovation.next_patrol_due), zone_of(renovation.community))


def housekeeper_of(renovation):
    """The housekeeper who looks after the file's building (the first, if several do)."""
    from documents.staff import Staff
    if not renovation.building_no:
        return None
    return Staff.objects(active=True, roles="housekeeper", communities=renovation.community.pk,
                         buildings=renovation.building_no).first()


PATROL_CLOCK, = declare_clocks(Renovation, [
    ClockKind("renovation_patrol", _l("Renovation patrol"), ("in_progress",), "next_patrol_due",
              due=_patrol_due, role="housekeeper", responsible=housekeeper_of, recurring=True,
              ladder=(Rung(1, timedelta(days=1), "supervisor", _l("Supervisor")),)),
], area=AREA, endpoint="renovations.details_view")


@timeline.register
def _renovation_events(household):
    """Every step, patrol, permit and refund of the household's renovation files."""
    items = []
    for entry in audit.AuditEntry.objects(collection="renovations", household=household) \
            .order_by("-at").limit(200):
        items.append(timeline.TimelineItem(
            at=entry.at, kind=str(_l("Renovation")), title=audit.action_label(entry),
            actor=entry.actor_name or "", detail=" ".join(x for x in (entry.record_label, entry.note) if x),
            endpoint="renovations.details_view", url_args={"id": entry.record_id}))
    return items

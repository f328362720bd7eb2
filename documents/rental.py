"""Rental agency (代租, seed 003 业主房屋代租作业指导书): listings, prospects and viewings, signing,
follow-up of the rented flat.

- A `Listing` (出租信息明细表) holds the flat, its furnishing, the rent wanted and the owner's terms,
  and the owner's name and contact. These two are never given to prospects (严禁向非租房客户提供业主
  资料): `prospect_facts()` is the one place that says what a prospect may see, and the prospect's
  page and print are built from it only.
- A `Prospect` (租房客户) states their needs; `matching_listings()` offers the available flats that fit.
  Before a viewing the prospect pays the viewing deposit at the cashier (receipt); with no deal the
  cashier returns part of it and keeps the rest as the service fee (a receipt for each). On signing
  the tenant pays half a month of the agreed rent as the service fee (receipt), the lease copy and
  the tenant's ID copy are filed, the tenant joins the household's archive with the lease period.
- Receipts: a prospect is not a household of the archive, and the fees ledger keeps accounts per
  household (documents/fees/ledger.py), so the agency's money is receipted here, numbered from the
  community's yearly sequence as the renovation receipts are (documents/renovations/receipts.py),
  one receipt per prospect and kind (a unique key: a second click finds the first receipt).
- Follow-up: a let flat is checked daily by the housekeeper (a recurring clock); a tenant's complaint
  that cannot be solved is reported to the superior within 2 hours (a clock).
"""
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l, lazy_pgettext
from mongoengine import (DateField, DateTimeField, EmbeddedDocument, EmbeddedDocumentListField, FileField,
                         IntField, ReferenceField, StringField, ValidationError)
from mongoengine.errors import NotUniqueError

from app import clock
from documents import audit, timeline
from documents.agenda import ClockKind, Rung, declare_clocks
from documents.base import CommunityOwned, DomainError, PermissionDenied, RuleErrors, Versioned
from documents.bilingual import label_of
from documents.deadlines import end_of_local_day, local_text, to_local, zone_of
from documents.files import JPEG, MB, PDF, PNG, UploadedFile, UploadRule
from documents.money import MoneyField, money_text, to_money
from documents.sequences import Sequence
from documents.validators import validate_mobile
from documents.workflow import (Step, Workflow, Workflowed, authorize_area, declare, domain_error_from,
                                flatten_errors)

AREA = "rental"

# --- the numbers of seed 003 4.1.4, 4.1.6, 4.2.3, 4.2.5 (named once) ---
#: the viewing deposit a prospect pays at the cashier before a viewing
VIEWING_DEPOSIT = Decimal("100.00")
#: returned when the prospect does not rent
VIEWING_REFUND = Decimal("90.00")
#: kept as the service fee of the viewing (the rest of the deposit)
VIEWING_SERVICE_FEE = VIEWING_DEPOSIT - VIEWING_REFUND
#: the tenant's service fee on signing: this share of one month's agreed rent
LEASE_FEE_SHARE = Decimal("0.5")
#: a let flat is checked this often
CHECK_EVERY = timedelta(days=1)
#: an unsolved tenant's complaint goes to the direct superior within this time
REPORT_WITHIN = timedelta(hours=2)

FURNISHING = [("bare", _l("Unfurnished")), ("basic", _l("Basic furniture")), ("full", _l("Fully furnished"))]
LISTING_STATES = [("available", _l("Available")), ("let", _l("Let")), ("withdrawn", _l("Withdrawn"))]
PROSPECT_STATES = [("new", _l("Registered")), ("deposit_paid", _l("Deposit paid")),
                   ("no_deal", _l("No deal")), ("signed", _l("Lease signed"))]
RECEIPT_KINDS = [("deposit", _l("Viewing deposit")), ("refund", _l("Deposit returned")),
                 ("viewing_fee", _l("Viewing service fee")), ("lease_fee", _l("Lease service fee")),
                 ("deposit_back", _l("Deposit returned on signing"))]
COMPLAINT_STATES = [("open", lazy_pgettext("tenant complaint", "Open")), ("solved", _l("Solved")), ("reported", _l("Reported to the superior"))]

FILE_KINDS = [("lease", _l("Lease copy")), ("tenant_id", _l("Tenant's ID copy"))]
FILE_UPLOAD = UploadRule(types=frozenset({PDF, JPEG, PNG}), max_bytes=10 * MB, same_extension=True,
                         refused=_l("%(name)s is not accepted: only PDF, JPEG or PNG files can be filed."))


def lease_fee_for(rent) -> Decimal:
    """The tenant's service fee for a month's agreed rent `rent` (to the cent, half up)."""
    return to_money(to_money(rent) * LEASE_FEE_SHARE)


# --- listings ---

class RentalCheck(EmbeddedDocument):
    """One daily check of a let flat (检查记录表)."""
    checked_at = DateTimeField(required=True, verbose_name=_l("Checked at"))
    checked_by = StringField(max_length=60, verbose_name=_l("Checked by"))
    findings = StringField(max_length=500, verbose_name=_l("Findings"))


class Listing(CommunityOwned, Versioned, Workflowed):
    """A flat the office lets for its owner (出租信息明细表)."""
    household = ReferenceField("Household", required=True, verbose_name=_l("Household"))
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    building_no = StringField(max_length=10, verbose_name=_l("Building no."))
    bedrooms = IntField(required=True, min_value=1, max_value=9, verbose_name=_l("Bedrooms"))
    area_m2 = IntField(min_value=1, max_value=1000, verbose_name=_l("Floor area (m²)"))
    furnishing = StringField(choices=FURNISHING, required=True, default="basic", verbose_name=_l("Furnishing"))
    furniture = StringField(max_length=500, verbose_name=_l("Furniture and appliances"))
    rent_wanted = MoneyField(required=True, min_value=Decimal("1"), verbose_name=_l("Monthly rent wanted"))
    owner_terms = StringField(max_length=1000, verbose_name=_l("Owner's terms"))
    owner_name = StringField(required=True, max_length=60, verbose_name=_l("Owner"))
    owner_phone = StringField(required=True, max_length=20, validation=validate_mobile,
                              verbose_name=_l("Owner's phone"))
    state = StringField(choices=LISTING_STATES, default="available", verbose_name=_l("State"))
    tenant_name = StringField(max_length=60, verbose_name=_l("Tenant"))
    lease_start = DateField(verbose_name=_l("Lease start"))
    lease_end = DateField(verbose_name=_l("Lease end"))
    next_check_due = DateTimeField(verbose_name=_l("Next daily check due"))
    checks = EmbeddedDocumentListField(RentalCheck, verbose_name=_l("Daily checks"))
    created_at = DateTimeField()

    meta = {"collection": "rental_listings",
            "indexes": [("community", "state"), ("community", "room_code"), "household", ("community", "bedrooms"),
                        ("community", "building_no"), ("community", "furnishing"), ("community", "tenant_name")],
            "ordering": ["room_code"]}

    def __str__(self):
        return self.room_code or ""

    def clean(self):
        household = self.household
        if household is not None:
            self.community = household.community
            self.room_code = household.room_code
            self.building_no = household.building_no
            owner = (household.owners or [None])[0]
            if owner is not None and not (self.owner_name or "").strip():
                self.owner_name, self.owner_phone = owner.name, self.owner_phone or owner.phone
        if self.created_at is None:
            self.created_at = clock.now()

    def authorize_step(self, step, user):
        """Housekeepers check the let flats of the buildings they look after."""
        if self.granted_only_as(step, user, "housekeeper") and self.building_no not in (user.buildings or []):
            raise PermissionDenied(gettext(
                "Building %(no)s is not one of the buildings you look after.", no=self.building_no))

    # --- what a prospect may see (and nothing else) ---
    def prospect_facts(self) -> list[tuple[str, str]]:
        """(label, value) of the listing for a prospect: never the owner's name or contact."""
        return [(str(_l("Room")), self.room_code or ""), (str(_l("Bedrooms")), str(self.bedrooms or "")),
                (str(_l("Floor area (m²)")), str(self.area_m2 or "")),
                (str(_l("Furnishing")), label_of(FURNISHING, self.furnishing)),
                (str(_l("Furniture and appliances")), self.furniture or ""),
                (str(_l("Monthly rent wanted")), money_text(self.rent_wanted)),
                (str(_l("Owner's terms")), self.owner_terms or "")]

    def log_check(self, user, findings: str = ""):
        """The housekeeper's daily check of the let flat; the next one is due a day later."""
        now = clock.now()
        self.check("log_check", user)
        entry = RentalCheck(checked_at=now, checked_by=user.display_name, findings=(findings or "").strip()[:500])
        return self.transition("log_check", user, values={"next_check_due": next_check_after(self, now)},
                               ops={"push__checks": entry}, note=entry.findings or None, checked=False)

    def let(self, user, tenant_name: str, lease_start, lease_end, checked: bool = True):
        """The flat is let (taken by `Prospect.sign`): the tenant, the lease, the first daily check."""
        return self.transition("let", user, values={
            "tenant_name": tenant_name, "lease_start": lease_start, "lease_end": lease_end,
            "next_check_due": next_check_after(self, clock.now())}, checked=checked)

    def withdraw(self, user):
        return self.transition("withdraw", user)

    def relist(self, user):
        return self.transition("relist", user)


def next_check_after(listing, moment):
    """The end of the community's day after `moment`'s: one check each day."""
    zone = zone_of(listing.community)
    return end_of_local_day((to_local(moment, zone) + CHECK_EVERY).date(), zone)


declare(Listing, Workflow(AREA, [
    Step("withdraw", ("available",), "withdrawn", label=_l("Withdraw listing")),
    Step("relist", ("withdrawn",), "available", label=_l("List again")),
    Step("let", ("available",), "let", label=_l("Let"), permission="action:sign", page=False),
    Step("log_check", ("let",), None, label=_l("Daily check")),
]))

CHECK_CLOCK, = declare_clocks(Listing, [
    ClockKind("rental_daily_check", _l("Daily check of a let flat"), ("let",), "next_check_due",
              role="housekeeper", recurring=True,
              ladder=(Rung(1, timedelta(hours=12), "supervisor", _l("Supervisor")),)),
], area=AREA, endpoint="rental_listings")


def matching_listings(prospect):
    """The available listings of the prospect's community that fit their needs: rent within the
    range, at least the bedrooms wanted, the furnishing wanted (if any)."""
    query = Listing.objects(community=prospect.community, state="available")
    if prospect.bedrooms:
        query = query.filter(bedrooms__gte=prospect.bedrooms)
    if prospect.furnishing:
        query = query.filter(furnishing=prospect.furnishing)
    found = []
    for listing in query.order_by("room_code"):
        rent = to_money(listing.rent_wanted)
        if prospect.rent_min is not None and rent < to_money(prospect.rent_min):
            continue
        if prospect.rent_max is not None and rent > to_money(prospect.rent_max):
            continue
        found.append(listing)
    return found


# --- receipts ---

class RentalReceipt(CommunityOwned):
    """A receipt of the agency's money: one per prospect and kind."""
    receipt_no = StringField(required=True, unique=True, max_length=40, verbose_name=_l("Receipt no."))
    key = StringField(required=True, unique=True)
    prospect = ReferenceField("Prospect", required=True, verbose_name=_l("Prospect"))
    kind = StringField(choices=RECEIPT_KINDS, required=True, verbose_name=_l("Receipt for"))
    amount = MoneyField(required=True, verbose_name=_l("Amount"))
    payer = StringField(max_length=60, verbose_name=_l("Paid by / to"))
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    taken_by = StringField(max_length=60, verbose_name=_l("Cashier"))
    taken_at = DateTimeField(required=True, verbose_name=_l("Time"))

    meta = {"collection": "rental_receipts", "indexes": [("community", "-taken_at"), "prospect", ("community", "kind"), ("community", "payer"),
                        ("community", "receipt_no")],
            "ordering": ["-taken_at"]}

    def __str__(self):
        return self.receipt_no

    @property
    def kind_label(self) -> str:
        return label_of(RECEIPT_KINDS, self.kind)

    @property
    def paid_out(self) -> bool:
        return self.kind in ("refund", "deposit_back")


def issue_receipt(prospect, kind: str, amount, user, room_code=None) -> RentalReceipt:
    """The prospect's receipt of `kind` (made once: a retry finds it), numbered
    ``<community>-ZL<year>-00001`` from the community's yearly sequence."""
    key = f"{prospect.pk}:{kind}"
    existing = RentalReceipt.objects(key=key).first()
    if existing is not None:
        return existing
    now = clock.now()
    year = to_local(now, zone_of(prospect.community)).year
    seq = Sequence.next(f"{prospect.community.pk}:rental_receipt:{year}")
    receipt = RentalReceipt(community=prospect.community, key=key, prospect=prospect, kind=kind,
                            amount=to_money(amount), payer=prospect.name, room_code=room_code,
                            taken_by=user.display_name, taken_at=now,
                            receipt_no=f"{prospect.community.code}-ZL{year}-{seq:05d}")
    try:
        receipt.save()
    except NotUniqueError:
        return RentalReceipt.objects(key=key).first()
    audit.record("create", receipt, audit.diff({}, audit.snapshot(receipt)), actor=user)
    return receipt


# --- prospects ---

class RentalFile(UploadedFile):
    """The lease copy or the tenant's ID copy filed on signing."""
    prospect = ReferenceField("Prospect", required=True, verbose_name=_l("Prospect"))
    kind = StringField(choices=FILE_KINDS, required=True, verbose_name=_l("Document"))
    file = FileField(collection_name="rental_files")

    meta = {"collection": "rental_files", "indexes": [("prospect", "kind"), "community"]}


def _needs_listing(prospect, user):
    if prospect.listing is None:
        raise DomainError(gettext("Choose the listing to be viewed first (edit the prospect)."))


class Prospect(CommunityOwned, Versioned, Workflowed):
    """A person looking for a flat to rent (租房客户), their needs, and what came of it."""
    name = StringField(required=True, max_length=60, verbose_name=_l("Prospect"))
    phone = StringField(required=True, max_length=20, validation=validate_mobile, verbose_name=_l("Phone"))
    bedrooms = IntField(min_value=1, max_value=9, verbose_name=_l("Bedrooms wanted"))
    furnishing = StringField(choices=FURNISHING, verbose_name=_l("Furnishing wanted"))
    rent_min = MoneyField(verbose_name=_l("Rent from"))
    rent_max = MoneyField(verbose_name=_l("Rent up to"))
    needs = StringField(max_length=1000, verbose_name=_l("Other needs"))
    listing = ReferenceField(Listing, verbose_name=_l("Listing to view"))
    state = StringField(choices=PROSPECT_STATES, default="new", verbose_name=_l("State"))
    deposit_receipt = StringField(max_length=40, verbose_name=_l("Deposit receipt"))
    refund_receipt = StringField(max_length=40, verbose_name=_l("Refund receipt"))
    viewing_fee_receipt = StringField(max_length=40, verbose_name=_l("Viewing fee receipt"))
    viewing_note = StringField(max_length=500, verbose_name=_l("Why no deal"))
    agreed_rent = MoneyField(verbose_name=_l("Agreed monthly rent"))
    lease_fee = MoneyField(verbose_name=_l("Lease service fee"))
    lease_fee_receipt = StringField(max_length=40, verbose_name=_l("Lease fee receipt"))
    lease_start = DateField(verbose_name=_l("Lease start"))
    lease_end = DateField(verbose_name=_l("Lease end"))
    signed_at = DateTimeField(verbose_name=_l("Signed at"))
    created_at = DateTimeField(verbose_name=_l("Registered on"))

    meta = {"collection": "rental_prospects",
            "indexes": [("community", "state"), ("community", "name"), "listing", ("community", "-created_at")],
            "ordering": ["-created_at"]}

    def __str__(self):
        return self.name or ""

    def clean(self):
        problems = RuleErrors()
        if self.rent_min is not None and self.rent_max is not None and \
                to_money(self.rent_max) < to_money(self.rent_min):
            problems.add("rent_max", gettext("The highest rent cannot be below the lowest."))
        if self.pk is not None and "listing" in self._get_changed_fields() and self.state != "new":
            problems.add("listing", gettext("The listing cannot be changed once the deposit is paid."))
        if self.listing is not None and self.community is not None and \
                self.listing.community.pk != getattr(self.community, "pk", self.community):
            problems.add("listing", gettext("Choose a listing of the prospect's community."))
        problems.raise_any()
        if self.created_at is None:
            self.created_at = clock.now()

    def receipts(self):
        return RentalReceipt.objects(prospect=self).order_by("taken_at")

    def files(self):
        return RentalFile.objects(prospect=self)

    def choose(self, user, listing=None):
        """The listing the prospect will view (one of the matching ones)."""
        self.check("choose", user)
        if listing is None or listing.community.pk != self.community.pk or listing.state != "available":
            raise DomainError(gettext("Choose an available listing of the prospect's community."), field="listing")
        return self.transition("choose", user, values={"listing": listing}, checked=False, note=listing.room_code)

    # --- the cashier: the viewing deposit before the viewing ---
    def take_deposit(self, user, amount=None):
        """The prospect pays the viewing deposit; any other amount is refused, nothing saved."""
        self.check("take_deposit", user)
        try:
            typed = to_money(amount)
        except DomainError:
            typed = None
        if typed != VIEWING_DEPOSIT:
            raise DomainError(gettext("The viewing deposit is exactly %(amount)s yuan.",
                                      amount=money_text(VIEWING_DEPOSIT)), field="amount")
        self.transition("take_deposit", user, check_version=True, checked=False)
        receipt = issue_receipt(self, "deposit", VIEWING_DEPOSIT, user, self.listing.room_code)
        Prospect.objects(pk=self.pk).update_one(set__deposit_receipt=receipt.receipt_no)
        self.deposit_receipt = receipt.receipt_no
        return receipt

    def no_deal(self, user, note: str = ""):
        """Not rented after the viewing: part of the deposit returned, the rest kept (two receipts)."""
        self.check("no_deal", user)
        self.transition("no_deal", user, values={"viewing_note": (note or "").strip()[:500] or None},
                        checked=False)
        refund = issue_receipt(self, "refund", VIEWING_REFUND, user, self.listing.room_code)
        fee = issue_receipt(self, "viewing_fee", VIEWING_SERVICE_FEE, user, self.listing.room_code)
        Prospect.objects(pk=self.pk).update_one(set__refund_receipt=refund.receipt_no,
                                                 set__viewing_fee_receipt=fee.receipt_no)
        self.refund_receipt, self.viewing_fee_receipt = refund.receipt_no, fee.receipt_no
        return refund, fee

    # --- signing ---
    def sign_problems(self, agreed_rent, lease_fee, lease_start, lease_end, id_type, id_number) -> RuleErrors:
        """Every problem of the signing data at once (the form shows them on their fields)."""
        from documents.residents import Tenant
        problems = RuleErrors()
        try:
            rent = to_money(agreed_rent)
        except DomainError as err:
            rent = None
            problems.add("agreed_rent", err.message)
        if rent is None or rent <= 0:
            problems.add("agreed_rent", gettext("Type the monthly rent agreed by owner and tenant."))
        try:
            fee = to_money(lease_fee)
        except DomainError as err:
            fee = None
            problems.add("lease_fee", err.message)
        if rent is not None and rent > 0 and fee != lease_fee_for(rent):
            problems.add("lease_fee", gettext(
                "The lease service fee is %(share)s %% of one month's agreed rent: %(amount)s yuan.",
                share=int(LEASE_FEE_SHARE * 100), amount=money_text(lease_fee_for(rent))))
        if lease_start is None:
            problems.add("lease_start", gettext("Type the first day of the lease."))
        if lease_end is None:
            problems.add("lease_end", gettext("Type the last day of the lease."))
        elif lease_start is not None and lease_end < lease_start:
            problems.add("lease_end", gettext("The lease cannot end before it starts."))
        tenant = Tenant(name=self.name, relation="tenant", phone=self.phone, id_type=id_type or "id_card",
                        id_number=(id_number or "").strip() or None, lease_start=lease_start, lease_end=lease_end)
        if not tenant.id_number:
            problems.add("id_number", gettext("Type the tenant's ID number from the ID card shown."))
        else:
            try:
                tenant.validate()
            except ValidationError as err:
                for _name, message in flatten_errors(err):
                    problems.add("id_number", message)
        return problems

    def sign(self, user, agreed_rent=None, lease_fee=None, lease_start=None, lease_end=None,
             id_type="id_card", id_number=None, lease_copy=None, id_copy=None):
        """Owner and tenant signed the lease: the tenant's service fee (half a month's agreed rent)
        is receipted, the viewing deposit returned, the lease and ID copies filed, the tenant added
        to the household's archive with the lease period, the listing let.

        `lease_copy` / `id_copy`: (filename, bytes). Nothing is saved when anything is refused."""
        from documents.residents import Tenant
        self.check("sign", user)
        problems = self.sign_problems(agreed_rent, lease_fee, lease_start, lease_end, id_type, id_number)
        checked = {}
        for field, kind, upload in (("lease_copy", "lease", lease_copy), ("id_copy", "tenant_id", id_copy)):
            if not upload or not upload[1]:
                problems.add(field, gettext("File the signed copy here."))
                continue
            try:
                checked[kind] = FILE_UPLOAD.accept(upload[0], upload[1])
            except DomainError as err:
                problems.add(field, err.message)
        if problems:
            first = next(iter(problems))
            raise DomainError("; ".join(str(m) for m in problems.values()), field=first)
        listing = self.listing
        listing.check("let", user)
        rent = to_money(agreed_rent)
        now = clock.now()
        self.transition("sign", user, values={
            "agreed_rent": rent, "lease_fee": lease_fee_for(rent), "lease_start": lease_start,
            "lease_end": lease_end, "signed_at": now}, check_version=True, checked=False)
        listing.let(user, self.name, lease_start, lease_end, checked=False)
        for kind, (name, content_type, data) in checked.items():
            record = RentalFile(community=self.community, prospect=self, kind=kind, size=len(data),
                                uploaded_at=now, uploaded_by=user, uploaded_by_name=user.display_name)
            record.keep(data, content_type, name)
            record.save()
        fee = issue_receipt(self, "lease_fee", lease_fee_for(rent), user, listing.room_code)
        issue_receipt(self, "deposit_back", VIEWING_DEPOSIT, user, listing.room_code)
        Prospect.objects(pk=self.pk).update_one(set__lease_fee_receipt=fee.receipt_no)
        self.lease_fee_receipt = fee.receipt_no
        tenant = Tenant(name=self.name, relation="tenant", phone=self.phone, id_type=id_type or "id_card",
                        id_number=id_number.strip(), lease_start=lease_start, lease_end=lease_end)
        household = listing.household
        before = audit.snapshot(household)
        household.tenants.append(tenant)
        household.save_versioned(None)
        audit.record("edit", household, audit.diff(before, audit.snapshot(household)),
                     note=gettext("Tenant added by the rental agency: %(name)s", name=self.name), actor=user)
        return fee


declare(Prospect, Workflow(AREA, [
    Step("choose", ("new",), None, label=_l("Choose for the viewing"), permission="edit", page=False),
    Step("take_deposit", ("new",), "deposit_paid", label=_l("Take viewing deposit"),
         preconditions=(_needs_listing,)),
    Step("no_deal", ("deposit_paid",), "no_deal", label=_l("No deal: return deposit")),
    Step("sign", ("deposit_paid",), "signed", label=_l("Sign lease")),
]))


# --- tenants' complaints ---

class TenantComplaint(CommunityOwned, Versioned, Workflowed):
    """A tenant's complaint about a let flat; unsolved, it goes to the superior within 2 hours."""
    listing = ReferenceField(Listing, required=True, verbose_name=_l("Listing"))
    room_code = StringField(max_length=30, verbose_name=_l("Room"))
    content = StringField(required=True, max_length=1000, verbose_name=_l("Complaint"))
    received_at = DateTimeField(required=True, verbose_name=_l("Received at"))
    report_due_at = DateTimeField(verbose_name=_l("Report to the superior by"))
    state = StringField(choices=COMPLAINT_STATES, default="open", verbose_name=_l("State"))
    outcome = StringField(max_length=1000, verbose_name=_l("Outcome"))
    closed_at = DateTimeField(verbose_name=_l("Closed at"))

    meta = {"collection": "rental_complaints", "indexes": [("community", "state"), "listing", ("community", "-received_at")],
            "ordering": ["-received_at"]}

    def __str__(self):
        return f"{self.room_code or ''} {local_text(self.received_at, self.community)}".strip()

    def clean(self):
        if self.listing is not None:
            self.community = self.listing.community
            self.room_code = self.listing.room_code
        if self.received_at is None:
            self.received_at = clock.now()
        self.report_due_at = self.received_at + REPORT_WITHIN

    def solve(self, user, outcome: str = ""):
        return self._close("solve", user, outcome)

    def report(self, user, outcome: str = ""):
        return self._close("report", user, outcome)

    def _close(self, step, user, outcome):
        self.check(step, user)
        if not (outcome or "").strip():
            raise DomainError(gettext("Say how it was solved, or what the superior was told."), field="outcome")
        return self.transition(step, user, values={"outcome": outcome.strip()[:1000], "closed_at": clock.now()},
                               checked=False)


declare(TenantComplaint, Workflow(AREA, [
    Step("solve", ("open",), "solved", label=_l("Solved")),
    Step("report", ("open",), "reported", label=_l("Report to the superior")),
]))

REPORT_CLOCK, = declare_clocks(TenantComplaint, [
    ClockKind("rental_complaint_report", _l("Tenant's complaint to the superior"), ("open",), "report_due_at",
              done_field="closed_at", role="supervisor"),
], area=AREA, endpoint="rental_complaints")


def new_complaint(listing, user, content: str, received_at=None) -> TenantComplaint:
    authorize_area(AREA, "action:complain", user, listing.community, label=_l("Tenant's complaint"))
    complaint = TenantComplaint(listing=listing, community=listing.community, content=(content or "").strip(),
                                received_at=received_at or clock.now())
    try:
        complaint.validate()
    except ValidationError as err:
        raise domain_error_from(err) from None
    complaint.save_versioned(None)
    audit.record("create", complaint, audit.diff({}, audit.snapshot(complaint)), actor=user)
    return complaint


@timeline.register
def _rental_of(household):
    items = []
    for listing in Listing.objects(household=household).limit(20):
        items.append(timeline.TimelineItem(
            at=listing.created_at, kind=str(_l("Rental agency")),
            title=f"{label_of(LISTING_STATES, listing.state)} · {money_text(listing.rent_wanted)}",
            detail=listing.tenant_name or "", endpoint="rental_listings.details_view",
            url_args={"id": str(listing.pk)}))
        for prospect in Prospect.objects(listing=listing, state="signed").limit(20):
            items.append(timeline.TimelineItem(
                at=prospect.signed_at, kind=str(_l("Rental agency")),
                title=gettext("Lease signed: %(name)s, %(start)s – %(end)s", name=prospect.name,
                              start=prospect.lease_start, end=prospect.lease_end),
                endpoint="rental_prospects.details_view", url_args={"id": str(prospect.pk)}))
    return items

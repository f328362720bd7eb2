"""Rental agency (seed 003): the 100/90/10 viewing money and the 50 % lease fee at their boundaries,
owner data never in what a prospect sees, receipts once, the tenant in the archive, the clocks."""
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from app import clock
from documents.agenda import Clock
from documents.audit import AuditEntry
from documents.base import DomainError, PermissionDenied
from documents.rental import (LEASE_FEE_SHARE, REPORT_WITHIN, VIEWING_DEPOSIT, VIEWING_REFUND,
                              VIEWING_SERVICE_FEE, Listing, Prospect, RentalFile, RentalReceipt, lease_fee_for,
                              matching_listings, new_complaint)
from documents.residents import Household
from tests.support import english_request

PDF = b"%PDF-1.4 lease"
TENANT_ID = "110105199001011232"


@pytest.fixture
def rw(app, world):
    clock.freeze(datetime(2026, 12, 6, 2, 0))
    with english_request(app):
        yield world


def listing(w, rent="3000", bedrooms=2, furnishing="full", household="hh_a2"):
    item = Listing(household=w[household], community=w[household].community, bedrooms=bedrooms,
                   furnishing=furnishing, rent_wanted=Decimal(rent), owner_terms="不养宠物",
                   owner_name="王业主", owner_phone="13912345678")
    item.save_versioned(None)
    return item


def prospect(w, item=None, **needs):
    p = Prospect(community=w["A"], name="赵租客", phone="13600001234", listing=item, **needs)
    p.save_versioned(None)
    return p


def signed_args(rent="3000", fee="1500.00"):
    return dict(agreed_rent=rent, lease_fee=fee, lease_start=date(2027, 1, 1), lease_end=date(2027, 12, 31),
                id_type="id_card", id_number=TENANT_ID, lease_copy=("lease.pdf", PDF), id_copy=("id.pdf", PDF))


def test_the_numbers_are_those_of_the_seed():
    assert (VIEWING_DEPOSIT, VIEWING_REFUND, VIEWING_SERVICE_FEE) == (Decimal(100), Decimal(90), Decimal(10))
    assert LEASE_FEE_SHARE == Decimal("0.5") and lease_fee_for("3001") == Decimal("1500.50")
    assert REPORT_WITHIN == timedelta(hours=2)


def test_owner_data_never_in_the_prospect_facts(rw):
    facts = " ".join(f"{k} {v}" for k, v in listing(rw).prospect_facts())
    assert "3,000.00" in facts and "不养宠物" in facts
    assert "王业主" not in facts and "13912345678" not in facts


def test_matching_by_rent_range_bedrooms_and_furnishing(rw):
    cheap = listing(rw, rent="2000", bedrooms=1, furnishing="basic", household="hh_a")
    dear = listing(rw, rent="3000", bedrooms=2, furnishing="full")
    assert matching_listings(prospect(rw, rent_min=Decimal(2000), rent_max=Decimal(3000))) == [cheap, dear]
    assert matching_listings(prospect(rw, rent_max=Decimal("2999.99"))) == [cheap]
    assert matching_listings(prospect(rw, bedrooms=2)) == [dear]
    assert matching_listings(prospect(rw, furnishing="basic")) == [cheap]
    dear.withdraw(rw["staff"]["clerk"])
    assert matching_listings(prospect(rw)) == [cheap]


@pytest.mark.parametrize("amount", ["99.99", "100.01", "90", "", None, "abc", "-100"])
def test_a_deposit_other_than_100_is_refused_and_nothing_saved(rw, amount):
    p = prospect(rw, listing(rw))
    with pytest.raises(DomainError) as refused:
        p.take_deposit(rw["staff"]["cashier"], amount)
    assert refused.value.field == "amount" and "100.00" in refused.value.message
    p.reload()
    assert p.state == "new" and RentalReceipt.objects.count() == 0


def test_deposit_once_with_a_receipt_then_no_deal_returns_90_keeps_10(rw):
    p = prospect(rw, listing(rw))
    with pytest.raises(PermissionDenied):
        p.take_deposit(rw["staff"]["housekeeper"], "100")
    receipt = p.take_deposit(rw["staff"]["cashier"], "100")
    assert p.state == "deposit_paid" and receipt.amount == Decimal("100.00")
    assert receipt.receipt_no == "A-ZL2026-00001" and p.deposit_receipt == receipt.receipt_no
    with pytest.raises(DomainError):
        p.take_deposit(rw["staff"]["cashier"], "100")         # a second click
    refund, fee = p.no_deal(rw["staff"]["cashier"], "太贵")
    assert (refund.amount, fee.amount) == (Decimal("90.00"), Decimal("10.00"))
    assert p.reload().state == "no_deal" and RentalReceipt.objects.count() == 3
    assert {r.kind for r in p.receipts()} == {"deposit", "refund", "viewing_fee"}


def test_a_prospect_without_a_listing_cannot_pay(rw):
    p = prospect(rw)
    with pytest.raises(DomainError, match="listing"):
        p.take_deposit(rw["staff"]["cashier"], "100")


@pytest.mark.parametrize("fee", ["1499.99", "1500.01", "3000", "0"])
def test_a_lease_fee_that_is_not_half_the_rent_is_refused_and_nothing_saved(rw, fee):
    item = listing(rw)
    p = prospect(rw, item)
    p.take_deposit(rw["staff"]["cashier"], "100")
    with pytest.raises(DomainError) as refused:
        p.sign(rw["staff"]["clerk"], **signed_args(fee=fee))
    assert refused.value.field == "lease_fee" and "1,500.00" in refused.value.message
    assert p.reload().state == "deposit_paid" and item.reload().state == "available"
    assert RentalFile.objects.count() == 0 and RentalReceipt.objects.count() == 1
    assert rw["hh_a2"].reload().tenants == []


def test_signing_files_copies_adds_the_tenant_and_lets_the_flat(rw):
    item = listing(rw)
    p = prospect(rw, item)
    p.take_deposit(rw["staff"]["cashier"], "100")
    fee = p.sign(rw["staff"]["clerk"], **signed_args(rent="3001", fee="1500.50"))
    assert fee.amount == Decimal("1500.50") and p.reload().state == "signed"
    assert {f.kind for f in p.files()} == {"lease", "tenant_id"}
    tenant = Household.objects(pk=rw["hh_a2"].pk).first().tenants[0]
    assert (tenant.name, tenant.lease_start, tenant.lease_end) == ("赵租客", date(2027, 1, 1), date(2027, 12, 31))
    item.reload()
    assert item.state == "let" and item.tenant_name == "赵租客"
    assert {r.kind for r in p.receipts()} == {"deposit", "lease_fee", "deposit_back"}
    assert AuditEntry.objects(collection="households").count() >= 1
    clock_ = Clock.objects(kind="rental_daily_check", phase="open").first()
    assert clock_ is not None and clock_.due_at == datetime(2026, 12, 7, 15, 59, 59)


def test_signing_needs_the_copies(rw):
    p = prospect(rw, listing(rw))
    p.take_deposit(rw["staff"]["cashier"], "100")
    args = signed_args()
    args["id_copy"] = None
    with pytest.raises(DomainError) as refused:
        p.sign(rw["staff"]["clerk"], **args)
    assert refused.value.field == "id_copy" and p.reload().state == "deposit_paid"


def test_daily_check_moves_the_clock_a_day_on(rw):
    item = listing(rw)
    p = prospect(rw, item)
    p.take_deposit(rw["staff"]["cashier"], "100")
    p.sign(rw["staff"]["clerk"], **signed_args())
    item.reload()
    with pytest.raises(PermissionDenied):
        item.log_check(rw["staff"]["cashier"])
    clock.freeze(datetime(2026, 12, 7, 3, 0))
    item.log_check(rw["staff"]["housekeeper"], "楼道堆物已制止")
    assert item.next_check_due == datetime(2026, 12, 8, 15, 59, 59) and len(item.checks) == 1


def test_complaint_reported_within_two_hours(rw):
    item = listing(rw)
    complaint = new_complaint(item, rw["staff"]["clerk"], "楼上噪音")
    assert complaint.report_due_at == datetime(2026, 12, 6, 4, 0)
    assert Clock.objects(kind="rental_complaint_report", phase="open").count() == 1
    with pytest.raises(DomainError) as refused:
        complaint.report(rw["staff"]["clerk"], "")
    assert refused.value.field == "outcome"
    clock.freeze(datetime(2026, 12, 6, 4, 0))
    complaint.report(rw["staff"]["clerk"], "已报客服主管")
    stopped = Clock.objects(kind="rental_complaint_report").first()
    assert complaint.state == "reported" and stopped.phase != "open" and stopped.met_at is not None


def test_housekeeper_checks_only_own_buildings_and_listing_fixed_after_deposit(rw):
    item = listing(rw)
    p = prospect(rw, item)
    p.take_deposit(rw["staff"]["cashier"], "100")
    other = listing(rw, household="hh_a")
    p.listing = other
    with pytest.raises(Exception, match="cannot be changed once the deposit is paid"):
        p.validate()
    p.reload()
    p.sign(rw["staff"]["clerk"], **signed_args())
    item.reload()
    keeper = rw["staff"]["housekeeper"]
    keeper.buildings = ["2"]
    with pytest.raises(PermissionDenied, match="Building 1"):
        item.log_check(keeper)


def test_the_household_timeline_shows_the_listing_and_the_lease(rw):
    from documents import timeline
    item = listing(rw)
    p = prospect(rw, item)
    p.take_deposit(rw["staff"]["cashier"], "100")
    p.sign(rw["staff"]["clerk"], **signed_args())
    titles = [i.title for i in timeline.for_household(rw["hh_a2"]) if i.kind == "Rental agency"]
    assert any("赵租客" in t and "2027-01-01" in t for t in titles) and any("3,000.00" in t for t in titles)


def test_two_cashiers_at_once_take_the_deposit_once(rw):
    p = prospect(rw, listing(rw))
    first, second = Prospect.objects.get(pk=p.pk), Prospect.objects.get(pk=p.pk)
    first.take_deposit(rw["staff"]["cashier"], "100")
    with pytest.raises(DomainError):
        second.take_deposit(rw["staff"]["manager"], "100.00")
    assert RentalReceipt.objects.count() == 1 and Prospect.objects.get(pk=p.pk).state == "deposit_paid"


def test_amounts_as_typed_with_the_yuan_sign_are_read(rw):
    p = prospect(rw, listing(rw))
    assert p.take_deposit(rw["staff"]["cashier"], "¥100.00").amount == VIEWING_DEPOSIT


@pytest.mark.parametrize("after,state", [(timedelta(hours=2), "met"), (timedelta(hours=2, seconds=1), "breached")])
def test_the_two_hours_at_the_boundary(rw, after, state):
    complaint = new_complaint(listing(rw), rw["staff"]["clerk"], "漏水无法解决")
    clock.freeze(datetime(2026, 12, 6, 2, 0) + after)
    complaint.report(rw["staff"]["clerk"], "已报客服主管")
    assert Clock.objects(kind="rental_complaint_report").get().state == state


def test_a_solved_complaint_meets_its_clock_and_a_missed_daily_check_is_breached(rw):
    from documents.agenda import sweep
    complaint = new_complaint(listing(rw, household="hh_a"), rw["staff"]["clerk"], "门禁卡失灵")
    complaint.solve(rw["staff"]["housekeeper"], "已补办门禁卡")
    assert complaint.state == "solved" and Clock.objects(kind="rental_complaint_report").get().state == "met"
    item = listing(rw)
    p = prospect(rw, item)
    p.take_deposit(rw["staff"]["cashier"], "100")
    p.sign(rw["staff"]["clerk"], **signed_args())
    clock.freeze(datetime(2026, 12, 7, 16, 0))          # past the end of the next local day
    sweep(clock.now())
    assert Clock.objects(kind="rental_daily_check").first().state == "breached"

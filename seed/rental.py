"""Demo rental agency: per community three listings (one let after a signed lease, with its daily
check; one available; one withdrawn), prospects in every state (registered with matches, deposit
paid, no deal, signed), and a tenant's complaint waiting to be reported.

Each step is taken through the real rules (documents/rental.py) with the clock set back to when it
happened. A community that already has listings is left alone, so a second `flask seed` creates nothing.
"""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from app import clock
from documents.deadlines import to_local, to_utc, zone_of
from documents.rental import Listing, Prospect, lease_fee_for, new_complaint
from documents.residents import Household
from seed.frame import seed_each
from seed.frame import staff as _staff

#: a tiny but real PDF for the filed lease and ID copies
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TENANT_IDS = ("110105199001011232", "11010519491231002X")


def seed_rental(communities) -> int:
    """Seed every community without listings; returns how many listings were created."""
    return seed_each(communities, Listing, _seed_community, indexed=True)


def _at(community, day: date, hour: int = 10):
    clock.freeze(to_utc(datetime.combine(day, time(hour)), zone_of(community)))


def _seed_community(community, index) -> int:
    clerk, manager = _staff(community, "clerk"), _staff(community, "manager")
    if clerk is None or manager is None:
        return 0
    # a community without a cashier or housekeeper account: the manager (who holds every right) acts
    cashier = _staff(community, "cashier") or manager
    keeper = _staff(community, "housekeeper") or manager
    pool = [h for h in Household.objects(community=community, status="current").order_by("sort_key")
            if not h.tenants and h.owners]
    households = pool[30:33] if len(pool) >= 33 else pool[-8:-5]     # clear of the vacancy demo's
    if len(households) < 3:
        return 0
    today = to_local(clock.now(), zone_of(community)).date()
    _at(community, today - timedelta(days=10))
    listings = []
    for household, (bedrooms, furnishing, rent) in zip(households, ((2, "full", "3200"), (3, "basic", "2800"),
                                                                     (1, "bare", "1500"))):
        owner = household.owners[0]
        listing = Listing(household=household, community=community, bedrooms=bedrooms, furnishing=furnishing,
                          area_m2=60 + 25 * bedrooms, furniture="冰箱、洗衣机、空调" if furnishing != "bare" else "",
                          rent_wanted=Decimal(rent), owner_terms="押一付三，不养宠物，租期一年起",
                          owner_name=owner.name, owner_phone=owner.phone or "13800138000")
        listing.save_versioned(None)
        listings.append(listing)
    let, available, withdrawn = listings
    withdrawn.withdraw(clerk)

    def prospect(name, phone, listing=None, **needs):
        p = Prospect(community=community, name=name, phone=phone, listing=listing, **needs)
        p.save_versioned(None)
        return p

    prospect("孙女士", "13600002001", bedrooms=2, rent_max=Decimal("3500"), needs="近地铁，拎包入住")
    paid = prospect("周先生", "13600002002", available, bedrooms=3, rent_min=Decimal("2500"),
                    rent_max=Decimal("3000"))
    _at(community, today - timedelta(days=1))
    paid.take_deposit(cashier, "100")
    gone = prospect("吴先生", "13600002003", available, bedrooms=2)
    gone.take_deposit(cashier, "100")
    gone.no_deal(cashier, "嫌楼层低")
    _at(community, today - timedelta(days=8))
    tenant = prospect("郑女士", "13600002004", let, bedrooms=2, furnishing="full")
    tenant.take_deposit(cashier, "100")
    tenant.sign(clerk, agreed_rent="3000", lease_fee=lease_fee_for("3000"), lease_start=today - timedelta(days=7),
                lease_end=today + timedelta(days=358), id_number=TENANT_IDS[index % 2],
                lease_copy=("租赁合同.pdf", PDF), id_copy=("身份证.pdf", PDF))
    _at(community, today - timedelta(days=1), hour=16)
    let.reload()
    checker = keeper if let.building_no in (keeper.buildings or []) or keeper is manager else manager
    let.log_check(checker, "楼道无堆物，外立面正常")
    _at(community, today, hour=9)
    new_complaint(let, clerk, "租户反映楼上夜间噪音，已上门劝说未果")
    return len(listings)

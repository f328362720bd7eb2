"""Fee items, three months of bills and the payments of most households (idempotent: the lines have
unique keys and the payments deterministic tokens)."""
import random
from datetime import date
from decimal import Decimal

from documents.fees.items import FeeItem, Rate
from documents.fees.ledger import BillLine, apportion, generate_bills, period_of, settle_household, today_in
from documents.fees.payments import Payment, open_lines, take_payment
from documents.residents import Household
from documents.staff import Staff

ITEMS = [
    # code, zh, en, kind, basis, [(valid from, rate, room use)]
    ("WYF", "物业管理费", "Property management fee", "property", "area",
     [(date(2024, 1, 1), "2.30", None), (date(2024, 1, 1), "4.50", "shop")]),
    ("TCF", "机动车占位费", "Vehicle parking fee", "parking", "space", [(date(2024, 1, 1), "150.00", None)]),
    ("TYFW", "特约有偿服务费", "Paid special service", "service", "one_off", []),
    ("ZL", "场地及房屋租赁费", "Venue and house rent", "rent", "one_off", []),
    ("GTSD", "公共水电分摊费", "Shared water and electricity", "shared_utilities", "apportioned", []),
]
#: last month's shared water and electricity of each community, apportioned by floor area
SHARED_UTILITIES_TOTAL = Decimal("6840.00")
MONTHS_BILLED = 3


def months_back(today: date, count: int) -> list[str]:
    periods, year, month = [], today.year, today.month
    for _ in range(count):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(periods))


def seed_fees(communities) -> str:
    made = 0
    for community in communities:
        if BillLine.objects(community=community, kind="property").first() is not None:
            continue       # billed before (a monthly bill, not a charge of another seed): later seeds (move-ins)
            #                made new households, which stay unbilled here
        for code, zh, en, kind, basis, rates in ITEMS:
            if FeeItem.objects(community=community, code=code).first() is None:
                FeeItem(community=community, code=code, name_zh=zh, name_en=en, kind=kind, basis=basis,
                        rates=[Rate(valid_from=start, amount=Decimal(rate), room_use=use)
                               for start, rate, use in rates]).save()
        today = today_in(community)
        for period in months_back(today, MONTHS_BILLED):
            made += generate_bills(community, period).created
        made += _apportion_last_month(community, today)
        _pay(community, today)
    return f"{made} bill lines, {Payment.objects.count()} payments"


def _apportion_last_month(community, today: date) -> int:
    item = FeeItem.objects(community=community, code="GTSD").first()
    period = months_back(today, 2)[0]
    if BillLine.objects(item=item, period=period).first() is not None:
        return 0
    return apportion(community, item, period, SHARED_UTILITIES_TOTAL).created


def _pay(community, today: date):
    """Most households pay all but this month; one in five owes older months too."""
    cashier = Staff.objects(roles__in=["cashier"], communities=community).first() \
        or Staff.objects(roles__in=["manager"], communities=community).first()
    if cashier is None:
        return
    rng = random.Random(f"fees:{community.code}")
    this_month = period_of(today)
    for household in Household.objects(community=community, status="current").order_by("sort_key"):
        owes = rng.random() < 0.2          # every draw before any `continue`: a second run draws the same
        method = rng.choice(["cash", "wechat", "alipay", "card", "transfer"])
        reference = f"{rng.randrange(10**9):09d}"
        if owes:
            continue
        token = f"seed:{household.pk}"
        if Payment.objects(token=token).first() is not None:
            continue
        settle_household(household)
        lines = [line for line in open_lines(household) if line.period != this_month]
        if not lines:
            continue
        total = sum((line.owed for line in lines), Decimal("0"))
        take_payment(household, cashier, total, method, token=token, reference=reference, paid_by=household.name,
                     line_ids=[line.pk for line in lines])

"""`python -m bench.arrears [--quick]`: the arrears list of a large community, embedded store.

A fresh litemongo store gets one community with 5,000 households (quick: 1,000) and 12 months of
bills (a property fee and, for a third of them, a parking fee: 12 months x 5,000 households, about
80,000 bill lines), inserted straight into the collections as the app stores them; most households
pay every month, some are one or two months behind, some three to five, a few half a year or more.
Each account is then written as `ledger.settle_household` writes it (owed, oldest unpaid due date,
the aging bucket), and a third of the households in arrears have a dunning contact in the last two
months. A cashier logs in and the arrears list is timed - unfiltered, each aging bucket, a
building, the last-contact filters, sorted by room, a later page, the CSV export is not timed -
with warm-up requests first, reporting p50 / p95 / max against the 150 ms target. Each response is
checked (rows in the table, the count in the heading). Exit status 1 when a check fails or a p95
misses the target.
"""
import os
import random
import re
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from bench.run import (TARGET_MS, Case, bench_account, finish, fresh_app, login, missed_targets, page_parser,
                       page_table, time_pages)

FULL = 5_000
QUICK = 1_000
MONTHS = 12
BATCH = 1000
#: the share of households that are (0, 1-2, 3-5, 6-12) months behind
BEHIND = ((0, 0.80), (2, 0.12), (5, 0.05), (12, 0.03))
NOW = datetime(2026, 12, 20, 2, 0)          # 2026-12-20 10:00 in Shanghai


def parse_args(argv=None):
    return page_parser("python -m bench.arrears", __doc__, "1,000 households").parse_args(argv)


def months_behind(rng) -> int:
    draw, total = rng.random(), 0.0
    low = 0
    for most, share in BEHIND:
        total += share
        if draw < total:
            return rng.randint(low, most) if most else 0
        low = most + 1
    return 0


def load(community, households: int, seed: int = 2026) -> dict:
    """Bills, accounts and dunning contacts of `households` archives (module docstring)."""
    from bench import data
    from documents.deadlines import local_date, zone_of
    from documents.fees.dunning import IN_ARREARS, aging_of, contact_age_of
    from documents.fees.items import FeeItem, Rate
    from documents.fees.ledger import Account, BillLine
    from documents.residents import Household

    rng = random.Random(seed)
    data.make_places(community, households)
    data.make_households(community, households, rng)
    prop = FeeItem(community=community, code="WY", name_zh="物业管理费", name_en="Property management fee",
                   kind="property", basis="area", rates=[Rate(valid_from=date(2025, 1, 1), amount=Decimal("2.00"))]).save()
    parking = FeeItem(community=community, code="TC", name_zh="机动车占位费", name_en="Parking fee", kind="parking",
                      basis="space", rates=[Rate(valid_from=date(2025, 1, 1), amount=Decimal("150.00"))]).save()
    zone = zone_of(community)
    today = local_date(NOW, zone)
    periods = [f"2026-{m:02d}" for m in range(1, MONTHS + 1)]
    lines, accounts, counts = [], [], {"lines": 0, "in_arrears": 0, "contacted": 0}
    for household in Household.objects(community=community, status="current").only(
            "name", "room_code", "building_no", "sort_key"):
        behind = months_behind(rng)
        items = [(prop, Decimal("178.00"))] + ([(parking, Decimal("150.00"))] if rng.random() < 0.33 else [])
        owed, open_lines, oldest = Decimal("0"), 0, None
        for index, period in enumerate(periods):
            due = date(2026, index + 1, 15)
            unpaid = index >= MONTHS - behind or due >= today
            for item, amount in items:
                lines.append(BillLine(
                    community=community, key=f"{household.pk}:{item.pk}:{period}", household=household,
                    household_name=household.name, room_code=household.room_code, building_no=household.building_no,
                    sort_key=household.sort_key, item=item, item_name=item.name_zh, item_name_en=item.name_en,
                    kind=item.kind, period=period, amount=amount, paid=Decimal("0") if unpaid else amount,
                    paid_elsewhere=Decimal("0"), settled=not unpaid, due_on=due, source="monthly",
                    created_at=datetime(2026, index + 1, 1), created_by_name="system").to_mongo())
                if unpaid:
                    owed, open_lines = owed + amount, open_lines + 1
                    oldest = due if oldest is None else min(oldest, due)
        aging = aging_of(oldest, today)
        contacted = None
        if aging in IN_ARREARS:
            counts["in_arrears"] += 1
            if rng.random() < 0.33:
                contacted = NOW - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 8))
                counts["contacted"] += 1
        accounts.append(Account(
            community=community, household=household, household_name=household.name, room_code=household.room_code,
            building_no=household.building_no, sort_key=household.sort_key, owed=owed, owed_fen=int(owed * 100),
            open_lines=open_lines, oldest_due_on=oldest, settled_at=NOW, aging=aging,
            contact_age=contact_age_of(contacted, today, zone), last_contact_at=contacted,
            last_contact_method="phone" if contacted else None,
            last_contact_by_name="基准管家" if contacted else None).to_mongo())
    for model, docs in ((BillLine, lines), (Account, accounts)):
        for start in range(0, len(docs), BATCH):
            model._get_collection().insert_many(docs[start:start + BATCH])
    counts["lines"] = len(lines)
    counts["accounts"] = len(accounts)
    return counts


def list_rows(html: str) -> int:
    return html.count('class="arrears-row"')


def expected_rows(url: str, total: int) -> int:
    """Rows of the page asked for (the last page when it asks beyond it), 20 a page."""
    match = re.search(r"page=(\d+)", url)
    pages = max(1, -(-total // 20))
    page = min(int(match.group(1)) if match else 0, pages - 1)
    return min(20, total - page * 20) if total else 0


def heading_count(html: str) -> int | None:
    match = re.search(r'id="arrears-total">(\d[\d,]*)', html)
    return int(match.group(1).replace(",", "")) if match else None


def main(argv=None) -> int:
    args = parse_args(argv)
    households = QUICK if args.quick else FULL
    app, store = fresh_app("estate-bench-arrears-")
    from app import clock
    from documents.places import Community

    clock.freeze(NOW)
    started = time.perf_counter()
    with app.app_context():
        community = Community(code="BENCH-F", name_zh="碧桂华庭", name_en="Bigui Court").save()
        made = load(community, households)
        password = bench_account(community, "bench_cashier", "基准收银员", "cashier")
    load_seconds = time.perf_counter() - started

    client = app.test_client()
    login(client, "bench_cashier", password)
    cases = [
        Case("all", "arrears: all, owed first", "/admin/arrears/", []),
        Case("room", "arrears: all, by room", "/admin/arrears/?sort=room", []),
        Case("late", "arrears: over 90 days", "/admin/arrears/?aging=91%2B", []),
        Case("young", "arrears: up to 30 days", "/admin/arrears/?aging=1-30", []),
        Case("building", "arrears: building 3", "/admin/arrears/?building=3", []),
        Case("never", "arrears: never contacted", "/admin/arrears/?contact=never", []),
        Case("stale", "arrears: 31-60 days, no contact > 30 days", "/admin/arrears/?aging=31-60&contact=30", []),
        Case("page", "arrears: all, page 20", "/admin/arrears/?page=19", []),
    ]

    def check(case, html):
        if heading_count(html) is None or list_rows(html) != expected_rows(case.url, heading_count(html)):
            yield f"{list_rows(html)} rows for {heading_count(html)} households"

    failures = time_pages(client, cases, args.warmup, args.repeat, check)
    first = client.get("/admin/arrears/").data.decode()
    if heading_count(first) != made["in_arrears"]:
        failures.append(f"the list counts {heading_count(first)} households, {made['in_arrears']} are in arrears")
    print(f"Estate Desk arrears benchmark ({'quick' if args.quick else 'full'}), {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"Store: embedded (litemongo), fresh; one community, {made['accounts']:,} households, {MONTHS} months, "
          f"{made['lines']:,} bill lines, {made['in_arrears']:,} in arrears ({made['contacted']:,} contacted); "
          f"loaded in {load_seconds:.1f} s")
    load_average = os.getloadavg()[0]
    print(f"{args.warmup} warm-up + {args.repeat} timed per page; target p95 <= {TARGET_MS:.0f} ms; "
          f"load average {load_average:.1f}")
    print("\n".join(page_table(cases, ("p50", "p95", "max", "cpu"), width=44, target=False, rule=False)))
    clock.freeze(None)
    return finish(failures + missed_targets(cases), store)


if __name__ == "__main__":
    sys.exit(main())

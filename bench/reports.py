"""`python -m bench.reports [--quick]`: the monthly complaint analysis and the daily report, embedded store.

A fresh litemongo store gets two communities of 2,000 households, each with 50,000 work orders
(40,000 repairs and 10,000 complaints; quick: 5,000 and 1,000), copies of the demo seed's records
made by `bench.office` (the same generator as `bench.handover`):
- **spread**: over two years, a tenth of them open (recent) with their open clocks;
- **packed**: the worst case, all of them inside the report's month (the last full month).
A manager of both logs in; each report page of each community is requested through the WSGI app,
warm-up requests first, then `--repeat` timed ones: p50 / p95 / max and the queries of one request.
Each page is checked (its complaint total equals a count made apart, the daily table is there) so
a fast error page cannot pass. Target: the monthly report's p95 under 2 s (issue 13). Exit status
1 when a check fails or a p95 misses its target.
"""
import argparse
import calendar
import cProfile
import os
import pstats
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta

from bench.run import Case, login, machine, make_app, measure, pad

TARGET_MS = 2000.0
FULL = {"repairs": 40_000, "complaints": 10_000}
QUICK = {"repairs": 5_000, "complaints": 1_000}
HOUSEHOLDS = 2000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 repairs and 1,000 complaints a community")
    parser.add_argument("--repeat", type=int, default=10, help="timed requests per page (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests first (default 2)")
    parser.add_argument("--profile", metavar="CASE", help="print a cProfile of one case (e.g. packed-monthly)")
    return parser.parse_args(argv)


def last_full_month(today: date) -> tuple[int, int]:
    first = today.replace(day=1) - timedelta(days=1)
    return first.year, first.month


def packed_anchor(year: int, month: int) -> tuple[datetime, float]:
    """(now, years) for `bench.office`: every generated time falls inside the month (Shanghai time).

    Open records are placed 1-72 h before `now`, finished ones 3 days to `years` before it: `now` is
    the month's last day at noon local (04:00 UTC), `years` the month's length less two days."""
    days = calendar.monthrange(year, month)[1]
    return datetime(year, month, days, 4, 0), (days - 2) / 365


def expected_complaints(community, year: int, month: int) -> int:
    """The month's complaints counted apart from the report (a count, in Shanghai's month)."""
    from documents.complaints import Complaint
    from documents.deadlines import local_date_range, zone_of
    low, high = local_date_range(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]),
                                 zone_of(community))
    return Complaint.objects(community=community.pk, kind="complaint", received_at__gte=low,
                             received_at__lt=high).count()


def total_of(html: str) -> str:
    found = re.search(r'id="total-complaints">(\d+)<', html)
    return found.group(1) if found else "?"


def main(argv=None) -> int:
    args = parse_args(argv)
    counts = QUICK if args.quick else FULL
    store = os.path.join(tempfile.mkdtemp(prefix="estate-bench-reports-"), "data")
    app = make_app(store)
    from bench import office
    from bench.data import make_households, make_places
    from documents.places import Community
    from documents.staff import Staff

    today = datetime.utcnow().date()
    year, month = last_full_month(today)
    anchor, span = packed_anchor(year, month)
    started = time.perf_counter()
    with app.app_context():
        password = secrets.token_urlsafe(12)
        spread = Community(code="BENCH-S", name_zh="碧桂华庭", name_en="Bigui Court").save()
        packed = Community(code="BENCH-P", name_zh="锦绣花园", name_en="Jinxiu Garden").save()
        for community in (spread, packed):
            make_places(community, HOUSEHOLDS)
            make_households(community, HOUSEHOLDS, random.Random(f"2026-{community.code}"))
        templates = office.template_community(password=password)
        made = {
            "spread": office.add_service_records(spread, counts, random.Random(2026), templates,
                                                 open_share=office.OPEN_SHARE, years=2),
            "packed": office.add_service_records(packed, counts, random.Random(2027), templates,
                                                 open_share=office.OPEN_SHARE, years=span, now=anchor),
        }
        expected = {"spread": expected_complaints(spread, year, month),
                    "packed": expected_complaints(packed, year, month)}
        manager = Staff(username="bench_manager", display_name="基准经理", roles=["manager"],
                        communities=[spread, packed], language="zh_Hans_CN")
        manager.set_password(password)
        manager.save()
    load_seconds = time.perf_counter() - started

    client = app.test_client()
    login(client, "bench_manager", password)
    busy_day = (anchor - timedelta(days=10)).date().isoformat()
    yesterday = (today - timedelta(days=1)).isoformat()
    cases = []
    for name, community, day in (("spread", spread, yesterday), ("packed", packed, busy_day)):
        cases += [
            Case(f"{name}-monthly", f"{name}: complaint analysis {year}-{month:02d}",
                 f"/admin/reports/complaints/?community={community.pk}&month={year}-{month:02d}",
                 [f'id="total-complaints">{expected[name]}<', 'id="chart-by-class-table"']),
            Case(f"{name}-daily", f"{name}: daily report {day}",
                 f"/admin/reports/daily/?community={community.pk}&day={day}", ['id="line-repair_room"']),
        ]
    failures = []
    for case in cases:
        profiler = cProfile.Profile() if args.profile == case.key else None
        problem = measure(client, case, args.warmup, args.repeat, profiler)
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        if problem:
            failures.append(f"{case.label}: {problem}")
    print(f"Estate Desk reports benchmark ({'quick' if args.quick else 'full'}), {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"Machine: {machine()}")
    print(f"Store: embedded (litemongo), fresh; two communities of {HOUSEHOLDS:,} households, each "
          f"{counts['repairs']:,} repairs + {counts['complaints']:,} complaints: 'spread' over two years, "
          f"'packed' all in {year}-{month:02d}; loaded in {load_seconds:.0f} s")
    print(f"Complaints in {year}-{month:02d}: spread {expected['spread']:,}, packed {expected['packed']:,}")
    print(f"{args.warmup} warm-up + {args.repeat} timed requests per page; target p95 <= {TARGET_MS:.0f} ms\n")
    print(f"| {pad('page', 46)} | {'p50 ms':>6} | {'p95 ms':>6} | {'max ms':>6} | {'queries':>7} | target |")
    print(f"|{'-' * 48}|{'-' * 7}:|{'-' * 7}:|{'-' * 7}:|{'-' * 8}:|{'-' * 8}|")
    for case in cases:
        if not case.times:
            continue
        ok = "met" if case.p(95) <= TARGET_MS else "MISSED"
        print(f"| {pad(case.label, 46)} | {case.p(50):6.1f} | {case.p(95):6.1f} | {max(case.times):6.1f} "
              f"| {case.queries.total:7d} | {ok:<6} |")
    slow = [c.label for c in cases if c.times and c.p(95) > TARGET_MS]
    if slow:
        failures.append("p95 over target: " + "; ".join(slow))
    for failure in failures:
        print("FAILED:", failure)
    del made
    shutil.rmtree(os.path.dirname(store), ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

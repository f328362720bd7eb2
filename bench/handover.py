"""`python -m bench.handover [--quick]`: the shift-handover page of a busy community, embedded store.

A fresh litemongo store gets one community with 50,000 work orders and 10,000 complaints (quick:
5,000 and 1,000) spread over two years, about a tenth of them still open and some of those late,
with their open clocks: copies of the demo seed's records stored straight into the collections
(`bench.office.busy_community`). A clerk logs in and
the handover page is timed — its first tab, the complaints tab, the late work orders, a later page
— with warm-up requests first, reporting p50 / p95 / max against the 150 ms target. Each response is
checked (20 rows in the open-items table, the counts in the tabs) so a fast error page cannot pass.
Exit status 1 when a check fails or a p95 misses the target.
"""
import argparse
import os
import re
import secrets
import sys
import tempfile
import time

from bench.run import TARGET_MS, Case, finish, login, make_app, measure, print_timings

FULL = (50_000, 10_000)
QUICK = (5_000, 1_000)
HOUSEHOLDS = 2000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.handover", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 work orders and 1,000 complaints")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    return parser.parse_args(argv)


def open_rows(html: str) -> int:
    table = html.split('id="open-items"', 1)[-1].split("</table>", 1)[0]
    return table.split("<tbody>", 1)[-1].count("<tr")


def main(argv=None) -> int:
    args = parse_args(argv)
    repairs, complaints = QUICK if args.quick else FULL
    store = os.path.join(tempfile.mkdtemp(prefix="estate-bench-handover-"), "data")
    app = make_app(store)
    from bench import office
    from documents.places import Community
    from documents.staff import Staff

    started = time.perf_counter()
    with app.app_context():
        community = Community(code="BENCH-H", name_zh="碧桂华庭", name_en="Bigui Court").save()
        password = secrets.token_urlsafe(12)
        made = office.busy_community(community, HOUSEHOLDS, repairs, complaints, password=password)
        clerk = Staff(username="bench_clerk", display_name="基准前台", roles=["clerk"],
                      communities=[community], language="zh_Hans_CN")
        clerk.set_password(password)
        clerk.save()
    load_seconds = time.perf_counter() - started

    client = app.test_client()
    login(client, "bench_clerk", password)
    cases = [
        Case("work", "handover: open work orders, page 1", "/admin/handover/", []),
        Case("complaints", "handover: open complaints, page 1", "/admin/handover/?kind=complaint", []),
        Case("late", "handover: late work orders, page 1", "/admin/handover/?kind=repair&late=1", []),
        Case("page10", "handover: open work orders, page 10", "/admin/handover/?kind=repair&page=9", []),
    ]
    failures = []
    for case in cases:
        problem = measure(client, case, args.warmup, args.repeat)
        html = client.get(case.url).data.decode()
        if problem:
            failures.append(f"{case.label}: {problem}")
        elif open_rows(html) != 20:
            failures.append(f"{case.label}: {open_rows(html)} rows instead of 20")
        if f">{made['open_repairs']}<" not in re.sub(r"\s+", "", html):
            failures.append(f"{case.label}: the work-order tab does not count {made['open_repairs']} open")
    print(f"Estate Desk handover benchmark ({'quick' if args.quick else 'full'}), "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(f"Store: embedded (litemongo), fresh; one community, {repairs:,} work orders "
          f"({made['open_repairs']:,} open, {made['late_repairs']:,} late) and {complaints:,} complaints "
          f"({made['open_complaints']:,} open); loaded in {load_seconds:.0f} s")
    print(f"{args.warmup} warm-up + {args.repeat} timed requests per page; target p95 <= {TARGET_MS:.0f} ms\n")
    failures += print_timings(cases, TARGET_MS)
    return finish(failures, store)


if __name__ == "__main__":
    sys.exit(main())

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
import re
import secrets
import sys
import time

from bench.run import (TARGET_MS, Case, bench_account, finish, fresh_app, login, missed_targets, page_parser,
                       page_table, time_pages)

FULL = (50_000, 10_000)
QUICK = (5_000, 1_000)
HOUSEHOLDS = 2000


def parse_args(argv=None):
    return page_parser("python -m bench.handover", __doc__, "5,000 work orders and 1,000 complaints").parse_args(argv)


def open_rows(html: str) -> int:
    table = html.split('id="open-items"', 1)[-1].split("</table>", 1)[0]
    return table.split("<tbody>", 1)[-1].count("<tr")


def main(argv=None) -> int:
    args = parse_args(argv)
    repairs, complaints = QUICK if args.quick else FULL
    app, store = fresh_app("estate-bench-handover-")
    from bench import office
    from documents.places import Community

    started = time.perf_counter()
    with app.app_context():
        community = Community(code="BENCH-H", name_zh="碧桂华庭", name_en="Bigui Court").save()
        password = secrets.token_urlsafe(12)
        made = office.busy_community(community, HOUSEHOLDS, repairs, complaints, password=password)
        bench_account(community, "bench_clerk", "基准前台", "clerk", password)
    load_seconds = time.perf_counter() - started

    client = app.test_client()
    login(client, "bench_clerk", password)
    cases = [
        Case("work", "handover: open work orders, page 1", "/admin/handover/", []),
        Case("complaints", "handover: open complaints, page 1", "/admin/handover/?kind=complaint", []),
        Case("late", "handover: late work orders, page 1", "/admin/handover/?kind=repair&late=1", []),
        Case("page10", "handover: open work orders, page 10", "/admin/handover/?kind=repair&page=9", []),
    ]

    def check(case, html):
        if open_rows(html) != 20:
            yield f"{open_rows(html)} rows instead of 20"
        if f">{made['open_repairs']}<" not in re.sub(r"\s+", "", html):
            yield f"the work-order tab does not count {made['open_repairs']} open"

    failures = time_pages(client, cases, args.warmup, args.repeat, check)
    print(f"Estate Desk handover benchmark ({'quick' if args.quick else 'full'}), "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(f"Store: embedded (litemongo), fresh; one community, {repairs:,} work orders "
          f"({made['open_repairs']:,} open, {made['late_repairs']:,} late) and {complaints:,} complaints "
          f"({made['open_complaints']:,} open); loaded in {load_seconds:.0f} s")
    print(f"{args.warmup} warm-up + {args.repeat} timed requests per page; target p95 <= {TARGET_MS:.0f} ms\n")
    print("\n".join(page_table(cases)))
    return finish(failures + missed_targets(cases), store)


if __name__ == "__main__":
    sys.exit(main())

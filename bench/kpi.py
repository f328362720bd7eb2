"""`python -m bench.kpi [--quick]`: the KPI page of five years of an office, embedded store.

A fresh litemongo store gets the archive benchmark's three communities (`bench.data`: 5,000, 2,000
and 2,000 households; quick: 1,000 / 400 / 400), the demo seed's records walked through the real
steps as templates, and five years of work orders, complaints and renovation files copied from them
(`bench.office.service_records`: 100,000 / 20,000 / 2,000, quick a twentieth), with the clocks the
agenda ran for them: the open ones (`open_clocks`) and every stopped one, met or breached
(`stopped_clocks`) - hundreds of thousands of clocks, the registers the on-time charts read. The
sweeper's arrears snapshots are taken once (as its daily pass does); no bills are generated: the page
reads the snapshots only, never the ledger (a month without one is asked of the sweeper).

An executive logs in and the KPI page is timed for the large community and company-wide, the
default six months and a whole year, with warm-up requests first: p50 / p95 / max against the 1 s
target and the page's query count (which must not grow from six months to twelve, nor from one
community to three). Each response is checked (the on-time charts carry rates, the arrears are
computed). The on-time charts read the sweeper's monthly tallies (`kpi.keep_on_time_tallies`, its
first pass and an hourly refresh are timed too): the embedded store looks up equalities only, so a
month's clocks cannot be found without reading every clock of the community. Exit status 1 when a
check fails or a target is missed.
"""
import random
import re
import secrets
import sys
import time

from bench.run import (Case, bench_account, finish, fresh_app, login, machine, missed_targets, page_parser,
                       page_table, time_pages)

TARGET_MS = 1000.0
FULL = {"repairs": 100_000, "complaints": 20_000, "renovations": 2_000}
QUICK = {"repairs": 5_000, "complaints": 1_000, "renovations": 100}


def parse_args(argv=None):
    parser = page_parser("python -m bench.kpi", __doc__, "a twentieth of the households and records")
    parser.add_argument("--store", help="keep the store in this new directory (for profiling afterwards)")
    return parser.parse_args(argv)


def load(world, sizes, password, seed: int = 2026) -> dict:
    """Templates through the real steps, then five years per community (weighted by households).
    Returns {what: number stored}."""
    from bench import office
    from documents.agenda import Clock
    from documents.complaints import Complaint
    from documents.renovations import Renovation
    from documents.repairs import Repair

    templates = office.seed_templates(world.communities, password)
    rng = random.Random(seed)
    totals = {"clocks": 0}
    for community, households in zip(world.communities, world.households):
        weight = households / sum(world.households)
        counts = {name: round(n * weight) for name, n in sizes.items()}
        records, _audit = office.service_records(community.pk, office.community_households(community.pk),
                                                 templates, counts, rng, audit_budget=0)
        for model in (Repair, Complaint, Renovation):
            name = model._get_collection_name()
            totals[name] = totals.get(name, 0) + office.insert_raw(model, records.get(name, []))
        totals["clocks"] += office.insert_raw(Clock, office.open_clocks(records) + office.stopped_clocks(records))
    return totals


def on_time_cells(html: str) -> list[str]:
    table = html.split('id="chart-on-time-trend-table"', 1)[-1].split("</table>", 1)[0]
    return re.findall(r'<td class="text-right">([^<]*)</td>', table)


def main(argv=None) -> int:
    args = parse_args(argv)
    app, store = fresh_app("estate-bench-kpi-", args.store)
    from bench import data
    from app import clock
    from documents.agenda import Clock
    from documents.reports import kpi

    started = time.perf_counter()
    sizes = QUICK if args.quick else FULL
    with app.app_context():
        world = data.load(data.QUICK if args.quick else data.FULL)
        password = secrets.token_urlsafe(12)
        totals = load(world, sizes, password)
        kpi.keep_arrears_snapshots()
        swept = time.perf_counter()
        kpi.keep_on_time_tallies()              # the sweeper's first pass: a year of tallies
        tally_seconds = time.perf_counter() - swept
        swept = time.perf_counter()
        kpi.keep_on_time_tallies(clock.now() + kpi.TALLY_REFRESH)    # an hour later: the running month
        refresh_seconds = time.perf_counter() - swept
        bench_account(world.big, "bench_exec", "基准总经理", "executive", password)
        by_state = {state: Clock.objects(state=state).count() for state in ("met", "breached", "cancelled",
                                                                              "running")}
        big = world.big.pk
    load_seconds = time.perf_counter() - started

    client = app.test_client()
    login(client, "bench_exec", password)
    year = "start={}&end={}".format(*_last_twelve())
    cases = [
        Case("one", "KPI: large community, 6 months", f"/admin/kpi/?community={big}", []),
        Case("one12", "KPI: large community, 12 months", f"/admin/kpi/?community={big}&{year}", []),
        Case("all", "KPI: company-wide, 6 months", "/admin/kpi/?community=all", []),
        Case("all12", "KPI: company-wide, 12 months", f"/admin/kpi/?community=all&{year}", []),
    ]

    def check(case, html):
        rates = [cell for cell in on_time_cells(html) if cell.endswith("%")]
        if not rates:
            yield "the on-time trend shows no rate"
        for note in ("kpi-arrears-pending", "kpi-on-time-pending"):
            if f'id="{note}"' in html:
                yield f"{note}: not computed although the sweeper took its snapshots and tallies"

    failures = time_pages(client, cases, args.warmup, args.repeat, check)
    queries = {case.key: case.queries.total for case in cases if case.queries is not None}
    if len(set(queries.values())) > 1:
        failures.append(f"the page's query count is not flat: {queries}")
    print(f"Estate Desk KPI benchmark ({'quick' if args.quick else 'full'}), {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"Machine: {machine()}; load average (1 min) {_load():.1f} after the timed requests")
    print(f"Store: embedded (litemongo), fresh; {len(world.communities)} communities, "
          f"{sum(world.households):,} households; {totals.get('repairs', 0):,} work orders, "
          f"{totals.get('complaints', 0):,} complaints, {totals.get('renovations', 0):,} renovation files over "
          f"five years; {totals['clocks']:,} clocks ({', '.join(f'{n:,} {s}' for s, n in by_state.items())}); "
          f"loaded in {load_seconds:.0f} s")
    print(f"The sweeper's on-time tallies: the first pass (a year of months, every community) {tally_seconds:.1f} s, "
          f"the running month's hourly refresh {refresh_seconds:.1f} s")
    print(f"{args.warmup} warm-up + {args.repeat} timed requests per page as an executive; "
          f"target p95 <= {TARGET_MS:.0f} ms\n")
    print("\n".join(page_table(cases, ("p50", "p95", "max", "queries"), target_ms=TARGET_MS)))
    return finish(failures + missed_targets(cases, target_ms=TARGET_MS), None if args.store else store)


def _last_twelve() -> tuple[str, str]:
    """This month and the eleven before it, as YYYY-MM (UTC today is close enough for the bench)."""
    from app import clock
    today = clock.now().date()
    back = today.year * 12 + today.month - 1 - 11
    return f"{back // 12}-{back % 12 + 1:02d}", f"{today.year}-{today.month:02d}"


def _load() -> float:
    import os
    return os.getloadavg()[0]


if __name__ == "__main__":
    sys.exit(main())

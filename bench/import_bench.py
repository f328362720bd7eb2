"""Benchmark of the Excel import: 5,000 households into a fresh embedded store, target < 60 s.

A fresh litemongo store (in a temporary directory) gets one community with the benchmark's places
(bench/data.make_places); a workbook of 5,000 realistic households (the demo seed's
`build_household`: owners, members, tenants, vehicles; about 12,000 rows) is written with openpyxl
and imported as the import page does it: `read_plan` (read and check every row: the preview) and
`apply_plan` (write: the confirmation). Then the same workbook is imported again, which updates
every archive in place. The command checks the store afterwards (5,000 current archives, none
duplicated) and exits with status 1 if a check fails or the first import misses the target.

    .venv/bin/python -m bench.import_bench            # 5,000 households
    .venv/bin/python -m bench.import_bench --households 1000 --no-reimport
"""
import argparse
import io
import os
import random
import sys
import tempfile
import time

TARGET_SECONDS = 60.0


def workbook_bytes(community, count: int, rng) -> tuple[bytes, int]:
    """A workbook in the import's English layout with `count` households; and its number of rows."""
    from openpyxl import Workbook

    from documents.archive_import import PEOPLE_COLUMNS
    from documents.places import Room
    from seed.residents import build_household

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Households")
    sheet.append([str(label) for _key, label, _required in PEOPLE_COLUMNS])
    rows = 0
    rooms = Room.objects(community=community).order_by("sort_key").limit(count)
    for index, room in enumerate(rooms):
        household = build_household(rng, community, room, index)
        plates = ", ".join(v.plate for v in household.vehicles)
        parking = household.vehicles[0].parking_space if household.vehicles else ""
        seen = set()
        for listed_as, people in (("owner", household.owners), ("member", household.members),
                                  ("tenant", household.tenants)):
            for person in people:
                if (listed_as, person.name) in seen:      # two children of one name: one row
                    continue
                seen.add((listed_as, person.name))
                lease = [str(getattr(person, "lease_start", "") or ""), str(getattr(person, "lease_end", "") or "")]
                sheet.append([room.code, household.name, listed_as, person.name, person.relation or "",
                              person.phone or "", person.id_type if person.id_number else "",
                              person.id_number or "", str(household.move_in_date or "")] + lease
                             + ([plates, parking] if listed_as == "owner" else ["", ""]))
                rows += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), rows


def run_import(data, community, user, name):
    from documents.archive_import import apply_plan, read_plan, start
    started, cpu = time.perf_counter(), time.process_time()
    plan = read_plan(data, community)
    checked = time.perf_counter()
    if plan.errors:
        raise SystemExit(f"{name}: {len(plan.errors)} errors, first: {plan.errors[0]}")
    job = start(user, community, name, data)
    apply_plan(plan, user, job)
    done = time.perf_counter()
    run_import.cpu = time.process_time() - cpu
    return job, checked - started, done - checked


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--no-reimport", action="store_true")
    parser.add_argument("--store", help="store path (default: a fresh temporary directory)")
    args = parser.parse_args(argv)
    store = args.store or os.path.join(tempfile.mkdtemp(prefix="estate-import-bench-"), "data")

    from bench.data import make_places
    from bench.run import make_app
    from documents.places import Community
    from documents.residents import Household
    from documents.staff import Staff

    app = make_app(store)
    problems = []
    with app.test_request_context():
        community = Community(code="IMPORT", name_zh="碧桂华庭", name_en="Bigui Court").save()
        make_places(community, args.households)
        user = Staff(username="bench_importer", display_name="导入", roles=["clerk"], communities=[community])
        user.set_password("bench-import-password-1")
        user.save()
        data, rows = workbook_bytes(community, args.households, random.Random(2026))
        job, check_s, write_s = run_import(data, community, user, "bench.xlsx")
        total = check_s + write_s
        print(f"Import of {args.households:,} households ({rows:,} rows, {len(data) / 1e6:.1f} MB) into a fresh "
              f"embedded store: preview (read + check) {check_s:.1f} s, write {write_s:.1f} s, "
              f"total {total:.1f} s (target < {TARGET_SECONDS:.0f} s); CPU time {run_import.cpu:.1f} s; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        if total >= TARGET_SECONDS:
            problems.append(f"first import took {total:.1f} s")
        if job.created != args.households:
            problems.append(f"created {job.created}, expected {args.households}")
        if not args.no_reimport:
            again, check_s, write_s = run_import(data, community, user, "bench-again.xlsx")
            print(f"Re-import of the same workbook: preview {check_s:.1f} s, write {write_s:.1f} s "
                  f"({again.updated:,} updated, {again.created} created)")
            if again.created or again.updated != args.households:
                problems.append("the re-import did not update every archive in place")
        current = Household.objects(community=community, status="current").count()
        if current != args.households:
            problems.append(f"{current} current archives in the store, expected {args.households}")
    for problem in problems:
        print("FAILED:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m bench.movein_board [--quick]`: the handover-day board with 500 owners in one day, embedded store.

A fresh litemongo store (MONGODB_URI a file path) gets one community with 500 move-in files booked
on today's handover day, spread over the eight steps and "moved in", each waiting since a moment of
the last two hours (so some wait long), with the log, items, inspections and defect rows a file at
that step has; and, so that the board cannot get away with reading all files, `--other-days` more
files on earlier handover days. A clerk logs in and the board is timed — its first page, a later
page, its last page — with warm-up requests first, reporting p50 / p95 / max and the queries per
page against the 500 ms target (`bench.run`'s harness). Each response is checked: 20 rows on a
page, the day's total and the count of each step as stored, the long-waiting list's count, so a
fast error page cannot pass. Exit status 1 when a check fails or a p95 misses the target.
"""
import argparse
import os
import random
import re
import secrets
import sys
import tempfile
import time
from datetime import timedelta

from bench.run import Case, finish, login, make_app, measure, missed_targets, page_table

TARGET_MS = 500.0
OWNERS = 500
OTHER_DAYS = 1500
PAGE = 20


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.movein_board", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 timed requests per page")
    parser.add_argument("--owners", type=int, default=OWNERS, help=f"files on the day (default {OWNERS})")
    parser.add_argument("--other-days", type=int, default=OTHER_DAYS,
                        help=f"files on earlier handover days (default {OTHER_DAYS})")
    parser.add_argument("--repeat", type=int, help="timed requests per page (default 30, quick 10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    return parser.parse_args(argv)


def files(community, rooms, day, now, rng, owners_on_day):
    """Move-in files as stored: the day's owners over every step, the rest on earlier days moved in."""
    from documents.movein import (CHECK_AREAS, ORDER, Defect, HandedItem, Inspection, LogEntry, MoveIn)

    states = ORDER + ["moved_in"]
    made = []
    for index, room in enumerate(rooms):
        on_day = index < owners_on_day
        state = states[index % len(states)] if on_day else "moved_in"
        # waiting long (45-120 min) or not (1-15 min): the long-waiting count holds while the bench runs
        minutes = rng.uniform(45, 120) if rng.random() < 0.6 else rng.uniform(1, 15)
        when = now - timedelta(minutes=minutes) if on_day else now - timedelta(days=1 + index % 60)
        done = ORDER[:ORDER.index(state)] if state in ORDER else ORDER
        log = [LogEntry(step=step, at=when - timedelta(minutes=5 * (len(done) - n)), by_name="基准前台",
                        summary=f"{step} ✓") for n, step in enumerate(done)]
        record = MoveIn(community=community, room=room, room_code=room.code, building_no=room.building_no,
                        sort_key=room.sort_key, owner_name=f"业主{index:04d}", owner_phone=f"138{index:08d}",
                        appointment_on=day if on_day else day - timedelta(days=1 + index % 60),
                        day_key=(day if on_day else day - timedelta(days=1 + index % 60)).isoformat(),
                        opened_at=when - timedelta(hours=1), opened_by_name="基准前台", state=state,
                        state_since=when, arrived_at=log[0].at if log else None, log=log, version=len(log) + 1)
        if "items" in done:
            record.items = [HandedItem(kind="keys", count=3), HandedItem(kind="access_card", count=2)]
        if "inspect" in done:
            area = CHECK_AREAS[index % len(CHECK_AREAS)][0]
            record.inspections = [Inspection(round=1, at=when, by_name="验房员", failed_areas=[area],
                                             outcome="with_defects")]
            record.defects = [Defect(round=1, area=area, description="墙面裂缝", work_order_no=f"WO-{index:05d}")]
        made.append(record.to_mongo())
    MoveIn._get_collection().insert_many(made)
    return made


def main(argv=None) -> int:
    args = parse_args(argv)
    repeat = args.repeat or (10 if args.quick else 30)
    store = os.path.join(tempfile.mkdtemp(prefix="estate-bench-movein-"), "data")
    app = make_app(store)
    from app import clock
    from bench.data import make_places
    from documents.deadlines import local_date, zone_of
    from documents.movein import LONG_WAIT_MINUTES, ORDER, MoveIn
    from documents.places import Community, Room
    from documents.staff import Staff

    started = time.perf_counter()
    total_files = args.owners + args.other_days
    with app.app_context():
        community = Community(code="BENCH-M", name_zh="锦绣新城", name_en="Jinxiu New Town").save()
        make_places(community, total_files)
        rooms = list(Room.objects(community=community).order_by("sort_key").limit(total_files))
        now = clock.now()
        day = local_date(now, zone_of(community))
        files(community, rooms, day, now, random.Random(2026), args.owners)
        password = secrets.token_urlsafe(12)
        clerk = Staff(username="bench_clerk", display_name="基准前台", roles=["clerk"],
                      communities=[community], language="zh_Hans_CN")
        clerk.set_password(password)
        clerk.save()
        stored = {state: MoveIn.objects(community=community, appointment_on=day, state=state).count()
                  for state in ORDER + ["moved_in"]}
        since = now - timedelta(minutes=LONG_WAIT_MINUTES)
        waiting = MoveIn.objects(community=community, appointment_on=day, state__in=ORDER,
                                 state_since__lt=since).count()
    load_seconds = time.perf_counter() - started

    client = app.test_client()
    login(client, "bench_clerk", password)
    pages = -(-args.owners // PAGE)
    base = f"/admin/move_ins/board/?community={community.pk}&day={day.isoformat()}"
    expect = [f'id="count-total">{args.owners}<'] + [f'id="count-{state}">{n}<' for state, n in stored.items()
                                                     if state in ORDER]
    cases = [
        Case("first", "board: page 1", base, expect),
        Case("middle", f"board: page {pages // 2 + 1}", f"{base}&page={pages // 2}", expect),
        Case("last", f"board: page {pages} (last)", f"{base}&page={pages - 1}", expect),
    ]
    failures = []
    for case in cases:
        problem = measure(client, case, args.warmup, repeat)
        html = client.get(case.url).data.decode()
        rows = html.split('id="board-table"', 1)[-1].split("</table>", 1)[0].count('class="board-row')
        want = PAGE if case.key != "last" else args.owners - PAGE * (pages - 1)
        if problem:
            failures.append(f"{case.label}: {problem}")
        elif rows != want:
            failures.append(f"{case.label}: {rows} rows instead of {want}")
        listed = re.search(r'id="count-waiting-longest">(\d+)<', html)
        if listed is None or int(listed.group(1)) != waiting:
            failures.append(f"{case.label}: the long-waiting count is not {waiting}")
    print(f"Estate Desk handover-day board benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"Store: embedded (litemongo), fresh; one community, {args.owners} move-in files on one day "
          f"({stored['moved_in']} moved in, {waiting} waiting over {LONG_WAIT_MINUTES} min) and "
          f"{args.other_days} on earlier days; loaded in {load_seconds:.0f} s")
    print(f"{args.warmup} warm-up + {repeat} timed requests per page; target p95 <= {TARGET_MS:.0f} ms\n")
    print("\n".join(page_table(cases, width=28, target_ms=TARGET_MS)))
    if cases[0].queries is not None:
        print(f"\nqueries on page 1 by collection: {cases[0].queries.summary()}")
    return finish(failures + missed_targets(cases, target_ms=TARGET_MS), store)


if __name__ == "__main__":
    sys.exit(main())

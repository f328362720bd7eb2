"""`python -m bench.run [--quick]`: time the archive pages of a large community on the embedded store.

A fresh litemongo store in a temporary directory gets 5,000 households in one community and
2,000 in each of two others (`bench.data`). A clerk of the large community logs in through the
login form; every page is then requested through the WSGI app (Flask's test client): a few
warm-up requests, then `--repeat` timed ones, reporting p50 / p95 (nearest rank) / max, and, in
one further request, the database queries the page makes (`bench.queries`). Each response is
checked (status 200 and the expected household or row count) so a fast error page can never pass.
The list page is also counted at page size 20 and 100: the count must not grow with the rows.

Garbage is collected once after loading (see main()). Exit status 1 when a check fails or a p95 misses the target. `--profile CASE` prints a cProfile
of that case's timed requests.
"""
import argparse
import gc
import json
import os
import platform
import re
import secrets
import shutil
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

TARGET_MS = 150.0


@dataclass
class Case:
    key: str
    label: str
    url: str
    expect: list                      # strings the page must contain
    rows: int | None = None           # table rows the page must show (None: not checked)
    times: list = field(default_factory=list)
    cpu: list = field(default_factory=list)       # CPU time of the serving thread, ms
    queries: object = None

    def p(self, q: float, cpu=False) -> float:
        ordered = sorted(self.cpu if cpu else self.times)
        rank = max(1, -(-len(ordered) * q // 100))        # nearest rank, ceil(n * q / 100)
        return ordered[int(rank) - 1]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="1,000 + 400 + 400 households and 10 timed requests (a quick check)")
    parser.add_argument("--repeat", type=int, help="timed requests per page (default 30, quick 10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    parser.add_argument("--store", help="use this directory for the store instead of a temporary one "
                                        "(must not exist yet; it is kept afterwards)")
    parser.add_argument("--profile", metavar="CASE", help="print a cProfile of one case (its key)")
    return parser.parse_args(argv)


def make_app(store: str):
    os.environ["MONGODB_URI"] = store
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))  # keeps instance/ untouched
    from app import create_app
    from app.config import Config

    config = Config()
    config.MONGODB_URI = store
    return create_app(config)


def login(client, username, password):
    page = client.get("/auth/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"username": username, "password": password,
                                                 "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"Login failed ({response.status_code}).")


def table_rows(html: str) -> int:
    """Rows of a Flask-Admin list (one row-selection box each) or of the search results table."""
    if 'name="rowid"' in html:
        return html.count('name="rowid"')
    body = html.split("<tbody", 1)[-1].split("</tbody>", 1)[0] if "<tbody" in html else ""
    return body.count("<tr")


def build_cases(app, client, world):
    """The pages to time, for one household in the middle of the large community."""
    from flask_babel import force_locale, lazy_gettext as _l

    from documents.places import Building, Unit
    from documents.residents import Household

    big = world.big
    current = Household.objects(community=big, status="current").order_by("sort_key")
    target = current.skip(current.count() // 2).first()
    building = Building.objects(community=big, number=target.building_no).first()
    unit = Unit.objects(building=building, number=target.unit_no).first()
    phone = next(p.phone for p in target.people() if p.phone)
    tail = phone[-4:]
    # Expected hits, by the app's own search rules (a sanity check that the page is the real one)
    from documents.residents import search_households

    def hits(term):
        return min(20, search_households(Household.objects(community=big), term).count())

    # The building filter's URL argument, as the list page announces it to its filter widget.
    page = client.get("/admin/households/").data.decode()
    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S).group(1))
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        title = str(_l("Building no."))
    arg = groups[title][0]["arg"]
    building_filter = f"/admin/households/?{urlencode({f'flt0_{arg}': target.building_no})}"
    in_building = Household.objects(community=big, building_no=target.building_no).count()

    # The sort argument of the name column, as its header links it.
    name_sort = re.search(r'col-name">\s*<a href="/admin/households/\?sort=(\d+)', page).group(1)
    lookup = f"/admin/lookup/?{urlencode({'community': big.pk, 'building': building.pk, 'unit': unit.pk})}"
    search = "/admin/lookup/search?"
    listing = "/admin/households/?"
    return target, [
        Case("list1", "archive list, page 1", "/admin/households/", [], rows=20),
        Case("list50", "archive list, page 50", "/admin/households/?page=49", [], rows=20),
        Case("by_name", "archive list sorted by name, page 10",
             "/admin/households/?" + urlencode({"sort": name_sort, "page": 9}), [], rows=20),
        Case("building", f"filter: building {target.building_no}", building_filter,
             [], rows=min(20, in_building)),
        Case("grid", f"lookup grid, unit {target.building_no}-{target.unit_no}", lookup,
             [target.name, target.room_code]),
        Case("s_code", f"search box: room code {target.room_code}",
             search + urlencode({"q": target.room_code}), [target.name], rows=1),
        Case("s_name", f"search box: name {target.name}",
             search + urlencode({"q": target.name}), [target.room_code], rows=hits(target.name)),
        Case("s_tail", f"search box: phone tail {tail}",
             search + urlencode({"q": tail}), [target.room_code], rows=hits(tail)),
        Case("l_code", "list search: room code", listing + urlencode({"search": target.room_code}),
             [target.name], rows=1),
        Case("l_name", "list search: name", listing + urlencode({"search": target.name}),
             [target.room_code], rows=hits(target.name)),
        Case("l_tail", "list search: phone tail", listing + urlencode({"search": tail}),
             [target.room_code], rows=hits(tail)),
    ]


def check(case, response) -> str | None:
    html = response.data.decode()
    if response.status_code != 200:
        return f"status {response.status_code}"
    missing = [text for text in case.expect if text not in html]
    if missing:
        return f"missing {missing!r}"
    if case.rows is not None and table_rows(html) != case.rows:
        return f"{table_rows(html)} rows instead of {case.rows}"
    return None


def measure(client, case, warmup, repeat, profiler=None):
    from bench.queries import count_queries

    for _ in range(max(1, warmup)):
        response = client.get(case.url)
    problem = check(case, response)
    if problem:
        return problem
    if profiler:
        profiler.enable()
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = client.get(case.url)
        case.times.append((time.perf_counter() - started) * 1000)
        case.cpu.append((time.thread_time() - started_cpu) * 1000)
    if profiler:
        profiler.disable()
    with count_queries() as log:
        response = client.get(case.url)
    case.queries = log
    return check(case, response)


def count_only(client, url):
    from bench.queries import count_queries

    with count_queries() as log:
        response = client.get(url)
    return log, table_rows(response.data.decode())


class Pauses(list):
    """Durations (ms) of Python's full (generation 2) garbage collections."""
    callback = None


def watch_full_collections() -> Pauses:
    pauses, started = Pauses(), {}

    def callback(phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            started["at"] = time.perf_counter()
        elif "at" in started:
            pauses.append((time.perf_counter() - started.pop("at")) * 1000)

    pauses.callback = callback
    gc.callbacks.append(callback)
    return pauses


def first_request_after_restart(store, world) -> float:
    """Reconnect to the same files (as after a restart) and time the first list page."""
    app = make_app(store)
    client = app.test_client()
    login(client, world.clerk_username, world.clerk_password)  # reads only the staff collection
    started = time.perf_counter()
    response = client.get("/admin/households/")
    elapsed = time.perf_counter() - started
    if table_rows(response.data.decode()) != 20:
        raise SystemExit("The list page after reopening the store is wrong.")
    return elapsed


def machine() -> str:
    import litemongo

    return (f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}, "
            f"litemongo {litemongo.__version__}")


def main(argv=None) -> int:
    args = parse_args(argv)
    repeat = args.repeat or (10 if args.quick else 30)
    if args.store and os.path.exists(args.store):
        raise SystemExit(f"{args.store} exists; the benchmark needs a fresh store.")
    store = args.store or os.path.join(tempfile.mkdtemp(prefix="estate-bench-"), "data")
    app = make_app(store)
    from bench import data

    sizes = data.QUICK if args.quick else data.FULL
    started = time.perf_counter()
    with app.app_context():
        world = data.load(sizes)
        from documents.places import Room
        rooms = Room.objects.count()
    load_seconds = time.perf_counter() - started
    # The loader leaves a heap of young objects behind; a server started on an existing store
    # would not have them, so collect once before timing (Python's full collections then stay rare).
    gc.collect()

    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
    failures = []
    # Requests run with no application context pushed: each gets its own, as in production
    # (an outer one would keep Flask-Login's loaded user in `g` from one request to the next).
    load_before = os.getloadavg()[0]
    pauses = watch_full_collections()
    client = app.test_client()
    login(client, world.clerk_username, world.clerk_password)
    target, cases = build_cases(app, client, world)
    for case in cases:
        problem = measure(client, case, args.warmup, repeat,
                          profiler if args.profile == case.key else None)
        if problem:
            failures.append(f"{case.label}: {problem}")
    size20, rows20 = count_only(client, "/admin/households/?page_size=20")
    size100, rows100 = count_only(client, "/admin/households/?page_size=100")
    load_after = os.getloadavg()[0]
    gc.callbacks.remove(pauses.callback)
    cold = first_request_after_restart(store, world)

    print(report(cases, world, sizes, rooms, load_seconds, repeat, args, size20, rows20, size100,
                 rows100, (load_before, load_after)))
    print(f"Full garbage collections while timing: {len(pauses)}"
          + (f" (longest {max(pauses):.0f} ms; they show in the max column)" if pauses else ""))
    print(f"First archive list after reopening the store (a restart): {cold:.2f} s - the embedded "
          f"store's indexes are on disk: nothing is read at start")
    if rows20 != 20 or rows100 != 100:
        failures.append(f"page size check showed {rows20} and {rows100} rows")
    if size100.total > size20.total:
        failures.append("the list page makes more queries at page size 100 than at 20")
    failures += missed_targets(cases)
    for failure in failures:
        print("FAILED:", failure)
    if profiler:
        import pstats
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    if not args.store:
        shutil.rmtree(os.path.dirname(store), ignore_errors=True)
    return 1 if failures else 0


def pad(text: str, width: int) -> str:
    """Left-align in a monospace column, counting CJK characters as two columns wide."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")
    return text + " " * max(0, width - len(text) - wide)


def report(cases, world, sizes, rooms, load_seconds, repeat, args, size20, rows20, size100, rows100,
           loadavg):
    lines = [
        f"Estate Desk speed benchmark ({'quick' if args.quick else 'full'}), "
        f"{datetime.now():%Y-%m-%d %H:%M}",
        f"Machine: {machine()}",
        f"Store: embedded (litemongo), fresh; {len(sizes)} communities, {sum(sizes):,} households "
        f"({' / '.join(f'{n:,}' for n in sizes)}), {rooms:,} rooms; loaded in {load_seconds:.0f} s",
        f"Requests through the WSGI app as a clerk of {world.big.name_zh} ({sizes[0]:,} households): "
        f"{args.warmup} warm-up + {repeat} timed per page; target p95 <= {TARGET_MS:.0f} ms",
        f"Machine load average (1 min) {loadavg[0]:.1f} before the timed requests, {loadavg[1]:.1f} "
        f"after; CPU p50 = CPU time of the serving thread (wall time beyond it is waiting for a core)",
        "",
    ]
    lines += page_table(cases, ("p50", "p95", "max", "cpu", "queries"))
    lines += [
        "",
        f"Queries of the list page: {size20.total} at page size 20 ({rows20} rows), "
        f"{size100.total} at page size 100 ({rows100} rows)"
        + (" - does not grow with the page size" if size100.total <= size20.total else " - GROWS"),
        f"  page size 20:  {size20.summary()}",
        f"  page size 100: {size100.summary()}",
    ]
    return "\n".join(lines)


# The harness of the benchmarks that time a few pages of one community (bench.handover,
# bench.arrears, bench.fees): options, a fresh store, an account, the timing loop, the table, the end.

def page_parser(prog: str, doc: str, quick_help: str) -> argparse.ArgumentParser:
    """--quick, --repeat (default 30) and --warmup (default 3); a benchmark adds its own options."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    return parser


def fresh_app(prefix: str, store: str | None = None):
    """(app, store): an app on a new embedded store in a temporary directory whose name starts with
    `prefix`, or in `store` (a directory that must not exist yet; the caller keeps it)."""
    if store and os.path.exists(store):
        raise SystemExit(f"{store} exists; the benchmark needs a fresh store.")
    store = store or os.path.join(tempfile.mkdtemp(prefix=prefix), "data")
    return make_app(store), store


def bench_account(community, username: str, display_name: str, role: str, password: str | None = None) -> str:
    """A Chinese-speaking account of `community` with one role; returns its (random) password."""
    from documents.staff import Staff

    password = password or secrets.token_urlsafe(12)
    account = Staff(username=username, display_name=display_name, roles=[role], communities=[community],
                    language="zh_Hans_CN")
    account.set_password(password)
    account.save()
    return password


def time_pages(client, cases, warmup: int, repeat: int, check=None) -> list[str]:
    """`measure` every case; then, for a page that passed, `check(case, html)` -> the problems (strings)
    of one more response beyond measure's own checks. Returns the failures, each "label: problem"."""
    failures = []
    for case in cases:
        problem = measure(client, case, warmup, repeat)
        if problem:
            failures.append(f"{case.label}: {problem}")
        elif check is not None:
            html = client.get(case.url).data.decode()
            failures += [f"{case.label}: {problem}" for problem in check(case, html)]
    return failures


#: the table's columns: heading, width, the value of a timed case
COLUMNS = {
    "p50": ("p50 ms", 6, lambda case: f"{case.p(50):6.1f}"),
    "p95": ("p95 ms", 6, lambda case: f"{case.p(95):6.1f}"),
    "max": ("max ms", 6, lambda case: f"{max(case.times):6.1f}"),
    "cpu": ("CPU p50", 7, lambda case: f"{case.p(50, cpu=True):7.1f}"),
    "queries": ("queries", 7, lambda case: f"{case.queries.total:7d}"),
}


def page_table(cases, columns=("p50", "p95", "max", "queries"), width: int = 40, target: bool = True,
               rule: bool = True, no_target=(), target_ms: float = TARGET_MS) -> list[str]:
    """The Markdown table of the timed pages. With `target`, a last column says whether p95 met
    `target_ms` ("-" for the keys in `no_target`) and a page that failed its checks has a row saying
    so; without, such a page is left out."""
    cells = [COLUMNS[key] for key in columns]
    lines = [f"| {pad('page', width)} | " + " | ".join(f"{head:>{size}}" for head, size, _value in cells)
             + " |" + (" target |" if target else "")]
    if rule:
        lines.append(f"|{'-' * (width + 2)}|" + "".join(f"{'-' * (size + 1)}:|" for _head, size, _value in cells)
                     + (f"{'-' * 8}|" if target else ""))
    for case in cases:
        if not case.times:
            if target:
                lines.append(f"| {pad(case.label, width)} | " + " | ".join(f"{'-':>{size}}" for _h, size, _v in cells)
                             + " | failed |")
            continue
        row = f"| {pad(case.label, width)} | " + " | ".join(value(case) for _head, _size, value in cells) + " |"
        if target:
            ok = "-" if case.key in no_target else "met" if case.p(95) <= target_ms else "MISSED"
            row += f" {ok:<6} |"
        lines.append(row)
    return lines


def missed_targets(cases, no_target=(), target_ms: float = TARGET_MS) -> list[str]:
    """The failure "p95 over target: ..." when a timed page (not in `no_target`) missed its target."""
    slow = [c.label for c in cases if c.times and c.p(95) > target_ms and c.key not in no_target]
    return ["p95 over target: " + "; ".join(slow)] if slow else []


def finish(failures, store: str | None = None) -> int:
    """Print the failures, remove the temporary `store` (None: keep it); the exit status."""
    for failure in failures:
        print("FAILED:", failure)
    if store:
        shutil.rmtree(os.path.dirname(store), ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Pages before exports: a long export gives way to the pages people are waiting for.

One server process answers several requests at once in threads (waitress), and Python runs one
thread at a time (the GIL): an export that computes for seconds (5,000 archives into an xlsx
file) took every other turn from the pages clerks were waiting for, so each of them took twice
as long or more while anyone exported (bench/store.py, item 4).

Every request counts as a foreground request while it runs: from its first before_request
function to its teardown, which for an ordinary response comes before the body is sent (a slow
download holds nobody up); only a streamed response keeps its request open while it is sent, and
the exports are the only ones. An export says it is background work
(`background()`) and calls `give_way()` between rows: while a foreground request runs it waits
(asleep, so the GIL goes to the pages) - at most `MAX_WAIT_S` per row, so that a server that is
never idle still finishes the export, only more slowly. It is a matter of one process, like the
GIL: with several worker processes, each orders its own threads.
"""
import threading

from flask import request

#: the longest an export waits before its next row while pages keep coming
MAX_WAIT_S = 0.05

_changed = threading.Condition()
_foreground = 0


def _begin():
    global _foreground
    with _changed:
        _foreground += 1
    request._get_current_object().__dict__["_estate_foreground"] = True


def _end(_error=None):
    global _foreground
    if request._get_current_object().__dict__.pop("_estate_foreground", False):
        with _changed:
            _foreground -= 1
            if _foreground == 0:
                _changed.notify_all()


def background():
    """The current request is background work (an export): pages no longer wait for it to end,
    and it gives way to them (`give_way`)."""
    _end()


def busy() -> int:
    """How many foreground requests are running now."""
    return _foreground


def give_way(max_wait: float = MAX_WAIT_S) -> None:
    """Wait (without the GIL) while a foreground request runs, at most `max_wait` seconds."""
    if _foreground:
        with _changed:
            _changed.wait_for(lambda: _foreground == 0, timeout=max_wait)


def init_app(app):
    # first of the before_request functions, so that a request counts from its start
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.teardown_request(_end)

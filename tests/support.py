"""Helpers the tests of every area share (the fixtures `app`, `world`, `client_as` are in conftest.py).

Area helpers (tests/<area>_support.py) build on these: one English request context for rules, one
way to keep test-client requests apart, sample file contents, the views' filter arguments.
"""
import re
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import g, request_started

def _image(kind: str, colour=(200, 60, 30)) -> bytes:
    from io import BytesIO

    from PIL import Image
    out = BytesIO()
    Image.new("RGB", (48, 32), colour).save(out, kind)
    return out.getvalue()


#: a PDF is checked by its first bytes; images are decoded whole (and stored as Pillow re-encodes
#: them: the PNG below comes back byte for byte)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = _image("PNG")
JPEG = _image("JPEG")


def wall_clock_utc(*parts, zone: str = "Asia/Shanghai") -> datetime:
    """A wall-clock time in `zone` as the naive UTC value the store keeps (worked out without app code)."""
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc).replace(tzinfo=None)


def english_request(app):
    """A request context in English: document rules translate their messages when they raise."""
    return app.test_request_context("/", headers={"Accept-Language": "en"})


def _forget_request_globals(sender, **extra):
    for name in list(vars(g)):
        delattr(g, name)


@contextmanager
def separate_requests(app):
    """Each test-client request starts with an empty `g`, as it does in production.

    While a test holds an app (or request) context open, Flask reuses it for every test-client
    request, so `g` would be shared between requests: Flask-Login's cached user and flask-babel's
    cached locale would leak from one client (role, language) to the next.
    """
    request_started.connect(_forget_request_globals, app)
    try:
        yield
    finally:
        request_started.disconnect(_forget_request_globals, app)


@contextmanager
def atomic_store_operations():
    """Make every single write of mongomock atomic, as each single-document write is on MongoDB.

    mongomock's find_one_and_update finds the document, then updates it by _id in a second step,
    so without this a thread switch in between could apply a write whose condition no longer
    holds; real MongoDB never does that. The lock is per operation, so application code of
    concurrent requests still interleaves freely between operations.
    """
    import mongomock.collection as mc

    lock = threading.RLock()
    originals = {name: getattr(mc.Collection, name) for name in ("_insert", "_update", "_find_and_modify")}

    def wrap(func):
        def locked(self, *args, **kwargs):
            with lock:
                return func(self, *args, **kwargs)
        return locked

    for name, func in originals.items():
        setattr(mc.Collection, name, wrap(func))
    try:
        yield
    finally:
        for name, func in originals.items():
            setattr(mc.Collection, name, func)


# --- list pages ---

def admin_view(app, endpoint):
    return next(v for v in app.extensions["estate_admin"]._views if getattr(v, "endpoint", None) == endpoint)


def filter_arg(app, endpoint, column=None, name=None) -> str:
    """The URL argument of a list filter, found by its column or its (English) name: `flt0_<arg>`."""
    view = admin_view(app, endpoint)
    for arg, (_index, flt) in view._filter_args.items():
        if (column is None or flt.column == column) and (name is None or str(flt.name) == name):
            return f"flt0_{arg}"
    raise AssertionError(f"no filter {column or name} on {endpoint}")


def row_of(html: str, text: str) -> str:
    """The list row (<tr>…</tr>) that shows `text`."""
    for row in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S):
        if text in row:
            return row
    raise AssertionError(f"{text} not in list")

"""Catalog chores: `python -m translations.tool update|check|merge FILE...`.

update  extract every string, merge into zh_Hans_CN and en (en msgstr = msgid), keep translations
check   list zh_Hans_CN entries that are untranslated or fuzzy (exit 1 if any)
merge   copy translations from other .po files (e.g. another branch's) into the zh_Hans_CN catalog
        (run update first, so the catalog has every string the merged code uses)
"""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"
ZH = ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
EN = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]


def _read(path):
    with open(path, "rb") as fh:
        return read_po(fh)


def _write(path, catalog):
    with open(path, "wb") as fh:
        write_po(fh, catalog, omit_header=False, no_location=True, sort_output=True, width=100)


def update():
    subprocess.run(PYBABEL + ["-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l",
                              "-k", "lazy_gettext", "-k", "lazy_pgettext:1c,2", "-k", "lazy_ngettext:1,2",
                              "--no-location", "--sort-output", "-o", str(POT),
                              str(ROOT)], check=True, cwd=ROOT)
    template = _read(POT)
    for path, fill in ((ZH, False), (EN, True)):
        catalog = _read(path)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if fill:
            for message in catalog:
                if message.id and not is_translated(message):
                    message.string = message.id
        _write(path, catalog)
    print(f"{len(template)} messages; untranslated zh: {len(untranslated())}")


def is_translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return all(strings) and not message.fuzzy


def untranslated():
    return [m.id for m in _read(ZH) if m.id and not is_translated(m)]


def check():
    missing = untranslated()
    for msgid in missing:
        print(msgid)
    return 1 if missing else 0


def merge(paths):
    catalog = _read(ZH)
    for path in paths:
        for message in _read(path):
            if message.id and message.string and not message.fuzzy:
                mine = catalog.get(message.id, context=message.context)   # msgctxt entries too
                if mine is None:
                    continue   # not used by this branch's code (run `update` first)
                if not mine.string or mine.fuzzy:
                    mine.string, mine.flags = message.string, set()
    _write(ZH, catalog)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "update"
    if command == "update":
        update()
    elif command == "check":
        sys.exit(check())
    elif command == "merge":
        merge(sys.argv[2:])
    else:
        sys.exit(__doc__)

"""Texts kept in Chinese and English, either of which may be empty.

`pick(zh, en, language)` shows the wanted language and falls back to the other one, so a record
written in one language only still reads in both UIs. Used by events and notices.
"""
from datetime import datetime

from documents import deadlines
from documents.deadlines import zone_of


def is_english(language: str | None) -> bool:
    return bool(language) and str(language).lower().startswith("en")


def pick(zh: str | None, en: str | None, language: str | None) -> str:
    """The text in `language` ("en" or a Chinese locale), else the other language's, else ""."""
    zh, en = (zh or "").strip(), (en or "").strip()
    if is_english(language):
        return en or zh
    return zh or en


def current_language() -> str:
    """The UI language of the current request ("en" or "zh_Hans_CN"); Chinese outside requests."""
    try:
        from app.i18n import current_language as request_language
        return request_language()
    except (RuntimeError, KeyError, AttributeError):
        return "zh_Hans_CN"


class BilingualText:
    """Mixin for documents with `<name>_zh` / `<name>_en` pairs."""

    def text(self, name: str, language: str | None = None) -> str:
        return pick(getattr(self, f"{name}_zh", ""), getattr(self, f"{name}_en", ""),
                    language or current_language())

    @property
    def title(self) -> str:
        return self.text("title")


# --- times of events and notices: naive UTC stored, naive wall-clock time of the community shown ---
# (the zone rules themselves are documents/deadlines.py's; these take the community, not its zone)

def to_local(value: datetime | None, community) -> datetime | None:
    """Naive UTC -> naive wall-clock time of the community."""
    if value is None:
        return None
    return deadlines.to_local(value, zone_of(community)).replace(tzinfo=None)


def to_utc(value: datetime | None, community) -> datetime | None:
    """Naive wall-clock time of the community -> naive UTC (as stored)."""
    if value is None:
        return None
    return deadlines.to_utc(value, zone_of(community))


def label_of(choices, value) -> str:
    """The translated label of a field's choice (the value itself when it is not one of them)."""
    return str(dict(choices).get(value, value or ""))

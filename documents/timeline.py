"""Household timeline (一户一档): one registration point where each area adds its records.

An area registers a *source*: a function taking a Household and returning TimelineItems.
The archive details page shows all items of all sources, newest first, without knowing the areas.
"""
from dataclasses import dataclass, field
from datetime import datetime

_sources: list = []


@dataclass
class TimelineItem:
    at: datetime
    kind: str            # translated label of the area, e.g. "Repair"
    title: str           # one line saying what happened
    actor: str = ""
    detail: str = ""
    endpoint: str | None = None   # Flask endpoint of the record's page, if it has one
    url_args: dict = field(default_factory=dict)


def register(source):
    """Register a timeline source (usable as a decorator). Registering twice is harmless."""
    if source not in _sources:
        _sources.append(source)
    return source


def for_household(household, limit: int = 200) -> list[TimelineItem]:
    items = []
    for source in _sources:
        items.extend(source(household))
    items.sort(key=lambda item: item.at or datetime.min, reverse=True)
    return items[:limit]

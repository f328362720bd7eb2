"""The injectable clock: all code asks `clock.now()`; tests freeze it with `clock.freeze(dt)`."""
from datetime import datetime, timezone

_frozen: datetime | None = None


def now() -> datetime:
    """Current time as a naive UTC datetime (how it is stored in MongoDB)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(timezone.utc).replace(tzinfo=None)


def freeze(at: datetime | None) -> None:
    """Freeze the clock at `at` (naive UTC, or aware and converted); None unfreezes it."""
    global _frozen
    if at is not None and at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    _frozen = at

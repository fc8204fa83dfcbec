"""The one way this project writes event-time instants: RFC 3339, UTC, ``Z``, milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["rfc3339"]


def rfc3339(t: float, *, fixed_ms: bool = True) -> str:
    """Epoch seconds → ``2026-11-22T01:15:00.123Z``. With ``fixed_ms=False`` a whole second
    has no fraction (``2026-11-22T01:15:00Z``)."""
    whole, ms = divmod(round(t * 1000), 1000)
    text = datetime.fromtimestamp(whole, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{ms:03d}Z" if ms or fixed_ms else f"{text}Z"

"""The one way this project writes and reads instants: RFC 3339.

:func:`rfc3339` writes event times (UTC, ``Z``, milliseconds by default; the adapters keep
microseconds or a local offset), :func:`parse_as_of` reads a snapshot's instants (``as_of``,
a partition's ``last_event``).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

__all__ = ["parse_as_of", "rfc3339"]


def rfc3339(t: float, *, fixed_ms: bool = True, micro: bool = False,
            tz: tzinfo | None = None) -> str:
    """Epoch seconds → ``2026-11-22T01:15:00.123Z``.

    - ``fixed_ms=False``: a whole second has no fraction (``2026-11-22T01:15:00Z``);
    - ``micro=True``: microseconds (as :class:`datetime` rounds them) instead of
      milliseconds, written only when not zero;
    - ``tz``: the local time with the zone's offset (``1999-08-01T07:33:25+03:00``), or UTC
      where that offset is not whole minutes (mean solar time is not RFC 3339).
    """
    if not micro and tz is None:
        whole, ms = divmod(round(t * 1000), 1000)
        text = datetime.fromtimestamp(whole, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{text}.{ms:03d}Z" if ms or fixed_ms else f"{text}Z"
    moment = datetime.fromtimestamp(t, tz or UTC)
    offset = moment.utcoffset()
    if tz is not None and offset is not None and offset.seconds % 60:
        tz, moment = None, datetime.fromtimestamp(t, UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z") if tz is None else text


def parse_as_of(value: Any) -> datetime | None:
    """A snapshot's ISO-8601 ``as_of`` → aware UTC datetime (a value without offset is
    taken as UTC); None when it is not such a string."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)

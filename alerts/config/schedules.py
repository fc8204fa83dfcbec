"""The schedules of ``[alerts.schedules.NAME]``: opening and quiet hours per segment (pure).

:class:`ScheduleSpec` holds a schedule as read: its segment globs and its intervals, each
``(weekdays bitmask, start minute, end minute)`` of local time. :func:`parse_interval` reads
``"mon-fri 08:00-18:00"``; what an interval means at an instant is :mod:`alerts.schedule`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from streams.core.errors import ConfigError

from .fields import Keys, strings

__all__ = ["ScheduleSpec", "parse_interval", "parse_schedule"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^(?:([a-z]{3})(?:-([a-z]{3}))?\s+)?(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class ScheduleSpec:
    """Opening and quiet hours of the segments matching ``segments`` (globs), local time.

    An interval is ``(weekdays bitmask, start minute, end minute)``; end <= start wraps past
    midnight (the wrapped part belongs to the day after each listed weekday)."""

    name: str
    segments: tuple[str, ...] = ("*",)
    open: tuple[tuple[int, int, int], ...] = ()
    quiet: tuple[tuple[int, int, int], ...] = ()


def _weekdays(key: str, text: str, first: str | None, last: str | None) -> int:
    """The bitmask of the days ``first[-last]`` (Monday = bit 0); every day without them."""
    if not first:
        return 0x7F
    if first not in _DAYS or (last and last not in _DAYS):
        raise ConfigError(f"{key}: days are {', '.join(_DAYS)}, got {text!r}")
    i, j = _DAYS.index(first), _DAYS.index(last or first)
    days = 0
    for k in range(7):
        if (i <= j and i <= k <= j) or (i > j and (k >= i or k <= j)):
            days |= 1 << k
    return days


def parse_interval(key: str, text: Any) -> tuple[int, int, int]:
    """``"mon-fri 08:00-18:00"``, ``"sat 09:00-13:00"`` or ``"22:00-07:00"`` (every day)."""
    m = _INTERVAL.match(text.strip().lower()) if isinstance(text, str) else None
    if not m:
        raise ConfigError(f"{key}: expected \"[DAY[-DAY] ]HH:MM-HH:MM\" such as "
                          f"\"mon-fri 08:00-18:00\" or \"22:00-07:00\", got {text!r}")
    d1, d2, h1, m1, h2, m2 = m.groups()
    days = _weekdays(key, text, d1, d2)
    h1, m1, h2, m2 = int(h1), int(m1), int(h2), int(m2)
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise ConfigError(f"{key}: times are 00:00..24:00, got {text!r}")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ConfigError(f"{key}: empty interval {text!r} (for all day use 00:00-24:00)")
    return days, start, end


def parse_schedule(name: str, key: str, table: Any) -> ScheduleSpec:
    """The schedule ``name`` from its table (``key`` prefixes errors)."""
    t = Keys(key, table)
    segments = strings(f"{key}.segments", t.pop("segments", ["*"]))
    opened = tuple(parse_interval(f"{key}.open[{i}]", v) for i, v in
                   enumerate(strings(f"{key}.open", t.pop("open", ["00:00-24:00"]))))
    quiet = tuple(parse_interval(f"{key}.quiet[{i}]", v) for i, v in
                  enumerate(strings(f"{key}.quiet", t.pop("quiet", []), allow_empty=True)))
    t.done()
    return ScheduleSpec(name, segments, opened, quiet)

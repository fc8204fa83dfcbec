"""Business hours and quiet hours per segment, in local wall-clock time (DST-safe).

A segment takes the first schedule whose globs match it; without one it is always open and
never quiet. Intervals use the local wall clock of ``alerts.timezone``, so "08:00-18:00" means
the same local hours before and after a DST change (the day of the change is 23 or 25 hours
long; the interval is not). An interval whose end is not after its start wraps past
midnight: "fri 22:00-06:00" covers Friday 22:00 to Saturday 06:00.
"""

from __future__ import annotations

from datetime import datetime
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo

from .config import ScheduleSpec

__all__ = ["Schedules", "in_intervals"]


def in_intervals(intervals: tuple[tuple[int, int, int], ...], t: float, tz: ZoneInfo) -> bool:
    """Whether instant ``t`` lies in one of ``intervals`` (days mask, start, end minute)."""
    local = datetime.fromtimestamp(t, tz=tz)
    day, minute = local.weekday(), local.hour * 60 + local.minute
    yesterday = (day - 1) % 7
    for days, start, end in intervals:
        if start < end:
            if days >> day & 1 and start <= minute < end:
                return True
        else:  # wraps: [start, 24:00) on a listed day, [00:00, end) on the day after
            if (days >> day & 1 and minute >= start) or (days >> yesterday & 1 and minute < end):
                return True
    return False


class Schedules:
    def __init__(self, specs: tuple[ScheduleSpec, ...], tz: ZoneInfo) -> None:
        self.specs, self.tz = specs, tz
        self._cache: dict[str, ScheduleSpec | None] = {}

    def for_segment(self, segment: str) -> ScheduleSpec | None:
        if segment not in self._cache:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[segment] = next(
                (s for s in self.specs if any(fnmatchcase(segment, g) for g in s.segments)),
                None)
        return self._cache[segment]

    def is_open(self, segment: str, t: float) -> bool:
        spec = self.for_segment(segment)
        return spec is None or in_intervals(spec.open, t, self.tz)

    def is_quiet(self, segment: str, t: float) -> bool:
        spec = self.for_segment(segment)
        return spec is not None and in_intervals(spec.quiet, t, self.tz)

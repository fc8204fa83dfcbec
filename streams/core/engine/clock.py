"""Event time inside the engine: integer milliseconds since the epoch, the two sentinel
instants before and after every event, and the local-day boundaries of ``today`` (DST-safe)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["DAY_MS", "FOREVER", "MINUTE_MS", "NEVER", "Days", "to_ms"]

# Before every event: "nothing yet" (no event applied, no maintenance, no record).
NEVER = -(2**62)
# After every event: "not before the end of time" (no record after, valid for good).
FOREVER = 2**62
MINUTE_MS = 60_000
DAY_MS = 86_400_000


def to_ms(ts: float) -> int:
    """Epoch seconds (float) to integer milliseconds."""
    return round(ts * 1000)


class Days:
    """Local-day boundaries in the configured zone (DST-safe: first instant of each date)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._cache: tuple[int, int] = (0, 0)

    def start_of(self, ms: int) -> int:
        lo, hi = self._cache
        if lo <= ms < hi:
            return lo
        day = datetime.fromtimestamp(ms / 1000, self.tz).date()
        start = self._first_instant_ms(day)
        end = self._first_instant_ms(day + timedelta(days=1))
        self._cache = (start, end)
        return start

    def _first_instant_ms(self, day: date) -> int:
        """Smallest whole second whose local date is ``day`` (midnight, or the end of a gap)."""
        guess = int(datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp())
        lo, hi = guess - 2 * 86400, guess + 2 * 86400
        while lo < hi:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, self.tz).date() >= day:
                hi = mid
            else:
                lo = mid + 1
        return lo * 1000

"""The last hour of a few figures per segment, kept in the Dash server process.

The poller feeds every new snapshot to :meth:`History.add`; a newly opened TV gets the
sparklines of the last 60 minutes at once (drawn by :mod:`dashboard.sparklines`). Memory is
bounded: one point per segment and ``step_s`` (default 60 points an hour), at most
``max_segments`` segments. Pure: the caller passes the times (epoch seconds) and the
snapshot.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

__all__ = ["History"]


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _read(segment: Any, window: str) -> dict[str, float | None]:
    """The series kept per segment: waiting now, and SL and offered in ``window``."""
    seg = segment if isinstance(segment, Mapping) else {}
    now = seg.get("now") if isinstance(seg.get("now"), Mapping) else {}
    windows = seg.get("windows") if isinstance(seg.get("windows"), Mapping) else {}
    win = windows.get(window) if isinstance(windows.get(window), Mapping) else {}
    return {"waiting": _num(now.get("waiting")), "sl": _num(win.get("service_level")),
            "offered": _num(win.get("offered"))}


class History:
    """Per segment, a ring of ``(bucket_start, {series: value})``; the last value of a bucket
    wins. Thread-safe (the poller writes, request threads read)."""

    def __init__(self, *, span_s: float = 3600.0, step_s: float = 60.0,
                 max_segments: int = 500, window: str = "15m") -> None:
        if step_s <= 0 or span_s < step_s:
            raise ValueError("need 0 < step_s <= span_s")
        self.span_s = span_s
        self.step_s = step_s
        self.max_segments = max_segments
        self.window = window
        self._points = math.ceil(span_s / step_s)
        self._rings: dict[str, deque[tuple[float, dict[str, float | None]]]] = {}
        self._lock = threading.Lock()
        self._last_as_of: Any = None

    def add(self, snapshot: Mapping[str, Any] | None, t: float) -> None:
        """Record ``snapshot`` as of ``t`` (its ``as_of``; an unchanged ``as_of`` is skipped)."""
        if not isinstance(snapshot, Mapping):
            return
        segments = snapshot.get("segments")
        if not isinstance(segments, Mapping):
            return
        bucket = math.floor(t / self.step_s) * self.step_s
        with self._lock:
            for name, seg in segments.items():
                ring = self._rings.get(name)
                if ring is None:
                    if len(self._rings) >= self.max_segments:
                        continue
                    ring = self._rings[name] = deque(maxlen=self._points)
                values = _read(seg, self.window)
                if ring and ring[-1][0] == bucket:
                    ring[-1] = (bucket, values)
                elif not ring or ring[-1][0] < bucket:
                    ring.append((bucket, values))

    def series(self, segment: str, name: str, now: float) -> list[float | None]:
        """The last hour of ``name`` for ``segment``, one value per step, oldest first
        (None where nothing was recorded)."""
        end = math.floor(now / self.step_s) * self.step_s
        start = end - (self._points - 1) * self.step_s
        with self._lock:
            ring = list(self._rings.get(segment, ()))
        by_bucket = {b: v.get(name) for b, v in ring if start <= b <= end}
        return [by_bucket.get(start + i * self.step_s) for i in range(self._points)]

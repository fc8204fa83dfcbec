"""The last hour of a few figures per segment, kept in the Dash server process.

The poller feeds every new snapshot to :meth:`History.add`; a newly opened TV gets the
sparklines of the last 60 minutes at once. Memory is bounded: one point per segment and
``step_s`` (default 60 points an hour), at most ``max_segments`` segments. Pure: the caller
passes the times (epoch seconds) and the snapshot.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

__all__ = ["SERIES", "History", "sparkline_svg"]

# series name -> how to read it from a snapshot segment
SERIES: tuple[str, ...] = ("waiting", "sl", "offered")


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _read(segment: Any, window: str) -> dict[str, float | None]:
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


def sparkline_svg(values: list[float | None], *, width: int = 300, height: int = 60,
                  lo: float | None = None, hi: float | None = None,
                  colour: str = "#56B4E9") -> str | None:
    """An SVG polyline of ``values`` (gaps where None), or None with fewer than 2 points.

    The y range is ``lo..hi`` when given, else the data's own range (a flat series is drawn
    in the middle)."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return None
    low = min(known) if lo is None else lo
    high = max(known) if hi is None else hi
    span = high - low
    n = len(values)
    pad = 4
    segments: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if segments[-1]:
                segments.append([])
            continue
        x = pad + i * (width - 2 * pad) / max(1, n - 1)
        frac = 0.5 if span <= 0 else (min(max(v, low), high) - low) / span
        y = height - pad - frac * (height - 2 * pad)
        segments[-1].append(f"{x:.1f},{y:.1f}")
    lines = "".join(
        f'<polyline points="{" ".join(pts)}" fill="none" stroke="{colour}" '
        'stroke-width="4" stroke-linejoin="round" stroke-linecap="round"/>'
        for pts in segments if len(pts) >= 2)
    dots = "".join(
        f'<circle cx="{pts[0].split(",")[0]}" cy="{pts[0].split(",")[1]}" r="3" '
        f'fill="{colour}"/>' for pts in segments if len(pts) == 1)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'preserveAspectRatio="none">{lines}{dots}</svg>')

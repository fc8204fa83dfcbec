"""Sparklines: the last hour of a segment's figures as small SVG images on its tiles.

:func:`sparkline_svg` draws one series (gaps where a minute has no value);
:func:`segment_sparks` draws the waiting, SL and offered series of a segment from the
server-side :class:`~dashboard.history.History`, and :func:`svg_uri` embeds an image in an
``<img src>``. Pure: the caller passes the time.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from dashboard.history import History

__all__ = ["SL_COLOUR", "segment_sparks", "sparkline_svg", "svg_uri"]

SL_COLOUR = "#F0E442"


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


def segment_sparks(history: History | None, now: float
                   ) -> Callable[[str], dict[str, str | None]]:
    """``sparks(segment)``: the sparklines of a segment's tiles at ``now`` (none without a
    history)."""
    if history is None:
        return lambda name: {}

    def sparks(name: str) -> dict[str, str | None]:
        return {
            "waiting": sparkline_svg(history.series(name, "waiting", now), lo=0),
            "sl": sparkline_svg(history.series(name, "sl", now), lo=0, hi=1,
                                colour=SL_COLOUR),
            "offered": sparkline_svg(history.series(name, "offered", now), lo=0),
        }
    return sparks


def svg_uri(svg: str) -> str:
    """An SVG image as a ``data:`` URI for an ``<img src>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()

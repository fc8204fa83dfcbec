"""Formatting: snapshot values in, display strings out, and the status vocabulary.

Every helper tolerates a missing key, ``null`` or a value of the wrong type and shows
:data:`MISSING` for it — never ``0`` and never an exception. :func:`lookup` walks a snapshot
tree the same tolerant way. The statuses (``ok``/``warn``/``bad``/``none``) come with an icon
each, because colour is never the only cue (WCAG 1.4.1), and :func:`worst` picks the most
severe. Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from dashboard.i18n import tr

__all__ = [
    "MISSING",
    "SEVERITY",
    "STATUS_ICON",
    "as_number",
    "dom_id",
    "fmt_age",
    "fmt_clock",
    "fmt_duration",
    "fmt_int",
    "fmt_percent",
    "fmt_window",
    "lookup",
    "utc_offset_min",
    "worst",
    "zone_label",
]

MISSING = "—"
"""Shown for every value that is missing, ``null`` or malformed."""

# Colour is never the only cue (WCAG 1.4.1): every status also has an icon and a word.
STATUS_ICON: dict[str, str] = {"ok": "✔", "warn": "▲", "bad": "✖", "none": "", "stale": "⌛"}
SEVERITY: dict[str, int] = {"none": 0, "ok": 1, "warn": 2, "bad": 3}


def worst(statuses: Sequence[str]) -> str:
    return max(statuses, key=SEVERITY.__getitem__, default="none")


def lookup(tree: Any, *path: str) -> Any:
    """``tree[path[0]][path[1]]...`` or None when any step is missing or not a mapping."""
    node = tree
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def as_number(value: Any) -> float | None:
    """``value`` as a finite number, or None (missing, null, bool, string, NaN, inf)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fmt_int(value: Any) -> str:
    """``1234`` → ``"1,234"``; None/missing/malformed → ``"—"``."""
    n = as_number(value)
    if n is None:
        return MISSING
    return f"{round(n):,}"


def fmt_duration(seconds: Any) -> str:
    """Seconds as ``m:ss`` (``h:mm:ss`` from one hour), truncated to whole seconds."""
    s = as_number(seconds)
    if s is None:
        return MISSING
    total = max(0, math.floor(s))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def fmt_percent(fraction: Any, decimals: int = 0) -> str:
    """A fraction as a percent, rounded *down* so the text agrees with the state: ``0.799``
    never shows as ``80%`` next to a WARN for a target of 80 %; None → ``"—"`` (never 0 %)."""
    f = as_number(fraction)
    if f is None:
        return MISSING
    scale = 10**decimals
    value = math.floor(round(f * 100 * scale, 6)) / scale
    return f"{value:.{decimals}f}%"


def fmt_age(age_s: float | None, lang: str = "en") -> str:
    """``59`` → ``59 s``, ``600`` → ``10 min``, ``7200`` → ``2 h`` (秒 / 分钟 / 小时)."""
    if age_s is None:
        return MISSING
    age = max(0, math.floor(age_s))
    if age < 120:
        return tr(lang, "w_s", n=age)
    if age < 7200:
        return tr(lang, "w_m", n=age // 60)
    return tr(lang, "w_h", n=age // 3600)


def _offset_min(moment: datetime) -> int:
    offset = moment.utcoffset()
    return round(offset.total_seconds() / 60) if offset is not None else 0


def utc_offset_min(tz: tzinfo, at: float) -> int:
    """The offset of ``tz`` at ``at`` (epoch s) in minutes (the TV's watchdog prints times
    with it)."""
    return _offset_min(datetime.fromtimestamp(at, tz))


def zone_label(moment: datetime) -> str:
    """``UTC`` or ``UTC+8`` / ``UTC-3:30``: unambiguous, unlike "CST"."""
    minutes = _offset_min(moment)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def fmt_clock(epoch_s: float | None, tz: tzinfo, *, zone: bool = True) -> str:
    """``09:00:05 UTC+8`` in the engine's time zone."""
    if epoch_s is None:
        return MISSING
    local = datetime.fromtimestamp(epoch_s, tz)
    text = f"{local:%H:%M:%S}"
    return f"{text} {zone_label(local)}" if zone else text


def fmt_window(name: str, lang: str) -> str:
    """``"15m"`` → ``"15 min"`` / ``"15 分钟"``; ``today`` → 今日; others as written."""
    if name == "today":
        return tr(lang, "today", value="").strip()
    m = re.fullmatch(r"(\d+)([smh])", name)
    if not m:
        return name
    return tr(lang, f"w_{m.group(2)}", n=m.group(1))


def dom_id(name: str) -> str:
    """Segment name → fragment usable in a DOM id: ``[a-z0-9-]``, never empty."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "segment"

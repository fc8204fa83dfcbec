"""Pure presentation logic of the wallboard: snapshot JSON in, display strings out.

Nothing here does I/O or reads a clock: the caller passes ``now`` (epoch seconds) and the
fetch time of the snapshot, so every decision (threshold status, staleness, banner text) is
a plain function of its arguments and is unit-tested without a browser.

The snapshot shape is the one of ``shared/spec/metrics.md``. Early worker versions fill only
some keys, so every lookup tolerates a missing key, ``null`` or a value of the wrong type and
shows :data:`MISSING` for it — never ``0`` and never an exception.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

MISSING = "—"
"""Shown for every value that is missing, ``null`` or malformed."""

ALL_SEGMENT = "all"
STATS_WINDOW = "15m"

Status = Literal["ok", "warn", "bad", "none"]

# Colour is never the only cue (WCAG 1.4.1): every status also has an icon and a word.
STATUS_ICON: dict[str, str] = {"ok": "✔", "warn": "▲", "bad": "✖", "none": ""}
STATUS_WORD: dict[str, str] = {"ok": "OK", "warn": "WARN", "bad": "BREACH", "none": ""}
_SEVERITY: dict[str, int] = {"none": 0, "ok": 1, "warn": 2, "bad": 3}


@dataclass(frozen=True)
class Thresholds:
    """When a tile turns WARN or BREACH. ``warn`` and ``bad`` bounds are inclusive."""

    waiting_warn: int = 5
    waiting_bad: int = 15
    oldest_wait_warn_s: float = 20.0
    oldest_wait_bad_s: float = 60.0
    sl_warn_below: float = 0.80
    sl_bad_below: float = 0.60

    def __post_init__(self) -> None:
        if not self.waiting_warn <= self.waiting_bad:
            raise ValueError("waiting_warn must be <= waiting_bad")
        if not self.oldest_wait_warn_s <= self.oldest_wait_bad_s:
            raise ValueError("oldest_wait_warn_s must be <= oldest_wait_bad_s")
        if not self.sl_bad_below <= self.sl_warn_below:
            raise ValueError("sl_bad_below must be <= sl_warn_below")


DEFAULT_THRESHOLDS = Thresholds()


# --------------------------------------------------------------------------- formatting


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


def fmt_percent(fraction: Any) -> str:
    """A fraction in [0, 1] as a whole percent, rounded down so ``0.799`` never shows as
    ``80%`` next to a WARN for a target of 80 %; None → ``"—"`` (never ``0%``)."""
    f = as_number(fraction)
    if f is None:
        return MISSING
    return f"{math.floor(round(f * 100, 6))}%"


def fmt_age(age_s: float | None) -> str:
    if age_s is None:
        return MISSING
    age = max(0, math.floor(age_s))
    if age < 120:
        return f"{age} s"
    if age < 7200:
        return f"{age // 60} min"
    return f"{age // 3600} h"


def parse_as_of(value: Any) -> datetime | None:
    """ISO-8601 ``as_of`` → aware UTC datetime; a value without offset is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def dom_id(name: str) -> str:
    """Segment name → fragment usable in a DOM id: ``[a-z0-9-]``, never empty."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "segment"


# --------------------------------------------------------------------------- status


def status_high_bad(value: float | None, warn: float, bad: float) -> Status:
    """Bigger is worse (waiting, oldest wait)."""
    if value is None:
        return "none"
    if value >= bad:
        return "bad"
    if value >= warn:
        return "warn"
    return "ok"


def status_low_bad(value: float | None, warn_below: float, bad_below: float) -> Status:
    """Smaller is worse (service level)."""
    if value is None:
        return "none"
    if value < bad_below:
        return "bad"
    if value < warn_below:
        return "warn"
    return "ok"


def worst(statuses: Sequence[str]) -> str:
    return max(statuses, key=_SEVERITY.__getitem__, default="none")


# --------------------------------------------------------------------------- render


def _get(tree: Any, *path: str) -> Any:
    """``tree[path[0]][path[1]]...`` or None when any step is missing or not a mapping."""
    node = tree
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


SHORT_LABELS = {
    "waiting": "Waiting",
    "oldest": "Oldest wait",
    "offered": "Offered 15m",
    "answered": "Answered 15m",
    "abandoned": "Abandoned 15m",
    "sl": "SL 15m",
}


def _tile(key: str, label: str, value: str, status: str, *, hero: bool = False) -> dict:
    return {
        "key": key,
        "label": label,
        "short_label": SHORT_LABELS[key],
        "value": value,
        "status": status,
        "icon": STATUS_ICON[status],
        "word": STATUS_WORD[status],
        "hero": hero,
    }


def segment_tiles(segment: Any, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[dict]:
    """The six tiles of one segment, in display order."""
    t = thresholds
    waiting = as_number(_get(segment, "now", "waiting"))
    oldest = as_number(_get(segment, "now", "oldest_wait_s"))
    window = _get(segment, "windows", STATS_WINDOW)
    sl = as_number(_get(window, "service_level"))
    return [
        _tile(
            "waiting",
            "Waiting now",
            fmt_int(waiting),
            status_high_bad(waiting, t.waiting_warn, t.waiting_bad),
            hero=True,
        ),
        _tile(
            "oldest",
            "Oldest wait",
            fmt_duration(oldest),
            status_high_bad(oldest, t.oldest_wait_warn_s, t.oldest_wait_bad_s),
        ),
        _tile("offered", "Offered 15 min", fmt_int(_get(window, "offered")), "none"),
        _tile("answered", "Answered 15 min", fmt_int(_get(window, "answered")), "none"),
        _tile("abandoned", "Abandoned 15 min", fmt_int(_get(window, "abandoned")), "none"),
        _tile(
            "sl",
            f"Service level 15 min · target {fmt_percent(t.sl_warn_below)}",
            fmt_percent(sl),
            status_low_bad(sl, t.sl_warn_below, t.sl_bad_below),
        ),
    ]


def segment_order(available: Sequence[str], wanted: Sequence[str] | None = None) -> list[str]:
    """``wanted`` as given (a configured TV shows its segments even before data exists),
    else ``all`` first and then every other segment sorted case-insensitively."""
    if wanted is not None:
        return list(dict.fromkeys(wanted))
    rest = sorted((s for s in available if s != ALL_SEGMENT), key=lambda s: (s.lower(), s))
    return ([ALL_SEGMENT] if ALL_SEGMENT in available else []) + rest


def _unique_ids(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    ids = []
    for name in names:
        base = candidate = dom_id(name)
        n = 2
        while candidate in seen:
            candidate = f"{base}-{n}"
            n += 1
        seen.add(candidate)
        ids.append(candidate)
    return ids


def banner_text(
    has_snapshot: bool, age_s: float | None, stale: bool, error: str | None,
    feed_age_s: float | None = None, broker_down: bool = False,
) -> str | None:
    if not has_snapshot:
        if error:
            return f"NO DATA — worker unreachable: {error}"
        return "NO DATA — waiting for the first snapshot from the worker"
    if broker_down:
        last = f"last event received {fmt_age(feed_age_s)} ago" if feed_age_s is not None \
            else "no event received yet"
        return f"STALE — the worker cannot reach Kafka; {last}"
    if stale:
        text = f"STALE — data is {fmt_age(age_s)} old"
        return f"{text} — worker unreachable: {error}" if error else text
    return None


def render(
    snapshot: dict | None,
    fetched_at: float | None,
    now: float,
    *,
    stale_after_s: float = 5.0,
    segments: list[str] | None = None,
    error: str | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> dict:
    """Everything the page shows, as display strings.

    ``fetched_at`` and ``now`` are epoch seconds of the same clock; the data age is
    ``now - fetched_at`` (time since the last good fetch, immune to clock skew between
    the worker and this host). ``error`` is the poller's last error, shown in the banner.
    Returns::

        {"has_data": True, "as_of": "Data as of 01:15:00 UTC", "age_s": 1.2, "age": "1 s",
         "stale": False,
         "banner": None | "STALE — ...", "status": "ok|warn|bad|none",
         "segments": [{"name", "dom_id", "title", "status", "tiles": [tile, ...]}, ...]}

    and each tile is ``{"key", "label", "short_label", "value", "status", "icon", "word",
    "hero"}``.
    """
    has_snapshot = isinstance(snapshot, Mapping)
    age_s = None
    if has_snapshot and fetched_at is not None:
        age_s = max(0.0, now - fetched_at)
    stale = not has_snapshot or age_s is None or age_s > stale_after_s
    # The worker says when its input is cut off (its figures then freeze): stale as well.
    feed = _get(snapshot, "feed")
    feed = feed if isinstance(feed, Mapping) else {}
    broker_down = feed.get("broker_reachable") is False
    feed_age = feed.get("last_record_age_s")
    feed_age = float(feed_age) if isinstance(feed_age, int | float) else None
    if broker_down:
        stale = True
        age_s = feed_age if feed_age is not None else age_s

    as_of = parse_as_of(_get(snapshot, "as_of"))
    as_of_text = f"Data as of {as_of:%H:%M:%S} UTC" if as_of else f"Data as of {MISSING}"

    raw_segments = _get(snapshot, "segments")
    if not isinstance(raw_segments, Mapping):
        raw_segments = {}
    names = segment_order([str(k) for k in raw_segments], segments)
    out_segments = []
    for name, sid in zip(names, _unique_ids(names), strict=True):
        tiles = segment_tiles(raw_segments.get(name), thresholds)
        out_segments.append(
            {
                "name": name,
                "dom_id": sid,
                "title": "All queues" if name == ALL_SEGMENT else name,
                "status": worst([t["status"] for t in tiles]),
                "tiles": tiles,
            }
        )

    return {
        "has_data": has_snapshot,
        "as_of": as_of_text,
        "age_s": age_s,
        "age": fmt_age(age_s),
        "stale": stale,
        "banner": banner_text(has_snapshot, age_s, stale, error, feed_age, broker_down),
        "status": worst([s["status"] for s in out_segments]),
        "segments": out_segments,
    }

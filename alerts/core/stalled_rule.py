"""The feed-stalled kind: seconds without fresh data, and why.

:class:`FeedWatch` remembers when the snapshot source last answered and when each segment
last saw an arrival (its ``windows.today.offered`` grew). A feed-stalled rule's value is
the time since: for segment ``all`` the source failing, the worker cut off from Kafka or
stale partitions; for any segment stale freshness, or no arrivals for longer than its
recent rate makes likely (expected arrivals in the gap >= ``min_expected``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from streams.core.config import parse_window
from streams.core.errors import ConfigError

from ..config.fields import finite
from .kinds import Evaluation, Reading, figure
from .model import ALL

__all__ = ["FeedWatch"]

_MAX_SEGMENTS = 100_000  # bounded, whatever the segment churn


@dataclass
class _Activity:
    offered: float
    since: float


@lru_cache(maxsize=1024)
def _window_s(name: str) -> float | None:
    """The length of the engine window ``name`` ("5m", "60m"), None for "today" and the
    like (read as the engine reads ``engine.windows``)."""
    try:
        return float(parse_window("window", name)[1])
    except ConfigError:
        return None


def _block(snapshot: dict, name: str) -> dict:
    value = snapshot.get(name)
    return value if isinstance(value, dict) else {}


class FeedWatch:
    """When the source last answered and when each segment last saw an arrival."""

    def __init__(self) -> None:
        self.activity: dict[str, _Activity] = {}
        self.last_ok: float | None = None
        self.first_step: float | None = None

    def saw(self, segments: dict | None, t: float) -> None:
        """One step at ``t``: ``segments`` of the snapshot (None: the source failed)."""
        if self.first_step is None:
            self.first_step = t
        if segments is None:
            return
        self.last_ok = t
        for seg, data in segments.items():
            offered = finite(figure(data, "windows.today.offered"))
            if offered is None:
                continue
            act = self.activity.get(seg)
            if act is None:
                if len(self.activity) >= _MAX_SEGMENTS:
                    self.activity.clear()
                self.activity[seg] = _Activity(offered, t)
            elif offered > act.offered:
                act.offered, act.since = offered, t
            else:  # the same, or a new day started (today restarts at 0): no arrival
                act.offered = offered

    def read(self, ev: Evaluation) -> Reading:
        """Seconds without fresh data (>= stall_after fires), and why."""
        snapshot = ev.snapshot
        if snapshot is None or not isinstance(snapshot.get("segments"), dict):
            if ev.segment != ALL:
                return Reading(None, {}, True)
            # since the last good snapshot (or since this process started without one)
            since = self.last_ok if self.last_ok is not None else (self.first_step or ev.t)
            return Reading(ev.t - since, {"why": "source", "error": ev.source_error[:200]})
        flagged = _flagged(ev, snapshot)
        if flagged is not None:
            return flagged
        return self._silence(ev)

    def _silence(self, ev: Evaluation) -> Reading:
        """Seconds since the segment's last arrival, if its rate makes that improbable."""
        act = self.activity.get(ev.segment)
        data = ev.data
        if data is None or act is None:
            return Reading(0.0 if data is not None else None, {}, True)
        stalled_s = ev.t - act.since
        # Only a segment whose recent rate makes a silence this long improbable: expected
        # arrivals in the gap >= min_expected (P(no arrival) = exp(-expected)).
        longest = max(((w, s) for w in (data.get("windows") or {})
                       if (s := _window_s(w)) is not None), key=lambda x: x[1], default=None)
        expected = 0.0
        if longest is not None:
            offered = finite(figure(data, f"windows.{longest[0]}.offered")) or 0.0
            # the rate over the whole window (its tail is the gap itself): conservative
            expected = offered / longest[1] * stalled_s
        details = {"why": "no_arrivals", "expected": round(expected, 1)}
        return Reading(stalled_s, details, expected >= ev.rule.min_expected)


def _flagged(ev: Evaluation, snapshot: dict) -> Reading | None:
    """What the snapshot itself says is stale: the segment's freshness, and for ``all``
    the worker's broker connection and stale partitions."""
    stall = ev.rule.stall_after_s
    fresh, feed = _block(snapshot, "freshness"), _block(snapshot, "feed")
    segs_fresh = fresh.get("segments")
    seg_fresh = segs_fresh.get(ev.segment) if isinstance(segs_fresh, dict) else None
    if isinstance(seg_fresh, dict) and seg_fresh.get("stale") is True:
        age = finite(seg_fresh.get("age_s")) or 0.0
        return Reading(max(age, stall), {"why": "freshness", "age_s": age})
    if ev.segment != ALL:
        return None
    if feed.get("broker_reachable") is False:
        return Reading(stall + (finite(feed.get("last_record_age_s")) or 0.0),
                       {"why": "broker"})
    if fresh.get("stale_partitions"):
        parts = [str(p) for p in fresh["stale_partitions"]][:20]
        return Reading(stall, {"why": "freshness", "partitions": parts})
    return None

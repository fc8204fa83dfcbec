"""The metrics core (first slice): queue visits, the "now" figures and rolling counters.

Pure: no Kafka, Faust, Dash or HTTP imports; time comes in as event time and ``as_of``.
Definitions follow ``shared/spec/metrics.md``; this slice computes the subset listed in
``SLICE_WINDOW_KEYS`` and the "now" block, and leaves every other key of the snapshot out
(rather than reporting a number it did not compute). The metrics-engine issue replaces the
internals with bucketed windows, lateness handling and the remaining figures; the
``apply``/``snapshot`` surface stays.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas import Event

from .config import EngineSettings
from .timefmt import rfc3339

__all__ = ["DEFAULT_WINDOWS", "SLICE_WINDOW_KEYS", "Engine", "format_as_of"]

DEFAULT_WINDOWS: dict[str, float] = {"5m": 300.0, "15m": 900.0, "60m": 3600.0}
SLICE_WINDOW_KEYS = ("offered", "answered", "answered_in_sl", "abandoned", "dequeued", "handled")
AGENT_STATES = ("available", "on_call", "acw", "not_ready")
ALL = "all"
# Event ids are remembered this long (event time) past the newest event, to drop duplicates.
DEDUP_RETENTION_S = 3 * 3600.0


def format_as_of(t: float) -> str:
    """The snapshot's ``as_of``: RFC 3339 UTC, milliseconds only when fractional."""
    return rfc3339(t, fixed_ms=False)


@dataclass(slots=True)
class _Visit:
    queued_at: float
    segments: tuple[str, ...]


@dataclass(slots=True)
class _Agent:
    state: str
    queues: tuple[str, ...]
    ts: float


@dataclass
class _Series:
    """Sorted attribution times of one counter in one segment (pruned past the longest window)."""

    times: list[float] = field(default_factory=list)

    def add(self, t: float) -> None:
        if not self.times or t >= self.times[-1]:
            self.times.append(t)
        else:
            bisect.insort(self.times, t)

    def count(self, start_excl: float, end_incl: float) -> int:
        times = self.times
        return bisect.bisect_right(times, end_incl) - bisect.bisect_right(times, start_excl)

    def prune(self, before: float) -> None:
        cut = bisect.bisect_right(self.times, before)
        if cut:
            del self.times[:cut]


class Engine:
    """Applies validated events; builds the snapshot of metrics.md as of any instant."""

    def __init__(self, settings: EngineSettings | None = None,
                 windows: dict[str, float] | None = None) -> None:
        self.settings = settings or EngineSettings()
        self.windows = dict(windows or DEFAULT_WINDOWS)
        self._horizon = max(self.windows.values())
        self._seen: dict[str, float] = {}
        self._visits: dict[tuple[str, str], _Visit] = {}
        self._series: dict[str, dict[str, _Series]] = defaultdict(
            lambda: {k: _Series() for k in SLICE_WINDOW_KEYS})
        self._agents: dict[str, _Agent] = {}
        self._newest = float("-inf")
        self._pruned_at = float("-inf")
        self.outcomes: Counter[str] = Counter()

    # -- input -----------------------------------------------------------------------------
    def apply(self, ev: Event) -> str:
        """Apply one valid event; return what happened to it (also counted in ``outcomes``)."""
        outcome = self._apply(ev)
        self.outcomes[outcome] += 1
        return outcome

    def apply_all(self, events: Iterable[Event]) -> None:
        for ev in events:
            self.apply(ev)

    def _apply(self, ev: Event) -> str:
        if ev.event_id in self._seen:
            return "duplicate"
        self._seen[ev.event_id] = ev.ts
        if ev.ts > self._newest:
            self._newest = ev.ts
            if ev.ts - self._pruned_at >= 60.0:  # counts bisect their window: pruning is only
                self._pruned_at = ev.ts          # for memory, once a simulated minute will do
                self._prune()
        if ev.type == "agent.state":
            assert ev.agent_id is not None and ev.state is not None
            prev = self._agents.get(ev.agent_id)
            if prev is not None and prev.ts > ev.ts:
                return "stale_agent_state"
            self._agents[ev.agent_id] = _Agent(ev.state, ev.queues or (), ev.ts)
            return "applied"
        assert ev.call_id is not None and ev.queue is not None
        key = (ev.call_id, ev.queue)
        if ev.type == "call.queued":
            if key in self._visits:
                return "already_waiting"
            segments = (ALL, ev.queue)  # attribute segments arrive with the full engine
            self._visits[key] = _Visit(ev.ts, segments)
            self._count(segments, "offered", ev.ts)
            return "applied"
        if ev.type in ("call.answered", "call.abandoned", "call.dequeued"):
            visit = self._visits.pop(key, None)
            if visit is None:
                return "orphaned"
            counter = {"call.answered": "answered", "call.abandoned": "abandoned",
                       "call.dequeued": "dequeued"}[ev.type]
            self._count(visit.segments, counter, ev.ts)
            if counter == "answered" and ev.ts - visit.queued_at <= self.settings.sl_threshold_s:
                self._count(visit.segments, "answered_in_sl", ev.ts)
            return "applied"
        if ev.type == "call.wrapup_ended" or (ev.type == "call.ended" and not ev.acw):
            self._count((ALL, ev.queue), "handled", ev.ts)
            return "applied"
        if ev.type == "call.ended":
            return "applied"  # after-call work follows; handling completes at wrapup_ended
        return "unknown_type"  # pragma: no cover - the validator admits only known types

    def _count(self, segments: tuple[str, ...], counter: str, t: float) -> None:
        for seg in segments:
            self._series[seg][counter].add(t)

    def _prune(self) -> None:
        before = self._newest - self._horizon - 60.0
        for counters in self._series.values():
            for series in counters.values():
                if series.times and series.times[0] <= before:
                    series.prune(before)
        if len(self._seen) > 10_000:
            cut = self._newest - DEDUP_RETENTION_S
            self._seen = {k: ts for k, ts in self._seen.items() if ts >= cut}

    # -- output ----------------------------------------------------------------------------
    def segment_names(self) -> list[str]:
        names = set(self._series) | {q for _, q in self._visits}
        names |= {q for a in self._agents.values() for q in a.queues}
        names.add(ALL)
        return sorted(names)

    def snapshot(self, as_of: float) -> dict:
        """The snapshot JSON of metrics.md (the keys this slice computes) as of ``as_of``.

        ``as_of`` is taken to the millisecond, the precision of the ``as_of`` it reports, so a
        snapshot can be recomputed exactly from its own ``as_of``.
        """
        t = round(as_of, 3)
        threshold = self.settings.sl_threshold_s
        waiting: dict[str, list[float]] = defaultdict(list)
        for visit in self._visits.values():
            if visit.queued_at <= t:
                for seg in visit.segments:
                    waiting[seg].append(visit.queued_at)
        segments = {}
        for seg in self.segment_names():
            qs = waiting.get(seg, [])
            oldest = t - min(qs) if qs else None
            counters = self._series.get(seg)
            windows = {}
            for wname, length in self.windows.items():
                if counters is None:
                    windows[wname] = {k: 0 for k in SLICE_WINDOW_KEYS}
                else:
                    windows[wname] = {k: counters[k].count(t - length, t)
                                      for k in SLICE_WINDOW_KEYS}
            segments[seg] = {
                "now": {
                    "waiting": len(qs),
                    "oldest_wait_s": round(oldest, 3) if oldest is not None else None,
                    "waiting_over_sl": sum(1 for q in qs if t - q > threshold),
                    "agents": self._agents_now(seg, t),
                },
                "windows": windows,
            }
        return {"as_of": format_as_of(t), "segments": segments}

    def _agents_now(self, seg: str, t: float) -> dict[str, int]:
        counts = dict.fromkeys(AGENT_STATES, 0)
        for agent in self._agents.values():
            if agent.ts > t or agent.state not in counts:
                continue
            if seg == ALL or seg in agent.queues:
                counts[agent.state] += 1
        counts["staffed"] = counts["available"] + counts["on_call"] + counts["acw"]
        return counts

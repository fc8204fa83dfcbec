"""Snapshot rendering: a :class:`Partial` is one engine's mergeable share of a snapshot, and
:class:`SnapshotMerger` merges partials (sums, minimums, counts) and only then derives every
figure of metrics.md and the forecast, so merged partials equal one engine fed every event.
A segment is shown when some partial has calls in it (``all`` and the configured ones always):
agents alone create none, they count in the segments calls created."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from .. import erlang
from ..config import TODAY, EngineSettings
from ..timefmt import rfc3339
from .agents import zero_counts
from .aggregates import (
    C_ABANDONED,
    C_ANSWERED,
    C_DEQUEUED,
    C_HANDLE_MS,
    C_HANDLED,
    C_IN_SL,
    C_MET,
    C_MISSED,
    C_OFFERED,
    C_SHORT,
    C_WAIT_MS,
    Agg,
)
from .segments import ALL, CACHE_MAX, OTHER, queue_room

__all__ = ["WINDOW_KEYS", "Partial", "SegmentPart", "SnapshotMerger", "format_as_of",
           "window_lengths"]

WINDOW_KEYS = ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned",
               "dequeued", "handled", "sl_met", "sl_missed", "service_level", "asa_s",
               "wait_p50_s", "wait_p90_s", "aht_s", "abandon_rate")
# Figures cached per distinct aggregate: enough for every window of 3,000 segments (about
# 30 MB at most; a snapshot past that recomputes what it does not find).
FIG_CACHE_MAX = 16_384
FORECAST_MS = 900_000  # the forecast's arrival rate: offered over the last 15 minutes
AHT_MS = 3_600_000     # its handle time: aht_s over the last 60 minutes
# one segment of a partial: (sums, histograms, waiting, agents)
SegmentPart = tuple[list[int] | None, list[int] | None, list[int] | None,
                    dict[str, int] | None]


def format_as_of(t: float) -> str:
    """The snapshot's ``as_of``: RFC 3339 UTC, milliseconds only when fractional."""
    return rfc3339(t, fixed_ms=False)


def window_lengths(settings: EngineSettings) -> list[int]:
    """The rolling lengths (ms) a partial sums: the configured windows and the forecast's."""
    return sorted({length * 1000 for _, length in settings.windows} | {FORECAST_MS, AHT_MS})


class Partial:
    """One engine's share of a snapshot as of ``t`` (ms): ``segments`` maps a segment to
    ``(sums, histograms, waiting, agents)``: the packed aggregates of the windows in the order
    of :attr:`SnapshotMerger.keys` (``None`` when the segment has no records here), the
    waiting callers ``[count, earliest queue ms, over T]`` (or ``None``) and the agents by
    state (or ``None``). A name with agents only (no sums) is a queue with no segment in that
    engine: it is shown only where another partial has calls in it. Every part is a sum, a
    minimum or a count: partials merge exactly."""

    __slots__ = ("day_start", "segments", "t")

    def __init__(self, t: int, day_start: int, segments: dict[str, SegmentPart]) -> None:
        self.t = t
        self.day_start = day_start
        self.segments = segments


class SnapshotMerger:
    """Builds the snapshot JSON of metrics.md from partials: sums the aggregates, takes the
    earliest waiting caller, adds the agents, then derives every figure and the forecast once,
    on the merged numbers. Caches figures per distinct aggregate, so a snapshot pays for the
    segments whose numbers changed."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self._window_ms = [(name, length * 1000) for name, length in settings.windows]
        self.keys: list[Any] = [*window_lengths(settings), TODAY]
        # shown without calls: ``all`` and the configured segments
        self._kept = {ALL} | {seg.name for seg in settings.segments}
        self._fig_cache: dict[tuple[int, int], dict] = {}
        self._forecast_cache: dict[tuple, dict] = {}

    def render(self, partials: Iterable[Partial], t: int) -> dict:
        """The snapshot as of ``t`` (ms) of the merged ``partials`` (ideally all as of ``t``:
        a partial as of an earlier instant contributes its figures as of that instant)."""
        merged: dict[str, list] = {}
        holders: Counter[str] = Counter()  # partials with calls (sums) in the segment
        for part in partials:
            for name, values in part.segments.items():
                if values[0] is not None:
                    holders[name] += 1
                _merge_into(merged, name, values)
        for name in [n for n in merged if n not in holders and n not in self._kept]:
            del merged[name]  # agents only: segments are created by calls
        self._limit(merged, holders)
        keys = self.keys
        zeros = [0] * len(keys)
        figures = self._figures_cached
        segments = {}
        for name in sorted(merged):
            sums, hists, waiting, counts = merged[name]
            policy = self.settings.policy_for(name)
            aggs = {k: Agg(s, h) for k, s, h in zip(keys, sums or zeros, hists or zeros,
                                                    strict=True)}
            windows = {wname: figures(aggs[length]) for wname, length in self._window_ms}
            windows[TODAY] = figures(aggs[TODAY])
            counts = counts or zero_counts()
            hour = aggs[AHT_MS]
            handled60, handle60_ms = hour.count(C_HANDLED), hour.count(C_HANDLE_MS)
            # aht_s(60m), else default_aht_s (also when every handle took 0 s: Erlang C
            # needs a positive handle time)
            aht = (handle60_ms / handled60 / 1000 if handled60 and handle60_ms > 0
                   else policy.default_aht_s)
            segments[name] = {
                "now": {
                    "waiting": waiting[0] if waiting else 0,
                    "oldest_wait_s": round((t - waiting[1]) / 1000, 3) if waiting else None,
                    "waiting_over_sl": waiting[2] if waiting else 0,
                    "agents": counts,
                },
                "windows": windows,
                "forecast": self._forecast_cached(aggs[FORECAST_MS].count(C_OFFERED), aht,
                                                  counts["staffed"], policy.sl_threshold_s,
                                                  policy.sl_target),
            }
        return {"as_of": format_as_of(t / 1000), "segments": segments}

    def _limit(self, merged: dict[str, list], holders: Counter[str]) -> None:
        """At most ``max_segments`` segments: each partition's engine keeps to the limit on
        its own, so their union may not; the queues held by the fewest partitions (then by
        name) fold into ``other``, as the engine folds queues past the limit."""
        room = queue_room(self.settings)
        queues = [n for n in merged if n not in self._kept and n != OTHER]
        if len(queues) <= room:
            return
        queues.sort(key=lambda n: (-holders[n], n))
        for name in queues[room:]:
            _merge_into(merged, OTHER, merged.pop(name))

    def _figures_cached(self, agg: Agg) -> dict:
        return _memo(self._fig_cache, FIG_CACHE_MAX, (agg.sums, agg.histogram), _figures, agg)

    def _forecast_cached(self, offered: int, aht: float, staffed: int, t_s: float,
                         target: float) -> dict:
        return _memo(self._forecast_cache, CACHE_MAX, (offered, aht, staffed, t_s, target),
                     erlang.forecast, offered, aht, staffed, t_s, target)


def _merge_into(merged: dict[str, list], name: str, values: tuple | list) -> None:
    """Add one segment's partial ``(sums, histograms, waiting, agents)`` to ``merged[name]``."""
    sums, hists, waiting, agents = values
    entry = merged.get(name)
    if entry is None:
        merged[name] = [sums, hists, None if waiting is None else list(waiting),
                        None if agents is None else dict(agents)]
        return
    if sums is not None:
        if entry[0] is None:
            entry[0], entry[1] = sums, hists
        else:
            entry[0] = [a + b for a, b in zip(entry[0], sums, strict=True)]
            entry[1] = [a + b for a, b in zip(entry[1], hists, strict=True)]
    if waiting is not None:
        w = entry[2]
        if w is None:
            entry[2] = list(waiting)
        else:
            w[0] += waiting[0]
            w[1] = min(w[1], waiting[1])
            w[2] += waiting[2]
    if agents is not None:
        if entry[3] is None:
            entry[3] = dict(agents)
        else:
            for state, n in agents.items():
                entry[3][state] += n


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den > 0 else None


def _memo(cache: dict, limit: int, key: Any, make: Any, *args: Any) -> dict:
    """A copy (callers may edit it) of ``make(*args)``, computed once per ``key``; the cache
    is emptied when it reaches ``limit`` entries."""
    value = cache.get(key)
    if value is None:
        if len(cache) >= limit:
            cache.clear()
        value = cache[key] = make(*args)
    return dict(value)


def _figures(agg: Agg) -> dict:
    c = agg.counts()
    answered, handled = c[C_ANSWERED], c[C_HANDLED]
    abandoned_long = c[C_ABANDONED] - c[C_SHORT]
    p50, p90 = agg.percentiles_s(answered, (0.5, 0.9))
    return {
        "offered": c[C_OFFERED], "answered": answered, "answered_in_sl": c[C_IN_SL],
        "abandoned": c[C_ABANDONED], "short_abandoned": c[C_SHORT], "dequeued": c[C_DEQUEUED],
        "handled": handled, "sl_met": c[C_MET], "sl_missed": c[C_MISSED],
        "service_level": _rate(c[C_MET], c[C_MET] + c[C_MISSED]),
        "asa_s": round(c[C_WAIT_MS] / answered / 1000, 3) if answered else None,
        "wait_p50_s": p50,
        "wait_p90_s": p90,
        "aht_s": round(c[C_HANDLE_MS] / handled / 1000, 3) if handled else None,
        "abandon_rate": _rate(abandoned_long, answered + abandoned_long),
    }

"""The metrics core: the definitions of ``shared/spec/metrics.md``, implemented once.

Pure: no Kafka, Faust, Dash or HTTP imports, no wall clock. Events come in (any order within
``max_lateness_s``); ``snapshot(as_of)`` answers for any instant
``t >= newest - max_lateness_s - max_future_s``, reflecting exactly the events with ``ts <= t``.

How it is built (details in ``docs/metrics-engine.md``):

* **Calls.** Each call keeps its few events sorted by ``(ts, type rank, event_id)`` and the
  contributions it made. An event that arrives in order is applied incrementally; one that
  arrives out of order makes the call retract its contributions and replay its events in
  order, so any arrival order gives the in-order result. Outcomes with no visit yet are *held*
  and become *orphaned* once the lateness allowance has passed.
* **Visits** follow queued -> answered / abandoned / dequeued -> ended -> wrap-up; a visit
  still open ``max_visit_s`` after its start expires (counted, never abandoned).
* **Cells.** A visit belongs to segments (``all``, its queue, configured selectors). Segments
  of a visit that share the same per-segment settings share one *cell*, and each record
  (offered, answered with its wait, a service-level event, ...) is stored once per cell, in
  minute buckets of raw records (kept for the longest window plus the lateness/future margin)
  whose aggregates (two packed ints) are cached; older minutes fold into per-day totals for
  ``today``. Each cell keeps prefix sums over its minutes, so a window ``(t - L, t]`` takes
  its whole minutes in two look-ups and filters the two edge minutes record by record: its
  boundaries are exact to the millisecond and a snapshot costs O(cells x windows).
* **Service-level events** are records at their event time; a caller still waiting past
  ``T`` is a miss at ``q + T`` computed at snapshot time.

Times inside are integer milliseconds (exact sums, order-independent); the snapshot reports
seconds as floats.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import math
from collections import Counter, deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from schemas import AGENT_STATES as CONTRACT_AGENT_STATES
from schemas import DEQUEUE_REASONS, Event, InvalidEvent, parse_event

from .. import erlang
from ..config import ALL_SEGMENT, OTHER_SEGMENT, TODAY, EngineSettings, SegmentPolicy
from ..timefmt import rfc3339

__all__ = ["ALL", "OTHER", "STATE_VERSION", "WINDOW_KEYS", "Engine", "Partial", "SnapshotMerger",
           "StateError", "DEQUEUE_REASONS", "TOTALS_BUCKETS", "WAIT_BUCKETS_S",
           "wait_bucket_edges_ms",
           "format_as_of", "wait_bin", "wait_bin_floor_s"]

ALL = ALL_SEGMENT
OTHER = OTHER_SEGMENT
# Lookup caches keyed by what events bring (queue and attribute values, agents' queue lists)
# are emptied when they reach this size: a stream of distinct names costs bounded memory.
_CACHE_MAX = 65_536
# Figures cached per distinct aggregate: enough for every window of 3,000 segments (about
# 30 MB at most; a snapshot past that recomputes what it does not find).
_FIG_CACHE_MAX = 16_384
STATE_VERSION = 1
# the agent states counted in a segment (the contract's, but "offline": not staffed)
AGENT_STATES = tuple(s for s in CONTRACT_AGENT_STATES if s != "offline")
WINDOW_KEYS = ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned",
               "dequeued", "handled", "sl_met", "sl_missed", "service_level", "asa_s",
               "wait_p50_s", "wait_p90_s", "aht_s", "abandon_rate")
MINUTE_MS = 60_000
MAINTAIN_EVERY_MS = 60_000
CLEAN = 2**62  # a cell whose prefix sums are all valid

# Record kinds (one record = one counted item of one cell at its attribution time).
OFFERED, ANSWERED, ANSWERED_IN_SL, ABANDONED, SHORT_ABANDONED, DEQUEUED, HANDLED, SL_MET, \
    SL_MISSED = range(9)
# Aggregate slots: the nine counters, then the wait and handle sums (ms).
(C_OFFERED, C_ANSWERED, C_IN_SL, C_ABANDONED, C_SHORT, C_DEQUEUED, C_HANDLED, C_MET,
 C_MISSED, C_WAIT_MS, C_HANDLE_MS) = range(11)
_KIND_SLOTS: tuple[tuple[int, ...], ...] = (
    (C_OFFERED,), (C_ANSWERED,), (C_ANSWERED, C_IN_SL), (C_ABANDONED,), (C_ABANDONED, C_SHORT),
    (C_DEQUEUED,), (C_HANDLED,), (C_MET,), (C_MISSED,))
_TYPE_RANK = {"call.queued": 0, "call.answered": 1, "call.abandoned": 1, "call.dequeued": 1,
              "call.ended": 2, "call.wrapup_ended": 3}
_OUTCOME_OF = {"call.answered": "answered", "call.abandoned": "abandoned",
               "call.dequeued": "dequeued"}

# Wait histogram (percentiles): 1 s bins below 60 s, then bins 5 % wide. A bin reports its
# lower edge, so the error is < 1 s below 60 s and < 5 % above (metrics.md allows max(1 s, 5 %)).
_LINEAR_BINS = 60
_GROWTH = 1.05
_LOG_GROWTH = math.log(_GROWTH)

# Monotonic totals per segment (``Engine.totals``): the nine counters and the two sums of the
# aggregate slots, the dequeued visits by ``reason`` (DEQUEUE_REASONS), then the answered
# waits per cumulative bucket ``wait <= edge`` of :func:`wait_bucket_edges_ms` (the
# segment's SL threshold is always an edge).
WAIT_BUCKETS_S = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200)
TOTALS_BUCKETS = 11 + len(DEQUEUE_REASONS)  # index of the first wait bucket in a totals row


@functools.lru_cache(maxsize=1024)
def _bucket_mask(n_edges: int, first: int) -> int:
    """One in the lane of every wait bucket from ``first`` on (buckets are cumulative)."""
    return sum(1 << (64 * (TOTALS_BUCKETS + i)) for i in range(first, n_edges))


@functools.lru_cache(maxsize=256)
def wait_bucket_edges_ms(t_ms: int) -> tuple[int, ...]:
    """The wait histogram's bucket edges (ms) of a segment whose SL threshold is ``t_ms``."""
    return tuple(sorted({s * 1000 for s in WAIT_BUCKETS_S} | {t_ms}))


class StateError(ValueError):
    """Saved state cannot be restored (wrong format, version or settings)."""


def format_as_of(t: float) -> str:
    """The snapshot's ``as_of``: RFC 3339 UTC, milliseconds only when fractional."""
    return rfc3339(t, fixed_ms=False)


def wait_bin(wait_ms: int) -> int:
    if wait_ms < _LINEAR_BINS * 1000:
        return wait_ms // 1000
    return _LINEAR_BINS + int(math.log(wait_ms / (_LINEAR_BINS * 1000)) / _LOG_GROWTH)


def wait_bin_floor_s(b: int) -> float:
    """The lower edge of bin ``b`` in seconds (what a percentile falling in it reports)."""
    if b < _LINEAR_BINS:
        return float(b)
    return round(_LINEAR_BINS * _GROWTH ** (b - _LINEAR_BINS), 3)


# Aggregates are two Python ints: ``c`` packs the eleven counters and sums in 64-bit lanes,
# ``h`` the wait histogram in 32-bit lanes (one per bin). Adding two aggregates is then two
# integer additions, and a record's contribution is a precomputed pair of ints. Every lane
# stays non-negative (a retraction removes what was added), so the lanes never borrow.
_C_LANE = 64
_C_MASK = (1 << _C_LANE) - 1
_H_LANE = 32
_KIND_C = tuple(sum(1 << (_C_LANE * slot) for slot in slots) for slots in _KIND_SLOTS)
_WAIT_SHIFT = _C_LANE * C_WAIT_MS
_HANDLE_SHIFT = _C_LANE * C_HANDLE_MS
MISSED_UNIT = 1 << (_C_LANE * C_MISSED)


def record_delta(kind: int, value: int) -> tuple[int, int]:
    """What one record ``(kind, value)`` adds to an aggregate's ``(c, h)``."""
    if kind == ANSWERED or kind == ANSWERED_IN_SL:  # noqa: SIM109 - hot path, no tuple
        return _KIND_C[kind] + (value << _WAIT_SHIFT), 1 << (_H_LANE * wait_bin(value))
    if kind == HANDLED:
        return _KIND_C[kind] + (value << _HANDLE_SHIFT), 0
    return _KIND_C[kind], 0


class Agg:
    """Counters, sums and the wait histogram of a set of records (two packed ints)."""

    __slots__ = ("c", "h")

    def __init__(self, c: int = 0, h: int = 0) -> None:
        self.c = c
        self.h = h

    def add(self, kind: int, value: int, sign: int = 1) -> None:
        dc, dh = record_delta(kind, value)
        if sign > 0:
            self.c += dc
            self.h += dh
        else:
            self.c -= dc
            self.h -= dh

    def merge(self, other: Agg) -> None:
        self.c += other.c
        self.h += other.h

    def counts(self) -> list[int]:
        """The eleven counters and sums, in slot order (``C_OFFERED`` ... ``C_HANDLE_MS``)."""
        c = self.c
        return [(c >> (_C_LANE * i)) & _C_MASK for i in range(11)]

    def count(self, slot: int) -> int:
        return (self.c >> (_C_LANE * slot)) & _C_MASK

    def bins(self) -> dict[int, int]:
        """The histogram as ``{bin: count}`` (non-zero bins)."""
        h = self.h
        if not h:
            return {}
        lanes = memoryview(h.to_bytes((h.bit_length() + 31) // 32 * 4, "little")).cast("I")
        return {b: n for b, n in enumerate(lanes) if n}

    def percentiles_s(self, answered: int, ps: tuple[float, ...]) -> list[float | None]:
        """Nearest-rank percentiles of the waits (bin lower edges); ``answered`` = count."""
        if answered <= 0:
            return [None] * len(ps)
        h = self.h
        lanes = memoryview(h.to_bytes((h.bit_length() + 31) // 32 * 4, "little")).cast("I")
        cum = list(itertools.accumulate(lanes))
        out: list[float | None] = []
        for p in ps:
            rank = max(1, math.ceil(p * answered - 1e-9))
            out.append(wait_bin_floor_s(min(bisect.bisect_left(cum, rank), len(cum) - 1)))
        return out

    def to_list(self) -> list:
        return [self.counts(), sorted(self.bins().items())]

    @classmethod
    def from_list(cls, data: list) -> Agg:
        c = sum(int(x) << (_C_LANE * i) for i, x in enumerate(data[0]))
        h = sum(int(n) << (_H_LANE * int(b)) for b, n in data[1])
        return cls(c, h)


class _Bucket:
    """One minute of one cell: raw records ``(ms, kind, value)``, their aggregate (kept up to
    date incrementally: appends are folded in when asked, a removal recomputes it) and, for
    the window edges, the records sorted by time with prefix sums (built when asked)."""

    __slots__ = ("agg", "done", "hi", "lo", "pre", "raw")

    def __init__(self) -> None:
        self.raw: list[tuple[int, int, int]] = []
        self.agg: Agg | None = None  # of raw[:done]
        self.done = 0
        self.lo = 2**62              # the oldest ms of raw[:done]
        self.hi = -(2**62)           # the newest ms of raw[:done]
        # (ms sorted, prefix c, prefix h, len(raw) when built): the records up to position i
        # of the sorted order sum to (prefix c[i], prefix h[i])
        self.pre: tuple[list[int], list[int], list[int], int] | None = None

    def removed(self) -> None:
        """A record was removed: the aggregate and the prefix sums are rebuilt when asked."""
        self.agg = self.pre = None
        self.done = 0
        self.lo, self.hi = 2**62, -(2**62)

    def aggregate(self) -> Agg:
        raw, agg = self.raw, self.agg
        if agg is None or self.done < len(raw):
            c, h = (0, 0) if agg is None else (agg.c, agg.h)
            part = raw[self.done:] if agg is not None else raw
            for _, kind, value in part:
                dc, dh = record_delta(kind, value)
                c += dc
                h += dh
            agg = self.agg = Agg(c, h)
            if part:  # records are (ms, ...) tuples: min and max order them by time first
                self.lo = min(self.lo, min(part)[0])
                self.hi = max(self.hi, max(part)[0])
            self.done = len(raw)
        return agg

    def prefix(self) -> tuple[list[int], list[int], list[int], int]:
        pre = self.pre
        if pre is None or pre[3] != len(self.raw):
            times, cs, hs = [], [0], [0]
            c = h = 0
            for ms, kind, value in sorted(self.raw):
                dc, dh = record_delta(kind, value)
                c += dc
                h += dh
                times.append(ms)
                cs.append(c)
                hs.append(h)
            pre = self.pre = (times, cs, hs, len(self.raw))
        return pre

    def between(self, lo: int, hi: int) -> tuple[int, int, int | None]:
        """The sums of the records with ``lo < ms <= hi`` and the time of the first record
        after ``lo`` (``None`` when there is none)."""
        agg = self.aggregate()
        if self.hi <= lo:  # every record at or before lo (or none)
            return 0, 0, None
        if self.lo > lo:  # every record after lo
            if self.hi <= hi:
                return agg.c, agg.h, self.lo
            if self.lo > hi:
                return 0, 0, self.lo
        times, cs, hs, _ = self.prefix()
        i = bisect.bisect_right(times, lo)
        j = bisect.bisect_right(times, hi, i)
        return cs[j] - cs[i], hs[j] - hs[i], times[i] if i < len(times) else None


class _Cell:
    """Segments that share the records of a visit (same membership, same settings)."""

    __slots__ = ("base_c", "base_h", "cache", "cum_c", "cum_h", "day_base", "dirty", "keys",
                 "minutes", "policy", "segments", "short_ms", "t_ms")

    def __init__(self, segments: tuple[str, ...], policy: SegmentPolicy) -> None:
        self.segments = segments
        self.policy = policy
        self.t_ms = round(policy.sl_threshold_s * 1000)
        self.short_ms = round(policy.short_abandon_s * 1000)
        self.minutes: dict[int, _Bucket] = {}
        self.day_base: dict[int, Agg] = {}
        # Prefix sums over the retained minutes, for windows in O(log minutes): ``keys`` are
        # the minutes in order, ``cum_*[i]`` the sum of every minute up to ``keys[i]``
        # (folded minutes included, as ``base_*``); valid below the first minute changed
        # since (``dirty``, CLEAN when none).
        self.keys: list[int] = []
        self.cum_c: list[int] = []
        self.cum_h: list[int] = []
        self.base_c = 0
        self.base_h = 0
        self.dirty = CLEAN
        # The window sums as of some t: ``(t, valid until, day start, (cs, hs))``; they hold
        # for any t' in [t, valid until) while no record changes (every change sets None).
        self.cache: tuple[int, int, int, tuple[list[int], list[int]]] | None = None


class _Visit:
    __slots__ = ("a", "c", "cells", "ended", "o", "outcome", "q", "queue")

    def __init__(self, queue: str, q: int, cells: tuple[_Cell, ...]) -> None:
        self.queue = queue
        self.q = q
        self.cells = cells
        self.outcome: str | None = None  # answered, abandoned, dequeued, expired
        self.o: int | None = None        # outcome time (ms)
        self.a: int | None = None        # answered time
        self.c: int | None = None        # handling complete (ms); -1: never (expired)
        self.ended = False


class _Call:
    __slots__ = ("attrs", "cid", "classes", "contribs", "dropped", "events", "last_ms", "visits")

    def __init__(self, cid: str) -> None:
        self.cid = cid
        self.events: list[tuple[tuple, Event]] = []
        self.last_ms = -(2**62)  # the time of the newest event (``events[-1][0][0]``)
        self.dropped = False     # finalized and removed from the engine
        self.classes: list[str] = []
        self.contribs: list[tuple[_Cell, int, int, int]] = []
        self.visits: list[_Visit] = []
        self.attrs: dict[str, str] = {}

    def reset(self) -> None:
        self.contribs = []
        self.visits = []
        self.attrs = {}
        self.classes = []


class _Days:
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

    def _first_instant_ms(self, day: Any) -> int:
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


def _ms(ts: float) -> int:
    return round(ts * 1000)


class Engine:
    """Applies validated events; builds the snapshot JSON of metrics.md as of any instant."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = s = settings or EngineSettings()
        self.windows: tuple[tuple[str, int], ...] = s.windows
        self._window_ms = [(name, length * 1000) for name, length in s.windows]
        longest = max([length for _, length in s.windows] + [3600])
        self._lateness_ms = _ms(s.max_lateness_s)
        self._max_visit_ms = _ms(s.max_visit_s)
        self._future_ms = _ms(s.max_future_s)
        # Everything a query at t >= watermark - max_future_s can touch, plus a minute.
        self._horizon_ms = (longest + 60) * 1000 + _ms(s.max_future_s) + self._lateness_ms
        self._days = _Days(s.tz)
        self._configured = {seg.name: seg for seg in s.segments}
        self._match_keys = tuple(sorted({k for seg in s.segments for k, _ in seg.match}))
        self._cells: dict[tuple, _Cell] = {}
        self._membership: dict[tuple, tuple[_Cell, ...]] = {}
        self._agent_membership: dict[tuple[str, ...], tuple[str, ...]] = {}
        # Queues with a segment of their own, first come first served, at most
        # max_segments - (all + other + configured); the rest fold into ``other``.
        self._queues: set[str] = set()
        self._queue_room = s.max_segments - 2 - len(
            [seg for seg in s.segments if seg.name != ALL])
        self._other_used = False
        self.folded: Counter[str] = Counter()  # "queue_events", "agent_queues"
        self._calls: dict[str, _Call] = {}
        self._agents: dict[str, list[tuple[int, str, str, tuple[str, ...]]]] = {}
        # Event ids, in two generations (by event time) of at least the horizon each: a lookup
        # checks both; a rotation drops the older one whole.
        self._seen: set[str] = set()
        self._seen_old: set[str] = set()
        self._generation_start = -(2**62)
        # (last event ms, call): the call itself saves a look-up per entry
        self._final_queue: deque[tuple[int, _Call]] = deque()
        # calls still open after the finalize check: (start of their open visit or talk, id)
        self._expiry_queue: deque[tuple[int, str]] = deque()
        self._newest = -(2**62)
        self._maintained = -(2**62)
        self._floor_minute = -(2**62)
        self._seen_cutoff = -(2**62)  # event ids older than this may have been forgotten
        self._maintenances = 0
        self.outcomes: Counter[str] = Counter()
        # Final records per segment, never retracted (see :meth:`_finalize`), and a copy as
        # of the last :meth:`to_bytes` (what a checkpoint holds).
        self._totals: dict[str, int] = {}  # packed rows, see totals
        self.saved_totals: dict[str, list[int]] = {}
        # Calls that may have a visit waiting as of a supported instant (the "now" block
        # walks these only); pruned by _now once every visit closed before that horizon.
        self._live: dict[str, _Call] = {}
        # Calls that may have a visit with no outcome yet (the "now" block of an instant at or
        # after every event walks these only); pruned by _now once none has.
        self._open: dict[str, _Call] = {}
        # Agents by their latest entry, as (state, queues) -> count: the "now" block of any
        # instant at or after every agent event reads this instead of every history.
        self._agent_groups: Counter[tuple[str, tuple[str, ...]]] = Counter()
        self._agent_latest = -(2**62)
        # What the last partial counted, kept up to date from the changes since: agents per
        # segment (from _agent_groups, group -> (count, segments)), and per cell the window
        # rows it used with their column sums per segment.
        self._agent_counted: dict[tuple[str, tuple[str, ...]], tuple[int, tuple[str, ...]]] = {}
        self._agent_seg: dict[str, dict[str, int]] = {}
        self._rows_used: dict[_Cell, tuple[list[int], list[int]]] = {}
        self._seg_sums: dict[str, tuple[list[int], list[int]]] = {}
        self._lengths = sorted({length for _, length in self._window_ms}
                               | {900_000, 3_600_000})
        self._merger = SnapshotMerger(s)

    # -- input -----------------------------------------------------------------------------
    def apply(self, ev: Event) -> str:
        """Apply one valid event; return what happened to it on arrival.

        ``outcomes`` keeps the current classification of every event (an outcome held on
        arrival becomes ``applied`` when its visit appears, or ``orphaned`` later), plus
        ``expired`` visits.
        """
        eid = ev.event_id
        seen = self._seen
        if eid in self._seen_old:
            self.outcomes["duplicate"] += 1
            return "duplicate"
        n_seen = len(seen)
        seen.add(eid)  # one hash probe: a duplicate leaves the set as it was
        if len(seen) == n_seen:
            self.outcomes["duplicate"] += 1
            return "duplicate"
        ms = round(ev.ts * 1000)  # _ms, inlined
        if ms > self._newest:
            self._newest = ms
            if ms - self._maintained >= MAINTAIN_EVERY_MS:
                self._maintained = ms
                self._maintain()
        if ev.type == "agent.state":
            cls = self._apply_agent(ev, ms)
        else:
            cls = self._apply_call(ev, ms)
            queue = ev.queue
            if len(self._queues) >= self._queue_room and queue not in self._queues \
                    and queue not in self._configured:
                self.folded["queue_events"] += 1
        self.outcomes[cls] += 1
        return cls

    @property
    def newest_ms(self) -> int | None:
        """The newest event time applied (epoch ms), ``None`` before any event."""
        return None if self._newest == -(2**62) else self._newest

    def _apply_agent(self, ev: Event, ms: int) -> str:
        history = self._agents.setdefault(ev.agent_id, [])  # type: ignore[arg-type]
        queues = ev.queues or ()
        limit = self.settings.max_queues_per_agent
        if len(queues) > limit:  # the excess counts the agent in ``other``
            self.folded["agent_queues"] += len(queues) - limit
            queues = (*queues[:limit], OTHER)
        for queue in queues:
            self._own_segment(queue)
        entry = (ms, ev.event_id, ev.state, queues)
        if not history or entry > history[-1]:
            if history:
                self._agent_groups[history[-1][2:]] -= 1
            history.append(entry)  # type: ignore[arg-type]
            self._agent_groups[entry[2:]] += 1  # type: ignore[index]
        else:
            bisect.insort(history, entry)  # type: ignore[arg-type]
        if ms > self._agent_latest:
            self._agent_latest = ms
        return "applied"

    def _apply_call(self, ev: Event, ms: int) -> str:
        call = self._calls.get(ev.call_id)  # type: ignore[arg-type]
        if call is None:
            call = self._calls[ev.call_id] = _Call(ev.call_id)  # type: ignore[index,arg-type]
        elif ms < self._seen_cutoff:  # a duplicate whose id has left the dedup horizon?
            for _, seen in call.events:
                if seen.event_id == ev.event_id:
                    self.outcomes["duplicate"] += 1
                    return "duplicate"
        kind = ev.type
        key = (ms, _TYPE_RANK[kind], ev.event_id)
        last = call.last_ms  # key > the newest key, comparing the times first
        if ms > last or (ms == last and key > call.events[-1][0]):
            call.events.append((key, ev))
            call.last_ms = ms
            cls = self._step(call, ev, ms, emit=True)
            call.classes.append(cls)
            # Queue the call for its finalize check, unless this event left a talk open
            # (answered, or ended with after-call work): a later event or the visit's expiry
            # will queue it then.
            if cls != "applied" or not (kind == "call.answered" or (kind == "call.ended"
                                                                    and ev.acw)):
                self._final_queue.append((ms, call))
            return cls
        # Out of order: retract this call's contributions and replay its events in order.
        bisect.insort(call.events, (key, ev), key=lambda item: item[0])
        self._final_queue.append((call.last_ms, call))
        self._retract(call)
        for old in call.classes:
            self.outcomes[old] -= 1
        self._replay(call, emit=True)
        # expire as the last maintenance did
        self._expire_visits(call, self._maintained - self._lateness_ms, emit=True)
        index = next(i for i, (k, _) in enumerate(call.events) if k == key)
        for i, cls in enumerate(call.classes):
            if i != index:
                self.outcomes[cls] += 1
        return call.classes[index]

    def _replay(self, call: _Call, *, emit: bool) -> None:
        call.reset()
        for key, ev in call.events:
            call.classes.append(self._step(call, ev, key[0], emit=emit))

    def _retract(self, call: _Call) -> None:
        for cell, ms, kind, value in call.contribs:
            self._record(cell, ms, kind, value, -1)
        call.contribs = []

    # -- the visit state machine (events of one call, in order) ------------------------------
    def _step(self, call: _Call, ev: Event, ms: int, *, emit: bool) -> str:
        visits = call.visits
        if visits and ms - visits[0].q > self._max_visit_ms:  # the first visit is the oldest
            self._expire_visits(call, ms, emit=emit)
        queue = ev.queue
        kind = ev.type
        if kind == "call.queued":
            if ev.attrs:
                call.attrs.update(ev.attrs)
            for v in call.visits:
                if v.queue == queue and v.outcome is None:
                    return "already_waiting"
            cells = self._cells_for(queue, call.attrs)  # type: ignore[arg-type]
            call.visits.append(_Visit(queue, ms, cells))  # type: ignore[arg-type]
            self._live[ev.call_id] = self._open[ev.call_id] = call  # type: ignore[index]
            for cell in cells:
                self._contribute(call, cell, ms, OFFERED, 0, emit)
            return "applied"
        outcome = _OUTCOME_OF.get(kind)
        if outcome is not None:
            visit = None
            for v in call.visits:
                if v.queue == queue and v.outcome is None:
                    visit = v
            if visit is None:
                return "held"
            visit.outcome, visit.o = outcome, ms
            wait = ms - visit.q
            for cell in visit.cells:
                self._outcome_records(call, cell, visit, outcome, ms, wait, emit)
            if outcome == "answered":
                visit.a = ms
            return "applied"
        # call.ended / call.wrapup_ended: the latest answered visit in the queue
        visit = None
        for v in call.visits:
            if v.queue == queue and v.outcome == "answered":
                visit = v
        if visit is None:
            return "held"
        if visit.c is not None:
            return "already_handled"
        if kind == "call.ended":
            if visit.ended:
                return "already_ended"
            visit.ended = True
            if ev.acw:
                return "applied"  # after-call work follows; handling completes at wrap-up
        visit.c = ms
        for cell in visit.cells:
            self._contribute(call, cell, ms, HANDLED, ms - visit.a, emit)  # type: ignore[operator]
        return "applied"

    def _outcome_records(self, call: _Call, cell: _Cell, visit: _Visit, outcome: str,
                         ms: int, wait: int, emit: bool) -> None:
        t_ms = cell.t_ms
        if outcome == "answered":
            if wait <= t_ms:
                self._contribute(call, cell, ms, ANSWERED_IN_SL, wait, emit)
                self._contribute(call, cell, ms, SL_MET, 0, emit)
            else:
                self._contribute(call, cell, ms, ANSWERED, wait, emit)
                self._contribute(call, cell, visit.q + t_ms, SL_MISSED, 0, emit)
        elif outcome == "abandoned":
            if wait < cell.short_ms:
                self._contribute(call, cell, ms, SHORT_ABANDONED, 0, emit)
                return
            self._contribute(call, cell, ms, ABANDONED, 0, emit)
            if wait > t_ms:
                self._contribute(call, cell, visit.q + t_ms, SL_MISSED, 0, emit)
            elif cell.policy.abandon_policy == "negative":
                self._contribute(call, cell, ms, SL_MISSED, 0, emit)
            elif cell.policy.abandon_policy == "positive":
                self._contribute(call, cell, ms, SL_MET, 0, emit)
        else:
            self._contribute(call, cell, ms, DEQUEUED, 0, emit)
            if wait > t_ms:
                self._contribute(call, cell, visit.q + t_ms, SL_MISSED, 0, emit)

    def _expire_visits(self, call: _Call, now_ms: int, *, emit: bool) -> None:
        """Close visits open longer than ``max_visit_s`` before ``now_ms`` (deterministic)."""
        limit = self._max_visit_ms
        for v in call.visits:
            if v.outcome is None and now_ms - v.q > limit:
                v.outcome, v.o = "expired", v.q + limit
                for cell in v.cells:
                    if cell.t_ms < limit:
                        self._contribute(call, cell, v.q + cell.t_ms, SL_MISSED, 0, emit)
            elif v.outcome == "answered" and v.c is None and now_ms - v.a > limit:  # type: ignore[operator]
                v.c = -1

    def _contribute(self, call: _Call, cell: _Cell, ms: int, kind: int, value: int,
                    emit: bool) -> None:
        call.contribs.append((cell, ms, kind, value))
        if emit:
            minute = ms // MINUTE_MS
            if minute >= self._floor_minute:  # the common case of _record, inlined
                bucket = cell.minutes.get(minute)
                if bucket is None:
                    bucket = _new_bucket(cell, minute)
                bucket.raw.append((ms, kind, value))
                cell.cache = None
                if minute < cell.dirty:
                    cell.dirty = minute
            else:
                self._record(cell, ms, kind, value, 1)

    def _record(self, cell: _Cell, ms: int, kind: int, value: int, sign: int) -> None:
        minute = ms // MINUTE_MS
        if minute >= self._floor_minute:
            bucket = cell.minutes.get(minute)
            if bucket is None:
                bucket = _new_bucket(cell, minute)
            if sign > 0:
                bucket.raw.append((ms, kind, value))
            else:
                bucket.raw.remove((ms, kind, value))
                bucket.removed()
            cell.cache = None
            if minute < cell.dirty:
                cell.dirty = minute
            return
        # Older than every rolling window: it still counts in its day (``today``).
        cell.cache = None
        day = self._days.start_of(ms)
        base = cell.day_base.get(day)
        if base is None:
            base = cell.day_base[day] = Agg()
        base.add(kind, value, sign)

    def _finalize(self, call: _Call) -> None:
        """Add a call's records to the totals when the engine drops it: its events are final
        (older than the watermark by max_future_s) and every visit is closed, so no later
        event can retract them. A late event of a dropped call starts a new call (held, then
        orphaned), so a total never goes backwards. Rows are packed like :class:`Agg`: one
        int, a 64-bit lane per slot, so adding a call is one addition per segment."""
        deltas: dict[_Cell, int] = {}
        reasons: dict[int, int] | None = None
        kind_c = _KIND_C
        for cell, ms, kind, value in call.contribs:
            d = kind_c[kind]
            if kind == ANSWERED or kind == ANSWERED_IN_SL:  # noqa: SIM109 - hot path
                edges = wait_bucket_edges_ms(cell.t_ms)
                d += (value << _WAIT_SHIFT) + _bucket_mask(len(edges),
                                                           bisect.bisect_left(edges, value))
            elif kind == HANDLED:
                d += value << _HANDLE_SHIFT
            elif kind == DEQUEUED:
                if reasons is None:  # dequeue time -> its reason's lane
                    reasons = {_ms(ev.ts): 1 << (_C_LANE * (11 + DEQUEUE_REASONS.index(
                        ev.reason if ev.reason in DEQUEUE_REASONS else "other")))
                        for _, ev in call.events if ev.type == "call.dequeued"}
                d += reasons.get(ms, 1 << (_C_LANE * (TOTALS_BUCKETS - 1)))
            deltas[cell] = deltas.get(cell, 0) + d
        packed = self._totals
        for cell, d in deltas.items():
            for name in cell.segments:
                packed[name] = packed.get(name, 0) + d

    @property
    def totals(self) -> dict[str, list[int]]:
        """Final records per segment (a copy): the nine counters and the two sums in slot
        order, the dequeued visits by DEQUEUE_REASONS, then the cumulative wait buckets of
        :func:`wait_bucket_edges_ms` for the segment's SL threshold."""
        return {name: self._unpack_totals(name, v) for name, v in self._totals.items()}

    def _unpack_totals(self, name: str, packed: int) -> list[int]:
        n = TOTALS_BUCKETS + len(wait_bucket_edges_ms(
            round(self.settings.policy_for(name).sl_threshold_s * 1000)))
        return [(packed >> (_C_LANE * i)) & _C_MASK for i in range(n)]

    # -- segments ------------------------------------------------------------------------------
    def _own_segment(self, queue: str) -> str | None:
        """The segment named for ``queue``: itself while there is room, else ``other``;
        ``None`` for a queue that a configured segment of the same name replaces."""
        if queue in self._queues:
            return queue
        if queue in self._configured:
            return None
        if queue != OTHER and len(self._queues) < self._queue_room:
            self._queues.add(queue)
            return queue
        self._other_used = True
        return OTHER

    def _cells_for(self, queue: str, attrs: dict[str, str]) -> tuple[_Cell, ...]:
        key = (queue, tuple([attrs.get(k) for k in self._match_keys]) if attrs else ())
        cells = self._membership.get(key)
        if cells is not None:
            return cells
        if len(self._membership) >= _CACHE_MAX:
            self._membership.clear()
        names = {ALL}
        own = self._own_segment(queue)
        if own is not None:
            names.add(own)
        for seg in self._configured.values():
            if seg.name == ALL:
                continue
            if any(fnmatchcase(queue, g) for g in seg.queues) and all(
                    attrs.get(attr) in allowed for attr, allowed in seg.match):
                names.add(seg.name)
        groups: dict[SegmentPolicy, list[str]] = {}
        for name in sorted(names):
            groups.setdefault(self.settings.policy_for(name), []).append(name)
        cells = tuple(self._cell(tuple(group), policy) for policy, group in groups.items())
        self._membership[key] = cells
        return cells

    def _cell(self, segments: tuple[str, ...], policy: SegmentPolicy) -> _Cell:
        cell = self._cells.get((segments, policy))
        if cell is None:
            cell = self._cells[(segments, policy)] = _Cell(segments, policy)
        return cell

    def _agent_segments(self, queues: tuple[str, ...]) -> tuple[str, ...]:
        names = self._agent_membership.get(queues)
        if names is None:
            if len(self._agent_membership) >= _CACHE_MAX:
                self._agent_membership.clear()
            found = {ALL}
            for q in queues:
                own = self._own_segment(q)
                if own is not None:
                    found.add(own)
            for seg in self._configured.values():
                if seg.name == ALL or any(fnmatchcase(q, g) for q in queues for g in seg.queues):
                    found.add(seg.name)
            names = self._agent_membership[queues] = tuple(sorted(found))
        return names

    def segment_names(self) -> list[str]:
        names = set(self._configured) | {ALL} | self._queues
        if self._other_used:
            names.add(OTHER)
        return sorted(names)

    # -- maintenance (event time) ---------------------------------------------------------------
    def _maintain(self) -> None:
        wm = self._newest - self._lateness_ms
        # visits: expire; calls whose every visit is closed and whose events are final: drop
        limit = self._max_visit_ms
        calls = self._calls
        # Visits open longer than max_visit_s expire (queue ordered by visit start).
        expiry, final_queue = self._expiry_queue, self._final_queue
        expire_before = wm - limit
        while expiry and expiry[0][0] < expire_before:
            _, call_id = expiry.popleft()
            call = calls.get(call_id)
            if call is None:
                continue
            self._expire_visits(call, wm, emit=True)
            for v in call.visits:
                if v.outcome is None:
                    expiry.append((v.q, call_id))
                elif v.outcome == "answered" and v.c is None:
                    expiry.append((v.a, call_id))  # type: ignore[arg-type]
            final_queue.append((call.last_ms, call))
        # A closed call is kept while a snapshot may still ask about it: as of any
        # t >= newest - max_lateness_s - max_future_s (its visits waited until their outcome).
        final = wm - self._future_ms
        outcomes = self.outcomes
        while final_queue and final_queue[0][0] < final:
            last, call = final_queue.popleft()
            if call.dropped or call.last_ms != last:
                continue  # dropped already, or it has newer events (queued again)
            call_id = call.cid
            for v in call.visits:
                if v.outcome is None or (v.outcome == "answered" and v.c is None):
                    # still open: its next event queues it again, or it expires
                    expiry.append((v.q if v.outcome is None else v.a, call_id))  # type: ignore[arg-type]
                    break
            else:
                self._finalize(call)
                call.dropped = True
                del calls[call_id]
                self._live.pop(call_id, None)
                self._open.pop(call_id, None)
                held = call.classes.count("held")
                if held:
                    outcomes["held"] -= held
                    outcomes["orphaned"] += held
                for v in call.visits:
                    if v.outcome == "expired":
                        outcomes["expired"] += 1
        cutoff = wm - self._horizon_ms
        if wm - self._generation_start >= self._horizon_ms:
            # ids that arrived before the old generation began are forgotten now; such an
            # event is no newer than that instant plus max_future_s
            self._seen_cutoff = self._generation_start + self._future_ms
            self._seen_old, self._seen = self._seen, set()
            self._generation_start = wm
        floor = cutoff // MINUTE_MS
        if floor > self._floor_minute:
            self._floor_minute = floor
            oldest_day = self._days.start_of(cutoff) - 2 * 86_400_000
            for cell in self._cells.values():
                keys = cell.keys
                gone = bisect.bisect_left(keys, floor)
                if gone:
                    _refresh(cell)
                    cell.base_c, cell.base_h = cell.cum_c[gone - 1], cell.cum_h[gone - 1]
                    for minute in keys[:gone]:
                        bucket = cell.minutes.pop(minute)
                        day = self._days.start_of(minute * MINUTE_MS)
                        base = cell.day_base.get(day)
                        if base is None:
                            base = cell.day_base[day] = Agg()
                        base.merge(bucket.aggregate())
                    del keys[:gone], cell.cum_c[:gone], cell.cum_h[:gone]
                for day in [d for d in cell.day_base if d < oldest_day]:
                    del cell.day_base[day]
        self._maintenances += 1
        if self._maintenances % 10:
            return  # agent histories: pruned every tenth maintenance
        for history in self._agents.values():
            if len(history) > 1 and history[1][0] < cutoff:
                keep = bisect.bisect_left(history, (cutoff,))
                del history[:keep - 1]

    # -- output --------------------------------------------------------------------------------
    def snapshot(self, as_of: float) -> dict:
        """The snapshot JSON of metrics.md as of ``as_of`` (epoch seconds, taken to the ms)."""
        part = self.partial(as_of)
        return self._merger.render([part], part.t)

    def partial(self, as_of: float) -> Partial:
        """This engine's mergeable share of the snapshot as of ``as_of``: per segment, the
        window aggregates (exact sums), the waiting callers and the agents.

        :meth:`SnapshotMerger.render` turns one or more partials (e.g. one per Kafka
        partition) into the snapshot; the figures are derived only after the merge, so the
        snapshot of the merged partials equals that of one engine fed every event.

        A cell's window sums are reused from the previous partial while no record of the cell
        changed and no record entered or left one of its windows (``_Cell.cache``), so a
        partial costs O(cells whose sums changed) plus a look-up per cell."""
        t = _ms(as_of)
        day_start = self._days.start_of(t)
        lengths = self._lengths
        rows: dict[_Cell, tuple[list[int], list[int]]] = {}
        for cell in self._cells.values():
            cache = cell.cache
            if cache is not None and cache[0] <= t < cache[1] and cache[2] == day_start:
                rows[cell] = cache[3]
            else:
                rows[cell] = self._windows(cell, t, day_start, lengths)
        now, misses = self._now(t, day_start, lengths)
        for cell, extra in misses.items():  # callers still waiting past T: misses at q + T
            cs, hs = rows[cell]
            rows[cell] = ([c + e * MISSED_UNIT for c, e in zip(cs, extra, strict=True)], hs)
        sums = self._segment_sums(rows)
        agents = self._agents_now(t)
        segments = {}
        for name in self.segment_names():
            cs, hs = sums.get(name) or (None, None)
            segments[name] = (cs, hs, now.get(name), agents.get(name))
        return Partial(t, day_start, segments)

    def _segment_sums(self, rows: dict[_Cell, tuple[list[int], list[int]]]
                      ) -> dict[str, tuple[list[int], list[int]]]:
        """Per segment, the column sums of its cells' window rows: those of the last partial
        plus the differences of the rows that changed since (a reused cached row is the same
        object). Exact: the sums are integers. New lists for a changed segment, so a partial
        handed out earlier never changes."""
        used, sums = self._rows_used, self._seg_sums
        deltas: dict[str, list[list[int]]] = {}
        for cell, row in rows.items():
            old = used.get(cell)
            if old is row:
                continue
            used[cell] = row
            if old is None:
                dc, dh = row
            else:
                dc = [a - b for a, b in zip(row[0], old[0], strict=True)]
                dh = [a - b for a, b in zip(row[1], old[1], strict=True)]
            for name in cell.segments:
                acc = deltas.get(name)
                if acc is None:
                    deltas[name] = [list(dc), list(dh)]
                else:
                    acc[0] = [a + b for a, b in zip(acc[0], dc, strict=True)]
                    acc[1] = [a + b for a, b in zip(acc[1], dh, strict=True)]
        for name, (dc, dh) in deltas.items():
            before = sums.get(name)
            if before is None:
                sums[name] = (dc, dh)
            else:
                sums[name] = ([a + b for a, b in zip(before[0], dc, strict=True)],
                              [a + b for a, b in zip(before[1], dh, strict=True)])
        return sums

    def _windows(self, cell: _Cell, t: int, day_start: int,
                 lengths: list[int]) -> tuple[list[int], list[int]]:
        """The cell's packed sums of the records with ``t - length < ms <= t`` for each
        rolling ``length``, then of ``today`` (``day_start <= ms <= t``, folded days
        included); caches them with the instant before which they stay valid.

        Whole minutes come from the cell's prefix sums (two look-ups per range); the edge
        minutes from the minute's own prefix sums (a bisection)."""
        _refresh(cell)
        minutes, keys, cum_c, cum_h = cell.minutes, cell.keys, cell.cum_c, cell.cum_h
        last = t // MINUTE_MS
        until = 2**62  # the first instant at which a record enters or leaves a window
        head_c = head_h = 0  # minute `last`, up to t
        bucket = minutes.get(last)
        if bucket is not None:
            agg = bucket.aggregate()
            if bucket.hi <= t:
                head_c, head_h = agg.c, agg.h
            else:
                head_c, head_h, _ = bucket.between(-(2**62), t)
                nxt = bucket.between(t, 2**62)[2]
                if nxt is not None:
                    until = nxt
        k = bisect.bisect_right(keys, last)
        if k < len(keys) and keys[k] * MINUTE_MS < until:  # a later minute enters at its start
            until = keys[k] * MINUTE_MS
        j = bisect.bisect_right(keys, last - 1) - 1
        upto_c, upto_h = (cum_c[j], cum_h[j]) if j >= 0 else (cell.base_c, cell.base_h)
        cs: list[int] = []
        hs: list[int] = []
        for length in (*lengths, None):
            lo = day_start - 1 if length is None else t - length
            first = lo // MINUTE_MS
            if first == last:
                c = h = 0
                nxt = None
                if bucket is not None:
                    c, h, nxt = bucket.between(lo, t)
            else:
                i = bisect.bisect_right(keys, first) - 1
                if i >= 0:
                    c, h = upto_c - cum_c[i] + head_c, upto_h - cum_h[i] + head_h
                else:
                    c, h = upto_c - cell.base_c + head_c, upto_h - cell.base_h + head_h
                edge = minutes.get(first)
                nxt = None
                if edge is not None:
                    ec, eh, nxt = edge.between(lo, 2**62)
                    c += ec
                    h += eh
                i += 1  # keys[i] is the last minute <= first: look after it
                while nxt is None and i < len(keys):  # the first record of a later minute
                    nxt = minutes[keys[i]].between(lo, 2**62)[2]
                    i += 1
            if length is None:
                base = cell.day_base.get(day_start)
                if base is not None:
                    c += base.c
                    h += base.h
            elif nxt is not None and nxt + length < until:  # it leaves the window then
                until = nxt + length
            cs.append(c)
            hs.append(h)
        row = (cs, hs)
        cell.cache = (t, max(until, t + 1), day_start, row)
        return row

    def _now(self, t: int, day_start: int,
             lengths: list[int]) -> tuple[dict[str, list], dict[_Cell, list[int]]]:
        """Waiting callers per segment ``[count, min q, over T]``, and per cell the misses
        of callers still waiting past ``T`` (at ``q + T``) per window key (the rolling
        lengths, then ``today``), to add to the cell's window sums.

        Walks the calls that may still have a visit open as of ``t``, accumulating per cell,
        then per segment. As of an instant at or after every event (the live board), an
        outcome known now happened by ``t``: only calls with a visit that has none can wait
        (``_open``, pruned here). As of an earlier instant, a visit closed since was waiting
        then: every call that may have a visit open as of a supported instant is walked
        (``_live``, pruned here)."""
        limit = self._max_visit_ms
        fast = t >= self._newest
        # walked calls with no visit open after this are pruned
        earliest = 2**62 if fast else self._newest - self._lateness_ms - self._future_ms
        calls, live = self._calls, (self._open if fast else self._live)
        per_cell: dict[_Cell, list] = {}
        misses: dict[_Cell, list[int]] = {}
        n_lengths = len(lengths)
        gone = []
        for call_id, call in live.items():
            if calls.get(call_id) is not call:
                gone.append(call_id)
                continue
            closed = True  # every visit closed before any instant still asked for
            for v in call.visits:
                o = v.o
                if o is None or o >= earliest:
                    closed = False
                q = v.q
                if q > t:
                    continue
                if v.outcome is None:  # no outcome known yet: a miss once the wait reaches T
                    for cell in v.cells:
                        miss = q + cell.t_ms
                        if miss <= t and cell.t_ms < limit:
                            extra = misses.get(cell)
                            if extra is None:
                                extra = misses[cell] = [0] * (n_lengths + 1)
                            for i, length in enumerate(lengths):
                                if miss > t - length:
                                    extra[i] += 1
                            if miss >= day_start:
                                extra[n_lengths] += 1
                elif o <= t:  # type: ignore[operator]
                    continue
                if t - q > limit:
                    continue
                for cell in v.cells:
                    entry = per_cell.get(cell)
                    if entry is None:
                        per_cell[cell] = [1, q, int(t - q > cell.t_ms)]
                    else:
                        entry[0] += 1
                        if q < entry[1]:
                            entry[1] = q
                        if t - q > cell.t_ms:
                            entry[2] += 1
            if closed:
                gone.append(call_id)
        for call_id in gone:
            del live[call_id]
        per_segment: dict[str, list] = {}
        for cell, (n, first_q, over) in per_cell.items():
            for name in cell.segments:
                entry = per_segment.get(name)
                if entry is None:
                    per_segment[name] = [n, first_q, over]
                else:
                    entry[0] += n
                    entry[1] = min(entry[1], first_q)
                    entry[2] += over
        return per_segment, misses

    def _agents_now(self, t: int) -> dict[str, dict[str, int]]:
        """Agents by state per segment as of ``t`` (segments with none left out)."""
        if t >= self._agent_latest:  # every agent's latest entry applies: count the groups
            return self._agents_latest()
        per: Counter[tuple[str, tuple[str, ...]]] = Counter()
        for history in self._agents.values():
            i = bisect.bisect_right(history, (t, "\U0010ffff")) - 1
            if i >= 0:
                per[history[i][2:]] += 1  # type: ignore[index]
        out: dict[str, dict[str, int]] = {}
        for (state, queues), n in per.items():
            if state in AGENT_STATES:
                _add_agents(out, self._agent_segments(queues), state, n)
        return out

    def _agents_latest(self) -> dict[str, dict[str, int]]:
        """The agents by their latest entry: the counts of the last call plus the groups
        whose count changed since (a group keeps the segments it was counted in)."""
        counted, per_segment = self._agent_counted, self._agent_seg
        for group, n in self._agent_groups.items():
            old = counted.get(group)
            old_n = 0 if old is None else old[0]
            if n == old_n:
                continue
            names = self._agent_segments(group[1]) if old is None else old[1]
            counted[group] = (n, names)
            if group[0] in AGENT_STATES:
                _add_agents(per_segment, names, group[0], n - old_n)
        return {name: dict(counts) for name, counts in per_segment.items()
                if counts["staffed"] or counts["not_ready"]}

    # -- save / restore ------------------------------------------------------------------------
    def _fingerprint(self) -> str:
        return hashlib.sha256(repr(self.settings).encode()).hexdigest()[:16]

    def to_bytes(self) -> bytes:
        """The whole state, versioned (JSON); size is O(open calls + retained buckets)."""
        cells = [{
            "segments": list(cell.segments),
            "minutes": [[m, b.raw] for m, b in sorted(cell.minutes.items())],
            "days": [[d, agg.to_list()] for d, agg in sorted(cell.day_base.items())],
        } for cell in self._cells.values()]
        state = {
            "format": "cc-wallboard-engine-state", "version": STATE_VERSION,
            "settings": self._fingerprint(), "newest_ms": self._newest,
            "maintained_ms": self._maintained, "floor_minute": self._floor_minute,
            "seen_cutoff": self._seen_cutoff,
            "seen": [sorted(self._seen_old), sorted(self._seen)],
            "generation_start": self._generation_start,
            "calls": {cid: [ev.raw for _, ev in call.events] for cid, call in self._calls.items()},
            "cells": cells,
            "agents": {aid: [[ms, eid, st, list(qs)] for ms, eid, st, qs in h]
                       for aid, h in self._agents.items()},
            "queues": sorted(self._queues),
            "other_used": self._other_used,
            "folded": dict(self.folded),
            "outcomes": dict(self.outcomes),
            "totals": (totals := self.totals),
        }
        self.saved_totals = totals
        return orjson.dumps(state)

    @classmethod
    def from_bytes(cls, data: bytes, settings: EngineSettings | None = None) -> Engine:
        """Restore a state saved by :meth:`to_bytes` with the same engine settings."""
        engine = cls(settings)
        try:
            state = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise StateError(f"state is not valid JSON: {exc}") from None
        if not isinstance(state, dict) or state.get("format") != "cc-wallboard-engine-state":
            raise StateError("not a cc-wallboard engine state")
        if state.get("version") != STATE_VERSION:
            raise StateError(f"state version {state.get('version')!r} is not supported "
                             f"(this build reads version {STATE_VERSION})")
        if state.get("settings") != engine._fingerprint():
            raise StateError("state was saved with different engine settings; counters would "
                             "not mean the same thing (start from the topics instead)")
        engine._newest = state["newest_ms"]
        engine._maintained = state["maintained_ms"]
        engine._floor_minute = state["floor_minute"]
        engine._seen_cutoff = state.get("seen_cutoff", -(2**62))
        engine._seen_old, engine._seen = set(state["seen"][0]), set(state["seen"][1])
        engine._generation_start = state["generation_start"]
        engine._queues = set(state["queues"])
        engine._other_used = bool(state.get("other_used", False))
        engine.folded = Counter(state.get("folded", {}))
        for item in state["cells"]:
            segments = tuple(item["segments"])
            policy = engine.settings.policy_for(segments[0])
            cell = engine._cell(segments, policy)
            for m, raw in item["minutes"]:
                bucket = _new_bucket(cell, m)
                bucket.raw = [tuple(r) for r in raw]  # type: ignore[misc]
            for d, agg in item["days"]:
                cell.day_base[d] = Agg.from_list(agg)
        for aid, history in state["agents"].items():
            entries = engine._agents[aid] = [(ms, eid, st, tuple(qs))
                                             for ms, eid, st, qs in history]
            if entries:
                engine._agent_groups[entries[-1][2:]] += 1
                engine._agent_latest = max(engine._agent_latest,
                                           max(e[0] for e in entries))
        finals: list[tuple[int, _Call]] = []
        expiries: list[tuple[int, str]] = []
        for cid, raws in state["calls"].items():
            call = engine._calls[cid] = _Call(cid)
            for raw in raws:
                try:
                    ev = parse_event(raw)
                except InvalidEvent as exc:
                    raise StateError(f"state holds an invalid event of call {cid}: "
                                     f"{exc}") from None
                ms = _ms(ev.ts)
                call.events.append(((ms, _TYPE_RANK[ev.type], ev.event_id), ev))
            call.last_ms = call.events[-1][0][0]
            engine._replay(call, emit=False)  # rebuilds visits and contributions, no records
            engine._expire_visits(call, engine._maintained - engine._lateness_ms, emit=False)
            finals.append((call.last_ms, call))
            for v in call.visits:
                if v.outcome is None:
                    expiries.append((v.q, cid))
                elif v.outcome == "answered" and v.c is None:
                    expiries.append((v.a, cid))  # type: ignore[arg-type]
        engine._final_queue.extend(sorted(finals, key=lambda f: (f[0], f[1].cid)))
        engine._expiry_queue.extend(sorted(expiries))
        engine.outcomes = Counter(state["outcomes"])
        totals = state.get("totals", {})  # absent in states saved before the totals
        if not isinstance(totals, dict) or not all(
                isinstance(v, list) and all(isinstance(x, int) and 0 <= x <= _C_MASK for x in v)
                for v in totals.values()):
            raise StateError("state's totals are not lists of non-negative integers per "
                             "segment")
        engine._totals = {name: sum(x << (_C_LANE * i) for i, x in enumerate(row))
                          for name, row in totals.items()}
        engine.saved_totals = engine.totals
        return engine


class Partial:
    """One engine's share of a snapshot as of ``t`` (ms): ``segments`` maps a segment to
    ``(c, h, waiting, agents)``: the packed aggregates of the windows in the order of
    :attr:`SnapshotMerger.keys` (``None`` when the segment has no records here), the waiting
    callers ``[count, earliest queue ms, over T]`` (or ``None``) and the agents by state (or
    ``None``). Every part is a sum, a minimum or a count: partials merge exactly."""

    __slots__ = ("day_start", "segments", "t")

    def __init__(self, t: int, day_start: int,
                 segments: dict[str, tuple[list[int] | None, list[int] | None,
                                           list[int] | None, dict[str, int] | None]]) -> None:
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
        lengths = sorted({length for _, length in self._window_ms} | {900_000, 3_600_000})
        self.keys: list[Any] = [*lengths, TODAY]
        self._fig_cache: dict[tuple[int, int], dict] = {}
        self._forecast_cache: dict[tuple, dict] = {}

    def render(self, partials: Iterable[Partial], t: int) -> dict:
        """The snapshot as of ``t`` (ms) of the merged ``partials`` (ideally all as of ``t``:
        a partial as of an earlier instant contributes its figures as of that instant)."""
        merged: dict[str, list] = {}
        holders: Counter[str] = Counter()
        for part in partials:
            for name, values in part.segments.items():
                holders[name] += 1
                _merge_into(merged, name, values)
        self._limit(merged, holders)
        keys = self.keys
        zeros = [0] * len(keys)
        figures = self._figures_cached
        segments = {}
        for name in sorted(merged):
            cs, hs, waiting, counts = merged[name]
            policy = self.settings.policy_for(name)
            aggs = {k: Agg(c, h) for k, c, h in zip(keys, cs or zeros, hs or zeros,
                                                    strict=True)}
            windows = {wname: figures(aggs[length]) for wname, length in self._window_ms}
            windows[TODAY] = figures(aggs[TODAY])
            counts = counts or dict.fromkeys((*AGENT_STATES, "staffed"), 0)
            hour = aggs[3_600_000]
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
                "forecast": self._forecast_cached(aggs[900_000].count(C_OFFERED), aht,
                                                  counts["staffed"], policy.sl_threshold_s,
                                                  policy.sl_target),
            }
        return {"as_of": format_as_of(t / 1000), "segments": segments}

    def _limit(self, merged: dict[str, list], holders: Counter[str]) -> None:
        """At most ``max_segments`` segments: each partition's engine keeps to the limit on
        its own, so their union may not; the queues held by the fewest partitions (then by
        name) fold into ``other``, as the engine folds queues past the limit."""
        configured = {seg.name for seg in self.settings.segments}
        room = self.settings.max_segments - 2 - len(configured - {ALL})
        queues = [n for n in merged if n not in configured and n not in (ALL, OTHER)]
        if len(queues) <= room:
            return
        queues.sort(key=lambda n: (-holders[n], n))
        for name in queues[room:]:
            _merge_into(merged, OTHER, merged.pop(name))

    def _figures_cached(self, agg: Agg) -> dict:
        return _memo(self._fig_cache, _FIG_CACHE_MAX, (agg.c, agg.h), _figures, agg)

    def _forecast_cached(self, offered: int, aht: float, staffed: int, t_s: float,
                         target: float) -> dict:
        return _memo(self._forecast_cache, _CACHE_MAX, (offered, aht, staffed, t_s, target),
                     erlang.forecast, offered, aht, staffed, t_s, target)


def _merge_into(merged: dict[str, list], name: str, values: tuple | list) -> None:
    """Add one segment's partial ``(c, h, waiting, agents)`` to ``merged[name]``."""
    cs, hs, waiting, agents = values
    entry = merged.get(name)
    if entry is None:
        merged[name] = [cs, hs, None if waiting is None else list(waiting),
                        None if agents is None else dict(agents)]
        return
    if cs is not None:
        if entry[0] is None:
            entry[0], entry[1] = cs, hs
        else:
            entry[0] = [a + b for a, b in zip(entry[0], cs, strict=True)]
            entry[1] = [a + b for a, b in zip(entry[1], hs, strict=True)]
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


def _add_agents(out: dict[str, dict[str, int]], names: Iterable[str], state: str,
                n: int) -> None:
    for name in names:
        counts = out.get(name)
        if counts is None:
            counts = out[name] = dict.fromkeys((*AGENT_STATES, "staffed"), 0)
        counts[state] += n
        if state != "not_ready":
            counts["staffed"] += n


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


def _new_bucket(cell: _Cell, minute: int) -> _Bucket:
    """A bucket for a minute the cell did not have; keeps ``keys`` in order."""
    bucket = cell.minutes[minute] = _Bucket()
    keys = cell.keys
    if not keys or minute > keys[-1]:
        keys.append(minute)
    else:
        bisect.insort(keys, minute)
    if minute < cell.dirty:
        cell.dirty = minute
    return bucket


def _refresh(cell: _Cell) -> None:
    """Recompute the cell's prefix sums from its first changed minute on."""
    dirty = cell.dirty
    if dirty == CLEAN:
        return
    keys, cum_c, cum_h, minutes = cell.keys, cell.cum_c, cell.cum_h, cell.minutes
    i = bisect.bisect_left(keys, dirty)
    c, h = (cum_c[i - 1], cum_h[i - 1]) if i else (cell.base_c, cell.base_h)
    del cum_c[i:], cum_h[i:]
    for m in keys[i:]:
        agg = minutes[m].aggregate()
        c += agg.c
        h += agg.h
        cum_c.append(c)
        cum_h.append(h)
    cell.dirty = CLEAN


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

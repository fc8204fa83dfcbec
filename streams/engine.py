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
  whose aggregates are cached; older minutes fold into per-day totals for ``today``.
  A window ``(t - L, t]`` sums whole minutes from the cache and filters the two edge minutes
  record by record, so its boundaries are exact to the millisecond.
* **Service-level events** are records at their event time; a caller still waiting past
  ``T`` is a miss at ``q + T`` computed at snapshot time.

Times inside are integer milliseconds (exact sums, order-independent); the snapshot reports
seconds as floats.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections import Counter, deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from operator import add as _add
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from schemas import Event, InvalidEvent, parse_event

from . import erlang
from .config import ALL_SEGMENT, OTHER_SEGMENT, TODAY, EngineSettings, SegmentPolicy
from .timefmt import rfc3339

__all__ = ["ALL", "OTHER", "STATE_VERSION", "WINDOW_KEYS", "Engine", "StateError",
           "format_as_of", "wait_bin", "wait_bin_floor_s"]

ALL = ALL_SEGMENT
OTHER = OTHER_SEGMENT
# Lookup caches keyed by what events bring (queue and attribute values, agents' queue lists)
# are emptied when they reach this size: a stream of distinct names costs bounded memory.
_CACHE_MAX = 65_536
STATE_VERSION = 1
AGENT_STATES = ("available", "on_call", "acw", "not_ready")
WINDOW_KEYS = ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned",
               "dequeued", "handled", "sl_met", "sl_missed", "service_level", "asa_s",
               "wait_p50_s", "wait_p90_s", "aht_s", "abandon_rate")
MINUTE_MS = 60_000
MAINTAIN_EVERY_MS = 60_000

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


class Agg:
    """Counters, sums and the wait histogram of a set of records."""

    __slots__ = ("c", "hist")

    def __init__(self) -> None:
        self.c = [0] * 11
        self.hist: dict[int, int] = {}

    def add(self, kind: int, value: int, sign: int = 1) -> None:
        c = self.c
        for slot in _KIND_SLOTS[kind]:
            c[slot] += sign
        if kind == ANSWERED or kind == ANSWERED_IN_SL:  # noqa: SIM109 - hot path, no tuple
            c[C_WAIT_MS] += sign * value
            b = wait_bin(value)
            n = self.hist.get(b, 0) + sign
            if n:
                self.hist[b] = n
            else:
                del self.hist[b]
        elif kind == HANDLED:
            c[C_HANDLE_MS] += sign * value

    def merge(self, other: Agg) -> None:
        o = other.c
        if not any(o):
            return  # most cells of a large configuration are empty in a short window
        self.c = list(map(_add, self.c, o))
        h = self.hist
        for b, n in other.hist.items():
            h[b] = h.get(b, 0) + n

    def percentile_s(self, p: float) -> float | None:
        """Nearest-rank percentile of the waits (bin lower edge)."""
        n = self.c[C_ANSWERED]
        if n <= 0:
            return None
        rank = max(1, math.ceil(p * n - 1e-9))
        seen = 0
        for b in sorted(self.hist):
            seen += self.hist[b]
            if seen >= rank:
                return wait_bin_floor_s(b)
        return wait_bin_floor_s(max(self.hist))  # pragma: no cover - counts always agree

    def to_list(self) -> list:
        return [self.c, sorted(self.hist.items())]

    @classmethod
    def from_list(cls, data: list) -> Agg:
        agg = cls()
        agg.c = [int(x) for x in data[0]]
        agg.hist = {int(b): int(n) for b, n in data[1]}
        return agg


class _Bucket:
    """One minute of one cell: raw records ``(ms, kind, value)`` and their cached aggregate."""

    __slots__ = ("agg", "raw")

    def __init__(self) -> None:
        self.raw: list[tuple[int, int, int]] = []
        self.agg: Agg | None = None

    def aggregate(self) -> Agg:
        if self.agg is None:
            agg = Agg()
            for _, kind, value in self.raw:
                agg.add(kind, value)
            self.agg = agg
        return self.agg


class _Cell:
    """Segments that share the records of a visit (same membership, same settings)."""

    __slots__ = ("day_base", "minutes", "policy", "segments", "short_ms", "t_ms")

    def __init__(self, segments: tuple[str, ...], policy: SegmentPolicy) -> None:
        self.segments = segments
        self.policy = policy
        self.t_ms = round(policy.sl_threshold_s * 1000)
        self.short_ms = round(policy.short_abandon_s * 1000)
        self.minutes: dict[int, _Bucket] = {}
        self.day_base: dict[int, Agg] = {}


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
    __slots__ = ("attrs", "classes", "contribs", "events", "visits")

    def __init__(self) -> None:
        self.events: list[tuple[tuple, Event]] = []
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
        self._seg_cells: dict[str, list[_Cell]] = {}
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
        self._final_queue: deque[tuple[int, str]] = deque()   # (last event ms, call id)
        # calls still open after the finalize check: (start of their open visit or talk, id)
        self._expiry_queue: deque[tuple[int, str]] = deque()
        self._newest = -(2**62)
        self._maintained = -(2**62)
        self._floor_minute = -(2**62)
        self._seen_cutoff = -(2**62)  # event ids older than this may have been forgotten
        self._maintenances = 0
        self.outcomes: Counter[str] = Counter()

    # -- input -----------------------------------------------------------------------------
    def apply(self, ev: Event) -> str:
        """Apply one valid event; return what happened to it on arrival.

        ``outcomes`` keeps the current classification of every event (an outcome held on
        arrival becomes ``applied`` when its visit appears, or ``orphaned`` later), plus
        ``expired`` visits.
        """
        eid = ev.event_id
        if eid in self._seen or eid in self._seen_old:
            self.outcomes["duplicate"] += 1
            return "duplicate"
        ms = _ms(ev.ts)
        self._seen.add(eid)
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

    def apply_all(self, events: Iterable[Event]) -> None:
        for ev in events:
            self.apply(ev)

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
            history.append(entry)  # type: ignore[arg-type]
        else:
            bisect.insort(history, entry)  # type: ignore[arg-type]
        return "applied"

    def _apply_call(self, ev: Event, ms: int) -> str:
        call = self._calls.get(ev.call_id)  # type: ignore[arg-type]
        if call is None:
            call = self._calls[ev.call_id] = _Call()  # type: ignore[index]
        elif ms < self._seen_cutoff:  # a duplicate whose id has left the dedup horizon?
            for _, seen in call.events:
                if seen.event_id == ev.event_id:
                    self.outcomes["duplicate"] += 1
                    return "duplicate"
        kind = ev.type
        key = (ms, _TYPE_RANK[kind], ev.event_id)
        if not call.events or key > call.events[-1][0]:
            call.events.append((key, ev))
            cls = self._step(call, ev, ms, emit=True)
            call.classes.append(cls)
            # Queue the call for its finalize check, unless this event left a talk open
            # (answered, or ended with after-call work): a later event or the visit's expiry
            # will queue it then.
            if cls != "applied" or not (kind == "call.answered" or (kind == "call.ended"
                                                                    and ev.acw)):
                self._final_queue.append((ms, ev.call_id))
            return cls
        # Out of order: retract this call's contributions and replay its events in order.
        bisect.insort(call.events, (key, ev), key=lambda item: item[0])
        self._final_queue.append((call.events[-1][0][0], ev.call_id))
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
                    bucket = cell.minutes[minute] = _Bucket()
                bucket.raw.append((ms, kind, value))
                bucket.agg = None
            else:
                self._record(cell, ms, kind, value, 1)

    def _record(self, cell: _Cell, ms: int, kind: int, value: int, sign: int) -> None:
        minute = ms // MINUTE_MS
        if minute >= self._floor_minute:
            bucket = cell.minutes.get(minute)
            if bucket is None:
                bucket = cell.minutes[minute] = _Bucket()
            if sign > 0:
                bucket.raw.append((ms, kind, value))
            else:
                bucket.raw.remove((ms, kind, value))
            bucket.agg = None
            return
        # Older than every rolling window: it still counts in its day (``today``).
        day = self._days.start_of(ms)
        base = cell.day_base.get(day)
        if base is None:
            base = cell.day_base[day] = Agg()
        base.add(kind, value, sign)

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
            for name in segments:
                self._seg_cells.setdefault(name, []).append(cell)
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
            final_queue.append((call.events[-1][0][0], call_id))
        # A closed call is kept while a snapshot may still ask about it: as of any
        # t >= newest - max_lateness_s - max_future_s (its visits waited until their outcome).
        final = wm - self._future_ms
        outcomes = self.outcomes
        while final_queue and final_queue[0][0] < final:
            last, call_id = final_queue.popleft()
            call = calls.get(call_id)
            if call is None or call.events[-1][0][0] != last:
                continue  # dropped already, or it has newer events (queued again)
            for v in call.visits:
                if v.outcome is None or (v.outcome == "answered" and v.c is None):
                    # still open: its next event queues it again, or it expires
                    expiry.append((v.q if v.outcome is None else v.a, call_id))  # type: ignore[arg-type]
                    break
            else:
                del calls[call_id]
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
                for minute in [m for m in cell.minutes if m < floor]:
                    bucket = cell.minutes.pop(minute)
                    day = self._days.start_of(minute * MINUTE_MS)
                    base = cell.day_base.get(day)
                    if base is None:
                        base = cell.day_base[day] = Agg()
                    base.merge(bucket.aggregate())
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
        t = _ms(as_of)
        day_start = self._days.start_of(t)
        lengths = sorted({length for _, length in self._window_ms} | {900_000, 3_600_000})
        cell_aggs: dict[_Cell, dict] = {}
        for cell in self._cells.values():
            bounds = {length: t - length for length in lengths}
            bounds[TODAY] = day_start - 1
            per = self._nested(cell, t, bounds)
            base = cell.day_base.get(day_start)
            if base is not None:
                per[TODAY].merge(base)
            cell_aggs[cell] = per
        now = self._now(t, day_start, lengths, cell_aggs)
        agents = self._agents_now(t)
        segments = {}
        for name in self.segment_names():
            policy = self.settings.policy_for(name)
            merged = {length: Agg() for length in [*lengths, TODAY]}
            for cell in self._seg_cells.get(name, ()):
                for length, agg in cell_aggs[cell].items():
                    merged[length].merge(agg)
            waiting = now.get(name)
            windows = {wname: _figures(merged[length]) for wname, length in self._window_ms}
            windows[TODAY] = _figures(merged[TODAY])
            counts = agents.get(name) or dict.fromkeys((*AGENT_STATES, "staffed"), 0)
            handled60 = merged[3_600_000].c
            # aht_s(60m), else default_aht_s (also when every handle took 0 s: Erlang C
            # needs a positive handle time)
            aht = (handled60[C_HANDLE_MS] / handled60[C_HANDLED] / 1000
                   if handled60[C_HANDLED] and handled60[C_HANDLE_MS] > 0
                   else policy.default_aht_s)
            segments[name] = {
                "now": {
                    "waiting": waiting[0] if waiting else 0,
                    "oldest_wait_s": round((t - waiting[1]) / 1000, 3) if waiting else None,
                    "waiting_over_sl": waiting[2] if waiting else 0,
                    "agents": counts,
                },
                "windows": windows,
                "forecast": erlang.forecast(merged[900_000].c[C_OFFERED], aht, counts["staffed"],
                                            policy.sl_threshold_s, policy.sl_target),
            }
        return {"as_of": format_as_of(t / 1000), "segments": segments}

    def _nested(self, cell: _Cell, t: int, bounds: dict[Any, int]) -> dict[Any, Agg]:
        """For each ``key: lo``, the records with ``lo < ms <= t`` among the retained minutes.

        The ranges share their right end, so one backward pass over the minutes serves them
        all: whole minutes from their cached aggregates, the edge minutes record by record.
        """
        minutes = cell.minutes
        last = t // MINUTE_MS
        head = Agg()  # minute `last`, up to t
        bucket = minutes.get(last)
        if bucket is not None:
            for ms, kind, value in bucket.raw:
                if ms <= t:
                    head.add(kind, value)
        run = Agg()   # whole minutes below `last`, down to `m + 1`
        m = last - 1
        floor = self._floor_minute
        out: dict[Any, Agg] = {}
        for key, lo in sorted(bounds.items(), key=lambda item: -item[1]):
            first = lo // MINUTE_MS
            agg = Agg()
            if first == last:
                if bucket is not None:
                    for ms, kind, value in bucket.raw:
                        if lo < ms <= t:
                            agg.add(kind, value)
                out[key] = agg
                continue
            while m > first and m >= floor:
                whole = minutes.get(m)
                if whole is not None:
                    if len(whole.raw) <= 4:  # a sparse minute: its records beat a merge
                        for _, kind, value in whole.raw:
                            run.add(kind, value)
                    else:
                        run.merge(whole.aggregate())
                m -= 1
            agg.merge(head)
            agg.merge(run)
            edge = minutes.get(first)
            if edge is not None:
                for ms, kind, value in edge.raw:
                    if ms > lo:
                        agg.add(kind, value)
            out[key] = agg
        return out

    def _now(self, t: int, day_start: int, lengths: list[int],
             cell_aggs: dict[_Cell, dict]) -> dict[str, list]:
        """Waiting callers per segment ``[count, min q, over T]``; adds the misses of callers
        still waiting past ``T`` (at ``q + T``) to the cells' window aggregates."""
        limit = self._max_visit_ms
        per_segment: dict[str, list] = {}
        for call in self._calls.values():
            for v in call.visits:
                if v.q > t:
                    continue
                if v.outcome is None:  # no outcome known yet: a miss once the wait reaches T
                    for cell in v.cells:
                        miss = v.q + cell.t_ms
                        if miss <= t and cell.t_ms < limit:
                            aggs = cell_aggs[cell]
                            for length in lengths:
                                if miss > t - length:
                                    aggs[length].c[C_MISSED] += 1
                            if miss >= day_start:
                                aggs[TODAY].c[C_MISSED] += 1
                if (v.o is not None and v.o <= t) or t - v.q > limit:
                    continue
                for cell in v.cells:
                    over = t - v.q > cell.t_ms
                    for name in cell.segments:
                        entry = per_segment.get(name)
                        if entry is None:
                            per_segment[name] = [1, v.q, int(over)]
                        else:
                            entry[0] += 1
                            entry[1] = min(entry[1], v.q)
                            entry[2] += over
        return per_segment

    def _agents_now(self, t: int) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for history in self._agents.values():
            i = bisect.bisect_right(history, (t, "\U0010ffff")) - 1
            if i < 0:
                continue
            _, _, state, queues = history[i]
            if state not in AGENT_STATES:
                continue
            for name in self._agent_segments(queues):
                counts = out.get(name)
                if counts is None:
                    counts = out[name] = dict.fromkeys((*AGENT_STATES, "staffed"), 0)
                counts[state] += 1
                if state != "not_ready":
                    counts["staffed"] += 1
        return out

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
        }
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
                bucket = cell.minutes[m] = _Bucket()
                bucket.raw = [tuple(r) for r in raw]  # type: ignore[misc]
            for d, agg in item["days"]:
                cell.day_base[d] = Agg.from_list(agg)
        for aid, history in state["agents"].items():
            engine._agents[aid] = [(ms, eid, st, tuple(qs)) for ms, eid, st, qs in history]
        finals: list[tuple[int, str]] = []
        expiries: list[tuple[int, str]] = []
        for cid, raws in state["calls"].items():
            call = engine._calls[cid] = _Call()
            for raw in raws:
                try:
                    ev = parse_event(raw)
                except InvalidEvent as exc:
                    raise StateError(f"state holds an invalid event of call {cid}: "
                                     f"{exc}") from None
                ms = _ms(ev.ts)
                call.events.append(((ms, _TYPE_RANK[ev.type], ev.event_id), ev))
            engine._replay(call, emit=False)  # rebuilds visits and contributions, no records
            engine._expire_visits(call, engine._maintained - engine._lateness_ms, emit=False)
            finals.append((call.events[-1][0][0], cid))
            for v in call.visits:
                if v.outcome is None:
                    expiries.append((v.q, cid))
                elif v.outcome == "answered" and v.c is None:
                    expiries.append((v.a, cid))  # type: ignore[arg-type]
        engine._final_queue.extend(sorted(finals))
        engine._expiry_queue.extend(sorted(expiries))
        engine.outcomes = Counter(state["outcomes"])
        return engine


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den > 0 else None


def _figures(agg: Agg) -> dict:
    c = agg.c
    answered, handled = c[C_ANSWERED], c[C_HANDLED]
    abandoned_long = c[C_ABANDONED] - c[C_SHORT]
    return {
        "offered": c[C_OFFERED], "answered": answered, "answered_in_sl": c[C_IN_SL],
        "abandoned": c[C_ABANDONED], "short_abandoned": c[C_SHORT], "dequeued": c[C_DEQUEUED],
        "handled": handled, "sl_met": c[C_MET], "sl_missed": c[C_MISSED],
        "service_level": _rate(c[C_MET], c[C_MET] + c[C_MISSED]),
        "asa_s": round(c[C_WAIT_MS] / answered / 1000, 3) if answered else None,
        "wait_p50_s": agg.percentile_s(0.5),
        "wait_p90_s": agg.percentile_s(0.9),
        "aht_s": round(c[C_HANDLE_MS] / handled / 1000, 3) if handled else None,
        "abandon_rate": _rate(abandoned_long, answered + abandoned_long),
    }

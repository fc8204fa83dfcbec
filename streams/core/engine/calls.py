"""Calls and visits: each call keeps its events sorted by ``(ts, type rank, event id)`` and
the records it contributed; an event in order is applied incrementally, one out of order makes
the call retract its records and replay its events. Visits follow queued -> answered /
abandoned / dequeued -> ended -> wrap-up (:class:`CallMachine`, bound into the engine)."""

from __future__ import annotations

import bisect
from collections import Counter, deque

from schemas import Event

from .aggregates import (
    ABANDONED,
    ANSWERED,
    ANSWERED_IN_SL,
    DEQUEUED,
    HANDLED,
    OFFERED,
    SHORT_ABANDONED,
    SL_MET,
    SL_MISSED,
)
from .cells import Cell, new_bucket, place_record
from .clock import MINUTE_MS, NEVER, Days
from .dedup import Dedup
from .segments import Segments

__all__ = ["OUTCOME_OF", "TALK_EXPIRED", "TYPE_RANK", "Call", "CallMachine", "Visit",
           "open_since"]

TYPE_RANK = {"call.queued": 0, "call.answered": 1, "call.abandoned": 1, "call.dequeued": 1,
             "call.ended": 2, "call.wrapup_ended": 3}
OUTCOME_OF = {"call.answered": "answered", "call.abandoned": "abandoned",
              "call.dequeued": "dequeued"}
TALK_EXPIRED = -1  # the handled_ms of a talk still open max_visit_s after its answer: never


class Visit:
    """One wait of a call in one queue, and what followed it (times in ms)."""

    __slots__ = ("answered_ms", "cells", "ended", "handled_ms", "outcome", "outcome_ms",
                 "queue", "queued_ms")

    def __init__(self, queue: str, queued_ms: int, cells: tuple[Cell, ...]) -> None:
        self.queue = queue
        self.queued_ms = queued_ms
        self.cells = cells
        self.outcome: str | None = None  # answered, abandoned, dequeued, expired
        self.outcome_ms: int | None = None
        self.answered_ms: int | None = None
        self.handled_ms: int | None = None  # handling complete; TALK_EXPIRED: never
        self.ended = False


def open_since(v: Visit) -> int | None:
    """When the visit's open part began: its wait (no outcome yet) or its talk (answered,
    handling not complete); ``None`` once closed."""
    if v.outcome is None:
        return v.queued_ms
    if v.outcome == "answered" and v.handled_ms is None:
        return v.answered_ms
    return None


class Call:
    """A call's events in order, each one's classification, its visits and its records."""

    __slots__ = ("attrs", "call_id", "classifications", "dropped", "events", "last_ms",
                 "records", "visits")

    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        self.events: list[tuple[tuple, Event]] = []
        self.last_ms = NEVER   # the time of the newest event (``events[-1][0][0]``)
        self.dropped = False   # finalized and removed from the engine
        self.classifications: list[str] = []
        self.records: list[tuple[Cell, int, int, int]] = []  # (cell, ms, kind, value)
        self.visits: list[Visit] = []
        self.attrs: dict[str, str] = {}

    def reset(self) -> None:
        self.records = []
        self.visits = []
        self.attrs = {}
        self.classifications = []


class CallMachine:
    """The visit state machine, bound into the engine (it reads and writes this state)."""

    outcomes: Counter[str]
    _calls: dict[str, Call]
    _dedup: Dedup
    _segments: Segments
    _days: Days
    # (last event ms, call): the call itself saves a look-up per entry
    _final_queue: deque[tuple[int, Call]]
    _live: dict[str, Call]
    _open: dict[str, Call]
    _floor_minute: int
    _maintained: int
    _lateness_ms: int
    _max_visit_ms: int

    def _apply_call(self, ev: Event, ms: int) -> str:
        call = self._calls.get(ev.call_id)  # type: ignore[arg-type]
        if call is None:
            call = self._calls[ev.call_id] = Call(ev.call_id)  # type: ignore[index,arg-type]
        elif ms < self._dedup.forgotten_before:  # a duplicate whose id left the dedup horizon?
            for _, seen in call.events:
                if seen.event_id == ev.event_id:
                    self.outcomes["duplicate"] += 1
                    return "duplicate"
        key = (ms, TYPE_RANK[ev.type], ev.event_id)
        last = call.last_ms  # key > the newest key, comparing the times first
        if ms > last or (ms == last and key > call.events[-1][0]):
            call.events.append((key, ev))
            call.last_ms = ms
            cls = self._step(call, ev, ms, emit=True)
            call.classifications.append(cls)
            # Queue the call for its finalize check, also when this event left a talk open
            # (answered, or ended with after-call work): the check then puts it in the expiry
            # queue, so a talk whose end never comes closes max_visit_s after its answer and
            # the call is dropped into the totals, as a restored engine (which checks every
            # call) does.
            self._final_queue.append((ms, call))
            return cls
        return self._apply_late(call, ev, key)

    def _apply_late(self, call: Call, ev: Event, key: tuple) -> str:
        """Out of order: retract this call's records and replay its events in order."""
        bisect.insort(call.events, (key, ev), key=lambda item: item[0])
        self._final_queue.append((call.last_ms, call))
        self._retract(call)
        for old in call.classifications:
            self.outcomes[old] -= 1
        self._replay(call, emit=True)
        # expire as the last maintenance did
        self._expire_visits(call, self._maintained - self._lateness_ms, emit=True)
        index = next(i for i, (k, _) in enumerate(call.events) if k == key)
        for i, cls in enumerate(call.classifications):
            if i != index:
                self.outcomes[cls] += 1
        return call.classifications[index]

    def _replay(self, call: Call, *, emit: bool) -> None:
        call.reset()
        for key, ev in call.events:
            call.classifications.append(self._step(call, ev, key[0], emit=emit))

    def _retract(self, call: Call) -> None:
        floor, days = self._floor_minute, self._days
        for cell, ms, kind, value in call.records:
            place_record(cell, ms, kind, value, -1, floor, days)
        call.records = []

    # -- the visit state machine (events of one call, in order) ------------------------------
    def _step(self, call: Call, ev: Event, ms: int, *, emit: bool) -> str:
        visits = call.visits
        if visits and ms - visits[0].queued_ms > self._max_visit_ms:  # the first is the oldest
            self._expire_visits(call, ms, emit=emit)
        kind = ev.type
        if kind == "call.queued":
            return self._queued(call, ev, ms, emit)
        outcome = OUTCOME_OF.get(kind)
        if outcome is not None:
            return self._outcome(call, ev.queue, outcome, ms, emit)  # type: ignore[arg-type]
        return self._handled(call, ev, ms, emit)

    def _queued(self, call: Call, ev: Event, ms: int, emit: bool) -> str:
        queue = ev.queue
        if ev.attrs:
            call.attrs.update(ev.attrs)
        for v in call.visits:
            if v.queue == queue and v.outcome is None:
                return "already_waiting"
        cells = self._segments.cells_for(queue, call.attrs)  # type: ignore[arg-type]
        call.visits.append(Visit(queue, ms, cells))  # type: ignore[arg-type]
        self._live[ev.call_id] = self._open[ev.call_id] = call  # type: ignore[index]
        for cell in cells:
            self._contribute(call, cell, ms, OFFERED, 0, emit)
        return "applied"

    def _outcome(self, call: Call, queue: str, outcome: str, ms: int, emit: bool) -> str:
        visit = None
        for v in call.visits:
            if v.queue == queue and v.outcome is None:
                visit = v
        if visit is None:
            return "held"
        visit.outcome, visit.outcome_ms = outcome, ms
        wait = ms - visit.queued_ms
        for cell in visit.cells:
            self._outcome_records(call, cell, visit, outcome, ms, wait, emit)
        if outcome == "answered":
            visit.answered_ms = ms
        return "applied"

    def _handled(self, call: Call, ev: Event, ms: int, emit: bool) -> str:
        """call.ended / call.wrapup_ended: the latest answered visit in the queue."""
        queue = ev.queue
        visit = None
        for v in call.visits:
            if v.queue == queue and v.outcome == "answered":
                visit = v
        if visit is None:
            return "held"
        if visit.handled_ms is not None:
            return "already_handled"
        if ev.type == "call.ended":
            if visit.ended:
                return "already_ended"
            visit.ended = True
            if ev.acw:
                return "applied"  # after-call work follows; handling completes at wrap-up
        visit.handled_ms = ms
        talk = ms - visit.answered_ms  # type: ignore[operator]
        for cell in visit.cells:
            self._contribute(call, cell, ms, HANDLED, talk, emit)
        return "applied"

    def _outcome_records(self, call: Call, cell: Cell, visit: Visit, outcome: str,
                         ms: int, wait: int, emit: bool) -> None:
        t_ms = cell.sl_ms
        if outcome == "answered":
            if wait <= t_ms:
                self._contribute(call, cell, ms, ANSWERED_IN_SL, wait, emit)
                self._contribute(call, cell, ms, SL_MET, 0, emit)
            else:
                self._contribute(call, cell, ms, ANSWERED, wait, emit)
                self._contribute(call, cell, visit.queued_ms + t_ms, SL_MISSED, 0, emit)
        elif outcome == "abandoned":
            if wait < cell.short_abandon_ms:
                self._contribute(call, cell, ms, SHORT_ABANDONED, 0, emit)
                return
            self._contribute(call, cell, ms, ABANDONED, 0, emit)
            if wait > t_ms:
                self._contribute(call, cell, visit.queued_ms + t_ms, SL_MISSED, 0, emit)
            elif cell.policy.abandon_policy == "negative":
                self._contribute(call, cell, ms, SL_MISSED, 0, emit)
            elif cell.policy.abandon_policy == "positive":
                self._contribute(call, cell, ms, SL_MET, 0, emit)
        else:
            self._contribute(call, cell, ms, DEQUEUED, 0, emit)
            if wait > t_ms:
                self._contribute(call, cell, visit.queued_ms + t_ms, SL_MISSED, 0, emit)

    def _expire_visits(self, call: Call, now_ms: int, *, emit: bool) -> None:
        """Close visits open longer than ``max_visit_s`` before ``now_ms`` (deterministic)."""
        limit = self._max_visit_ms
        for v in call.visits:
            if v.outcome is None and now_ms - v.queued_ms > limit:
                v.outcome, v.outcome_ms = "expired", v.queued_ms + limit
                for cell in v.cells:
                    if cell.sl_ms < limit:
                        self._contribute(call, cell, v.queued_ms + cell.sl_ms, SL_MISSED, 0,
                                         emit)
            elif v.outcome == "answered" and v.handled_ms is None \
                    and now_ms - v.answered_ms > limit:  # type: ignore[operator]
                v.handled_ms = TALK_EXPIRED

    def _contribute(self, call: Call, cell: Cell, ms: int, kind: int, value: int,
                    emit: bool) -> None:
        call.records.append((cell, ms, kind, value))
        if emit:
            minute = ms // MINUTE_MS
            if minute >= self._floor_minute:  # the common case of place_record, inlined
                bucket = cell.minutes.get(minute)
                if bucket is None:
                    bucket = new_bucket(cell, minute)
                bucket.records.append((ms, kind, value))
                cell.window_cache = None
                if minute < cell.dirty_from:
                    cell.dirty_from = minute
            else:
                place_record(cell, ms, kind, value, 1, self._floor_minute, self._days)

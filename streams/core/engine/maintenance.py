"""Maintenance, once a minute of event time: visits open longer than ``max_visit_s`` expire,
calls whose events are final and whose visits are closed are added to the totals and dropped,
the dedup generations rotate, minutes older than every window fold into their days, and the
agents' histories are pruned (:class:`Maintenance`, bound into the engine)."""

from __future__ import annotations

from collections import deque

from .agents import Agents
from .calls import Call, CallMachine, open_since
from .cells import fold_minutes
from .clock import DAY_MS, MINUTE_MS
from .totals import Totals

__all__ = ["MAINTAIN_EVERY_MS", "Maintenance"]

MAINTAIN_EVERY_MS = 60_000
PRUNE_AGENTS_EVERY = 10  # maintenances


class Maintenance(CallMachine):
    """Expiry, finalizing, dedup rotation, folding and pruning (event time)."""

    _agents: Agents
    _totals: Totals
    # calls still open after the finalize check: (start of their open visit or talk, id)
    _expiry_queue: deque[tuple[int, str]]
    _newest: int
    _future_ms: int
    _horizon_ms: int
    _maintenances: int

    def _maintain(self) -> None:
        wm = self._newest - self._lateness_ms
        # visits: expire; calls whose every visit is closed and whose events are final: drop
        self._expire_due(wm)
        # A closed call is kept while a snapshot may still ask about it: as of any
        # t >= newest - max_lateness_s - max_future_s (its visits waited until their outcome).
        self._drop_final(wm - self._future_ms)
        cutoff = wm - self._horizon_ms
        self._dedup.rotate(wm, self._horizon_ms, self._future_ms)
        floor = cutoff // MINUTE_MS
        if floor > self._floor_minute:
            self._floor_minute = floor
            oldest_day = self._days.start_of(cutoff) - 2 * DAY_MS
            for cell in self._segments.cells.values():
                fold_minutes(cell, floor, self._days, oldest_day)
        self._maintenances += 1
        if self._maintenances % PRUNE_AGENTS_EVERY == 0:
            self._agents.prune(cutoff)

    def _expire_due(self, wm: int) -> None:
        """Visits open longer than max_visit_s expire (the queue is ordered by visit start)."""
        calls, expiry, final_queue = self._calls, self._expiry_queue, self._final_queue
        expire_before = wm - self._max_visit_ms
        while expiry and expiry[0][0] < expire_before:
            _, call_id = expiry.popleft()
            call = calls.get(call_id)
            if call is None:
                continue
            self._expire_visits(call, wm, emit=True)
            for v in call.visits:
                since = open_since(v)
                if since is not None:
                    expiry.append((since, call_id))
            final_queue.append((call.last_ms, call))

    def _drop_final(self, final: int) -> None:
        """Drop the calls whose newest event is before ``final`` and whose visits are closed;
        a call still open waits in the expiry queue."""
        final_queue, expiry = self._final_queue, self._expiry_queue
        while final_queue and final_queue[0][0] < final:
            last, call = final_queue.popleft()
            if call.dropped or call.last_ms != last:
                continue  # dropped already, or it has newer events (queued again)
            for v in call.visits:  # open_since, inlined: this runs for every call
                if v.outcome is None or (v.outcome == "answered" and v.handled_ms is None):
                    # still open: its next event queues it again, or it expires
                    expiry.append((v.queued_ms if v.outcome is None else v.answered_ms,  # type: ignore[arg-type]
                                   call.call_id))
                    break
            else:
                self._drop(call)

    def _drop(self, call: Call) -> None:
        """Add a final call to the totals, forget it, and settle its classifications: its
        held outcomes are orphaned, its expired visits counted."""
        self._totals.add_call(call)
        call.dropped = True
        call_id = call.call_id
        del self._calls[call_id]
        self._live.pop(call_id, None)
        self._open.pop(call_id, None)
        outcomes = self.outcomes
        held = call.classifications.count("held")
        if held:
            outcomes["held"] -= held
            outcomes["orphaned"] += held
        for v in call.visits:
            if v.outcome == "expired":
                outcomes["expired"] += 1

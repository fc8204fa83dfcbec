"""Save and restore: the engine's whole state as versioned JSON (``STATE_VERSION``), tied to
the settings by a fingerprint. Calls are saved as their raw events and replayed on restore;
cells as their minute buckets' raw records and per-day totals (:class:`Checkpoint`)."""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from typing import Self

import orjson

from schemas import InvalidEvent, parse_event

from ..config import EngineSettings
from .agents import Agents
from .aggregates import Agg
from .calls import TYPE_RANK, Call, CallMachine, open_since
from .cells import new_bucket
from .clock import NEVER, to_ms
from .totals import Totals, valid_rows

__all__ = ["STATE_FORMAT", "STATE_VERSION", "Checkpoint", "StateError", "fingerprint"]

STATE_FORMAT = "cc-wallboard-engine-state"
STATE_VERSION = 1


class StateError(ValueError):
    """Saved state cannot be restored (wrong format, version or settings)."""


def fingerprint(settings: EngineSettings) -> str:
    """What a saved state must have been saved with: the settings, hashed."""
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:16]


def _checked(data: bytes, settings: EngineSettings) -> dict:
    """The saved state, once its format, version and settings are the right ones."""
    try:
        state = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise StateError(f"state is not valid JSON: {exc}") from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise StateError("not a cc-wallboard engine state")
    if state.get("version") != STATE_VERSION:
        raise StateError(f"state version {state.get('version')!r} is not supported "
                         f"(this build reads version {STATE_VERSION})")
    if state.get("settings") != fingerprint(settings):
        raise StateError("state was saved with different engine settings; counters would "
                         "not mean the same thing (start from the topics instead)")
    return state


class Checkpoint(CallMachine):
    """``to_bytes`` / ``from_bytes``, bound into the engine."""

    settings: EngineSettings
    saved_totals: dict[str, list[int]]
    _agents: Agents
    _totals: Totals
    _expiry_queue: deque[tuple[int, str]]
    _newest: int

    def to_bytes(self) -> bytes:
        """The whole state, versioned (JSON); size is O(open calls + retained buckets)."""
        segments, dedup = self._segments, self._dedup
        cells = [{
            "segments": list(cell.segments),
            "minutes": [[m, b.records] for m, b in sorted(cell.minutes.items())],
            "days": [[d, agg.to_list()] for d, agg in sorted(cell.day_totals.items())],
        } for cell in segments.cells.values()]
        state = {
            "format": STATE_FORMAT, "version": STATE_VERSION,
            "settings": fingerprint(self.settings), "newest_ms": self._newest,
            "maintained_ms": self._maintained, "floor_minute": self._floor_minute,
            "seen_cutoff": dedup.forgotten_before,
            "seen": [sorted(dedup.previous), sorted(dedup.current)],
            "generation_start": dedup.generation_start,
            "calls": {cid: [ev.raw for _, ev in call.events] for cid, call in self._calls.items()},
            "cells": cells,
            "agents": {aid: [[ms, eid, st, list(qs)] for ms, eid, st, qs in h]
                       for aid, h in self._agents.histories.items()},
            "queues": sorted(segments.queues),
            "other_used": segments.other_used,
            "folded": dict(segments.folded),
            "outcomes": dict(self.outcomes),
            "totals": (totals := self._totals.rows()),
        }
        self.saved_totals = totals
        return orjson.dumps(state)

    @classmethod
    def from_bytes(cls, data: bytes, settings: EngineSettings | None = None) -> Self:
        """Restore a state saved by :meth:`to_bytes` with the same engine settings."""
        engine = cls(settings)
        state = _checked(data, engine.settings)
        engine._newest = state["newest_ms"]
        engine._maintained = state["maintained_ms"]
        engine._floor_minute = state["floor_minute"]
        dedup = engine._dedup
        dedup.forgotten_before = state.get("seen_cutoff", NEVER)
        dedup.previous, dedup.current = set(state["seen"][0]), set(state["seen"][1])
        dedup.generation_start = state["generation_start"]
        segments = engine._segments
        segments.queues = set(state["queues"])
        segments.other_used = bool(state.get("other_used", False))
        segments.folded = Counter(state.get("folded", {}))
        engine._restore_cells(state["cells"])
        for aid, history in state["agents"].items():
            engine._agents.restore(aid, [(ms, eid, st, tuple(qs))
                                         for ms, eid, st, qs in history])
        engine._restore_calls(state["calls"])
        engine.outcomes = Counter(state["outcomes"])
        totals = state.get("totals", {})  # absent in states saved before the totals
        if not valid_rows(totals):
            raise StateError("state's totals are not lists of non-negative integers per "
                             "segment")
        engine._totals.restore(totals)
        engine.saved_totals = engine._totals.rows()
        return engine

    def _restore_cells(self, saved: list[dict]) -> None:
        for item in saved:
            segments = tuple(item["segments"])
            policy = self.settings.policy_for(segments[0])
            cell = self._segments.cell(segments, policy)
            for m, records in item["minutes"]:
                bucket = new_bucket(cell, m)
                bucket.records = [tuple(r) for r in records]  # type: ignore[misc]
            for d, agg in item["days"]:
                cell.day_totals[d] = Agg.from_list(agg)

    def _restore_calls(self, saved: dict[str, list]) -> None:
        """Rebuild every call from its raw events: visits and records (the records are in
        the saved cells already), queued for its finalize and expiry checks."""
        finals: list[tuple[int, Call]] = []
        expiries: list[tuple[int, str]] = []
        for cid, raws in saved.items():
            call = self._calls[cid] = Call(cid)
            for raw in raws:
                try:
                    ev = parse_event(raw)
                except InvalidEvent as exc:
                    raise StateError(f"state holds an invalid event of call {cid}: "
                                     f"{exc}") from None
                ms = to_ms(ev.ts)
                call.events.append(((ms, TYPE_RANK[ev.type], ev.event_id), ev))
            call.last_ms = call.events[-1][0][0]
            self._replay(call, emit=False)  # rebuilds visits and contributions, no records
            self._expire_visits(call, self._maintained - self._lateness_ms, emit=False)
            finals.append((call.last_ms, call))
            for v in call.visits:
                since = open_since(v)
                if since is not None:
                    expiries.append((since, cid))
        self._final_queue.extend(sorted(finals, key=lambda f: (f[0], f[1].call_id)))
        self._expiry_queue.extend(sorted(expiries))

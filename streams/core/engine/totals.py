"""Monotonic totals per segment (what /metrics exports as counters): the records of the calls
the engine dropped as final, which no later event can retract. A row is packed like
:class:`~.aggregates.Agg`: one int, a 64-bit lane per slot, so adding a call is one addition
per segment."""

from __future__ import annotations

import bisect
import functools

from schemas import DEQUEUE_REASONS

from ..config import EngineSettings
from .aggregates import (
    ANSWERED,
    ANSWERED_IN_SL,
    DEQUEUED,
    HANDLE_SHIFT,
    HANDLED,
    KIND_SUMS,
    SLOTS,
    SUM_LANE_BITS,
    SUM_LANE_MASK,
    WAIT_SHIFT,
)
from .calls import Call
from .cells import Cell
from .clock import to_ms

__all__ = ["TOTALS_BUCKETS", "WAIT_BUCKETS_S", "Totals", "valid_rows", "wait_bucket_edges_ms"]

# A row: the nine counters and the two sums of the aggregate slots, the dequeued visits by
# ``reason`` (DEQUEUE_REASONS), then the answered waits per cumulative bucket ``wait <= edge``
# of :func:`wait_bucket_edges_ms` (the segment's SL threshold is always an edge).
WAIT_BUCKETS_S = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200)
TOTALS_BUCKETS = SLOTS + len(DEQUEUE_REASONS)  # index of the first wait bucket in a row
# the lane of the last reason ("other"), for a dequeue record with no dequeue event at its ms
_LAST_REASON_UNIT = 1 << (SUM_LANE_BITS * (TOTALS_BUCKETS - 1))


@functools.lru_cache(maxsize=1024)
def _bucket_mask(n_edges: int, first: int) -> int:
    """One in the lane of every wait bucket from ``first`` on (buckets are cumulative)."""
    return sum(1 << (SUM_LANE_BITS * (TOTALS_BUCKETS + i)) for i in range(first, n_edges))


@functools.lru_cache(maxsize=256)
def wait_bucket_edges_ms(t_ms: int) -> tuple[int, ...]:
    """The wait histogram's bucket edges (ms) of a segment whose SL threshold is ``t_ms``."""
    return tuple(sorted({s * 1000 for s in WAIT_BUCKETS_S} | {t_ms}))


def _reason_lanes(call: Call) -> dict[int, int]:
    """Dequeue time (ms) -> the lane of its reason."""
    return {to_ms(ev.ts): 1 << (SUM_LANE_BITS * (SLOTS + DEQUEUE_REASONS.index(
        ev.reason if ev.reason in DEQUEUE_REASONS else "other")))
        for _, ev in call.events if ev.type == "call.dequeued"}


def valid_rows(rows: object) -> bool:
    """Whether saved totals are lists of non-negative integers (64-bit) per segment."""
    return isinstance(rows, dict) and all(
        isinstance(v, list) and all(isinstance(x, int) and 0 <= x <= SUM_LANE_MASK for x in v)
        for v in rows.values())


class Totals:
    """The packed rows per segment."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.packed: dict[str, int] = {}

    def add_call(self, call: Call) -> None:
        """Add a call's records when the engine drops it: its events are final (older than
        the watermark by max_future_s) and every visit is closed, so no later event can
        retract them. A late event of a dropped call starts a new call (held, then
        orphaned), so a total never goes backwards."""
        deltas: dict[Cell, int] = {}
        reasons: dict[int, int] | None = None
        kind_sums = KIND_SUMS
        for cell, ms, kind, value in call.records:
            d = kind_sums[kind]
            if kind == ANSWERED or kind == ANSWERED_IN_SL:  # noqa: SIM109 - hot path
                edges = wait_bucket_edges_ms(cell.sl_ms)
                d += (value << WAIT_SHIFT) + _bucket_mask(len(edges),
                                                          bisect.bisect_left(edges, value))
            elif kind == HANDLED:
                d += value << HANDLE_SHIFT
            elif kind == DEQUEUED:
                if reasons is None:  # dequeue time -> its reason's lane
                    reasons = _reason_lanes(call)
                d += reasons.get(ms, _LAST_REASON_UNIT)
            deltas[cell] = deltas.get(cell, 0) + d
        packed = self.packed
        for cell, d in deltas.items():
            for name in cell.segments:
                packed[name] = packed.get(name, 0) + d

    def rows(self) -> dict[str, list[int]]:
        """Every segment's row, unpacked (a copy)."""
        return {name: self._unpack(name, v) for name, v in self.packed.items()}

    def _unpack(self, name: str, packed: int) -> list[int]:
        n = TOTALS_BUCKETS + len(wait_bucket_edges_ms(
            round(self.settings.policy_for(name).sl_threshold_s * 1000)))
        return [(packed >> (SUM_LANE_BITS * i)) & SUM_LANE_MASK for i in range(n)]

    def restore(self, rows: dict[str, list[int]]) -> None:
        """Put back rows saved by :meth:`rows` (checked with :func:`valid_rows`)."""
        self.packed = {name: sum(x << (SUM_LANE_BITS * i) for i, x in enumerate(row))
                       for name, row in rows.items()}

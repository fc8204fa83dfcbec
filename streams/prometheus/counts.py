"""The sources of the counters that must never go backwards, kept between renders.

:class:`CheckpointedTotals` holds the engines' totals as of each partition's last
acknowledged checkpoint (the per-segment counters); :class:`ProcessCounts` the records this
process consumed, by topic and outcome (``callcenter_events_consumed_total``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

__all__ = ["CheckpointedTotals", "ProcessCounts"]


class CheckpointedTotals:
    """The engines' totals as of each partition's last acknowledged checkpoint.

    ``Engine.to_bytes`` keeps a copy of its totals (``saved_totals``); when a partition's
    ``checkpoint_at`` changes (the checkpoint was written) that copy is adopted. A restarted
    worker or a partition's new owner restores exactly those totals, so the exported counters
    never go backwards. Call :meth:`update` while the engines are still (under the lock).
    One narrow case remains: a snapshot that first notices a written checkpoint only after
    the next one was already serialized (snapshots run about 20 times per checkpoint
    interval) adopts the newer totals before they are written.
    """

    def __init__(self) -> None:
        self._held: dict[Any, tuple[float | None, dict[str, list[int]]]] = {}

    def update(self, states: Mapping[Any, Any]) -> dict[Any, dict[str, list[int]]]:
        out = {}
        for tp, state in states.items():
            held = self._held.get(tp)
            if held is None or held[0] != state.checkpoint_at:
                held = self._held[tp] = (state.checkpoint_at,
                                         state.processor.engine.saved_totals)
            out[tp] = held[1]
        for tp in [tp for tp in self._held if tp not in states]:
            del self._held[tp]
        return out


class ProcessCounts:
    """Records consumed by this process, by ``(topic, outcome)``: a conventional counter that
    starts at 0 with the process and never goes down (Prometheus reads a restart as a reset).

    A partition's processor counts are restored from its checkpoint; this subtracts those
    restored counts (``PartitionState.restored_counts``, empty for a partition started
    without a checkpoint), so every record applied since the assignment counts, also those
    applied before the first render saw the partition. A partition that left keeps what it
    counted up to its revocation (its state is held until then). Only a partition assigned
    and revoked between two renders is never seen. Call :meth:`update` under the lock.
    """

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}     # tp -> its PartitionState, as of the last update
        self._retired: Counter = Counter()

    @staticmethod
    def _since_assignment(state: Any) -> Counter:
        base = state.restored_counts
        return Counter({key: n - base.get(key, 0) for key, n in state.processor.counts.items()})

    def update(self, states: Mapping[Any, Any]) -> dict[tuple[str, str], int]:
        for tp in [tp for tp, state in self._seen.items()
                   if states.get(tp) is not state]:  # revoked (or assigned anew since)
            self._retired.update(self._since_assignment(self._seen.pop(tp)))
        out = Counter(self._retired)
        for tp, state in states.items():
            self._seen[tp] = state
            out.update(self._since_assignment(state))
        return dict(out)

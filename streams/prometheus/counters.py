"""The counter families per segment: the engines' totals as of each partition's last
checkpoint (offered, answered, abandoned, ..., dequeued by reason, handle time) and the
histogram of the answered waits, whose buckets include the segment's SL threshold.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from ..core.engine import DEQUEUE_REASONS, TOTALS_BUCKETS, wait_bucket_edges_ms
from .pipeline import PREFIX, Pipeline, segment_type

__all__ = ["counter_families"]

# Engine.totals slot -> (counter name without _total, help)
_TOTALS = (
    (0, "calls_offered", "Queue visits offered (queued)"),
    (1, "calls_answered", "Queue visits answered"),
    (2, "calls_answered_in_sl", "Queue visits answered within the SL threshold"),
    (3, "calls_abandoned", "Queue visits abandoned (short abandons included)"),
    (4, "calls_short_abandoned", "Queue visits abandoned before short_abandon_s"),
    (6, "calls_handled", "Queue visits whose handling completed"),
    (7, "service_level_met", "Service-level events met"),
    (8, "service_level_missed", "Service-level events missed"),
)
_C_WAIT_MS, _C_HANDLE_MS, _N_SLOTS = 9, 10, 11
_FINAL = ("; final records only (calls the engine closed), as of the partition's last "
          "checkpoint; sum by (segment) over every worker is the global figure")


def counter_families(snapshot: Mapping[str, Any], pipe: Pipeline) -> Iterator[Metric]:
    """The monotonic counters of every segment in every owned call-topic partition, from the
    totals of the partition's last checkpoint."""
    p = PREFIX
    labels = ["segment", "segment_type", "partition"]
    families = [(slot, CounterMetricFamily(f"{p}_{name}", h + _FINAL, labels=labels))
                for slot, name, h in _TOTALS]
    dequeued = CounterMetricFamily(f"{p}_calls_dequeued", "Queue visits that left "
                                   "unanswered and not abandoned, by the event's reason"
                                   + _FINAL, labels=[*labels, "reason"])
    handle = CounterMetricFamily(f"{p}_calls_handle_seconds", "Sum of the handle times of "
                                 "handled visits" + _FINAL, labels=labels)
    waits = HistogramMetricFamily(f"{p}_calls_answered_wait_seconds", "Waits of answered "
                                  "visits; the segment's SL threshold is a bucket edge"
                                  + _FINAL, labels=labels)
    # Every segment of the snapshot in every owned partition, from 0: a counter's first
    # increment is then visible to increase() (a series born at 5 would hide those 5).
    names = set(snapshot.get("segments", {})) - {"all"}  # "all": left to PromQL
    for partition, segments in sorted(pipe.totals.items()):
        for seg in sorted(names | set(segments) - {"all"}):
            edges = wait_bucket_edges_ms(pipe.sl_threshold_ms.get(seg, 20_000))
            row = segments.get(seg) or [0] * (TOTALS_BUCKETS + len(edges))
            lv = [seg, segment_type(seg, pipe.configured), str(partition)]
            for slot, family in families:
                family.add_metric(lv, row[slot])
            for i, reason in enumerate(DEQUEUE_REASONS):
                dequeued.add_metric([*lv, reason], row[_N_SLOTS + i])
            handle.add_metric(lv, row[_C_HANDLE_MS] / 1000)
            buckets = [(_le(edge), row[TOTALS_BUCKETS + i]) for i, edge in enumerate(edges)
                       if TOTALS_BUCKETS + i < len(row)]
            buckets.append(("+Inf", row[1]))
            waits.add_metric(lv, buckets, row[_C_WAIT_MS] / 1000)
    yield from (f for _, f in families)
    yield dequeued
    yield handle
    yield waits


def _le(edge_ms: int) -> str:
    s = edge_ms / 1000
    return f"{s:g}" if s != int(s) else f"{int(s)}.0"

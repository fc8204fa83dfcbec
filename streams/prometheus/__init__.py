"""Prometheus exposition of the snapshot: a custom Collector that reads, never computes.

Every value comes from the engine's snapshot (metrics.md), the engines' checkpointed totals
and the worker's own counters, so ``/metrics`` and ``/api/v1/snapshot`` cannot disagree. The
worker renders it once per snapshot; a scrape is served from those bytes. Every metric, its
type, labels and help: docs/metrics.md.

The rooms: ``pipeline`` (:class:`Pipeline`, what the worker knows about itself at one
render, and the names every family shares), ``counts`` (the counters' sources kept between
renders: the checkpointed totals and this process's consumed records), ``gauges`` (the
snapshot's segment figures), ``counters`` (the per-segment counters and wait histogram),
``health`` (the pipeline's health: records, dead letters, freshness, timings),
``collector`` (:class:`WallboardCollector`, all of them from one snapshot) and ``renderer``
(:class:`MetricsRenderer`, the ``/metrics`` bytes).
"""

from .collector import WallboardCollector
from .counts import CheckpointedTotals, ProcessCounts
from .pipeline import PREFIX, Pipeline, build_info
from .renderer import MetricsRenderer

__all__ = ["PREFIX", "CheckpointedTotals", "MetricsRenderer", "Pipeline", "ProcessCounts",
           "WallboardCollector", "build_info"]

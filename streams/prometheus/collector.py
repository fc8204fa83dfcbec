"""The custom Collector: every family of ``/metrics`` from one published snapshot and its
:class:`~streams.prometheus.pipeline.Pipeline`, in three parts (the snapshot's gauges, the
per-segment counters, the pipeline's health) that can be rendered apart."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client.registry import Collector

from .counters import counter_families
from .gauges import gauge_families
from .health import health_families
from .pipeline import Pipeline

__all__ = ["WallboardCollector"]


class WallboardCollector(Collector):
    """Yields every family from one published snapshot and its :class:`Pipeline`."""

    def __init__(self, snapshot: Mapping[str, Any], pipeline: Pipeline, *,
                 parts: tuple[str, ...] = ("gauges", "counters", "pipeline")) -> None:
        self._snap = snapshot
        self._pipe = pipeline
        self._parts = parts

    def collect(self) -> Iterator:
        if "gauges" in self._parts:
            yield from gauge_families(self._snap, self._pipe)
        if "counters" in self._parts:
            yield from counter_families(self._snap, self._pipe)
        if "pipeline" in self._parts:
            yield from health_families(self._snap, self._pipe)

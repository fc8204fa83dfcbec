"""``/metrics`` rendered once per snapshot: :class:`MetricsRenderer` adds the process and
Python collectors and reuses the text of the per-segment counters until a checkpoint changes
them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import choose_encoder

from .collector import WallboardCollector
from .pipeline import Pipeline

__all__ = ["MetricsRenderer"]


class MetricsRenderer:
    """Renders ``/metrics`` for one published snapshot, with the process and Python
    collectors. The per-segment counters change only when a checkpoint is adopted (every
    ``worker.checkpoint_interval_s``) but are most of the text (segments x partitions x 33
    series), so their text-format block is kept and reused while the adopted totals, the
    segments and their thresholds stay the same. OpenMetrics (asked for explicitly) is
    rendered whole."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._held: tuple = ()  # the totals objects of the key (kept alive: ids stay unique)
        self._text = b""

    def encode(self, snapshot: Mapping[str, Any], pipeline: Pipeline, accept: str) -> bytes:
        encoder, _ = choose_encoder(accept)
        registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        if encoder is not generate_latest:
            registry.register(WallboardCollector(snapshot, pipeline))
            return encoder(registry)
        registry.register(WallboardCollector(snapshot, pipeline, parts=("gauges", "pipeline")))
        return encoder(registry) + self._counters(snapshot, pipeline)

    def _counters(self, snapshot: Mapping[str, Any], pipeline: Pipeline) -> bytes:
        held = tuple(pipeline.totals.values())
        key = (tuple(pipeline.totals), tuple(id(t) for t in held),
               tuple(sorted(snapshot.get("segments", {}))), pipeline.configured,
               tuple(sorted(pipeline.sl_threshold_ms.items())))
        if key != self._key:
            registry = CollectorRegistry(auto_describe=False)
            registry.register(WallboardCollector(snapshot, pipeline, parts=("counters",)))
            self._key, self._held, self._text = key, held, generate_latest(registry)
        return self._text

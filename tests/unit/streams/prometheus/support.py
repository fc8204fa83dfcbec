"""Helpers of the /metrics tests: an engine fed an hour of simulated traffic, a registry of
the collector and the partition states the counters read."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import orjson
from prometheus_client import CollectorRegistry

from schemas import parse_event
from streams.adapters.simulator import Simulator, default_models
from streams.core.config import EngineSettings
from streams.core.engine import Engine
from streams.prometheus import Pipeline, WallboardCollector

START = 1_795_300_000.0
COUNTERS = {"offered": 0, "answered": 1, "answered_in_sl": 2, "abandoned": 3,
            "short_abandoned": 4, "handled": 6}


def fed_engine() -> Engine:
    engine = Engine(EngineSettings())
    for raw in Simulator(default_models(2.0), start=START, seed=3).advance(START + 3600):
        engine.apply(parse_event(orjson.dumps(raw)))
    return engine


def registry(snap: dict, pipe: Pipeline) -> CollectorRegistry:
    reg = CollectorRegistry()
    reg.register(WallboardCollector(snap, pipe))
    return reg


class _State:
    """The parts of streams.core.partitions.PartitionState the exporters read."""

    def __init__(self, engine: Engine | None, at: float | None = None,
                 restored_from: int | None = None, counts: dict | None = None) -> None:
        self.checkpoint_at = at
        self.restored_from = restored_from
        self.processor = SimpleNamespace(engine=engine, counts=Counter(counts or {}))
        # as Partitions.assign: the counts restored from the checkpoint, empty without one
        self.restored_counts = dict(counts or {}) if restored_from is not None else {}


def _sample_with_everything() -> tuple[dict, Pipeline]:
    engine = fed_engine()
    engine.to_bytes()
    snap = engine.snapshot(engine.newest_ms / 1000)
    return snap, Pipeline(now=0.0, totals={0: engine.saved_totals})

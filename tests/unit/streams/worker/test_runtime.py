"""streams.worker.runtime without a broker: snapshots computed once per interval, off the
event loop, and served from cache, with any number of queues. The tests assert what happens
(requests answered while a snapshot is being made), never how fast: bench/hostile.py
measures /api/v1/health's latency during a publish.

The HTTP server is the real one (aiohttp on a free loopback port); the engine is the real one.
Only Kafka is absent: records are handed to ``Runtime.handle`` as the Kafka input would.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import orjson

from streams.core.config import EngineSettings
from streams.worker import Runtime
from tests.support import run_async
from tests.unit.streams.worker.support import http_get, make, queued


def test_snapshots_are_computed_once_per_interval_and_served_from_cache():
    async def scenario() -> None:
        rt = make(snapshot_interval_s=60)
        calls = []
        real = rt.partitions.merged
        rt.partitions.merged = lambda local, t: calls.append(1) or real(local, t)  # type: ignore[method-assign]
        await rt.start()
        try:
            for i in range(5):
                assert await rt.handle("cc.call-events", 0, i, f"c{i}".encode(),
                                       queued(i, "billing")) is None
            for _ in range(20):
                status, body = await http_get(rt.http.port, "/api/v1/snapshot")
                assert status == 200
            assert len(calls) == 1  # the first publish only: requests never compute
            snap = orjson.loads(body)
            assert snap["feed"]["records"] == 0  # published before the records arrived
            await rt.publish_once()
            snap = orjson.loads((await http_get(rt.http.port, "/api/v1/snapshot"))[1])
            assert snap["segments"]["billing"]["now"]["waiting"] == 5
            assert snap["feed"]["records"] == 5 and snap["feed"]["last_record_age_s"] == 0.0
            status, metrics = await http_get(rt.http.port, "/metrics")
            assert status == 200
            assert (b'callcenter_queue_waiting_calls{segment="billing",segment_type="queue"} '
                    b'5.0') in metrics
            assert b"\ncallcenter_center_queue_waiting_calls 5.0\n" in metrics
            status, om = await http_get(rt.http.port, "/metrics",
                                        "application/openmetrics-text; version=1.0.0")
            assert status == 200 and om.endswith(b"# EOF\n")
            assert len(calls) == 2
            assert (await http_get(rt.http.port, "/nope"))[0] == 404
        finally:
            await rt.stop()

    run_async(scenario())


class HeldMerge:
    """``Partitions.merged`` held in the snapshot thread until the test releases it: busy
    (CPU-bound, holding the GIL in turns) after the real merge, so that requests answered
    meanwhile show the event loop free while a snapshot is made. It gives up by itself after
    ``HOLD_LIMIT_S``, and says so: a merge on the event loop would block the test's requests
    until then, and ``released`` would stay False."""

    HOLD_LIMIT_S = 20.0

    def __init__(self, real: Callable[[dict, int], dict]) -> None:
        self.real = real
        self.entered = threading.Event()
        self.release = threading.Event()
        self.released: bool | None = None

    def __call__(self, local: dict, t: int) -> dict:
        snap = self.real(local, t)
        self.entered.set()
        give_up = time.monotonic() + self.HOLD_LIMIT_S
        while not self.release.is_set() and time.monotonic() < give_up:
            sum(range(1000))
        self.released = self.release.is_set()
        return snap


async def health_while_held(rt: Runtime, held: HeldMerge, requests: int) -> list[dict]:
    """Publish with ``held`` in place, answer ``requests`` health requests while it holds,
    then release it: the health bodies, each taken while the publish was not done."""
    publish = asyncio.create_task(rt.publish_once())
    await asyncio.to_thread(held.entered.wait, held.HOLD_LIMIT_S)
    bodies = []
    try:
        for _ in range(requests):
            status, body = await http_get(rt.http.port, "/api/v1/health")
            assert status == 200
            assert not publish.done(), "the merge ended unreleased: it ran on the event loop"
            bodies.append(orjson.loads(body))
    finally:
        held.release.set()
    await publish
    assert held.released is True, "the merge ran on the event loop: nothing was answered"
    return bodies


def test_health_answers_while_a_slow_snapshot_renders():
    """A snapshot that takes long blocks neither the event loop nor other requests: health
    is answered, five times, while the merge is still busy in the snapshot thread."""
    async def scenario() -> list[dict]:
        rt = make()
        await rt.start()
        held = HeldMerge(rt.partitions.merged)
        rt.partitions.merged = held  # type: ignore[method-assign]
        try:
            return await health_while_held(rt, held, 5)
        finally:
            await rt.stop()

    bodies = run_async(scenario())
    assert len(bodies) == 5
    assert all(b["status"] in ("ok", "degraded") for b in bodies)


def test_twenty_thousand_queues_stay_within_the_limits_and_health_stays_responsive():
    async def scenario() -> tuple[dict, bytes, list[dict], dict]:
        rt = make()
        await rt.start()
        try:
            for i in range(20_000):
                await rt.handle("cc.call-events", i % 6, i, f"c{i}".encode(),
                                queued(i, f"queue-{i}"))
            held = HeldMerge(rt.partitions.merged)
            rt.partitions.merged = held  # type: ignore[method-assign]
            during = await health_while_held(rt, held, 3)
            snap = orjson.loads((await http_get(rt.http.port, "/api/v1/snapshot"))[1])
            metrics = (await http_get(rt.http.port, "/metrics"))[1]
            health = orjson.loads((await http_get(rt.http.port, "/api/v1/health"))[1])
            return snap, metrics, during, health
        finally:
            await rt.stop()

    snap, metrics, during, health = run_async(scenario())
    limit = EngineSettings().max_segments
    assert len(snap["segments"]) == limit
    assert snap["segments"]["all"]["windows"]["5m"]["offered"] == 20_000
    assert len(orjson.dumps(snap)) < limit * 4000  # about 2.5 KB a segment
    series = metrics.count(b'callcenter_queue_waiting_calls{segment="')
    assert series == limit - 1  # every segment but "all": callcenter_center_* holds it
    assert b"\ncallcenter_center_queue_waiting_calls " in metrics
    # each of the six partitions' engines keeps limit - 2 queues (all and other are the two
    # more) and folds the rest; the merge then folds the queues past the limit overall
    folded = 20_000 - 6 * (limit - 2)
    assert b'callcenter_folded_total{kind="queue_events"} ' + str(folded).encode() in metrics
    assert health["folded"] == {"queue_events": folded}
    assert snap["segments"]["other"]["windows"]["5m"]["offered"] == 20_000 - (limit - 2)
    assert len(during) == 3  # answered while the merge of 20,000 queues was in progress

"""streams.worker.runtime without a broker: snapshots computed once per interval, off the
event loop, and served from cache, with any number of queues.

The HTTP server is the real one (aiohttp on a free loopback port); the engine is the real one.
Only Kafka is absent: records are handed to ``Runtime.handle`` as the Kafka input would.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import orjson

from streams.core.config import EngineSettings
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
                assert await rt.handle("cc.call-events", 0, i, b"k", queued(i, "billing")) is None
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


def test_health_answers_quickly_while_a_slow_snapshot_renders():
    """A snapshot that takes a second blocks neither the event loop nor other requests."""
    async def scenario() -> list[float]:
        rt = make()
        real = rt.partitions.merged

        def slow(local: dict, t: int) -> dict:
            deadline = time.perf_counter() + 1.0
            while time.perf_counter() < deadline:  # CPU-bound, holding the GIL in turns
                sum(range(1000))
            return real(local, t)

        await rt.start()
        rt.partitions.merged = slow  # type: ignore[method-assign]
        try:
            publish = asyncio.create_task(rt.publish_once())
            await asyncio.sleep(0.05)
            latencies = []
            while not publish.done():
                started = time.perf_counter()
                status, body = await http_get(rt.http.port, "/api/v1/health")
                latencies.append(time.perf_counter() - started)
                assert status == 200 and orjson.loads(body)["status"] in ("ok", "degraded")
                await asyncio.sleep(0.05)
            await publish
            return latencies
        finally:
            await rt.stop()

    latencies = run_async(scenario())
    assert len(latencies) >= 5
    assert max(latencies) < 0.2, latencies


def test_twenty_thousand_queues_stay_within_the_limits_and_health_stays_responsive():
    async def scenario() -> tuple[dict, bytes, list[float], dict]:
        rt = make()
        await rt.start()
        try:
            for i in range(20_000):
                await rt.handle("cc.call-events", i % 6, i, None, queued(i, f"queue-{i}"))
            health_times: list[float] = []
            publish = asyncio.create_task(rt.publish_once())
            while not publish.done():
                started = time.perf_counter()
                assert (await http_get(rt.http.port, "/api/v1/health"))[0] == 200
                health_times.append(time.perf_counter() - started)
                await asyncio.sleep(0.01)
            await publish
            snap = orjson.loads((await http_get(rt.http.port, "/api/v1/snapshot"))[1])
            metrics = (await http_get(rt.http.port, "/metrics"))[1]
            health = orjson.loads((await http_get(rt.http.port, "/api/v1/health"))[1])
            return snap, metrics, health_times, health
        finally:
            await rt.stop()

    snap, metrics, health_times, health = run_async(scenario())
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
    assert health_times and statistics.median(health_times) < 0.2, health_times

"""The worker's runtime without a broker: cached snapshots, bounded requests, feed health.

The HTTP server is the real one (aiohttp on a free loopback port); the engine is the real one.
Only Kafka is absent: records are handed to ``Runtime.handle`` as the Faust agent would.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import threading
import time
from dataclasses import replace

import orjson
import pytest

from infra.broker import free_port
from streams.config import KafkaSettings, WorkerSettings
from streams.core.config import EngineSettings
from streams.core.timefmt import rfc3339
from streams.worker import Runtime
from tests.support import run_async
from wallboard.settings import Settings

NOW = 1_795_300_000.0


def make(port: int | None = None, **worker) -> Runtime:
    settings = replace(Settings(), kafka=KafkaSettings(bootstrap=f"127.0.0.1:{free_port()}"),
                       worker=WorkerSettings(port=port or free_port(), **worker))
    return Runtime(settings, lambda: NOW)


def queued(i: int, queue: str) -> bytes:
    return orjson.dumps({"v": 1, "event_id": f"e{i}", "type": "call.queued",
                         "ts": rfc3339(NOW - 60 + i / 1000), "call_id": f"c{i}",
                         "queue": queue})


async def http_get(port: int, path: str, accept: str = "") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = f"Accept: {accept}\r\n" if accept else ""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


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


def test_a_client_that_sends_nothing_or_half_a_header_is_disconnected():
    async def scenario() -> None:
        rt = make(http_timeout_s=1.0)
        await rt.start()
        try:
            idle_r, idle_w = await asyncio.open_connection("127.0.0.1", rt.http.port)
            half_r, half_w = await asyncio.open_connection("127.0.0.1", rt.http.port)
            half_w.write(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            await half_w.drain()
            started = time.monotonic()
            # meanwhile a normal client is served
            assert (await http_get(rt.http.port, "/api/v1/health"))[0] == 200
            assert await asyncio.wait_for(idle_r.read(), 5) == b""  # closed by the server
            assert await asyncio.wait_for(half_r.read(), 5) == b""
            waited = time.monotonic() - started
            assert 0.5 < waited < 4.0, waited  # one to two periods of http_timeout_s
            for w in (idle_w, half_w):
                w.close()
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


def test_health_reports_an_unreachable_broker_and_the_feed_goes_stale():
    async def scenario() -> tuple[dict, dict, bool]:
        rt = make()  # kafka.bootstrap points at a free port: nothing listens there
        await rt.start()
        try:
            await rt.handle("cc.call-events", 0, 0, None, queued(1, "billing"))
            reachable = await rt.probe_broker()
            await rt.publish_once()
            health = orjson.loads((await http_get(rt.http.port, "/api/v1/health"))[1])
            snap = orjson.loads((await http_get(rt.http.port, "/api/v1/snapshot"))[1])
            return health, snap, reachable
        finally:
            await rt.stop()

    health, snap, reachable = run_async(scenario())
    assert reachable is False
    assert health["status"] == "degraded"
    assert health["broker"]["reachable"] is False
    assert "connection refused" in health["broker"]["error"]
    assert health["problems"] == [f"Kafka broker unreachable at {health['broker']['bootstrap']}"]
    assert snap["feed"]["broker_reachable"] is False
    assert snap["feed"]["last_record_at"] == rfc3339(NOW)


def test_a_reachable_broker_is_reported_as_such():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                listener.accept()[0].close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        rt = Runtime(replace(Settings(), kafka=KafkaSettings(
            bootstrap=f"127.0.0.1:{free_port()},127.0.0.1:{port}")), lambda: NOW)
        assert run_async(rt.probe_broker()) is True  # any one bootstrap server will do
        assert rt.feed.broker_reachable is True and rt.feed.broker_error is None
    finally:
        stop.set()
        thread.join()
        listener.close()


@pytest.mark.parametrize("path", ["/api/v1/snapshot", "/metrics"])
def test_requests_before_the_first_snapshot_get_503_not_an_error(path):
    async def scenario() -> int:
        rt = make()
        await rt.http.start()
        try:
            return (await http_get(rt.http.port, path))[0]
        finally:
            await rt.http.stop()

    assert run_async(scenario()) == 503


def test_a_trickling_client_is_disconnected_although_it_keeps_sending():
    """A byte every 0.2 s resets no read timeout here: only a complete header is progress."""
    async def scenario() -> float:
        rt = make(http_timeout_s=1.0)
        await rt.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", rt.http.port)
            started = time.monotonic()
            for byte in b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
                writer.write(bytes([byte]))
                try:
                    await writer.drain()
                    if await asyncio.wait_for(reader.read(1), 0.2) == b"":
                        break
                except TimeoutError:
                    continue
                except ConnectionError:
                    break
            else:
                raise AssertionError("the server never gave up on the trickling header")
            writer.close()
            return time.monotonic() - started
        finally:
            await rt.stop()

    assert run_async(scenario()) < 4.0

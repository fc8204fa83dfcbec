"""streams.worker.feed: the broker probe and what health and the snapshot say about it."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import replace

import orjson

from infra.clients import free_port
from streams.config import KafkaSettings
from streams.core.timefmt import rfc3339
from streams.worker import Runtime
from tests.support import run_async
from tests.unit.streams.worker.support import NOW, http_get, make, queued
from wallboard.settings import Settings


def test_health_reports_an_unreachable_broker_and_the_feed_goes_stale():
    async def scenario() -> tuple[dict, dict, bool]:
        rt = make()  # kafka.bootstrap points at a free port: nothing listens there
        await rt.start()
        try:
            await rt.handle("cc.call-events", 0, 0, b"c1", queued(1, "billing"))
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

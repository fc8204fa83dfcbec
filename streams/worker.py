"""The Faust worker: consumes the contract topics, serves ``/metrics`` and the snapshot API.

Thin shell around :class:`streams.processor.Processor`. Agents keep ``concurrency=1``: with
more, faust-streaming can commit offsets past messages not yet processed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import faust
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from .config import Settings
from .processor import Processor
from .prometheus import WallboardCollector

__all__ = ["create_app"]

log = logging.getLogger("wallboard.worker")


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> faust.App:
    """Build the Faust app for ``settings``; run it with ``faust.Worker(app).execute_...()``."""
    kafka = settings.kafka
    app = faust.App(
        settings.worker.app_id,
        broker=[f"kafka://{s.strip()}" for s in kafka.bootstrap.split(",")],
        store="memory://",
        web_enabled=True,
        web_bind=settings.worker.host,
        web_host=settings.worker.host,
        web_port=settings.worker.port,
        consumer_auto_offset_reset="earliest",
        topic_disable_leader=True,
    )
    processor = Processor(settings.engine, clock, (kafka.call_topic, kafka.agent_topic))
    registry = CollectorRegistry()
    registry.register(WallboardCollector(processor.snapshot, lambda: dict(processor.counts),
                                         lambda: dict(processor.engine.outcomes)))
    dead_letters = app.topic(kafka.dead_letter_topic, key_serializer="raw",
                             value_serializer="raw")

    async def consume(stream: faust.StreamT) -> None:
        async for event in stream.events():
            msg = event.message
            letter = processor.handle(msg.topic, msg.partition, msg.offset, msg.key, msg.value)
            if letter is not None:
                log.warning("dead-lettered %s[%d]@%d: %s", msg.topic, msg.partition,
                            msg.offset, letter.reason)
                await dead_letters.send(key=letter.key, value=letter.value,
                                        headers=list(letter.headers))

    for name, topic in (("call_events", kafka.call_topic), ("agent_events", kafka.agent_topic)):
        channel = app.topic(topic, key_serializer="raw", value_serializer="raw")
        app.agent(channel, name=f"wallboard.{name}", concurrency=1)(consume)

    @app.page("/api/v1/snapshot")
    async def snapshot_view(web, request):  # noqa: ANN001, ANN202 - faust view signature
        return web.json(processor.snapshot())

    @app.page("/metrics")
    async def metrics_view(web, request):  # noqa: ANN001, ANN202
        # Content negotiation as prometheus_client's own handlers do (text 0.0.4 or OpenMetrics).
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.bytes(encoder(registry), headers={"Content-Type": content_type})

    @app.page("/api/v1/health")
    async def health_view(web, request):  # noqa: ANN001, ANN202
        counts = {f"{t}:{o}": n for (t, o), n in sorted(processor.counts.items())}
        outcomes = {o: n for o, n in sorted(processor.engine.outcomes.items()) if n}
        return web.json({"status": "ok", "events": counts, "engine": outcomes})

    app.wallboard_processor = processor  # for tests and debugging
    return app

"""The worker's HTTP endpoints, answered from memory, and the published snapshot they serve.

:class:`Published` is one snapshot and everything rendered from it (the JSON body, the
``/metrics`` text, OpenMetrics on demand). :class:`Endpoints` answers ``/api/v1/snapshot``
and ``/metrics`` from the runtime's latest :class:`Published` (503 before the first) and
``/api/v1/health`` from the feed's health, the partitions and the snapshot's age; no request
computes a snapshot (the server and its timeouts: :mod:`streams.http`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from aiohttp import web
from prometheus_client.exposition import choose_encoder

from ..config import StreamSettings
from ..core.partitions import Partitions
from ..http import Route
from ..kafka_io import InputConsumer
from ..prometheus import Pipeline
from .feed import FeedHealth

__all__ = ["Endpoints", "Published", "RuntimeView"]

_JSON = "application/json"


@dataclass
class Published:
    """One snapshot and everything rendered from it."""

    version: int
    snapshot: dict
    counts: dict
    outcomes: dict
    folded: dict
    body: bytes
    metrics_text: bytes
    built_at: float
    build_s: float
    rendered: dict[str, bytes] = field(default_factory=dict)  # OpenMetrics, on demand
    pipeline: Pipeline | None = None  # what /metrics renders beside the snapshot


class RuntimeView(Protocol):
    """What the endpoints read of the runtime (:class:`streams.worker.runtime.Runtime`)."""

    settings: StreamSettings
    clock: Callable[[], float]
    partitions: Partitions
    feed_health: FeedHealth
    input: InputConsumer | None
    published: Published | None

    def encode(self, published: Published, accept: str) -> bytes: ...

    async def in_thread(self, fn: Callable[..., Any], *args: Any) -> Any: ...


class Endpoints:
    """The views of :class:`streams.http.HttpServer` (memory only)."""

    def __init__(self, runtime: RuntimeView) -> None:
        self.runtime = runtime

    def routes(self) -> dict[str, Route]:
        return {"/api/v1/snapshot": self.snapshot_view,
                "/metrics": self.metrics_view,
                "/api/v1/health": self.health_view}

    async def snapshot_view(self, request: web.BaseRequest) -> web.Response:
        published = self.runtime.published
        if published is None:
            return web.json_response({"error": "no snapshot yet; starting"}, status=503)
        return web.Response(body=published.body, content_type=_JSON)

    async def metrics_view(self, request: web.BaseRequest) -> web.Response:
        published = self.runtime.published
        if published is None:
            return web.Response(status=503, text="no snapshot yet; starting\n")
        accept = request.headers.get("Accept", "")
        _, content_type = choose_encoder(accept)
        if content_type.startswith("text/plain"):
            body = published.metrics_text
        else:  # OpenMetrics: rendered once per snapshot, in the snapshot thread
            body = published.rendered.get(content_type)
            if body is None:
                body = await self.runtime.in_thread(self.runtime.encode, published, accept)
                published.rendered[content_type] = body
        return web.Response(body=body, headers={"Content-Type": content_type})

    def health(self) -> dict[str, Any]:
        rt = self.runtime
        feed, now = rt.feed_health.feed, rt.clock()
        parts = rt.partitions
        counts = {f"{t}:{o}": n for (t, o), n in sorted(parts.counts.items())}
        outcomes = {o: n for o, n in sorted(parts.outcomes.items()) if n}
        problems = []
        if feed.broker_reachable is False:
            problems.append(f"Kafka broker unreachable at {rt.settings.kafka.bootstrap}")
        published = rt.published
        if published is None:
            problems.append("no snapshot yet")
        elif now - published.built_at > max(10.0, 5 * rt.settings.worker.snapshot_interval_s):
            problems.append(f"snapshot is {now - published.built_at:.0f} s old")
        return {
            "status": "degraded" if problems else "ok",
            "problems": problems,
            "broker": {"bootstrap": rt.settings.kafka.bootstrap,
                       "reachable": feed.broker_reachable, "error": feed.broker_error,
                       "unreachable_for_s": (round(now - feed.unreachable_since, 1)
                                             if feed.broker_reachable is False
                                             and feed.unreachable_since else None)},
            "feed": rt.feed_health.feed_block(),
            "snapshot": None if published is None else {
                "as_of": published.snapshot.get("as_of"),
                "age_s": round(now - published.built_at, 3),
                "build_s": round(published.build_s, 4),
                "segments": len(published.snapshot.get("segments", {}))},
            "events": counts,
            "engine": outcomes,
            "folded": {k: n for k, n in sorted(parts.folded.items()) if n},
            "partitions": {
                "assigned": len(parts.states), "rebalances": parts.rebalances,
                "checkpoints_written": rt.input.checkpoints_written if rt.input else 0,
                "stale": (published.snapshot.get("freshness", {}).get("stale_partitions", [])
                          if published else []),
                "detail": rt.feed_health.freshness_block(parts.freshness(now))["partitions"],
            },
        }

    async def health_view(self, request: web.BaseRequest) -> web.Response:
        return web.Response(body=orjson.dumps(self.health()), content_type=_JSON)

"""The Faust worker: consumes the contract topics, serves ``/metrics`` and the snapshot API.

A thin shell around :class:`streams.processor.Processor`:

* **Consume path.** One agent per input topic (``concurrency=1``: with more, faust-streaming
  can commit offsets past messages not yet processed) hands each record to the processor,
  which never raises: every record is applied or dead-lettered.
* **Snapshots off the consume path.** A publisher computes the snapshot at most once per
  ``worker.snapshot_interval_s`` in a worker thread while it holds the engine lock (the
  consume agents wait; the event loop, and so every HTTP request, goes on), then renders the
  JSON and the Prometheus text once. Every request is answered from those cached bytes, so
  its cost does not depend on the number of segments or on how many clients ask. After a
  long snapshot it waits at least as long again, so consumption always gets half the time.
* **Feed health.** A probe connects to the bootstrap servers every 2 s. ``/api/v1/health``
  says whether the broker is reachable, and the snapshot's ``feed`` block carries the age of
  the last consumed record, so a board can go STALE while the numbers freeze.
* **Bounded shutdown.** After SIGTERM or SIGINT the process exits within
  ``worker.shutdown_timeout_s`` whatever the broker does (offsets not committed by then are
  consumed again on restart; event ids make that idempotent).
* **HTTP** (``streams.http``): header-read and idle timeouts, answers from memory only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faust
import mode
import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from infra.broker import connect_reason

from .config import Settings
from .http import HttpServer
from .logthrottle import ThrottleFilter, install
from .processor import Processor
from .prometheus import WallboardCollector
from .timefmt import rfc3339

__all__ = ["Runtime", "WallboardWorker", "create_app", "run_worker"]

log = logging.getLogger("wallboard.worker")

PROBE_INTERVAL_S = 2.0
LOG_THROTTLE_S = 30.0
_JSON = "application/json"


@dataclass
class Feed:
    """What the worker knows about its input, for health and staleness (loop thread only)."""

    started_at: float
    last_record_at: float | None = None
    broker_reachable: bool | None = None  # None: not probed yet
    broker_checked_at: float | None = None
    broker_error: str | None = None
    unreachable_since: float | None = None


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


class Runtime:
    """The worker's state outside Faust: processor, snapshot cache, feed health, HTTP."""

    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.clock = clock
        kafka = settings.kafka
        self.processor = Processor(settings.engine, clock, (kafka.call_topic, kafka.agent_topic))
        self.feed = Feed(started_at=clock())
        self.published: Published | None = None
        self._lock: asyncio.Lock | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="wallboard-snapshot")
        self._tasks: list[asyncio.Task] = []
        self._folded_logged: set[str] = set()
        w = settings.worker
        self.http = HttpServer({"/api/v1/snapshot": self._snapshot_view,
                                "/metrics": self._metrics_view,
                                "/api/v1/health": self._health_view},
                               w.host, w.port, timeout_s=w.http_timeout_s)

    @property
    def lock(self) -> asyncio.Lock:
        """Held while the engine changes or is read for a snapshot."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    # -- consume path ---------------------------------------------------------------------
    async def handle(self, topic: str, partition: int, offset: int, key: bytes | None,
                     value: bytes | None):  # noqa: ANN201 - DeadLetter | None
        async with self.lock:
            letter = self.processor.handle(topic, partition, offset, key, value)
        self.feed.last_record_at = self.clock()
        if letter is not None:
            log.warning("dead-lettered %s[%d]@%d: %s", topic, partition, offset, letter.reason)
        return letter

    # -- snapshots ------------------------------------------------------------------------
    def _freeze(self) -> tuple[float, dict, dict, dict, dict]:
        """Runs in the snapshot thread while the lock keeps the engine still."""
        started = time.perf_counter()
        engine = self.processor.engine
        snap = self.processor.snapshot()
        return (time.perf_counter() - started, snap, dict(self.processor.counts),
                dict(engine.outcomes), dict(engine.folded))

    def feed_block(self) -> dict[str, Any]:
        feed, now = self.feed, self.clock()
        last = feed.last_record_at
        return {
            "records": self.processor.records,
            "last_record_at": rfc3339(last) if last is not None else None,
            "last_record_age_s": round(now - last, 3) if last is not None else None,
            "broker_reachable": feed.broker_reachable,
        }

    def _render(self, version: int, frozen: tuple[float, dict, dict, dict, dict],
                feed: dict) -> Published:
        build_s, snap, counts, outcomes, folded = frozen
        started = time.perf_counter()
        body = orjson.dumps({**snap, "feed": {**feed, "snapshot_build_s": round(build_s, 4)}})
        published = Published(version, snap, counts, outcomes, folded, body, b"",
                              self.clock(), build_s)
        published.metrics_text = self._encode(published, "text/plain")
        published.build_s = build_s + time.perf_counter() - started
        return published

    def _encode(self, published: Published, accept: str) -> bytes:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(WallboardCollector(
            lambda: published.snapshot, lambda: published.counts, lambda: published.outcomes,
            folded=lambda: published.folded))
        encoder, _ = choose_encoder(accept)
        return encoder(registry)

    async def publish_once(self) -> Published:
        loop = asyncio.get_running_loop()
        async with self.lock:
            frozen = await loop.run_in_executor(self._executor, self._freeze)
        version = (self.published.version + 1) if self.published else 1
        published = await loop.run_in_executor(self._executor, self._render, version, frozen,
                                               self.feed_block())
        self.published = published
        self._log_folding(published.folded)
        return published

    def _log_folding(self, folded: dict) -> None:
        for kind, n in folded.items():
            if n and kind not in self._folded_logged:
                self._folded_logged.add(kind)
                engine = self.settings.engine
                log.warning("limit reached: %s folded into the 'other' segment (%d so far; "
                            "engine.max_segments=%d, engine.max_queues_per_agent=%d); logged "
                            "once, counted in /metrics", kind.replace("_", " "), n,
                            engine.max_segments, engine.max_queues_per_agent)

    async def _publisher(self) -> None:
        interval = self.settings.worker.snapshot_interval_s
        delay = interval  # start() has just published
        while True:
            await asyncio.sleep(delay)
            started = time.monotonic()
            try:
                await self.publish_once()
            except Exception:  # noqa: BLE001 - keep serving the last good snapshot
                log.exception("snapshot failed; serving the previous one")
            spent = time.monotonic() - started
            delay = max(interval - spent, spent, 0.05)

    # -- broker probe ---------------------------------------------------------------------
    async def probe_broker(self) -> bool:
        errors = []
        for server in self.settings.kafka.bootstrap.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)),
                                                   timeout=PROBE_INTERVAL_S)
            except (OSError, TimeoutError) as exc:
                errors.append(f"{server.strip()}: {connect_reason(exc)}")
                continue
            writer.close()
            reachable, error = True, None
            break
        else:
            reachable, error = False, "; ".join(errors)
        feed, now = self.feed, self.clock()
        if reachable and feed.broker_reachable is False:
            down = now - (feed.unreachable_since or now)
            log.warning("Kafka broker reachable again at %s after %.0f s",
                        self.settings.kafka.bootstrap, down)
        if not reachable and feed.broker_reachable is not False:
            feed.unreachable_since = now
            log.error("Kafka broker unreachable at %s (%s); serving the last figures, marked "
                      "stale", self.settings.kafka.bootstrap, error)
        feed.broker_reachable, feed.broker_error, feed.broker_checked_at = reachable, error, now
        return reachable

    async def _prober(self) -> None:
        while True:
            try:
                await self.probe_broker()
            except Exception:  # noqa: BLE001
                log.exception("broker probe failed")
            await asyncio.sleep(PROBE_INTERVAL_S)

    # -- HTTP views (memory only) ---------------------------------------------------------
    async def _snapshot_view(self, request: web.BaseRequest) -> web.Response:
        published = self.published
        if published is None:
            return web.json_response({"error": "no snapshot yet; starting"}, status=503)
        return web.Response(body=published.body, content_type=_JSON)

    async def _metrics_view(self, request: web.BaseRequest) -> web.Response:
        published = self.published
        if published is None:
            return web.Response(status=503, text="no snapshot yet; starting\n")
        accept = request.headers.get("Accept", "")
        _, content_type = choose_encoder(accept)
        if content_type.startswith("text/plain"):
            body = published.metrics_text
        else:  # OpenMetrics: rendered once per snapshot, in the snapshot thread
            body = published.rendered.get(content_type)
            if body is None:
                loop = asyncio.get_running_loop()
                body = await loop.run_in_executor(self._executor, self._encode, published,
                                                  accept)
                published.rendered[content_type] = body
        return web.Response(body=body, headers={"Content-Type": content_type})

    def health(self) -> dict[str, Any]:
        feed, now = self.feed, self.clock()
        counts = {f"{t}:{o}": n for (t, o), n in sorted(self.processor.counts.items())}
        outcomes = {o: n for o, n in sorted(self.processor.engine.outcomes.items()) if n}
        problems = []
        if feed.broker_reachable is False:
            problems.append(f"Kafka broker unreachable at {self.settings.kafka.bootstrap}")
        published = self.published
        if published is None:
            problems.append("no snapshot yet")
        elif now - published.built_at > max(10.0, 5 * self.settings.worker.snapshot_interval_s):
            problems.append(f"snapshot is {now - published.built_at:.0f} s old")
        return {
            "status": "degraded" if problems else "ok",
            "problems": problems,
            "broker": {"bootstrap": self.settings.kafka.bootstrap,
                       "reachable": feed.broker_reachable, "error": feed.broker_error,
                       "unreachable_for_s": (round(now - feed.unreachable_since, 1)
                                             if feed.broker_reachable is False
                                             and feed.unreachable_since else None)},
            "feed": self.feed_block(),
            "snapshot": None if published is None else {
                "as_of": published.snapshot.get("as_of"),
                "age_s": round(now - published.built_at, 3),
                "build_s": round(published.build_s, 4),
                "segments": len(published.snapshot.get("segments", {}))},
            "events": counts,
            "engine": outcomes,
            "folded": {k: n for k, n in sorted(self.processor.engine.folded.items()) if n},
        }

    async def _health_view(self, request: web.BaseRequest) -> web.Response:
        return web.Response(body=orjson.dumps(self.health()), content_type=_JSON)

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        if self._tasks:
            return
        await self.http.start()
        await self.publish_once()  # the first snapshot before anyone asks
        self._tasks = [asyncio.create_task(self._publisher(), name="wallboard-publisher"),
                       asyncio.create_task(self._prober(), name="wallboard-broker-probe")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        await self.http.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)


class _HttpService(mode.Service):
    """Starts the runtime with the app (and earlier in :class:`WallboardWorker`)."""

    def __init__(self, runtime: Runtime, **kwargs: Any) -> None:
        self.runtime = runtime
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        await self.runtime.start()

    async def on_stop(self) -> None:
        await self.runtime.stop()


def state_dir(settings: Settings) -> Path:
    """Where the worker keeps files (Faust's data dir): ``worker.state_dir``, else the project's
    cache dir (``$WALLBOARD_HOME``, ``<repo>/.cache`` or ``~/.cache/cc-wallboard``)."""
    if settings.worker.state_dir:
        return Path(settings.worker.state_dir).expanduser().resolve()
    from infra.broker import default_home

    return default_home()


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> faust.App:
    """Build the Faust app for ``settings``; run it with :func:`run_worker`."""
    kafka = settings.kafka
    datadir = state_dir(settings) / "faust" / f"{settings.worker.app_id}-data"
    datadir.parent.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    app = faust.App(
        settings.worker.app_id,
        broker=[f"kafka://{s.strip()}" for s in kafka.bootstrap.split(",")],
        store="memory://",
        datadir=str(datadir),
        web_enabled=True,  # our own server (streams.http) replaces Faust's aiohttp stack
        consumer_auto_offset_reset="earliest",
        topic_disable_leader=True,
    )
    runtime = Runtime(settings, clock)
    dead_letters = app.topic(kafka.dead_letter_topic, key_serializer="raw",
                             value_serializer="raw")

    async def consume(stream: faust.StreamT) -> None:
        async for event in stream.events():
            msg = event.message
            letter = await runtime.handle(msg.topic, msg.partition, msg.offset, msg.key,
                                          msg.value)
            if letter is not None:
                # Kafka clients refuse a record with neither key nor value (a tombstone with
                # no key can still arrive): an empty key keeps the value null.
                key = b"" if letter.key is None and letter.value is None else letter.key
                try:
                    await dead_letters.send(key=key, value=letter.value,
                                            headers=list(letter.headers))
                except Exception:  # noqa: BLE001 - never stop the stream over a dead letter
                    log.exception("could not dead-letter %s[%d]@%d (%s)", msg.topic,
                                  msg.partition, msg.offset, letter.reason)

    for name, topic in (("call_events", kafka.call_topic), ("agent_events", kafka.agent_topic)):
        channel = app.topic(topic, key_serializer="raw", value_serializer="raw")
        app.agent(channel, name=f"wallboard.{name}", concurrency=1)(consume)

    app.web_server(_HttpService(runtime))
    app.wallboard = runtime  # for WallboardWorker, tests and debugging
    app.wallboard_processor = runtime.processor
    return app


class WallboardWorker(faust.Worker):
    """faust.Worker that serves HTTP before Kafka answers and exits on time after SIGTERM."""

    def __init__(self, app: faust.App, *, shutdown_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._shutdown_timeout_s = shutdown_timeout_s
        self._watchdog: threading.Timer | None = None

    async def on_first_start(self) -> None:
        await super().on_first_start()  # logging, signal handlers
        install(ThrottleFilter(LOG_THROTTLE_S),
                ("aiokafka", "kafka", "faust", "mode", "wallboard"))
        await self.app.wallboard.start()  # health answers even while the broker is down

    def _arm_watchdog(self) -> None:
        if self._watchdog is None:
            self._watchdog = threading.Timer(self._shutdown_timeout_s, _force_exit,
                                             (self._shutdown_timeout_s,))
            self._watchdog.daemon = True
            self._watchdog.start()

    def _on_sigterm(self) -> None:
        self._arm_watchdog()
        super()._on_sigterm()

    def _on_sigint(self) -> None:
        self._arm_watchdog()
        super()._on_sigint()


def _force_exit(after_s: float) -> None:
    # Straight to the file descriptor: a logging handler's lock may be held by the stuck loop.
    os.write(2, (f"[wallboard] the worker did not stop within {after_s:.0f} s of the signal "
                 "(is the broker down?); exiting now: offsets not yet committed are consumed "
                 "again on restart\n").encode())
    os._exit(0)


def run_worker(settings: Settings, *, loglevel: str = "info") -> None:
    """Run the worker until SIGTERM/SIGINT (``wallboard worker``)."""
    app = create_app(settings)
    WallboardWorker(app, loglevel=loglevel,
                    shutdown_timeout_s=settings.worker.shutdown_timeout_s
                    ).execute_from_commandline()

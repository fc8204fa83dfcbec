"""The worker: consumes the contract topics, serves ``/metrics`` and the snapshot API.

A Faust application (process, signals, bounded shutdown, logging, service lifecycle) around
:class:`streams.partitions.Partitions` (docs/worker.md):

* **Consume path** (:mod:`streams.kafka_io`). One aiokafka consumer in the app's consumer
  group reads both input topics in batches; each input partition has its own engine, restored
  from its checkpoint in the compacted state topic when the partition is assigned, and
  checkpointed every ``worker.checkpoint_interval_s`` and when it is revoked. Every record is
  applied or dead-lettered (the processor never raises).
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
from faust.app.base import BootStrategy
from prometheus_client.exposition import choose_encoder

from infra.broker import connect_reason

from .config import StreamSettings
from .core.partitions import Partitions, encode_partial
from .core.timefmt import rfc3339
from .http import HttpServer
from .kafka_io import InputConsumer
from .logthrottle import ThrottleFilter, install
from .prometheus import CheckpointedTotals, MetricsRenderer, Pipeline, ProcessCounts

__all__ = ["Runtime", "WallboardWorker", "create_app", "run_worker"]

log = logging.getLogger("wallboard.worker")

PROBE_INTERVAL_S = 2.0
SEND_TIMEOUT_S = 10.0
LOG_THROTTLE_S = 30.0
_JSON = "application/json"


@dataclass
class Feed:
    """What the worker knows about its input, for health and staleness (loop thread only)."""

    started_at: float
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
    pipeline: Pipeline | None = None  # what /metrics renders beside the snapshot


class Runtime:
    """The worker's state outside Faust: processor, snapshot cache, feed health, HTTP."""

    def __init__(self, settings: StreamSettings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.clock = clock
        kafka = settings.kafka
        self.partitions = Partitions(settings.engine, clock, (kafka.call_topic, kafka.agent_topic),
                                     settings.worker.app_id)
        self.feed = Feed(started_at=clock())
        self.input: InputConsumer | None = None  # set by create_app (Kafka input)
        self._outgoing: dict = {}
        self._partials_sent: dict = {}
        self._snapshot_sent = 0.0
        self._to_send: dict = {}
        self._snapshot_to_send: bytes | None = None
        self._send_wakeup = asyncio.Event()
        self.published: Published | None = None
        self._lock: asyncio.Lock | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="wallboard-snapshot")
        self._tasks: list[asyncio.Task] = []
        self._folded_logged: set[str] = set()
        self._totals = CheckpointedTotals()  # the engines' totals as of their checkpoints
        self._consumed = ProcessCounts()  # records consumed by this process, for /metrics
        self._renderer = MetricsRenderer()  # /metrics text, the counters' block reused
        self._frozen: tuple[dict, dict] = ({}, {})  # totals, counts of the last _freeze
        self._publish_s: float | None = None
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
        """Feed one record directly (tests, tools): the partition starts empty if it is not
        assigned yet. The Kafka input feeds batches through :meth:`on_batch_done`."""
        async with self.lock:
            if (topic, partition) not in self.partitions.states:
                self.partitions.assign((topic, partition), None)
            letter = self.partitions.handle((topic, partition), offset, key, value)
        if letter is not None:
            log.warning("dead-lettered %s[%d]@%d: %s", topic, partition, offset, letter.reason)
        return letter

    async def send_dead_letters(self, letters: list) -> None:
        """Send a batch's dead letters (``(tp, offset, letter)``); never raises."""
        producer = self.input.producer if self.input is not None else None
        futures = []
        for (topic, partition), offset, letter in letters:
            log.warning("dead-lettered %s[%d]@%d: %s", topic, partition, offset, letter.reason)
            if producer is None:
                continue
            # Kafka clients refuse a record with neither key nor value (a tombstone with no
            # key can still arrive): an empty key keeps the value null.
            key = b"" if letter.key is None and letter.value is None else letter.key
            try:
                futures.append(await producer.send(
                    self.settings.kafka.dead_letter_topic, letter.value, key=key,
                    headers=list(letter.headers)))
            except Exception:  # noqa: BLE001 - never stop the stream over a dead letter
                log.exception("could not dead-letter %s[%d]@%d (%s)", topic, partition,
                              offset, letter.reason)
        for result in await asyncio.gather(*futures, return_exceptions=True):
            if isinstance(result, BaseException):
                log.error("a dead letter was not delivered: %s", result)

    # -- snapshots ------------------------------------------------------------------------
    def _freeze(self) -> tuple[float, dict, dict, dict, dict]:
        """Runs in the snapshot thread while the lock keeps the engine still."""
        started = time.perf_counter()
        parts, now = self.partitions, self.clock()
        as_of = self.as_of()
        local = parts.local_partials(as_of)
        snap = parts.merged(local, round(as_of * 1000))
        snap["freshness"] = self.freshness_block(parts.freshness(now))
        self._outgoing = self._encode_partials(local, now)
        self._frozen = (self._totals.update(parts.states), self._consumed.update(parts.states))
        return (time.perf_counter() - started, snap, dict(parts.counts), dict(parts.outcomes),
                dict(parts.folded))

    def _encode_partials(self, local: dict, now: float) -> dict:
        """This worker's partials to publish: each at least once a second, and with the next
        snapshot when its partition consumed something (so the cost follows the snapshot
        interval and the number of partitions, never the event rate)."""
        out = {}
        worker_id = self.input.worker_id if self.input is not None else "direct"
        for tp, part in local.items():
            meta = self.partitions.meta(tp, now)
            last = self._partials_sent.get(tp)
            if last is not None and now - last[0] < 1.0 and last[1] == meta["next_offset"]:
                continue
            meta["worker"] = worker_id
            out[tp] = encode_partial(part, meta)
            self._partials_sent[tp] = (now, meta["next_offset"])
        return out

    def as_of(self) -> float:
        """Now (wall clock), or with ``worker.clock = "event"`` the event-time watermark."""
        if self.settings.worker.clock == "event":
            watermark = self.partitions.watermark_ms()
            if watermark is not None:
                return watermark / 1000
        return self.clock()

    def freshness_block(self, partitions: list[dict]) -> dict[str, Any]:
        """Per partition where it stands, and which partitions are stale: their figures may
        be behind (no progress while records wait, or the broker unreachable)."""
        limit = self.settings.worker.stale_partition_s
        feed, now = self.feed, self.clock()
        down_for = (now - feed.unreachable_since if feed.broker_reachable is False
                    and feed.unreachable_since is not None else 0.0)
        stale = []
        grace = now - feed.started_at > limit  # a starting worker is not stale yet
        for p in partitions:
            if p["owner"] == "here":
                age = p["last_record_age_s"]
                behind = p["lag"] is None or p["lag"] > 0
                late = behind and (age is None or age > limit) and grace
            elif p["owner"] is None:  # nobody published it: missing, never zero
                late = grace
            else:  # another worker's: its partial must be recent
                late = p["partial_age_s"] is None or p["partial_age_s"] > limit
            if down_for > limit or late:
                stale.append(f"{p['topic']}/{p['partition']}")
            ms = p.pop("last_event_ms")
            p["last_event"] = None if ms is None else rfc3339(ms / 1000)
        watermark = self.partitions.watermark_ms()
        return {
            "clock": self.settings.worker.clock,
            "watermark": None if watermark is None else rfc3339(watermark / 1000),
            "stale_after_s": limit,
            "stale_partitions": stale,
            "partitions": partitions,
        }

    def feed_block(self) -> dict[str, Any]:
        feed, now = self.feed, self.clock()
        last = self.partitions.last_record_at
        return {
            "records": self.partitions.records,
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
        totals, counts = self._frozen
        engine = self.settings.engine
        published.pipeline = Pipeline(
            now=published.built_at, counts=counts, outcomes=outcomes, folded=folded,
            totals={p: t for (topic, p), t in totals.items()
                    if topic == self.settings.kafka.call_topic},
            sl_threshold_ms={name: round(engine.policy_for(name).sl_threshold_s * 1000)
                             for name in snap.get("segments", {})},
            configured=frozenset(seg.name for seg in engine.segments),
            topics=(self.settings.kafka.call_topic, self.settings.kafka.agent_topic),
            snapshot_build_s=build_s, partials_publish_s=self._publish_s,
            broker_reachable=feed.get("broker_reachable"),
            last_record_age_s=feed.get("last_record_age_s"))
        published.metrics_text = self._encode(published, "text/plain")
        published.build_s = build_s + time.perf_counter() - started
        return published

    def _encode(self, published: Published, accept: str) -> bytes:
        return self._renderer.encode(published.snapshot, published.pipeline, accept)

    async def publish_once(self) -> Published:
        loop = asyncio.get_running_loop()
        async with self.lock:
            frozen = await loop.run_in_executor(self._executor, self._freeze)
        version = (self.published.version + 1) if self.published else 1
        published = await loop.run_in_executor(self._executor, self._render, version, frozen,
                                               self.feed_block())
        self.published = published
        self._log_folding(published.folded)
        outgoing, self._outgoing = self._outgoing, {}
        if self.input is not None:  # handed to the sender: a broker outage must not hold us
            self._to_send.update(outgoing)  # per partition, the newest partial wins
            if self._due_snapshot():
                self._snapshot_to_send = published.body
            if self._to_send or self._snapshot_to_send is not None:
                self._send_wakeup.set()
        return published

    async def _sender(self) -> None:
        """Sends the partials and the merged snapshot to Kafka, off the publisher: while a
        send waits (e.g. the broker is down) snapshots go on, and only the newest partial of
        each partition and the newest snapshot wait to be sent."""
        assert self.input is not None
        while True:
            await self._send_wakeup.wait()
            self._send_wakeup.clear()
            partials, self._to_send = self._to_send, {}
            snapshot, self._snapshot_to_send = self._snapshot_to_send, None
            started = time.perf_counter()
            try:
                await asyncio.wait_for(self.input.publish(partials, snapshot),
                                       timeout=SEND_TIMEOUT_S)
                self._publish_s = time.perf_counter() - started
            except Exception as exc:  # noqa: BLE001 - the next round sends newer ones
                log.warning("partials not published (%s: %s); newer ones follow",
                            type(exc).__name__, exc)

    def _due_snapshot(self) -> bool:
        """The merged snapshot goes to the snapshots topic at most once a second."""
        now = time.monotonic()
        if now - self._snapshot_sent >= 1.0:
            self._snapshot_sent = now
            return True
        return False

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
        parts = self.partitions
        counts = {f"{t}:{o}": n for (t, o), n in sorted(parts.counts.items())}
        outcomes = {o: n for o, n in sorted(parts.outcomes.items()) if n}
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
            "folded": {k: n for k, n in sorted(parts.folded.items()) if n},
            "partitions": {
                "assigned": len(parts.states), "rebalances": parts.rebalances,
                "checkpoints_written": self.input.checkpoints_written if self.input else 0,
                "stale": (published.snapshot.get("freshness", {}).get("stale_partitions", [])
                          if published else []),
                "detail": self.freshness_block(parts.freshness(now))["partitions"],
            },
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
        if self.input is not None:
            self._tasks.append(asyncio.create_task(self.input.run(), name="wallboard-input"))
            self._tasks.append(asyncio.create_task(self.input.run_partials(),
                                                   name="wallboard-partials"))
            self._tasks.append(asyncio.create_task(self._sender(), name="wallboard-sender"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:  # the input writes its last checkpoints while it is cancelled
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.http.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)


class _RuntimeService(mode.Service):
    """Runs the runtime (HTTP, Kafka input, publisher) with the app; started earlier by
    :class:`WallboardWorker` so that health answers before Kafka does."""

    def __init__(self, runtime: Runtime, **kwargs: Any) -> None:
        self.runtime = runtime
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        await self.runtime.start()

    async def on_stop(self) -> None:
        await self.runtime.stop()


def state_dir(settings: StreamSettings) -> Path:
    """Where the worker keeps files (Faust's data dir): ``worker.state_dir``, else the project's
    cache dir (``$WALLBOARD_HOME``, ``<repo>/.cache`` or ``~/.cache/cc-wallboard``)."""
    if settings.worker.state_dir:
        return Path(settings.worker.state_dir).expanduser().resolve()
    from infra.broker import default_home

    return default_home()


def create_app(settings: StreamSettings, *, clock: Callable[[], float] = time.time) -> faust.App:
    """Build the Faust app for ``settings``; run it with :func:`run_worker`."""
    kafka = settings.kafka
    datadir = state_dir(settings) / "faust" / f"{settings.worker.app_id}-data"
    datadir.parent.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    app = faust.App(
        settings.worker.app_id,
        broker=[f"kafka://{s.strip()}" for s in kafka.bootstrap.split(",")],
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,  # our own server (streams.http) replaces Faust's aiohttp stack
        topic_disable_leader=True,
    )
    runtime = Runtime(settings, clock)

    async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(runtime._executor, fn, *args)

    async def ensure_topics() -> None:
        from infra.broker import create_topics

        await asyncio.get_running_loop().run_in_executor(None, lambda: create_topics(
            kafka.bootstrap, kafka.topics(), configs=kafka.topic_configs(),
            connect_timeout_s=kafka.connect_timeout_s, log=log.info))

    runtime.input = InputConsumer(settings, runtime.partitions, runtime.lock, in_thread,
                                  runtime.send_dead_letters, ensure_topics)
    # Faust runs the process and our services; its own Kafka consumer, producer and per-event
    # sensors stay off: the input is ours (streams.kafka_io explains why).
    app.boot_strategy = BootStrategy(app, enable_kafka=False, enable_sensors=False)
    app.service(_RuntimeService(runtime))
    app.wallboard = runtime  # for WallboardWorker, tests and debugging
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


def run_worker(settings: StreamSettings, *, loglevel: str = "info") -> None:
    """Run the worker until SIGTERM/SIGINT (``wallboard worker``)."""
    app = create_app(settings)
    WallboardWorker(app, loglevel=loglevel,
                    shutdown_timeout_s=settings.worker.shutdown_timeout_s
                    ).execute_from_commandline()

"""The worker's state outside Faust: :class:`Runtime`.

It holds the :class:`~streams.core.partitions.Partitions` (one engine per input partition),
the published snapshot and the HTTP server, and runs

* the **consume path** for records fed directly (:meth:`Runtime.handle`) and the dead
  letters of the Kafka input's batches (:meth:`Runtime.send_dead_letters`);
* the **publisher**: at most once per ``worker.snapshot_interval_s`` it freezes the engines
  in the snapshot thread while it holds the engine lock (the consume path waits; the event
  loop, and so every HTTP request, goes on), then renders the JSON and the Prometheus text
  once (:class:`~streams.worker.endpoints.Published`). After a long snapshot it waits at
  least as long again, so consumption always gets half the time;
* the **sender**: this worker's partials and the merged snapshot go to Kafka off the
  publisher, so a broker outage holds neither snapshots nor requests;
* the feed's broker probe (:mod:`streams.worker.feed`) and the HTTP endpoints
  (:mod:`streams.worker.endpoints`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson

from ..config import StreamSettings
from ..core.partitions import Partitions, encode_partial
from ..http import HttpServer
from ..kafka_io import InputConsumer, send_dead_letters
from ..prometheus import CheckpointedTotals, MetricsRenderer, Pipeline, ProcessCounts
from .endpoints import Endpoints, Published
from .feed import FeedHealth

__all__ = ["SEND_TIMEOUT_S", "Runtime"]

log = logging.getLogger("wallboard.worker")

SEND_TIMEOUT_S = 10.0


class Runtime:
    """The worker's state outside Faust: processor, snapshot cache, feed health, HTTP."""

    def __init__(self, settings: StreamSettings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.clock = clock
        kafka = settings.kafka
        self.partitions = Partitions(settings.engine, clock, (kafka.call_topic, kafka.agent_topic),
                                     settings.worker.app_id)
        self.feed_health = FeedHealth(settings, clock, self.partitions)
        self.feed = self.feed_health.feed
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
        self.endpoints = Endpoints(self)
        self.http = HttpServer(self.endpoints.routes(), w.host, w.port, timeout_s=w.http_timeout_s)

    @property
    def lock(self) -> asyncio.Lock:
        """Held while the engine changes or is read for a snapshot."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in the snapshot thread (the Kafka input restores and checkpoints
        there too: one engine is never touched by two threads)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

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
        """Send a batch's dead letters (``(tp, offset, letter)``,
        :func:`streams.kafka_io.send_dead_letters`: truncated when the topic refuses them as
        too large); never raises."""
        for (topic, partition), offset, letter in letters:
            log.warning("dead-lettered %s[%d]@%d: %s", topic, partition, offset, letter.reason)
        producer = self.input.producer if self.input is not None else None
        if producer is not None:
            await send_dead_letters(producer, self.settings.kafka.dead_letter_topic, letters)

    # -- snapshots ------------------------------------------------------------------------
    def _freeze(self) -> tuple[float, dict, dict, dict, dict]:
        """Runs in the snapshot thread while the lock keeps the engine still."""
        started = time.perf_counter()
        parts, now = self.partitions, self.clock()
        as_of = self.as_of()
        local = parts.local_partials(as_of)
        snap = parts.merged(local, round(as_of * 1000))
        snap["freshness"] = self.feed_health.freshness_block(parts.freshness(now))
        self._outgoing = self._encode_partials(local, now)
        self._frozen = (self._totals.update(parts.states), self._consumed.update(parts.states))
        return (time.perf_counter() - started, snap, dict(parts.counts), dict(parts.outcomes),
                dict(parts.folded))

    def _encode_partials(self, local: dict, now: float) -> dict:
        """This worker's partials to publish: each at least every ``partial_stale_s / 4``
        (the other workers call it stale after four missed), and with the next snapshot when
        its partition consumed something (so the cost follows the snapshot interval and the
        number of partitions, never the event rate)."""
        out = {}
        worker_id = self.input.worker_id if self.input is not None else "direct"
        refresh_s = self.settings.worker.partial_stale_s / 4
        for tp, part in local.items():
            meta = self.partitions.meta(tp, now)
            last = self._partials_sent.get(tp)
            if last is not None and now - last[0] < refresh_s and last[1] == meta["next_offset"]:
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
        published.metrics_text = self.encode(published, "text/plain")
        published.build_s = build_s + time.perf_counter() - started
        return published

    def encode(self, published: Published, accept: str) -> bytes:
        """``/metrics`` of ``published`` in the format ``accept`` asks for."""
        return self._renderer.encode(published.snapshot, published.pipeline, accept)

    async def publish_once(self) -> Published:
        async with self.lock:
            frozen = await self.in_thread(self._freeze)
        version = (self.published.version + 1) if self.published else 1
        published = await self.in_thread(self._render, version, frozen,
                                         self.feed_health.feed_block())
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

    # -- feed health and HTTP -------------------------------------------------------------
    async def probe_broker(self) -> bool:
        """Probe the bootstrap servers once (:meth:`FeedHealth.probe_broker`)."""
        return await self.feed_health.probe_broker()

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        if self._tasks:
            return
        await self.http.start()
        await self.publish_once()  # the first snapshot before anyone asks
        self._tasks = [asyncio.create_task(self._publisher(), name="wallboard-publisher"),
                       asyncio.create_task(self.feed_health.run(),
                                           name="wallboard-broker-probe")]
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

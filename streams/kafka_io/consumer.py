"""The consumer-group member: :class:`InputConsumer` consumes the call and agent topics in
batches into :class:`~streams.core.partitions.Partitions`, moves state with the partitions
(its rebalance listener restores a partition from its checkpoint on assign and checkpoints it
on revoke), checkpoints every ``worker.checkpoint_interval_s``, publishes this worker's
partials, asks for the end offsets of every input partition (the lag of each, owned here or
not) and reconnects after errors.

The group's session is short (``worker.session_timeout_s``, 6 s, the broker's default floor)
so that a crashed worker's partitions move soon; membership is dynamic (no
``group.instance.id``): with static membership a crash waits the same session timeout, and a
clean stop waits it too instead of leaving the group at once (docs/worker.md)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from ..config import STATE_RECORD_MAX_BYTES, StreamSettings
from ..core.partitions import TP, Partitions, checkpoint_key
from .partials import PartialsReader
from .topics import RETRY_S, read_checkpoints, servers

__all__ = ["CHECKPOINT_SEND_TIMEOUT_S", "END_OFFSETS_TIMEOUT_S", "REBALANCE_TIMEOUT_S",
           "InputConsumer"]

log = logging.getLogger("wallboard.kafka")

CHECKPOINT_SEND_TIMEOUT_S = 15.0  # a checkpoint not acknowledged by then is retried later
# how long a member may take to rejoin in a rebalance (its revoke writes checkpoints first):
# decoupled from the short session timeout, which only detects a member that is gone
REBALANCE_TIMEOUT_S = 30.0
END_OFFSETS_MIN_INTERVAL_S = 0.25  # end offsets asked every snapshot interval, at most 4/s
END_OFFSETS_TIMEOUT_S = 2.0  # an answer later than this is given up; the next ask follows


class _Listener(ConsumerRebalanceListener):
    def __init__(self, owner: InputConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.owner.on_revoked({(tp.topic, tp.partition) for tp in revoked})

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.owner.on_assigned({(tp.topic, tp.partition) for tp in assigned})


class InputConsumer:
    """Consumes the call and agent topics into :class:`Partitions` and checkpoints them.

    ``lock`` is held while records are applied and while a checkpoint or a snapshot reads
    the engines; ``on_dead_letters`` sends the dead letters of a batch.
    """

    def __init__(self, settings: StreamSettings, partitions: Partitions, lock: asyncio.Lock,
                 run_in_thread: Callable[..., Awaitable[Any]],
                 on_dead_letters: Callable[[list], Awaitable[None]],
                 ensure_topics: Callable[[], Awaitable[None]]) -> None:
        self.settings = settings
        self.partitions = partitions
        self.lock = lock
        self.run_in_thread = run_in_thread
        self.on_dead_letters = on_dead_letters
        self.ensure_topics = ensure_topics
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None
        self.retained: set[TP] = set()  # revoked, state kept until the assignment is known
        self.connected = False
        self.failure: Exception | None = None  # raised by a rebalance callback: reconnect
        self.checkpoints_written = 0
        self.worker_id = f"{settings.worker.app_id}-{os.getpid()}-{time.time_ns()}"
        self.checkpoint_seconds = 0.0

    # -- rebalance --------------------------------------------------------------------------
    async def on_revoked(self, revoked: set[TP]) -> None:
        # Eager rebalancing revokes everything; keep the state (checkpointed first) and drop
        # only what the new assignment does not give back.
        mine = revoked & set(self.partitions.states)
        if mine:
            await self.checkpoint(mine, reason="revoke")
        self.retained |= mine
        self.partitions.rebalances += 1

    async def on_assigned(self, assigned: set[TP]) -> None:
        for tp in self.retained - assigned:
            self.partitions.revoke(tp)
            log.info("partition %s/%d moved to another worker: state dropped", *tp)
        kept = self.retained & assigned
        self.retained = set()
        new = assigned - set(self.partitions.states)
        consumer = self.consumer
        assert consumer is not None
        for tp in kept:
            consumer.seek(TopicPartition(*tp), self.partitions.states[tp].next_offset)
        if not new:
            return
        # The fetcher starts on the new partitions (from the group's committed offsets) while
        # this runs: pause them until each has its state and its position.
        paused = [TopicPartition(*tp) for tp in new]
        consumer.pause(*paused)
        started = time.monotonic()
        try:
            found = await read_checkpoints(self.settings, self.settings.worker.app_id, new)
        except (KafkaError, OSError, TimeoutError) as exc:
            # Without their checkpoints the partitions cannot start exactly: the consume loop
            # sees this, leaves the group and joins again (aiokafka only logs what a listener
            # raises).
            self.failure = RuntimeError(f"cannot read checkpoints from "
                                        f"{self.settings.kafka.state_topic}: {exc}")
            return
        earliest = await consumer.beginning_offsets(paused)
        async with self.lock:
            for tp in sorted(new):
                data = found.get(tp)
                first = earliest.get(TopicPartition(*tp), 0)
                offset = await self.run_in_thread(self.partitions.assign, tp, data, first)
                if offset is None:
                    consumer.seek(TopicPartition(*tp), first)
                    how = f"from its earliest offset {first}" + (
                        " (no checkpoint)" if data is None else " (checkpoint refused)")
                else:
                    consumer.seek(TopicPartition(*tp), offset)
                    how = f"from its checkpoint at offset {offset} ({len(data or b'')} bytes)"
                log.info("partition %s/%d assigned: starting %s", tp[0], tp[1], how)
        consumer.resume(*paused)
        log.info("restored %d partition(s) in %.2f s", len(new), time.monotonic() - started)

    # -- checkpoints ------------------------------------------------------------------------
    async def checkpoint(self, tps: Iterable[TP] | None = None, *, reason: str = "interval",
                         force: bool = False) -> int:
        """Write the checkpoint of each dirty partition of ``tps`` (default: all); return how
        many were written. A failure is logged; the next interval tries again."""
        producer = self.producer
        if producer is None:
            return 0
        written = 0
        for tp in sorted(tps if tps is not None else list(self.partitions.states)):
            state = self.partitions.states.get(tp)
            if state is None or not (force or state.dirty):
                continue
            started = time.perf_counter()
            async with self.lock:
                offset = state.next_offset
                data = await self.run_in_thread(self.partitions.checkpoint, tp)
            try:
                await asyncio.wait_for(producer.send_and_wait(
                    self.settings.kafka.state_topic, data,
                    key=checkpoint_key(self.settings.worker.app_id, tp)),
                    timeout=CHECKPOINT_SEND_TIMEOUT_S)
                if self.consumer is not None and tp in {
                        (p.topic, p.partition) for p in self.consumer.assignment()}:
                    # the group's committed offset follows the checkpoint (for lag tooling)
                    await self.consumer.commit({TopicPartition(*tp): offset})
            except (KafkaError, OSError, TimeoutError) as exc:
                log.warning("checkpoint of %s/%d (%s) not written: %s", tp[0], tp[1], reason,
                            exc or type(exc).__name__)
                continue
            self.partitions.mark_checkpointed(tp, offset, len(data))
            self.checkpoints_written += 1
            self.checkpoint_seconds += time.perf_counter() - started
            written += 1
        return written

    async def checkpointer(self) -> None:
        interval = self.settings.worker.checkpoint_interval_s
        while True:
            await asyncio.sleep(interval)
            try:
                await self.checkpoint()
            except Exception:  # noqa: BLE001 - keep checkpointing
                log.exception("checkpointing failed")

    async def follow_end_offsets(self, consumer: AIOKafkaConsumer) -> None:
        """Ask for the end offset of every partition of the input topics (owned here or not)
        every snapshot interval, each ask bounded by :data:`END_OFFSETS_TIMEOUT_S`; off the
        consume path, in a task of its own. A partition owned elsewhere is judged against
        the next offset in its owner's partial, so a crashed owner shows its lag growing."""
        kafka = self.settings.kafka
        interval = max(self.settings.worker.snapshot_interval_s, END_OFFSETS_MIN_INTERVAL_S)
        while True:
            tps = [TopicPartition(topic, p) for topic in (kafka.call_topic, kafka.agent_topic)
                   for p in sorted(consumer.partitions_for_topic(topic) or ())]
            try:
                if tps:
                    ends = await asyncio.wait_for(consumer.end_offsets(tps),
                                                  timeout=END_OFFSETS_TIMEOUT_S)
                    self.partitions.note_end_offsets(
                        {(tp.topic, tp.partition): end for tp, end in ends.items()})
            except (KafkaError, TimeoutError) as exc:
                log.debug("end offsets not known: %s", exc or type(exc).__name__)
            except Exception:  # noqa: BLE001 - keep asking: the lag must not freeze for good
                log.exception("asking for end offsets failed")
            await asyncio.sleep(interval)

    # -- partials of the other workers ------------------------------------------------------
    async def publish(self, partials: dict[TP, bytes], snapshot: bytes | None) -> None:
        """Send this worker's partials (keyed like checkpoints) and its merged snapshot."""
        producer = self.producer
        if producer is None:
            return
        kafka, app_id = self.settings.kafka, self.settings.worker.app_id
        futures = [await producer.send(kafka.partials_topic, data, key=checkpoint_key(app_id, tp))
                   for tp, data in partials.items()]
        if snapshot is not None:
            futures.append(await producer.send(kafka.snapshots_topic, snapshot,
                                               key=app_id.encode()))
        for result in await asyncio.gather(*futures, return_exceptions=True):
            if isinstance(result, BaseException):
                log.warning("partials not published: %s", result)
                break

    async def run_partials(self) -> None:
        """Follow the partials topic (from its start: compacted, one record per partition)
        into ``partitions.remote``; learn the input partitions from the topics' metadata."""
        await PartialsReader(self.settings, self.partitions, self.worker_id).run()

    # -- consume loop -----------------------------------------------------------------------
    async def run(self) -> None:
        """Consume until cancelled; reconnects after errors."""
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a broker outage must not end the worker
                self.connected = False
                log.warning("Kafka input stopped (%s: %s); retrying in %.0f s",
                            type(exc).__name__, exc, RETRY_S)
                await asyncio.sleep(RETRY_S)

    async def _session(self) -> None:
        kafka, worker = self.settings.kafka, self.settings.worker
        await self.ensure_topics()
        bootstrap = servers(kafka.bootstrap)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                    max_request_size=STATE_RECORD_MAX_BYTES,
                                    client_id=f"{worker.app_id}-state")
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=worker.app_id,
                                    enable_auto_commit=False, auto_offset_reset="earliest",
                                    client_id=f"{worker.app_id}-input",
                                    max_poll_records=worker.max_batch,
                                    session_timeout_ms=round(worker.session_timeout_s * 1000),
                                    heartbeat_interval_ms=round(
                                        worker.heartbeat_interval_s * 1000),
                                    rebalance_timeout_ms=round(max(
                                        REBALANCE_TIMEOUT_S, worker.session_timeout_s) * 1000))
        await producer.start()
        try:
            await consumer.start()
            self.producer, self.consumer = producer, consumer
            consumer.subscribe([kafka.call_topic, kafka.agent_topic], listener=_Listener(self))
            self.connected = True
            helpers = [asyncio.create_task(self.checkpointer(), name="wallboard-checkpoint"),
                       asyncio.create_task(self.follow_end_offsets(consumer),
                                           name="wallboard-end-offsets")]
            try:
                await self._consume(consumer)
            finally:
                for task in helpers:
                    task.cancel()
        finally:
            self.connected = False
            try:
                await asyncio.wait_for(self.checkpoint(reason="stop"),
                                       timeout=worker.shutdown_timeout_s / 2)
            except (TimeoutError, Exception):  # noqa: BLE001 - best effort on the way out
                log.warning("last checkpoint before stopping not written; the partitions "
                            "restart from their previous checkpoint")
            self.producer = self.consumer = None
            await asyncio.gather(consumer.stop(), producer.stop(), return_exceptions=True)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        partitions = self.partitions
        max_batch = self.settings.worker.max_batch
        while True:
            batch = await consumer.getmany(timeout_ms=200, max_records=max_batch)
            if self.failure is not None:
                failure, self.failure = self.failure, None
                raise failure
            letters = []
            if batch:
                async with self.lock:
                    for ktp, records in batch.items():
                        tp = (ktp.topic, ktp.partition)
                        applied, seek_to = partitions.handle_batch(
                            tp, [(r.offset, r.key, r.value) for r in records])
                        letters.extend((tp, offset, letter) for offset, letter in applied)
                        if seek_to is not None:
                            log.info("%s/%d: read from offset %d, expected %d: seeking back",
                                     tp[0], tp[1], records[0].offset, seek_to)
                            consumer.seek(ktp, seek_to)
            # the fetch's high watermark, between the asks of follow_end_offsets (which make
            # a partition with nothing to read count as caught up: lag 0, idle)
            for ktp in consumer.assignment():
                state = partitions.states.get((ktp.topic, ktp.partition))
                high = consumer.highwater(ktp)
                if state is not None and high:
                    state.end_offset = max(high, state.end_offset or 0)
            if letters:
                await self.on_dead_letters(letters)
            await asyncio.sleep(0)  # let HTTP and the publisher in between batches

"""The other workers' partials: :class:`PartialsReader` follows the compacted partials topic
from its start (one record per app and input partition) into ``Partitions.remote``, keeping
the newest of each partition and skipping this worker's own, and learns the input partitions
from the topics' metadata (``Partitions.expected``)."""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import TopicPartition

from ..config import StreamSettings
from ..core.partitions import CheckpointError, Partitions, Remote, decode_partial
from .topics import RETRY_S, topic_reader

__all__ = ["PartialsReader"]

log = logging.getLogger("wallboard.kafka")


class PartialsReader:
    """Follows the partials topic into ``partitions.remote`` (see the module docstring)."""

    def __init__(self, settings: StreamSettings, partitions: Partitions, worker_id: str) -> None:
        self.settings = settings
        self.partitions = partitions
        self.worker_id = worker_id

    async def run(self) -> None:
        """Follow the partials topic (from its start: compacted, one record per partition)
        into ``partitions.remote``; learn the input partitions from the topics' metadata."""
        kafka, app_id = self.settings.kafka, self.settings.worker.app_id
        prefix = f"{app_id}/".encode()
        while True:
            consumer = topic_reader(self.settings, f"{app_id}-partials")
            try:
                await consumer.start()
                metadata = await consumer._client.fetch_all_metadata()
                self.partitions.expected = {
                    (topic, p) for topic in (kafka.call_topic, kafka.agent_topic)
                    for p in metadata.partitions_for_topic(topic) or ()}
                parts = metadata.partitions_for_topic(kafka.partials_topic) or {0}
                tps = [TopicPartition(kafka.partials_topic, p) for p in sorted(parts)]
                consumer.assign(tps)
                await consumer.seek_to_beginning(*tps)
                while True:
                    batch = await consumer.getmany(timeout_ms=500)
                    for records in batch.values():
                        for record in records:
                            self._remote(record.key, record.value, prefix)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep following
                log.warning("reading %s stopped (%s: %s); retrying in %.0f s",
                            kafka.partials_topic, type(exc).__name__, exc, RETRY_S)
            finally:
                await consumer.stop()
            await asyncio.sleep(RETRY_S)

    def _remote(self, key: bytes | None, value: bytes | None, prefix: bytes) -> None:
        if not key or not key.startswith(prefix) or value is None:
            return
        topic, _, partition = key[len(prefix):].decode(errors="replace").rpartition("/")
        if not partition.isdigit():
            return
        tp = (topic, int(partition))
        try:
            partial, meta = decode_partial(value)
        except CheckpointError as exc:
            log.warning("partial of %s/%s ignored: %s", topic, partition, exc)
            return
        if meta.get("worker") == self.worker_id:
            return  # our own, read back
        current = self.partitions.remote.get(tp)
        if current is None or meta.get("published_at", 0) >= current.meta.get("published_at", 0):
            self.partitions.remote[tp] = Remote(partial, meta, time.time())

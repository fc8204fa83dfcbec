"""The internal topics read outside the consumer group: a reader that takes records as large
as a checkpoint (:func:`topic_reader`), and :func:`read_checkpoints`, the latest checkpoint
of each partition in the compacted state topic, read to its end."""

from __future__ import annotations

import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

from ..config import STATE_RECORD_MAX_BYTES, StreamSettings
from ..core.partitions import TP, checkpoint_key

__all__ = ["RETRY_S", "read_checkpoints", "servers", "topic_reader"]

RETRY_S = 2.0  # a consume session or the partials reader that failed starts again after this
STATE_READ_TIMEOUT_S = 60.0


def servers(bootstrap: str) -> list[str]:
    """``host:port[,host:port...]`` as the list aiokafka takes."""
    return [s.strip() for s in bootstrap.split(",") if s.strip()]


def topic_reader(settings: StreamSettings, client_id: str) -> AIOKafkaConsumer:
    """A consumer outside any group that takes records as large as a checkpoint."""
    return AIOKafkaConsumer(bootstrap_servers=servers(settings.kafka.bootstrap), group_id=None,
                            enable_auto_commit=False, client_id=client_id,
                            max_partition_fetch_bytes=STATE_RECORD_MAX_BYTES,
                            fetch_max_bytes=STATE_RECORD_MAX_BYTES)


async def read_checkpoints(settings: StreamSettings, app_id: str,
                           tps: Iterable[TP]) -> dict[TP, bytes]:
    """The latest checkpoint record of each of ``tps`` in the state topic (read to its end)."""
    wanted = {checkpoint_key(app_id, tp): tp for tp in tps}
    if not wanted:
        return {}
    kafka = settings.kafka
    consumer = topic_reader(settings, f"{app_id}-state-reader")
    await consumer.start()
    try:
        # aiokafka's consumer knows the partitions of subscribed topics only: ask the cluster
        metadata = await consumer._client.fetch_all_metadata()
        parts = metadata.partitions_for_topic(kafka.state_topic) or set()
        tps_state = [TopicPartition(kafka.state_topic, p) for p in sorted(parts)]
        if not tps_state:
            return {}
        consumer.assign(tps_state)
        await consumer.seek_to_beginning(*tps_state)
        ends = await consumer.end_offsets(tps_state)
        found: dict[TP, bytes] = {}
        deadline = time.monotonic() + STATE_READ_TIMEOUT_S
        while [tp for tp in tps_state if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {kafka.state_topic} took over "
                                   f"{STATE_READ_TIMEOUT_S:.0f} s")
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    tp = wanted.get(record.key)
                    if tp is None:
                        continue
                    if record.value is None:  # a tombstone: the checkpoint was withdrawn
                        found.pop(tp, None)
                    else:
                        found[tp] = record.value
        return found
    finally:
        await consumer.stop()

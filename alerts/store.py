"""Rule state and the notification log in a compacted Kafka topic (shell, kafka-python).

One record per key, the latest wins (``cleanup.policy=compact``): ``i:<fingerprint>`` an
instance with its notification log, ``b:<rule>:<segment>`` a surge baseline,
``s:<silence id>`` a silence; a null value (tombstone) deletes. At start the topic is read
to its end and the engine restored, so a restart neither pages again nor loses a resolve.
Each evaluation's changes are written and flushed after delivery (at-least-once: a crash
between delivery and the write re-sends that one notification, with the same dedup key).
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Protocol

__all__ = ["KafkaStateStore", "MemoryStore", "StateStore"]


class StateStore(Protocol):
    def load(self) -> dict[str, dict]: ...

    def write(self, records: dict[str, dict | None]) -> None: ...

    def close(self) -> None: ...


class MemoryStore:
    """No persistence (``alerts.state = "memory"``): a restart forgets."""

    def __init__(self) -> None:
        self.records: dict[str, dict] = {}

    def load(self) -> dict[str, dict]:
        return dict(self.records)

    def write(self, records: dict[str, dict | None]) -> None:
        for key, value in records.items():
            if value is None:
                self.records.pop(key, None)
            else:
                self.records[key] = value

    def close(self) -> None:
        pass


class KafkaStateStore:
    def __init__(self, bootstrap: str, topic: str, *, connect_timeout_s: float = 10.0) -> None:
        self.bootstrap, self.topic, self.timeout_s = bootstrap, topic, connect_timeout_s
        self._producer = None

    def ensure_topic(self) -> None:
        """Create the topic (1 partition, compacted) if missing."""
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic
        from kafka.errors import TopicAlreadyExistsError

        from infra.clients import client_timeout_ms, kafka_client

        admin = kafka_client(KafkaAdminClient, self.bootstrap, timeout_s=self.timeout_s,
                             client_id="wallboard-alerts-admin",
                             request_timeout_ms=client_timeout_ms(self.timeout_s))
        try:
            if self.topic not in set(admin.list_topics()):
                with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile
                    admin.create_topics([NewTopic(self.topic, 1, 1, topic_configs={
                        "cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1",
                        "segment.ms": "3600000"})], timeout_ms=client_timeout_ms(self.timeout_s))
        finally:
            admin.close()

    def load(self) -> dict[str, dict]:
        """Every key's latest value, reading the topic from the beginning to its end."""
        from kafka import KafkaConsumer, TopicPartition

        from infra.clients import client_timeout_ms, kafka_client
        from infra.errors import BrokerError

        self.ensure_topic()
        consumer = kafka_client(KafkaConsumer, self.bootstrap, timeout_s=self.timeout_s,
                                client_id="wallboard-alerts-restore", enable_auto_commit=False,
                                request_timeout_ms=client_timeout_ms(self.timeout_s) + 1000)
        records: dict[str, dict] = {}
        try:
            parts = consumer.partitions_for_topic(self.topic) or {0}
            tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            end = consumer.end_offsets(tps)
            limit_s = max(30.0, 6 * self.timeout_s)
            deadline = time.monotonic() + limit_s
            while any(consumer.position(tp) < end[tp] for tp in tps):
                if time.monotonic() > deadline:
                    raise BrokerError(f"reading {self.topic} from {self.bootstrap} did not "
                                      f"reach its end within {limit_s:.0f} s")
                for batch in consumer.poll(timeout_ms=1000, max_records=5000).values():
                    for rec in batch:
                        key = rec.key.decode() if rec.key else ""
                        if rec.value is None:
                            records.pop(key, None)
                        else:
                            records[key] = json.loads(rec.value)
        finally:
            consumer.close()
        return records

    def write(self, records: dict[str, dict | None]) -> None:
        if not records:
            return
        if self._producer is None:
            from kafka import KafkaProducer

            from infra.clients import kafka_client

            self._producer = kafka_client(KafkaProducer, self.bootstrap,
                                          timeout_s=self.timeout_s,
                                          client_id="wallboard-alerts", acks="all",
                                          linger_ms=0)
        for key, value in records.items():
            body = None if value is None else json.dumps(value, sort_keys=True).encode()
            self._producer.send(self.topic, key=key.encode(), value=body)
        self._producer.flush(timeout=self.timeout_s)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=self.timeout_s)
            self._producer = None

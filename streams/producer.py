"""Kafka producer shell (kafka-python): routes contract events to their topic and key."""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from kafka import KafkaProducer

from .config import KafkaSettings

__all__ = ["EventProducer"]


class EventProducer:
    """Sends contract-v1 event dicts: call events keyed by ``call_id`` to the call topic, agent
    events keyed by ``agent_id`` to the agent topic. ``acks=all``, batched, idempotent retries."""

    def __init__(self, settings: KafkaSettings, *, client_id: str = "wallboard-producer") -> None:
        self.settings = settings
        self._producer = KafkaProducer(
            bootstrap_servers=settings.bootstrap.split(","), client_id=client_id, acks="all",
            linger_ms=20, retries=5, enable_idempotence=True)
        self.sent = 0

    def route(self, event: dict) -> tuple[str, bytes]:
        if event.get("type") == "agent.state":
            return self.settings.agent_topic, str(event["agent_id"]).encode()
        return self.settings.call_topic, str(event["call_id"]).encode()

    def send(self, events: Iterable[dict]) -> int:
        n = 0
        for event in events:
            topic, key = self.route(event)
            self._producer.send(topic, key=key, value=orjson.dumps(event))
            n += 1
        self.sent += n
        return n

    def send_raw(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Send bytes as they are (tests and replays of recorded records)."""
        self._producer.send(topic, key=key, value=value)

    def flush(self, timeout_s: float = 30.0) -> None:
        self._producer.flush(timeout=timeout_s)

    def close(self) -> None:
        self._producer.flush()
        self._producer.close()

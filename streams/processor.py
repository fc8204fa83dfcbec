"""What the worker does with one Kafka record, without Kafka: validate, apply, or dead-letter.

Kept free of Faust/Kafka imports so it is unit-tested directly; ``streams.worker`` only feeds it
records and sends the dead letters it returns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from schemas import InvalidEvent, parse_event

from .config import EngineSettings
from .engine import Engine

__all__ = ["DeadLetter", "Processor"]


@dataclass(frozen=True)
class DeadLetter:
    """The original record plus the headers of the contract's ``cc.dead-letter`` topic."""

    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    reason: str


class Processor:
    """Validates records of the call and agent topics and applies them to one engine."""

    def __init__(self, settings: EngineSettings, clock: Callable[[], float],
                 topics: tuple[str, str]) -> None:
        self.engine = Engine(settings)
        self.settings = settings
        self.clock = clock
        self.call_topic, self.agent_topic = topics
        self.counts: Counter[tuple[str, str]] = Counter()

    def handle(self, topic: str, partition: int, offset: int, key: bytes | None,
               value: bytes | None) -> DeadLetter | None:
        """Apply one record; return a dead letter when it is invalid for this topic."""
        raw = value if value is not None else b""
        try:
            event = parse_event(raw, now=self.clock(), max_future_s=self.settings.max_future_s)
            wrong_topic = (topic == self.call_topic) == (event.type == "agent.state")
            if wrong_topic:
                raise InvalidEvent("type", f"{event.type} does not belong on topic {topic}")
        except InvalidEvent as exc:
            self.counts[(topic, "invalid")] += 1
            headers = (("reason", str(exc).encode()), ("source-topic", topic.encode()),
                       ("source-partition", str(partition).encode()),
                       ("source-offset", str(offset).encode()))
            return DeadLetter(key, raw, headers, str(exc))
        self.counts[(topic, self.engine.apply(event))] += 1
        return None

    def snapshot(self) -> dict:
        return self.engine.snapshot(self.clock())

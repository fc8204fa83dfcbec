"""What the worker does with one Kafka record, without Kafka: validate, apply, or dead-letter.

Kept free of Faust/Kafka imports so it is unit-tested directly; ``streams.worker`` only feeds it
records and sends the dead letters it returns.

``handle`` is total: for any key, value (bytes, ``None`` for a tombstone, anything else) and
topic it either applies the record and counts it under what happened to it, or returns a
:class:`DeadLetter` and counts it as ``invalid``, ``key``, ``tombstone`` or ``internal``. It
never raises: a defect in our own code on one record dead-letters that record with reason
``internal: <exception type>`` (logged at ERROR with its offset) instead of stopping the stream.

**The key is checked.** A valid event whose record key is not its ``call_id`` (call topic) or
its ``agent_id`` (agent topic), a null key included, is dead-lettered as ``key``
(``key: expected "c-17", got null``): the engine's state and its event-id dedup are per
partition, so an event keyed otherwise may land in another partition than the rest of its
call and be applied there to a visit that partition never saw, or twice.

:func:`truncated` is the dead letter that still fits a topic whose record limit is too small
for the original (the worker's fallback): headers kept, the value cut, a ``truncated`` header
with the original size.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from schemas import InvalidEvent, parse_event

from .config import EngineSettings
from .engine import Engine

__all__ = ["DEAD_LETTER_OUTCOMES", "DeadLetter", "Processor", "key_reason", "truncated"]

log = logging.getLogger("wallboard.processor")

# Outcomes counted for records that were dead-lettered (every other outcome was applied).
DEAD_LETTER_OUTCOMES = ("invalid", "key", "tombstone", "internal")
_MAX_REASON_CHARS = 1000
_MAX_KEY_SHOWN = 200  # characters of a wrong key quoted in the reason


@dataclass(frozen=True)
class DeadLetter:
    """The original record plus the headers of the contract's ``cc.dead-letter`` topic.

    ``value`` is ``None`` for a tombstone, so that it stays distinguishable from an empty value.
    """

    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    reason: str
    outcome: str


class Processor:
    """Validates records of the call and agent topics and applies them to one engine."""

    def __init__(self, settings: EngineSettings, clock: Callable[[], float],
                 topics: tuple[str, str]) -> None:
        self.engine = Engine(settings)
        self.settings = settings
        self.clock = clock
        self.call_topic, self.agent_topic = topics
        self.counts: Counter[tuple[str, str]] = Counter()

    @property
    def records(self) -> int:
        """Records handled so far: applied (any outcome) plus dead-lettered."""
        return sum(self.counts.values())

    def handle(self, topic: str, partition: int, offset: int, key: bytes | None,
               value: bytes | None) -> DeadLetter | None:
        """Apply one record; return a dead letter when it cannot be applied. Never raises."""
        try:
            if value is None:
                return self._dead(topic, partition, offset, key, None, "tombstone",
                                  "tombstone: a record with a null value is not an event")
            try:
                event = parse_event(value, now=self.clock(),
                                    max_future_s=self.settings.max_future_s)
                if (topic == self.call_topic) == (event.type == "agent.state"):
                    raise InvalidEvent("type", f"{event.type} does not belong on topic {topic}")
            except InvalidEvent as exc:
                return self._dead(topic, partition, offset, key, value, "invalid", str(exc))
            wrong_key = key_reason(event.agent_id if topic == self.agent_topic else event.call_id,
                                   key)
            if wrong_key is not None:
                return self._dead(topic, partition, offset, key, value, "key", wrong_key)
            outcome = self.engine.apply(event)
        except Exception as exc:  # noqa: BLE001 - a defect must cost one record, not the stream
            log.error("internal error on %s[%s]@%s, dead-lettered: %s: %s", topic, partition,
                      offset, type(exc).__name__, exc, exc_info=True)
            return self._dead(topic, partition, offset, key, value, "internal",
                              f"internal: {type(exc).__name__}")
        self.counts[(topic, outcome)] += 1
        return None

    def _dead(self, topic: str, partition: int, offset: int, key: object, value: object,
              outcome: str, reason: str) -> DeadLetter:
        self.counts[(topic, outcome)] += 1
        reason = reason if len(reason) <= _MAX_REASON_CHARS else \
            reason[:_MAX_REASON_CHARS - 3] + "..."
        headers = (("reason", reason.encode("utf-8", "backslashreplace")),
                   ("source-topic", str(topic).encode("utf-8", "backslashreplace")),
                   ("source-partition", str(partition).encode()),
                   ("source-offset", str(offset).encode()))
        return DeadLetter(_as_bytes(key), _as_bytes(value), headers, reason, outcome)

    def snapshot(self) -> dict:
        return self.engine.snapshot(self.clock())


def key_reason(expected: str | None, key: object) -> str | None:
    """Why ``key`` is not the record key of an event whose id is ``expected`` (its
    ``call_id`` or ``agent_id``, UTF-8), or ``None`` when it is."""
    raw = _as_bytes(key)
    want = "" if expected is None else expected
    if raw is not None and raw == want.encode("utf-8", "surrogatepass"):
        return None
    if raw is None:
        got = "null"
    else:
        text = raw.decode("utf-8", "replace")  # shown only: the letter keeps the key's bytes
        cut = text if len(text) <= _MAX_KEY_SHOWN else text[:_MAX_KEY_SHOWN] + "..."
        got = json.dumps(cut, ensure_ascii=False)
    return f"key: expected {json.dumps(want, ensure_ascii=False)}, got {got}"


def truncated(letter: DeadLetter, max_bytes: int) -> DeadLetter:
    """``letter`` with its value cut so that key, value and headers take at most
    ``max_bytes`` (never below an empty value), and a ``truncated`` header holding the
    original value's size in bytes. A null value (a tombstone) stays null."""
    if letter.value is None:
        return letter
    size = len(letter.value)
    headers = (*letter.headers, ("truncated", str(size).encode()))
    used = len(letter.key or b"") + sum(len(k) + len(v) for k, v in headers)
    keep = max(0, min(size, max_bytes - used))
    return DeadLetter(letter.key, letter.value[:keep], headers, letter.reason, letter.outcome)


def _as_bytes(data: object) -> bytes | None:
    """The record's bytes as they came (``None`` stays ``None``)."""
    if data is None or isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    return repr(data).encode("utf-8", "backslashreplace")

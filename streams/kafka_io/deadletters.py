"""Sending a batch's dead letters to the dead-letter topic: :func:`send_dead_letters`.

A dead letter is the input record plus the contract's headers, so it is larger than the
record. The topic is created to take it (``max.message.bytes`` of
:data:`~streams.config.DEAD_LETTER_RECORD_MAX_BYTES`, twice the input topics' limit and a
margin) and the worker's producer sends records up to 64 MiB. A topic created before with the
broker's default limit (about 1 MiB) refuses the copy of a record near that limit: the letter
is then sent again with its value cut (:func:`streams.core.processor.truncated`, a
``truncated`` header holding the original size), first to :data:`TRUNCATED_BYTES`, then to
:data:`LAST_RESORT_BYTES`. Only a letter that none of these fit, or that fails for another
reason, is lost: one ERROR line naming ``topic[partition]@offset`` says so. Never raises.

The letters go out in their order; those sent again follow the batch's others.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka.errors import MessageSizeTooLargeError

from ..config import DEAD_LETTER_RECORD_MAX_BYTES
from ..core.processor import DeadLetter, truncated

__all__ = ["LAST_RESORT_BYTES", "TRUNCATED_BYTES", "send_dead_letters"]

log = logging.getLogger("wallboard.worker")

# Key, value and headers of a truncated letter: fits a topic with Kafka's default limit
# (message.max.bytes 1048588, batch overhead included), and then one of 64 KiB.
TRUNCATED_BYTES = 1_000_000
LAST_RESORT_BYTES = 60_000

Where = tuple[tuple[str, int], int]  # ((topic, partition), offset) of the input record


async def send_dead_letters(producer: Any, topic: str,
                            letters: list[tuple[tuple[str, int], int, DeadLetter]]) -> int:
    """Send ``(tp, offset, letter)`` to ``topic`` with aiokafka's ``producer`` and wait for
    the broker; return how many were lost (each logged at ERROR). Never raises."""
    pending = [((tp, offset), letter) for tp, offset, letter in letters]
    lost = 0
    for budget in (None, TRUNCATED_BYTES, LAST_RESORT_BYTES):
        if not pending:
            return lost
        refused, failed = await _send_all(producer, topic, pending, budget)
        lost += failed
        pending = refused
    for where, letter in pending:
        _log_lost(where, letter, "the dead-letter topic refuses even its truncated copy "
                  f"(MessageSizeTooLargeError: its max.message.bytes is below "
                  f"{LAST_RESORT_BYTES} bytes?)")
    return lost + len(pending)


async def _send_all(producer: Any, topic: str, pending: list[tuple[Where, DeadLetter]],
                    budget: int | None) -> tuple[list[tuple[Where, DeadLetter]], int]:
    """Send ``pending`` in order (cut to ``budget`` bytes, if given) and wait for each; return
    the letters refused as too large (to send again, cut) and how many failed otherwise
    (logged)."""
    sent: list[tuple[Where, DeadLetter, Any]] = []
    failed = 0
    for where, letter in pending:
        record = letter if budget is None else _cut(where, letter, budget)
        try:
            sent.append((where, letter, await producer.send(
                topic, record.value, key=_key(record), headers=list(record.headers))))
        except MessageSizeTooLargeError:  # larger than the producer's max_request_size
            sent.append((where, letter, None))
        except Exception as exc:  # noqa: BLE001 - never stop the stream over a dead letter
            _log_lost(where, letter, f"{type(exc).__name__}: {exc}")
            failed += 1
    results = iter(await asyncio.gather(*(f for _, _, f in sent if f is not None),
                                        return_exceptions=True))
    refused = []
    for where, letter, future in sent:
        result = MessageSizeTooLargeError() if future is None else next(results)
        if isinstance(result, MessageSizeTooLargeError):
            refused.append((where, letter))
        elif isinstance(result, BaseException):
            _log_lost(where, letter, f"{type(result).__name__}: {result}")
            failed += 1
    return refused, failed


def _key(letter: DeadLetter) -> bytes | None:
    # Kafka clients refuse a record with neither key nor value (a tombstone with no key can
    # still arrive): an empty key keeps the value null.
    return b"" if letter.key is None and letter.value is None else letter.key


def _cut(where: Where, letter: DeadLetter, budget: int) -> DeadLetter:
    """``letter`` truncated to ``budget`` bytes, with one WARNING line saying so."""
    (topic, partition), offset = where
    cut = truncated(letter, budget)
    log.warning("dead letter of %s[%d]@%d (%d bytes) refused by the dead-letter topic as too "
                "large: sent with its value truncated to %d bytes (header 'truncated'); raise "
                "the topic's max.message.bytes to %d (docs/worker.md)", topic, partition,
                offset, len(letter.value or b""), len(cut.value or b""),
                DEAD_LETTER_RECORD_MAX_BYTES)
    return cut


def _log_lost(where: Where, letter: DeadLetter, why: str) -> None:
    (topic, partition), offset = where
    log.error("dead letter of %s[%d]@%d (%s, %d bytes) not delivered: %s", topic, partition,
              offset, letter.reason[:200], len(letter.value or b""), why)

"""streams.kafka_io.deadletters without a broker: a dead letter the topic refuses as too large
is sent again truncated, with its headers; what cannot be sent is logged with its offset.

The producer is a stand-in that, like a topic's ``max.message.bytes``, refuses records above a
limit (the real broker: tests/integration/test_dead_letters.py).
"""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from streams.config import DEAD_LETTER_RECORD_MAX_BYTES, INPUT_RECORD_MAX_BYTES, KafkaSettings
from streams.core.config import EngineSettings
from streams.core.processor import Processor
from streams.kafka_io import send_dead_letters
from tests.support import run_async

KAFKA_DEFAULT_LIMIT = 1_048_588  # message.max.bytes: a topic created without our configs


class LimitedTopic:
    """``AIOKafkaProducer.send`` of a topic that refuses records over ``limit`` bytes."""

    def __init__(self, limit: int, error: BaseException | None = None) -> None:
        self.limit, self.error = limit, error
        self.records: list[tuple[str, bytes | None, bytes | None, dict]] = []

    async def send(self, topic: str, value: bytes | None, *, key: bytes | None,
                   headers: list) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        size = len(key or b"") + len(value or b"") + sum(len(k) + len(v) for k, v in headers)
        if self.error is not None:
            future.set_exception(self.error)
        elif size + 100 > self.limit:  # the batch's overhead
            future.set_exception(MessageSizeTooLargeError())
        else:
            self.records.append((topic, key, value, dict(headers)))
            future.set_result(None)
        return future


def letters(*records: tuple[int, bytes | None, bytes | None]) -> list:
    p = Processor(EngineSettings(), lambda: 0.0, ("calls", "agents"))
    out = []
    for offset, key, value in records:
        letter = p.handle("calls", 2, offset, key, value)
        assert letter is not None
        out.append((("calls", 2), offset, letter))
    return out


def test_the_dead_letter_topic_takes_the_copy_of_any_record_the_input_topics_take():
    configs = KafkaSettings().topic_configs()
    dead = int(configs["cc.dead-letter"]["max.message.bytes"])
    assert dead == DEAD_LETTER_RECORD_MAX_BYTES >= 2 * INPUT_RECORD_MAX_BYTES + 64 * 1024
    for topic in ("cc.call-events", "cc.agent-events"):
        assert int(configs[topic]["max.message.bytes"]) == INPUT_RECORD_MAX_BYTES


def test_a_letter_too_large_for_an_old_topic_is_sent_truncated_with_its_headers(caplog):
    batch = letters((40, b"k0", b"x" * 1_048_500), (41, b"k1", b"small"), (42, None, None))
    topic = LimitedTopic(KAFKA_DEFAULT_LIMIT)
    with caplog.at_level("WARNING", logger="wallboard.worker"):
        assert run_async(send_dead_letters(topic, "dlq", batch)) == 0
    assert [(r[1], r[3]["source-offset"]) for r in topic.records] == [
        (b"k1", b"41"), (b"", b"42"), (b"k0", b"40")]  # the one sent again comes last
    _, _, value, headers = topic.records[2]
    assert headers["truncated"] == b"1048500"
    assert value == b"x" * len(value) and len(value) > 900_000
    assert headers["reason"] == batch[0][2].headers[0][1]
    assert {k for k in headers} == {"reason", "source-topic", "source-partition",
                                    "source-offset", "truncated"}
    assert "truncated" not in topic.records[0][3]
    assert "calls[2]@40 (1048500 bytes) refused" in caplog.text
    assert "ERROR" not in caplog.text


def test_a_topic_that_refuses_even_the_truncated_copy_gets_the_last_resort():
    batch = letters((7, b"k", b"y" * 200_000))
    topic = LimitedTopic(65_536)
    assert run_async(send_dead_letters(topic, "dlq", batch)) == 0
    (_, _, value, headers), = topic.records
    assert headers["truncated"] == b"200000" and 50_000 < len(value) < 60_000


def test_a_letter_that_cannot_be_sent_is_logged_at_error_with_its_offset(caplog):
    with caplog.at_level("ERROR", logger="wallboard.worker"):
        assert run_async(send_dead_letters(LimitedTopic(1000), "dlq",
                                           letters((41, b"k", b"z" * 5000)))) == 1
        assert run_async(send_dead_letters(LimitedTopic(10**9, KafkaTimeoutError()), "dlq",
                                           letters((43, b"k", b"{}")))) == 1
    lines = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(lines) == 2
    assert lines[0].startswith("dead letter of calls[2]@41 ($: ") and "not delivered" in lines[0]
    assert lines[1].startswith("dead letter of calls[2]@43") and "KafkaTimeoutError" in lines[1]

"""Dead letters near Kafka's 1 MiB record limit on the real broker (issue 19, finding 3).

Records of 1,048,420-1,048,500 bytes fit the input topics (Kafka's default limit, 1,048,588
bytes a batch) and are invalid (over the contract's 64 KiB); their dead-letter copy carries
headers on top. With the topics as the product creates them the copy arrives whole; in a
dead-letter topic created before with the broker's default limit it arrives truncated, with
its headers and a ``truncated`` header holding the original size. None is lost, and the
worker goes on to the valid event after them.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from pathlib import Path

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from infra.clients import create_topics, free_port
from streams.config import WorkerSettings
from streams.core.timefmt import rfc3339
from tests.support import get_json, wait_until, wallboard_process, write_config
from wallboard.settings import Settings

SIZES = (1_048_420, 1_048_440, 1_048_460, 1_048_480, 1_048_500)


def big_value(i: int, size: int) -> bytes:
    """``size`` bytes that are not an event: not JSON, or a JSON object past 64 KiB."""
    if i % 2 == 0:
        return b"x" * size
    head = b'{"v":1,"event_id":"big-%d","type":"call.queued","pad":"' % i
    return head + b"p" * (size - len(head) - 2) + b'"}'


def produce(settings: Settings) -> tuple[dict[bytes, bytes], bytes]:
    """The large invalid records (key -> value), then one valid event (returned too)."""
    k = settings.kafka
    producer = KafkaProducer(bootstrap_servers=k.bootstrap, acks="all",
                             max_request_size=4 * 2**20)
    sent = {}
    for i, size in enumerate(SIZES):
        key, value = f"big-{i}".encode(), big_value(i, size)
        assert len(value) == size
        producer.send(k.call_topic, value, key=key).get(timeout=30)
        sent[key] = value
    good = orjson.dumps({"v": 1, "event_id": "after-1", "type": "call.queued",
                         "ts": rfc3339(time.time() - 5), "call_id": "after", "queue": "billing"})
    producer.send(k.call_topic, good, key=b"after").get(timeout=30)
    producer.close()
    return sent, good


def read_topic(bootstrap: str, topic: str, count: int, timeout_s: float = 60) -> list:
    """The first ``count`` records of ``topic`` (partition 0), polled with a deadline."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, max_partition_fetch_bytes=8 * 2**20,
                             fetch_max_bytes=16 * 2**20)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    records: list = []
    deadline = time.monotonic() + timeout_s
    while len(records) < count and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    consumer.close()
    return records


def run_worker(settings: Settings, tmp_path: Path, sent: dict[bytes, bytes]
               ) -> tuple[str, list]:
    """A worker over the topics until it applied the valid event and dead-lettered the rest;
    returns its log and the dead letters."""
    port = free_port()
    settings = replace(settings, worker=WorkerSettings(app_id=f"dlq-{port}", port=port,
                                                       state_dir=str(tmp_path / "state")))
    config = write_config(tmp_path / "wallboard.toml", settings)
    log = tmp_path / "worker.log"
    call_topic = settings.kafka.call_topic
    with wallboard_process(["--config", str(config), "worker"], log) as proc:
        def consumed() -> bool:
            events = get_json(f"http://127.0.0.1:{port}/api/v1/health")["events"]
            return (events.get(f"{call_topic}:invalid") == len(sent)
                    and events.get(f"{call_topic}:applied") == 1)

        wait_until(consumed, timeout=120, what="every large record judged and the valid one "
                   "applied", proc=proc, log_path=log)
        def delivered() -> list | None:
            records = read_topic(settings.kafka.bootstrap, settings.kafka.dead_letter_topic,
                                 len(sent), timeout_s=5)
            return records if len(records) >= len(sent) else None

        letters = wait_until(delivered, timeout=60, what="every dead letter", proc=proc,
                             log_path=log)
        assert proc.poll() is None  # the worker goes on
    assert len(letters) == len(sent)
    return log.read_text(errors="replace"), letters


def check_headers(letter, call_topic: str) -> dict[str, bytes]:  # noqa: ANN001
    headers = dict(letter.headers)
    assert headers["reason"].decode().startswith("$: ")  # not JSON / larger than 64 KiB
    assert headers["source-topic"].decode() == call_topic
    assert int(headers["source-partition"]) >= 0 and int(headers["source-offset"]) >= 0
    return headers


def test_records_at_the_limit_reach_the_dead_letter_topic_whole(kafka, tmp_path):
    settings = kafka.settings()  # the topics with the product's configs
    sent, _good = produce(settings)
    log, letters = run_worker(settings, tmp_path, sent)
    assert {letter.key: letter.value for letter in letters} == sent
    for letter in letters:
        assert "truncated" not in check_headers(letter, settings.kafka.call_topic)
    assert "not delivered" not in log and "Traceback" not in log


def test_an_old_dead_letter_topic_with_the_default_limit_gets_truncated_copies(kafka, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    # an older version created the dead-letter topic with the broker's default limit
    create_topics(kafka.bootstrap, {f"dlq-{suffix}": 1}, log=lambda _m: None)
    settings = kafka.settings(suffix)
    sent, _good = produce(settings)
    log, letters = run_worker(settings, tmp_path, sent)
    assert {letter.key for letter in letters} == set(sent)  # none lost
    for letter in letters:
        headers = check_headers(letter, settings.kafka.call_topic)
        original = sent[letter.key]
        assert int(headers["truncated"]) == len(original)
        assert 900_000 < len(letter.value) < len(original)
        assert original.startswith(letter.value)
    # the WARNING names the record (similar lines after the first are throttled)
    named = [f"{settings.kafka.call_topic}[{dict(r.headers)['source-partition'].decode()}]@"
             f"{dict(r.headers)['source-offset'].decode()} ({len(sent[r.key])} bytes) refused "
             "by the dead-letter topic as too large" for r in letters]
    assert any(line in log for line in named), log[-3000:]
    assert "not delivered" not in log and "Traceback" not in log

"""End to end on the real broker: simulated events -> Kafka -> `wallboard worker` -> HTTP.

The worker's snapshot must equal, key for key, what the same engine computes offline from the
same events as of the same instant; invalid records must reach the dead-letter topic with the
contract's headers, and /metrics must expose the same numbers.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

import orjson
from kafka import KafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from infra.clients import free_port
from schemas import parse_event
from streams.adapters.simulator import Simulator, default_models
from streams.config import WorkerSettings
from streams.core.engine import Engine
from streams.producer import EventProducer
from tests.support import get_json, get_text, wait_until, wallboard_process, write_config
from wallboard.settings import Settings

INVALID = [
    (b"not json at all", "$: not JSON"),
    (b'{"v":1,"event_id":"x1","type":"call.queued","ts":"2026-11-22T09:15:02",'
     b'"call_id":"c","queue":"q"}', "ts: timestamp has no UTC offset"),
    (b'{"v":1,"event_id":"x2","type":"agent.state","ts":"2020-11-22T09:15:02Z",'
     b'"agent_id":"a","state":"available","queues":["q"]}', "type: agent.state does not belong"),
]


def _expected_snapshot(events: list[dict], as_of: str, settings) -> dict:  # noqa: ANN001
    engine = Engine(settings.engine)
    for event in events:
        engine.apply(parse_event(orjson.dumps(event)))
    return engine.snapshot(datetime.fromisoformat(as_of).timestamp())


def test_worker_consumes_real_broker_and_serves_snapshot_and_metrics(kafka, tmp_path):
    settings = kafka.settings()
    port = free_port()
    settings = replace(settings, worker=WorkerSettings(app_id=f"it-{port}", port=port,
                                                       state_dir=str(tmp_path / "state")))
    config = write_config(tmp_path / "wallboard.toml", settings)

    # Ten minutes of simulated history ending now, then a few invalid records.
    now = time.time()
    sim = Simulator(default_models(rate=2.0), start=now - 600, seed=7)
    events = sim.advance(now)
    assert sum(e["type"] == "call.queued" for e in events) > 20
    producer = EventProducer(settings.kafka)
    producer.send(events)
    for value, _reason in INVALID:
        producer.send_raw(settings.kafka.call_topic, b"bad-key", value)
    producer.close()

    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "worker.log"
    with wallboard_process(["--config", str(config), "worker"], log) as proc:
        n_valid = len(events)

        def consumed_all():
            health = get_json(f"{base}/api/v1/health")
            counts = health["events"]
            done = sum(v for k, v in counts.items() if not k.endswith(":invalid"))
            invalid = counts.get(f"{settings.kafka.call_topic}:invalid", 0)
            return done == n_valid and invalid == len(INVALID)

        wait_until(consumed_all, timeout=120, what="the worker to consume every record",
                   proc=proc, log_path=log)

        # snapshots are published once a second: wait for one taken after the last record
        total = n_valid + len(INVALID)
        snap = wait_until(lambda: (s := get_json(f"{base}/api/v1/snapshot"))["feed"]["records"]
                          == total and s, timeout=30, what="a snapshot with every record")
        feed = snap.pop("feed")
        assert feed["broker_reachable"] is True and feed["last_record_age_s"] >= 0
        fresh = snap.pop("freshness")
        assert fresh["stale_partitions"] == [] and fresh["clock"] == "wall"
        assert {(p["topic"], p["partition"]) for p in fresh["partitions"]} == {
            *((settings.kafka.call_topic, i) for i in range(settings.kafka.call_partitions)),
            *((settings.kafka.agent_topic, i) for i in range(settings.kafka.agent_partitions))}
        expected = _expected_snapshot(events, snap["as_of"], settings)
        assert snap == expected
        queued = sum(e["type"] == "call.queued" for e in events)
        assert snap["segments"]["all"]["windows"]["15m"]["offered"] == queued
        assert set(snap["segments"]) == {"all", "billing", "sales", "support"}

        _check_metrics(get_text(f"{base}/metrics"), snap, queued, settings)

    _check_dead_letters(kafka.bootstrap, settings)


def _check_metrics(metrics: str, snap: dict, queued: int, settings: Settings) -> None:
    """/metrics exposes the snapshot's numbers and the dead letters."""
    waiting = snap["segments"]["billing"]["now"]["waiting"]
    assert (f'callcenter_queue_waiting_calls{{segment="billing",segment_type="queue"}} '
            f'{float(waiting)}') in metrics
    assert (f'callcenter_center_window_offered_calls{{window="15m"}} {float(queued)}'
            in metrics)
    assert 'segment="all"' not in metrics
    invalid = sum(s.value for f in text_string_to_metric_families(metrics)
                  for s in f.samples if s.name == "callcenter_dead_letters_total"
                  and s.labels["reason_class"] == "invalid"
                  and s.labels["topic"] == settings.kafka.call_topic)
    assert invalid == len(INVALID)


def _where(bootstrap: str, topic: str, key: bytes) -> dict[bytes, tuple[int, int]]:
    """``{value: (partition, offset)}`` of the records with ``key`` in ``topic``, read back
    from the broker: where the originals of the dead letters are."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        found: dict[bytes, tuple[int, int]] = {}
        deadline = time.monotonic() + 60
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            assert time.monotonic() < deadline, f"{topic} not read to its end in 60 s"
            for records in consumer.poll(timeout_ms=1000).values():
                found.update({r.value: (r.partition, r.offset) for r in records if r.key == key})
        return found
    finally:
        consumer.close()


def _check_dead_letters(bootstrap: str, settings: Settings) -> None:
    """Every invalid record reached the dead-letter topic with the contract's headers, which
    name the original record exactly: its topic, partition and offset."""
    originals = _where(bootstrap, settings.kafka.call_topic, b"bad-key")
    assert set(originals) == {value for value, _ in INVALID}
    consumer = KafkaConsumer(settings.kafka.dead_letter_topic, bootstrap_servers=bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=10_000)
    letters = list(consumer)
    consumer.close()
    assert len(letters) == len(INVALID)
    for letter, (value, reason) in zip(letters, INVALID, strict=True):
        headers = dict(letter.headers)
        assert letter.value == value
        assert letter.key == b"bad-key"
        assert headers["reason"].decode().startswith(reason)
        assert headers["source-topic"].decode() == settings.kafka.call_topic
        assert (int(headers["source-partition"]), int(headers["source-offset"])) == \
            originals[value]

"""`wallboard replay` on the real broker: every valid line arrives once, keyed by call or
agent id, and each call's events keep the file's order."""

from __future__ import annotations

import subprocess
import sys

import orjson
from kafka import KafkaConsumer

from streams.adapters.simulator import Simulator, default_models
from tests.support import shared_data, write_config

T0 = 1_795_300_000.0


def test_replay_preserves_keys_and_per_call_order(kafka, tmp_path):
    settings = kafka.settings()
    config = write_config(tmp_path / "w.toml", settings)
    events = list(Simulator(default_models(), start=T0, seed=21).run(T0 + 1800))
    src = tmp_path / "events.jsonl"
    src.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events) + b"not json\n")
    proc = subprocess.run([sys.executable, "-m", "wallboard", "--config", str(config),
                           "replay", str(src)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"{src}:{len(events) + 1}: invalid event" in proc.stderr

    consumer = KafkaConsumer(settings.kafka.call_topic, settings.kafka.agent_topic,
                             bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=5000)
    records = sorted(consumer, key=lambda r: (r.topic, r.partition, r.offset))
    consumer.close()
    assert len(records) == len(events)
    got: dict[bytes, list[str]] = {}
    for r in records:
        event = orjson.loads(r.value)
        key = (event.get("call_id") or event["agent_id"]).encode()
        assert r.key == key
        got.setdefault(key, []).append(event["event_id"])
    want: dict[bytes, list[str]] = {}
    for e in events:
        want.setdefault((e.get("call_id") or e["agent_id"]).encode(), []).append(e["event_id"])
    assert got == want


def test_asterisk_real_queue_log_to_kafka(kafka, tmp_path):
    real = shared_data("data/real/asterisk_queue_log/"
                       "pbxware_queue_log_export_2018-11-29_2018-12-04.csv",
                       "WALLBOARD_ASTERISK_CSV")
    settings = kafka.settings()
    config = write_config(tmp_path / "w.toml", settings)
    proc = subprocess.run([sys.executable, "-m", "wallboard", "--config", str(config),
                           "asterisk", "--file", str(real)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    consumer = KafkaConsumer(settings.kafka.call_topic, settings.kafka.agent_topic,
                             bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=5000)
    by_type: dict[str, int] = {}
    for r in consumer:
        event = orjson.loads(r.value)
        by_type[event["type"]] = by_type.get(event["type"], 0) + 1
    consumer.close()
    assert by_type == {"agent.state": 206, "call.queued": 108, "call.answered": 93,
                       "call.ended": 91, "call.abandoned": 12, "call.dequeued": 1}

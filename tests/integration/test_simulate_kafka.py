"""`wallboard simulate` produces valid contract events to the real broker, keyed as the
contract says (call events by call_id, agent events by agent_id)."""

from __future__ import annotations

import subprocess
import sys

from kafka import KafkaConsumer

from schemas import parse_event
from tests.support import write_config


def test_simulate_sends_keyed_valid_events(kafka, tmp_path):
    settings = kafka.settings()
    config = write_config(tmp_path / "w.toml", settings)
    proc = subprocess.run([sys.executable, "-m", "wallboard", "--config", str(config),
                           "simulate", "--history", "600", "--duration", "2", "--seed", "11"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "history" in proc.stdout

    consumer = KafkaConsumer(settings.kafka.call_topic, settings.kafka.agent_topic,
                             bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=5000)
    records = list(consumer)
    consumer.close()
    calls = [r for r in records if r.topic == settings.kafka.call_topic]
    agents = [r for r in records if r.topic == settings.kafka.agent_topic]
    assert len(calls) > 20 and len(agents) > 10
    for r in calls:
        event = parse_event(r.value)
        assert event.type != "agent.state" and r.key == event.call_id.encode()
    for r in agents:
        event = parse_event(r.value)
        assert event.type == "agent.state" and r.key == event.agent_id.encode()
    # Keying by call id keeps every call's events in one partition, in order.
    partitions: dict[bytes, set[int]] = {}
    for r in calls:
        partitions.setdefault(r.key, set()).add(r.partition)
    assert all(len(p) == 1 for p in partitions.values())

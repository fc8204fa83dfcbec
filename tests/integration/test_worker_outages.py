"""The worker through a broker outage and a settings change (issue 10), on real brokers.

* The broker stops under a running worker: the snapshot says every partition is stale (the
  last figures stay, never zero), and once the broker is back the worker carries on by itself
  and the figures are exact again.
* A checkpoint written with other engine settings is refused with a clear log line, and the
  partition is rebuilt by replay from its earliest offset.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

import orjson

from infra.broker import BrokerSpec, KafkaBroker
from infra.clients import create_topics, free_port
from schemas import parse_event
from streams.adapters.simulator import Simulator, default_models
from streams.config import KafkaSettings, WorkerSettings
from streams.core.config import EngineSettings
from streams.core.engine import Engine
from streams.producer import EventProducer
from tests.support import event_clock_worker, get_json, wait_until, wallboard_process, write_config
from wallboard.settings import Settings


def expected(engine_settings: EngineSettings, events: list[dict], as_of: str) -> dict:
    engine = Engine(engine_settings)
    for event in events:
        engine.apply(parse_event(orjson.dumps(event)))
    return engine.snapshot(datetime.fromisoformat(as_of).timestamp())


def caught_up(base: str, total: int) -> dict | None:
    snap = get_json(f"{base}/api/v1/snapshot")
    rows = snap["freshness"]["partitions"]
    if snap["feed"]["records"] == total and rows and all(p["lag"] == 0 for p in rows) \
            and not snap["freshness"]["stale_partitions"]:
        return snap
    return None


def checkpointed(base: str) -> bool:
    """Every partition's last checkpoint (acknowledged by the broker) is at its next offset."""
    rows = get_json(f"{base}/api/v1/snapshot")["freshness"]["partitions"]
    return bool(rows) and all(p["checkpoint_offset"] == p["next_offset"] for p in rows)


def send(kafka: KafkaSettings, events: list[dict]) -> None:
    producer = EventProducer(kafka)
    producer.send(events)
    producer.close()


def test_the_broker_stops_and_comes_back_under_the_worker(tmp_path):
    spec = BrokerSpec(state_dir=tmp_path / "kafka", port=free_port(),
                      controller_port=free_port())
    broker = KafkaBroker(spec, log=lambda _m: None)
    broker.start()
    try:
        kafka = KafkaSettings(bootstrap=spec.bootstrap, call_partitions=2, agent_partitions=1,
                              connect_timeout_s=3.0)
        create_topics(spec.bootstrap, kafka.topics(), configs=kafka.topic_configs(),
                      log=lambda _m: None)
        port = free_port()
        settings = replace(Settings(), kafka=kafka, worker=WorkerSettings(
            app_id=f"outage-{port}", port=port, state_dir=str(tmp_path / "state"),
            clock="event", checkpoint_interval_s=0.5, snapshot_interval_s=0.25,
            stale_partition_s=3.0))
        config = write_config(tmp_path / "wallboard.toml", settings)
        with config.open("a") as f:
            f.write("stale_partition_s = 3.0\n")
        now = time.time()
        events = Simulator(default_models(rate=3.0), start=now - 1800, seed=4).advance(now)
        half = len(events) // 2
        send(kafka, events[:half])
        base = f"http://127.0.0.1:{port}"
        log = tmp_path / "worker.log"
        with wallboard_process(["--config", str(config), "worker"], log) as proc:
            before = wait_until(lambda: caught_up(base, half), timeout=90, proc=proc,
                                log_path=log, what="the first half read")
            broker.stop()
            down = wait_until(
                lambda: (s := get_json(f"{base}/api/v1/snapshot"))["freshness"][
                    "stale_partitions"] and s, timeout=60, proc=proc, log_path=log,
                what="the snapshot to call the partitions stale")
            # the gap is data: every partition stale, the broker unreachable, figures kept
            assert len(down["freshness"]["stale_partitions"]) == 3
            assert down["feed"]["broker_reachable"] is False
            assert down["segments"] == before["segments"]
            assert get_json(f"{base}/api/v1/health")["status"] == "degraded"
            broker.start()
            send(kafka, events[half:])
            snap = wait_until(lambda: caught_up(base, len(events)), timeout=120, proc=proc,
                              log_path=log, what="the worker to carry on after the outage")
            assert proc.poll() is None
    finally:
        broker.stop()
    snap.pop("feed")
    snap.pop("freshness")
    assert snap == expected(settings.engine, events, snap["as_of"])
    text = log.read_text(errors="replace")
    assert "reachable again" in text
    assert "Traceback" not in text


def test_a_checkpoint_of_other_engine_settings_is_refused_and_replayed(kafka, tmp_path):
    port = free_port()
    settings, config = event_clock_worker(kafka.settings(), tmp_path, port, "refuse")
    now = time.time()
    events = Simulator(default_models(rate=3.0), start=now - 1800, seed=9).advance(now)
    send(settings.kafka, events)
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "worker.log"
    with wallboard_process(["--config", str(config), "worker"], log) as proc:
        wait_until(lambda: caught_up(base, len(events)), timeout=90, proc=proc, log_path=log,
                   what="the events read")
        wait_until(lambda: checkpointed(base), timeout=30, proc=proc, log_path=log,
                   what="every partition's checkpoint at its last record")
    # the same worker, restarted with another lateness allowance
    with config.open("a") as f:
        f.write("[engine]\nmax_lateness_s = 45.0\n")
    changed = replace(settings.engine, max_lateness_s=45.0)
    log2 = tmp_path / "worker2.log"
    with wallboard_process(["--config", str(config), "worker"], log2) as proc:
        snap = wait_until(lambda: caught_up(base, len(events)), timeout=90, proc=proc,
                          log_path=log2, what="the partitions rebuilt by replay")
    text = log2.read_text(errors="replace")
    assert "refused: state was saved with different engine settings" in text, text[-3000:]
    assert "rebuilding the partition by replay from its earliest offset" in text
    assert "starting from its earliest offset 0 (checkpoint refused)" in text
    rows = snap["freshness"]["partitions"]
    assert all(p["restored_from"] is None for p in rows)
    snap.pop("feed")
    snap.pop("freshness")
    assert snap == expected(changed, events, snap["as_of"])

"""Record keys on the real broker (issue 19, finding 2).

* The worker dead-letters a call event whose key is not its ``call_id`` (a null key
  included) and an agent event not keyed by its ``agent_id``, with the reason ``key: ...``,
  counts them and shows them in ``/metrics``; they change no figure (before: 25
  ``call.answered`` with a null key landed in other partitions than their ``call.queued``, the
  calls stayed waiting and the same ``event_id`` under another key counted twice).
* Every source keys as the worker expects: the simulator, ``wallboard replay``, the Asterisk
  adapter (native, realtime and PBXware layouts) and the Anonymous Bank replay, each run into
  real topics, every record read back and judged by the worker's processor.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC
from pathlib import Path

import orjson
from kafka import KafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from infra.clients import create_topics, free_port
from streams.adapters.asterisk import AsteriskOptions, run_asterisk
from streams.adapters.bank import BankOptions, run_replay_bank
from streams.adapters.replay import ReplayOptions, run_replay
from streams.adapters.simulator import (
    SimulateOptions,
    Simulator,
    Timing,
    default_models,
    run_simulation,
)
from streams.config import KafkaSettings, WorkerSettings
from streams.core.config import EngineSettings
from streams.core.processor import Processor
from streams.core.timefmt import rfc3339
from streams.producer import EventProducer
from tests.support import get_json, get_text, wait_until, wallboard_process, write_config
from tests.unit.streams.adapters.bank import samples as bank_samples

FIXTURES = Path(__file__).resolve().parents[1] / "unit/streams/adapters/asterisk/fixtures"
CALLS = 25


def traffic(now: float) -> tuple[list[dict], list[tuple[str, bytes | None, dict]]]:
    """The events keyed as the contract says, and the ones keyed otherwise:
    ``(topic kind, key, event)``."""
    queued = [{"v": 1, "event_id": f"q-{i}", "type": "call.queued", "ts": rfc3339(now - 300 + i),
               "call_id": f"call-{i}", "queue": "billing"} for i in range(CALLS)]
    agent = {"v": 1, "event_id": "ag-1", "type": "agent.state", "ts": rfc3339(now - 400),
             "agent_id": "a-1", "state": "available", "queues": ["billing"]}
    wrong: list[tuple[str, bytes | None, dict]] = [
        ("call", None, {"v": 1, "event_id": f"ans-{i}", "type": "call.answered",
                        "ts": rfc3339(now - 200 + i), "call_id": f"call-{i}",
                        "queue": "billing", "agent_id": "a-1"}) for i in range(CALLS)]
    wrong.append(("call", b"call-1", {**wrong[0][2], "event_id": "ans-x"}))  # another call's
    wrong.append(("call", b"retry", queued[3]))  # the same event_id under another key
    wrong.append(("agent", b"call-0", {**agent, "event_id": "ag-2", "state": "not_ready"}))
    return [agent, *queued], wrong


def test_events_keyed_otherwise_are_dead_lettered_counted_and_in_metrics(kafka, tmp_path):
    settings = kafka.settings()
    port = free_port()
    settings = replace(settings, worker=WorkerSettings(app_id=f"keys-{port}", port=port,
                                                       state_dir=str(tmp_path / "state")))
    config = write_config(tmp_path / "wallboard.toml", settings)
    k = settings.kafka
    good, wrong = traffic(time.time())
    producer = EventProducer(k)
    producer.send(good)
    for kind, key, event in wrong:
        producer.send_raw(k.call_topic if kind == "call" else k.agent_topic, key,
                          orjson.dumps(event))
    producer.close()

    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "worker.log"
    with wallboard_process(["--config", str(config), "worker"], log) as proc:
        want = {f"{k.call_topic}:applied": CALLS, f"{k.agent_topic}:applied": 1,
                f"{k.call_topic}:key": CALLS + 2, f"{k.agent_topic}:key": 1}
        wait_until(lambda: get_json(f"{base}/api/v1/health")["events"] == want, timeout=120,
                   what="every record judged", proc=proc, log_path=log)
        snap = wait_until(lambda: (s := get_json(f"{base}/api/v1/snapshot"))["feed"]["records"]
                          == len(good) + len(wrong) and s, timeout=30, what="a snapshot")
        billing = snap["segments"]["billing"]
        assert billing["now"]["waiting"] == CALLS  # none answered in another partition
        assert billing["windows"]["15m"]["offered"] == CALLS  # the retry not counted twice
        metrics = get_text(f"{base}/metrics")
    dead = {(s.labels["topic"], s.labels["reason_class"]): s.value
            for f in text_string_to_metric_families(metrics) for s in f.samples
            if s.name == "callcenter_dead_letters_total"}
    assert dead[(k.call_topic, "key")] == CALLS + 2 and dead[(k.agent_topic, "key")] == 1
    assert dead[(k.call_topic, "invalid")] == 0

    letters = read_all(k.bootstrap, [k.dead_letter_topic], len(wrong))
    assert len(letters) == len(wrong)
    reasons = sorted(dict(r.headers)["reason"].decode() for r in letters)
    assert reasons == sorted(
        [f'key: expected "call-{i}", got null' for i in range(CALLS)]
        + ['key: expected "call-0", got "call-1"', 'key: expected "call-3", got "retry"',
           'key: expected "a-1", got "call-0"'])
    assert Counter((r.key, r.value) for r in letters) == Counter(
        (key, orjson.dumps(event)) for _, key, event in wrong)


def read_all(bootstrap: str, topics: list[str], at_least: int = 0,
             timeout_s: float = 60) -> list:
    """Every record of ``topics`` up to their end offsets (at least ``at_least``), polled
    with a deadline."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    deadline = time.monotonic() + timeout_s
    tps = [TopicPartition(t, p) for t in topics for p in sorted(
        wait_until(lambda t=t: consumer.partitions_for_topic(t), timeout=30,
                   what=f"partitions of {t}"))]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    records: list = []
    while time.monotonic() < deadline:
        ends = consumer.end_offsets(tps)
        if len(records) >= at_least and all(consumer.position(tp) >= ends[tp] for tp in tps):
            break
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    consumer.close()
    return records


def sources(tmp_path: Path) -> dict[str, Callable[[KafkaSettings], int]]:
    """Each adapter as its command runs it, by name: a function of the Kafka settings."""
    t0 = 1_795_300_000.0
    recorded = tmp_path / "recorded.jsonl"
    recorded.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in
                                  Simulator(default_models(), start=t0, seed=4).run(t0 + 900)))
    bank = tmp_path / "bank.csv"
    bank.write_text("\n".join([bank_samples.HEADER, bank_samples.AGENT_QUEUED,
                               bank_samples.AGENT_DIRECT, bank_samples.HANG_QUEUED,
                               bank_samples.HANG_WITH_SERVICE_TIMES]) + "\n")
    out: dict[str, Callable[[KafkaSettings], int]] = {
        "replay": lambda k: run_replay(k, ReplayOptions(str(recorded))),
        "simulate": lambda k: run_simulation(k, "UTC", SimulateOptions(seed=5, timing=Timing(
            duration_s=0.5, history_s=300, speed=60.0))),
        "replay-bank": lambda k: run_replay_bank(k, BankOptions(str(bank))),
    }
    for name in ("scenario.queue_log", "scenario.realtime.csv", "scenario.pbxware.csv"):
        out[f"asterisk {name}"] = lambda k, name=name: run_asterisk(
            k, UTC, AsteriskOptions(str(FIXTURES / name)))
    return out


def test_every_source_keys_call_events_by_call_id_and_agent_events_by_agent_id(kafka,
                                                                               tmp_path):
    base = kafka.settings().kafka
    for i, (name, run) in enumerate(sources(tmp_path).items()):
        k = replace(base, call_topic=f"{base.call_topic}-{i}",
                    agent_topic=f"{base.agent_topic}-{i}")
        create_topics(k.bootstrap, {k.call_topic: 3, k.agent_topic: 2}, log=lambda _m: None)
        assert run(k) == 0, name
        records = read_all(k.bootstrap, [k.call_topic, k.agent_topic])
        assert len(records) > 5, name
        processor = Processor(EngineSettings(), time.time, (k.call_topic, k.agent_topic))
        for r in records:
            event = orjson.loads(r.value)
            expected = event["agent_id"] if r.topic == k.agent_topic else event["call_id"]
            assert r.key == expected.encode(), (name, r.topic, r.key, event)
            # the worker's own check, on what the source produced
            assert processor.handle(r.topic, r.partition, r.offset, r.key, r.value) is None, \
                name
        assert processor.counts[(k.call_topic, "key")] == 0, name

"""Exact after kill -9 (issue 10), on the real broker.

Traffic flows into the topics while the worker is killed with SIGKILL three times at random
points and restarted. Each partition restarts from the checkpoint in the compacted state
topic and reads on from the offset stored inside it. The final snapshot (event clock) must
equal one engine fed every event, as of the same instant: counts exact, nothing lost, nothing
counted twice, including ``today`` and the held/orphaned/expired outcomes.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import orjson

from infra.clients import free_port
from schemas import parse_event
from streams.adapters.simulator import Simulator, default_models
from streams.core.engine import Engine
from streams.producer import EventProducer
from tests.support import event_clock_worker, get_json, wait_until
from wallboard.settings import Settings

N_KILLS = 3


def start_worker(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as logf:
        return subprocess.Popen([sys.executable, "-m", "wallboard", "--config", str(config),
                                 "worker"], stdout=logf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def produce_paced(settings, events: list[dict], seconds: float) -> threading.Thread:  # noqa: ANN001
    """Send ``events`` in file order over about ``seconds`` (in the background)."""
    def run() -> None:
        producer = EventProducer(settings.kafka)
        chunk = max(1, len(events) // 100)
        for i in range(0, len(events), chunk):
            producer.send(events[i:i + chunk])
            time.sleep(seconds / 100)
        producer.close()

    thread = threading.Thread(target=run, name="paced-producer")
    thread.start()
    return thread


def test_kill_9_three_times_during_traffic_then_every_figure_is_exact(kafka, tmp_path):
    rng = random.Random(20261130)
    port = free_port()
    settings, config = event_clock_worker(kafka.settings(), tmp_path, port, "kill9")
    now = time.time()
    events = Simulator(default_models(rate=10.0), start=now - 4.5 * 3600, seed=41).advance(now)
    assert len(events) >= 50_000
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "worker.log"
    feeder = produce_paced(settings, events, seconds=24)
    proc = start_worker(config, log)
    try:
        kill_at = sorted(rng.uniform(3, 20) for _ in range(N_KILLS))
        started = time.monotonic()
        for at in kill_at:
            time.sleep(max(0.0, at - (time.monotonic() - started)))
            wait_until(lambda: get_json(f"{base}/api/v1/health")["feed"]["records"] > 0,
                       timeout=60, what="the worker to consume", proc=proc, log_path=log)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc = start_worker(config, log)
        feeder.join()

        health = _caught_up(base, len(events), proc, log)
        snap = wait_until(lambda: (s := get_json(f"{base}/api/v1/snapshot"))["feed"]["records"]
                          == len(events) and not s["freshness"]["stale_partitions"]
                          and all(p["lag"] == 0 for p in s["freshness"]["partitions"]) and s,
                          timeout=30, what="a snapshot after the last event")
    finally:
        feeder.join()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)

    text = log.read_text(errors="replace")
    assert text.count("from its checkpoint at offset") >= 1, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    _check_exact(snap, health, events, settings)


def _caught_up(base: str, n_events: int, proc: subprocess.Popen[bytes], log: Path) -> dict:
    """The worker's health once it applied every event (with the last health seen if not)."""
    seen: list[dict] = []

    def caught_up() -> dict | None:
        health = get_json(f"{base}/api/v1/health")
        seen[:] = [health]
        return health if health["feed"]["records"] == n_events else None

    try:
        return wait_until(caught_up, timeout=120, what="every event applied exactly once",
                          proc=proc, log_path=log)
    except AssertionError:
        last = seen[0] if seen else {}
        raise AssertionError(f"{n_events} events sent; last health: "
                             f"{orjson.dumps(last.get('feed')).decode()} "
                             f"{orjson.dumps(last.get('events')).decode()} "
                             f"{orjson.dumps(last.get('partitions')).decode()}") from None


def _check_exact(snap: dict, health: dict, events: list[dict], settings: Settings) -> None:
    """The final snapshot equals one engine fed every event; each applied once."""
    snap.pop("feed")
    fresh = snap.pop("freshness")
    assert fresh["clock"] == "event"
    expected_engine = Engine(settings.engine)
    for event in events:
        expected_engine.apply(parse_event(orjson.dumps(event)))
    as_of = datetime.fromisoformat(snap["as_of"]).timestamp()
    assert snap == expected_engine.snapshot(as_of)
    # nothing lost, nothing counted twice: every event applied once in all (no duplicates)
    counts = health["events"]
    assert sum(counts.values()) == len(events)
    assert not any(k.endswith(":duplicate") for k in counts), counts
    outcomes = {o: n for o, n in expected_engine.outcomes.items() if n}
    assert health["engine"] == outcomes

"""A real Prometheus (Debian's) scrapes a real worker fed by the real broker.

PromQL over the counters must return the snapshot's figures exactly, and the recorded
service-level rule must agree with the engine's 15-minute service level within what the
window edges allow (docs/metrics.md, "Counters and the window gauges").
"""

from __future__ import annotations

import contextlib
import itertools
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from kafka.partitioner.default import murmur2

from infra.clients import free_port
from streams.adapters.simulator import Simulator, default_models
from streams.config import WorkerSettings
from streams.core.timefmt import rfc3339
from streams.producer import EventProducer
from tests.support import (
    get_json,
    require_tool,
    terminate,
    wait_until,
    wallboard_process,
    write_config,
)
from wallboard.settings import Settings

RULES = Path(__file__).resolve().parents[2] / "prometheus" / "rules.yml"
QUEUES = ("billing", "sales", "support")
COUNTS = {"offered": "calls_offered_total", "answered": "calls_answered_total",
          "answered_in_sl": "calls_answered_in_sl_total", "abandoned": "calls_abandoned_total",
          "short_abandoned": "calls_short_abandoned_total", "handled": "calls_handled_total",
          "sl_met": "service_level_met_total", "sl_missed": "service_level_missed_total",
          "dequeued": "calls_dequeued_total"}


def complete_calls(events: list[dict]) -> list[dict]:
    """The events of the calls that closed: every visit has an outcome, every talk ended
    (so that, once the event clock moves on, every one of their records is final)."""
    by_call: dict[str, list[dict]] = {}
    for e in events:
        if e["type"] != "agent.state":
            by_call.setdefault(e["call_id"], []).append(e)
    closed = set()
    for cid, evs in by_call.items():
        open_visits, talks = 0, 0
        for e in evs:
            kind = e["type"]
            open_visits += (kind == "call.queued") - (kind in (
                "call.answered", "call.abandoned", "call.dequeued"))
            talks += (kind == "call.answered") - (kind == "call.ended" and not e.get("acw", True)) \
                - (kind == "call.wrapup_ended")
        if open_visits == 0 and talks == 0:
            closed.add(cid)
    return [e for e in events if e["type"] == "agent.state" or e["call_id"] in closed]


def ticks(at: float, partitions: int) -> list[dict]:
    """One waiting call per call partition in the queue ``tick``: it moves each partition's
    event clock past every simulated call (so they are final), in a segment of its own."""
    out, covered, i = [], set(), 0
    while len(covered) < partitions:
        cid = f"tick-{i}"
        p = (murmur2(cid.encode()) & 0x7FFFFFFF) % partitions
        if p not in covered:
            covered.add(p)
            out.append({"v": 1, "event_id": f"{cid}-q", "type": "call.queued",
                        "ts": rfc3339(at), "call_id": cid, "queue": "tick"})
        i += 1
    return out


@contextlib.contextmanager
def prometheus(tmp: Path, target: str) -> Iterator[str]:
    binary = require_tool("prometheus")
    port = free_port()
    config = tmp / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {RULES}\n"
        "scrape_configs:\n  - job_name: callcenter-worker\n"
        f"    static_configs:\n      - targets: ['{target}']\n", encoding="utf-8")
    log = (tmp / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(base), timeout=30, what="Prometheus to be ready")
        yield base
    finally:
        terminate(proc)
        log.close()


def _ready(base: str) -> bool:
    try:
        get_json(f"{base}/api/v1/status/runtimeinfo")
    except OSError:
        return False
    return True


def query(base: str, promql: str) -> dict[str, float]:
    """``{segment (or ""): value}`` of an instant query."""
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    data = get_json(url)
    assert data["status"] == "success", data
    return {r["metric"].get("segment", ""): float(r["value"][1])
            for r in data["data"]["result"]}


def test_promql_over_the_counters_equals_the_snapshot(kafka, tmp_path):
    require_tool("prometheus")  # before the worker starts
    settings, config, port = _worker(kafka.settings(), tmp_path)
    now = time.time()
    start, end = now - 12 * 60, now - 3 * 60
    events = complete_calls(Simulator(default_models(rate=2.0), start=start,
                                      seed=11).advance(end))
    calls = [e for e in events if e["type"] != "agent.state"]
    assert sum(e["type"] == "call.queued" for e in calls) > 40

    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "worker.log"
    with wallboard_process(["--config", str(config), "worker"], log) as proc, \
            prometheus(tmp_path, f"127.0.0.1:{port}") as prom:
        wait_until(lambda: query(prom, 'up{job="callcenter-worker"}').get("") == 1,
                   timeout=60, what="Prometheus to scrape the worker", proc=proc, log_path=log)
        _produce(settings, prom, events, (start, end, now), proc, log)

        def settled() -> dict | None:
            snap = get_json(f"{base}/api/v1/snapshot")
            if snap["segments"].get("tick", {}).get("now", {}).get("waiting") != \
                    settings.kafka.call_partitions:
                return None
            offered = query(prom, "sum by (segment) (callcenter_calls_offered_total)")
            want = {q: snap["segments"][q]["windows"]["60m"]["offered"] for q in QUEUES}
            return snap if all(offered.get(q) == n for q, n in want.items()) else None

        snap = wait_until(settled, timeout=40, what="the counters to reach the snapshot",
                          proc=proc, log_path=log)
        _check_counters(prom, snap)
        _check_center(prom, snap, proc, log)
        _check_service_level(prom, snap)
        # pipeline health: owned partitions, lag, event time, build info
        assert query(prom, "count(callcenter_partition_owned)")[""] == \
            settings.kafka.call_partitions + settings.kafka.agent_partitions
        assert query(prom, "sum(callcenter_consumer_lag_records)")[""] == 0
        assert query(prom, "count(callcenter_build_info)")[""] == 1
        assert query(prom, "count(process_resident_memory_bytes)")[""] == 1
        _check_restart(prom, proc, config, tmp_path)


def _worker(settings: Settings, tmp_path: Path) -> tuple[Settings, Path, int]:
    """The worker's settings, its config file and its port."""
    port = free_port()
    settings = replace(settings, worker=WorkerSettings(
        app_id=f"prom-{port}", port=port, state_dir=str(tmp_path / "state"),
        checkpoint_interval_s=0.5))
    config = write_config(tmp_path / "wallboard.toml", settings)
    # calls are final once the event clock is past them: no lateness allowance here
    with config.open("a", encoding="utf-8") as f:
        f.write("[engine]\nmax_lateness_s = 0\nmax_future_s = 1\n")
    return settings, config, port


def _produce(settings: Settings, prom: str, events: list[dict],
             times: tuple[float, float, float], proc: subprocess.Popen, log: Path) -> None:
    """The events, while Prometheus scrapes: first the counters at 0, then four slices,
    then the ticks that make every call final."""
    start, end, now = times
    producer = EventProducer(settings.kafka)
    # First 50 s of event time: every queue appears, no call is final yet (an engine
    # closes calls at most once a minute of event time). Prometheus scrapes the counters
    # at 0 before they rise, as in production, where a call is final minutes after its
    # queue first shows up (max_lateness_s + max_future_s).
    first = start + 50
    sent = producer.send([e for e in events if _ts(e) < first])
    producer.flush()
    partitions = settings.kafka.call_partitions
    wait_until(lambda: query(prom, 'count by (segment) (callcenter_calls_offered_total'
                                   '{segment_type="queue"} == 0)')
               == {q: partitions for q in QUEUES}, timeout=30,
               what="the counters at 0", proc=proc, log_path=log)
    # then in four slices, so the counters rise while Prometheus scrapes
    bounds = [first + (end - first) * i / 4 for i in range(5)]
    for lo, hi in itertools.pairwise(bounds):
        sent += producer.send([e for e in events if lo <= _ts(e) < hi or (hi == end and
                                                                          _ts(e) == end)])
        producer.flush()
        # a scrape after the worker consumed the slice: each series rises between samples
        wait_until(lambda n=sent: query(prom, "sum(callcenter_events_consumed_total)")
                   == {"": n}, timeout=30, what=f"a scrape with {sent} records consumed",
                   proc=proc, log_path=log, every=0.2)
    producer.send(ticks(now, settings.kafka.call_partitions))
    producer.close()


def _check_counters(prom: str, snap: dict) -> None:
    # exact for counts: each figure, per segment, summed over the partitions
    for figure, metric in COUNTS.items():
        got = query(prom, f"sum by (segment) (callcenter_{metric})")
        for q in QUEUES:
            assert got[q] == snap["segments"][q]["windows"]["60m"][figure], (figure, q)
    center = query(prom, 'sum(callcenter_calls_offered_total{segment_type="queue"})')
    assert center[""] == sum(snap["segments"][q]["windows"]["60m"]["offered"]
                             for q in QUEUES)


def _check_center(prom: str, snap: dict, proc: subprocess.Popen, log: Path) -> None:
    # the center-wide gauges are families of their own (the snapshot's "all" segment),
    # never a segment="all" series beside the queues: a plain sum() counts each visit once
    whole = snap["segments"]["all"]
    wait_until(lambda: query(prom, 'callcenter_center_window_offered_calls{window="60m"}')
               == {"": whole["windows"]["60m"]["offered"]} and
               query(prom, "callcenter_center_queue_waiting_calls")
               == {"": whole["now"]["waiting"]}, timeout=20,
               what="the center gauges to show the snapshot", proc=proc, log_path=log)
    assert query(prom, 'sum(callcenter_window_offered_calls{window="60m",'
                       'segment_type="queue"})')[""] == \
        whole["windows"]["60m"]["offered"]  # the queues (tick included) are its parts
    assert query(prom, '{segment="all"}') == {}
    assert query(prom, '{segment_type="all"}') == {}


def _check_service_level(prom: str, snap: dict) -> None:
    # the service level from the counters' values is the engine's 15-minute one
    # (every call lies inside 15 min); the recorded rule uses increase() over what
    # Prometheus saw, so it misses the first sample of each series (docs/metrics.md)
    raw = query(prom, "sum by (segment) (callcenter_service_level_met_total) / sum by "
                      "(segment) ({__name__=~\"callcenter_service_level_(met|missed)_total\"})")
    scraped = max(query(prom, "timestamp(callcenter_calls_offered_total)").values())

    def recorded_after_the_last_scrape() -> dict | None:
        # evaluated after the scrape that brought the final values
        stamps = query(prom, "timestamp(segment:callcenter_service_level:ratio_rate15m)")
        if not all(stamps.get(q, 0) > scraped for q in QUEUES):
            return None
        return query(prom, "segment:callcenter_service_level:ratio_rate15m")

    recorded = wait_until(recorded_after_the_last_scrape, timeout=20,
                          what="the recorded SL")
    for q in QUEUES:
        engine_sl = snap["segments"][q]["windows"]["15m"]["service_level"]
        print(f"{q}: offered {snap['segments'][q]['windows']['60m']['offered']}, SL engine "
              f"15m {engine_sl}, PromQL over counter values {raw[q]:.6f}, recorded rule "
              f"{recorded[q]:.6f}")
        assert abs(raw[q] - engine_sl) <= 5e-5, q  # the snapshot rounds to 4 decimals
        assert abs(recorded[q] - engine_sl) <= 5e-3, (q, recorded[q], engine_sl)


def _check_restart(prom: str, proc: subprocess.Popen, config: Path, tmp_path: Path) -> None:
    # kill -9 and restart: the partitions restore their checkpoints, and every counter
    # goes on from the value Prometheus saw last (no reset, so increase() stays right)
    before = query(prom, "sum by (segment) (callcenter_calls_offered_total)")
    proc.kill()
    proc.wait()
    wait_until(lambda: query(prom, 'up{job="callcenter-worker"}').get("") == 0,
               timeout=20, what="Prometheus to see the worker down")
    with wallboard_process(["--config", str(config), "worker"], tmp_path / "w2.log") as again:
        wait_until(lambda: query(prom, 'up{job="callcenter-worker"}').get("") == 1 and
                   query(prom, "sum by (segment) (callcenter_calls_offered_total)") == before,
                   timeout=40, what="the restarted worker's counters", proc=again,
                   log_path=tmp_path / "w2.log")
        for metric in COUNTS.values():
            resets = query(prom, f"sum(resets(callcenter_{metric}[5m]))")
            assert resets == {"": 0.0}, metric


def _ts(event: dict) -> float:
    from datetime import datetime

    return datetime.fromisoformat(event["ts"].replace("Z", "+00:00")).timestamp()

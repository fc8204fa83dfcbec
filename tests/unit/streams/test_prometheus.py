"""/metrics: conventional names, stable series, counters from the engine's totals, checked by
promtool."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from schemas import parse_event
from streams.adapters.simulator import Simulator, default_models
from streams.core.config import EngineSettings
from streams.core.engine import DEQUEUE_REASONS, TOTALS_BUCKETS, Engine, wait_bucket_edges_ms
from streams.core.partitions import Partitions
from streams.prometheus import (
    CheckpointedTotals,
    MetricsRenderer,
    Pipeline,
    ProcessCounts,
    WallboardCollector,
)

START = 1_795_300_000.0
COUNTERS = {"offered": 0, "answered": 1, "answered_in_sl": 2, "abandoned": 3,
            "short_abandoned": 4, "handled": 6}


def fed_engine() -> Engine:
    engine = Engine(EngineSettings())
    for raw in Simulator(default_models(2.0), start=START, seed=3).advance(START + 3600):
        engine.apply(parse_event(orjson.dumps(raw)))
    return engine


def registry(snap: dict, pipe: Pipeline) -> CollectorRegistry:
    reg = CollectorRegistry()
    reg.register(WallboardCollector(snap, pipe))
    return reg


def test_gauges_and_counters_come_from_the_snapshot_and_the_totals() -> None:
    engine = fed_engine()
    as_of = engine.newest_ms / 1000
    snap = engine.snapshot(as_of)
    engine.to_bytes()  # a checkpoint: its totals are what is exported
    pipe = Pipeline(now=as_of, totals={3: engine.saved_totals},
                    counts={("cc.call-events", "applied"): 10, ("cc.call-events", "invalid"): 2},
                    topics=("cc.call-events", "cc.agent-events"))
    reg = registry(snap, pipe)
    billing = snap["segments"]["billing"]
    lab = {"segment": "billing", "segment_type": "queue"}
    assert reg.get_sample_value("callcenter_queue_waiting_calls", lab) == \
        billing["now"]["waiting"]
    assert reg.get_sample_value("callcenter_agents_staffed", lab) == \
        billing["now"]["agents"]["staffed"]
    assert reg.get_sample_value("callcenter_window_offered_calls", {**lab, "window": "15m"}) \
        == billing["windows"]["15m"]["offered"]
    row = engine.totals["billing"]
    part = {**lab, "partition": "3"}
    for name, slot in COUNTERS.items():
        assert reg.get_sample_value(f"callcenter_calls_{name}_total", part) == row[slot], name
    assert reg.get_sample_value("callcenter_service_level_met_total", part) == row[7]
    assert reg.get_sample_value("callcenter_calls_answered_wait_seconds_count", part) == row[1]
    assert reg.get_sample_value("callcenter_calls_answered_wait_seconds_bucket",
                                {**part, "le": "20.0"}) == row[2]  # SL threshold 20 s
    assert reg.get_sample_value("callcenter_calls_answered_wait_seconds_sum", part) == \
        row[9] / 1000
    assert len(row) == TOTALS_BUCKETS + len(wait_bucket_edges_ms(20_000))
    assert sum(reg.get_sample_value("callcenter_calls_dequeued_total", {**part, "reason": r})
               for r in DEQUEUE_REASONS) == row[5]
    assert reg.get_sample_value("callcenter_calls_offered_total",
                                {"segment": "all", "segment_type": "all", "partition": "3"}) \
        is None  # the total is left to PromQL: sum over the queue segments
    assert sum(reg.get_sample_value("callcenter_calls_offered_total",
                                    {"segment": q, "segment_type": "queue", "partition": "3"})
               for q in engine.totals if q != "all") == engine.totals["all"][0]
    assert reg.get_sample_value("callcenter_dead_letters_total", {
        "topic": "cc.call-events", "reason_class": "invalid"}) == 2
    assert reg.get_sample_value("callcenter_events_consumed_total", {
        "topic": "cc.call-events", "outcome": "invalid"}) == 2
    assert reg.get_sample_value("callcenter_dead_letters_total", {
        "topic": "cc.agent-events", "reason_class": "tombstone"}) == 0  # from 0
    assert reg.get_sample_value("callcenter_build_info",
                                {"version": pipe.info["version"],
                                 "python_version": pipe.info["python_version"]}) == 1


def test_zero_is_exported_and_undefined_is_absent() -> None:
    body = {"now": {"waiting": 0, "oldest_wait_s": None, "waiting_over_sl": 0, "agents": {}},
            "windows": {"15m": {"offered": 0, "service_level": None}},
            "forecast": {"asa_s": None, "arrival_rate_per_min": 3.0}}
    reg = registry({"segments": {"all": body, "billing": body}}, Pipeline(now=0.0))
    # the same rules for a segment and for the whole center (one code path)
    for prefix, lab in (("callcenter_", {"segment": "billing", "segment_type": "queue"}),
                        ("callcenter_center_", {})):
        assert reg.get_sample_value(f"{prefix}queue_oldest_wait_seconds", lab) == 0
        assert reg.get_sample_value(f"{prefix}agents", {**lab, "state": "on_call"}) == 0
        assert reg.get_sample_value(f"{prefix}agents_staffed", lab) == 0
        assert reg.get_sample_value(f"{prefix}window_abandoned_calls",
                                    {**lab, "window": "15m"}) == 0
        assert reg.get_sample_value(f"{prefix}window_service_level_ratio",
                                    {**lab, "window": "15m"}) is None
        assert reg.get_sample_value(f"{prefix}forecast_asa_seconds", lab) is None
        assert reg.get_sample_value(f"{prefix}forecast_arrival_rate_per_second", lab) == 0.05
    assert reg.get_sample_value("callcenter_folded_total", {"kind": "agent_queues"}) == 0
    assert reg.get_sample_value("callcenter_engine_classified_events",
                                {"classification": "orphaned"}) == 0


def _center_figures(snap: dict) -> dict[tuple[str, tuple], float]:
    """Every sample of the callcenter_center_* families, by (name, labels)."""
    text = generate_latest(registry(snap, Pipeline(now=0.0))).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text)
            if f.name.startswith("callcenter_center_") for s in f.samples}


def test_no_segment_series_is_the_center_total() -> None:
    engine = fed_engine()
    engine.to_bytes()
    snap = engine.snapshot(engine.newest_ms / 1000)
    assert "all" in snap["segments"]
    text = generate_latest(registry(snap, Pipeline(now=0.0, totals={0: engine.saved_totals})))
    families = list(text_string_to_metric_families(text.decode()))
    segment_types = {s.labels["segment_type"] for f in families for s in f.samples
                     if "segment_type" in s.labels}
    assert segment_types == {"queue"}
    assert not [s for f in families for s in f.samples if s.labels.get("segment") == "all"]
    # so a plain sum() over the queue series is the center's count (no total beside them)
    reg = registry(snap, Pipeline(now=0.0))
    queues = [q for q in snap["segments"] if q != "all"]
    assert sum(reg.get_sample_value("callcenter_queue_waiting_calls",
                                    {"segment": q, "segment_type": "queue"}) for q in queues) \
        == reg.get_sample_value("callcenter_center_queue_waiting_calls") \
        == snap["segments"]["all"]["now"]["waiting"]
    center = [f for f in families if f.name.startswith("callcenter_center_")]
    assert len(center) == 5 + 9 + 6 + 9  # now, window counts, derived, forecast
    assert all(set(s.labels) <= {"state", "window"} for f in center for s in f.samples)


def test_the_center_families_are_the_snapshots_all_segment() -> None:
    engine = fed_engine()
    snap = engine.snapshot(engine.newest_ms / 1000)
    whole = snap["segments"]["all"]
    reg = registry(snap, Pipeline(now=0.0))
    now, w15, fc = whole["now"], whole["windows"]["15m"], whole["forecast"]
    assert now["waiting"] > 0 and now["oldest_wait_s"] > 0  # a busy center: real figures
    assert reg.get_sample_value("callcenter_center_queue_waiting_calls") == now["waiting"]
    assert reg.get_sample_value("callcenter_center_queue_oldest_wait_seconds") == \
        now["oldest_wait_s"]
    assert reg.get_sample_value("callcenter_center_queue_waiting_over_sl_calls") == \
        now["waiting_over_sl"]
    for state in ("available", "on_call", "acw", "not_ready"):
        assert reg.get_sample_value("callcenter_center_agents", {"state": state}) == \
            now["agents"][state], state
    assert reg.get_sample_value("callcenter_center_agents_staffed") == now["agents"]["staffed"]
    for window, figures in whole["windows"].items():
        assert reg.get_sample_value("callcenter_center_window_offered_calls",
                                    {"window": window}) == figures["offered"], window
    assert reg.get_sample_value("callcenter_center_window_service_level_missed_calls",
                                {"window": "15m"}) == w15["sl_missed"]
    assert reg.get_sample_value("callcenter_center_window_service_level_ratio",
                                {"window": "15m"}) == w15["service_level"]
    assert reg.get_sample_value("callcenter_center_window_aht_seconds",
                                {"window": "15m"}) == w15["aht_s"]
    assert reg.get_sample_value("callcenter_center_forecast_agents_required") == \
        fc["agents_required"]
    assert reg.get_sample_value("callcenter_center_forecast_arrival_rate_per_second") == \
        round(fc["arrival_rate_per_min"] / 60, 9)
    # the center is not a queue: the agent of two queues counts once here, in both queues
    assert reg.get_sample_value("callcenter_center_agents_staffed") <= sum(
        snap["segments"][q]["now"]["agents"]["staffed"] for q in snap["segments"] if q != "all")
    # without an "all" segment the center families exist, with no series
    del snap["segments"]["all"]
    assert _center_figures(snap) == {}
    text = generate_latest(registry(snap, Pipeline(now=0.0))).decode()
    assert "# TYPE callcenter_center_queue_waiting_calls gauge" in text


def test_pipeline_health_per_owned_partition_only() -> None:
    fresh = {"stale_partitions": ["cc.call-events/1"], "partitions": [
        {"topic": "cc.call-events", "partition": 0, "lag": 4, "owner": "here",
         "last_event": "2026-11-22T01:00:00Z", "checkpoint_age_s": 2.5},
        {"topic": "cc.call-events", "partition": 1, "lag": 9, "owner": "another worker",
         "last_event": "2026-11-22T01:00:00Z", "checkpoint_age_s": 1.0}]}
    now = 1_795_309_210.0  # 2026-11-22T01:00:10Z
    reg = registry({"segments": {}, "freshness": fresh},
                   Pipeline(now=now, snapshot_build_s=0.01, broker_reachable=True))
    p0 = {"topic": "cc.call-events", "partition": "0"}
    assert reg.get_sample_value("callcenter_consumer_lag_records", p0) == 4
    assert reg.get_sample_value("callcenter_event_time_lag_seconds", p0) == 10.0
    assert reg.get_sample_value("callcenter_last_event_timestamp_seconds", p0) == now - 10
    assert reg.get_sample_value("callcenter_checkpoint_age_seconds", p0) == 2.5
    assert reg.get_sample_value("callcenter_consumer_lag_records", {**p0, "partition": "1"}) \
        is None  # its owner exports it
    assert reg.get_sample_value("callcenter_stale_partitions") == 1
    assert reg.get_sample_value("callcenter_broker_reachable") == 1


class _State:
    """The parts of streams.core.partitions.PartitionState the exporters read."""

    def __init__(self, engine: Engine | None, at: float | None = None,
                 restored_from: int | None = None, counts: dict | None = None) -> None:
        self.checkpoint_at = at
        self.restored_from = restored_from
        self.processor = SimpleNamespace(engine=engine, counts=Counter(counts or {}))
        # as Partitions.assign: the counts restored from the checkpoint, empty without one
        self.restored_counts = dict(counts or {}) if restored_from is not None else {}


def test_consumed_counts_start_at_zero_with_the_process_and_never_go_down() -> None:
    consumed = ProcessCounts()
    fresh = _State(None)  # started without a checkpoint: everything it counts is ours
    restored = _State(None, restored_from=500, counts={("c", "applied"): 500})
    states = {("c", 0): fresh, ("c", 1): restored}
    assert consumed.update(states) == {("c", "applied"): 0}
    fresh.processor.counts[("c", "applied")] += 3
    restored.processor.counts[("c", "applied")] += 4
    restored.processor.counts[("c", "invalid")] += 1
    assert consumed.update(states) == {("c", "applied"): 7, ("c", "invalid"): 1}
    restored.processor.counts[("c", "applied")] += 1  # applied after that render, then
    del states[("c", 1)]  # revoked: what it counted here, up to the revocation, stays counted
    assert consumed.update(states) == {("c", "applied"): 8, ("c", "invalid"): 1}
    again = _State(None, restored_from=505, counts={("c", "applied"): 505,
                                                     ("c", "invalid"): 1})
    states[("c", 1)] = again  # assigned back from its checkpoint: counts from the restore on
    again.processor.counts[("c", "applied")] += 2  # before the first snapshot saw it: counted
    assert consumed.update(states) == {("c", "applied"): 10, ("c", "invalid"): 1}
    again.processor.counts[("c", "applied")] += 2
    assert consumed.update(states) == {("c", "applied"): 12, ("c", "invalid"): 1}
    moved = _State(None, restored_from=509, counts={("c", "applied"): 509,
                                                     ("c", "invalid"): 1})
    states[("c", 1)] = moved  # revoked and assigned anew between two renders
    assert consumed.update(states) == {("c", "applied"): 12, ("c", "invalid"): 1}


def test_records_applied_after_a_restore_count_before_the_first_render_sees_them() -> None:
    settings = EngineSettings()
    events = Simulator(default_models(2.0), start=START, seed=3).advance(START + 3600)
    lines = [orjson.dumps(e) for e in events if e["type"] != "agent.state"][:500]
    tp = ("calls", 0)
    first = Partitions(settings, lambda: START + 7200, ("calls", "agents"), "app")
    first.assign(tp, None, earliest=0)
    first.handle_batch(tp, [(i, None, line) for i, line in enumerate(lines[:300])])
    checkpoint = first.checkpoint(tp)

    second = Partitions(settings, lambda: START + 7200, ("calls", "agents"), "app")
    assert second.assign(tp, checkpoint) == 300
    restored = dict(second.states[tp].processor.counts)
    assert sum(restored.values()) == 300 and second.states[tp].restored_counts == restored
    second.handle_batch(tp, [(i, None, lines[i]) for i in range(300, 500)])  # N = 200
    consumed = ProcessCounts().update(second.states)  # the first render after the restore
    assert sum(consumed.values()) == 200
    assert consumed == {key: n - restored.get(key, 0)
                        for key, n in second.states[tp].processor.counts.items()}
    assert sum(ProcessCounts().update(first.states).values()) == 300  # no checkpoint: all


def test_exported_totals_follow_acknowledged_checkpoints_only() -> None:
    engine = fed_engine()
    held = CheckpointedTotals()
    state = _State(engine, None)
    assert held.update({("c", 0): state}) == {("c", 0): {}}  # nothing checkpointed yet
    engine.to_bytes()
    state.checkpoint_at = 5.0  # written and acknowledged
    first = held.update({("c", 0): state})[("c", 0)]
    assert first == engine.totals
    engine.to_bytes()  # a checkpoint serialized but not written (yet): not adopted
    engine.saved_totals = {**engine.saved_totals, "all": [n + 7 for n in first["all"]]}
    assert held.update({("c", 0): state})[("c", 0)] is first
    state.checkpoint_at = 10.0  # written
    assert held.update({("c", 0): state})[("c", 0)]["all"][0] == first["all"][0] + 7


@pytest.mark.skipif(shutil.which("promtool") is None, reason="Debian's promtool not installed")
def test_promtool_check_metrics_accepts_our_output() -> None:
    engine = fed_engine()
    engine.to_bytes()
    snap = engine.snapshot(engine.newest_ms / 1000)
    pipe = Pipeline(now=engine.newest_ms / 1000, totals={0: engine.saved_totals},
                    counts={("cc.call-events", "applied"): 5})
    text = MetricsRenderer().encode(snap, pipe, "text/plain")  # what /metrics serves
    assert b"process_cpu_seconds_total" in text and b"python_info" in text
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert b"cc_" not in text.replace(b"cc.call-events", b"")


# -- privacy and cardinality --------------------------------------------------------------------

def test_no_call_id_caller_or_agent_in_any_label() -> None:
    engine = fed_engine()
    engine.to_bytes()
    snap = engine.snapshot(engine.newest_ms / 1000)
    text = generate_latest(registry(snap, Pipeline(now=0.0, totals={0: engine.saved_totals})))
    allowed = {"segment", "segment_type", "partition", "window", "state", "le", "reason",
               "topic", "outcome", "reason_class", "classification", "kind", "version",
               "python_version"}
    seen = set()
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            seen |= set(sample.labels)
    assert seen <= allowed, seen - allowed
    raws = Simulator(default_models(2.0), start=START, seed=3).advance(START + 3600)
    ids = {r["call_id"] for r in raws if "call_id" in r} | {
        r["agent_id"] for r in raws if "agent_id" in r}
    assert not any(f'"{i}"'.encode() in text for i in ids)


def test_segments_past_the_limit_fold_into_other_and_are_counted() -> None:
    from dataclasses import replace

    settings = replace(EngineSettings(), max_segments=4)  # all, other and two queues
    engine = Engine(settings)
    for raw in Simulator(default_models(2.0), start=START, seed=3).advance(START + 1800):
        engine.apply(parse_event(orjson.dumps(raw)))
    snap = engine.snapshot(engine.newest_ms / 1000)
    reg = registry(snap, Pipeline(now=0.0, folded=dict(engine.folded)))
    segments = {s.labels["segment"] for f in reg.collect() for s in f.samples
                if "segment" in s.labels}
    assert len(segments) == 3 and "other" in segments  # "all" is the center families
    assert reg.get_sample_value("callcenter_center_queue_waiting_calls") == \
        snap["segments"]["all"]["now"]["waiting"]
    assert reg.get_sample_value("callcenter_folded_total", {"kind": "queue_events"}) > 0


# -- rules, runbook, dashboard ------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[3]
RULES = yaml.safe_load((ROOT / "prometheus" / "rules.yml").read_text())
RULE_TESTS = yaml.safe_load((ROOT / "prometheus" / "rules.test.yml").read_text())
ALL_RULES = [rule for group in RULES["groups"] for rule in group["rules"]]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="Debian's promtool not installed")
def test_promtool_rule_tests_pass() -> None:
    result = subprocess.run(["promtool", "test", "rules", "rules.test.yml"],
                            cwd=ROOT / "prometheus", capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_rule_has_a_test_that_sees_it_produce_something() -> None:
    exprs = [t["expr"] for case in RULE_TESTS["tests"]
             for t in case.get("promql_expr_test", []) if t.get("exp_samples")]
    firing = {t["alertname"] for case in RULE_TESTS["tests"]
              for t in case.get("alert_rule_test", []) if t.get("exp_alerts")}
    quiet = {t["alertname"] for case in RULE_TESTS["tests"]
             for t in case.get("alert_rule_test", []) if not t.get("exp_alerts")}
    for rule in ALL_RULES:
        if "record" in rule:
            assert any(rule["record"] in e for e in exprs), rule["record"]
        else:
            assert rule["alert"] in firing, rule["alert"]
    assert {"CallcenterServiceLevelLow", "CallcenterConsumerLagGrowing"} <= quiet


def test_every_alert_has_for_severity_summary_and_a_runbook_section() -> None:
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    anchors = {"#" + re.sub(r"[^a-z0-9 -]", "", line[3:].strip().lower()).replace(" ", "-")
               for line in runbook.splitlines() if line.startswith("## ")}
    alerts = [r for r in ALL_RULES if "alert" in r]
    assert {a["alert"] for a in alerts} >= {
        "CallcenterServiceLevelLow", "CallcenterOldestWaitHigh", "CallcenterFeedStalled",
        "CallcenterConsumerLagGrowing", "CallcenterWorkerDown", "CallcenterDeadLettersRising"}
    for alert in alerts:
        assert alert["for"] and alert["labels"]["severity"] in {"warning", "critical"}
        assert alert["annotations"]["summary"]
        link = alert["annotations"]["runbook_url"]
        assert link.startswith("docs/runbook.md#"), link
        assert link.removeprefix("docs/runbook.md") in anchors, link


def _exported_names() -> set[str]:
    engine = fed_engine()
    engine.to_bytes()
    snap = engine.snapshot(engine.newest_ms / 1000)
    snap["freshness"] = {"partitions": [{"topic": "t", "partition": 0, "owner": "here",
                                         "lag": 0, "last_event": "2026-11-22T01:00:00Z",
                                         "checkpoint_age_s": 1.0}], "stale_partitions": []}
    pipe = Pipeline(now=0.0, totals={0: engine.saved_totals}, last_record_age_s=1.0,
                    counts={("t", "applied"): 1})
    text = generate_latest(registry(snap, pipe)).decode()
    names = {s.name for f in text_string_to_metric_families(text) for s in f.samples}
    return names | {r["record"] for r in ALL_RULES if "record" in r}


def test_the_dashboard_is_grafanas_schema_output_and_queries_what_we_export(tmp_path) -> None:
    sys.path.insert(0, str(ROOT / "prometheus"))
    try:
        import grafana_dashboard
    finally:
        sys.path.remove(str(ROOT / "prometheus"))
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models.dashboard import Dashboard

    committed = (ROOT / "prometheus" / "grafana" / "callcenter.json").read_text()
    assert committed == grafana_dashboard.render(), "run prometheus/grafana_dashboard.py"
    board = json.loads(committed)
    assert json.loads(json.dumps(Dashboard.from_json(board), cls=JSONEncoder)) == board
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 20
    titles = " ".join(p["title"] for p in board["panels"]).lower()
    for word in ("service level", "wait", "offered", "agents", "consumer lag", "dead letters"):
        assert word in titles, word
    exported = _exported_names() | {"up"}
    for expr in exprs:
        for name in re.findall(r"\b(?:callcenter_\w+|segment:\w+:\w+|callcenter:\w+:\w+|"
                               r"process_\w+)", expr):
            assert name in exported or name.startswith("process_"), (name, expr)
    if shutil.which("promtool") is None:
        return
    # every query is valid PromQL: promtool parses them as recording rules
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:q{i}", "expr": e.replace("$segment", ".*")}
        for i, e in enumerate(exprs)]}]}
    (tmp_path / "q.yml").write_text(yaml.safe_dump(rules))
    result = subprocess.run(["promtool", "check", "rules", str(tmp_path / "q.yml")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_counters_start_at_zero_for_every_segment_of_every_owned_partition() -> None:
    # a segment in the snapshot with no final call yet: its counters exist, at 0, so that
    # increase() sees the first call (a series born at 1 would hide it)
    snap = {"segments": {"all": {}, "billing": {}, "vip": {}}}
    pipe = Pipeline(now=0.0, totals={0: {}, 1: {"billing": [0] * 11 + [2] + [0] * 19}},
                    configured=frozenset({"vip"}), sl_threshold_ms={"vip": 10_000})
    reg = registry(snap, pipe)
    for partition in ("0", "1"):
        assert reg.get_sample_value("callcenter_calls_offered_total", {
            "segment": "vip", "segment_type": "configured", "partition": partition}) == 0
        assert reg.get_sample_value("callcenter_calls_answered_wait_seconds_bucket", {
            "segment": "vip", "segment_type": "configured", "partition": partition,
            "le": "10.0"}) == 0  # the segment's own threshold is a bucket edge
    assert reg.get_sample_value("callcenter_calls_dequeued_total", {
        "segment": "billing", "segment_type": "queue", "partition": "1",
        "reason": "timeout"}) == 2


def test_docs_list_every_metric_family() -> None:
    def names(text: str) -> set[str]:
        out = set(re.findall(r"callcenter_\w+", text))
        for head, parts, tail in re.findall(r"callcenter_(\w*)\{([\w,]+)\}(\w*)", text):
            out |= {f"callcenter_{head}{part}{tail}" for part in parts.split(",")}
        return out

    docs = names((ROOT / "docs" / "metrics.md").read_text())
    readme = names((ROOT / "README.md").read_text())
    text = generate_latest(registry(*_sample_with_everything())).decode()
    for family in text_string_to_metric_families(text):
        name = family.name + ("_total" if family.type == "counter" else "")
        assert name in docs, name
        assert name in readme, name


def _sample_with_everything() -> tuple[dict, Pipeline]:
    engine = fed_engine()
    engine.to_bytes()
    snap = engine.snapshot(engine.newest_ms / 1000)
    return snap, Pipeline(now=0.0, totals={0: engine.saved_totals})


def test_the_renderer_reuses_the_counter_block_until_a_checkpoint_changes_it() -> None:
    snap, pipe = _sample_with_everything()
    renderer = MetricsRenderer()
    text = renderer.encode(snap, pipe, "text/plain")
    whole = generate_latest(registry(snap, pipe))

    def samples(data: bytes) -> set:
        return {(s.name, tuple(sorted(s.labels.items())), s.value)
                for f in text_string_to_metric_families(data.decode())
                for s in f.samples if not s.name.startswith(("process_", "python_"))}

    assert samples(text) == samples(whole)
    block = renderer._text
    renderer.encode(snap, pipe, "text/plain")
    assert renderer._text is block  # same totals objects: not rendered again
    changed = {p: {seg: [n + 1 for n in row] for seg, row in t.items()}
               for p, t in pipe.totals.items()}  # a new checkpoint adopted
    again = renderer.encode(snap, Pipeline(now=0.0, totals=changed), "text/plain")
    assert renderer._text is not block and samples(again) != samples(text)
    om = renderer.encode(snap, pipe, "application/openmetrics-text; version=1.0.0")
    assert om.endswith(b"# EOF\n") and b"callcenter_calls_offered_total" in om

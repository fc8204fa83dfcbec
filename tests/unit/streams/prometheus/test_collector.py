"""streams.prometheus.collector: every family from one snapshot and its Pipeline: the
values are the snapshot's and the totals', no label carries an identity, and the docs list
every family."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from streams.adapters.simulator import Simulator, default_models
from streams.core.engine import DEQUEUE_REASONS, TOTALS_BUCKETS, wait_bucket_edges_ms
from streams.prometheus import Pipeline
from tests.unit.streams.prometheus.support import (
    COUNTERS,
    START,
    _sample_with_everything,
    fed_engine,
    registry,
)

ROOT = Path(__file__).resolve().parents[4]


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

"""streams.prometheus.gauges: the snapshot's segment figures per segment and for the whole
center (its own families, never a segment beside the others); 0 exported, undefined absent."""

from __future__ import annotations

from dataclasses import replace

import orjson
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from schemas import parse_event
from streams.adapters.simulator import Simulator, default_models
from streams.core.config import EngineSettings
from streams.core.engine import Engine
from streams.prometheus import Pipeline
from tests.unit.streams.prometheus.support import START, fed_engine, registry


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


def test_segments_past_the_limit_fold_into_other_and_are_counted() -> None:
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

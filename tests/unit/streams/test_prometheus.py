from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from streams.prometheus import WallboardCollector

SNAP = {"as_of": "2026-11-22T01:15:00Z", "segments": {
    "billing": {"now": {"waiting": 3, "oldest_wait_s": 42.5, "waiting_over_sl": 1,
                        "agents": {"available": 2, "staffed": 12}},
                "windows": {"15m": {"offered": 40, "answered": 35, "service_level": None}}},
    "all": {"now": {"waiting": 0, "oldest_wait_s": None, "waiting_over_sl": 0, "agents": {}},
            "windows": {}},
}}


def registry() -> CollectorRegistry:
    reg = CollectorRegistry()
    reg.register(WallboardCollector(lambda: SNAP, lambda: {("calls", "applied"): 7}))
    return reg


def test_values_come_from_the_snapshot():
    reg = registry()
    assert reg.get_sample_value("cc_queue_waiting", {"segment": "billing"}) == 3
    assert reg.get_sample_value("cc_queue_oldest_wait_seconds", {"segment": "billing"}) == 42.5
    assert reg.get_sample_value("cc_agents", {"segment": "billing", "state": "staffed"}) == 12
    assert reg.get_sample_value("cc_window_offered", {"segment": "billing", "window": "15m"}) == 40
    assert reg.get_sample_value("cc_events_total", {"topic": "calls", "outcome": "applied"}) == 7


def test_null_and_missing_figures_are_absent_not_zero():
    reg = registry()
    assert reg.get_sample_value("cc_queue_oldest_wait_seconds", {"segment": "all"}) is None
    assert reg.get_sample_value("cc_window_abandoned",
                                {"segment": "billing", "window": "15m"}) is None
    assert b"cc_queue_waiting" in generate_latest(reg)


def test_every_window_figure_forecast_and_engine_outcomes_are_exported():
    from streams.engine import WINDOW_KEYS

    window = {k: i + 1 for i, k in enumerate(WINDOW_KEYS)}
    forecast = {"arrival_rate_per_min": 2.5, "aht_s": 290.5, "staffed": 12,
                "traffic_erlangs": 12.1, "overloaded": True, "p_wait": 1.0,
                "service_level": 0.0, "asa_s": None, "occupancy": None, "agents_required": 17}
    snap = {"segments": {"q": {"now": {}, "windows": {"5m": window}, "forecast": forecast}}}
    reg = CollectorRegistry()
    reg.register(WallboardCollector(lambda: snap, dict, lambda: {"held": 2, "orphaned": 0}))
    labels = {"segment": "q", "window": "5m"}
    assert reg.get_sample_value("cc_window_sl_missed", labels) == window["sl_missed"]
    assert reg.get_sample_value("cc_window_asa_seconds", labels) == window["asa_s"]
    assert reg.get_sample_value("cc_window_abandon_rate", labels) == window["abandon_rate"]
    assert reg.get_sample_value("cc_forecast_overloaded", {"segment": "q"}) == 1.0
    assert reg.get_sample_value("cc_forecast_agents_required", {"segment": "q"}) == 17
    assert reg.get_sample_value("cc_forecast_asa_seconds", {"segment": "q"}) is None
    assert reg.get_sample_value("cc_engine_events", {"outcome": "held"}) == 2
    assert reg.get_sample_value("cc_engine_events", {"outcome": "orphaned"}) is None

"""The surge kind in the engine: a burst above the EWMA baseline fires, a tiny queue stays
quiet (:mod:`alerts.core.surge_rule`)."""

from __future__ import annotations

import math

import pytest

from alerts.config import parse_alerts
from alerts.core import AlertEngine
from alerts.surge import poisson_tail


def test_surge_rule_fires_on_a_burst_above_the_ewma_baseline():
    eng = AlertEngine(parse_alerts({"rules": {"surge": {
        "kind": "surge", "window": "5m", "p_warning": 1e-6, "p_critical": 1e-9,
        "min_count": 10, "ewma_half_life": "1h"}}}))
    t0 = 1_800_000_000.0

    def s(count):
        return {"segments": {"billing": {"windows": {"5m": {"offered": count}}}}}

    for i in range(60):  # an hour of ordinary traffic: 12 calls per 5 minutes
        assert eng.step(s(12), t0 + i * 60) == []
    (n,) = eng.step(s(40), t0 + 3600)  # 40 in 5 min vs 12 usual
    assert n.status == "firing" and n.severity == "critical"
    assert n.details["expected"] == pytest.approx(12.0)
    assert n.details["p"] == pytest.approx(poisson_tail(40, 12.0), rel=1e-9)
    assert n.value == pytest.approx(-math.log10(poisson_tail(40, 12.0)))



def test_min_count_keeps_a_tiny_queue_quiet():
    eng = AlertEngine(parse_alerts({"rules": {"surge": {"kind": "surge", "min_count": 10}}}))
    t0 = 1_800_000_000.0
    for i in range(30):
        eng.step({"segments": {"q": {"windows": {"5m": {"offered": 0}}}}}, t0 + i * 60)
    # 8 calls where 0 are usual: p is astronomically small, but below the minimum count
    assert eng.step({"segments": {"q": {"windows": {"5m": {"offered": 8}}}}}, t0 + 1800) == []

"""Backtests on simulated days: no page on an ordinary day, a page on a 3x surge
(:mod:`alerts.backtest`)."""

from __future__ import annotations

import orjson

from alerts.backtest import run_backtest
from alerts.config import parse_alerts
from streams.adapters.simulator import INTRADAY_PROFILE, Simulator, Surge, day_models
from streams.core.config import EngineSettings


def _simulated(days: float, surge: Surge | None, seed: int = 3) -> list[bytes]:
    start = 1_795_132_800.0  # 2026-11-20T00:00:00Z
    sim = Simulator(day_models(1.0), start=start, seed=seed, tz="UTC", surge=surge,
                    profile=INTRADAY_PROFILE)
    return [orjson.dumps(e) for e in sim.run(start + days * 86400)]



SURGE_RULES = {"rules": {"surge": {
    "kind": "surge", "segments": ["*", "!all"], "window": "5m", "p_warning": 1e-7,
    "p_critical": 1e-10, "p_clear": 1e-3, "min_count": 12, "for": "30s",
    "keep_firing_for": "2m"}}}



def test_no_page_on_an_ordinary_day_and_a_page_on_a_3x_surge():
    start = 1_795_132_800.0
    surge_at = start + 86400 + 10 * 3600  # day 2, 10:00
    lines = _simulated(2, Surge("billing", surge_at, 1800, 3.0))
    result = run_backtest(lines, EngineSettings(), parse_alerts(SURGE_RULES), every=60,
                          warmup_s=86400)
    incidents = [(i.segment, i.start - surge_at) for i in result.incidents]
    billing = [d for seg, d in incidents if seg == "billing"]
    assert len(billing) == 1 and 0 < billing[0] <= 600, incidents  # within 10 minutes
    # nothing else, except the overflow of the surging billing queue into support
    others = [(seg, d) for seg, d in incidents if seg != "billing"]
    assert all(seg == "support" and 0 < d <= 1800 + 300 for seg, d in others), incidents

"""The threshold and staffing kinds: the minimum volume, the staffing gap
(:mod:`alerts.core.kinds`)."""

from __future__ import annotations

from ..one_rule import T0, engine, run, snap


def test_min_volume_keeps_small_queues_quiet():
    eng = engine({"figure": "windows.15m.abandon_rate", "above": 0.2, "min_volume": 10})
    assert eng.rules["r"].volume == "windows.15m.offered"
    quiet = eng.step(snap(windows__15m__abandon_rate=1.0, windows__15m__offered=1), T0)
    assert quiet == []
    loud = eng.step(snap(windows__15m__abandon_rate=0.3, windows__15m__offered=12), T0 + 10)
    assert [n.status for n in loud] == ["firing"]


def test_staffing_gap_sustained():
    eng = engine({"kind": "staffing", "gap": 2, "for": "20s"})
    def make(gap):
        return snap(forecast__agents_required=5 + gap, now__agents__staffed=5)

    assert run(eng, [2, 2, 2, 1, 3, 0], make=make) == [(20, "firing", "warning"),
                                                       (50, "resolved", "warning")]

"""The alert lifecycle, table-driven: verdicts, hysteresis, ``for``, ``keep_firing_for``,
severity upgrades and the no-data policies (:mod:`alerts.core.lifecycle`)."""

from __future__ import annotations

import pytest

from alerts.core import fingerprint

from ..one_rule import T0, WAIT, engine, run, snap


@pytest.mark.parametrize(("rule", "values", "expected"), [
    # for: 30 s of a true condition before firing; a shorter blip never fires
    ({**WAIT, "for": "30s"}, [0, 70, 70, 70, 70, 0], [(40, "firing", "warning"),
                                                      (50, "resolved", "warning")]),
    ({**WAIT, "for": "30s"}, [0, 70, 70, 0, 70, 70, 0], []),
    # for = 0: fires on the first evaluation past the threshold
    (WAIT, [70, 0], [(0, "firing", "warning"), (10, "resolved", "warning")]),
    # hysteresis: a noisy series around the threshold, never below clear: one incident
    ({**WAIT, "clear": 40}, [70, 55, 65, 50, 62, 45, 61, 30], [(0, "firing", "warning"),
                                                               (70, "resolved", "warning")]),
    # ... and the same series without a clear threshold flaps
    (WAIT, [70, 55, 65], [(0, "firing", "warning"), (10, "resolved", "warning"),
                          (20, "firing", "warning")]),
    # keep_firing_for: 25 s after the first clear evaluation
    ({**WAIT, "keep_firing_for": "25s"}, [70, 0, 0, 70, 0, 0, 0, 0],
     [(0, "firing", "warning"), (70, "resolved", "warning")]),
    # severity upgrade: the same incident, notified once more; no downgrade notice
    ({**WAIT, "critical": 120}, [70, 130, 70, 0], [(0, "firing", "warning"),
                                                  (10, "firing", "critical"),
                                                  (30, "resolved", "critical")]),
    # critical from the start
    ({**WAIT, "critical": 120}, [130, 0], [(0, "firing", "critical"),
                                          (10, "resolved", "critical")]),
    # below, with a clear threshold
    ({"figure": "windows.15m.service_level", "below": 0.8, "clear": 0.85},
     [0.7, 0.82, 0.7, 0.9], [(0, "firing", "warning"), (30, "resolved", "warning")]),
])
def test_lifecycle_table(rule, values, expected):
    make = None
    if rule["figure"].startswith("windows"):
        def make(v):
            return snap(windows__15m__service_level=v, windows__15m__offered=50)
    assert run(engine(rule), values, make=make) == expected


def test_severity_upgrade_keeps_the_fingerprint():
    eng = engine({**WAIT, "critical": 120})
    first = eng.step(snap(now__oldest_wait_s=70), T0)
    second = eng.step(snap(now__oldest_wait_s=130), T0 + 10)
    assert first[0].fingerprint == second[0].fingerprint == fingerprint(
        {"alertname": "r", "segment": "billing"})
    assert second[0].reason == "severity upgraded"
    assert (first[0].labels["severity"], second[0].labels["severity"]) == ("warning", "critical")
    assert len(eng.instances) == 1


@pytest.mark.parametrize(("policy", "expected"), [
    ("ok", [(0, "firing"), (10, "resolved")]),
    ("keep_last", [(0, "firing"), (30, "resolved")]),
    ("alerting", [(0, "firing"), (30, "resolved")]),
])
def test_on_no_data(policy, expected):
    eng = engine({**WAIT, "on_no_data": policy})
    got = [(t, s) for t, s, _ in run(eng, [70, "gap", "gap", 0])]
    assert got == expected


def test_a_null_figure_is_nothing_to_judge_not_missing_data():
    # oldest_wait_s is null when no one waits: the alert resolves, whatever on_no_data says
    for policy in ("ok", "keep_last", "alerting"):
        eng = engine({**WAIT, "on_no_data": policy})
        assert run(eng, [70, None]) == [(0, "firing", "warning"), (10, "resolved", "warning")]


def test_keep_last_resolves_after_no_data_resolve():
    eng = engine({**WAIT, "no_data_resolve": "60s"})  # on_no_data = keep_last by default
    assert run(eng, [70] + ["gap"] * 8) == [(0, "firing", "warning"),
                                            (70, "resolved", "warning")]

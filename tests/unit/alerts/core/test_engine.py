"""The engine facade: silences, vanished segments, restarts from the saved records,
Alertmanager refreshes and the bound on instances (:mod:`alerts.core.engine`)."""

from __future__ import annotations

from alerts.config import parse_matcher

from ..one_rule import T0, WAIT, engine, run, snap


def test_silence_mutes_everything_including_the_resolve():
    eng = engine(WAIT)
    eng.add_silence([parse_matcher("m", 'segment="billing"')], T0, T0 + 3600, "ops",
                    "maintenance", T0)
    assert eng.step(snap(now__oldest_wait_s=70), T0) == []
    inst = next(iter(eng.instances.values()))
    assert inst.state == "firing" and inst.muted_by.startswith("silence:")
    assert eng.view(T0)["active"][0]["suppressed"] is True
    assert eng.step(snap(now__oldest_wait_s=0), T0 + 10) == []
    # a matcher on another segment does not mute billing
    eng2 = engine(WAIT)
    eng2.add_silence([parse_matcher("m", 'segment=~"sal.*"')], T0, T0 + 3600, "ops", "", T0)
    assert [n.status for n in eng2.step(snap(now__oldest_wait_s=70), T0)] == ["firing"]


def test_silence_that_ends_lets_a_still_firing_alert_through():
    eng = engine(WAIT)
    s = eng.add_silence([parse_matcher("m", 'alertname="r"')], T0, T0 + 30, "ops", "", T0)
    assert eng.step(snap(now__oldest_wait_s=70), T0) == []
    assert [n.reason for n in eng.step(snap(now__oldest_wait_s=70), T0 + 30)] == [
        "first notification"]
    assert s.id not in eng.silences  # expired silences are dropped


def test_on_no_data_alerting_fires_when_the_segment_is_missing():
    eng = engine({**WAIT, "on_no_data": "alerting", "segments": ["billing"]})
    assert eng.step({"segments": {"sales": {}}}, T0) == []  # billing never seen: no instance
    eng.step(snap(now__oldest_wait_s=10), T0 + 10)
    assert [n.status for n in eng.step({"segments": {"sales": {}}}, T0 + 20)] == ["firing"]


def test_restart_neither_pages_again_nor_loses_the_resolve():
    rule = {**WAIT, "for": "20s"}
    eng = engine(rule, repeat_interval="1h")
    records: dict = {}

    def save():
        for k, v in eng.drain_dirty().items():
            if v is None:
                records.pop(k, None)
            else:
                records[k] = v

    assert run(eng, [70, 70, 70]) == [(20, "firing", "warning")]
    save()
    eng = engine(rule, repeat_interval="1h")  # the process died; a new one restores
    eng.restore(records)
    assert eng.step(snap(now__oldest_wait_s=70), T0 + 30) == []  # no second page
    resolved = eng.step(snap(now__oldest_wait_s=0), T0 + 40)
    assert [(n.status, n.starts_at) for n in resolved] == [("resolved", T0 + 20)]


def test_pending_survives_a_restart_and_for_keeps_counting():
    rule = {**WAIT, "for": "20s"}
    eng = engine(rule)
    eng.step(snap(now__oldest_wait_s=70), T0)
    records = {k: v for k, v in eng.drain_dirty().items() if v}
    eng2 = engine(rule)
    eng2.restore(records)
    assert [n.status for n in eng2.step(snap(now__oldest_wait_s=70), T0 + 20)] == ["firing"]


def test_refresh_gives_alertmanager_leases_and_recent_resolves():
    eng = engine(WAIT, eval_interval="10s", lease_evaluations=4, resolved_retention="60s")
    eng.step(snap(now__oldest_wait_s=70), T0)
    (lease,) = eng.refresh(T0 + 5)
    assert lease.status == "firing" and lease.ends_at == T0 + 5 + 40
    eng.step(snap(now__oldest_wait_s=0), T0 + 10)
    (gone,) = eng.refresh(T0 + 20)
    assert gone.status == "resolved" and gone.ends_at == T0 + 10
    eng.step(snap(now__oldest_wait_s=0), T0 + 100)
    assert eng.refresh(T0 + 100) == []  # past resolved_retention


def test_instances_are_bounded():
    eng = engine({**WAIT, "segments": ["*"]}, max_instances=3)
    segs = {f"q{i}": {"now": {"oldest_wait_s": 100}} for i in range(10)}
    eng.step({"segments": segs}, T0)
    assert len(eng.instances) == 3

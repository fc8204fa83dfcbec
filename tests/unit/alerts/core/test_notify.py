"""The notification log: repeats, acknowledgements, snoozes, and a failed delivery sent
again (:mod:`alerts.core.notify`)."""

from __future__ import annotations

from ..one_rule import T0, WAIT, engine, snap


def test_repeat_interval_and_ack_and_snooze():
    eng = engine(WAIT, repeat_interval="60s")
    fp = eng.step(snap(now__oldest_wait_s=70), T0)[0].fingerprint
    repeats = [t for t in range(10, 200, 10)
               if eng.step(snap(now__oldest_wait_s=70), T0 + t)]
    assert repeats == [60, 120, 180]
    # acknowledged: no repeats until it expires, but an upgrade would still go out
    eng.acknowledge(fp, "lead", T0 + 400)
    assert [t for t in range(200, 400, 10) if eng.step(snap(now__oldest_wait_s=70), T0 + t)] == []
    assert eng.step(snap(now__oldest_wait_s=70), T0 + 400)[0].reason == "repeat interval elapsed"
    # snoozed: nothing until it expires; the resolve still arrives while snoozed
    eng.snooze(fp, "lead", T0 + 10_000)
    assert [t for t in range(410, 600, 10) if eng.step(snap(now__oldest_wait_s=70), T0 + t)] == []
    resolved = eng.step(snap(now__oldest_wait_s=0), T0 + 600)
    assert [(n.status, n.reason) for n in resolved] == [("resolved", "resolved")]


def test_snooze_mutes_an_upgrade_ack_does_not():
    for action, expected in (("acknowledge", ["firing"]), ("snooze", [])):
        eng = engine({**WAIT, "critical": 120})
        fp = eng.step(snap(now__oldest_wait_s=70), T0)[0].fingerprint
        getattr(eng, action)(fp, "lead", T0 + 3600)
        assert [n.status for n in eng.step(snap(now__oldest_wait_s=130), T0 + 10)] == expected


def test_delivery_failure_is_retried_next_step():
    eng = engine(WAIT)
    notice = eng.step(snap(now__oldest_wait_s=70), T0)[0]
    eng.delivery_failed(notice)
    assert [n.reason for n in eng.step(snap(now__oldest_wait_s=70), T0 + 10)] == [
        "first notification"]

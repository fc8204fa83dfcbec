"""The alert lifecycle, table-driven, on an injected clock (``t`` is passed to every step)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from alerts.config import parse_alerts, parse_matcher
from alerts.core import AlertEngine, fingerprint

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z, a Friday


def engine(rule: dict, **top) -> AlertEngine:
    return AlertEngine(parse_alerts({"rules": {"r": rule}, **top}))


def snap(seg: str = "billing", **figures) -> dict:
    """A snapshot of one segment; figures like ``windows__15m__service_level=0.5``."""
    data: dict = {"now": {"agents": {}}, "windows": {"15m": {}}, "forecast": {}}
    for key, value in figures.items():
        *path, last = key.split("__")
        node = data
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return {"segments": {seg: data}}


def run(eng: AlertEngine, values: list, step: float = 10.0, start: float = T0,
        make=None) -> list[tuple[float, str, str]]:
    """Feed ``values`` (one per step); return ``(t, status, severity)`` of every notice."""
    make = make or (lambda v: snap(now__oldest_wait_s=v))
    out = []
    for i, v in enumerate(values):
        t = start + i * step
        for n in eng.step(make(v) if v != "gap" else None, t):
            out.append((t - start, n.status, n.severity))
    return out


WAIT = {"figure": "now.oldest_wait_s", "above": 60}


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


def test_min_volume_keeps_small_queues_quiet():
    eng = engine({"figure": "windows.15m.abandon_rate", "above": 0.2, "min_volume": 10})
    assert eng.rules["r"].volume == "windows.15m.offered"
    quiet = eng.step(snap(windows__15m__abandon_rate=1.0, windows__15m__offered=1), T0)
    assert quiet == []
    loud = eng.step(snap(windows__15m__abandon_rate=0.3, windows__15m__offered=12), T0 + 10)
    assert [n.status for n in loud] == ["firing"]


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


@pytest.mark.parametrize(("policy", "expected"), [
    ("ok", [(0, "firing"), (10, "resolved")]),
    ("keep_last", [(0, "firing"), (30, "resolved")]),
    ("alerting", [(0, "firing"), (30, "resolved")]),
])
def test_on_no_data(policy, expected):
    eng = engine({**WAIT, "on_no_data": policy})
    got = [(t, s) for t, s, _ in run(eng, [70, "gap", "gap", 0])]
    assert got == expected


def test_on_no_data_alerting_fires_when_the_segment_is_missing():
    eng = engine({**WAIT, "on_no_data": "alerting", "segments": ["billing"]})
    assert eng.step({"segments": {"sales": {}}}, T0) == []  # billing never seen: no instance
    eng.step(snap(now__oldest_wait_s=10), T0 + 10)
    assert [n.status for n in eng.step({"segments": {"sales": {}}}, T0 + 20)] == ["firing"]


def test_a_null_figure_is_nothing_to_judge_not_missing_data():
    # oldest_wait_s is null when no one waits: the alert resolves, whatever on_no_data says
    for policy in ("ok", "keep_last", "alerting"):
        eng = engine({**WAIT, "on_no_data": policy})
        assert run(eng, [70, None]) == [(0, "firing", "warning"), (10, "resolved", "warning")]


def test_keep_last_resolves_after_no_data_resolve():
    eng = engine({**WAIT, "no_data_resolve": "60s"})  # on_no_data = keep_last by default
    assert run(eng, [70] + ["gap"] * 8) == [(0, "firing", "warning"),
                                            (70, "resolved", "warning")]


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


def test_delivery_failure_is_retried_next_step():
    eng = engine(WAIT)
    notice = eng.step(snap(now__oldest_wait_s=70), T0)[0]
    eng.delivery_failed(notice)
    assert [n.reason for n in eng.step(snap(now__oldest_wait_s=70), T0 + 10)] == [
        "first notification"]


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


# -- schedules ---------------------------------------------------------------------------------


def _at(text: str, tz: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp()


@pytest.mark.parametrize(("local", "notified"), [
    ("2027-01-15 21:59", True),   # Friday before quiet hours
    ("2027-01-15 22:00", False),  # quiet from 22:00 ...
    ("2027-01-16 03:00", False),  # ... across midnight ...
    ("2027-01-16 06:59", False),
    ("2027-01-16 07:00", True),   # ... to 07:00
])
def test_quiet_hours_across_midnight(local, notified):
    tz = "Europe/Berlin"
    eng = engine(WAIT, timezone=tz, schedules={"all": {"quiet": ["22:00-07:00"]}})
    got = eng.step(snap(now__oldest_wait_s=70), _at(local, tz))
    assert bool(got) is notified
    assert next(iter(eng.instances.values())).state == "firing"  # evaluated either way


@pytest.mark.parametrize(("local", "open_"), [
    # DST in Europe/Berlin ends 2026-10-25 03:00 -> 02:00; starts 2027-03-28 02:00 -> 03:00
    ("2026-10-24 08:30", True), ("2026-10-25 07:59", False), ("2026-10-25 08:00", True),
    ("2026-10-25 17:59", True), ("2026-10-25 18:00", False),
    ("2027-03-28 07:59", False), ("2027-03-28 08:00", True), ("2027-03-28 18:00", False),
])
def test_business_hours_keep_local_time_across_dst(local, open_):
    tz = "Europe/Berlin"
    eng = engine(WAIT, timezone=tz, schedules={"q": {"segments": ["bill*"],
                                                     "open": ["08:00-18:00"]}})
    got = eng.step(snap(now__oldest_wait_s=500), _at(local, tz))
    assert bool(got) is open_


def test_quiet_hours_in_the_dst_night():
    tz = "Europe/Berlin"
    eng = engine(WAIT, timezone=tz, schedules={"all": {"quiet": ["01:30-02:30"]}})
    # 2026-10-25: 02:00-03:00 local happens twice; both 02:15s are quiet
    first = datetime(2026, 10, 25, 2, 15, tzinfo=ZoneInfo(tz)).timestamp()
    assert eng.step(snap(now__oldest_wait_s=70), first) == []
    assert eng.step(snap(now__oldest_wait_s=70), first + 3600) == []  # the repeated hour
    assert eng.step(snap(now__oldest_wait_s=70), first + 2 * 3600) != []  # 03:15: awake


def test_a_closed_queue_never_pages_and_resolves_what_fired():
    tz = "UTC"
    eng = engine(WAIT, timezone=tz, schedules={"q": {"open": ["mon-fri 08:00-18:00"]}})
    friday_5pm = _at("2027-01-15 17:59", tz)
    assert [n.status for n in eng.step(snap(now__oldest_wait_s=500), friday_5pm)] == ["firing"]
    assert [n.status for n in eng.step(snap(now__oldest_wait_s=500), friday_5pm + 60)] == [
        "resolved"]
    saturday = _at("2027-01-16 10:00", tz)
    assert eng.step(snap(now__oldest_wait_s=5000), saturday) == []


# -- staffing and feed stalled -----------------------------------------------------------------


def test_staffing_gap_sustained():
    eng = engine({"kind": "staffing", "gap": 2, "for": "20s"})
    def make(gap):
        return snap(forecast__agents_required=5 + gap, now__agents__staffed=5)

    assert run(eng, [2, 2, 2, 1, 3, 0], make=make) == [(20, "firing", "warning"),
                                                       (50, "resolved", "warning")]


def test_feed_stalled_fires_with_every_figure_fine():
    eng = engine({"kind": "feed_stalled", "stall_after": "60s", "min_expected": 5,
                  "for": "0s", "segments": ["billing"]})
    healthy = {"windows": {"60m": {"offered": 600}, "today": {"offered": 1000}},
               "now": {"waiting": 0, "oldest_wait_s": None}}
    notices = []
    for i in range(12):  # offered never moves again: no arrivals for 110 s
        s = {"segments": {"billing": healthy}, "feed": {"broker_reachable": True}}
        notices += [(i * 10, n.status, n.details.get("why")) for n in eng.step(s, T0 + i * 10)]
    assert notices == [(60, "firing", "no_arrivals")]
    moved = {**healthy, "windows": {**healthy["windows"], "today": {"offered": 1001}}}
    resolved = eng.step({"segments": {"billing": moved}}, T0 + 130)
    assert [n.status for n in resolved] == ["resolved"]


def test_feed_stalled_needs_a_rate_that_makes_silence_improbable():
    eng = engine({"kind": "feed_stalled", "stall_after": "60s", "min_expected": 20,
                  "segments": ["billing"], "for": "0s"})
    quiet = {"windows": {"60m": {"offered": 3}, "today": {"offered": 10}}}
    assert all(eng.step({"segments": {"billing": quiet}}, T0 + i * 60) == []
               for i in range(30))


@pytest.mark.parametrize(("extra", "why"), [
    ({"feed": {"broker_reachable": False, "last_record_age_s": 12.0}}, "broker"),
    ({"freshness": {"stale_partitions": ["cc.call-events/1"], "segments": {}}}, "freshness"),
])
def test_feed_stalled_from_the_feed_and_freshness_blocks(extra, why):
    eng = engine({"kind": "feed_stalled", "for": "0s"})
    s = {"segments": {"all": {"windows": {"today": {"offered": 5}}}}, **extra}
    (n,) = eng.step(s, T0)
    assert (n.segment, n.status, n.details["why"]) == ("all", "firing", why)


def test_feed_stalled_per_segment_freshness():
    eng = engine({"kind": "feed_stalled", "for": "0s", "segments": ["*", "!all"]})
    s = {"segments": {"all": {}, "billing": {}, "sales": {}},
         "freshness": {"stale_partitions": [], "segments": {
             "billing": {"age_s": 45.0, "stale": True}, "sales": {"age_s": 1.0,
                                                                  "stale": False}}}}
    assert [(n.segment, n.details["why"]) for n in eng.step(s, T0)] == [("billing",
                                                                         "freshness")]


def test_feed_stalled_when_the_source_fails():
    eng = engine({"kind": "feed_stalled", "stall_after": "30s", "for": "0s"})
    assert eng.step({"segments": {"all": {}}}, T0) == []
    assert eng.step(None, T0 + 20, source_error="connection refused") == []
    (n,) = eng.step(None, T0 + 30, source_error="connection refused")
    assert (n.segment, n.details["why"]) == ("all", "source")
    assert [x.status for x in eng.step({"segments": {"all": {}}}, T0 + 40)] == ["resolved"]


def test_feed_stalled_when_the_source_never_answered():
    eng = engine({"kind": "feed_stalled", "stall_after": "30s", "for": "0s"})
    assert eng.step(None, T0, source_error="refused") == []
    (n,) = eng.step(None, T0 + 30, source_error="refused")
    assert (n.segment, n.value, n.details["error"]) == ("all", 30.0, "refused")


def test_instances_are_bounded():
    eng = engine({**WAIT, "segments": ["*"]}, max_instances=3)
    segs = {f"q{i}": {"now": {"oldest_wait_s": 100}} for i in range(10)}
    eng.step({"segments": segs}, T0)
    assert len(eng.instances) == 3

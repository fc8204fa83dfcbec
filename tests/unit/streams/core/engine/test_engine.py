"""The metrics engine against metrics.md, definition by definition.

Timelines are in seconds after T0 unless said otherwise; T = 20 s, short abandon 5 s.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from schemas import parse_event
from streams.core.config import EngineSettings, SegmentPolicy, SegmentSpec
from streams.core.engine import WINDOW_KEYS, Engine, StateError, format_as_of
from streams.core.timefmt import rfc3339

T0 = 1_795_300_000.0  # 2026-11-21T22:26:40Z
_ids = iter(range(10**9))


def ev(type_: str, at: float, call: str = "c1", queue: str = "billing", **extra) -> dict:
    base = {"v": 1, "event_id": f"e{next(_ids)}", "type": type_, "ts": rfc3339(T0 + at)}
    if type_ == "agent.state":
        return {**base, **extra}
    return {**base, "call_id": call, "queue": queue, **extra}


def agent(at: float, agent_id: str, state: str, queues: list[str]) -> dict:
    return ev("agent.state", at, agent_id=agent_id, state=state, queues=queues)


def run(events: list[dict], settings: EngineSettings | None = None) -> Engine:
    engine = Engine(settings)
    for e in events:
        engine.apply(parse_event(e))
    return engine


def seg(engine: Engine, at: float, name: str = "billing") -> dict:
    return engine.snapshot(T0 + at)["segments"][name]


def win(engine: Engine, at: float, window: str = "5m", name: str = "billing") -> dict:
    return seg(engine, at, name)["windows"][window]


def settings(**policy) -> EngineSettings:
    return EngineSettings(defaults=SegmentPolicy(**policy))


# -- now -------------------------------------------------------------------------------------------


def test_waiting_oldest_and_over_sl_as_of_t():
    # c1 queued at 0 (answered 30), c2 queued at 10, c3 queued at 25; as of 40: c2, c3 wait.
    engine = run([
        ev("call.queued", 0, "c1"), ev("call.queued", 10, "c2"),
        ev("call.queued", 25, "c3"), ev("call.answered", 30, "c1", agent_id="a"),
    ])
    now = seg(engine, 40)["now"]
    assert now["waiting"] == 2
    assert now["oldest_wait_s"] == 30.0          # t - min(q) = 40 - 10
    assert now["waiting_over_sl"] == 1           # only c2: 30 > 20; c3: 15
    assert seg(engine, 40, "all")["now"]["waiting"] == 2
    # as of 29 all three were waiting (c1's answer at 30 is after t), as of 5 only c1
    assert seg(engine, 29)["now"]["waiting"] == 3
    assert seg(engine, 5)["now"] == {**seg(engine, 5)["now"], "waiting": 1, "oldest_wait_s": 5.0}


def test_nobody_waiting_gives_null_oldest_wait():
    engine = run([ev("call.queued", 0), ev("call.abandoned", 3)])
    assert seg(engine, 10)["now"] == {
        "waiting": 0, "oldest_wait_s": None, "waiting_over_sl": 0,
        "agents": {"available": 0, "on_call": 0, "acw": 0, "not_ready": 0, "staffed": 0}}


def test_wait_exactly_at_threshold_is_not_over_sl():
    engine = run([ev("call.queued", 0)])
    assert seg(engine, 20)["now"]["waiting_over_sl"] == 0   # t - q = T, not > T
    assert seg(engine, 20.001)["now"]["waiting_over_sl"] == 1


def test_agents_by_latest_state_at_or_before_t_per_segment():
    engine = run([
        agent(0, "a1", "available", ["billing"]),
        agent(0, "a2", "on_call", ["billing", "sales"]),
        agent(1, "a3", "not_ready", ["sales"]), agent(2, "a4", "offline", ["billing"]),
        agent(5, "a1", "acw", ["billing"]),
        agent(3, "a1", "available", ["billing"]),  # arrives late: history, not the latest
    ])
    assert seg(engine, 10)["now"]["agents"] == {"available": 0, "on_call": 1, "acw": 1,
                                                 "not_ready": 0, "staffed": 2}
    assert seg(engine, 4)["now"]["agents"]["available"] == 1   # a1's state from 3 s on
    assert seg(engine, 10, "sales")["now"]["agents"]["not_ready"] == 1
    assert seg(engine, 10, "all")["now"]["agents"] == {"available": 0, "on_call": 1, "acw": 1,
                                                        "not_ready": 1, "staffed": 2}
    assert seg(engine, -1, "all")["now"]["agents"]["staffed"] == 0


# -- counters and windows --------------------------------------------------------------------------


def test_counters_by_attribution_time():
    engine = run([
        ev("call.queued", 0, "c1"), ev("call.answered", 20, "c1", agent_id="a"),   # wait 20
        ev("call.queued", 0, "c2"), ev("call.answered", 21, "c2", agent_id="b"),   # wait 21
        ev("call.queued", 5, "c3"), ev("call.abandoned", 50, "c3"),
        ev("call.queued", 6, "c4"), ev("call.dequeued", 60, "c4", reason="timeout"),
        ev("call.queued", 7, "c5"), ev("call.abandoned", 9, "c5"),                 # short
        ev("call.ended", 200, "c1", agent_id="a", acw=False),
        ev("call.ended", 210, "c2", agent_id="b"),
        ev("call.wrapup_ended", 240, "c2", agent_id="b"),
    ])
    # As of 300 the 5m window is (0, 300]: c1 and c2, queued at 0, fall on the excluded edge.
    w = win(engine, 300)
    assert {k: w[k] for k in WINDOW_KEYS[:9]} == {
        "offered": 3, "answered": 2, "answered_in_sl": 1, "abandoned": 2,
        "short_abandoned": 1, "dequeued": 1, "handled": 2,
        # met: c1 at 20; missed: c2 at 20 (q+T), c3 at 25, c4 at 26 -- c2's miss at 0+20
        "sl_met": 1, "sl_missed": 3}
    assert win(engine, 300, "15m")["offered"] == 5
    assert w["asa_s"] == 20.5 and w["aht_s"] == 199.5       # ((200-20) + (240-21)) / 2
    # The 5-minute window as of 310 s drops arrivals at 0..10 s but keeps later outcomes.
    assert win(engine, 310)["offered"] == 0
    assert win(engine, 310)["answered"] == 2


# Window (t - L, t]:      t - L excluded ------------------- t included
@pytest.mark.parametrize(("queued_at", "as_of", "in_15m"), [
    (0.0, 900.0, 0),       # q = t - 900: on the excluded edge
    (0.001, 900.0, 1),     # just inside
    (900.0, 900.0, 1),     # q = t: included
    (900.001, 900.0, 0),   # after t: not yet (applied, but the snapshot is as of t)
    (30.0, 929.999, 1),    # mid-minute edges
    (30.0, 930.0, 0),
])
def test_window_bounds_are_half_open(queued_at, as_of, in_15m):
    engine = run([ev("call.queued", queued_at)])
    assert win(engine, as_of, "15m")["offered"] == in_15m


def test_windows_are_configurable():
    s = replace(EngineSettings(), windows=(("30s", 30), ("2h", 7200)))
    engine = run([ev("call.queued", 0), ev("call.queued", 100, "c2")], s)
    windows = seg(engine, 120)["windows"]
    assert list(windows) == ["30s", "2h", "today"]
    assert windows["30s"]["offered"] == 1 and windows["2h"]["offered"] == 2


# -- service level ---------------------------------------------------------------------------------
# (outcome, wait, policy) -> (met, missed, when): "a/b/d" = at the outcome, "q+T" = at q + T.
SL_CASES = [
    ("call.answered", 0.0, "negative", 1, 0, "out"),
    ("call.answered", 20.0, "negative", 1, 0, "out"),         # wait = T: met
    ("call.answered", 20.001, "negative", 0, 1, "q+T"),
    ("call.abandoned", 4.999, "negative", 0, 0, None),        # short: no event
    ("call.abandoned", 4.999, "positive", 0, 0, None),
    ("call.abandoned", 5.0, "negative", 0, 1, "out"),         # wait = short_abandon_s: not short
    ("call.abandoned", 5.0, "ignore", 0, 0, None),
    ("call.abandoned", 5.0, "positive", 1, 0, "out"),
    ("call.abandoned", 20.0, "negative", 0, 1, "out"),        # wait = T
    ("call.abandoned", 20.0, "ignore", 0, 0, None),
    ("call.abandoned", 20.0, "positive", 1, 0, "out"),
    ("call.abandoned", 20.001, "negative", 0, 1, "q+T"),      # the wait reached T: missed
    ("call.abandoned", 20.001, "ignore", 0, 1, "q+T"),
    ("call.abandoned", 20.001, "positive", 0, 1, "q+T"),
    ("call.dequeued", 20.0, "negative", 0, 0, None),
    ("call.dequeued", 20.001, "positive", 0, 1, "q+T"),
    ("call.dequeued", 500.0, "ignore", 0, 1, "q+T"),
]


@pytest.mark.parametrize(("outcome", "wait", "policy", "met", "missed", "when"), SL_CASES)
def test_service_level_events(outcome, wait, policy, met, missed, when):
    q = 100.0
    extra = {"agent_id": "a"} if outcome == "call.answered" else {}
    if outcome == "call.dequeued":
        extra = {"reason": "timeout"}
    engine = run([ev("call.queued", q), ev(outcome, q + wait, **extra)], settings(
        abandon_policy=policy))
    w = win(engine, q + wait + 1, "60m")
    assert (w["sl_met"], w["sl_missed"]) == (met, missed)
    if when is None:
        assert w["service_level"] is None                    # never 0 % or 100 % of nothing
        return
    assert w["service_level"] == (1.0 if met else 0.0)
    at = q + wait if when == "out" else q + 20.0
    # attribution time: in a 30 s window ending at `at`, not in one starting at `at`
    s30 = replace(settings(abandon_policy=policy), windows=(("30s", 30),))
    engine = run([ev("call.queued", q), ev(outcome, q + wait, **extra)], s30)
    assert win(engine, at, "30s")["sl_met"] + win(engine, at, "30s")["sl_missed"] == 1
    assert win(engine, at + 30, "30s")["sl_met"] + win(engine, at + 30, "30s")["sl_missed"] == 0


def test_a_caller_still_waiting_is_a_miss_from_q_plus_t_on():
    engine = run([ev("call.queued", 100.0)])
    assert win(engine, 119.999)["sl_missed"] == 0
    assert win(engine, 120.0)["sl_missed"] == 1               # q + T <= t
    assert win(engine, 120.0)["service_level"] == 0.0
    assert win(engine, 420.0)["sl_missed"] == 0               # (120, 420]: the miss was at 120
    assert win(engine, 420.0, "15m")["sl_missed"] == 1
    # the caller is then answered late: still exactly one miss, now recorded
    engine = run([ev("call.queued", 100.0), ev("call.answered", 200.0, agent_id="a")])
    assert win(engine, 150)["sl_missed"] == 1 and win(engine, 250)["sl_missed"] == 1
    assert win(engine, 250)["sl_met"] == 0


def test_per_segment_threshold_and_policy():
    vip = SegmentSpec("vip", ("*",), (("tier", ("vip",)),), SegmentPolicy(sl_threshold_s=10.0))
    s = replace(EngineSettings(), segments=(vip,))
    engine = run([ev("call.queued", 0, attrs={"tier": "vip"}),
                  ev("call.answered", 15, agent_id="a")], s)
    assert win(engine, 60, name="vip")["answered_in_sl"] == 0
    assert win(engine, 60, name="vip")["sl_missed"] == 1
    assert win(engine, 60, name="billing")["answered_in_sl"] == 1
    assert win(engine, 60, name="all")["sl_met"] == 1
    assert seg(engine, 60, "vip")["forecast"]["aht_s"] == 300.0   # default_aht_s, none handled


# -- derived figures and null rules ----------------------------------------------------------------


def test_asa_percentiles_aht_and_abandon_rate():
    events = []
    for i, wait in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]):
        events += [ev("call.queued", 10 * i, f"c{i}"),
                   ev("call.answered", 10 * i + wait, f"c{i}", agent_id="a"),
                   ev("call.ended", 10 * i + wait + 100 + i, f"c{i}", agent_id="a", acw=False)]
    events += [ev("call.queued", 0, "x1"), ev("call.abandoned", 2, "x1"),     # short
               ev("call.queued", 0, "x2"), ev("call.abandoned", 30, "x2"),
               ev("call.queued", 0, "x3"), ev("call.dequeued", 30, "x3", reason="callback")]
    w = win(run(events), 299, "15m")
    assert w["asa_s"] == 5.5
    assert w["wait_p50_s"] == 5.0 and w["wait_p90_s"] == 9.0      # nearest rank: 5th, 9th
    assert w["aht_s"] == 104.5
    assert w["abandon_rate"] == round(1 / 11, 4)                   # (2 - 1) / (10 + 2 - 1)


def test_null_rules():
    w = win(run([ev("call.queued", 0), ev("call.abandoned", 1)]), 10)
    assert w["offered"] == 1 and w["short_abandoned"] == 1
    for key in ("service_level", "asa_s", "wait_p50_s", "wait_p90_s", "aht_s", "abandon_rate"):
        assert w[key] is None, key
    empty = run([agent(0, "a", "available", ["billing"])])
    w = win(empty, 10)
    assert all(w[k] == 0 for k in WINDOW_KEYS[:9])
    assert all(w[k] is None for k in WINDOW_KEYS[9:])


@pytest.mark.parametrize("wait", [0.4, 59.9, 60.0, 61.0, 125.5, 600.0, 3599.0, 14000.0])
def test_percentile_error_is_within_one_second_or_five_percent(wait):
    s = replace(EngineSettings(), windows=(("24h", 86400),))
    engine = run([ev("call.queued", 0), ev("call.answered", wait, agent_id="a")], s)
    p = win(engine, 14001, "24h")["wait_p50_s"]
    assert p <= wait and wait - p <= max(1.0, 0.05 * wait)


# -- segments --------------------------------------------------------------------------------------


def test_segments_all_queues_and_configured_selectors():
    specs = (SegmentSpec("vip", ("*",), (("tier", ("vip", "gold")),)),
             SegmentSpec("sales-zh", ("sales*",), (("language", ("zh",)),)),
             SegmentSpec("billing", ("billing", "billing-*")))
    s = replace(EngineSettings(), segments=specs)
    engine = run([
        ev("call.queued", 0, "c1", "sales-east", attrs={"tier": "gold", "language": "zh"}),
        ev("call.queued", 0, "c2", "billing-2", attrs={"tier": "standard"}),
        ev("call.queued", 0, "c3", "support"),
        agent(0, "a1", "available", ["sales-west"]),
    ], s)
    snap = engine.snapshot(T0 + 1)["segments"]
    assert list(snap) == ["all", "billing", "billing-2", "sales-east", "sales-west", "sales-zh",
                          "support", "vip"]
    offered = {name: body["windows"]["5m"]["offered"] for name, body in snap.items()}
    assert offered == {"all": 3, "billing": 1, "billing-2": 1, "sales-east": 1,
                       "sales-west": 0, "sales-zh": 1, "support": 1, "vip": 1}
    # agents: by queue globs only (attributes do not apply to agents)
    staffed = {name: body["now"]["agents"]["staffed"] for name, body in snap.items()}
    assert staffed == {"all": 1, "billing": 0, "billing-2": 0, "sales-east": 0,
                       "sales-west": 1, "sales-zh": 1, "support": 0, "vip": 1}


def test_membership_is_decided_when_the_visit_starts_and_attrs_merge_over_the_call():
    vip = SegmentSpec("vip", ("*",), (("tier", ("vip",)),))
    s = replace(EngineSettings(), segments=(vip,))
    engine = run([
        ev("call.queued", 0, "c1", "sales"),                                   # not vip yet
        ev("call.dequeued", 30, "c1", "sales", reason="transfer", to_queue="billing"),
        ev("call.queued", 30, "c1", "billing", attrs={"tier": "vip"}),         # vip from here
        ev("call.dequeued", 60, "c1", "billing", reason="overflow", to_queue="support"),
        ev("call.queued", 60, "c1", "support"),                                # still vip
    ], s)
    assert win(engine, 61, name="vip")["offered"] == 2
    assert win(engine, 61, name="all")["offered"] == 3
    assert win(engine, 61, name="all")["dequeued"] == 2
    assert seg(engine, 61, "support")["now"]["waiting"] == 1


def test_queued_in_another_queue_closes_nothing_and_same_queue_twice_is_one_visit():
    engine = run([ev("call.queued", 0, "c1", "sales"), ev("call.queued", 5, "c1", "billing"),
                  ev("call.queued", 6, "c1", "billing")])
    assert seg(engine, 10, "all")["now"]["waiting"] == 2
    assert engine.outcomes["already_waiting"] == 1
    engine.apply(parse_event(ev("call.answered", 12, "c1", "billing", agent_id="a")))
    assert seg(engine, 13, "sales")["now"]["waiting"] == 1
    assert win(engine, 13, name="billing")["asa_s"] == 7.0


# -- edge semantics --------------------------------------------------------------------------------


def test_duplicates_change_nothing():
    events = [ev("call.queued", 0), ev("call.answered", 5, agent_id="a"),
              agent(1, "a", "on_call", ["billing"])]
    once, twice = run(events), run(events + events[::-1])
    assert once.snapshot(T0 + 60) == twice.snapshot(T0 + 60)
    assert twice.outcomes["duplicate"] == 3


def test_a_duplicate_of_an_open_call_is_caught_after_the_id_horizon():
    first = ev("call.queued", 0, "long")
    engine = run([first] + [ev("call.queued", 600 * i, f"c{i}") for i in range(1, 20)])
    assert not ({first["event_id"]} & (engine._seen | engine._seen_old))  # id forgotten
    before = engine.snapshot(T0 + 11400)
    assert engine.apply(parse_event(first)) == "duplicate"                 # call still open
    assert engine.snapshot(T0 + 11400) == before


def test_an_outcome_before_its_queued_is_held_then_matched():
    engine = run([ev("call.answered", 30, agent_id="a"), ev("call.queued", 10)])
    assert engine.outcomes["applied"] == 2 and engine.outcomes["held"] == 0
    assert win(engine, 40)["answered"] == 1 and win(engine, 40)["asa_s"] == 20.0


def test_an_outcome_never_queued_is_orphaned_once_the_allowance_passes():
    engine = run([ev("call.answered", 5, agent_id="a")])
    assert engine.apply(parse_event(ev("call.queued", 6, "c2"))) == "applied"
    assert engine.outcomes["held"] == 1 and engine.outcomes["orphaned"] == 0
    engine.apply(parse_event(ev("call.abandoned", 200, "c2")))
    assert engine.outcomes["held"] == 1   # kept while a snapshot may still ask about it
    # event time moves past 5 s + max_lateness_s + max_future_s
    engine.apply(parse_event(ev("call.queued", 700, "c3")))
    assert engine.outcomes["orphaned"] == 1 and engine.outcomes["held"] == 0
    assert win(engine, 710, name="all")["answered"] == 0


def test_a_visit_open_longer_than_max_visit_s_expires_not_abandoned():
    s = replace(EngineSettings(), max_visit_s=600.0)
    engine = run([ev("call.queued", 0)], s)
    assert seg(engine, 600)["now"]["waiting"] == 1
    assert seg(engine, 600.001)["now"]["waiting"] == 0            # expired at q + max_visit_s
    engine.apply(parse_event(ev("call.queued", 1000, "other")))
    engine.apply(parse_event(ev("call.abandoned", 1100, "c1")))   # too late: the visit expired
    w = win(engine, 1200, "60m")
    assert w["abandoned"] == 0 and w["sl_missed"] == 2            # c1 at 20, other at 1020
    engine.apply(parse_event(ev("call.queued", 2000, "later")))   # c1 is final: counted
    assert engine.outcomes["expired"] == 1 and engine.outcomes["orphaned"] == 1


def test_events_older_than_every_window_still_count_in_today():
    engine = run([ev("call.queued", 5 * 3600, "now")])
    for e in [ev("call.queued", 600, "old"), ev("call.answered", 610, "old", agent_id="a")]:
        engine.apply(parse_event(e))   # hours late, same local day (T0 is 22:26 UTC)
    w = seg(engine, 5 * 3600 + 1, "billing")["windows"]
    assert w["60m"]["offered"] == 1
    assert w["today"]["offered"] == 1   # T0+600 s is 22:36 on the 21st; +5 h is the 22nd
    engine = run([ev("call.queued", 3600, "now")])
    engine.apply(parse_event(ev("call.queued", 0, "old")))
    assert win(engine, 3601, "today")["offered"] == 2 and win(engine, 3601, "5m")["offered"] == 1


# -- today: local midnight, DST --------------------------------------------------------------------


def _at(zone: str, text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


@pytest.mark.parametrize(("zone", "day", "first", "before"), [
    ("UTC", "2026-11-22", "2026-11-22T00:00:00", "2026-11-21T23:59:59.999"),
    ("Asia/Shanghai", "2026-11-22", "2026-11-22T00:00:00", "2026-11-21T23:59:59.999"),
    ("Europe/Berlin", "2026-03-29", "2026-03-29T00:00:00", "2026-03-28T23:59:59.999"),  # 23 h
    ("Europe/Berlin", "2026-10-25", "2026-10-25T00:00:00", "2026-10-24T23:59:59.999"),  # 25 h
    # Chile skips midnight on this date: the day starts at 01:00 local
    ("America/Santiago", "2026-09-06", "2026-09-06T01:00:00", "2026-09-05T23:59:59.999"),
])
def test_today_starts_at_local_midnight_in_the_configured_zone(zone, day, first, before):
    s = replace(EngineSettings(), timezone=zone)
    t_first, t_before = _at(zone, first), _at(zone, before)
    assert t_first - t_before == pytest.approx(0.001, abs=1e-6)
    as_of = _at(zone, f"{day}T23:30:00")
    late = as_of - 300
    events = [
        {"v": 1, "event_id": "a", "type": "call.queued", "ts": rfc3339(t_before),
         "call_id": "before", "queue": "q"},
        {"v": 1, "event_id": "b", "type": "call.queued", "ts": rfc3339(t_first),
         "call_id": "first", "queue": "q"},
        {"v": 1, "event_id": "c", "type": "call.queued", "ts": rfc3339(late),
         "call_id": "late", "queue": "q"},
    ]
    engine = run(events, s)
    assert engine.snapshot(as_of)["segments"]["q"]["windows"]["today"]["offered"] == 2
    assert engine.snapshot(t_first)["segments"]["q"]["windows"]["today"]["offered"] == 1
    assert engine.snapshot(t_before)["segments"]["q"]["windows"]["today"]["offered"] == 1


def test_today_across_midnight_resets():
    # T0 = 22:26:40 UTC; midnight UTC is T0 + 5600 s
    engine = run([ev("call.queued", 5000, "c1"), ev("call.queued", 5700, "c2")])
    assert win(engine, 5599.999, "today")["offered"] == 1
    assert win(engine, 5600, "today")["offered"] == 0
    assert win(engine, 5800, "today")["offered"] == 1
    assert win(engine, 5800, "60m")["offered"] == 2


# -- forecast --------------------------------------------------------------------------------------


def test_forecast_uses_offered_15m_aht_60m_and_staffed():
    events = [agent(0, f"a{i}", "available", ["billing"]) for i in range(3)]
    for i in range(30):
        events += [ev("call.queued", 10 * i, f"c{i}"),
                   ev("call.answered", 10 * i + 5, f"c{i}", agent_id="a"),
                   ev("call.ended", 10 * i + 125, f"c{i}", agent_id="a", acw=False)]
    f = seg(run(events), 899)["forecast"]
    assert f["arrival_rate_per_min"] == 2.0 and f["aht_s"] == 120.0 and f["staffed"] == 3
    assert f["traffic_erlangs"] == 4.0 and f["overloaded"] is True
    assert f["asa_s"] is None and f["occupancy"] is None and f["agents_required"] >= 5


# -- as of, save and restore -----------------------------------------------------------------------


def test_as_of_is_reported_to_the_millisecond_and_recomputable():
    engine = run([ev("call.queued", 0)])
    snap = engine.snapshot(T0 + 12.3456)
    assert snap["as_of"] == "2026-11-21T22:26:52.346Z"
    assert format_as_of(T0) == "2026-11-21T22:26:40Z"
    assert snap["segments"]["billing"]["now"]["oldest_wait_s"] == 12.346


def _sim_events(seconds: float, seed: int = 3) -> list[dict]:
    from streams.adapters.simulator import Simulator, default_models

    return list(Simulator(default_models(), start=T0, seed=seed).run(T0 + seconds))


def test_save_and_restore_mid_stream_gives_the_same_snapshots():
    events = _sim_events(2400)
    plain = run(events)
    half = len(events) // 2
    first = run(events[:half])
    restored = Engine.from_bytes(first.to_bytes())
    assert restored.snapshot(T0 + 1200) == first.snapshot(T0 + 1200)
    for e in events[half:]:
        restored.apply(parse_event(e))
    for at in (2000, 2400, 2460):
        assert restored.snapshot(T0 + at) == plain.snapshot(T0 + at)
    assert +restored.outcomes == +plain.outcomes


def test_restore_refuses_foreign_or_mismatched_state():
    state = run([ev("call.queued", 0)]).to_bytes()
    with pytest.raises(StateError, match="different engine settings"):
        Engine.from_bytes(state, settings(sl_threshold_s=30.0))
    with pytest.raises(StateError, match="version 99 is not supported"):
        Engine.from_bytes(state.replace(b'"version":1', b'"version":99'))
    with pytest.raises(StateError, match="not valid JSON"):
        Engine.from_bytes(b"\x00garbage")
    with pytest.raises(StateError, match="not a cc-wallboard engine state"):
        Engine.from_bytes(b"{}")


def test_shuffled_whole_calls_give_the_same_snapshot():
    events = _sim_events(1800)
    calls: dict[str, list[dict]] = {}
    for e in events:
        calls.setdefault(e.get("call_id") or e["agent_id"], []).append(e)
    keys = list(calls)
    random.Random(1).shuffle(keys)  # calls interleave differently; each call stays in order
    shuffled = [e for k in keys for e in calls[k]]
    assert run(events).snapshot(T0 + 1800) == run(shuffled).snapshot(T0 + 1800)


# -- bounded segments (hardening, issue 8) ---------------------------------------------------------


def test_queues_past_max_segments_fold_into_other_and_are_counted():
    # room for all + other + vip + 2 queues of their own
    vip = SegmentSpec("vip", ("q*",), (("tier", ("vip",)),))
    s = EngineSettings(max_segments=5, segments=(vip,))
    events = [ev("call.queued", i, f"c{i}", f"q{i}", attrs={"tier": "vip"}) for i in range(10)]
    engine = run(events, s)
    snap = engine.snapshot(T0 + 20)["segments"]
    assert sorted(snap) == ["all", "other", "q0", "q1", "vip"]
    assert snap["other"]["windows"]["5m"]["offered"] == 8
    assert snap["all"]["windows"]["5m"]["offered"] == 10
    assert snap["vip"]["windows"]["5m"]["offered"] == 10  # configured globs still see the queue
    assert snap["other"]["now"]["waiting"] == 8
    assert engine.folded["queue_events"] == 8
    # outcomes of folded queues land in `other` too, and the choice survives save/restore
    more = [ev("call.answered", 30, "c9", "q9", agent_id="a1"),
            ev("call.queued", 31, "c10", "q1")]
    for e in more:
        engine.apply(parse_event(e))
    restored = Engine.from_bytes(engine.to_bytes(), s)
    assert restored.snapshot(T0 + 40) == engine.snapshot(T0 + 40)
    assert restored.snapshot(T0 + 40)["segments"]["other"]["windows"]["5m"]["answered"] == 1
    assert restored.folded == engine.folded


def test_one_agent_state_with_thousands_of_queues_stays_within_the_limits():
    queues = [f"queue-{i:05d}" for i in range(7999)]
    s = EngineSettings(max_segments=50, max_queues_per_agent=16)
    engine = run([agent(0, "a1", "available", queues)], s)
    segments = engine.snapshot(T0 + 1)["segments"]
    assert len(segments) == 18  # all, 16 of the agent's queues, other
    assert segments["other"]["now"]["agents"]["available"] == 1
    assert segments["all"]["now"]["agents"]["staffed"] == 1
    assert engine.folded["agent_queues"] == 7999 - 16


def test_twenty_thousand_distinct_queues_keep_the_default_segment_limit():
    engine = run([ev("call.queued", i / 100, f"c{i}", f"queue-{i}") for i in range(20_000)])
    segments = engine.snapshot(T0 + 250)["segments"]
    assert len(segments) == EngineSettings().max_segments
    assert sum(body["windows"]["5m"]["offered"] for name, body in segments.items()
               if name != "all") == 20_000
    assert len(engine._membership) <= 65_536


def test_a_queue_named_like_a_configured_segment_does_not_use_room():
    s = EngineSettings(max_segments=4, segments=(SegmentSpec("billing", ("billing",)),))
    engine = run([ev("call.queued", 0, "c1", "billing"), ev("call.queued", 1, "c2", "sales"),
                  ev("call.queued", 2, "c3", "support")], s)
    assert sorted(engine.snapshot(T0 + 5)["segments"]) == ["all", "billing", "other", "sales"]

"""Calls and visits (``streams.core.engine.calls``): the records each outcome contributes at
its attribution time, service-level events, visits in several queues, held outcomes, and
calls interleaved in any order.

Timelines are in seconds after T0 unless said otherwise; T = 20 s, short abandon 5 s.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from schemas import parse_event
from streams.core.config import SegmentPolicy
from streams.core.engine import WINDOW_KEYS
from streams.core.engine.calls import TALK_EXPIRED, Visit, open_since
from streams.core.engine.cells import Cell

from .support import T0, ev, run, seg, settings, win
from .support import sim_events as _sim_events


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


def test_queued_in_another_queue_closes_nothing_and_same_queue_twice_is_one_visit():
    engine = run([ev("call.queued", 0, "c1", "sales"), ev("call.queued", 5, "c1", "billing"),
                  ev("call.queued", 6, "c1", "billing")])
    assert seg(engine, 10, "all")["now"]["waiting"] == 2
    assert engine.outcomes["already_waiting"] == 1
    engine.apply(parse_event(ev("call.answered", 12, "c1", "billing", agent_id="a")))
    assert seg(engine, 13, "sales")["now"]["waiting"] == 1
    assert win(engine, 13, name="billing")["asa_s"] == 7.0


def test_an_outcome_before_its_queued_is_held_then_matched():
    engine = run([ev("call.answered", 30, agent_id="a"), ev("call.queued", 10)])
    assert engine.outcomes["applied"] == 2 and engine.outcomes["held"] == 0
    assert win(engine, 40)["answered"] == 1 and win(engine, 40)["asa_s"] == 20.0


def test_shuffled_whole_calls_give_the_same_snapshot():
    events = _sim_events(1800)
    calls: dict[str, list[dict]] = {}
    for e in events:
        calls.setdefault(e.get("call_id") or e["agent_id"], []).append(e)
    keys = list(calls)
    random.Random(1).shuffle(keys)  # calls interleave differently; each call stays in order
    shuffled = [e for k in keys for e in calls[k]]
    assert run(events).snapshot(T0 + 1800) == run(shuffled).snapshot(T0 + 1800)


def test_a_late_event_replays_its_call_and_every_event_is_classified_in_order():
    engine = run([ev("call.queued", 0), ev("call.ended", 50, agent_id="a", acw=False)])
    assert +engine.outcomes == {"applied": 1, "held": 1}  # no answered visit yet
    assert engine.apply(parse_event(ev("call.answered", 10, agent_id="a"))) == "applied"
    assert +engine.outcomes == {"applied": 3}
    w = win(engine, 60)
    assert (w["answered"], w["handled"], w["aht_s"]) == (1, 1, 40.0)


def test_a_visit_is_open_while_it_waits_then_while_its_talk_lasts():
    visit = Visit("billing", 1_000, (Cell(("all",), SegmentPolicy()),))
    assert open_since(visit) == 1_000
    visit.outcome, visit.outcome_ms, visit.answered_ms = "answered", 5_000, 5_000
    assert open_since(visit) == 5_000
    visit.handled_ms = TALK_EXPIRED
    assert open_since(visit) is None
    for outcome in ("abandoned", "dequeued", "expired"):
        visit.outcome = outcome
        assert open_since(visit) is None

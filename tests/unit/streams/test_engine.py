"""The slice's definitions, against metrics.md. Timelines are in seconds after T0."""

from __future__ import annotations

import random

import pytest

from schemas import parse_event
from streams.config import EngineSettings
from streams.engine import Engine, format_as_of

T0 = 1_795_300_000.0  # 2026-11-21T22:26:40Z


def ev(n: int, type_: str, at: float, call: str = "c1", queue: str = "billing", **extra) -> dict:
    from streams.simulator import rfc3339

    base = {"v": 1, "event_id": f"e{n}", "type": type_, "ts": rfc3339(T0 + at)}
    if type_ == "agent.state":
        return {**base, **extra}
    return {**base, "call_id": call, "queue": queue, **extra}


def run(events: list[dict], settings: EngineSettings | None = None) -> Engine:
    engine = Engine(settings)
    for e in events:
        engine.apply(parse_event(e))
    return engine


def seg(engine: Engine, at: float, name: str = "billing") -> dict:
    return engine.snapshot(T0 + at)["segments"][name]


def test_waiting_oldest_and_over_sl_as_of_t():
    # c1 queued at 0 (answered 30), c2 queued at 10, c3 queued at 25; as of 40: c2, c3 wait.
    engine = run([
        ev(1, "call.queued", 0, "c1"), ev(2, "call.queued", 10, "c2"),
        ev(3, "call.queued", 25, "c3"), ev(4, "call.answered", 30, "c1", agent_id="a"),
    ])
    now = seg(engine, 40)["now"]
    assert now["waiting"] == 2
    assert now["oldest_wait_s"] == 30.0          # t - min(q) = 40 - 10
    assert now["waiting_over_sl"] == 1           # only c2: 30 > 20; c3: 15
    assert seg(engine, 40, "all")["now"]["waiting"] == 2


def test_nobody_waiting_gives_null_oldest_wait():
    engine = run([ev(1, "call.queued", 0), ev(2, "call.abandoned", 3)])
    assert seg(engine, 10)["now"] == {
        "waiting": 0, "oldest_wait_s": None, "waiting_over_sl": 0,
        "agents": {"available": 0, "on_call": 0, "acw": 0, "not_ready": 0, "staffed": 0}}


def test_wait_exactly_at_threshold_is_not_over_sl():
    engine = run([ev(1, "call.queued", 0)])
    assert seg(engine, 20)["now"]["waiting_over_sl"] == 0   # t - q = T, not > T
    assert seg(engine, 20.001)["now"]["waiting_over_sl"] == 1


# Window (t - L, t]:      t - L excluded ------------------- t included
@pytest.mark.parametrize(("queued_at", "as_of", "in_15m"), [
    (0.0, 900.0, 0),       # q = t - 900: on the excluded edge
    (0.001, 900.0, 1),     # just inside
    (900.0, 900.0, 1),     # q = t: included
    (900.5, 900.0, 0),     # after t: not yet
])
def test_window_bounds_are_half_open(queued_at, as_of, in_15m):
    engine = run([ev(1, "call.queued", queued_at)])
    assert seg(engine, as_of)["windows"]["15m"]["offered"] == in_15m


def test_counters_by_attribution_time_and_answered_in_sl():
    engine = run([
        ev(1, "call.queued", 0, "c1"), ev(2, "call.answered", 20, "c1", agent_id="a"),   # wait 20
        ev(3, "call.queued", 0, "c2"), ev(4, "call.answered", 21, "c2", agent_id="b"),   # wait 21
        ev(5, "call.queued", 5, "c3"), ev(6, "call.abandoned", 50, "c3"),
        ev(7, "call.queued", 6, "c4"), ev(8, "call.dequeued", 60, "c4", reason="timeout"),
        ev(9, "call.ended", 200, "c1", agent_id="a", acw=False),
        ev(10, "call.ended", 210, "c2", agent_id="b"),
        ev(11, "call.wrapup_ended", 240, "c2", agent_id="b"),
    ])
    w = seg(engine, 300)["windows"]
    # As of 300 the 5m window is (0, 300]: c1 and c2, queued at 0, fall on the excluded edge.
    assert w["15m"]["offered"] == 4
    assert w["5m"] == {"offered": 2, "answered": 2, "answered_in_sl": 1, "abandoned": 1,
                       "dequeued": 1, "handled": 2}
    # The 5-minute window as of 310 s drops arrivals at 0..10 s but keeps later outcomes.
    assert seg(engine, 310)["windows"]["5m"]["offered"] == 0
    assert seg(engine, 310)["windows"]["5m"]["answered"] == 2


def test_duplicates_change_nothing():
    events = [ev(1, "call.queued", 0), ev(2, "call.answered", 5, agent_id="a")]
    once, twice = run(events), run(events + events)
    assert once.snapshot(T0 + 60) == twice.snapshot(T0 + 60)
    assert twice.outcomes["duplicate"] == 2


def test_outcome_without_a_visit_is_counted_as_orphaned():
    engine = run([ev(1, "call.answered", 5, agent_id="a")])
    assert engine.outcomes["orphaned"] == 1
    assert seg(engine, 10, "all")["windows"]["5m"]["answered"] == 0


def test_agents_by_latest_state_per_segment():
    def state(n, at, agent, st, queues):
        return ev(n, "agent.state", at, agent_id=agent, state=st, queues=queues)

    engine = run([
        state(1, 0, "a1", "available", ["billing"]),
        state(2, 0, "a2", "on_call", ["billing", "sales"]),
        state(3, 1, "a3", "not_ready", ["sales"]), state(4, 2, "a4", "offline", ["billing"]),
        state(5, 5, "a1", "acw", ["billing"]), state(6, 3, "a1", "available", ["billing"]),  # stale
    ])
    assert seg(engine, 10)["now"]["agents"] == {"available": 0, "on_call": 1, "acw": 1,
                                                 "not_ready": 0, "staffed": 2}
    assert seg(engine, 10, "sales")["now"]["agents"]["not_ready"] == 1
    assert seg(engine, 10, "all")["now"]["agents"]["staffed"] == 2
    assert engine.outcomes["stale_agent_state"] == 1


def test_segments_are_all_plus_every_queue():
    engine = run([ev(1, "call.queued", 0, "c1", "sales"), ev(2, "call.queued", 0, "c2", "billing")])
    assert list(engine.snapshot(T0)["segments"]) == ["all", "billing", "sales"]


def test_in_order_and_shuffled_arrival_of_whole_calls_give_the_same_snapshot():
    from streams.simulator import Simulator, default_models

    events = list(Simulator(default_models(), start=T0, seed=3).run(T0 + 1800))
    calls: dict[str, list[dict]] = {}
    for e in events:
        calls.setdefault(e.get("call_id") or e["agent_id"], []).append(e)
    keys = list(calls)
    random.Random(1).shuffle(keys)  # calls interleave differently; each call stays in order
    shuffled = [e for k in keys for e in calls[k]]
    agents_last = [e for e in events if e["type"] == "agent.state"]
    shuffled = [e for e in shuffled if e["type"] != "agent.state"] + agents_last
    assert run(events).snapshot(T0 + 1800) == run(shuffled).snapshot(T0 + 1800)


def test_as_of_is_reported_to_the_millisecond_and_recomputable():
    engine = run([ev(1, "call.queued", 0)])
    snap = engine.snapshot(T0 + 12.3456)
    assert snap["as_of"] == "2026-11-21T22:26:52.346Z"
    assert format_as_of(T0) == "2026-11-21T22:26:40Z"
    assert snap["segments"]["billing"]["now"]["oldest_wait_s"] == 12.346

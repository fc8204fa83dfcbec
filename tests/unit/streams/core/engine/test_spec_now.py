"""metrics.md "Now (as of t)", worked by hand: who is waiting (queued at or before t, no
outcome at or before t), the oldest wait (also over merged partials and over several queues),
the waits over T (strictly), the agents by state and ``staffed``.

Defaults: T = 20 s. Timelines are in seconds after T0.
"""

from __future__ import annotations

from schemas import parse_event
from streams.core.engine import SnapshotMerger

from .support import T0, agent, ev, run, seg


def test_waiting_counts_visits_queued_at_or_before_t_with_no_outcome_at_or_before_t():
    engine = run([ev("call.queued", 10, "c1"), ev("call.answered", 40, "c1", agent_id="a"),
                  ev("call.queued", 40, "c2")])
    # as of 40: c1 was answered at 40 (an outcome at t: not waiting); c2 queued at 40 waits
    assert seg(engine, 40)["now"]["waiting"] == 1
    assert seg(engine, 40)["now"]["oldest_wait_s"] == 0.0
    # as of 39.999: c1 waits (29.999 s), c2 not queued yet
    now = seg(engine, 39.999)["now"]
    assert (now["waiting"], now["oldest_wait_s"]) == (1, 29.999)


def test_oldest_wait_and_waiting_over_sl():
    # queued at 10, 19.999, 20, 35; as of 40: waits 30, 20.001, 20, 5:
    # oldest = 40 - 10 = 30; over T (t - q > 20): 30 and 20.001, not 20 itself
    engine = run([ev("call.queued", q, f"c{i}") for i, q in enumerate([35, 20, 19.999, 10])])
    now = seg(engine, 40)["now"]
    assert (now["waiting"], now["oldest_wait_s"], now["waiting_over_sl"]) == (4, 30.0, 2)


def test_the_oldest_wait_of_all_is_the_oldest_over_every_queue():
    # billing: q = 30; sales: q = 10 (queued second); as of 40 `all` waited longest 30 s
    engine = run([ev("call.queued", 30, "c1", "billing"), ev("call.queued", 10, "c2", "sales")])
    assert seg(engine, 40, "all")["now"]["oldest_wait_s"] == 30.0
    assert seg(engine, 40, "billing")["now"]["oldest_wait_s"] == 10.0
    assert seg(engine, 40, "all")["now"]["waiting"] == 2


def test_the_oldest_wait_of_merged_partials_is_the_oldest_of_them():
    # partition 1 has a caller queued at 30, partition 2 one queued at 10: as of 40 the
    # merged oldest wait is 40 - 10 = 30 s, whichever partial comes first
    first = run([ev("call.queued", 30, "c1")])
    second = run([ev("call.queued", 10, "c2")])
    t = T0 + 40
    merger = SnapshotMerger(first.settings)
    for parts in ([first, second], [second, first]):
        snap = merger.render([e.partial(t) for e in parts], round(t * 1000))
        now = snap["segments"]["billing"]["now"]
        assert (now["waiting"], now["oldest_wait_s"], now["waiting_over_sl"]) == (2, 30.0, 1)


def test_agents_by_state_and_staffed_is_available_plus_on_call_plus_acw():
    states = ["available"] * 2 + ["on_call"] * 3 + ["acw"] + ["not_ready"] * 4 + ["offline"] * 5
    events = [ev("call.queued", 0)] + [agent(1, f"a{i}", s, ["billing"])
                                       for i, s in enumerate(states)]
    engine = run(events)
    # staffed = 2 + 3 + 1 = 6; not_ready 4 is not staffed; offline is not counted at all
    assert seg(engine, 5)["now"]["agents"] == {"available": 2, "on_call": 3, "acw": 1,
                                               "not_ready": 4, "staffed": 6}
    # as of an instant before the agents' events (the histories, not the latest counts)
    engine.apply(parse_event(agent(9, "a0", "offline", ["billing"])))
    assert seg(engine, 5)["now"]["agents"]["staffed"] == 6
    assert seg(engine, 10)["now"]["agents"] == {"available": 1, "on_call": 3, "acw": 1,
                                                "not_ready": 4, "staffed": 5}
    assert seg(engine, 0.5)["now"]["agents"]["staffed"] == 0


def test_a_segment_with_no_agents_reports_zero_agents():
    assert seg(run([ev("call.queued", 0)]), 1)["now"]["agents"] == {
        "available": 0, "on_call": 0, "acw": 0, "not_ready": 0, "staffed": 0}

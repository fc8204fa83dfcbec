"""Segments are created by calls (issue 19, finding 7): an ``agent.state`` listing thousands of
queues creates no segment and takes no room; agents count in the segments calls create, also
when the call comes after the agent; with the room full, agents of queues without a segment
count in ``other``, as those queues' calls do; per-partition engines (agents apart from calls,
as the worker keys them) merged equal one engine; save and restore keep all of it.

Timelines are in seconds after T0.
"""

from __future__ import annotations

from schemas import parse_event
from streams.core.config import EngineSettings
from streams.core.engine import Engine, SnapshotMerger
from streams.core.partitions import decode_partial, encode_partial

from .support import T0, agent, ev, run, seg

QUEUES = [f"queue-{i:04d}" for i in range(5000)]


def test_one_agent_with_five_thousand_queues_creates_no_segment():
    engine = run([agent(0, "a1", "available", QUEUES)])  # the default limits
    assert list(engine.snapshot(T0 + 1)["segments"]) == ["all"]   # no blank pages
    assert engine.segment_names() == ["all"]
    assert seg(engine, 1, "all")["now"]["agents"]["available"] == 1


def test_an_agent_s_queues_take_no_room_from_the_queues_with_calls():
    # room for 3 queues of their own (5 - all - other); the agent lists 10 queues first
    s = EngineSettings(max_segments=5)
    engine = run([agent(0, "a1", "on_call", [f"q{i}" for i in range(10)]),
                  ev("call.queued", 1, "c1", "q7"), ev("call.queued", 2, "c2", "x"),
                  ev("call.queued", 3, "c3", "q2")], s)
    snap = engine.snapshot(T0 + 4)["segments"]
    assert sorted(snap) == ["all", "q2", "q7", "x"]                 # nothing folded
    assert engine.folded["queue_events"] == 0
    assert [snap[n]["now"]["agents"]["on_call"] for n in ("q2", "q7", "x")] == [1, 1, 0]


def test_agents_known_before_the_first_call_count_in_the_segment_it_creates():
    engine = run([agent(0, "a1", "available", ["billing"]), agent(1, "a2", "acw", ["billing"]),
                  agent(2, "a3", "available", ["sales"])])
    assert list(engine.snapshot(T0 + 3)["segments"]) == ["all"]
    engine.apply(parse_event(ev("call.queued", 4)))  # billing's first call
    agents = seg(engine, 5)["now"]["agents"]
    assert (agents["available"], agents["acw"], agents["staffed"]) == (1, 1, 2)
    # as of an instant before the agents' latest events (from the histories): a1 only
    assert seg(engine, 0.5)["now"]["agents"]["staffed"] == 1
    assert "sales" not in engine.snapshot(T0 + 5)["segments"]


def test_once_the_room_is_full_agents_of_queues_without_a_segment_count_in_other():
    s = EngineSettings(max_segments=4)  # room for 2 queues
    engine = run([agent(0, "a1", "available", ["q3"]), agent(0, "a2", "available", ["q1"]),
                  ev("call.queued", 1, "c1", "q1")], s)
    assert sorted(engine.snapshot(T0 + 2)["segments"]) == ["all", "q1"]
    for e in (ev("call.queued", 3, "c2", "q2"), ev("call.queued", 4, "c3", "q3")):
        engine.apply(parse_event(e))  # q2 fills the room; q3's call folds into other
    snap = engine.snapshot(T0 + 5)["segments"]
    assert sorted(snap) == ["all", "other", "q1", "q2"]
    assert snap["other"]["windows"]["5m"]["offered"] == 1
    assert snap["other"]["now"]["agents"]["available"] == 1          # a1, serving q3
    assert snap["q1"]["now"]["agents"]["available"] == 1             # a2
    assert snap["all"]["now"]["agents"]["available"] == 2
    engine.apply(parse_event(agent(6, "a3", "available", ["q9"])))
    assert seg(engine, 6, "other")["now"]["agents"]["available"] == 2
    assert seg(engine, 5, "other")["now"]["agents"]["available"] == 1  # from the histories


def _events() -> list[dict]:
    events = [agent(0, f"a{i}", "available", ["billing", "sales"]) for i in range(3)]
    events += [agent(0, "junk", "on_call", QUEUES[:300])]
    events += [ev("call.queued", 10 + i, f"c{i}", ("billing", "support")[i % 2])
               for i in range(6)]
    events += [agent(20, "a0", "acw", ["billing", "sales"])]
    return events


def test_agents_in_their_own_partition_count_in_the_segments_other_partitions_created():
    events = _events()
    single = run(events)
    agents_part = run([e for e in events if e["type"] == "agent.state"])
    calls_part = run([e for e in events if e["type"] != "agent.state"])
    merger = SnapshotMerger(EngineSettings())
    for at in (5, 15, 25):
        t = T0 + at
        merged = merger.render([agents_part.partial(t), calls_part.partial(t)], round(t * 1000))
        assert merged == single.snapshot(t)
        # the agents' partial carries their queues as names without calls, at most the room
        assert len(agents_part.partial(t).segments) <= EngineSettings().max_segments
    segments = single.snapshot(T0 + 25)["segments"]
    assert sorted(segments) == ["all", "billing", "support"]   # sales: agents only
    # a1, a2 available, a0 in acw; "junk" serves 300 other queues (256 kept, then other)
    assert segments["billing"]["now"]["agents"] == {"available": 2, "on_call": 0, "acw": 1,
                                                     "not_ready": 0, "staffed": 3}
    assert segments["all"]["now"]["agents"]["staffed"] == 4
    assert segments["support"]["now"]["agents"]["staffed"] == 0


def test_the_agents_names_past_the_room_are_those_with_the_most_agents():
    # room 3: billing (3 agents), sales (2) and zz (2) are kept; aa (1) is left out
    s = EngineSettings(max_segments=5)
    engine = run([agent(0, "a1", "available", ["billing", "sales", "aa"]),
                  agent(0, "a2", "available", ["billing", "sales", "zz"]),
                  agent(0, "a3", "available", ["billing", "zz"])], s)
    assert sorted(engine.partial(T0 + 1).segments) == ["all", "billing", "sales", "zz"]


def test_save_restore_and_the_wire_keep_the_agents_of_queues_without_a_segment():
    events = _events()
    agents_part = run([e for e in events if e["type"] == "agent.state"])
    restored = Engine.from_bytes(agents_part.to_bytes())
    t = T0 + 25
    part = restored.partial(t)
    assert part.segments == agents_part.partial(t).segments
    wire, _ = decode_partial(encode_partial(part, {}))
    calls_part = run([e for e in events if e["type"] != "agent.state"])
    merger = SnapshotMerger(EngineSettings())
    assert merger.render([wire, calls_part.partial(t)], round(t * 1000)) == \
        run(events).snapshot(t)

"""Agents (``streams.core.engine.agents``): the latest state at or before ``t`` per segment,
the bound on queues per agent, and the histories and counts on their own.

Timelines are in seconds after T0 unless said otherwise.
"""

from __future__ import annotations

import random

from schemas import parse_event
from streams.core.config import EngineSettings
from streams.core.engine.agents import AGENT_STATES, Agents, zero_counts
from streams.core.engine.clock import NEVER
from streams.core.engine.segments import Segments

from .support import T0, agent, ev, run, seg

STATES = ("available", "on_call", "acw", "not_ready", "offline")


def _agents(max_queues: int = 4) -> Agents:
    return Agents(Segments(EngineSettings()), max_queues)


def _apply(agents: Agents, at: float, agent_id: str, state: str, queues: list[str]) -> str:
    return agents.apply(parse_event(agent(at, agent_id, state, queues)), round((T0 + at) * 1000))


def _count(agents: Agents, t: int) -> dict[str, dict[str, int]]:
    """The agents per segment as of ``t``, from every history, entry by entry."""
    out: dict[str, dict[str, int]] = {}
    for history in agents.histories.values():
        entries = [e for e in history if e[0] <= t]
        if entries and entries[-1][2] in AGENT_STATES:
            for name in agents.segments.for_agent(entries[-1][3]):
                counts = out.setdefault(name, zero_counts())
                counts[entries[-1][2]] += 1
                counts["staffed"] += entries[-1][2] != "not_ready"
    return out


def test_agents_by_latest_state_at_or_before_t_per_segment():
    engine = run([
        ev("call.queued", 0, "c1", "billing"), ev("call.queued", 0, "c2", "sales"),  # segments
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


def test_one_agent_state_with_thousands_of_queues_stays_within_the_limits():
    queues = [f"queue-{i:05d}" for i in range(7999)]
    s = EngineSettings(max_segments=50, max_queues_per_agent=16)
    engine = run([agent(0, "a1", "available", queues)], s)
    assert engine.folded["agent_queues"] == 7999 - 16
    # no segment from an agent's queue list (issue 19, finding 7): the board shows `all` only
    assert list(engine.snapshot(T0 + 1)["segments"]) == ["all"]
    assert engine.segment_names() == ["all"]
    # the partial carries the agent under its 16 queues and `other` (past the 16), for the
    # segments other engines' calls create; bounded by the room (48 here)
    assert len(engine.partial(T0 + 1).segments) == 1 + 16 + 1
    for e in (ev("call.queued", 2, "c1", "queue-00003"), ev("call.queued", 2, "c2", "q-x")):
        engine.apply(parse_event(e))
    segments = engine.snapshot(T0 + 3)["segments"]
    assert sorted(segments) == ["all", "q-x", "queue-00003"]
    assert segments["queue-00003"]["now"]["agents"]["available"] == 1  # known before the call
    assert segments["q-x"]["now"]["agents"]["staffed"] == 0
    assert segments["all"]["now"]["agents"]["staffed"] == 1


def test_a_late_entry_joins_the_history_and_the_latest_stays_the_latest():
    agents = _agents()
    assert agents.latest_ms == NEVER and agents.as_of(0) == {}
    assert _apply(agents, 10, "a1", "on_call", ["billing"]) == "applied"
    _apply(agents, 5, "a1", "available", ["billing"])  # late
    assert [e[2] for e in agents.histories["a1"]] == ["available", "on_call"]
    assert agents.groups == {("on_call", ("billing",)): 1}
    assert agents.latest_ms == round((T0 + 10) * 1000)
    assert agents.as_of(round((T0 + 7) * 1000))["billing"]["available"] == 1
    _apply(agents, 20, "a1", "not_ready", ["billing"])
    assert +agents.groups == {("not_ready", ("billing",)): 1}


def test_the_latest_counts_kept_up_to_date_equal_a_count_of_every_history():
    rnd = random.Random(6)
    agents = _agents(max_queues=2)
    for i in range(400):
        queues = rnd.sample(["billing", "sales", "support", "vip"], rnd.randrange(0, 4))
        _apply(agents, rnd.randrange(0, 3600), f"a{rnd.randrange(12)}", rnd.choice(STATES),
               queues)
        if i % 7 == 0:  # at or after every event (the kept counts) and earlier (histories)
            for t in (agents.latest_ms, agents.latest_ms - rnd.randrange(1, 3_600_000)):
                assert agents.as_of(t) == {name: counts for name, counts in _count(
                    agents, t).items() if counts["staffed"] or counts["not_ready"]}
    assert agents.segments.folded["agent_queues"] > 0  # three queues, two kept


def test_pruning_keeps_the_entry_in_force_at_the_cutoff_and_a_restore_counts_the_latest():
    agents = _agents()
    for at, state in [(0, "available"), (10, "on_call"), (20, "acw"), (30, "available")]:
        _apply(agents, at, "a1", state, ["billing"])
    cutoff = round((T0 + 25) * 1000)
    agents.prune(cutoff)
    assert [e[2] for e in agents.histories["a1"]] == ["acw", "available"]
    assert agents.as_of(cutoff)["billing"]["acw"] == 1
    restored = _agents()
    restored.restore("a1", list(agents.histories["a1"]))
    assert restored.groups == agents.groups and restored.latest_ms == agents.latest_ms
    assert restored.as_of(cutoff) == agents.as_of(cutoff)

from __future__ import annotations

from collections import Counter

import pytest

from schemas import parse_event
from streams.simulator import QueueModel, Simulator, default_models, rfc3339

T0 = 1_795_300_000.0


def test_same_seed_same_events_whatever_the_step():
    a = list(Simulator(default_models(), start=T0, seed=5).run(T0 + 3600, step=1.0))
    b = list(Simulator(default_models(), start=T0, seed=5).run(T0 + 3600, step=600.0))
    assert a == b
    assert a != list(Simulator(default_models(), start=T0, seed=6).run(T0 + 3600))


def test_every_event_is_valid_and_time_ordered():
    events = list(Simulator(default_models(), start=T0, seed=1).run(T0 + 3600))
    parsed = [parse_event(e) for e in events]
    assert [p.ts for p in parsed] == sorted(p.ts for p in parsed)
    assert len({p.event_id for p in parsed}) == len(parsed)


def test_each_call_follows_the_visit_state_machine():
    events = list(Simulator(default_models(), start=T0, seed=2).run(T0 + 7200))
    by_call: dict[str, list[str]] = {}
    for e in events:
        if e["type"] != "agent.state":
            by_call.setdefault(e["call_id"], []).append(e["type"])
    shapes = Counter(tuple(v) for v in by_call.values())
    allowed = {
        ("call.queued",),
        ("call.queued", "call.abandoned"),
        ("call.queued", "call.answered"),
        ("call.queued", "call.answered", "call.ended"),
        ("call.queued", "call.answered", "call.ended", "call.wrapup_ended"),
    }
    assert set(shapes) <= allowed
    complete = shapes[("call.queued", "call.answered", "call.ended", "call.wrapup_ended")]
    assert complete > 100 and shapes[("call.queued", "call.abandoned")] > 0


def test_arrival_rate_matches_the_model():
    model = QueueModel("q", arrivals_per_min=6.0, agents=50)
    events = list(Simulator([model], start=T0, seed=9).run(T0 + 10 * 3600))
    arrivals = sum(e["type"] == "call.queued" for e in events)
    assert 3400 < arrivals < 3800  # 3600 expected; Poisson sd = 60


def test_agents_are_never_double_booked():
    events = list(Simulator(default_models(), start=T0, seed=4).run(T0 + 3600))
    busy: set[str] = set()
    for e in events:
        if e["type"] == "call.answered":
            assert e["agent_id"] not in busy
            busy.add(e["agent_id"])
        elif e["type"] == "call.wrapup_ended":
            busy.remove(e["agent_id"])


@pytest.mark.parametrize("kwargs", [{"arrivals_per_min": -1, "agents": 1},
                                    {"arrivals_per_min": 1, "agents": 1, "mean_talk_s": 0}])
def test_invalid_models_are_rejected(kwargs):
    with pytest.raises(ValueError, match="queue q"):
        QueueModel("q", **kwargs)


def test_rfc3339_is_utc_with_milliseconds():
    assert rfc3339(T0 + 0.1234) == "2026-11-21T22:26:40.123Z"

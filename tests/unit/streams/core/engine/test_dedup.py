"""Deduplication (``streams.core.engine.dedup``): duplicates change nothing, also once an
id has left the dedup horizon, and the two generations of ids on their own.

Timelines are in seconds after T0 unless said otherwise.
"""

from __future__ import annotations

from schemas import parse_event
from streams.core.engine.clock import NEVER
from streams.core.engine.dedup import Dedup

from .support import T0, agent, ev, run


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


def test_a_rotation_keeps_the_last_generation_and_says_what_may_be_forgotten():
    dedup = Dedup()
    assert (dedup.generation_start, dedup.forgotten_before) == (NEVER, NEVER)
    dedup.rotate(1_000, horizon_ms=500, future_ms=50)  # the first generation starts
    assert dedup.generation_start == 1_000 and dedup.forgotten_before == NEVER + 50
    dedup.current |= {"a", "b"}
    dedup.rotate(1_499, horizon_ms=500, future_ms=50)  # not a horizon yet
    assert dedup.current == {"a", "b"} and dedup.previous == set()
    dedup.rotate(1_500, horizon_ms=500, future_ms=50)
    assert (dedup.previous, dedup.current) == ({"a", "b"}, set())
    assert dedup.generation_start == 1_500 and dedup.forgotten_before == 1_050
    dedup.current.add("c")
    dedup.rotate(2_100, horizon_ms=500, future_ms=50)  # "a" and "b" are forgotten
    assert (dedup.previous, dedup.current) == ({"c"}, set())
    assert dedup.forgotten_before == 1_550

"""The facade (``streams.core.engine.engine``) and the package's names: what ``apply``
answers, the figures the engine keeps (``outcomes``, ``folded``, ``totals``, ``newest_ms``),
a snapshot is the render of the engine's own partial, and every name the package exported
before it became one is still there.

Timelines are in seconds after T0 unless said otherwise.
"""

from __future__ import annotations

import streams.core.engine as package
from schemas import parse_event
from streams.core.config import EngineSettings
from streams.core.engine import Engine, SnapshotMerger

from .support import T0, agent, ev, run

# every name imported from streams.core.engine in the tree when it was one module
PUBLIC = ("AGENT_STATES", "ALL", "DEQUEUE_REASONS", "OTHER", "STATE_VERSION", "TOTALS_BUCKETS",
          "WAIT_BUCKETS_S", "WINDOW_KEYS", "Engine", "Partial", "SnapshotMerger", "StateError",
          "format_as_of", "wait_bin", "wait_bin_floor_s", "wait_bucket_edges_ms")


def test_the_package_exports_every_public_name():
    assert sorted(package.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(package, name) is not None, name
    assert package.AGENT_STATES == ("available", "on_call", "acw", "not_ready")
    assert (package.ALL, package.OTHER, package.STATE_VERSION) == ("all", "other", 1)


def test_apply_answers_what_happened_to_each_event_and_outcomes_keep_count():
    engine = Engine()
    assert engine.newest_ms is None and engine.segment_names() == ["all"]
    first = ev("call.queued", 0)
    answers = [engine.apply(parse_event(e)) for e in [
        first, first, ev("call.answered", 5, agent_id="a"), ev("call.answered", 6, agent_id="a"),
        ev("call.ended", 9, "other-call", agent_id="a"), agent(1, "a", "on_call", ["billing"])]]
    assert answers == ["applied", "duplicate", "applied", "held", "held", "applied"]
    assert +engine.outcomes == {"applied": 3, "duplicate": 1, "held": 2}
    assert engine.newest_ms == round((T0 + 9) * 1000)
    assert engine.segment_names() == ["all", "billing"]


def test_folded_and_totals_are_the_engine_s_own_figures():
    engine = run([ev("call.queued", i, f"c{i}", f"q{i}") for i in range(4)],
                 EngineSettings(max_segments=3))
    assert engine.folded == {"queue_events": 3}  # room for one queue of its own
    assert engine.segment_names() == ["all", "other", "q0"]
    totals = engine.totals
    totals["all"] = [1]  # a copy
    assert engine.totals == {} and engine.saved_totals == {}


def test_a_snapshot_is_the_render_of_the_engine_s_partial():
    engine = run([ev("call.queued", 0), ev("call.answered", 30, agent_id="a"),
                  ev("call.queued", 10, "c2"), agent(0, "a", "available", ["billing"])])
    for at in (5, 25, 31, 400):
        part = engine.partial(T0 + at)
        assert part.t == round((T0 + at) * 1000)
        assert sorted(part.segments) == engine.segment_names()
        assert SnapshotMerger(engine.settings).render([part], part.t) == engine.snapshot(T0 + at)

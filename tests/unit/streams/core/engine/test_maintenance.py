"""Maintenance (``streams.core.engine.maintenance``): held outcomes become orphaned once the
allowance has passed, visits open longer than ``max_visit_s`` expire, final calls are dropped.

Timelines are in seconds after T0 unless said otherwise; T = 20 s.
"""

from __future__ import annotations

from dataclasses import replace

from schemas import parse_event
from streams.core.config import EngineSettings
from streams.core.engine.aggregates import C_ANSWERED, C_HANDLED, C_MISSED, C_OFFERED

from .support import ev, run, seg, win


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


def test_final_calls_go_to_the_totals_and_an_expired_visit_once_it_expired():
    s = replace(EngineSettings(), max_visit_s=600.0)
    engine = run([ev("call.queued", 0, "done"), ev("call.answered", 5, "done", agent_id="a"),
                  ev("call.ended", 65, "done", agent_id="a", acw=False),
                  ev("call.queued", 0, "wait")], s)
    assert engine.totals == {}  # kept while a snapshot may still ask about them
    engine.apply(parse_event(ev("call.queued", 600, "tick")))  # done: final; wait: open
    row = engine.totals["billing"]
    assert (row[C_OFFERED], row[C_ANSWERED], row[C_HANDLED], row[C_MISSED]) == (1, 1, 1, 0)
    engine.apply(parse_event(ev("call.queued", 800, "tock")))  # wait expires (at 600)
    assert engine.totals["billing"][C_OFFERED] == 1  # its finalize check is behind tick's
    engine.apply(parse_event(ev("call.queued", 1300, "tack")))  # both checks are due
    row = engine.totals["billing"]
    assert (row[C_OFFERED], row[C_ANSWERED], row[C_HANDLED], row[C_MISSED]) == (2, 1, 1, 1)
    assert engine.outcomes["expired"] == 1

"""events.md "Ordering and lateness": a visit left open longer than ``max_visit_s`` is closed and
counted as expired, not as abandoned; worked by hand at the boundary (an outcome at exactly
``q + max_visit_s`` is still the visit's outcome), and for a talk whose end never comes: it
closes ``max_visit_s`` after its answer (never handled, metrics.md counts only completed
handling) and the call goes to the totals in a running engine as in a restored one.

``max_visit_s`` = 600 s here; T = 20 s. Timelines are in seconds after T0.
"""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from schemas import parse_event
from streams.core.config import EngineSettings
from streams.core.engine import Engine
from streams.core.engine.aggregates import (
    C_ABANDONED,
    C_ANSWERED,
    C_HANDLED,
    C_IN_SL,
    C_MET,
    C_MISSED,
    C_OFFERED,
)

from .support import T0, ev, run, seg, ticks, win

S = replace(EngineSettings(), max_visit_s=600.0)


def _counts(row: list[int]) -> tuple[int, ...]:
    return tuple(row[c] for c in (C_OFFERED, C_ANSWERED, C_IN_SL, C_ABANDONED, C_HANDLED,
                                  C_MET, C_MISSED))


def test_a_caller_waits_until_exactly_q_plus_max_visit_s():
    engine = run([ev("call.queued", 0)], S)
    assert seg(engine, 600)["now"]["waiting"] == 1       # wait 600 = max_visit_s: still open
    assert seg(engine, 600.001)["now"]["waiting"] == 0   # expired at q + max_visit_s


@pytest.mark.parametrize("late", [False, True])
def test_an_abandon_at_exactly_q_plus_max_visit_s_is_an_abandon(late):
    abandon = ev("call.abandoned", 600)
    # late: the clock has moved on by up to max_lateness_s (120 s) before it arrives
    events = [ev("call.queued", 0)] + (ticks(650, 719, 69) + [abandon] if late else [abandon])
    engine = run(events + ticks(1300, 1300), S)
    # wait 600 > T: abandoned (not short), its miss at q + T = 20; no expiry
    w = win(engine, 1300, "60m")
    assert (w["abandoned"], w["short_abandoned"], w["sl_missed"]) == (1, 0, 1)
    assert engine.outcomes["expired"] == 0 and engine.outcomes["orphaned"] == 0


def test_an_abandon_a_millisecond_later_finds_the_visit_expired():
    engine = run([ev("call.queued", 0), ev("call.abandoned", 600.001)] + ticks(1300, 1300), S)
    w = win(engine, 1300, "60m")
    # expired at 600, never abandoned; the miss at q + T = 20 stands
    assert (w["abandoned"], w["sl_missed"]) == (0, 1)
    assert engine.outcomes["expired"] == 1 and engine.outcomes["orphaned"] == 1


def test_an_answer_at_exactly_q_plus_max_visit_s_is_an_answer():
    engine = run([ev("call.queued", 0), ev("call.answered", 600, agent_id="a"),
                  ev("call.ended", 700, agent_id="a", acw=False)], S)
    w = win(engine, 700, "60m")
    # wait 600 > T: answered out of SL (miss at 20), handled at 700 with handle 100 s
    assert (w["answered"], w["answered_in_sl"], w["sl_missed"], w["handled"], w["aht_s"]) == \
        (1, 0, 1, 1, 100.0)


# -- a talk whose end never comes (the engine's part of issue 24's last-session finding) ------

TALKS = {
    "answered": [ev("call.queued", 0, "talk"), ev("call.answered", 5, "talk", agent_id="a")],
    "ended with acw": [ev("call.queued", 0, "talk"),
                       ev("call.answered", 5, "talk", agent_id="a"),
                       ev("call.ended", 50, "talk", agent_id="a")],  # no wrap-up follows
}


@pytest.mark.parametrize("case", sorted(TALKS))
def test_a_talk_whose_end_never_comes_closes_and_goes_to_the_totals(case):
    events = TALKS[case] + ticks(60, 1500, 60)
    engine = run(events, S)
    checkpoint = run(events[:4], S).to_bytes()  # saved after the first ticks, restored,
    # then fed the rest
    restored = Engine.from_bytes(checkpoint, S)
    for e in events[4:]:
        restored.apply(parse_event(e))
    # wait 5 s: offered, answered in SL, met. Handling never completes: handled 0. The talk
    # opened at a = 5 closes at a + max_visit_s = 605; once final (the watermark past it by
    # max_future_s) the call is dropped and its records counted in the totals
    for e in (engine, restored):
        assert _counts(e.totals["billing"]) == (1, 1, 1, 0, 0, 1, 0)
        assert "talk" not in orjson.loads(e.to_bytes())["calls"]
    assert engine.totals == restored.totals
    assert engine.snapshot(T0 + 1500) == restored.snapshot(T0 + 1500)
    # the end arriving after the talk closed is never handled
    engine.apply(parse_event(ev("call.ended", 1501, "talk", agent_id="a", acw=False)))
    assert engine.totals["billing"][C_HANDLED] == 0
    assert win(engine, 1501, "60m")["handled"] == 0 and win(engine, 1501, "60m")["aht_s"] is None

"""The partial's "now" block and segment sums (``streams.core.engine.partial``): callers
waiting as of ``t``, the misses of callers still waiting past ``T``, and the column sums per
segment; metrics.md's "now" through the engine, then the pieces on their own.

Timelines are in seconds after T0 unless said otherwise; T = 20 s, short abandon 5 s.
"""

from __future__ import annotations

import random

from streams.core.config import SegmentPolicy
from streams.core.engine.aggregates import MISSED_UNIT
from streams.core.engine.calls import Call, Visit
from streams.core.engine.cells import Cell
from streams.core.engine.clock import FOREVER
from streams.core.engine.partial import SegmentSums, add_misses, now_block

from .support import ev, run, seg, win

LENGTHS = [300_000, 900_000, 3_600_000]
LIMIT = 600_000  # max_visit_s


def test_waiting_oldest_and_over_sl_as_of_t():
    # c1 queued at 0 (answered 30), c2 queued at 10, c3 queued at 25; as of 40: c2, c3 wait.
    engine = run([
        ev("call.queued", 0, "c1"), ev("call.queued", 10, "c2"),
        ev("call.queued", 25, "c3"), ev("call.answered", 30, "c1", agent_id="a"),
    ])
    now = seg(engine, 40)["now"]
    assert now["waiting"] == 2
    assert now["oldest_wait_s"] == 30.0          # t - min(q) = 40 - 10
    assert now["waiting_over_sl"] == 1           # only c2: 30 > 20; c3: 15
    assert seg(engine, 40, "all")["now"]["waiting"] == 2
    # as of 29 all three were waiting (c1's answer at 30 is after t), as of 5 only c1
    assert seg(engine, 29)["now"]["waiting"] == 3
    assert seg(engine, 5)["now"] == {**seg(engine, 5)["now"], "waiting": 1, "oldest_wait_s": 5.0}


def test_nobody_waiting_gives_null_oldest_wait():
    engine = run([ev("call.queued", 0), ev("call.abandoned", 3)])
    assert seg(engine, 10)["now"] == {
        "waiting": 0, "oldest_wait_s": None, "waiting_over_sl": 0,
        "agents": {"available": 0, "on_call": 0, "acw": 0, "not_ready": 0, "staffed": 0}}


def test_wait_exactly_at_threshold_is_not_over_sl():
    engine = run([ev("call.queued", 0)])
    assert seg(engine, 20)["now"]["waiting_over_sl"] == 0   # t - q = T, not > T
    assert seg(engine, 20.001)["now"]["waiting_over_sl"] == 1


def test_a_caller_still_waiting_is_a_miss_from_q_plus_t_on():
    engine = run([ev("call.queued", 100.0)])
    assert win(engine, 119.999)["sl_missed"] == 0
    assert win(engine, 120.0)["sl_missed"] == 1               # q + T <= t
    assert win(engine, 120.0)["service_level"] == 0.0
    assert win(engine, 420.0)["sl_missed"] == 0               # (120, 420]: the miss was at 120
    assert win(engine, 420.0, "15m")["sl_missed"] == 1
    # the caller is then answered late: still exactly one miss, now recorded
    engine = run([ev("call.queued", 100.0), ev("call.answered", 200.0, agent_id="a")])
    assert win(engine, 150)["sl_missed"] == 1 and win(engine, 250)["sl_missed"] == 1
    assert win(engine, 250)["sl_met"] == 0


def _visit_by_visit(live, calls, t, day_start, lengths, earliest, limit):
    """The "now" block as metrics.md words it: each visit of each call, cell by cell."""
    waiting, misses, gone = {}, {}, []
    for call_id, call in live.items():
        if calls.get(call_id) is not call:
            gone.append(call_id)
            continue
        if all(v.outcome_ms is not None and v.outcome_ms < earliest for v in call.visits):
            gone.append(call_id)
        for v in call.visits:
            q, o = v.queued_ms, v.outcome_ms
            if q > t:
                continue
            for cell in v.cells:
                miss = q + cell.sl_ms
                if o is None and miss <= t and cell.sl_ms < limit:
                    extra = misses.setdefault(cell, [0] * (len(lengths) + 1))
                    for i, length in enumerate(lengths):
                        extra[i] += miss > t - length
                    extra[-1] += miss >= day_start
                if (o is None or o > t) and t - q <= limit:
                    for name in cell.segments:
                        n, first, over = waiting.get(name, (0, q, 0))
                        waiting[name] = [n + 1, min(first, q), over + (t - q > cell.sl_ms)]
    return waiting, misses, gone


def test_the_now_block_equals_a_count_visit_by_visit():
    rnd = random.Random(8)
    cells = [Cell(("all", "billing"), SegmentPolicy()),
             Cell(("vip",), SegmentPolicy(sl_threshold_s=10.0)),
             Cell(("all", "sales"), SegmentPolicy(sl_threshold_s=900.0))]  # T past the limit
    memberships = [(cells[0],), (cells[0], cells[1]), (cells[2],), (cells[2], cells[1])]
    for _ in range(60):
        calls: dict[str, Call] = {}
        for i in range(rnd.randrange(1, 40)):
            call = calls[f"c{i}"] = Call(f"c{i}")
            for _ in range(rnd.randrange(1, 3)):
                visit = Visit("q", rnd.randrange(0, 2_000_000), rnd.choice(memberships))
                if rnd.random() < 0.6:
                    visit.outcome = rnd.choice(["answered", "abandoned", "expired"])
                    visit.outcome_ms = visit.queued_ms + rnd.randrange(0, 700_000)
                call.visits.append(visit)
        live = dict(calls)
        live["stale"] = Call("stale")  # no longer held by the engine
        t = rnd.randrange(0, 2_500_000)
        day_start = t - rnd.randrange(0, 2_000_000)
        earliest = rnd.choice([FOREVER, t - rnd.randrange(0, 900_000)])
        expected_waiting, expected_misses, gone = _visit_by_visit(
            live, calls, t, day_start, LENGTHS, earliest, LIMIT)
        waiting, misses = now_block(live, calls, t, day_start, LENGTHS, earliest, LIMIT)
        assert waiting == expected_waiting
        assert misses == expected_misses
        assert set(live) == set(calls) - set(gone) and "stale" not in live


def test_misses_go_into_new_rows_and_the_segment_sums_follow_the_rows_that_changed():
    a, b = Cell(("all", "billing"), SegmentPolicy()), Cell(("all", "sales"), SegmentPolicy())
    row_a, row_b = ([1, 2], [10, 20]), ([100, 200], [0, 5])
    sums = SegmentSums()
    first = sums.update({a: row_a, b: row_b})
    assert first == {"all": ([101, 202], [10, 25]), "billing": row_a, "sales": row_b}
    billing = first["billing"]
    assert sums.update({a: row_a, b: row_b})["billing"] is billing  # nothing changed
    rows = {a: row_a, b: row_b}
    add_misses(rows, {a: [1, 0]})
    assert rows[a] == ([1 + MISSED_UNIT, 2], [10, 20]) and row_a == ([1, 2], [10, 20])
    second = sums.update(rows)
    assert second["all"] == ([101 + MISSED_UNIT, 202], [10, 25])
    assert second["billing"] == rows[a] and billing == ([1, 2], [10, 20])  # handed out: kept
    assert second["sales"] == row_b

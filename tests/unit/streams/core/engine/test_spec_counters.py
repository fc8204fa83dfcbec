"""metrics.md "Counters per window", "Service level" and "Derived figures", worked by hand:
each service-level rule at its boundary (a wait of exactly T, exactly ``short_abandon_s``),
the attribution time of each event, the rate with short abandons, and nearest-rank
percentiles on even and odd counts.

Defaults: T = 20 s, short_abandon_s = 5 s, abandon_policy negative. Timelines are in seconds
after T0; a call is queued at Q unless said otherwise.
"""

from __future__ import annotations

import pytest

from .support import ev, run, settings, win

Q = 100.0


def _sl(engine, at: float, window: str = "60m") -> tuple[int, int]:
    w = win(engine, at, window)
    return w["sl_met"], w["sl_missed"]


def test_answered_after_exactly_t_is_in_sl_and_met_at_the_answer():
    # wait = 20.000 = T: rule 1 (wait <= T): answered_in_sl, met at a = Q + 20
    engine = run([ev("call.queued", Q), ev("call.answered", Q + 20, agent_id="a")])
    w = win(engine, Q + 21)
    assert (w["answered"], w["answered_in_sl"], w["sl_met"], w["sl_missed"]) == (1, 1, 1, 0)
    assert w["service_level"] == 1.0


def test_answered_a_millisecond_past_t_is_a_miss_at_q_plus_t():
    # wait = 20.001 > T: rule 5, missed at Q + T = Q + 20 (not at the answer, Q + 20.001)
    engine = run([ev("call.queued", Q), ev("call.answered", Q + 20.001, agent_id="a")])
    w = win(engine, Q + 21)
    assert (w["answered"], w["answered_in_sl"], w["sl_met"], w["sl_missed"]) == (1, 0, 0, 1)
    assert w["service_level"] == 0.0


def test_a_long_wait_answered_counts_its_miss_at_q_plus_t_not_at_the_answer():
    # wait 400 s: the miss is at Q + 20; as of the answer (Q + 400) the 5m window is
    # (Q + 100, Q + 400]: no miss there; the 15m window (Q - 500, Q + 400] has it.
    engine = run([ev("call.queued", Q), ev("call.answered", Q + 400, agent_id="a")])
    assert _sl(engine, Q + 400, "5m") == (0, 0)
    assert _sl(engine, Q + 400, "15m") == (0, 1)
    assert win(engine, Q + 400, "5m")["answered"] == 1  # the answer itself is at a


@pytest.mark.parametrize(("wait", "short", "abandoned"), [
    (4.999, 1, 1),   # wait < 5 s: short (and still counted in abandoned)
    (5.0, 0, 1),     # wait = short_abandon_s: not short
])
def test_short_abandon_is_a_wait_strictly_below_short_abandon_s(wait, short, abandoned):
    engine = run([ev("call.queued", Q), ev("call.abandoned", Q + wait)])
    w = win(engine, Q + 30)
    assert (w["abandoned"], w["short_abandoned"]) == (abandoned, short)
    # rule 2: a short abandon makes no service-level event; rule 3 (negative): a miss at b
    assert (w["sl_met"], w["sl_missed"]) == ((0, 0) if short else (0, 1))


@pytest.mark.parametrize(("policy", "met", "missed"), [
    ("negative", 0, 1), ("ignore", 0, 0), ("positive", 1, 0)])
def test_an_abandon_within_t_follows_the_policy_at_b(policy, met, missed):
    # wait 12 s (5 <= 12 <= 20): rule 3, at b = Q + 12. As of Q + 311.999 the 5m window
    # (Q + 11.999, Q + 311.999] holds b; as of Q + 312 it starts at b, excluded.
    engine = run([ev("call.queued", Q), ev("call.abandoned", Q + 12)],
                 settings(abandon_policy=policy))
    assert _sl(engine, Q + 311.999, "5m") == (met, missed)
    assert _sl(engine, Q + 312, "5m") == (0, 0)


@pytest.mark.parametrize("policy", ["negative", "ignore", "positive"])
def test_an_abandon_at_exactly_t_is_rule_3_and_past_t_a_miss_whatever_the_policy(policy):
    expected = {"negative": (0, 1), "ignore": (0, 0), "positive": (1, 0)}[policy]
    engine = run([ev("call.queued", Q), ev("call.abandoned", Q + 20)],
                 settings(abandon_policy=policy))
    assert _sl(engine, Q + 30) == expected
    engine = run([ev("call.queued", Q), ev("call.abandoned", Q + 20.001)],
                 settings(abandon_policy=policy))
    assert _sl(engine, Q + 30) == (0, 1)  # rule 5: the wait reached T


def test_a_dequeue_within_t_makes_no_event_and_past_t_a_miss():
    engine = run([ev("call.queued", Q), ev("call.dequeued", Q + 20, reason="overflow")])
    assert _sl(engine, Q + 30) == (0, 0)                       # rule 4: wait = T
    assert win(engine, Q + 30)["service_level"] is None        # never 0 % or 100 % of nothing
    engine = run([ev("call.queued", Q), ev("call.dequeued", Q + 20.001, reason="overflow")])
    assert _sl(engine, Q + 30) == (0, 1)                       # rule 5
    assert win(engine, Q + 30)["dequeued"] == 1


def test_a_caller_still_waiting_is_missed_from_exactly_q_plus_t():
    engine = run([ev("call.queued", Q)])
    assert _sl(engine, Q + 19.999) == (0, 0)   # q + T > t: no event yet
    assert _sl(engine, Q + 20) == (0, 1)       # q + T = t: missed while still waiting
    assert win(engine, Q + 20)["service_level"] == 0.0


def test_service_level_is_met_over_met_plus_missed():
    # met: 3 answered within T; missed: one answered after 30 s (at q + T); one short abandon
    # (no event): 3 / (3 + 1) = 0.75
    events = []
    for i, wait in enumerate([1, 2, 3, 30]):
        events += [ev("call.queued", Q, f"c{i}"),
                   ev("call.answered", Q + wait, f"c{i}", agent_id="a")]
    events += [ev("call.queued", Q, "s"), ev("call.abandoned", Q + 1, "s")]
    w = win(run(events), Q + 60)
    assert (w["sl_met"], w["sl_missed"], w["service_level"]) == (3, 1, 0.75)


def test_abandon_rate_leaves_short_abandons_out_of_both_sides():
    # answered 3; abandoned 3 of which 1 short (wait 2 s):
    # (abandoned - short) / (answered + abandoned - short) = (3 - 1) / (3 + 3 - 1) = 0.4
    events = []
    for i in range(3):
        events += [ev("call.queued", Q, f"a{i}"),
                   ev("call.answered", Q + 10, f"a{i}", agent_id="a")]
    for i, wait in enumerate([2, 30, 40]):
        events += [ev("call.queued", Q, f"b{i}"), ev("call.abandoned", Q + wait, f"b{i}")]
    w = win(run(events), Q + 60)
    assert (w["answered"], w["abandoned"], w["short_abandoned"]) == (3, 3, 1)
    assert w["abandon_rate"] == 0.4


def _answered_with_waits(waits: list[int]) -> list[dict]:
    events = []
    for i, wait in enumerate(waits):
        events += [ev("call.queued", Q + i, f"c{i}"),
                   ev("call.answered", Q + i + wait, f"c{i}", agent_id="a")]
    return events


@pytest.mark.parametrize(("waits", "asa", "p50", "p90"), [
    # 4 waits: p50 = rank ceil(0.5 * 4) = 2 -> 7; p90 = rank ceil(3.6) = 4 -> 30
    ([30, 3, 12, 7], 13.0, 7.0, 30.0),
    # 5 waits: p50 = rank ceil(2.5) = 3 -> 12; p90 = rank ceil(4.5) = 5 -> 45
    ([45, 3, 12, 30, 7], 19.4, 12.0, 45.0),
    # 10 waits 1..10: p50 = rank 5 -> 5; p90 = rank ceil(9.0) = 9 -> 9 (not the 10th)
    ([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 5.5, 5.0, 9.0),
    # 1 wait: every rank is 1
    ([42], 42.0, 42.0, 42.0),
])
def test_asa_and_nearest_rank_percentiles(waits, asa, p50, p90):
    w = win(run(_answered_with_waits(waits)), Q + 200)
    assert w["answered"] == len(waits)
    assert (w["asa_s"], w["wait_p50_s"], w["wait_p90_s"]) == (asa, p50, p90)


def test_aht_is_the_mean_handle_of_the_visits_handled_in_the_window_at_c():
    # c1: answered at Q + 5, ended with acw false at Q + 105: handle 100 s at Q + 105
    # c2: answered at Q + 10, ended at Q + 200 (acw follows), wrap-up at Q + 260: 250 s at
    #     Q + 260; (100 + 250) / 2 = 175
    engine = run([ev("call.queued", Q, "c1"), ev("call.answered", Q + 5, "c1", agent_id="a"),
                  ev("call.ended", Q + 105, "c1", agent_id="a", acw=False),
                  ev("call.queued", Q, "c2"), ev("call.answered", Q + 10, "c2", agent_id="b"),
                  ev("call.ended", Q + 200, "c2", agent_id="b"),
                  ev("call.wrapup_ended", Q + 260, "c2", agent_id="b")])
    assert (win(engine, Q + 259.999)["handled"], win(engine, Q + 259.999)["aht_s"]) == (1, 100.0)
    assert (win(engine, Q + 260)["handled"], win(engine, Q + 260)["aht_s"]) == (2, 175.0)
    # as of Q + 405 the 5m window (Q + 105, Q + 405] starts at c1's c: only c2
    assert (win(engine, Q + 405)["handled"], win(engine, Q + 405)["aht_s"]) == (1, 250.0)

"""The snapshot example of metrics.md, rebuilt by hand from events.

The example's segment `billing` (as of 2026-11-22T01:15:00Z, 15-minute window) is produced by
a hand-made set of calls; every figure of the example follows from the definitions. The
example rounds for display (0.8333, 2.67, 12.9); we compare at the example's precision, and
its `agents_required` as corrected in metrics.md (2026-11-30: 17, not the printed 16).
"""

from __future__ import annotations

from dataclasses import replace

from schemas import parse_event
from streams.core.config import EngineSettings, SegmentPolicy, SegmentSpec
from streams.core.engine import Engine
from streams.core.erlang import service_level
from streams.core.timefmt import rfc3339

T = 1_795_310_100.0  # 2026-11-22T01:15:00Z

EXAMPLE = {
    "now": {"waiting": 3, "oldest_wait_s": 42.0, "waiting_over_sl": 1,
            "agents": {"available": 2, "on_call": 9, "acw": 1, "not_ready": 3, "staffed": 12}},
    "15m": {"offered": 40, "answered": 35, "answered_in_sl": 30, "abandoned": 4,
            "short_abandoned": 1, "dequeued": 0, "handled": 33, "sl_met": 30, "sl_missed": 6,
            "service_level": 0.8333, "asa_s": 11.2, "wait_p50_s": 8.0, "wait_p90_s": 25.0,
            "aht_s": 290.5, "abandon_rate": 0.0789},
    "forecast": {"arrival_rate_per_min": 2.67, "aht_s": 290.5, "staffed": 12,
                 "traffic_erlangs": 12.9, "overloaded": True, "p_wait": 1.0,
                 "service_level": 0.0, "asa_s": None, "occupancy": None, "agents_required": 17},
}
# the decimals the example prints each figure of the forecast with (p_wait and SL: four, as
# the rates of the snapshot)
PRINTED = {"arrival_rate_per_min": 2, "aht_s": 1, "traffic_erlangs": 1, "p_wait": 4,
           "service_level": 4}


def build() -> list[dict]:
    events: list[dict] = []
    n = 0

    def add(type_: str, at: float, call: str, **extra: object) -> None:
        nonlocal n
        n += 1
        events.append({"v": 1, "event_id": f"x{n}", "type": type_, "ts": rfc3339(T + at),
                       "call_id": call, "queue": "billing", **extra})

    # 35 answered in the window. Sorted waits: 17 x 2 s, the 18th 8 s (p50), 12 x 10 s,
    # then 21, 25 (the 32nd: p90), 25, 25, 134: 30 within T = 20 s, sum 392 s (ASA 11.2 s).
    waits = [2] * 17 + [8] + [10] * 12 + [21, 25, 25, 25, 134]
    answers = [-600 + 10 * i for i in range(35)]
    # Two calls answered within T were queued before the window (t - 900, t]: waits of 10 s
    # answered at -895 and -892 (queued at -905 and -902); two other calls take their 2 s.
    answers[0], answers[1] = -895, -892
    waits[0], waits[1], waits[18], waits[19] = 10, 10, 2, 2
    for i, (a, w) in enumerate(zip(answers, waits, strict=True)):
        add("call.queued", a - w, f"ans{i}")
        add("call.answered", a, f"ans{i}", agent_id=f"a{i % 9}")
    # 4 abandoned: one short (2 s), three after 10 s (<= T: no SL event under "ignore")
    for i, w in enumerate([2, 10, 10, 10]):
        add("call.queued", -300 + 20 * i, f"ab{i}")
        add("call.abandoned", -300 + 20 * i + w, f"ab{i}")
    # 3 still waiting: 42 s (over T), 10 s and 5 s
    for i, w in enumerate([42, 10, 5]):
        add("call.queued", -w, f"w{i}")
    # 33 handled in the window: calls answered before it; 32 handles of 290 s, one of 306.5 s
    for i in range(33):
        add("call.queued", -1160, f"old{i}")
        add("call.answered", -1150, f"old{i}", agent_id="a0")
        add("call.ended", -1150 + (306.5 if i == 0 else 290.0), f"old{i}", agent_id="a0",
            acw=False)
    states = ["available"] * 2 + ["on_call"] * 9 + ["acw"] + ["not_ready"] * 3
    for i, st in enumerate(states):
        events.append({"v": 1, "event_id": f"ag{i}", "type": "agent.state",
                       "ts": rfc3339(T - 60), "agent_id": f"agent{i}", "state": st,
                       "queues": ["billing"]})
    return sorted(events, key=lambda e: e["ts"])


SETTINGS = replace(EngineSettings(), segments=(
    SegmentSpec("billing", ("billing",), (), SegmentPolicy(abandon_policy="ignore")),))


def test_the_metrics_md_snapshot_example_from_hand_built_events():
    engine = Engine(SETTINGS)
    for e in build():
        engine.apply(parse_event(e))
    snap = engine.snapshot(T)
    assert snap["as_of"] == "2026-11-22T01:15:00Z"
    billing = snap["segments"]["billing"]
    assert list(billing) == ["now", "windows", "forecast"]
    assert list(billing["windows"]) == ["5m", "15m", "60m", "today"]
    assert billing["now"] == EXAMPLE["now"]
    assert billing["windows"]["15m"] == EXAMPLE["15m"]
    forecast = billing["forecast"]
    assert list(forecast) == list(EXAMPLE["forecast"])
    # λ = 40 / 900 s = 2.6667 / min; A = 40 / 900 · 290.5 = 12.9111 erlangs; N = 12 <= A:
    # overloaded, p_wait 1, SL 0; agents_required 17 (SL(16) = 0.7405, SL(17) = 0.8424)
    shown = {key: round(value, PRINTED[key]) if key in PRINTED else value
             for key, value in forecast.items()}
    assert shown == EXAMPLE["forecast"]
    assert forecast["arrival_rate_per_min"] == 2.6667 and forecast["traffic_erlangs"] == 12.9111
    assert (forecast["p_wait"], forecast["service_level"]) == (1.0, 0.0)
    assert forecast["agents_required"] == 17


def test_the_example_agents_required_follows_the_formula_not_the_printed_16():
    # metrics.md prints agents_required 16 for A = 40/900 * 290.5 = 12.911 erlangs, T 20 s,
    # target 0.80; the spec's own formula gives SL(16) = 0.7405 < 0.80 and SL(17) = 0.8424,
    # so the smallest N' meeting the target is 17. We implement the formula.
    a = 40 / 900 * 290.5
    assert round(service_level(a, 16, 290.5, 20), 4) == 0.7405  # the correction's decimals
    assert round(service_level(a, 17, 290.5, 20), 4) == 0.8424
    engine = Engine(SETTINGS)
    for e in build():
        engine.apply(parse_event(e))
    assert engine.snapshot(T)["segments"]["billing"]["forecast"]["agents_required"] == 17

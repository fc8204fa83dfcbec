"""metrics.md "Forecast (Erlang C)" through the engine, worked by hand: ``λ`` from the 15-minute
window only, ``AHT`` from the 60-minute window only (each window holding a different value),
``default_aht_s`` when nothing was handled in 60 minutes, ``N = staffed`` (acw included), and
the figures of row R4 of shared/data/real/erlang_c_reference.csv (published values).

Timelines are in seconds after T0; the forecast is asked as of ``NOW``; T = 20 s, target 0.80.
"""

from __future__ import annotations

from .support import agent, ev, run, seg

NOW = 3600.0  # the 15m window is (2700, 3600], the 60m window (0, 3600]


def _handled(call: str, queued: float, handle: float) -> list[dict]:
    """A call answered 10 s after ``queued`` whose handling completes ``handle`` s later."""
    return [ev("call.queued", queued, call), ev("call.answered", queued + 10, call, agent_id="a"),
            ev("call.ended", queued + 10 + handle, call, agent_id="a", acw=False)]


def _staff() -> list[dict]:
    # 6 available + 5 on_call + 3 acw = 14 staffed; 2 not_ready and 1 offline are not
    states = ["available"] * 6 + ["on_call"] * 5 + ["acw"] * 3 + ["not_ready"] * 2 + ["offline"]
    return [agent(60, f"ag{i}", state, ["billing"]) for i, state in enumerate(states)]


def _r4_events() -> list[dict]:
    events = _staff()
    # handled 2700 s and 2600 s before NOW (in 60m, not in 15m): handles 260 s, queued at
    # 300 and 400 (offered in 60m only)
    events += _handled("old1", 300, 260) + _handled("old2", 400, 260)
    # handled in the last 15 minutes (c = 2760 and 2790): handles 100 s; queued at 2650 and
    # 2680, before the 15m window (offered in 60m only)
    events += _handled("new1", 2650, 100) + _handled("new2", 2680, 100)
    # 50 calls offered in the 15m window (2710 .. 3445), still waiting
    events += [ev("call.queued", 2710 + 15 * i, f"w{i}") for i in range(50)]
    return sorted(events, key=lambda e: e["ts"])


def test_the_forecast_takes_the_rate_from_15m_and_the_aht_from_60m():
    snap = seg(run(_r4_events()), NOW)
    w15, w60 = snap["windows"]["15m"], snap["windows"]["60m"]
    # the two windows hold different values, so a wrong window cannot pass
    assert (w15["offered"], w15["handled"], w15["aht_s"]) == (50, 2, 100.0)
    assert (w60["offered"], w60["handled"], w60["aht_s"]) == (54, 4, 180.0)
    # λ = 50 / 900 s = 3.3333 / min; AHT = (260 + 260 + 100 + 100) / 4 = 180 s;
    # A = 50 / 900 · 180 = 10 erlangs; N = 14 (acw counts): reference row R4 (100 calls per
    # 1800 s, AHT 180 s, T 20 s, N 14): p_wait 0.1741319, SL 0.88835, ASA 7.83593701 s,
    # occupancy 0.7142857, 14 agents required for 80/20. Output rounding: p_wait, SL and
    # occupancy to 6 decimals, ASA to the millisecond.
    assert snap["forecast"] == {
        "arrival_rate_per_min": 3.3333, "aht_s": 180.0, "staffed": 14, "traffic_erlangs": 10.0,
        "overloaded": False, "p_wait": 0.174132, "service_level": 0.88835, "asa_s": 7.836,
        "occupancy": 0.714286, "agents_required": 14}


def test_the_forecast_uses_default_aht_s_when_nothing_was_handled_in_60m():
    # handled 3700 s before NOW (outside the 60m window); 30 calls offered in 15m
    events = _staff() + _handled("gone", -200, 50)
    events += [ev("call.queued", 2710 + 20 * i, f"w{i}") for i in range(30)]
    snap = seg(run(sorted(events, key=lambda e: e["ts"])), NOW)
    assert snap["windows"]["60m"]["handled"] == 0
    f = snap["forecast"]
    # AHT = default_aht_s = 300; A = 30 / 900 · 300 = 10 erlangs, N = 14: p_wait is R4's
    # 0.1741319 (it depends on A and N only); SL = 1 - 0.1741319 · exp(-(14 - 10) · 20 / 300)
    # = 1 - 0.1741319 · 0.7659283 = 1 - 0.1333726 = 0.866627; ASA = 0.1741319 · 300 / 4
    # = 13.060 s
    assert (f["aht_s"], f["traffic_erlangs"], f["staffed"]) == (300.0, 10.0, 14)
    assert (f["p_wait"], f["service_level"], f["asa_s"]) == (0.174132, 0.866627, 13.06)
    assert f["arrival_rate_per_min"] == 2.0 and f["overloaded"] is False


def test_the_forecast_is_overloaded_when_staffed_is_not_above_the_traffic():
    # 60 offered in 15m, AHT 180 (two handles of 180 s in 60m): A = 60 / 900 · 180 = 12
    # erlangs; 12 staffed: N <= A: overloaded, p_wait 1, SL 0, ASA and occupancy null
    events = [agent(60, f"ag{i}", "on_call", ["billing"]) for i in range(12)]
    events += _handled("h1", 300, 180) + _handled("h2", 400, 180)
    events += [ev("call.queued", 2710 + 14 * i, f"w{i}") for i in range(60)]
    f = seg(run(sorted(events, key=lambda e: e["ts"])), NOW)["forecast"]
    assert (f["traffic_erlangs"], f["staffed"], f["overloaded"]) == (12.0, 12, True)
    assert (f["p_wait"], f["service_level"], f["asa_s"], f["occupancy"]) == (1.0, 0.0, None,
                                                                              None)

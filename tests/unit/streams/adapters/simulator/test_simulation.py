"""The simulation: determinism, valid time-ordered events, the queue-visit state machine, the
arrival rate, agents, shifts, VIP priority, the intraday profile, surges, refused set-ups."""

from __future__ import annotations

from collections import Counter

import pytest

from schemas import parse_event
from streams.adapters.simulator import QueueModel, Simulator, default_models, rfc3339

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


# The queue-visit state machine of the contract, per (call, queue):
#   queued -> answered -> ended -> wrapup_ended      (then the call may be queued elsewhere)
#          -> abandoned | dequeued                   (dequeued: to_queue gets a call.queued)
NEXT = {None: {"call.queued"}, "call.queued": {"call.answered", "call.abandoned", "call.dequeued"},
        "call.answered": {"call.ended"}, "call.ended": {"call.wrapup_ended"},
        "call.wrapup_ended": {"call.queued"}, "call.abandoned": {"call.queued"},
        "call.dequeued": {"call.queued"}}


def test_every_visit_follows_the_state_machine_and_flows_are_consistent():
    events = list(Simulator(default_models(), start=T0, seed=2).run(T0 + 7200))
    last: dict[tuple[str, str], str | None] = {}
    flows: Counter[str] = Counter()
    open_visit: dict[str, str] = {}  # call -> queue it waits in
    for e in events:
        if e["type"] == "agent.state":
            continue
        key = (e["call_id"], e["queue"])
        assert e["type"] in NEXT[last.get(key)], (key, last.get(key), e["type"])
        last[key] = e["type"]
        if e["type"] == "call.queued":
            assert e["call_id"] not in open_visit  # never waiting in two queues at once
            open_visit[e["call_id"]] = e["queue"]
        elif e["type"] in ("call.answered", "call.abandoned", "call.dequeued"):
            assert open_visit.pop(e["call_id"]) == e["queue"]
        if e["type"] == "call.dequeued":
            assert e["reason"] == "overflow" and e["to_queue"] == "support"
            flows["overflow"] += 1
        from_sales = (e["call_id"], "sales") in last
        if e["type"] == "call.queued" and from_sales and e["queue"] == "billing":
            flows["transfer"] += 1
    assert flows["overflow"] > 0 and flows["transfer"] > 0
    finished = sum(1 for v in last.values() if v == "call.wrapup_ended")
    assert finished > 100 and sum(1 for v in last.values() if v == "call.abandoned") > 0


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


def test_rfc3339_is_utc_with_milliseconds():
    assert rfc3339(T0 + 0.1234) == "2026-11-21T22:26:40.123Z"


def _states(events: list[dict]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for e in events:
        if e["type"] == "agent.state":
            out.setdefault(e["agent_id"], []).append((e["ts"], e["state"]))
    return out


def test_breaks_and_not_ready_are_taken_only_when_idle():
    events = list(Simulator(default_models(), start=T0, seed=8).run(T0 + 6 * 3600))
    busy: set[str] = set()
    reasons: Counter[str] = Counter()
    for e in events:
        if e["type"] == "call.answered":
            busy.add(e["agent_id"])
        elif e["type"] == "call.wrapup_ended":
            busy.discard(e["agent_id"])
        elif e["type"] == "agent.state" and e["state"] == "not_ready":
            assert e["agent_id"] not in busy
            reasons[e["reason"]] += 1
    assert reasons["break"] > 10 and reasons["admin"] > 10


def test_shifts_put_agents_offline_outside_their_hours():
    from streams.adapters.simulator import Shift

    model = QueueModel("q", 1.0, 0, shifts=(Shift(9, 17, 3),), breaks=False)
    start = 1_795_305_600.0  # 2026-11-22T00:00:00Z
    events = list(Simulator([model], start=start, seed=1).run(start + 86400))
    states = _states(events)
    assert len(states) == 3
    for history in states.values():
        assert [s for _, s in history if s in ("offline",)][0] == "offline"
        ons = [ts for ts, s in history if s == "available"]
        assert ons[0].startswith("2026-11-22T09:00:00")
        assert any(ts >= "2026-11-22T17:00:00" and s == "offline" for ts, s in history)
    answered_hours = {int(e["ts"][11:13]) for e in events if e["type"] == "call.answered"}
    assert answered_hours <= set(range(9, 18))  # calls answered only on shift (17: wrap-up)


def test_vip_callers_are_served_first():
    model = QueueModel("q", 6.0, 5, mean_patience_s=600.0, breaks=False)
    events = list(Simulator([model], start=T0, seed=2).run(T0 + 8 * 3600))
    queued, waits = {}, {"vip": [], "regular": []}
    for e in events:
        if e["type"] == "call.queued":
            queued[e["call_id"]] = (e["ts"], e["attrs"]["tier"], e.get("priority"))
        elif e["type"] == "call.answered":
            ts, tier, priority = queued[e["call_id"]]
            assert (priority == 1) == (tier == "vip")
            waits[tier].append(parse_event(e).ts - parse_event({**e, "ts": ts}).ts)
    mean = {k: sum(v) / len(v) for k, v in waits.items()}
    assert mean["vip"] < mean["regular"] / 2


def test_intraday_profile_shapes_arrivals():
    from streams.adapters.simulator import INTRADAY_PROFILE

    assert abs(sum(INTRADAY_PROFILE) / 24 - 1.0) < 1e-9
    model = QueueModel("q", 2.0, 100, breaks=False)
    start = 1_795_305_600.0  # midnight UTC
    events = list(Simulator([model], start=start, seed=3, profile=INTRADAY_PROFILE)
                  .run(start + 86400))
    by_hour = Counter(int(e["ts"][11:13]) for e in events if e["type"] == "call.queued")
    assert by_hour[10] > 10 * max(by_hour[3], 1)
    assert 0.85 < sum(by_hour.values()) / (2.0 * 60 * 24) < 1.15


def test_surge_multiplies_arrivals_in_its_window():
    from streams.adapters.simulator import Surge

    model = QueueModel("q", 2.0, 100, breaks=False)
    surge = Surge("q", T0 + 3600, 3600, 4.0)
    events = list(Simulator([model], start=T0, seed=4, surge=surge).run(T0 + 3 * 3600))
    arrivals = [parse_event(e).ts for e in events if e["type"] == "call.queued"]
    before = sum(T0 <= t < T0 + 3600 for t in arrivals)
    during = sum(T0 + 3600 <= t < T0 + 7200 for t in arrivals)
    assert 3.0 < during / before < 5.3


def test_unknown_flow_targets_are_rejected():
    with pytest.raises(ValueError, match="unknown target queue 'nowhere'"):
        Simulator([QueueModel("q", 1, 1, overflow_to="nowhere")], start=T0)


@pytest.mark.parametrize("zone", ["Mars/Base", "America", "", "../../etc/passwd"])
def test_an_unknown_time_zone_is_a_value_error_naming_it(zone):
    with pytest.raises(ValueError, match="unknown time zone") as exc:
        Simulator(default_models(), start=T0, tz=zone)
    assert "timezone" in str(exc.value) and repr(zone) in str(exc.value)

"""Properties of the engine (hypothesis): arrival order within the lateness allowance,
duplicates, and a save/restore between two halves of the stream change no snapshot."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import parse_event
from streams.core.config import EngineSettings, SegmentPolicy, SegmentSpec
from streams.core.engine import Engine
from streams.core.timefmt import rfc3339

T0 = 1_795_300_000.0
QUEUES = ("billing", "sales", "support")
SETTINGS = replace(
    EngineSettings(),
    segments=(SegmentSpec("vip", ("*",), (("tier", ("vip",)),),
                          SegmentPolicy(sl_threshold_s=10.0, abandon_policy="positive")),
              SegmentSpec("sales", ("sales",), (), SegmentPolicy(abandon_policy="ignore"))),
)
LATENESS_MS = round(SETTINGS.max_lateness_s * 1000)
# waits near the definitions' boundaries (T = 20 s and 10 s, short abandon 5 s), and any
WAITS = st.one_of(st.sampled_from([0, 4_999, 5_000, 10_000, 10_001, 20_000, 20_001]),
                  st.integers(0, 90_000))


@st.composite
def call_scripts(draw: st.DrawFn, call_id: str) -> list[tuple[int, dict]]:
    out: list[tuple[int, dict]] = []
    n = 0

    def add(ms: int, type_: str, queue: str, **extra: object) -> None:
        nonlocal n
        n += 1
        out.append((ms, {"v": 1, "event_id": f"{call_id}-{n}", "type": type_, "call_id": call_id,
                         "queue": queue, **extra}))

    t = draw(st.integers(0, 1_200_000))
    queue = draw(st.sampled_from(QUEUES))
    attrs = {"tier": draw(st.sampled_from(["vip", "standard"]))}
    for visit in range(draw(st.integers(1, 2))):
        add(t, "call.queued", queue, **({"attrs": attrs} if visit == 0 else {}))
        outcome = draw(st.sampled_from(["answered", "abandoned", "dequeued", "waiting"]))
        if outcome == "waiting":
            break
        t += draw(WAITS)
        if outcome == "answered":
            add(t, "call.answered", queue, agent_id="a1")
            handling = draw(st.sampled_from(["none", "no_acw", "acw"]))
            if handling != "none":
                t += draw(st.integers(0, 400_000))
                add(t, "call.ended", queue, agent_id="a1", acw=handling == "acw")
                if handling == "acw":
                    t += draw(st.integers(0, 60_000))
                    add(t, "call.wrapup_ended", queue, agent_id="a1")
            break
        if outcome == "abandoned":
            add(t, "call.abandoned", queue)
            break
        target = draw(st.sampled_from([q for q in QUEUES if q != queue]))
        add(t, "call.dequeued", queue, reason="transfer", to_queue=target)
        queue = target
    return out


@st.composite
def streams(draw: st.DrawFn) -> list[dict]:
    timed: list[tuple[int, dict]] = []
    for i in range(draw(st.integers(1, 12))):
        timed += draw(call_scripts(f"c{i}"))
    for i in range(draw(st.integers(0, 6))):
        ms = draw(st.integers(0, 1_300_000))
        timed.append((ms, {"v": 1, "event_id": f"ag{i}", "type": "agent.state",
                           "agent_id": f"a{draw(st.integers(1, 3))}",
                           "state": draw(st.sampled_from(["available", "on_call", "acw",
                                                          "not_ready", "offline"])),
                           "queues": draw(st.lists(st.sampled_from(QUEUES), max_size=2,
                                                   unique=True))}))
    events = []
    for ms, e in sorted(timed, key=lambda item: item[0]):
        e["ts"] = rfc3339(T0 + ms / 1000)
        e["_ms"] = ms
        events.append(e)
    return events


def run(events: list[dict], engine: Engine | None = None) -> Engine:
    engine = engine or Engine(SETTINGS)
    for e in events:
        engine.apply(parse_event({k: v for k, v in e.items() if k != "_ms"}))
    return engine


def snapshots(engine: Engine, events: list[dict]) -> list[dict]:
    end = max(e["_ms"] for e in events) / 1000
    return [engine.snapshot(T0 + end + dt) for dt in (-300.0, -30.5, 0.0, 0.001, 400.0)]


PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(streams(), st.randoms(use_true_random=False))
def test_any_arrival_order_within_the_lateness_allowance_gives_the_same_snapshots(events, rnd):
    # Arrival order: by ts plus a delay in [0, lateness): an event never arrives after one
    # that is more than the allowance newer than itself.
    arrival = sorted(events, key=lambda e: e["_ms"] + rnd.randrange(LATENESS_MS))
    assert snapshots(run(arrival), events) == snapshots(run(events), events)


@PROPERTY
@given(streams(), st.randoms(use_true_random=False))
def test_duplicated_events_change_nothing(events, rnd):
    doubled = list(events)
    for e in rnd.sample(events, k=max(1, len(events) // 2)):
        doubled.insert(rnd.randrange(doubled.index(e) + 1, len(doubled) + 1), dict(e))
    assert snapshots(run(doubled), events) == snapshots(run(events), events)


@PROPERTY
@given(streams(), st.randoms(use_true_random=False))
def test_a_save_and_restore_between_two_halves_changes_nothing(events, rnd):
    cut = rnd.randrange(len(events) + 1)
    restored = Engine.from_bytes(run(events[:cut]).to_bytes(), SETTINGS)
    assert snapshots(run(events[cut:], restored), events) == snapshots(run(events), events)


def test_the_three_together_on_a_simulated_hour():
    from streams.adapters.simulator import Simulator, default_models

    raw = list(Simulator(default_models(rate=2.0), start=T0, seed=11).run(T0 + 3600))
    events = [{**e, "_ms": round((parse_event(e).ts - T0) * 1000)} for e in raw]
    rnd = random.Random(5)
    arrival = sorted(events, key=lambda e: e["_ms"] + rnd.randrange(LATENESS_MS))
    arrival += rnd.sample(arrival, 200)  # at-least-once producers: late duplicates
    cut = len(arrival) // 3
    engine = Engine.from_bytes(run(arrival[:cut]).to_bytes(), SETTINGS)
    assert snapshots(run(arrival[cut:], engine), events) == snapshots(run(events), events)

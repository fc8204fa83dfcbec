"""The engine's monotonic totals (what /metrics exports as counters): final records only,
never retracted, restored from the saved state, and equal to the windows once every call is
final."""

from __future__ import annotations

import random
from dataclasses import replace

import orjson
import pytest

from schemas import parse_event
from streams.adapters.simulator import Simulator, default_models
from streams.core.config import EngineSettings, SegmentPolicy, SegmentSpec
from streams.core.engine import TOTALS_BUCKETS, Engine, StateError, wait_bucket_edges_ms
from streams.core.engine.totals import WAIT_BUCKETS_S, Totals, valid_rows
from streams.core.timefmt import rfc3339

START = 1_795_300_000.0
SETTINGS = replace(
    EngineSettings(timezone="Asia/Shanghai", windows=(("15m", 900), ("8h", 28_800))),
    segments=(SegmentSpec("vip", ("*",), (("tier", ("vip",)),),
                          SegmentPolicy(sl_threshold_s=10.0, abandon_policy="positive")),),
)
COUNTS = ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned", "dequeued",
          "handled", "sl_met", "sl_missed")


def disordered(seed: int, hours: float) -> list[dict]:
    events = Simulator(default_models(2.0), start=START, seed=seed,
                       tz="Asia/Shanghai").advance(START + hours * 3600)
    rng = random.Random(seed)
    for _ in range(len(events) // 30):  # late, within the lateness allowance: retract, replay
        i = rng.randrange(len(events) - 31)
        events.insert(i + rng.randrange(1, 31), events.pop(i))
    return events


def tick(events: list[dict], at: float) -> bytes:
    """An agent event at ``at``: moves the engine's event clock on (every call final)."""
    agent = next(e for e in events if e["type"] == "agent.state")
    return orjson.dumps({**agent, "event_id": f"tick-{at}", "ts": rfc3339(at)})


def test_totals_never_go_back_and_equal_the_window_once_final() -> None:
    events = disordered(1, hours=1.5)
    engine = Engine(SETTINGS)
    previous: dict[str, list[int]] = {}
    for raw in events:
        engine.apply(parse_event(orjson.dumps(raw)))
        for seg, row in engine.totals.items():
            old = previous.get(seg, [0] * len(row))
            assert all(a >= b for a, b in zip(row, old, strict=True)), seg
            previous[seg] = list(row)
    assert engine.totals["all"][0] > 0  # calls became final while events flowed
    end = START + 1.5 * 3600 + SETTINGS.max_visit_s + 900
    engine.apply(parse_event(tick(events, end - 120)))  # open visits expire
    engine.apply(parse_event(tick(events, end)))  # the next maintenance drops them: final
    snap = engine.snapshot(end)
    # every record in the window is final (in the totals) or belongs to a call the engine
    # still holds (e.g. a talk that never ended, kept until its expiry check comes round)
    held = Engine(SETTINGS)
    held._calls = engine._calls
    for call in engine._calls.values():
        held._finalize(call)
    pending = held.totals
    assert set(engine.totals) == {s for s, b in snap["segments"].items()
                                  if b["windows"]["8h"]["offered"]}
    for seg, row in engine.totals.items():
        window = snap["segments"][seg]["windows"]["8h"]
        still = pending.get(seg, [0] * 11)
        assert [a + b for a, b in zip(row[:9], still, strict=False)] == \
            [window[k] for k in COUNTS], seg
        assert row[0] >= 0.95 * window["offered"]
        t_ms = round(SETTINGS.policy_for(seg).sl_threshold_s * 1000)
        edges = wait_bucket_edges_ms(t_ms)
        at_t = TOTALS_BUCKETS + edges.index(t_ms)
        in_sl = row[at_t] + (still[at_t] if seg in pending else 0)
        assert in_sl == window["answered_in_sl"], seg  # the bucket le = T
        buckets = row[TOTALS_BUCKETS:]
        assert buckets == sorted(buckets) and buckets[-1] <= row[1]
        assert sum(row[11:TOTALS_BUCKETS]) == row[5]  # dequeued by reason


def test_totals_are_restored_from_the_saved_state() -> None:
    events = disordered(2, hours=1.0)
    whole = Engine(SETTINGS)
    for raw in events:
        whole.apply(parse_event(orjson.dumps(raw)))
    half = len(events) // 2
    first = Engine(SETTINGS)
    for raw in events[:half]:
        first.apply(parse_event(orjson.dumps(raw)))
    saved = first.to_bytes()
    assert first.saved_totals == first.totals and first.totals["all"][0] > 0
    restored = Engine.from_bytes(saved, SETTINGS)
    assert restored.totals == restored.saved_totals == first.totals
    for raw in events[half:]:
        restored.apply(parse_event(orjson.dumps(raw)))
    assert restored.totals == whole.totals


def test_a_state_with_broken_totals_is_refused() -> None:
    state = orjson.loads(Engine(SETTINGS).to_bytes())
    state["totals"] = {"billing": [1, -2]}
    with pytest.raises(StateError, match="totals"):
        Engine.from_bytes(orjson.dumps(state), SETTINGS)


def test_the_wait_buckets_always_have_the_sl_threshold_as_an_edge():
    assert wait_bucket_edges_ms(20_000) == tuple(s * 1000 for s in WAIT_BUCKETS_S)
    edges = wait_bucket_edges_ms(25_000)
    assert 25_000 in edges and len(edges) == len(WAIT_BUCKETS_S) + 1 and list(edges) == sorted(
        edges)


def test_rows_unpack_and_restore_and_saved_rows_are_checked():
    slow = SegmentSpec("slow", ("*",), (), SegmentPolicy(sl_threshold_s=25.0))
    totals = Totals(replace(EngineSettings(), segments=(slow,)))
    rows = {"all": [3, 2, 1] + [0] * (TOTALS_BUCKETS - 3) + [1] * 12 + [2],
            "slow": [1] * (TOTALS_BUCKETS + 14)}  # T = 25 s: a bucket edge of its own
    totals.restore(rows)
    assert totals.rows() == rows
    assert valid_rows(rows) and valid_rows({})
    assert not valid_rows({"all": [1, -1]}) and not valid_rows({"all": [2**64]})
    assert not valid_rows({"all": [1.5]}) and not valid_rows([1, 2])

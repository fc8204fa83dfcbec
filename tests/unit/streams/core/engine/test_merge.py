"""Snapshot rendering (``streams.core.engine.merge``): the figures derived from the merged
aggregates (ASA, percentiles, AHT, rates and their null rules), the forecast and ``as_of``;
then partials: one engine per Kafka partition, merged, equals one engine fed every event.

This is what lets the worker keep its state per input partition (checkpointed and moved with
the partition) and still serve the global figures: every part of a partial is a sum, a
minimum or a count, and the figures are derived only after the merge.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import replace

import orjson
import pytest

from schemas import parse_event
from streams.adapters.simulator import Simulator, default_models
from streams.core.config import EngineSettings, SegmentPolicy, SegmentSpec
from streams.core.engine import WINDOW_KEYS, Engine, SnapshotMerger, format_as_of

from .support import T0, agent, ev, run, seg, win

START = 1_795_300_000.0
SETTINGS = replace(
    EngineSettings(timezone="Asia/Shanghai"),
    segments=(SegmentSpec("vip", ("*",), (("tier", ("vip",)),),
                          SegmentPolicy(sl_threshold_s=10.0, abandon_policy="positive")),),
)


def partition_of(event: dict, calls: int = 6, agents: int = 3) -> tuple[str, int]:
    """Like the producers: calls keyed by call id, agents by agent id."""
    if event["type"] == "agent.state":
        return "agents", zlib.crc32(event["agent_id"].encode()) % agents
    return "calls", zlib.crc32(event["call_id"].encode()) % calls


def disordered(seed: int, hours: float, rate: float = 2.0) -> list[dict]:
    events = Simulator(default_models(rate), start=START, seed=seed,
                       tz="Asia/Shanghai").advance(START + hours * 3600)
    rng = random.Random(seed)
    for _ in range(len(events) // 40):  # moved later, within the lateness allowance
        i = rng.randrange(len(events) - 31)
        events.insert(i + rng.randrange(1, 31), events.pop(i))
    for _ in range(len(events) // 100):  # duplicates, a little later
        i = rng.randrange(len(events) - 11)
        events.insert(i + rng.randrange(1, 11), events[i])
    return events


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_per_partition_engines_merged_equal_one_engine(seed: int) -> None:
    events = disordered(seed, hours=1.5)
    single = Engine(SETTINGS)
    parts: dict[tuple[str, int], Engine] = {}
    merger = SnapshotMerger(SETTINGS)
    checked = 0
    newest = 0.0
    for i, raw in enumerate(events):
        ev = parse_event(orjson.dumps(raw))
        single.apply(ev)
        engine = parts.get(partition_of(raw))
        if engine is None:
            engine = parts[partition_of(raw)] = Engine(SETTINGS)
        engine.apply(ev)
        newest = max(newest, ev.ts)
        if i % 997 == 0 or i == len(events) - 1:
            t = newest + (i % 3) * 7.5  # at the newest event and a little after it
            expected = single.snapshot(t)
            got = merger.render([e.partial(t) for e in parts.values()], round(t * 1000))
            assert got == expected, f"after {i + 1} events, as of {t}"
            checked += 1
    assert checked >= 5 and len(parts) == 9


def test_the_merge_does_not_depend_on_the_order_of_the_partials() -> None:
    events = disordered(5, hours=0.5)
    parts: dict[tuple[str, int], Engine] = {}
    for raw in events:
        parts.setdefault(partition_of(raw), Engine(SETTINGS)).apply(
            parse_event(orjson.dumps(raw)))
    t = max(raw_ts for raw_ts in (parse_event(orjson.dumps(r)).ts for r in events[-50:]))
    merger = SnapshotMerger(SETTINGS)
    partials = [e.partial(t) for e in parts.values()]
    forward = merger.render(partials, round(t * 1000))
    backward = SnapshotMerger(SETTINGS).render(partials[::-1], round(t * 1000))
    assert forward == backward
    assert forward["segments"]["all"]["windows"]["15m"]["offered"] > 0


def test_a_partial_with_no_events_adds_nothing() -> None:
    events = disordered(9, hours=0.3)
    engine = Engine(SETTINGS)
    for raw in events:
        engine.apply(parse_event(orjson.dumps(raw)))
    t = START + 0.3 * 3600
    merger = SnapshotMerger(SETTINGS)
    alone = merger.render([engine.partial(t)], round(t * 1000))
    with_empty = merger.render([engine.partial(t), Engine(SETTINGS).partial(t)],
                               round(t * 1000))
    assert alone == with_empty == engine.snapshot(t)


# -- derived figures and null rules ----------------------------------------------------------------


def test_asa_percentiles_aht_and_abandon_rate():
    events = []
    for i, wait in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]):
        events += [ev("call.queued", 10 * i, f"c{i}"),
                   ev("call.answered", 10 * i + wait, f"c{i}", agent_id="a"),
                   ev("call.ended", 10 * i + wait + 100 + i, f"c{i}", agent_id="a", acw=False)]
    events += [ev("call.queued", 0, "x1"), ev("call.abandoned", 2, "x1"),     # short
               ev("call.queued", 0, "x2"), ev("call.abandoned", 30, "x2"),
               ev("call.queued", 0, "x3"), ev("call.dequeued", 30, "x3", reason="callback")]
    w = win(run(events), 299, "15m")
    assert w["asa_s"] == 5.5
    assert w["wait_p50_s"] == 5.0 and w["wait_p90_s"] == 9.0      # nearest rank: 5th, 9th
    assert w["aht_s"] == 104.5
    assert w["abandon_rate"] == round(1 / 11, 4)                   # (2 - 1) / (10 + 2 - 1)


def test_null_rules():
    w = win(run([ev("call.queued", 0), ev("call.abandoned", 1)]), 10)
    assert w["offered"] == 1 and w["short_abandoned"] == 1
    for key in ("service_level", "asa_s", "wait_p50_s", "wait_p90_s", "aht_s", "abandon_rate"):
        assert w[key] is None, key
    empty = run([agent(0, "a", "available", ["billing"]), ev("call.queued", 20)])
    w = win(empty, 10)  # billing exists (a call created it) and has no record as of 10
    assert all(w[k] == 0 for k in WINDOW_KEYS[:9])
    assert all(w[k] is None for k in WINDOW_KEYS[9:])


# -- forecast, as of ------------------------------------------------------------------------------


def test_forecast_uses_offered_15m_aht_60m_and_staffed():
    events = [agent(0, f"a{i}", "available", ["billing"]) for i in range(3)]
    for i in range(30):
        events += [ev("call.queued", 10 * i, f"c{i}"),
                   ev("call.answered", 10 * i + 5, f"c{i}", agent_id="a"),
                   ev("call.ended", 10 * i + 125, f"c{i}", agent_id="a", acw=False)]
    f = seg(run(events), 899)["forecast"]
    assert f["arrival_rate_per_min"] == 2.0 and f["aht_s"] == 120.0 and f["staffed"] == 3
    assert f["traffic_erlangs"] == 4.0 and f["overloaded"] is True
    assert f["asa_s"] is None and f["occupancy"] is None and f["agents_required"] >= 5


def test_as_of_is_reported_to_the_millisecond_and_recomputable():
    engine = run([ev("call.queued", 0)])
    snap = engine.snapshot(T0 + 12.3456)
    assert snap["as_of"] == "2026-11-21T22:26:52.346Z"
    assert format_as_of(T0) == "2026-11-21T22:26:40Z"
    assert snap["segments"]["billing"]["now"]["oldest_wait_s"] == 12.346


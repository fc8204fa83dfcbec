"""The snapshot's incremental paths change no figure.

A snapshot reuses what the previous one computed: a cell's window sums while no record of the
cell changed and none entered or left a window (``Cell.window_cache``), the segments' column
sums plus the rows that changed, the agents per segment plus the groups that changed, and, as of
an instant at or after every event, only the calls with a visit still open. Each test
interleaves applying events with snapshots at moving instants (forwards, repeated,
backwards, across a day boundary) and compares every snapshot with a *cold* one: a fresh
engine fed the same events in the same order, which has no cache at all.
"""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from schemas import parse_event
from streams.adapters.simulator import Simulator, default_models
from streams.core.config import EngineSettings
from streams.core.engine import Engine

from .test_engine_properties import LATENESS_MS, PROPERTY, SETTINGS, T0, streams


def _event(e: dict) -> object:
    return parse_event({k: v for k, v in e.items() if k != "_ms"})


def _cold(settings: EngineSettings, applied: list) -> Engine:
    engine = Engine(settings)
    for ev in applied:
        engine.apply(ev)
    return engine


def _check_interleaved(events: list[dict], rnd: random.Random, settings: EngineSettings,
                       t0: float, checks: int = 12) -> int:
    """Apply ``events`` in chunks; after each, snapshot at a few instants around the newest
    event (sometimes earlier than the last one asked) and compare with a cold engine."""
    engine = Engine(settings)
    applied: list = []
    asked = 0
    cuts = sorted(rnd.sample(range(1, len(events) + 1), min(checks, len(events))))
    start = 0
    for cut in cuts:
        for e in events[start:cut]:
            ev = _event(e)
            engine.apply(ev)
            applied.append(ev)
        start = cut
        newest = engine.newest_ms / 1000
        instants = [newest, newest + rnd.choice([0.0, 0.001, 0.5, 1.0, 59.0, 61.0, 301.0]),
                    newest - rnd.choice([0.0, 1.0, 30.5, 299.0]), newest + 0.25]
        cold = _cold(settings, applied)
        for t in instants:
            assert engine.snapshot(t) == cold.snapshot(t), f"as of {t - t0:.3f} s"
            asked += 1
    return asked


@PROPERTY
@given(streams(), st.randoms(use_true_random=False))
def test_interleaved_snapshots_equal_a_cold_engine(events, rnd):
    arrival = sorted(events, key=lambda e: e["_ms"] + rnd.randrange(LATENESS_MS))
    arrival += [dict(e) for e in rnd.sample(arrival, len(arrival) // 4)]  # duplicates
    _check_interleaved(arrival, rnd, SETTINGS, T0)


def test_a_simulated_hour_across_midnight_asked_every_few_seconds():
    """Two hours of simulated traffic over a local midnight (so ``today`` restarts), late
    events and duplicates, asked as a board would: every few seconds of event time."""
    settings = SETTINGS
    start = 1_795_305_600.0 - 3600  # an hour before a UTC midnight (SETTINGS is UTC)
    raw = list(Simulator(default_models(rate=1.0), start=start, seed=3).run(start + 7200))
    rnd = random.Random(7)
    events = [{**e, "_ms": round((parse_event(e).ts - start) * 1000)} for e in raw]
    arrival = sorted(events, key=lambda e: e["_ms"] + rnd.randrange(LATENESS_MS))
    arrival += rnd.sample(arrival, 50)
    engine = Engine(settings)
    applied = []
    last_check = None
    checked = 0
    for i, e in enumerate(arrival):
        ev = _event(e)
        engine.apply(ev)
        applied.append(ev)
        newest = engine.newest_ms / 1000
        engine.snapshot(newest + 0.5)  # the board asks often: the caches stay warm
        if last_check is None or newest - last_check >= 400 or i == len(arrival) - 1:
            last_check = newest
            cold = _cold(settings, applied)
            for t in (newest + 0.5, newest + 3.0, newest - 20.0):
                assert engine.snapshot(t) == cold.snapshot(t)
                checked += 1
    assert checked >= 40
    # today restarted at midnight, an hour before the end: it is the last hour (the 60 min
    # window leaves out a call queued at midnight exactly)
    windows = engine.snapshot(start + 7200)["segments"]["all"]["windows"]
    assert windows["today"]["offered"] > 0
    assert 0 <= windows["today"]["offered"] - windows["60m"]["offered"] <= 1
    assert engine.snapshot(start + 3599)["segments"]["all"]["windows"]["today"]["offered"] > \
        windows["today"]["offered"]  # the day before midnight counted its whole day


def test_a_late_record_into_a_folded_day_and_a_retraction_invalidate_the_caches():
    """Records that land in a cell after its sums were cached (an out-of-order event that
    retracts and replays a call; a late event older than every rolling window, counted in
    its day only) show in the next snapshot."""
    settings = SETTINGS
    engine = Engine(settings)

    def ev(i: int, type_: str, ms: int, **extra: object) -> object:
        return parse_event({"v": 1, "event_id": f"e{i}", "type": type_, "call_id": f"c{i // 10}",
                            "queue": "billing", "ts": _ts(ms), **extra})

    def _ts(ms: int) -> str:
        from streams.core.timefmt import rfc3339
        return rfc3339(T0 + ms / 1000)

    applied = [ev(10, "call.queued", 0), ev(11, "call.answered", 30_000, agent_id="a1")]
    for x in applied:
        engine.apply(x)
    first = engine.snapshot(T0 + 40)
    assert first["segments"]["billing"]["windows"]["5m"]["answered"] == 1
    # out of order: an abandon before the answer retracts and replays the call
    late = ev(12, "call.abandoned", 10_000)
    engine.apply(late)
    applied.append(late)
    assert engine.snapshot(T0 + 40) == _cold(settings, applied).snapshot(T0 + 40)
    # time moves on by two hours, then a late call from the first minutes arrives: its
    # records are older than every rolling window and count in today only
    later = [ev(20, "call.queued", 7_200_000), ev(21, "call.answered", 7_205_000,
                                                    agent_id="a1")]
    for x in later:
        engine.apply(x)
        applied.append(x)
    before = engine.snapshot(T0 + 7210)
    stale = [ev(30, "call.queued", 7_200_000 - 400_000),
             ev(31, "call.abandoned", 7_200_000 - 399_000)]
    for x in stale:
        engine.apply(x)
        applied.append(x)
    after = engine.snapshot(T0 + 7210)
    assert after == _cold(settings, applied).snapshot(T0 + 7210)
    assert after != before


def test_an_earlier_instant_still_sees_callers_answered_since():
    """As of the newest event only calls with an open visit are walked, and the others are
    pruned from that set; a later question about an earlier instant must still count the
    callers who were waiting then and were answered since."""
    from streams.core.timefmt import rfc3339

    def ev(eid: str, type_: str, call: str, s: float, **extra: object) -> object:
        return parse_event({"v": 1, "event_id": eid, "type": type_, "call_id": call,
                            "queue": "billing", "ts": rfc3339(T0 + s), **extra})

    applied = [ev("1", "call.queued", "c1", 0), ev("2", "call.queued", "c2", 10),
               ev("3", "call.answered", "c1", 30, agent_id="a1")]
    engine = Engine(SETTINGS)
    for x in applied:
        engine.apply(x)
    now = engine.snapshot(T0 + 31)["segments"]["billing"]["now"]
    assert (now["waiting"], now["oldest_wait_s"]) == (1, 21.0)
    then = engine.snapshot(T0 + 25)["segments"]["billing"]
    assert (then["now"]["waiting"], then["now"]["oldest_wait_s"]) == (2, 25.0)
    assert then["windows"]["5m"]["sl_missed"] == 1  # c1 waited past T = 20 s by then
    assert engine.snapshot(T0 + 25) == _cold(SETTINGS, applied).snapshot(T0 + 25)
    assert engine.snapshot(T0 + 31) == _cold(SETTINGS, applied).snapshot(T0 + 31)

"""metrics.md "Times and windows", worked by hand: a rolling window ``(t - L, t]`` (the start
excluded, the end included) for every attribution time, ``today`` from the first instant of
the local date, on the recent minutes and after the minutes folded into day totals, on DST
days and where the zone skips midnight; a snapshot as of ``t`` reflects the events with
``ts <= t`` only.

Each expected number is stated from the spec, not from the engine. Timelines are in seconds
after T0 (support.py) unless given as RFC 3339 instants.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from streams.core.config import EngineSettings

from .support import at, ev, run, seg, ticks, win

X = 1000.0  # the attribution time of the item under test

# kind -> (counter, the call's events, the last at X: its attribution time)
ITEMS = {
    "offered": [("call.queued", X, {})],                                      # [q]
    "answered": [("call.queued", X - 5, {}), ("call.answered", X, {"agent_id": "a"})],  # [a]
    "abandoned": [("call.queued", X - 10, {}), ("call.abandoned", X, {})],    # [b]
    "dequeued": [("call.queued", X - 10, {}), ("call.dequeued", X, {"reason": "timeout"})],
    "handled": [("call.queued", X - 30, {}), ("call.answered", X - 20, {"agent_id": "a"}),
                ("call.ended", X, {"agent_id": "a", "acw": False})],          # [c]
}


@pytest.mark.parametrize("counter", sorted(ITEMS))
def test_the_5m_window_excludes_its_start_and_includes_its_end(counter):
    engine = run([ev(kind, when, **extra) for kind, when, extra in ITEMS[counter]])
    # as of X: (X - 300, X] holds X (the end is closed)
    assert win(engine, X)[counter] == 1
    # as of X + 299.999: (X - 0.001, X + 299.999] holds X
    assert win(engine, X + 299.999)[counter] == 1
    # as of X + 300: (X, X + 300] -- X is the excluded start
    assert win(engine, X + 300)[counter] == 0
    # as of X - 0.001 the item has not happened yet (ts <= t only), though it was applied
    assert win(engine, X - 0.001)[counter] == 0


@pytest.mark.parametrize(("window", "length"), [("15m", 900), ("60m", 3600)])
def test_the_longer_windows_have_the_same_edges(window, length):
    engine = run([ev("call.queued", X)])
    assert [win(engine, X + d, window)["offered"] for d in (0, length - 0.001, length)] == \
        [1, 1, 0]


SHANGHAI = EngineSettings(timezone="Asia/Shanghai")
# local midnight of 2026-11-23 in Shanghai (UTC+8, no DST) is 2026-11-22T16:00:00Z
MIDNIGHT = "2026-11-23T00:00:00+08:00"
BEFORE = "2026-11-22T23:59:59.999+08:00"


def _midnight_calls() -> list[dict]:
    return [ev("call.queued", at(BEFORE), "before"), ev("call.queued", at(MIDNIGHT), "mid")]


def test_today_starts_at_local_midnight_exactly_on_the_recent_minutes():
    engine = run(_midnight_calls(), SHANGHAI)
    # as of midnight: today = [00:00:00.000, 00:00:00.000] holds "mid"; 5m holds both
    assert win(engine, at(MIDNIGHT), "today")["offered"] == 1
    assert win(engine, at(MIDNIGHT), "5m")["offered"] == 2
    # a millisecond earlier it is still the 22nd: today holds "before" only
    assert win(engine, at(BEFORE), "today")["offered"] == 1
    # half an hour later: "mid" still counts today, "before" (yesterday) does not
    assert win(engine, at("2026-11-23T00:30:00+08:00"), "today")["offered"] == 1


def test_today_starts_at_local_midnight_exactly_after_the_minute_folded():
    events = _midnight_calls() + ticks(at(MIDNIGHT) + 600, at("2026-11-23T23:50:00+08:00"))
    engine = run(events, SHANGHAI)
    # 23 h 59 min later the minutes of midnight are folded into the day total of the 23rd
    end_of_day = at("2026-11-23T23:59:59.999+08:00")
    assert win(engine, end_of_day, "today")["offered"] == 1     # "mid" only
    assert win(engine, end_of_day, "60m")["offered"] == 0
    assert win(engine, at("2026-11-24T00:00:00+08:00"), "today")["offered"] == 0


NEW_YORK = EngineSettings(timezone="America/New_York")


def _day(events: list[dict], first: str, last: str) -> list[dict]:
    """The events plus ticks through the day, in time order."""
    return sorted(events + ticks(at(first) + 600, at(last)),
                  key=lambda e: datetime.fromisoformat(e["ts"]))


def test_today_on_the_23_hour_day_of_the_spring_dst_change():
    # 2026-03-08 in New York: 00:00 EST = 05:00Z; clocks skip 02:00-03:00; the 9th begins at
    # 00:00 EDT = 2026-03-09T04:00Z, so the 8th lasts 23 h.
    events = _day([ev("call.queued", at("2026-03-08T04:59:59.999Z"), "seventh"),
                   ev("call.queued", at("2026-03-08T05:00:00Z"), "first"),
                   ev("call.queued", at("2026-03-09T03:59:59.999Z"), "last")],
                  "2026-03-08T05:00:00Z", "2026-03-09T03:50:00Z")
    engine = run(events, NEW_YORK)
    assert win(engine, at("2026-03-09T03:59:59.999Z"), "today")["offered"] == 2  # first, last
    assert win(engine, at("2026-03-09T04:00:00Z"), "today")["offered"] == 0


def test_today_on_the_25_hour_day_of_the_autumn_dst_change():
    # 2026-11-01 in New York: 00:00 EDT = 04:00Z; 01:00-02:00 happens twice; the 2nd begins at
    # 00:00 EST = 2026-11-02T05:00Z, so the 1st lasts 25 h; 04:30Z on the 2nd is 23:30 EST.
    events = _day([ev("call.queued", at("2026-11-01T04:00:00Z"), "first"),
                   ev("call.queued", at("2026-11-02T04:30:00Z"), "evening"),
                   ev("call.queued", at("2026-11-02T05:00:00Z"), "next")],
                  "2026-11-01T04:00:00Z", "2026-11-02T04:50:00Z")
    engine = run(events, NEW_YORK)
    # as of 23:59:59.999 EST: "first", 24 h 59 min 59.999 s earlier, is still today
    assert win(engine, at("2026-11-02T04:59:59.999Z"), "today")["offered"] == 2
    assert win(engine, at("2026-11-02T05:00:00Z"), "today")["offered"] == 1    # "next"


def test_today_where_the_zone_skips_midnight():
    # America/Santiago, 2026-09-06: 23:59:59 -04 on the 5th is followed by 01:00 -03 (04:00Z):
    # no local midnight; the 6th begins at its first instant, 04:00:00Z, and ends at
    # 2026-09-07T00:00-03 = 03:00Z.
    santiago = EngineSettings(timezone="America/Santiago")
    events = _day([ev("call.queued", at("2026-09-06T03:59:59.999Z"), "fifth"),
                   ev("call.queued", at("2026-09-06T04:00:00Z"), "sixth")],
                  "2026-09-06T04:00:00Z", "2026-09-07T02:50:00Z")
    engine = run(events[:2], santiago)
    assert win(engine, at("2026-09-06T04:30:00Z"), "today")["offered"] == 1
    assert win(engine, at("2026-09-06T04:30:00Z"), "60m")["offered"] == 2
    engine = run(events, santiago)  # folded by the end of the day
    assert win(engine, at("2026-09-07T02:59:59.999Z"), "today")["offered"] == 1
    assert win(engine, at("2026-09-07T03:00:00Z"), "today")["offered"] == 0


def test_today_is_the_utc_day_by_default():
    # default zone UTC: as of T0 = 2026-11-21T22:26:40Z today began at 2026-11-21T00:00:00Z
    events = _day([ev("call.queued", at("2026-11-20T23:59:59.999Z"), "yesterday"),
                   ev("call.queued", at("2026-11-21T00:00:00Z"), "first")],
                  "2026-11-21T00:00:00Z", "2026-11-21T22:20:00Z")
    assert seg(run(events), 0)["windows"]["today"]["offered"] == 1

"""Event time (``streams.core.engine.clock``): ``today`` starts at local midnight in the
configured zone (DST days of 23 and 25 hours, a day that skips midnight) and restarts there.

Timelines are in seconds after T0 unless said otherwise.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from streams.core.config import EngineSettings
from streams.core.engine.clock import FOREVER, NEVER, Days, to_ms
from streams.core.timefmt import rfc3339

from .support import ev, run, win


def _at(zone: str, text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


@pytest.mark.parametrize(("zone", "day", "first", "before"), [
    ("UTC", "2026-11-22", "2026-11-22T00:00:00", "2026-11-21T23:59:59.999"),
    ("Asia/Shanghai", "2026-11-22", "2026-11-22T00:00:00", "2026-11-21T23:59:59.999"),
    ("Europe/Berlin", "2026-03-29", "2026-03-29T00:00:00", "2026-03-28T23:59:59.999"),  # 23 h
    ("Europe/Berlin", "2026-10-25", "2026-10-25T00:00:00", "2026-10-24T23:59:59.999"),  # 25 h
    # Chile skips midnight on this date: the day starts at 01:00 local
    ("America/Santiago", "2026-09-06", "2026-09-06T01:00:00", "2026-09-05T23:59:59.999"),
])
def test_today_starts_at_local_midnight_in_the_configured_zone(zone, day, first, before):
    s = replace(EngineSettings(), timezone=zone)
    t_first, t_before = _at(zone, first), _at(zone, before)
    assert t_first - t_before == pytest.approx(0.001, abs=1e-6)
    as_of = _at(zone, f"{day}T23:30:00")
    late = as_of - 300
    events = [
        {"v": 1, "event_id": "a", "type": "call.queued", "ts": rfc3339(t_before),
         "call_id": "before", "queue": "q"},
        {"v": 1, "event_id": "b", "type": "call.queued", "ts": rfc3339(t_first),
         "call_id": "first", "queue": "q"},
        {"v": 1, "event_id": "c", "type": "call.queued", "ts": rfc3339(late),
         "call_id": "late", "queue": "q"},
    ]
    engine = run(events, s)
    assert engine.snapshot(as_of)["segments"]["q"]["windows"]["today"]["offered"] == 2
    assert engine.snapshot(t_first)["segments"]["q"]["windows"]["today"]["offered"] == 1
    assert engine.snapshot(t_before)["segments"]["q"]["windows"]["today"]["offered"] == 1


def test_today_across_midnight_resets():
    # T0 = 22:26:40 UTC; midnight UTC is T0 + 5600 s
    engine = run([ev("call.queued", 5000, "c1"), ev("call.queued", 5700, "c2")])
    assert win(engine, 5599.999, "today")["offered"] == 1
    assert win(engine, 5600, "today")["offered"] == 0
    assert win(engine, 5800, "today")["offered"] == 1
    assert win(engine, 5800, "60m")["offered"] == 2


def test_milliseconds_and_the_sentinels():
    assert to_ms(1.5) == 1500 and to_ms(0.0004) == 0 and to_ms(-0.25) == -250
    assert NEVER < -10**15 and FOREVER > 10**15 and NEVER == -FOREVER


@pytest.mark.parametrize(("zone", "day", "hours"), [
    ("UTC", "2026-11-22", 24), ("Europe/Berlin", "2026-03-29", 23),
    ("Europe/Berlin", "2026-10-25", 25), ("America/Santiago", "2026-09-06", 23),
])
def test_a_day_runs_from_its_first_instant_to_the_next_days(zone, day, hours):
    days = Days(ZoneInfo(zone))
    start = days.start_of(round(_at(zone, f"{day}T12:00:00") * 1000))
    end = days.start_of(start + hours * 3_600_000)
    assert end - start == hours * 3_600_000
    for ms in (start, start + 1, end - 1):
        assert days.start_of(ms) == start  # the cached day
    assert days.start_of(start - 1) < start and days.start_of(end) == end

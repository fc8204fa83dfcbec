"""Business and quiet hours in local time, across midnight and DST, through the engine
(:mod:`alerts.schedule`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from .one_rule import WAIT, engine, snap


def _at(text: str, tz: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp()


@pytest.mark.parametrize(("local", "notified"), [
    ("2027-01-15 21:59", True),   # Friday before quiet hours
    ("2027-01-15 22:00", False),  # quiet from 22:00 ...
    ("2027-01-16 03:00", False),  # ... across midnight ...
    ("2027-01-16 06:59", False),
    ("2027-01-16 07:00", True),   # ... to 07:00
])
def test_quiet_hours_across_midnight(local, notified):
    tz = "Europe/Berlin"
    eng = engine(WAIT, timezone=tz, schedules={"all": {"quiet": ["22:00-07:00"]}})
    got = eng.step(snap(now__oldest_wait_s=70), _at(local, tz))
    assert bool(got) is notified
    assert next(iter(eng.instances.values())).state == "firing"  # evaluated either way


@pytest.mark.parametrize(("local", "open_"), [
    # DST in Europe/Berlin ends 2026-10-25 03:00 -> 02:00; starts 2027-03-28 02:00 -> 03:00
    ("2026-10-24 08:30", True), ("2026-10-25 07:59", False), ("2026-10-25 08:00", True),
    ("2026-10-25 17:59", True), ("2026-10-25 18:00", False),
    ("2027-03-28 07:59", False), ("2027-03-28 08:00", True), ("2027-03-28 18:00", False),
])
def test_business_hours_keep_local_time_across_dst(local, open_):
    tz = "Europe/Berlin"
    eng = engine(WAIT, timezone=tz, schedules={"q": {"segments": ["bill*"],
                                                     "open": ["08:00-18:00"]}})
    got = eng.step(snap(now__oldest_wait_s=500), _at(local, tz))
    assert bool(got) is open_


def test_quiet_hours_in_the_dst_night():
    tz = "Europe/Berlin"
    eng = engine(WAIT, timezone=tz, schedules={"all": {"quiet": ["01:30-02:30"]}})
    # 2026-10-25: 02:00-03:00 local happens twice; both 02:15s are quiet
    first = datetime(2026, 10, 25, 2, 15, tzinfo=ZoneInfo(tz)).timestamp()
    assert eng.step(snap(now__oldest_wait_s=70), first) == []
    assert eng.step(snap(now__oldest_wait_s=70), first + 3600) == []  # the repeated hour
    assert eng.step(snap(now__oldest_wait_s=70), first + 2 * 3600) != []  # 03:15: awake


def test_a_closed_queue_never_pages_and_resolves_what_fired():
    tz = "UTC"
    eng = engine(WAIT, timezone=tz, schedules={"q": {"open": ["mon-fri 08:00-18:00"]}})
    friday_5pm = _at("2027-01-15 17:59", tz)
    assert [n.status for n in eng.step(snap(now__oldest_wait_s=500), friday_5pm)] == ["firing"]
    assert [n.status for n in eng.step(snap(now__oldest_wait_s=500), friday_5pm + 60)] == [
        "resolved"]
    saturday = _at("2027-01-16 10:00", tz)
    assert eng.step(snap(now__oldest_wait_s=5000), saturday) == []

"""Table-driven tests of the formatting helpers: numbers, durations, percents, ages, the
clock in the engine's time zone, windows and DOM ids."""

from __future__ import annotations

import pytest

from dashboard.formatting import (
    MISSING,
    dom_id,
    fmt_age,
    fmt_clock,
    fmt_duration,
    fmt_int,
    fmt_percent,
    fmt_window,
)
from dashboard.render import render
from streams.core.config import EngineSettings
from tests.unit.dashboard.samples import FULL_SEGMENT, NOW, snapshot


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (7, "7"),
        (1234, "1,234"),
        (1234567, "1,234,567"),
        (3.0, "3"),
        (None, MISSING),
        ("12", MISSING),
        (True, MISSING),
        (float("nan"), MISSING),
        (float("inf"), MISSING),
        ({}, MISSING),
    ],
)
def test_fmt_int(value, expected):
    assert fmt_int(value) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0:00"),
        (0.0, "0:00"),
        (5.9, "0:05"),  # truncated, never rounded up
        (42.0, "0:42"),
        (60, "1:00"),
        (599.99, "9:59"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (3725, "1:02:05"),
        (-3, "0:00"),  # clock skew never shows a negative wait
        (None, MISSING),
        ("42", MISSING),
    ],
)
def test_fmt_duration(seconds, expected):
    assert fmt_duration(seconds) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [
        (0.8333, "83%"),
        (1, "100%"),
        (1.0, "100%"),
        (0.0, "0%"),  # a real zero is shown ...
        (None, MISSING),  # ... but null never becomes 0 %
        (0.799, "79%"),  # rounded down: no "80%" next to WARN for an 80 % target
        (0.29, "29%"),  # 0.29 * 100 == 28.999999999999996
        (0.8, "80%"),
        ("0.8", MISSING),
    ],
)
def test_fmt_percent(fraction, expected):
    assert fmt_percent(fraction) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("all", "all"),
        ("Billing", "billing"),
        ("sales EU/2", "sales-eu-2"),
        ("--vip--", "vip"),
        ("été", "t"),
        ("???", "segment"),
    ],
)
def test_dom_id(name, expected):
    assert dom_id(name) == expected


@pytest.mark.parametrize(
    ("fraction", "decimals", "expected"),
    [(0.0789, 1, "7.8%"), (0.1, 1, "10.0%"), (0.09999, 1, "9.9%"), (None, 1, MISSING)],
)
def test_fmt_percent_decimals(fraction, decimals, expected):
    assert fmt_percent(fraction, decimals) == expected


@pytest.mark.parametrize(
    ("age", "lang", "expected"),
    [(0.4, "en", "0 s"), (119, "en", "119 s"), (120, "en", "2 min"), (7200, "en", "2 h"),
     (5, "zh-CN", "5 秒"), (600, "zh-CN", "10 分钟"), (None, "en", MISSING)],
)
def test_fmt_age(age, lang, expected):
    assert fmt_age(age, lang) == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("UTC", "11:06:40 UTC"), ("Asia/Shanghai", "19:06:40 UTC+8"),
     ("America/New_York", "06:06:40 UTC-5"), ("Asia/Kolkata", "16:36:40 UTC+5:30")],
)
def test_clock_in_the_engine_time_zone(zone, expected):
    engine = EngineSettings(timezone=zone)
    assert fmt_clock(NOW, engine.tz) == expected
    view = render(snapshot(all=FULL_SEGMENT), NOW, NOW, engine=engine)
    assert view["clock"] == expected
    assert view["as_of"] == f"Data as of {expected}"


@pytest.mark.parametrize(
    ("name", "lang", "expected"),
    [("15m", "en", "15 min"), ("1h", "en", "1 h"), ("30s", "zh-CN", "30 秒"),
     ("15m", "zh-CN", "15 分钟"), ("today", "zh-CN", "今日"), ("odd", "en", "odd")],
)
def test_fmt_window(name, lang, expected):
    assert fmt_window(name, lang) == expected

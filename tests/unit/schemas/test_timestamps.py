"""schemas.timestamps: the ``ts`` parser, through parse_event and directly: epoch seconds,
the calendar (property and exhaustive), the accepted range, and the cached fast paths
against the regex parser."""

from __future__ import annotations

import calendar
import datetime as dt
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import InvalidEvent, parse_event
from schemas import validate as validate_mod
from schemas.contract import TS_MAX_S, TS_MIN_S
from schemas.timestamps import _SECOND_CACHE_MAX
from tests.unit.schemas.corpus import BAD_TIMESTAMPS, GOOD_TIMESTAMPS
from tests.unit.schemas.support import SCHEMA, VALIDATOR, _parses, ev


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("1970-01-01T00:00:00Z", 0.0),
        ("1970-01-01T00:30:00.5+00:30", 0.5),
        ("1969-12-31T19:00:00-05:00", 0.0),
        ("9999-11-30T23:59:59.999Z", 253399622399.999),
        ("2000-02-29T00:00:00Z", 951782400.0),
        ("2016-12-31T23:59:60Z", 1483228800.0),  # leap second: counted as the next :00
        ("2026-11-22T09:15:02.120+08:00", 1795310102.12),
        ("2026-11-22t01:15:02.120z", 1795310102.12),
        ("2026-11-21T14:45:02.12-10:30", 1795310102.12),
        ("2026-11-22T01:15:02.123456789Z", 1795310102 + 0.123456789),
    ],
)
def test_ts_epoch(ts: str, expected: float) -> None:
    assert parse_event(ev(ts=ts)).ts == expected


@settings(max_examples=500)
@given(
    year=st.sampled_from([1900, 2000, 2024, 2026, 2100, 2400]) | st.integers(1000, 9999),
    month=st.integers(0, 13),
    day=st.integers(0, 32),
    hour=st.integers(0, 25),
    minute=st.integers(0, 61),
    second=st.integers(0, 61),
    sign=st.sampled_from([1, -1]),
    off_h=st.integers(0, 25),
    off_m=st.integers(0, 61),
)
def test_property_ts_fields_against_calendar(
    year: int,
    month: int,
    day: int,
    hour: int,
    minute: int,
    second: int,
    sign: int,
    off_h: int,
    off_m: int,
) -> None:
    ts = (
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
        f"{'+' if sign > 0 else '-'}{off_h:02d}:{off_m:02d}"
    )
    ok = (
        1 <= month <= 12
        and 1 <= day <= calendar.monthrange(year, month)[1]
        and hour <= 23
        and minute <= 59
        and second <= 60
        and off_h <= 23
        and off_m <= 59
    )
    obj = ev(ts=ts)
    assert VALIDATOR.is_valid(obj) == ok
    if ok:
        offset = timezone(sign * timedelta(hours=off_h, minutes=off_m))
        expected = datetime(year, month, day, hour, minute, tzinfo=offset).timestamp() + second
        ok = validate_mod.TS_MIN_S <= expected < validate_mod.TS_MAX_S  # the accepted range
    if not ok:
        with pytest.raises(InvalidEvent) as info:
            parse_event(obj)
        assert info.value.field == "ts"
        return
    assert parse_event(obj).ts == expected


def test_ts_cache_does_not_change_results() -> None:
    validate_mod._minute_cache.clear()
    first = parse_event(ev(ts="2026-11-22T09:15:59.5+08:00")).ts
    second = parse_event(ev(ts="2026-11-22T09:15:00+08:00")).ts  # same minute: cache hit
    assert first - second == 59.5
    with pytest.raises(InvalidEvent, match="second 61"):
        parse_event(ev(ts="2026-11-22T09:15:61+08:00"))  # cache hit, bad second
    assert parse_event(ev(ts="2026-11-22T09:15:00+09:00")).ts == second - 3600
    for i in range(validate_mod._MINUTE_CACHE_MAX + 10):  # the cache stays bounded
        parse_event(ev(ts=f"2026-11-22T09:15:00+{i // 60 % 24:02d}:{i % 60:02d}"))
        parse_event(ev(ts=f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"))
    assert len(validate_mod._minute_cache) <= validate_mod._MINUTE_CACHE_MAX
    assert parse_event(ev(ts="1970-01-01T00:00:00Z")).ts == 0.0
    assert datetime.fromtimestamp(first, tz=UTC) == datetime(
        2026, 11, 22, 1, 15, 59, 500000, tzinfo=UTC
    )


TS_PATTERN = re.compile(SCHEMA["properties"]["ts"]["pattern"])


def test_ts_calendar_exhaustive() -> None:
    """Every date of some tricky years, and 29 February of every year 0000-9999, in both the
    schema pattern and parse_event, against the calendar module."""
    cases = [
        (year, month, day)
        for year in (0, 1, 1600, 1700, 1900, 1999, 2000, 2001, 2004, 2024, 2026, 2100, 9999)
        for month in range(14)
        for day in range(33)
    ] + [(year, 2, 29) for year in range(10000)]
    for year, month, day in cases:
        ts = f"{year:04d}-{month:02d}-{day:02d}T12:00:00Z"
        ok = 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year or 2000, month)[1]
        assert bool(TS_PATTERN.search(ts)) == ok, ts
        in_range = ok and year >= 1970 and (year, month) < (9999, 12)
        assert _parses(ev(ts=ts)) == in_range, ts
        if in_range:
            expected = datetime(year, month, day, 12, tzinfo=UTC).timestamp()
            assert parse_event(ev(ts=ts)).ts == expected, ts
        elif ok:
            with pytest.raises(InvalidEvent, match="outside the accepted range"):
                parse_event(ev(ts=ts))


@pytest.mark.parametrize("ts", [
    "0001-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00+00:01",
    "9999-12-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "0000-02-29T00:00:00Z",
])
def test_ts_outside_the_accepted_range_is_invalid_with_the_range_named(ts: str) -> None:
    """Year 1 used to pass and crash the engine's day arithmetic (hardening, issue 8)."""
    with pytest.raises(InvalidEvent) as info:
        parse_event(ev(ts=ts))
    assert str(info.value) == (f"ts: timestamp {ts!r} is outside the accepted range "
                               f"{validate_mod.TS_RANGE_TEXT}")


def test_ts_fast_paths_match_the_regex_parser() -> None:
    """_parse_ts (second and minute caches, exact tables) against _parse_ts_regex."""
    rng = random.Random(3)
    samples = list(GOOD_TIMESTAMPS) + list(BAD_TIMESTAMPS)
    for _ in range(20_000):
        secs = rng.randrange(TS_MIN_S, TS_MAX_S + 86400)
        day, rest = divmod(secs, 86400)
        d = dt.date(1970, 1, 1) + dt.timedelta(days=min(day, 2932896))
        frac = rng.choice(["", ".0", ".5", ".05", ".999", ".1234", ".000000001"])
        off = rng.choice(["Z", "z", "+00:00", "-00:00", "+08:00", "-05:30", "+23:59"])
        sec = rng.choice([rest % 60, 60, rest % 60])
        samples.append(f"{d.isoformat()}{rng.choice('Tt')}{rest // 3600:02d}:"
                       f"{rest // 60 % 60:02d}:{sec:02d}{frac}{off}")
    for _ in range(3):  # cold caches, then warm ones
        validate_mod._minute_cache.clear()
        validate_mod._second_cache.clear()
        for s in samples:
            want = _ts_outcome(validate_mod._parse_ts_regex, s)
            assert _ts_outcome(validate_mod._parse_ts, s) == want, s
            assert _ts_outcome(validate_mod._parse_ts, s) == want, s
    assert len(validate_mod._second_cache) <= _SECOND_CACHE_MAX


def _ts_outcome(parse: Callable[[str], float], s: str) -> str:
    try:
        return repr(parse(s))
    except InvalidEvent as exc:
        return str(exc)

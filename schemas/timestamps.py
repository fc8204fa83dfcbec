"""Timestamps: the RFC 3339 date-time with a mandatory offset of contract v1's ``ts``.

* ``_parse_ts``: the hot path, epoch seconds of a ``ts`` by position and cache look-ups
  (a second cache for ``Z`` timestamps, a minute cache for any offset, exact tables of the
  seconds and the commonest fractions), falling back to
* ``_parse_ts_regex``: the reference parser (what the fast paths must agree with), which
  handles cache misses, other fractions and every invalid ``ts``;
* ``_ts_reason``: why a ``ts`` was rejected, in the contract's words.

Every failure raises ``InvalidEvent("ts", ...)``.
"""

from __future__ import annotations

import re

from schemas.contract import TS_MAX_S, TS_MIN_S, TS_RANGE_TEXT
from schemas.event import InvalidEvent
from schemas.limits import _quote

# (date, hour and minute)(second)(fraction)(offset); ranges are checked in Python.
_TS_MATCH = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
).fullmatch
# The same, one group per field (cache misses only).
_TS_FIELDS = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
).fullmatch

# Lenient form used only to explain why a timestamp was rejected.
_TS_LOOSE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})(.)([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(.*)",
    re.DOTALL,
).fullmatch
_TS_OFFSET = re.compile(r"[Zz]|[+-]([0-9]{2}):([0-9]{2})").fullmatch
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
_EXPECTED_TS = "expected YYYY-MM-DDTHH:MM:SS[.frac] followed by Z or +HH:MM/-HH:MM"

_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and _is_leap(year):
        return 29
    return _DAYS_IN_MONTH[month]


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (valid for year 0 too)."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _ts_reason(s: str) -> str:
    """Why ``s`` is not an RFC 3339 date-time with offset (called only after a failure)."""
    m = _TS_LOOSE(s)
    if m is None:
        if _DATE_ONLY(s):
            return f"date without time of day, {_EXPECTED_TS}"
        return f"not an RFC 3339 date-time: {_quote(s)}, {_EXPECTED_TS}"
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    hour, minute, second = int(m[5]), int(m[6]), int(m[7])
    if not 1 <= month <= 12:
        return f"month {m[2]} out of range 01-12"
    if not 1 <= day <= _days_in_month(year, month):
        return f"day {m[3]} out of range for {m[1]}-{m[2]}"
    if m[4] not in "Tt":
        return f"expected 'T' between date and time, got {m[4]!r}"
    if hour > 23:
        return f"hour {m[5]} out of range 00-23"
    if minute > 59:
        return f"minute {m[6]} out of range 00-59"
    if second > 60:
        return f"second {m[7]} out of range 00-60"
    tail = m[9]
    if not tail:
        return "timestamp has no UTC offset"
    off = _TS_OFFSET(tail)
    if off is None:
        return f"invalid UTC offset {_quote(tail)}, expected Z or +HH:MM/-HH:MM"
    if int(off[1]) > 23 or int(off[2]) > 59:
        return f"UTC offset {tail} out of range"
    return f"not an RFC 3339 date-time: {_quote(s)}"  # pragma: no cover - defensive


# Two caches of validated prefixes. Events cluster in time, so almost every timestamp hits.
#
# _minute_cache: "YYYY-MM-DDTHH:MM" + the offset as written (1 or 6 characters) -> epoch
# seconds (UTC) of that minute; the seconds and the fraction then come from exact tables.
# Emptied when it reaches _MINUTE_CACHE_MAX entries.
# _second_cache: "YYYY-MM-DDTHH:MM:SS" -> epoch seconds of that second read as UTC (so only
# for Z/z), filled a whole minute at a time (61 keys) when a timestamp of an already cached
# minute misses it, for minutes well inside the accepted range. With the tail ("", ".d",
# ".dd" or ".ddd" and Z/z) looked up in _Z_TAILS a timestamp costs two slices and two
# lookups: the hot path. Emptied when it would grow past _SECOND_CACHE_MAX entries.
_minute_cache: dict[str, int] = {}
_MINUTE_CACHE_MAX = 4096
_second_cache: dict[str, int] = {}
_SECOND_CACHE_MAX = 61 * 128

# Exact seconds fields "00".."60" and the commonest fractions ("", ".d", ".dd", ".ddd"), as
# the values the regex path computes (int(sec), float(frac)). A lookup both validates the
# text (ASCII digits only) and converts it.
_SECONDS: dict[str, int] = {f"{i:02d}": i for i in range(61)}
_SECOND_KEYS: tuple[tuple[str, int], ...] = tuple((":" + k, i) for k, i in _SECONDS.items())
_FRACTIONS: dict[str, float] = {"": 0.0}
for _n in (1, 2, 3):
    for _i in range(10**_n):
        _FRACTIONS[f".{_i:0{_n}d}"] = float(f".{_i:0{_n}d}")
_Z_TAILS: dict[str, float] = {f + z: v for f, v in _FRACTIONS.items() for z in "Zz"}
del _n, _i
_ZULU = frozenset("Zz")


def _minute_base(s: str, key: str) -> int:
    m = _TS_FIELDS(s)
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    hour, minute = int(m[4]), int(m[5])
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)) or (
        hour > 23 or minute > 59
    ):
        raise InvalidEvent("ts", _ts_reason(s))
    base = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60
    sign = m[8]
    if sign is not None:
        off_h, off_m = int(m[9]), int(m[10])
        if off_h > 23 or off_m > 59:
            raise InvalidEvent("ts", _ts_reason(s))
        base += -(off_h * 3600 + off_m * 60) if sign == "+" else off_h * 3600 + off_m * 60
    if len(_minute_cache) >= _MINUTE_CACHE_MAX:
        _minute_cache.clear()
    _minute_cache[key] = base
    return base


def _parse_ts_regex(s: str) -> float:
    """The reference parser: what the fast paths of :func:`_parse_ts` must agree with."""
    m = _TS_MATCH(s)
    if m is None:
        raise InvalidEvent("ts", _ts_reason(s))
    prefix, sec, frac, offset = m.groups()
    key = prefix + offset
    base = _minute_cache.get(key)
    if base is None:
        base = _minute_base(s, key)
    second = int(sec)
    if second > 60:
        raise InvalidEvent("ts", _ts_reason(s))
    ts = float(base + second) if frac is None else base + second + float(frac)
    if not TS_MIN_S <= ts < TS_MAX_S:
        raise InvalidEvent("ts", f"timestamp {_quote(s)} is outside the accepted range "
                           f"{TS_RANGE_TEXT}")
    return ts


def _parse_ts(s: str) -> float:
    """Epoch seconds of an RFC 3339 date-time with offset; raises InvalidEvent("ts", ...).

    Without a regex when the caches hit: the date and time are found by position and looked
    up in the caches (which hold validated prefixes only), the seconds and the fraction in
    exact tables. Text accepted and float computed are those of :func:`_parse_ts_regex`
    (``base + second + float(frac)``, the integer part summed first), which handles cache
    misses, other fractions and every invalid ``ts``.
    """
    base = _second_cache.get(s[:19])
    if base is not None:
        frac = _Z_TAILS.get(s[19:])
        if frac is not None:
            return base + frac
    return _parse_ts_minute(s)


def _parse_ts_minute(s: str) -> float:
    """:func:`_parse_ts` after a miss of the second cache."""
    zulu = s[-1:] in _ZULU
    if zulu:
        base = _minute_cache.get(s[:16] + s[-1])
        rest = s[16:-1]
    else:
        base = _minute_cache.get(s[:16] + s[-6:])
        rest = s[16:-6]
    if base is not None and rest[:1] == ":":
        second = _SECONDS.get(rest[1:3])
        frac = _FRACTIONS.get(rest[3:])
        if second is not None and frac is not None and TS_MIN_S <= base <= TS_MAX_S - 61:
            # Every second of this minute is inside the range, and so is base + second + frac.
            if zulu and s[:19] not in _second_cache:
                _fill_seconds(s[:16], base)
            return base + second + frac
    return _parse_ts_regex(s)


def _fill_seconds(prefix: str, base: int) -> None:
    """Cache the 61 seconds of the minute ``prefix`` (validated, UTC, at ``base``)."""
    if len(_second_cache) > _SECOND_CACHE_MAX - 61:
        _second_cache.clear()
    for key, second in _SECOND_KEYS:
        _second_cache[prefix + key] = base + second

"""What both validators of contract v1 share: constants, :class:`Event`,
:class:`InvalidEvent`, timestamps and the wording of error messages.

``schemas.validate`` (msgspec, the hot path) and ``schemas.legacy`` (the hand-written
checks, used for error messages and as the reference in tests) import from here; the public
names are re-exported by ``schemas.validate`` and ``schemas``.
"""

from __future__ import annotations

import math
import pathlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson

CALL_TYPES: tuple[str, ...] = (
    "call.queued",
    "call.answered",
    "call.abandoned",
    "call.dequeued",
    "call.ended",
    "call.wrapup_ended",
)
AGENT_TYPES: tuple[str, ...] = ("agent.state",)
EVENT_TYPES: tuple[str, ...] = CALL_TYPES + AGENT_TYPES
AGENT_STATES: tuple[str, ...] = ("available", "on_call", "acw", "not_ready", "offline")
DEQUEUE_REASONS: tuple[str, ...] = (
    "timeout",
    "transfer",
    "callback",
    "ivr_exit",
    "overflow",
    "other",
)

MAX_MESSAGE_BYTES = 65536
MAX_STRING_CHARS = 256
MAX_EVENT_ID_CHARS = 128
MAX_ATTRS = 32

_SCHEMA_FILE = "event.v1.json"

# The accepted event-time range (epoch seconds; see schemas.validate's docstring).
TS_MIN_S = 0  # 1970-01-01T00:00:00Z
TS_MAX_S = 253399622400  # 9999-12-01T00:00:00Z: a month below datetime's limit
TS_RANGE_TEXT = "1970-01-01T00:00:00Z (included) to 9999-12-01T00:00:00Z (excluded)"

# A str of at most this many code points is at most MAX_MESSAGE_BYTES in UTF-8.
_SAFE_STR_CHARS = MAX_MESSAGE_BYTES // 4


def schema_path() -> pathlib.Path:
    """Path of the JSON Schema (draft 2020-12) of contract v1."""
    return pathlib.Path(__file__).with_name(_SCHEMA_FILE)


class InvalidEvent(ValueError):
    """An event that breaks contract v1. ``str(exc) == f"{field}: {reason}"``.

    ``field`` is a dotted path (``ts``, ``attrs.tier``, ``queues[2]``) or ``$`` for the
    whole message.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.reason))


@dataclass(frozen=True, slots=True)
class Event:
    """A valid event. ``ts`` is epoch seconds (UTC).

    ``raw`` is the decoded JSON object (a dict); it is left out of equality, hashing and
    repr. It is decoded lazily: an event parsed from bytes/str keeps the message and decodes
    it (with orjson) on the first access of ``raw``, then keeps the dict; pickling,
    ``dataclasses.asdict``/``replace`` read ``raw`` and so see the dict. ``attrs`` is a plain
    dict equal to ``raw["attrs"]`` (so that orjson, pickle and ``dataclasses.asdict`` handle
    it): treat it as read-only. It is compared but not hashed, so every Event is hashable.
    """

    v: int
    event_id: str
    type: str
    ts: float
    call_id: str | None = None
    queue: str | None = None
    agent_id: str | None = None
    attrs: Mapping[str, str] | None = field(default=None, hash=False)
    priority: int | None = None
    reason: str | None = None
    to_queue: str | None = None
    hold_s: float | None = None
    acw: bool = True
    state: str | None = None
    queues: tuple[str, ...] | None = None
    raw: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


# --------------------------------------------------------------------------------------
# Lazy ``raw``. The slot ``raw`` holds either the decoded dict or, until the first read, the
# message it came from (bytes or str: a JSON document the validator accepted). The slot's
# own descriptor is kept and replaced on the class by a property that decodes once. The
# dataclass machinery (__init__, __getstate__/__setstate__ for pickling, replace, asdict)
# goes through the property, so it only ever sees the dict.

_raw_slot = Event.__dict__["raw"]
_raw_get = _raw_slot.__get__
_raw_set = _raw_slot.__set__
_loads = orjson.loads


def _decode_raw(data: bytes | str) -> dict:
    try:
        return _loads(data)
    except orjson.JSONDecodeError:  # pragma: no cover - the validator accepted this JSON
        return msgspec.json.decode(data)


def _get_raw(self: Event) -> dict:
    raw = _raw_get(self, Event)
    if raw.__class__ is bytes or raw.__class__ is str:
        raw = _decode_raw(raw)
        _raw_set(self, raw)
    return raw


Event.raw = property(  # type: ignore[assignment,misc]
    _get_raw, _raw_set, doc="The decoded JSON object (decoded on first access)."
)


# --------------------------------------------------------------------------------------
# Fast construction. A frozen dataclass __init__ goes through object.__setattr__ per field
# (~1.7 us for 16 fields). _EventBuilder has exactly Event's slot layout and a plain
# __init__ (specialised slot stores); it then becomes an Event by __class__ assignment,
# which Python allows between classes of identical layout. The result is an ordinary Event
# (tests check the layouts match and that it equals Event(...) field by field). The msgspec
# path (schemas.validate) has one such builder per event type.


class _EventBuilder:
    __slots__ = Event.__slots__

    def __init__(
        self,
        v: int,
        event_id: str,
        type_: str,
        ts: float,
        raw: dict | bytes | str,
        call_id: str | None = None,
        queue: str | None = None,
        agent_id: str | None = None,
        attrs: Mapping[str, str] | None = None,
        priority: int | None = None,
        reason: str | None = None,
        to_queue: str | None = None,
        hold_s: float | None = None,
        acw: bool = True,
        state: str | None = None,
        queues: tuple[str, ...] | None = None,
    ) -> None:
        self.v = v
        self.event_id = event_id
        self.type = type_
        self.ts = ts
        self.call_id = call_id
        self.queue = queue
        self.agent_id = agent_id
        self.attrs = attrs
        self.priority = priority
        self.reason = reason
        self.to_queue = to_queue
        self.hold_s = hold_s
        self.acw = acw
        self.state = state
        self.queues = queues
        self.raw = raw
        self.__class__ = Event  # type: ignore[assignment]


_make: Any = _EventBuilder


# --------------------------------------------------------------------------------------
# Error helpers (slow path only).

_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _show(value: Any, limit: int = 60) -> str:
    """A short JSON-ish rendering of a value for error messages."""
    if isinstance(value, float) and not math.isfinite(value):
        text = repr(value)  # only reachable with dict input
    else:
        try:
            text = orjson.dumps(value).decode()
        except (TypeError, orjson.JSONEncodeError):
            # orjson refuses values nested deeper than 254 levels; repr() of a value nested
            # 1,000 deep would raise RecursionError, so name the type instead.
            if isinstance(value, (dict, list)):
                text = f"{_json_type(value)} nested too deeply to show"
            else:
                try:
                    text = repr(value)
                except RecursionError:
                    text = f"{type(value).__name__} nested too deeply to show"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _quote(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


def _message_size(data: Any) -> int:
    """Size in bytes of a bytes-like or str message; InvalidEvent for anything else."""
    if isinstance(data, (bytes, bytearray)):
        return len(data)
    if isinstance(data, str):
        size = len(data)
        if size > _SAFE_STR_CHARS:
            size = len(data.encode("utf-8", "surrogatepass"))
        return size
    if isinstance(data, memoryview):
        return data.nbytes
    raise InvalidEvent("$", f"expected a JSON object, got {_json_type(data)}")


def _too_large(size: int) -> InvalidEvent:
    return InvalidEvent("$", f"message is {size} bytes, larger than {MAX_MESSAGE_BYTES}")


def _too_far_ahead(ts: float, now: float, max_future_s: float) -> InvalidEvent:
    return InvalidEvent(
        "ts",
        f"timestamp is {ts - now:.3f} s ahead of the processor clock "
        f"(max_future_s={max_future_s:g})",
    )


# --------------------------------------------------------------------------------------
# Timestamps: RFC 3339 date-time with a mandatory offset.

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

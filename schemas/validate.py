"""Validation of event contract v1 (the event contract page, ``events.md``).

``parse_event`` is the single validator every input path uses (Kafka consumers, the
Asterisk adapter, the simulator, replays). It is hand-written for speed: no jsonschema at
run time. ``schemas/event.v1.json`` is the machine-readable form of the same rules for
other producers; the test-suite checks that both agree. Rules a JSON Schema cannot
express are enforced here only:

* the 64 KiB message limit (bytes/str input);
* ``ts`` at most ``max_future_s`` ahead of the processor clock;
* ``ts`` within the accepted range ``1970-01-01T00:00:00Z`` (included) to
  ``9999-12-01T00:00:00Z`` (excluded), ``TS_MIN_S``/``TS_MAX_S``: every later step (local
  days in any time zone, windows, ``max_visit_s``) then stays inside what ``datetime`` can
  represent, so no valid event can crash a consumer;
* integers must be JSON integers: ``1.0`` is not accepted for ``v`` or ``priority``
  (JSON Schema treats ``1.0`` and ``1`` as the same number).

Choices where the contract is silent (mirrored in the schema):

* identifiers (``event_id``, ``call_id``, ``queue``, ``agent_id``, ``to_queue``, each
  ``queues`` item and each ``attrs`` key) must be non-empty; ``attrs`` values and the
  ``agent.state`` ``reason`` may be empty;
* ``null`` is not a substitute for an absent optional field (``"priority": null`` is
  invalid);
* fields that belong to another event type are "unknown extra fields": they are neither
  validated nor copied into :class:`Event` (``agent_id`` on ``call.queued`` is ignored);
* ``ts`` accepts ``T``/``t``, ``Z``/``z``, ``±hh:mm`` offsets (hour 00-23), fractional
  seconds of any length and the RFC 3339 leap second ``:60`` (counted as the next
  second's ``:00``); a space instead of ``T`` and ``+hhmm`` offsets are rejected.
"""

from __future__ import annotations

import math
import pathlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = [
    "AGENT_STATES",
    "AGENT_TYPES",
    "CALL_TYPES",
    "DEQUEUE_REASONS",
    "EVENT_TYPES",
    "MAX_ATTRS",
    "MAX_EVENT_ID_CHARS",
    "MAX_MESSAGE_BYTES",
    "MAX_STRING_CHARS",
    "TS_MAX_S",
    "TS_MIN_S",
    "TS_RANGE_TEXT",
    "Event",
    "InvalidEvent",
    "parse_event",
    "schema_path",
]

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

# The accepted event-time range (epoch seconds; see the module docstring).
TS_MIN_S = 0  # 1970-01-01T00:00:00Z
TS_MAX_S = 253399622400  # 9999-12-01T00:00:00Z: a month below datetime's limit
TS_RANGE_TEXT = "1970-01-01T00:00:00Z (included) to 9999-12-01T00:00:00Z (excluded)"


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

    ``raw`` is the decoded object; it is left out of equality, hashing and repr. ``attrs``
    is ``raw["attrs"]`` itself (a plain dict, so that orjson, pickle and
    ``dataclasses.asdict`` handle it): treat it as read-only. It is compared but not
    hashed, so every Event is hashable.
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
# Fast construction. A frozen dataclass __init__ goes through object.__setattr__ per field
# (~1.7 us for 16 fields). _EventBuilder has exactly Event's slot layout and a plain
# __init__ (specialised slot stores); it then becomes an Event by __class__ assignment,
# which Python allows between classes of identical layout. The result is an ordinary Event
# (tests check the layouts match and that it equals Event(...) field by field).


class _EventBuilder:
    __slots__ = Event.__slots__

    def __init__(
        self,
        v: int,
        event_id: str,
        type_: str,
        ts: float,
        raw: dict,
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


def _type_error(obj: Mapping, key: str, expected: str, path: str | None = None) -> InvalidEvent:
    path = key if path is None else path
    if key not in obj:
        return InvalidEvent(path, "required field missing")
    return InvalidEvent(path, f"expected {expected}, got {_show(obj[key])}")


def _length_error(path: str, value: str, min_len: int, max_len: int) -> InvalidEvent:
    if len(value) < min_len:
        return InvalidEvent(path, "must not be empty")
    return InvalidEvent(path, f"longer than {max_len} characters ({len(value)})")


def _item_path(prefix: str, key: str) -> str:
    if _SIMPLE_KEY(key):
        return f"{prefix}.{key}"
    return f"{prefix}[{_show(key)}]"


_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}").fullmatch

# --------------------------------------------------------------------------------------
# Timestamps: RFC 3339 date-time with a mandatory offset.

# Fast path: (date, hour and minute)(second)(fraction)(offset); ranges are checked in Python.
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


# "YYYY-MM-DDTHH:MM" + offset -> epoch seconds (UTC) of that minute. Events cluster in
# time, so almost every timestamp hits this cache and costs one regex match, one int() and
# one float(). Only validated prefixes are stored; the cache is emptied when it grows past
# _MINUTE_CACHE_MAX entries.
_minute_cache: dict[str, int] = {}
_MINUTE_CACHE_MAX = 4096


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


def _parse_ts(s: str) -> float:
    """Epoch seconds of an RFC 3339 date-time with offset; raises InvalidEvent("ts", ...)."""
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


# --------------------------------------------------------------------------------------
# Field checks.

_TYPE_CANON = {t: t for t in EVENT_TYPES}
_STATE_CANON = {s: s for s in AGENT_STATES}
_DEQUEUE_CANON = {r: r for r in DEQUEUE_REASONS}


def _req_str(obj: dict, key: str, max_len: int = MAX_STRING_CHARS) -> str:
    """A required non-empty string of at most ``max_len`` characters."""
    x = obj.get(key)
    if not isinstance(x, str):
        raise _type_error(obj, key, "string")
    if not 0 < len(x) <= max_len:
        raise _length_error(key, x, 1, max_len)
    return x


def _opt_str(obj: dict, key: str, min_len: int) -> str | None:
    x = obj.get(key)
    if x is None and key not in obj:
        return None
    if not isinstance(x, str):
        raise _type_error(obj, key, "string")
    if not min_len <= len(x) <= MAX_STRING_CHARS:
        raise _length_error(key, x, min_len, MAX_STRING_CHARS)
    return x


def _attrs(obj: dict) -> Mapping[str, str] | None:
    a = obj.get("attrs")
    if a is None and "attrs" not in obj:
        return None
    if a.__class__ is dict and len(a) <= MAX_ATTRS:  # fast path: all keys/values fine
        for k, val in a.items():
            if (
                k.__class__ is not str
                or val.__class__ is not str
                or not 0 < len(k) <= MAX_STRING_CHARS
                or len(val) > MAX_STRING_CHARS
            ):
                break
        else:
            return a
    if not isinstance(a, dict):
        raise _type_error(obj, "attrs", "object of string values")
    if len(a) > MAX_ATTRS:
        raise InvalidEvent("attrs", f"more than {MAX_ATTRS} keys ({len(a)})")
    for k, val in a.items():
        if not isinstance(val, str) or len(val) > MAX_STRING_CHARS:
            if not isinstance(k, str):
                raise InvalidEvent("attrs", f"key {_show(k)} is not a string")
            path = _item_path("attrs", k)
            if not isinstance(val, str):
                raise InvalidEvent(path, f"expected string, got {_show(val)}")
            raise _length_error(path, val, 0, MAX_STRING_CHARS)
        if not isinstance(k, str):  # only possible with dict input
            raise InvalidEvent("attrs", f"key {_show(k)} is not a string")
        if not 0 < len(k) <= MAX_STRING_CHARS:
            if not k:
                raise InvalidEvent("attrs", "empty key")
            raise InvalidEvent("attrs", f"key longer than {MAX_STRING_CHARS} characters ({len(k)})")
    return a


def _priority(obj: dict) -> int | None:
    p = obj.get("priority")
    if p is None and "priority" not in obj:
        return None
    if not isinstance(p, int) or isinstance(p, bool):
        raise _type_error(obj, "priority", "integer")
    return int(p)


def _hold_s(obj: dict) -> float | None:
    h = obj.get("hold_s")
    if h is None and "hold_s" not in obj:
        return None
    if not isinstance(h, (int, float)) or isinstance(h, bool):
        raise _type_error(obj, "hold_s", "number >= 0")
    if not 0 <= h < math.inf:  # also rejects NaN (dict input only)
        raise InvalidEvent("hold_s", f"expected number >= 0, got {_show(h)}")
    try:
        return float(h)
    except OverflowError:  # an int beyond float range (dict input only)
        raise InvalidEvent("hold_s", f"number too large: {_show(h)}") from None


def _acw(obj: dict) -> bool:
    a = obj.get("acw", True)
    if a is True or a is False:
        return a
    raise InvalidEvent("acw", f"expected boolean, got {_show(a)}")


def _queues(obj: dict) -> tuple[str, ...]:
    q = obj.get("queues")
    if not isinstance(q, list):
        raise _type_error(obj, "queues", "array of strings")
    for i, name in enumerate(q):
        if not isinstance(name, str):
            raise InvalidEvent(f"queues[{i}]", f"expected string, got {_show(name)}")
        if not 0 < len(name) <= MAX_STRING_CHARS:
            raise _length_error(f"queues[{i}]", name, 1, MAX_STRING_CHARS)
    return tuple(q)


def _enum(obj: dict, key: str, canon: dict[str, str], what: str) -> str:
    x = obj.get(key)
    if not isinstance(x, str):
        raise _type_error(obj, key, "string")
    c = canon.get(x)
    if c is None:
        raise InvalidEvent(key, f"unknown {what} {_quote(x)} (expected one of {', '.join(canon)})")
    return c


# --------------------------------------------------------------------------------------
# Entry point.

_loads = orjson.loads
_JSONDecodeError = orjson.JSONDecodeError
# A str of at most this many code points is at most MAX_MESSAGE_BYTES in UTF-8.
_SAFE_STR_CHARS = MAX_MESSAGE_BYTES // 4


def parse_event(
    data: bytes | str | dict,
    *,
    now: float | None = None,
    max_future_s: float = 300.0,
) -> Event:
    """Decode (bytes/str, with orjson) and validate one contract-v1 event.

    ``now`` is the processor clock in epoch seconds; when given, a ``ts`` more than
    ``max_future_s`` ahead of it is invalid. Raises :class:`InvalidEvent`.
    """
    if data.__class__ is bytes:  # the Kafka path
        if len(data) > MAX_MESSAGE_BYTES:
            raise InvalidEvent(
                "$", f"message is {len(data)} bytes, larger than {MAX_MESSAGE_BYTES}"
            )
        try:
            obj = _loads(data)
        except _JSONDecodeError as exc:
            raise InvalidEvent("$", f"not JSON: {exc}") from None
        if obj.__class__ is not dict:
            raise InvalidEvent("$", f"expected a JSON object, got {_json_type(obj)}")
    elif isinstance(data, dict):
        obj = data
    else:
        obj = _decode_other(data)

    get = obj.get
    v = get("v")
    if v.__class__ is not int or v != 1:
        if v is None and "v" not in obj:
            raise InvalidEvent("v", "required field missing")
        raise InvalidEvent("v", f"expected integer 1, got {_show(v)}")

    event_id = get("event_id")
    if event_id.__class__ is not str or not 0 < len(event_id) <= MAX_EVENT_ID_CHARS:
        event_id = _req_str(obj, "event_id", MAX_EVENT_ID_CHARS)

    t = get("type")
    etype = _TYPE_CANON.get(t) if isinstance(t, str) else None
    if etype is None:
        if not isinstance(t, str):
            raise _type_error(obj, "type", "string")
        raise InvalidEvent("type", f"unknown type {_quote(t)}")

    ts_s = get("ts")
    if not isinstance(ts_s, str):
        raise _type_error(obj, "ts", "string")
    ts = _parse_ts(ts_s)
    if now is not None and ts - now > max_future_s:
        raise InvalidEvent(
            "ts",
            f"timestamp is {ts - now:.3f} s ahead of the processor clock "
            f"(max_future_s={max_future_s:g})",
        )

    if etype == "agent.state":
        return _make(
            1,
            event_id,
            etype,
            ts,
            obj,
            agent_id=_req_str(obj, "agent_id"),
            state=_enum(obj, "state", _STATE_CANON, "state"),
            queues=_queues(obj),
            reason=_opt_str(obj, "reason", 0),
        )

    call_id = get("call_id")
    if call_id.__class__ is not str or not 0 < len(call_id) <= MAX_STRING_CHARS:
        call_id = _req_str(obj, "call_id")
    queue = get("queue")
    if queue.__class__ is not str or not 0 < len(queue) <= MAX_STRING_CHARS:
        queue = _req_str(obj, "queue")

    if etype == "call.queued":
        return _make(
            1,
            event_id,
            etype,
            ts,
            obj,
            call_id=call_id,
            queue=queue,
            attrs=_attrs(obj),
            priority=_priority(obj),
        )
    if etype == "call.abandoned":
        return _make(1, event_id, etype, ts, obj, call_id=call_id, queue=queue)
    if etype == "call.dequeued":
        return _make(
            1,
            event_id,
            etype,
            ts,
            obj,
            call_id=call_id,
            queue=queue,
            reason=_enum(obj, "reason", _DEQUEUE_CANON, "reason"),
            to_queue=_opt_str(obj, "to_queue", 1),
        )

    # call.answered, call.ended, call.wrapup_ended
    agent_id = _req_str(obj, "agent_id")
    if etype == "call.ended":
        return _make(
            1,
            event_id,
            etype,
            ts,
            obj,
            call_id=call_id,
            queue=queue,
            agent_id=agent_id,
            hold_s=_hold_s(obj),
            acw=_acw(obj),
        )
    return _make(1, event_id, etype, ts, obj, call_id=call_id, queue=queue, agent_id=agent_id)


def _decode_other(data: Any) -> dict:
    """parse_event's decoding for anything but exact bytes and dicts."""
    if isinstance(data, (bytes, bytearray)):
        size = len(data)
    elif isinstance(data, str):
        size = len(data)
        if size > _SAFE_STR_CHARS:
            size = len(data.encode("utf-8", "surrogatepass"))
    elif isinstance(data, memoryview):
        size = data.nbytes
    else:
        raise InvalidEvent("$", f"expected a JSON object, got {_json_type(data)}")
    if size > MAX_MESSAGE_BYTES:
        raise InvalidEvent("$", f"message is {size} bytes, larger than {MAX_MESSAGE_BYTES}")
    try:
        obj = _loads(data)
    except _JSONDecodeError as exc:
        raise InvalidEvent("$", f"not JSON: {exc}") from None
    if obj.__class__ is not dict:
        raise InvalidEvent("$", f"expected a JSON object, got {_json_type(obj)}")
    return obj


def _json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)

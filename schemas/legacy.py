"""The hand-written validator of contract v1 (``schemas.validate`` before msgspec).

It is kept, unchanged in behaviour, for two uses:

* the error path of :func:`schemas.validate.parse_event`: when msgspec rejects a record, this
  validator runs on the same input and raises the contract's message (field named in the
  contract's words, byte-identical to the messages before msgspec). Invalid records are rare,
  so the second decode costs nothing in practice;
* the reference in tests (``tests/unit/schemas/test_legacy.py``): both validators must take
  the same decision, with the same :class:`Event` or the same message.

Do not call it on the hot path: it is about half as fast as the msgspec path (bench/validate.py).
The checks run in the contract's field order, so the first error wins: the message is decoded
(``_decode``), then the fields every event has (``_common``: ``v``, ``event_id``, ``type``,
``ts``), then the fields of its type (one builder per type, ``_BUILDERS``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from schemas.contract import (
    AGENT_STATES,
    DEQUEUE_REASONS,
    EVENT_TYPES,
    MAX_ATTRS,
    MAX_EVENT_ID_CHARS,
    MAX_MESSAGE_BYTES,
    MAX_STRING_CHARS,
)
from schemas.event import Event, InvalidEvent, _make
from schemas.limits import (
    _json_type,
    _message_size,
    _quote,
    _show,
    _too_far_ahead,
    _too_large,
)
from schemas.timestamps import _parse_ts_regex

__all__ = ["parse_event"]

# --------------------------------------------------------------------------------------
# Error helpers.


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
    if a.__class__ is dict and len(a) <= MAX_ATTRS and _plain_attrs(a):  # the fast path
        return a
    if not isinstance(a, dict):
        raise _type_error(obj, "attrs", "object of string values")
    if len(a) > MAX_ATTRS:
        raise InvalidEvent("attrs", f"more than {MAX_ATTRS} keys ({len(a)})")
    for k, val in a.items():
        _check_attr(k, val)
    return a


def _plain_attrs(a: dict) -> bool:
    """Whether every key and value of ``a`` is an exact str of an accepted length."""
    for k, val in a.items():
        if (
            k.__class__ is not str
            or val.__class__ is not str
            or not 0 < len(k) <= MAX_STRING_CHARS
            or len(val) > MAX_STRING_CHARS
        ):
            return False
    return True


def _check_attr(k: Any, val: Any) -> None:
    """One ``attrs`` item: the value is checked first (its path names the key), then the key."""
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


def parse_event(
    data: bytes | str | dict,
    *,
    now: float | None = None,
    max_future_s: float = 300.0,
) -> Event:
    """Decode (bytes/str, with orjson) and validate one contract-v1 event, by hand.

    ``now`` is the processor clock in epoch seconds; when given, a ``ts`` more than
    ``max_future_s`` ahead of it is invalid. Raises :class:`InvalidEvent`.
    """
    if data.__class__ is bytes:  # the Kafka path
        obj = _decode_bytes(data)
    elif isinstance(data, dict):
        obj = data
    else:
        obj = _decode_other(data)
    event_id, etype, ts = _common(obj, now, max_future_s)
    return _BUILDERS[etype](obj, event_id, etype, ts)


def _decode_bytes(data: bytes) -> dict:
    """parse_event's decoding of exact bytes (the Kafka path)."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise _too_large(len(data))
    try:
        obj = _loads(data)
    except _JSONDecodeError as exc:
        raise InvalidEvent("$", f"not JSON: {exc}") from None
    if obj.__class__ is not dict:
        raise InvalidEvent("$", f"expected a JSON object, got {_json_type(obj)}")
    return obj


def _decode_other(data: Any) -> dict:
    """parse_event's decoding for anything but exact bytes and dicts."""
    size = _message_size(data)
    if size > MAX_MESSAGE_BYTES:
        raise _too_large(size)
    try:
        obj = _loads(data)
    except _JSONDecodeError as exc:
        raise InvalidEvent("$", f"not JSON: {exc}") from None
    if obj.__class__ is not dict:
        raise InvalidEvent("$", f"expected a JSON object, got {_json_type(obj)}")
    return obj


def _common(obj: dict, now: float | None, max_future_s: float) -> tuple[str, str, float]:
    """The fields of every event, in order: ``v``, ``event_id``, ``type`` (its canonical
    string) and ``ts`` (epoch seconds, checked against ``now``)."""
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
    ts = _parse_ts_regex(ts_s)
    if now is not None and ts - now > max_future_s:
        raise _too_far_ahead(ts, now, max_future_s)
    return event_id, etype, ts


# --------------------------------------------------------------------------------------
# The fields of each type, in order, and the Event built from them.


def _agent_state(obj: dict, event_id: str, etype: str, ts: float) -> Event:
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


def _call(obj: dict, event_id: str, etype: str, ts: float) -> Event:
    """The call events: ``call_id`` and ``queue``, then the fields of the type."""
    get = obj.get
    call_id = get("call_id")
    if call_id.__class__ is not str or not 0 < len(call_id) <= MAX_STRING_CHARS:
        call_id = _req_str(obj, "call_id")
    queue = get("queue")
    if queue.__class__ is not str or not 0 < len(queue) <= MAX_STRING_CHARS:
        queue = _req_str(obj, "queue")
    return _CALL_BUILDERS[etype](obj, event_id, etype, ts, call_id, queue)


def _call_queued(obj: dict, event_id: str, etype: str, ts: float, call_id: str,
                 queue: str) -> Event:
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


def _call_abandoned(obj: dict, event_id: str, etype: str, ts: float, call_id: str,
                    queue: str) -> Event:
    return _make(1, event_id, etype, ts, obj, call_id=call_id, queue=queue)


def _call_dequeued(obj: dict, event_id: str, etype: str, ts: float, call_id: str,
                   queue: str) -> Event:
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


def _call_ended(obj: dict, event_id: str, etype: str, ts: float, call_id: str,
                queue: str) -> Event:
    agent_id = _req_str(obj, "agent_id")
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


def _call_with_agent(obj: dict, event_id: str, etype: str, ts: float, call_id: str,
                     queue: str) -> Event:
    """call.answered and call.wrapup_ended."""
    agent_id = _req_str(obj, "agent_id")
    return _make(1, event_id, etype, ts, obj, call_id=call_id, queue=queue, agent_id=agent_id)


_CALL_BUILDERS: dict[str, Callable[..., Event]] = {
    "call.queued": _call_queued,
    "call.answered": _call_with_agent,
    "call.abandoned": _call_abandoned,
    "call.dequeued": _call_dequeued,
    "call.ended": _call_ended,
    "call.wrapup_ended": _call_with_agent,
}
_BUILDERS: dict[str, Callable[[dict, str, str, float], Event]] = {
    **dict.fromkeys(_CALL_BUILDERS, _call),
    "agent.state": _agent_state,
}

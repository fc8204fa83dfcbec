"""Validation of event contract v1 (the event contract page, ``events.md``).

``parse_event`` is the single validator every input path uses (Kafka consumers, the
Asterisk adapter, the simulator, replays). Its hot path is msgspec: the seven event types
are msgspec Structs in a union tagged by ``type``, with the contract's constraints in
``msgspec.Meta``; a short Python pass then does what msgspec cannot. No jsonschema at run
time. ``schemas/event.v1.json`` is the machine-readable form of the same rules for other
producers; the test-suite checks that the schema, the Structs and the hand-written
validator (``schemas.legacy``) agree. Rules a JSON Schema cannot express are enforced here
only:

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

How a record is decided (``docs/validation.md`` has the details):

1. bytes/str: the size limit, then msgspec decodes into the *strict* Structs (unknown
   fields refused, so that msgspec has looked at every value, exactly like orjson would);
   ``ts`` stays a string and is parsed by ``_parse_ts`` (minute cache; nanosecond fractions
   and ``:60``, which msgspec's datetime cannot keep); ``max_future_s``. ``Event.raw`` keeps
   the message and decodes it with orjson on first access.
2. A message with unknown fields is decoded with orjson (also checking the JSON that msgspec
   would have skipped) and converted by msgspec into the *lenient* Structs; dict input
   takes this path directly.
3. Anything msgspec refuses goes to ``schemas.legacy``, the hand-written validator, which
   raises the contract's message (byte-identical to the messages before msgspec). msgspec is
   stricter than the contract in a few corners nobody sends (see docs/validation.md); there
   the legacy validator accepts and returns the Event.
"""

from __future__ import annotations

import sys
import types
from typing import Annotated, Any, Literal, Union

import msgspec
import orjson
from msgspec import Meta, Struct

from schemas import legacy
from schemas.contract import (
    AGENT_STATES,
    AGENT_TYPES,
    CALL_TYPES,
    DEQUEUE_REASONS,
    EVENT_TYPES,
    MAX_ATTRS,
    MAX_EVENT_ID_CHARS,
    MAX_MESSAGE_BYTES,
    MAX_STRING_CHARS,
    TS_MAX_S,
    TS_MIN_S,
    TS_RANGE_TEXT,
    schema_path,
)
from schemas.event import (
    Event,
    InvalidEvent,
    _EventBuilder,  # noqa: F401 - re-exported for the tests, like the other _names
    _make,
)
from schemas.limits import _message_size, _too_far_ahead, _too_large
from schemas.timestamps import (
    _MINUTE_CACHE_MAX,  # noqa: F401
    _Z_TAILS,
    _minute_cache,  # noqa: F401
    _parse_ts,
    _parse_ts_minute,
    _parse_ts_regex,  # noqa: F401
    _second_cache,
)

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

# --------------------------------------------------------------------------------------
# The contract as msgspec types.

_Id = Annotated[str, Meta(min_length=1, max_length=MAX_STRING_CHARS)]
_Text = Annotated[str, Meta(max_length=MAX_STRING_CHARS)]
_EventId = Annotated[str, Meta(min_length=1, max_length=MAX_EVENT_ID_CHARS)]
_Attrs = Annotated[dict[_Id, _Text], Meta(max_length=MAX_ATTRS)]
# orjson (and so the contract as the hand-written validator applies it) reads integers in
# [-2**63, 2**64) as int and larger ones as floats, which are no integers. msgspec cannot
# bound an int beyond int64, so [2**63, 2**64) goes to the legacy path, which accepts it.
_Priority = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]
# >= 0 and finite (NaN and inf can only come with dict input; JSON has neither).
_HoldS = Annotated[float, Meta(ge=0, le=sys.float_info.max)]
_State = Literal[AGENT_STATES]  # type: ignore[valid-type]
_DequeueReason = Literal[DEQUEUE_REASONS]  # type: ignore[valid-type]

# Optional fields default to None although their type is not Optional: msgspec does not
# check defaults, so an absent field is None while an explicit null is refused (the
# contract: null is no substitute for an absent field). Fields of other types are not
# declared, so they are never copied.
#
# Every Struct has a method ``_event(ts, raw)`` building the Event through schemas.event's
# ``_make`` (positional arguments in Event's field order), the same fast constructor the
# hand-written validator uses.


class _Base(Struct, tag_field="type", gc=False):
    v: Literal[1]
    event_id: _EventId
    ts: str  # parsed by _parse_ts: msgspec's datetime keeps microseconds and refuses :60


class _Call(_Base):
    call_id: _Id
    queue: _Id


class CallQueued(_Call, tag="call.queued"):
    attrs: _Attrs = None  # type: ignore[assignment]
    priority: _Priority = None  # type: ignore[assignment]

    def _event(self, ts: float, raw: Any) -> Event:
        return _make(1, self.event_id, "call.queued", ts, raw, self.call_id, self.queue, None,
                     self.attrs, self.priority)


class CallAnswered(_Call, tag="call.answered"):
    agent_id: _Id

    def _event(self, ts: float, raw: Any) -> Event:
        return _make(1, self.event_id, "call.answered", ts, raw, self.call_id, self.queue,
                     self.agent_id)


class CallAbandoned(_Call, tag="call.abandoned"):
    def _event(self, ts: float, raw: Any) -> Event:
        return _make(1, self.event_id, "call.abandoned", ts, raw, self.call_id, self.queue)


class CallDequeued(_Call, tag="call.dequeued"):
    reason: _DequeueReason
    to_queue: _Id = None  # type: ignore[assignment]

    def _event(self, ts: float, raw: Any) -> Event:
        return _make(1, self.event_id, "call.dequeued", ts, raw, self.call_id, self.queue, None,
                     None, None, self.reason, self.to_queue)


class CallEnded(_Call, tag="call.ended"):
    agent_id: _Id
    hold_s: _HoldS = None  # type: ignore[assignment]
    acw: bool = True

    def _event(self, ts: float, raw: Any) -> Event:
        return _make(1, self.event_id, "call.ended", ts, raw, self.call_id, self.queue,
                     self.agent_id, None, None, None, None, self.hold_s, self.acw)


class CallWrapupEnded(_Call, tag="call.wrapup_ended"):
    agent_id: _Id

    def _event(self, ts: float, raw: Any) -> Event:
        return _make(1, self.event_id, "call.wrapup_ended", ts, raw, self.call_id,
                     self.queue, self.agent_id)


class AgentState(_Base, tag="agent.state"):
    agent_id: _Id
    state: _State
    queues: tuple[_Id, ...]
    reason: _Text = None  # type: ignore[assignment]

    def _event(self, ts: float, raw: Any) -> Event:
        return _make(1, self.event_id, "agent.state", ts, raw, None, None, self.agent_id,
                     None, None, self.reason, None, None, True, self.state, self.queues)


#: The event types in contract order (``EVENT_TYPES``); unknown fields are ignored.
STRUCTS: tuple[type[_Base], ...] = (
    CallQueued,
    CallAnswered,
    CallAbandoned,
    CallDequeued,
    CallEnded,
    CallWrapupEnded,
    AgentState,
)
#: The same with unknown fields refused: the hot path (see the module docstring).
STRICT_STRUCTS: tuple[type[_Base], ...] = tuple(
    types.new_class(
        cls.__name__ + "Strict",
        (cls,),
        {"tag": cls.__struct_config__.tag, "forbid_unknown_fields": True},
        lambda ns: ns.update(__module__=__name__),
    )
    for cls in STRUCTS
)
EventStruct = Union[STRUCTS]  # type: ignore[valid-type]  # noqa: UP007
StrictEventStruct = Union[STRICT_STRUCTS]  # type: ignore[valid-type]  # noqa: UP007

_decode = msgspec.json.Decoder(StrictEventStruct).decode
_convert = msgspec.convert
_second_get = _second_cache.get
_z_tail_get = _Z_TAILS.get
_loads = orjson.loads
_UNKNOWN_FIELD = "Object contains unknown field"


# --------------------------------------------------------------------------------------
# Entry point.


def parse_event(
    data: bytes | str | dict,
    *,
    now: float | None = None,
    max_future_s: float = 300.0,
) -> Event:
    """Decode (bytes/str, with msgspec) and validate one contract-v1 event.

    ``now`` is the processor clock in epoch seconds; when given, a ``ts`` more than
    ``max_future_s`` ahead of it is invalid. Raises :class:`InvalidEvent`.
    """
    if data.__class__ is bytes:  # the Kafka path
        if len(data) > MAX_MESSAGE_BYTES:
            raise _too_large(len(data))
        raw = data
    elif isinstance(data, dict):
        return _from_dict(data, data, now, max_future_s)
    else:
        size = _message_size(data)  # InvalidEvent for anything but bytes-like and str
        if size > MAX_MESSAGE_BYTES:
            raise _too_large(size)
        raw = data if isinstance(data, str) else bytes(data)
    try:
        s = _decode(raw)
    except Exception as exc:  # noqa: BLE001 - any refusal: the slower paths decide
        return _not_strict(data, exc, now, max_future_s)
    t = s.ts
    ts = _second_get(t[:19])  # _parse_ts's first step, inlined: the common case
    if ts is None or (frac := _z_tail_get(t[19:])) is None:
        ts = _parse_ts_minute(t)
    else:
        ts += frac
    if now is not None and ts - now > max_future_s:
        raise _too_far_ahead(ts, now, max_future_s)
    return s._event(ts, raw)


def _not_strict(data: Any, exc: Exception, now: float | None, max_future_s: float) -> Event:
    """A message the strict Structs refused: unknown fields, or invalid."""
    if isinstance(exc, msgspec.ValidationError) and str(exc).startswith(_UNKNOWN_FIELD):
        try:
            obj = _loads(data)
        except orjson.JSONDecodeError:
            obj = None
        if obj.__class__ is dict:
            return _from_dict(obj, data, now, max_future_s)
    return legacy.parse_event(data, now=now, max_future_s=max_future_s)


def _from_dict(obj: dict, data: Any, now: float | None, max_future_s: float) -> Event:
    """Validate a decoded object with the lenient Structs (``data``: the original input)."""
    try:
        s = _convert(obj, EventStruct)
    except Exception:  # noqa: BLE001 - any refusal: the legacy validator decides
        return legacy.parse_event(data, now=now, max_future_s=max_future_s)
    # msgspec.convert is laxer than the contract with Python objects that JSON cannot
    # produce (an IntEnum for v, a tuple or set for queues, a non-dict mapping for attrs).
    cls = s.__class__
    if (
        obj["v"].__class__ is not int
        or (cls is AgentState and not isinstance(obj["queues"], list))
        or (cls is CallQueued and s.attrs is not None and not isinstance(obj["attrs"], dict))
    ):
        return legacy.parse_event(data, now=now, max_future_s=max_future_s)
    ts = _parse_ts(s.ts)
    if now is not None and ts - now > max_future_s:
        raise _too_far_ahead(ts, now, max_future_s)
    return s._event(ts, obj)

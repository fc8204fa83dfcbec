"""What a validator returns or raises: :class:`Event` and :class:`InvalidEvent`.

* :class:`InvalidEvent`: the error of an event that breaks contract v1 (field and reason).
* :class:`Event`: a valid event, a frozen dataclass whose ``raw`` (the decoded JSON object)
  is decoded lazily, on first access, from the message it was parsed from.
* ``_make``: the fast constructor both validators build every Event with (no per-field
  ``object.__setattr__``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson


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

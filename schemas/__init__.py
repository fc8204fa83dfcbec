"""Event contract v1: JSON Schema (``event.v1.json``) and the runtime validator.

* ``validate``: :func:`parse_event`, the validator every input path uses (msgspec Structs);
* ``legacy``: the hand-written validator, the error path of ``validate`` and its reference;
* ``contract``: the vocabulary and the limits (types, states, reasons, sizes, ts range);
* ``event``: what a validator returns or raises (:class:`Event`, :class:`InvalidEvent`);
* ``timestamps``: the ``ts`` parser (RFC 3339 with offset, cached);
* ``limits``: the size and limit checks and the wording of error messages.
"""

from schemas.validate import (
    AGENT_STATES,
    AGENT_TYPES,
    CALL_TYPES,
    DEQUEUE_REASONS,
    EVENT_TYPES,
    MAX_MESSAGE_BYTES,
    Event,
    InvalidEvent,
    parse_event,
    schema_path,
)

__all__ = [
    "AGENT_STATES",
    "AGENT_TYPES",
    "CALL_TYPES",
    "DEQUEUE_REASONS",
    "EVENT_TYPES",
    "MAX_MESSAGE_BYTES",
    "Event",
    "InvalidEvent",
    "parse_event",
    "schema_path",
]

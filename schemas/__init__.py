"""Event contract v1: JSON Schema (``event.v1.json``) and the runtime validator."""

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

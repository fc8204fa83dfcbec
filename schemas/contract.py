"""The vocabulary and the limits of event contract v1, and where its JSON Schema lives.

The event types, agent states and dequeue reasons (in contract order), the size limits of a
message and of its strings, and the accepted event-time range. Both validators
(``schemas.validate`` and ``schemas.legacy``) and the other rooms of ``schemas`` read them;
the public ones are re-exported by ``schemas.validate`` and ``schemas``.
"""

from __future__ import annotations

import pathlib

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


def schema_path() -> pathlib.Path:
    """Path of the JSON Schema (draft 2020-12) of contract v1."""
    return pathlib.Path(__file__).with_name(_SCHEMA_FILE)

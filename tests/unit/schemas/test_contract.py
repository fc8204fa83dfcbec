"""schemas.contract and the package's API: the contract's vocabulary and limits, and what
``schemas`` exports."""

from __future__ import annotations

import schemas
from schemas import (
    AGENT_STATES,
    AGENT_TYPES,
    CALL_TYPES,
    DEQUEUE_REASONS,
    EVENT_TYPES,
    MAX_MESSAGE_BYTES,
)
from schemas import validate as validate_mod


def test_constants() -> None:
    assert EVENT_TYPES == CALL_TYPES + AGENT_TYPES
    assert set(CALL_TYPES) == {
        "call.queued",
        "call.answered",
        "call.abandoned",
        "call.dequeued",
        "call.ended",
        "call.wrapup_ended",
    }
    assert AGENT_TYPES == ("agent.state",)
    assert set(AGENT_STATES) == {"available", "on_call", "acw", "not_ready", "offline"}
    assert set(DEQUEUE_REASONS) == {
        "timeout",
        "transfer",
        "callback",
        "ivr_exit",
        "overflow",
        "other",
    }
    assert MAX_MESSAGE_BYTES == 65536


def test_package_exports() -> None:
    assert set(schemas.__all__) == {
        "Event",
        "InvalidEvent",
        "parse_event",
        "schema_path",
        "CALL_TYPES",
        "AGENT_TYPES",
        "EVENT_TYPES",
        "AGENT_STATES",
        "DEQUEUE_REASONS",
        "MAX_MESSAGE_BYTES",
    }
    for name in schemas.__all__:
        assert getattr(schemas, name) is getattr(validate_mod, name)

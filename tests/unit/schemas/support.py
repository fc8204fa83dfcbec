"""Helpers of the schemas tests: valid events to change (``ev``), the JSON Schema and its
validator, the spec's example lines, and how a table case is given to parse_event."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import jsonschema
import orjson
import pytest

from schemas import InvalidEvent, parse_event, schema_path

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
SCHEMA = json.loads(schema_path().read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

TS = "2026-11-22T09:15:02.120+08:00"
TS_EPOCH = 1795310102.12  # 2026-11-22T01:15:02.120Z

BASES: dict[str, dict[str, Any]] = {
    "call.queued": {"call_id": "c-1", "queue": "billing"},
    "call.answered": {"call_id": "c-1", "queue": "billing", "agent_id": "a-117"},
    "call.abandoned": {"call_id": "c-1", "queue": "billing"},
    "call.dequeued": {"call_id": "c-1", "queue": "billing", "reason": "timeout"},
    "call.ended": {"call_id": "c-1", "queue": "billing", "agent_id": "a-117"},
    "call.wrapup_ended": {"call_id": "c-1", "queue": "billing", "agent_id": "a-117"},
    "agent.state": {"agent_id": "a-117", "state": "available", "queues": ["billing"]},
}
DEL = object()  # as a value in ev(): remove the field


def ev(type_: str = "call.queued", **changes: Any) -> dict[str, Any]:
    """A valid event of ``type_`` with ``changes`` applied (DEL removes a field)."""
    d: dict[str, Any] = {"v": 1, "event_id": "e-1", "type": type_, "ts": TS, **BASES[type_]}
    for key, value in changes.items():
        if value is DEL:
            d.pop(key, None)
        else:
            d[key] = value
    return d


def attrs_n(n: int) -> dict[str, str]:
    return {f"k{i}": "x" for i in range(n)}


def padded(obj: dict[str, Any], size: int) -> bytes:
    """``obj`` as JSON followed by whitespace up to exactly ``size`` bytes."""
    data = orjson.dumps(obj)
    return data + b" " * (size - len(data))


def valid(case_id: str, data: Any, *, schema: bool = True, now: float | None = None) -> Any:
    return pytest.param(data, now, schema, id=case_id)


def invalid(
    case_id: str,
    data: Any,
    field: str,
    reason: str,
    *,
    schema: bool = True,
    now: float | None = None,
) -> Any:
    return pytest.param(data, field, reason, now, schema, id=case_id)


def _as_input(data: Any) -> Any:
    """Table data as given to parse_event: dicts go in as JSON bytes (the Kafka path)."""
    return orjson.dumps(data) if isinstance(data, dict) else data


def _spec_lines() -> list[bytes]:
    return (FIXTURES / "spec_examples.jsonl").read_bytes().splitlines()


def _schema_valid(data: Any) -> bool:
    if isinstance(data, (bytes, bytearray, memoryview, str)):
        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError:
            return False  # not JSON: not an instance of any schema
    return VALIDATOR.is_valid(data)


def _parses(data: Any, now: float | None = None) -> bool:
    try:
        parse_event(data, now=now)
    except InvalidEvent:
        return False
    return True

"""Tests of schemas.validate (event contract v1) and its agreement with event.v1.json."""

from __future__ import annotations

import calendar
import dataclasses
import json
import pathlib
import pickle
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema
import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import schemas
from schemas import (
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
from schemas import validate as validate_mod

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


# schema=False marks the rules a JSON Schema cannot express: the 64 KiB size limit, the
# future-ts limit (both excluded from conformance by design), JSON integers written
# as integral floats (JSON Schema treats 1.0 as the integer 1) and a Python input that is
# no JSON document at all.

VALID = [
    # --- every type, the spec's own lines, forward compatibility
    *[valid(f"type {t}", ev(t)) for t in EVENT_TYPES],
    valid("unknown extra fields", ev(**{"x-source": "pbx", "nested": {"a": [1, None]}})),
    valid("fields of other types are extras", ev(agent_id=5, state="zzz", reason=3, queues=1)),
    valid("agent.state ignores call fields", ev("agent.state", call_id=5, queue=None)),
    valid("call.abandoned ignores reason", ev("call.abandoned", reason="whatever")),
    # --- JSON / object / size
    valid("bytes input", orjson.dumps(ev())),
    valid("str input", orjson.dumps(ev()).decode()),
    valid("bytearray input", bytearray(orjson.dumps(ev()))),
    valid("memoryview input", memoryview(orjson.dumps(ev()))),
    valid("dict input", ev()),
    valid(
        "JSON with whitespace",
        b'\n {"v": 1, "event_id": "e", "type": "call.abandoned",'
        b' "ts": "2026-11-22T09:15:02Z", "call_id": "c", "queue": "q"} \n',
    ),
    valid("exactly 64 KiB", padded(ev(), MAX_MESSAGE_BYTES), schema=False),
    valid(
        "long str under 64 KiB of UTF-8", orjson.dumps(ev(note="€" * 21000)).decode(), schema=False
    ),
    # --- v / event_id / type
    valid("v 1", ev(v=1)),
    valid("event_id 1 char", ev(event_id="x")),
    valid("event_id 128 chars", ev(event_id="x" * 128)),
    valid("event_id non-ASCII 128 code points", ev(event_id="é" * 128)),
    # --- ts
    valid("ts Z", ev(ts="2026-11-22T09:15:02Z")),
    valid("ts lowercase t and z", ev(ts="2026-11-22t09:15:02z")),
    valid("ts +00:00", ev(ts="2026-11-22T09:15:02+00:00")),
    valid("ts -00:00", ev(ts="2026-11-22T09:15:02-00:00")),
    valid("ts -05:30 with 9 fraction digits", ev(ts="2026-11-22T09:15:02.123456789-05:30")),
    valid("ts 1 fraction digit", ev(ts="2026-11-22T09:15:02.1Z")),
    valid("ts 20 fraction digits", ev(ts="2026-11-22T09:15:02.12345678901234567890Z")),
    valid("ts +23:59", ev(ts="2026-11-22T23:59:59.999+23:59")),
    valid("ts leap day 2028", ev(ts="2028-02-29T00:00:00Z")),
    valid("ts leap day 2000", ev(ts="2000-02-29T12:00:00+01:00")),
    valid("ts 30 April", ev(ts="2026-04-30T00:00:00Z")),
    valid("ts 31 December", ev(ts="2026-12-31T23:59:59Z")),
    valid("ts leap second", ev(ts="2016-12-31T23:59:60Z")),
    valid("ts far past", ev(ts="1970-01-01T00:00:00Z")),
    valid("ts far future without now", ev(ts="2999-01-01T00:00:00Z")),
    valid("ts 299.5 s ahead", ev(), now=TS_EPOCH - 299.5, schema=False),
    valid(
        "ts exactly 300 s ahead",
        ev(ts="2026-11-22T01:20:00Z"),
        now=1795310400.0 - 300,
        schema=False,
    ),
    valid("ts in the past", ev(), now=TS_EPOCH + 86400 * 365, schema=False),
    # --- call fields
    valid("call_id 256 chars", ev(call_id="c" * 256)),
    valid("queue 1 char", ev(queue="q")),
    # --- call.queued
    valid("attrs empty", ev(attrs={})),
    valid("attrs spec example", ev(attrs={"tier": "vip", "channel": "voice", "language": "zh"})),
    valid("attrs 32 keys", ev(attrs=attrs_n(32))),
    valid("attrs value empty", ev(attrs={"tier": ""})),
    valid("attrs value 256 chars", ev(attrs={"tier": "v" * 256})),
    valid("attrs key 256 chars", ev(attrs={"k" * 256: "v"})),
    valid("attrs odd key", ev(attrs={"a.b c": "v"})),
    valid("priority 0", ev(priority=0)),
    valid("priority negative", ev(priority=-5)),
    valid("priority large", ev(priority=10**15)),
    # --- call.answered / call.wrapup_ended
    valid("answered agent_id 256 chars", ev("call.answered", agent_id="a" * 256)),
    # --- call.dequeued
    *[valid(f"dequeued reason {r}", ev("call.dequeued", reason=r)) for r in DEQUEUE_REASONS],
    valid("dequeued to_queue", ev("call.dequeued", reason="overflow", to_queue="sales")),
    # --- call.ended
    valid("ended hold_s 0", ev("call.ended", hold_s=0)),
    valid("ended hold_s int", ev("call.ended", hold_s=35)),
    valid("ended hold_s float", ev("call.ended", hold_s=12.5)),
    valid("ended acw false", ev("call.ended", acw=False)),
    valid("ended acw true", ev("call.ended", acw=True)),
    # --- agent.state
    *[valid(f"agent state {s}", ev("agent.state", state=s)) for s in AGENT_STATES],
    valid("agent queues empty", ev("agent.state", queues=[])),
    valid("agent queues several", ev("agent.state", queues=["billing", "sales", "q" * 256])),
    valid("agent reason", ev("agent.state", state="not_ready", reason="lunch")),
    valid("agent reason empty", ev("agent.state", reason="")),
    valid("agent reason 256 chars", ev("agent.state", reason="r" * 256)),
]

INVALID = [
    # --- not JSON
    invalid("not JSON: truncated", b'{"v":1', "$", "not JSON"),
    invalid("not JSON: empty", b"", "$", "not JSON"),
    invalid("not JSON: bad UTF-8", b'{"v":"\xff"}', "$", "not JSON"),
    invalid("not JSON: NaN", b'{"v":NaN}', "$", "not JSON"),
    invalid("not JSON: two documents", b'{"v":1}{"v":1}', "$", "not JSON"),
    invalid("not JSON: str input", "{'v': 1}", "$", "not JSON"),
    # --- not an object
    invalid("array", b"[]", "$", "expected a JSON object, got array"),
    invalid("string", b'"call.queued"', "$", "expected a JSON object, got string"),
    invalid("null", b"null", "$", "expected a JSON object, got null"),
    invalid("number", b"1", "$", "expected a JSON object, got integer"),
    invalid("decoded list", [ev()], "$", "expected a JSON object, got array"),
    invalid("unsupported input type", 12, "$", "expected a JSON object", schema=False),
    # --- 64 KiB
    invalid(
        "64 KiB + 1 byte",
        padded(ev(), MAX_MESSAGE_BYTES + 1),
        "$",
        "larger than 65536",
        schema=False,
    ),
    invalid(
        "str over 64 KiB of UTF-8",
        orjson.dumps(ev(note="€" * 22000)).decode(),
        "$",
        "larger than 65536",
        schema=False,
    ),
    # --- required fields
    *[
        invalid(f"missing {key}", ev(**{key: DEL}), key, "required field missing")
        for key in ("v", "event_id", "type", "ts", "call_id", "queue")
    ],
    *[
        invalid(f"{t} missing agent_id", ev(t, agent_id=DEL), "agent_id", "required field missing")
        for t in ("call.answered", "call.ended", "call.wrapup_ended", "agent.state")
    ],
    invalid("dequeued missing reason", ev("call.dequeued", reason=DEL), "reason", "missing"),
    invalid("agent missing state", ev("agent.state", state=DEL), "state", "missing"),
    invalid("agent missing queues", ev("agent.state", queues=DEL), "queues", "missing"),
    invalid("empty object", {}, "v", "required field missing"),
    # --- v
    invalid("v string", ev(v="1"), "v", 'expected integer 1, got "1"'),
    invalid("v true", ev(v=True), "v", "expected integer 1, got true"),
    invalid("v 2", ev(v=2), "v", "expected integer 1, got 2"),
    invalid("v 0", ev(v=0), "v", "got 0"),
    invalid("v null", ev(v=None), "v", "got null"),
    invalid("v 1.5", ev(v=1.5), "v", "got 1.5"),
    invalid("v 1.0", ev(v=1.0), "v", "got 1.0", schema=False),
    # --- event_id
    invalid("event_id number", ev(event_id=5), "event_id", "expected string, got 5"),
    invalid("event_id null", ev(event_id=None), "event_id", "expected string, got null"),
    invalid("event_id empty", ev(event_id=""), "event_id", "must not be empty"),
    invalid("event_id 129 chars", ev(event_id="x" * 129), "event_id", "longer than 128"),
    # --- type
    invalid("type number", ev(type=5), "type", "expected string, got 5"),
    invalid("type unknown", ev(type="call.foo"), "type", "unknown type 'call.foo'"),
    invalid("type wrong case", ev(type="CALL.QUEUED"), "type", "unknown type"),
    invalid("type empty", ev(type=""), "type", "unknown type ''"),
    # --- ts: type and offset
    invalid("ts number", ev(ts=1795310102), "ts", "expected string, got 1795310102"),
    invalid("ts null", ev(ts=None), "ts", "expected string, got null"),
    invalid("ts no offset", ev(ts="2026-11-22T09:15:02.120"), "ts", "has no UTC offset"),
    invalid("ts no offset no fraction", ev(ts="2026-11-22T09:15:02"), "ts", "no UTC offset"),
    invalid(
        "ts offset without colon",
        ev(ts="2026-11-22T09:15:02+0800"),
        "ts",
        "invalid UTC offset '+0800'",
    ),
    invalid("ts offset hours only", ev(ts="2026-11-22T09:15:02+08"), "ts", "invalid UTC offset"),
    invalid("ts offset one-digit hour", ev(ts="2026-11-22T09:15:02+8:00"), "ts", "UTC offset"),
    invalid("ts offset hour 24", ev(ts="2026-11-22T09:15:02+24:00"), "ts", "out of range"),
    invalid("ts offset minute 60", ev(ts="2026-11-22T09:15:02-08:60"), "ts", "out of range"),
    invalid("ts offset UTC word", ev(ts="2026-11-22T09:15:02 UTC"), "ts", "invalid UTC offset"),
    invalid("ts trailing newline", ev(ts="2026-11-22T09:15:02Z\n"), "ts", "invalid UTC offset"),
    # --- ts: not RFC 3339
    invalid("ts date only", ev(ts="2026-11-22"), "ts", "date without time"),
    invalid("ts empty", ev(ts=""), "ts", "not an RFC 3339 date-time"),
    invalid("ts words", ev(ts="yesterday"), "ts", "not an RFC 3339 date-time"),
    invalid("ts basic format", ev(ts="20261122T091502Z"), "ts", "not an RFC 3339"),
    invalid("ts no seconds", ev(ts="2026-11-22T09:15Z"), "ts", "not an RFC 3339"),
    invalid("ts leading space", ev(ts=" 2026-11-22T09:15:02Z"), "ts", "not an RFC 3339"),
    invalid("ts non-ASCII digits", ev(ts="٢٠٢٦-11-22T09:15:02Z"), "ts", "not an RFC 3339"),
    invalid("ts ISO week date", ev(ts="2026-W47-7T09:15:02Z"), "ts", "not an RFC 3339"),
    invalid("ts space separator", ev(ts="2026-11-22 09:15:02Z"), "ts", "expected 'T'"),
    invalid("ts comma fraction", ev(ts="2026-11-22T09:15:02,120Z"), "ts", "UTC offset"),
    invalid("ts empty fraction", ev(ts="2026-11-22T09:15:02.Z"), "ts", "UTC offset"),
    invalid("ts month 13", ev(ts="2026-13-01T00:00:00Z"), "ts", "month 13 out of range"),
    invalid("ts month 00", ev(ts="2026-00-01T00:00:00Z"), "ts", "month 00 out of range"),
    invalid("ts day 00", ev(ts="2026-11-00T00:00:00Z"), "ts", "day 00 out of range"),
    invalid("ts day 32", ev(ts="2026-01-32T00:00:00Z"), "ts", "day 32 out of range"),
    invalid("ts 31 April", ev(ts="2026-04-31T00:00:00Z"), "ts", "day 31 out of range for 2026-04"),
    invalid("ts 29 Feb 2026", ev(ts="2026-02-29T00:00:00Z"), "ts", "day 29 out of range"),
    invalid("ts 29 Feb 1900", ev(ts="1900-02-29T00:00:00Z"), "ts", "day 29 out of range"),
    invalid("ts 29 Feb 2100", ev(ts="2100-02-29T00:00:00Z"), "ts", "day 29 out of range"),
    invalid("ts hour 24", ev(ts="2026-11-22T24:00:00Z"), "ts", "hour 24 out of range"),
    invalid("ts minute 60", ev(ts="2026-11-22T09:60:00Z"), "ts", "minute 60 out of range"),
    invalid("ts second 61", ev(ts="2026-11-22T09:15:61Z"), "ts", "second 61 out of range"),
    invalid("ts month 13 and no offset", ev(ts="2026-13-01T00:00:00"), "ts", "month 13"),
    # --- ts: future
    invalid("ts 300.5 s ahead", ev(), "ts", "300.500 s ahead", now=TS_EPOCH - 300.5, schema=False),
    invalid("ts a day ahead", ev(), "ts", "86400.000 s ahead", now=TS_EPOCH - 86400, schema=False),
    # --- call_id / queue
    invalid("call_id number", ev(call_id=7), "call_id", "expected string, got 7"),
    invalid("call_id null", ev(call_id=None), "call_id", "expected string, got null"),
    invalid("call_id empty", ev(call_id=""), "call_id", "must not be empty"),
    invalid("call_id 257 chars", ev(call_id="c" * 257), "call_id", "longer than 256"),
    invalid("queue array", ev(queue=["billing"]), "queue", 'expected string, got ["billing"]'),
    invalid("queue 257 chars", ev(queue="q" * 257), "queue", "longer than 256 characters (257)"),
    invalid("abandoned queue missing", ev("call.abandoned", queue=DEL), "queue", "missing"),
    # --- call.queued
    invalid("attrs array", ev(attrs=["vip"]), "attrs", "expected object"),
    invalid("attrs string", ev(attrs="vip"), "attrs", "expected object"),
    invalid("attrs null", ev(attrs=None), "attrs", "got null"),
    invalid("attrs 33 keys", ev(attrs=attrs_n(33)), "attrs", "more than 32 keys (33)"),
    invalid("attrs int value", ev(attrs={"tier": 3}), "attrs.tier", "expected string, got 3"),
    invalid("attrs null value", ev(attrs={"a": "x", "tier": None}), "attrs.tier", "got null"),
    invalid("attrs nested value", ev(attrs={"tier": {"x": "y"}}), "attrs.tier", "got {"),
    invalid("attrs odd key bad value", ev(attrs={"a.b": 1}), 'attrs["a.b"]', "got 1"),
    invalid(
        "attrs value 257 chars", ev(attrs={"tier": "v" * 257}), "attrs.tier", "longer than 256"
    ),
    invalid("attrs key 257 chars", ev(attrs={"k" * 257: "v"}), "attrs", "key longer than 256"),
    invalid("attrs empty key", ev(attrs={"": "v"}), "attrs", "empty key"),
    invalid("priority string", ev(priority="1"), "priority", 'expected integer, got "1"'),
    invalid("priority true", ev(priority=True), "priority", "expected integer, got true"),
    invalid("priority 1.5", ev(priority=1.5), "priority", "expected integer, got 1.5"),
    invalid("priority null", ev(priority=None), "priority", "got null"),
    invalid("priority 2.0", ev(priority=2.0), "priority", "got 2.0", schema=False),
    # --- call.answered / call.wrapup_ended
    invalid(
        "answered agent_id number",
        ev("call.answered", agent_id=117),
        "agent_id",
        "expected string, got 117",
    ),
    invalid("wrapup agent_id empty", ev("call.wrapup_ended", agent_id=""), "agent_id", "empty"),
    invalid(
        "answered agent_id 257 chars",
        ev("call.answered", agent_id="a" * 257),
        "agent_id",
        "longer than 256",
    ),
    # --- call.dequeued
    invalid(
        "dequeued unknown reason",
        ev("call.dequeued", reason="hangup"),
        "reason",
        "unknown reason 'hangup'",
    ),
    invalid(
        "dequeued reason wrong case",
        ev("call.dequeued", reason="Timeout"),
        "reason",
        "unknown reason",
    ),
    invalid("dequeued reason number", ev("call.dequeued", reason=3), "reason", "expected string"),
    invalid(
        "dequeued to_queue number",
        ev("call.dequeued", to_queue=5),
        "to_queue",
        "expected string, got 5",
    ),
    invalid("dequeued to_queue empty", ev("call.dequeued", to_queue=""), "to_queue", "empty"),
    invalid(
        "dequeued to_queue 257 chars",
        ev("call.dequeued", to_queue="q" * 257),
        "to_queue",
        "longer than 256",
    ),
    # --- call.ended
    invalid(
        "ended hold_s negative",
        ev("call.ended", hold_s=-1),
        "hold_s",
        "expected number >= 0, got -1",
    ),
    invalid(
        "ended hold_s slightly negative", ev("call.ended", hold_s=-0.001), "hold_s", "got -0.001"
    ),
    invalid("ended hold_s string", ev("call.ended", hold_s="35"), "hold_s", 'got "35"'),
    invalid("ended hold_s true", ev("call.ended", hold_s=True), "hold_s", "got true"),
    invalid("ended hold_s null", ev("call.ended", hold_s=None), "hold_s", "got null"),
    invalid(
        "ended acw string", ev("call.ended", acw="false"), "acw", 'expected boolean, got "false"'
    ),
    invalid("ended acw 0", ev("call.ended", acw=0), "acw", "expected boolean, got 0"),
    invalid("ended acw null", ev("call.ended", acw=None), "acw", "got null"),
    # --- agent.state
    invalid(
        "agent unknown state", ev("agent.state", state="busy"), "state", "unknown state 'busy'"
    ),
    invalid("agent state wrong case", ev("agent.state", state="AVAILABLE"), "state", "unknown"),
    invalid("agent state number", ev("agent.state", state=1), "state", "expected string, got 1"),
    invalid(
        "agent queues string",
        ev("agent.state", queues="billing"),
        "queues",
        "expected array of strings",
    ),
    invalid("agent queues null", ev("agent.state", queues=None), "queues", "got null"),
    invalid(
        "agent queues number item",
        ev("agent.state", queues=[1]),
        "queues[0]",
        "expected string, got 1",
    ),
    invalid(
        "agent queues null item",
        ev("agent.state", queues=["a", "b", None]),
        "queues[2]",
        "expected string, got null",
    ),
    invalid(
        "agent queues empty item",
        ev("agent.state", queues=["a", ""]),
        "queues[1]",
        "must not be empty",
    ),
    invalid(
        "agent queues long item",
        ev("agent.state", queues=["q" * 257]),
        "queues[0]",
        "longer than 256",
    ),
    invalid("agent reason number", ev("agent.state", reason=5), "reason", "expected string"),
    invalid(
        "agent reason 257 chars", ev("agent.state", reason="r" * 257), "reason", "longer than 256"
    ),
    invalid("agent agent_id null", ev("agent.state", agent_id=None), "agent_id", "got null"),
]


def _as_input(data: Any) -> Any:
    """Table data as given to parse_event: dicts go in as JSON bytes (the Kafka path)."""
    return orjson.dumps(data) if isinstance(data, dict) else data


# ------------------------------------------------------------------------------------------
# The Validity section, rule by rule.


@pytest.mark.parametrize(("data", "now", "schema"), VALID)
def test_valid(data: Any, now: float | None, schema: bool) -> None:
    event = parse_event(_as_input(data), now=now)
    assert type(event) is Event
    assert event.v == 1
    assert event.type in EVENT_TYPES


@pytest.mark.parametrize(("data", "field", "reason", "now", "schema"), INVALID)
def test_invalid(data: Any, field: str, reason: str, now: float | None, schema: bool) -> None:
    with pytest.raises(InvalidEvent) as info:
        parse_event(_as_input(data), now=now)
    exc = info.value
    assert exc.field == field
    assert reason in exc.reason
    assert str(exc) == f"{exc.field}: {exc.reason}"


@pytest.mark.parametrize(
    ("data", "now", "schema"), [p for p in VALID if isinstance(p.values[0], dict)]
)
def test_valid_dict_input(data: dict, now: float | None, schema: bool) -> None:
    assert parse_event(data, now=now) == parse_event(orjson.dumps(data), now=now)


@pytest.mark.parametrize(
    ("data", "field", "reason", "now", "schema"),
    [p for p in INVALID if isinstance(p.values[0], dict)],
)
def test_invalid_dict_input(
    data: dict, field: str, reason: str, now: float | None, schema: bool
) -> None:
    with pytest.raises(InvalidEvent) as info:
        parse_event(data, now=now)
    assert info.value.field == field
    assert reason in info.value.reason


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ev(ts="2026-11-22T09:15:02.120"), "ts: timestamp has no UTC offset"),
        (ev(type="call.foo"), "type: unknown type 'call.foo'"),
        (ev(event_id=DEL), "event_id: required field missing"),
        (ev(v="1"), 'v: expected integer 1, got "1"'),
        (ev(attrs={"tier": 3}), "attrs.tier: expected string, got 3"),
        (ev("agent.state", queues=["a", "b", 3]), "queues[2]: expected string, got 3"),
        (ev("call.ended", hold_s=-2.5), "hold_s: expected number >= 0, got -2.5"),
        (b"[1]", "$: expected a JSON object, got array"),
    ],
)
def test_exact_messages(data: Any, message: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        parse_event(_as_input(data))
    assert str(info.value) == message


def test_not_json_message_carries_decoder_detail() -> None:
    with pytest.raises(InvalidEvent) as info:
        parse_event(b'{"v":1,}')
    assert str(info.value).startswith("$: not JSON: ")
    assert "trailing comma" in str(info.value)


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(InvalidEvent) as info:
        parse_event(ev(type="x" * 10_000))
    assert len(str(info.value)) < 120


def test_max_future_s_is_configurable() -> None:
    assert parse_event(ev(), now=TS_EPOCH - 500, max_future_s=600).ts == TS_EPOCH
    with pytest.raises(InvalidEvent, match=r"^ts: timestamp is 10\.000 s ahead"):
        parse_event(ev(), now=TS_EPOCH - 10, max_future_s=5)


def test_first_error_wins_in_field_order() -> None:
    with pytest.raises(InvalidEvent) as info:
        parse_event({"v": 2, "type": "nope"})
    assert info.value.field == "v"


def test_nan_and_infinity_from_dict_input() -> None:
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(InvalidEvent) as info:
            parse_event(ev("call.ended", hold_s=bad))
        assert info.value.field == "hold_s"
    with pytest.raises(InvalidEvent, match="hold_s: number too large"):
        parse_event(ev("call.ended", hold_s=10**400))


# ------------------------------------------------------------------------------------------
# Event values.


def _spec_lines() -> list[bytes]:
    return (FIXTURES / "spec_examples.jsonl").read_bytes().splitlines()


def test_spec_examples_parse() -> None:
    events = [parse_event(line) for line in _spec_lines()]
    assert [e.ts for e in events] == [
        1795310102.12,
        1795310114.9,
        1795310380.0,
        1795310425.0,
        1795310425.0,
    ]
    tz8 = timezone(timedelta(hours=8))
    assert events[0].ts == pytest.approx(
        datetime(2026, 11, 22, 9, 15, 2, 120000, tzinfo=tz8).timestamp(), abs=1e-6
    )
    queued, answered, ended, wrapup, agent = events
    assert queued == Event(
        v=1,
        event_id="7f3c-1",
        type="call.queued",
        ts=1795310102.12,
        call_id="7f3c",
        queue="billing",
        attrs={"tier": "vip", "channel": "voice"},
    )
    assert (answered.type, answered.agent_id, answered.queue) == (
        "call.answered",
        "a-117",
        "billing",
    )
    assert (ended.hold_s, ended.acw, ended.agent_id) == (35.0, True, "a-117")
    assert isinstance(ended.hold_s, float)
    assert (wrapup.type, wrapup.call_id) == ("call.wrapup_ended", "7f3c")
    assert agent == Event(
        v=1,
        event_id="a-117-9",
        type="agent.state",
        ts=1795310425.0,
        agent_id="a-117",
        state="available",
        queues=("billing", "sales"),
    )
    assert agent.raw == orjson.loads(_spec_lines()[4])


def test_spec_examples_match_the_spec_page() -> None:
    spec = pathlib.Path("/work/shared/spec/events.md")
    if not spec.exists():
        pytest.skip("shared spec not mounted")
    lines = [ln.encode() for ln in spec.read_text(encoding="utf-8").splitlines()]
    assert all(line in lines for line in _spec_lines())


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("1970-01-01T00:00:00Z", 0.0),
        ("1970-01-01T00:30:00.5+00:30", 0.5),
        ("1969-12-31T19:00:00-05:00", 0.0),
        ("9999-11-30T23:59:59.999Z", 253399622399.999),
        ("2000-02-29T00:00:00Z", 951782400.0),
        ("2016-12-31T23:59:60Z", 1483228800.0),  # leap second: counted as the next :00
        ("2026-11-22T09:15:02.120+08:00", 1795310102.12),
        ("2026-11-22t01:15:02.120z", 1795310102.12),
        ("2026-11-21T14:45:02.12-10:30", 1795310102.12),
        ("2026-11-22T01:15:02.123456789Z", 1795310102 + 0.123456789),
    ],
)
def test_ts_epoch(ts: str, expected: float) -> None:
    assert parse_event(ev(ts=ts)).ts == expected


def test_event_defaults_and_types() -> None:
    e = parse_event(ev("call.queued", priority=3, attrs={"tier": "vip"}))
    assert (e.priority, e.attrs, e.agent_id, e.acw, e.hold_s, e.queues) == (
        3,
        {"tier": "vip"},
        None,
        True,
        None,
        None,
    )
    d = parse_event(ev("call.dequeued", reason="overflow", to_queue="sales"))
    assert (d.reason, d.to_queue, d.agent_id) == ("overflow", "sales", None)
    ended = parse_event(ev("call.ended", acw=False, hold_s=0))
    assert ended.acw is False
    assert ended.hold_s == 0.0
    assert isinstance(ended.hold_s, float)
    a = parse_event(ev("agent.state", queues=[], reason="lunch", state="not_ready"))
    assert (a.queues, a.reason, a.state, a.call_id, a.queue) == (
        (),
        "lunch",
        "not_ready",
        None,
        None,
    )


def test_foreign_fields_are_not_copied() -> None:
    e = parse_event(ev("call.queued", agent_id="a-1", reason="x", queues=["q"], hold_s=-1))
    assert (e.agent_id, e.reason, e.queues, e.hold_s) == (None, None, None, None)
    assert e.raw["agent_id"] == "a-1"


def test_event_is_frozen_hashable_picklable() -> None:
    e = parse_event(_spec_lines()[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.queue = "other"  # type: ignore[misc]
    assert hash(e) == hash(parse_event(_spec_lines()[0]))
    assert pickle.loads(pickle.dumps(e)) == e
    assert dataclasses.asdict(e)["attrs"] == {"tier": "vip", "channel": "voice"}
    assert dataclasses.replace(e, queue="sales").queue == "sales"


def test_fast_builder_matches_dataclass() -> None:
    names = tuple(f.name for f in dataclasses.fields(Event))
    assert Event.__slots__ == names
    assert validate_mod._EventBuilder.__slots__ == names
    for line in _spec_lines():
        e = parse_event(line)
        assert type(e) is Event
        rebuilt = Event(**{n: getattr(e, n) for n in names})
        assert [getattr(rebuilt, n) for n in names] == [getattr(e, n) for n in names]
        assert e.raw is not None


def test_invalid_event_is_value_error_and_picklable() -> None:
    exc = InvalidEvent("attrs.tier", "expected string, got 3")
    assert isinstance(exc, ValueError)
    assert str(exc) == "attrs.tier: expected string, got 3"
    again = pickle.loads(pickle.dumps(exc))
    assert (again.field, again.reason, str(again)) == (exc.field, exc.reason, str(exc))


# ------------------------------------------------------------------------------------------
# Constants, package API and the schema file.


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


def test_schema_file_is_valid_draft_2020_12() -> None:
    assert schema_path().is_file()
    assert schema_path().name == "event.v1.json"
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_enums_match_constants() -> None:
    defs = SCHEMA["$defs"]
    assert tuple(SCHEMA["properties"]["type"]["enum"]) == EVENT_TYPES
    assert tuple(defs["agent.state"]["properties"]["state"]["enum"]) == AGENT_STATES
    assert tuple(defs["call.dequeued"]["properties"]["reason"]["enum"]) == DEQUEUE_REASONS
    assert {b["if"]["properties"]["type"]["const"] for b in SCHEMA["allOf"]} == set(EVENT_TYPES)


def test_schema_errors_are_precise_per_type() -> None:
    errors = list(VALIDATOR.iter_errors(ev("call.dequeued", reason="hangup")))
    assert [list(e.absolute_path) for e in errors] == [["reason"]]
    errors = list(VALIDATOR.iter_errors(ev("agent.state", queues=["a", 3])))
    assert [list(e.absolute_path) for e in errors] == [["queues", 1]]


# ------------------------------------------------------------------------------------------
# Conformance: the JSON Schema and parse_event agree on every table example.


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


@pytest.mark.parametrize(("data", "now", "schema"), [p for p in VALID if p.values[2]])
def test_schema_accepts_valid(data: Any, now: float | None, schema: bool) -> None:
    assert _schema_valid(data)


@pytest.mark.parametrize(
    ("data", "field", "reason", "now", "schema"), [p for p in INVALID if p.values[4]]
)
def test_schema_rejects_invalid(
    data: Any, field: str, reason: str, now: float | None, schema: bool
) -> None:
    assert not _schema_valid(data)


def test_schema_limitations_are_the_documented_ones() -> None:
    # The schema accepts these, parse_event does not (see the module docstring).
    for data in (ev(v=1.0), ev(priority=2.0)):
        assert VALIDATOR.is_valid(data)
        assert not _parses(orjson.dumps(data))
    assert VALIDATOR.is_valid(orjson.loads(padded(ev(), MAX_MESSAGE_BYTES + 1)))
    assert VALIDATOR.is_valid(ev(ts="2999-01-01T00:00:00Z"))


# ------------------------------------------------------------------------------------------
# Properties.

KNOWN_FIELDS = [
    "v",
    "event_id",
    "type",
    "ts",
    "call_id",
    "queue",
    "agent_id",
    "attrs",
    "priority",
    "reason",
    "to_queue",
    "hold_s",
    "acw",
    "state",
    "queues",
]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
tricky_values = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        1,
        -1,
        1.0,
        2.0,
        0.5,
        -0.0,
        "",
        "x",
        "x" * 256,
        "x" * 257,
        [],
        ["a"],
        [""],
        {},
        {"k": "v"},
        {"k": 1},
        TS,
        "2026-11-22T09:15:02",
        "2026-02-29T00:00:00Z",
        *EVENT_TYPES,
        *AGENT_STATES,
        *DEQUEUE_REASONS,
    ]
)


@st.composite
def timestamps(draw: st.DrawFn) -> tuple[str, float]:
    """An RFC 3339 timestamp with offset and the epoch seconds it denotes."""
    secs = draw(st.integers(min_value=0, max_value=7258118400))  # 1970..2200 (TS_MIN_S..)
    offset_min = draw(st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59))
    frac = draw(st.text("0123456789", max_size=12))
    local = datetime.fromtimestamp(secs, tz=timezone(timedelta(minutes=offset_min)))
    if offset_min == 0:
        off = draw(st.sampled_from(["Z", "z", "+00:00", "-00:00"]))
    else:
        h, m = divmod(abs(offset_min), 60)
        off = f"{'+' if offset_min > 0 else '-'}{h:02d}:{m:02d}"
    sep = draw(st.sampled_from("Tt"))
    text = (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}{sep}"
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
        f"{'.' + frac if frac else ''}{off}"
    )
    return text, secs + (float("0." + frac) if frac else 0.0)


ids = st.text(min_size=1, max_size=256)


@st.composite
def valid_events(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A valid event and the Event fields expected from it."""
    etype = draw(st.sampled_from(EVENT_TYPES))
    ts, epoch = draw(timestamps())
    extras = draw(
        st.dictionaries(
            st.text(max_size=10).filter(lambda k: k not in KNOWN_FIELDS), json_values, max_size=3
        )
    )
    event_id = draw(st.text(min_size=1, max_size=128))
    obj: dict[str, Any] = {**extras, "v": 1, "event_id": event_id, "type": etype, "ts": ts}
    want: dict[str, Any] = {"v": 1, "event_id": event_id, "type": etype, "ts": epoch}
    if etype == "agent.state":
        want["agent_id"] = obj["agent_id"] = draw(ids)
        want["state"] = obj["state"] = draw(st.sampled_from(AGENT_STATES))
        queues = draw(st.lists(ids, max_size=5))
        obj["queues"] = queues
        want["queues"] = tuple(queues)
        if draw(st.booleans()):
            want["reason"] = obj["reason"] = draw(st.text(max_size=256))
    else:
        want["call_id"] = obj["call_id"] = draw(ids)
        want["queue"] = obj["queue"] = draw(ids)
    if etype in ("call.answered", "call.ended", "call.wrapup_ended"):
        want["agent_id"] = obj["agent_id"] = draw(ids)
    if etype == "call.queued":
        if draw(st.booleans()):
            want["attrs"] = obj["attrs"] = draw(
                st.dictionaries(ids, st.text(max_size=256), max_size=32)
            )
        if draw(st.booleans()):
            want["priority"] = obj["priority"] = draw(
                st.integers(min_value=-(2**63), max_value=2**63 - 1)
            )
    if etype == "call.dequeued":
        want["reason"] = obj["reason"] = draw(st.sampled_from(DEQUEUE_REASONS))
        if draw(st.booleans()):
            want["to_queue"] = obj["to_queue"] = draw(ids)
    if etype == "call.ended":
        if draw(st.booleans()):
            hold = draw(
                st.integers(min_value=0, max_value=10**6)
                | st.floats(min_value=0, max_value=1e9, allow_nan=False)
            )
            obj["hold_s"] = hold
            want["hold_s"] = float(hold)
        if draw(st.booleans()):
            want["acw"] = obj["acw"] = draw(st.booleans())
    return obj, want


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(valid_events())
def test_property_valid_events_parse_and_round_trip(case: tuple[dict, dict]) -> None:
    obj, want = case
    data = orjson.dumps(obj)
    event = parse_event(data)
    expected = Event(**want, raw=obj)
    for f in dataclasses.fields(Event):
        assert getattr(event, f.name) == getattr(expected, f.name), f.name
    assert event.raw == obj
    assert parse_event(obj) == event
    assert parse_event(data.decode()) == event
    assert VALIDATOR.is_valid(obj)


@settings(max_examples=300)
@given(
    st.dictionaries(st.sampled_from(KNOWN_FIELDS) | st.text(max_size=10), json_values, max_size=12)
)
def test_property_arbitrary_objects_only_raise_invalid_event(obj: dict[str, Any]) -> None:
    for data in (obj, orjson.dumps(obj)):
        try:
            parse_event(data, now=0.0)
        except InvalidEvent as exc:
            assert str(exc) == f"{exc.field}: {exc.reason}"


@settings(max_examples=200)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_property_arbitrary_bytes_only_raise_invalid_event(data: bytes) -> None:
    try:
        parse_event(data)
    except InvalidEvent as exc:
        assert exc.field in KNOWN_FIELDS or exc.field == "$"


def _integral_float_exemption(key: str, value: Any) -> bool:
    """JSON Schema sees 1.0 as an integer; parse_event does not (documented)."""
    return key in ("v", "priority") and isinstance(value, float) and value.is_integer()


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(
    valid_events(),
    st.sampled_from(KNOWN_FIELDS),
    st.just(DEL) | tricky_values | json_values,
)
def test_property_mutated_events_agree_with_schema(
    case: tuple[dict, dict], key: str, value: Any
) -> None:
    obj = dict(case[0])
    if value is DEL:
        obj.pop(key, None)
    else:
        obj[key] = value
    data = orjson.dumps(obj)
    assume(len(data) <= MAX_MESSAGE_BYTES)
    ours = _parses(data)
    theirs = VALIDATOR.is_valid(orjson.loads(data))
    if ours != theirs:
        assert not ours
        assert _integral_float_exemption(key, value)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=3), st.text(max_size=3) | json_scalars, max_size=34))
def test_property_attrs_agree_with_schema(attrs: dict[str, Any]) -> None:
    obj = ev(attrs=attrs)
    assert _parses(orjson.dumps(obj)) == VALIDATOR.is_valid(obj)


@settings(max_examples=500)
@given(
    year=st.sampled_from([1900, 2000, 2024, 2026, 2100, 2400]) | st.integers(1000, 9999),
    month=st.integers(0, 13),
    day=st.integers(0, 32),
    hour=st.integers(0, 25),
    minute=st.integers(0, 61),
    second=st.integers(0, 61),
    sign=st.sampled_from([1, -1]),
    off_h=st.integers(0, 25),
    off_m=st.integers(0, 61),
)
def test_property_ts_fields_against_calendar(
    year: int,
    month: int,
    day: int,
    hour: int,
    minute: int,
    second: int,
    sign: int,
    off_h: int,
    off_m: int,
) -> None:
    ts = (
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
        f"{'+' if sign > 0 else '-'}{off_h:02d}:{off_m:02d}"
    )
    ok = (
        1 <= month <= 12
        and 1 <= day <= calendar.monthrange(year, month)[1]
        and hour <= 23
        and minute <= 59
        and second <= 60
        and off_h <= 23
        and off_m <= 59
    )
    obj = ev(ts=ts)
    assert VALIDATOR.is_valid(obj) == ok
    if ok:
        offset = timezone(sign * timedelta(hours=off_h, minutes=off_m))
        expected = datetime(year, month, day, hour, minute, tzinfo=offset).timestamp() + second
        ok = validate_mod.TS_MIN_S <= expected < validate_mod.TS_MAX_S  # the accepted range
    if not ok:
        with pytest.raises(InvalidEvent) as info:
            parse_event(obj)
        assert info.value.field == "ts"
        return
    assert parse_event(obj).ts == expected


def test_ts_cache_does_not_change_results() -> None:
    validate_mod._minute_cache.clear()
    first = parse_event(ev(ts="2026-11-22T09:15:59.5+08:00")).ts
    second = parse_event(ev(ts="2026-11-22T09:15:00+08:00")).ts  # same minute: cache hit
    assert first - second == 59.5
    with pytest.raises(InvalidEvent, match="second 61"):
        parse_event(ev(ts="2026-11-22T09:15:61+08:00"))  # cache hit, bad second
    assert parse_event(ev(ts="2026-11-22T09:15:00+09:00")).ts == second - 3600
    for i in range(validate_mod._MINUTE_CACHE_MAX + 10):  # the cache stays bounded
        parse_event(ev(ts=f"2026-11-22T09:15:00+{i // 60 % 24:02d}:{i % 60:02d}"))
        parse_event(ev(ts=f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"))
    assert len(validate_mod._minute_cache) <= validate_mod._MINUTE_CACHE_MAX
    assert parse_event(ev(ts="1970-01-01T00:00:00Z")).ts == 0.0
    assert datetime.fromtimestamp(first, tz=UTC) == datetime(
        2026, 11, 22, 1, 15, 59, 500000, tzinfo=UTC
    )


TS_PATTERN = re.compile(SCHEMA["properties"]["ts"]["pattern"])


def test_ts_calendar_exhaustive() -> None:
    """Every date of some tricky years, and 29 February of every year 0000-9999, in both the
    schema pattern and parse_event, against the calendar module."""
    cases = [
        (year, month, day)
        for year in (0, 1, 1600, 1700, 1900, 1999, 2000, 2001, 2004, 2024, 2026, 2100, 9999)
        for month in range(14)
        for day in range(33)
    ] + [(year, 2, 29) for year in range(10000)]
    for year, month, day in cases:
        ts = f"{year:04d}-{month:02d}-{day:02d}T12:00:00Z"
        ok = 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year or 2000, month)[1]
        assert bool(TS_PATTERN.search(ts)) == ok, ts
        in_range = ok and year >= 1970 and (year, month) < (9999, 12)
        assert _parses(ev(ts=ts)) == in_range, ts
        if in_range:
            expected = datetime(year, month, day, 12, tzinfo=UTC).timestamp()
            assert parse_event(ev(ts=ts)).ts == expected, ts
        elif ok:
            with pytest.raises(InvalidEvent, match="outside the accepted range"):
                parse_event(ev(ts=ts))


@pytest.mark.parametrize("ts", [
    "0001-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00+00:01",
    "9999-12-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "0000-02-29T00:00:00Z",
])
def test_ts_outside_the_accepted_range_is_invalid_with_the_range_named(ts: str) -> None:
    """Year 1 used to pass and crash the engine's day arithmetic (hardening, issue 8)."""
    with pytest.raises(InvalidEvent) as info:
        parse_event(ev(ts=ts))
    assert str(info.value) == (f"ts: timestamp {ts!r} is outside the accepted range "
                               f"{validate_mod.TS_RANGE_TEXT}")


@pytest.mark.parametrize("field", ["v", "event_id", "ts", "call_id", "queue", "attrs"])
@pytest.mark.parametrize("depth", [254, 255, 300, 1000])
def test_deeply_nested_values_are_invalid_not_a_recursion_error(field: str, depth: int) -> None:
    """A value nested 1,000 deep made the error formatter raise RecursionError."""
    nested = b"[" * depth + b"]" * depth
    others = {k: v for k, v in ev("call.queued").items() if k != field}
    data = orjson.dumps(others)[:-1] + b',"' + field.encode() + b'":' + nested + b"}"
    with pytest.raises(InvalidEvent) as info:
        parse_event(data)
    assert info.value.field == field
    assert len(str(info.value)) < 200

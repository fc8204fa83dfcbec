"""schemas/event.v1.json, the JSON Schema of contract v1: a valid draft 2020-12 schema
that agrees with parse_event on every table case and on mutated events, and with the msgspec
Structs on the generated corpus, apart from the rules a JSON Schema cannot express."""

from __future__ import annotations

from collections import Counter
from typing import Any

import jsonschema
import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from schemas import (
    AGENT_STATES,
    DEQUEUE_REASONS,
    EVENT_TYPES,
    MAX_MESSAGE_BYTES,
    InvalidEvent,
    schema_path,
)
from schemas import validate as validate_mod
from tests.unit.schemas.cases import INVALID, VALID
from tests.unit.schemas.corpus import REFERENCE, corpus
from tests.unit.schemas.strategies import (
    KNOWN_FIELDS,
    json_scalars,
    json_values,
    tricky_values,
    valid_events,
)
from tests.unit.schemas.support import (
    DEL,
    SCHEMA,
    VALIDATOR,
    _parses,
    _schema_valid,
    ev,
    padded,
)

SCHEMA_VALIDATOR = VALIDATOR  # the corpus checks' name for it


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


def _structs_accept(obj: dict) -> bool:
    """The Structs on a decoded object, as parse_event applies them to dict input and to
    messages with unknown fields (msgspec.convert; unknown fields ignored, like the schema),
    plus the ``ts`` grammar, which the schema's pattern holds and the Python pass checks (the
    Structs keep ``ts`` a string)."""
    try:
        event = msgspec.convert(obj, validate_mod.EventStruct)
        validate_mod._parse_ts(event.ts)
    except (msgspec.ValidationError, InvalidEvent):
        return False
    return True


def _schema_exempt(obj: dict) -> bool:
    """The rules the JSON Schema cannot express (the Structs and the Python pass enforce
    them; schemas/validate.py's docstring): integers written as floats (JSON Schema sees 1.0
    as the integer 1), integers beyond int64 for ``priority`` (the schema has no bounds; the
    contract takes what orjson reads as an int, [2**63, 2**64) being left to the legacy
    path), and ``ts`` outside the accepted range (the schema checks the calendar only)."""
    for key in ("v", "priority"):
        value = obj.get(key)
        if isinstance(value, float) and value.is_integer():
            return True
    priority = obj.get("priority")
    if isinstance(priority, int) and not isinstance(priority, bool) and not (
        -(2**63) <= priority < 2**63
    ):
        return True
    ts = obj.get("ts")
    if isinstance(ts, str):
        try:
            REFERENCE({"v": 1, "event_id": "e", "type": "call.abandoned", "ts": ts,
                       "call_id": "c", "queue": "q"})
        except InvalidEvent as exc:
            if "outside the accepted range" in exc.reason:
                return True
    return False


def test_schema_and_structs_agree() -> None:
    checked: Counter[Any] = Counter()
    for case in corpus()[::10]:
        data = case.data
        if isinstance(data, dict):
            obj = data
        else:
            try:
                obj = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue  # not JSON: no instance of any schema
        if obj.__class__ is not dict:
            continue
        if _schema_exempt(obj):
            checked["exempt"] += 1
            continue
        try:
            theirs = SCHEMA_VALIDATOR.is_valid(obj)
        except RecursionError:  # jsonschema's repr of a value nested ~1,000 deep
            checked["too deep for jsonschema"] += 1
            continue
        assert _structs_accept(obj) == theirs, (case.kind, obj)
        checked[theirs] += 1
    assert checked[True] > 1000 and checked[False] > 1000, checked


def test_exemptions_are_real() -> None:
    """Each rule _schema_exempt names does separate the schema from the Structs."""
    base = {"v": 1, "event_id": "e", "type": "call.queued", "ts": "2026-11-21T21:46:40Z",
            "call_id": "c", "queue": "q"}
    for obj in ({**base, "v": 1.0}, {**base, "priority": 2.0}, {**base, "priority": 2**64 + 1},
                {**base, "ts": "0001-01-01T00:00:00Z"}):
        assert _schema_exempt(obj)
        assert SCHEMA_VALIDATOR.is_valid(obj)
        assert not _structs_accept(obj)

"""schemas.validate: parse_event on the contract's tables (valid and invalid events, exact
messages), the spec's examples, the Event fields it fills, properties of arbitrary input,
and the msgspec Structs it decides with."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import EVENT_TYPES, Event, InvalidEvent, parse_event, schema_path
from schemas import validate as validate_mod
from tests.support import shared_data
from tests.unit.schemas.cases import INVALID, VALID
from tests.unit.schemas.corpus import COMMON, OWN_FIELDS
from tests.unit.schemas.strategies import KNOWN_FIELDS, json_values, valid_events
from tests.unit.schemas.support import DEL, TS_EPOCH, VALIDATOR, _as_input, _spec_lines, ev


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
    spec = shared_data("spec/events.md", "WALLBOARD_EVENTS_SPEC")
    lines = [ln.encode() for ln in spec.read_text(encoding="utf-8").splitlines()]
    assert all(line in lines for line in _spec_lines())


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


def test_struct_fields_match_the_contract_and_the_schema() -> None:
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    for cls, strict in zip(validate_mod.STRUCTS, validate_mod.STRICT_STRUCTS, strict=True):
        tag = cls.__struct_config__.tag
        assert strict.__struct_config__.tag == tag
        assert strict.__struct_config__.forbid_unknown_fields
        assert not cls.__struct_config__.forbid_unknown_fields
        assert cls.__struct_fields__ == COMMON[:2] + ("ts",) + OWN_FIELDS[tag]
        declared = set(schema["$defs"][tag].get("properties", {}))
        if tag.startswith("call."):
            declared |= {"call_id", "queue"}
        assert declared == set(OWN_FIELDS[tag]), tag
    assert [c.__struct_config__.tag for c in validate_mod.STRUCTS] == list(OWN_FIELDS)

"""schemas.legacy, the hand-written validator, is the reference the msgspec validator
(schemas.validate) is checked against: side by side on the 100,000 lines of the generated
corpus (tests/unit/schemas/corpus.py), on arbitrary objects and input and on edge messages,
both must take the same decision; accepted lines must give the same Event (every field,
``raw`` included), rejected ones the same field and the same message."""

from __future__ import annotations

import enum
import json
from collections import Counter
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import Event, InvalidEvent, legacy
from schemas import validate as validate_mod
from tests.unit.schemas.corpus import (
    ALL_FIELDS,
    BAD_TIMESTAMPS,
    GOOD_TIMESTAMPS,
    OWN_FIELDS,
    REFERENCE,
    TRICKY,
    Case,
    _dumps,
    _JsonValue,
    _outcome,
    corpus,
)


def test_corpus_covers_what_it_should() -> None:
    kinds = Counter(case.kind for case in corpus())
    assert len(corpus()) == 100_000
    assert kinds["simulated"] == 50_000
    assert min(kinds.values()) >= 300, kinds
    inputs = Counter(type(case.data).__name__ for case in corpus())
    assert set(inputs) == {"bytes", "str", "bytearray", "memoryview", "dict"}, inputs


def test_msgspec_and_legacy_agree_on_100k_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    fell_back: list[bool] = []

    def legacy_spy(*args: Any, **kwargs: Any) -> Event:
        event = REFERENCE(*args, **kwargs)  # raises on an invalid record: no fallback accept
        fell_back.append(True)
        return event

    monkeypatch.setattr(legacy, "parse_event", legacy_spy)
    decisions: Counter[tuple[str, str]] = Counter()
    stricter: Counter[str] = Counter()
    for case in corpus():
        want = _outcome(REFERENCE, case)
        fell_back.clear()
        got = _outcome(validate_mod.parse_event, case)
        assert got == want, (case, got[:2], want[:2])
        decisions[(case.kind, got[0])] += 1
        if fell_back:  # msgspec refused, the hand-written validator accepted
            stricter[_why_msgspec_refused(case.data)] += 1
    # msgspec decides every valid line alone but where it is deliberately stricter than
    # the contract (docs/validation.md): an earlier duplicate of a key holding an invalid
    # value (orjson keeps the last one), a priority in [2**63, 2**64) (beyond int64).
    assert set(stricter) <= {"duplicate key", "priority beyond int64"}, stricter
    assert decisions[("simulated", "valid")] > 45_000
    assert decisions[("simulated", "invalid")] > 1000  # max_future_s
    for kind in ("remove", "replace", "ts bad", "truncated", "random bytes", "extra",
                 "foreign raw", "field raw", "duplicate last", "byte flip", "not an object"):
        assert decisions[(kind, "invalid")] > 100, (kind, decisions)
    for kind in ("synthetic", "ts good", "extra", "foreign raw", "duplicate first",
                 "duplicate last"):
        assert decisions[(kind, "valid")] > 100, (kind, decisions)


def _why_msgspec_refused(data: Any) -> str:
    raw = data if isinstance(data, dict) else orjson.loads(data)
    priority = raw.get("priority")
    if isinstance(priority, int) and 2**63 <= priority < 2**64:
        return "priority beyond int64"
    if isinstance(data, dict):
        return "?"
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict:
        keys = [k for k, _ in items]
        duplicates.extend(k for k in keys if keys.count(k) > 1)
        return dict(items)

    json.loads(data if isinstance(data, str) else bytes(data), object_pairs_hook=pairs)
    return "duplicate key" if duplicates else "?"


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from([*TRICKY[:20], *GOOD_TIMESTAMPS, *BAD_TIMESTAMPS[:10], *OWN_FIELDS])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(list(OWN_FIELDS)),
    st.dictionaries(st.sampled_from(ALL_FIELDS) | st.text(max_size=6), json_values, max_size=10),
    st.booleans(),
)
def test_property_arbitrary_objects_agree(etype: str, fields: dict, as_dict: bool) -> None:
    obj = {"v": 1, "event_id": "e", "type": etype, "ts": "2026-11-21T21:46:40Z", **fields}
    data: Any = obj if as_dict else _dumps(obj)
    case = Case("property", data)
    assert _outcome(validate_mod.parse_event, case) == _outcome(REFERENCE, case)


@settings(max_examples=300)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_property_arbitrary_input_agrees(data: bytes | str) -> None:
    case = Case("property", data)
    assert _outcome(validate_mod.parse_event, case) == _outcome(REFERENCE, case)


def test_raw_is_the_decoded_object_on_every_path() -> None:
    for case in corpus()[::97]:
        try:
            event = validate_mod.parse_event(case.data, now=case.now)
        except InvalidEvent:
            continue
        data = case.data
        expected = data if isinstance(data, dict) else orjson.loads(data)
        assert _JsonValue(event.raw) == _JsonValue(expected)
        assert event.raw.__class__ is dict


def test_dict_input_that_msgspec_convert_would_take() -> None:
    """Python objects JSON cannot produce, where msgspec.convert is laxer than the contract."""
    class One(enum.IntEnum):
        ONE = 1

    base = {"v": 1, "event_id": "e", "type": "agent.state", "ts": "2026-11-21T21:46:40Z",
            "agent_id": "a", "state": "available", "queues": ["q"]}
    for obj in ({**base, "v": One.ONE}, {**base, "queues": ("q",)}, {**base, "queues": {"q"}},
                {**base, "type": "call.queued", "call_id": "c", "queue": "q",
                 "attrs": type("M", (dict,), {})({"k": "v"})}):
        assert _outcome(validate_mod.parse_event, Case("dict", obj)) == _outcome(
            REFERENCE, Case("dict", obj))


@pytest.mark.parametrize(
    "data",
    [
        # What msgspec would skip but orjson refuses: the strict Structs never skip.
        b'{"v":1,"event_id":"e","type":"call.abandoned","ts":"2026-11-21T21:46:40Z",'
        b'"call_id":"c","queue":"q","x":1e400}',
        b'{"v":1,"event_id":"e","type":"call.abandoned","ts":"2026-11-21T21:46:40Z",'
        b'"call_id":"c","queue":"q","agent_id":"\xff"}',
        b'{"v":1,"event_id":"e","type":"call.abandoned","ts":"2026-11-21T21:46:40Z",'
        b'"call_id":"c","queue":"q","x":' + b"[" * 1100 + b"]" * 1100 + b"}",
        b'{"v":1,"event_id":"e","type":"call.abandoned","ts":"2026-11-21T21:46:40Z",'
        b'"call_id":"c","queue":"q","x":' + b"[" * 900 + b"]" * 900 + b"}",
        # Refused by msgspec's decoder itself, not as JSON.
        '{"v":1,"event_id":"\ud800","type":"call.abandoned","ts":"2026-11-21T21:46:40Z",'
        '"call_id":"c","queue":"q"}',
        b'{"v":1,"event_id":"e","type":"call.ended","ts":"2026-11-21T21:46:40Z",'
        b'"call_id":"c","queue":"q","agent_id":"a","hold_s":' + b"1" * 400 + b"}",
        # Earlier duplicates: orjson keeps the last value, msgspec checks all.
        b'{"type":"agent.state","v":1,"event_id":"e","type":"call.abandoned",'
        b'"ts":"2026-11-21T21:46:40Z","call_id":"c","queue":"q"}',
        b'{"v":1,"event_id":"e","type":"call.queued","ts":"2026-11-21T21:46:40Z",'
        b'"call_id":"c","queue":"q","priority":18446744073709551615}',
    ],
)
def test_edge_messages_agree(data: bytes | str) -> None:
    case = Case("edge", data)
    assert _outcome(validate_mod.parse_event, case) == _outcome(REFERENCE, case)

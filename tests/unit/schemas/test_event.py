"""schemas.event: the Event a validator returns (frozen, hashable, picklable, its fast
builder, the lazy ``raw``) and the InvalidEvent it raises."""

from __future__ import annotations

import dataclasses
import pickle

import orjson
import pytest

from schemas import Event, InvalidEvent, parse_event
from schemas import validate as validate_mod
from tests.unit.schemas.support import _spec_lines


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


def test_lazy_raw() -> None:
    line = orjson.dumps({"v": 1, "event_id": "e", "type": "call.queued",
                         "ts": "2026-11-21T21:46:40Z", "call_id": "c", "queue": "q",
                         "attrs": {"tier": "vip"}, "x": [1]})
    strict_line = orjson.dumps({"v": 1, "event_id": "e", "type": "call.queued",
                                "ts": "2026-11-21T21:46:40Z", "call_id": "c", "queue": "q"})
    for data in (strict_line, strict_line.decode(), bytearray(strict_line), line):
        event = validate_mod.parse_event(data)
        assert event.raw == orjson.loads(data)
        assert event.raw is event.raw  # decoded once, then kept
        again = validate_mod.parse_event(data)
        assert again == event
        assert dataclasses.replace(again, queue="x").raw == event.raw
        clone = pickle.loads(pickle.dumps(validate_mod.parse_event(data)))
        assert clone == event and clone.raw == event.raw
        assert dataclasses.asdict(validate_mod.parse_event(data))["raw"] == event.raw
    built = Event(v=1, event_id="e", type="call.abandoned", ts=0.0)
    assert built.raw == {}

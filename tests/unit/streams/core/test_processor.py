from __future__ import annotations

import orjson

from streams.core.config import EngineSettings
from streams.core.processor import Processor

NOW = 1_795_300_000.0
GOOD = {"v": 1, "event_id": "e1", "type": "call.queued", "ts": "2026-11-21T22:26:30Z",
        "call_id": "c1", "queue": "billing"}
AGENT = {"v": 1, "event_id": "a1", "type": "agent.state", "ts": "2026-11-21T22:26:30Z",
         "agent_id": "a", "state": "available", "queues": ["billing"]}


def make() -> Processor:
    return Processor(EngineSettings(), lambda: NOW, ("calls", "agents"))


def test_valid_records_are_applied_and_counted():
    p = make()
    assert p.handle("calls", 0, 1, b"c1", orjson.dumps(GOOD)) is None
    assert p.handle("agents", 0, 1, b"a", orjson.dumps(AGENT)) is None
    assert p.handle("calls", 0, 2, b"c1", orjson.dumps(GOOD)) is None
    assert p.counts == {("calls", "applied"): 1, ("agents", "applied"): 1,
                        ("calls", "duplicate"): 1}
    assert p.snapshot()["segments"]["billing"]["now"]["waiting"] == 1


def test_invalid_records_become_dead_letters_with_the_contract_headers():
    p = make()
    letter = p.handle("calls", 2, 41, b"k", b'{"v":1}')
    assert letter is not None
    assert letter.key == b"k" and letter.value == b'{"v":1}'
    assert dict(letter.headers) == {"reason": b"event_id: required field missing",
                                    "source-topic": b"calls", "source-partition": b"2",
                                    "source-offset": b"41"}
    assert p.counts == {("calls", "invalid"): 1}


def test_events_on_the_wrong_topic_are_invalid():
    p = make()
    assert "does not belong on topic calls" in p.handle("calls", 0, 0, None,
                                                        orjson.dumps(AGENT)).reason
    assert "does not belong on topic agents" in p.handle("agents", 0, 0, None,
                                                         orjson.dumps(GOOD)).reason


def test_future_timestamps_use_the_injected_clock():
    p = make()
    future = {**GOOD, "ts": "2026-11-21T22:36:40Z"}  # 600 s after NOW
    letter = p.handle("calls", 0, 0, None, orjson.dumps(future))
    assert letter is not None and letter.reason.startswith("ts:")


def test_a_tombstone_has_its_own_reason_and_keeps_its_null_value():
    p = make()
    letter = p.handle("calls", 0, 7, b"k", None)
    assert letter is not None and letter.value is None and letter.key == b"k"
    assert letter.outcome == "tombstone" and letter.reason.startswith("tombstone:")
    empty = p.handle("calls", 0, 8, b"k", b"")
    assert empty is not None and empty.value == b"" and empty.outcome == "invalid"
    assert p.counts == {("calls", "tombstone"): 1, ("calls", "invalid"): 1}


def test_a_defect_in_our_code_dead_letters_that_record_and_the_stream_goes_on(caplog):
    p = make()

    def broken(event):  # noqa: ANN001, ANN202
        raise ZeroDivisionError("boom")

    p.engine.apply = broken  # type: ignore[method-assign]
    with caplog.at_level("ERROR", logger="wallboard.processor"):
        letter = p.handle("calls", 3, 99, b"c1", orjson.dumps(GOOD))
    assert letter is not None and letter.reason == "internal: ZeroDivisionError"
    assert dict(letter.headers)["source-offset"] == b"99"
    assert "calls[3]@99" in caplog.text and "ZeroDivisionError" in caplog.text
    assert p.counts == {("calls", "internal"): 1}

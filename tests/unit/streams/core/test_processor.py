from __future__ import annotations

import orjson

from streams.core.config import EngineSettings
from streams.core.partitions import Partitions
from streams.core.processor import Processor, key_reason, truncated

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


# -- the record key (issue 19, finding 2) ------------------------------------------------------

ANSWERED = {"v": 1, "event_id": "e2", "type": "call.answered", "ts": "2026-11-21T22:26:40Z",
            "call_id": "c1", "queue": "billing", "agent_id": "a"}


def test_a_call_event_with_a_null_key_is_dead_lettered_not_applied():
    p = make()
    assert p.handle("calls", 0, 1, b"c1", orjson.dumps(GOOD)) is None
    letter = p.handle("calls", 3, 7, None, orjson.dumps(ANSWERED))
    assert letter is not None and letter.outcome == "key"
    assert letter.reason == 'key: expected "c1", got null'
    assert letter.key is None and letter.value == orjson.dumps(ANSWERED)
    assert dict(letter.headers) == {"reason": b'key: expected "c1", got null',
                                    "source-topic": b"calls", "source-partition": b"3",
                                    "source-offset": b"7"}
    assert p.counts == {("calls", "applied"): 1, ("calls", "key"): 1}
    assert p.snapshot()["segments"]["billing"]["now"]["waiting"] == 1  # not answered


def test_events_keyed_by_anything_but_their_id_are_dead_lettered_with_the_key_shown():
    p = make()
    wrong = p.handle("calls", 0, 0, b"other", orjson.dumps(GOOD))
    assert wrong is not None and wrong.reason == 'key: expected "c1", got "other"'
    agent = p.handle("agents", 0, 0, b"c1", orjson.dumps(AGENT))
    assert agent is not None and agent.reason == 'key: expected "a", got "c1"'
    empty = p.handle("agents", 0, 1, b"", orjson.dumps(AGENT))
    assert empty is not None and empty.reason == 'key: expected "a", got ""'
    binary = p.handle("calls", 0, 1, b"\xff" + b"k" * 500, orjson.dumps(GOOD))
    assert binary is not None and binary.reason.startswith('key: expected "c1", got "\ufffdkkk')
    assert binary.reason.endswith('..."') and len(binary.reason) < 260
    assert binary.key == b"\xff" + b"k" * 500  # the letter keeps the key as it came
    assert p.counts == {("calls", "key"): 2, ("agents", "key"): 2}
    assert p.engine.outcomes.get("applied", 0) == 0


def test_ids_outside_ascii_are_compared_as_utf8():
    p = make()
    event = {**GOOD, "call_id": "呼叫-1"}
    assert p.handle("calls", 0, 0, "呼叫-1".encode(), orjson.dumps(event)) is None
    letter = p.handle("calls", 0, 1, "呼叫-2".encode(), orjson.dumps({**event, "event_id": "x"}))
    assert letter is not None and letter.reason == 'key: expected "呼叫-1", got "呼叫-2"'


def test_invalid_events_stay_invalid_whatever_their_key():
    p = make()
    letter = p.handle("calls", 0, 0, None, b'{"v":1}')
    assert letter is not None and letter.outcome == "invalid"


def test_the_same_event_id_under_another_key_in_another_partition_counts_once():
    parts = Partitions(EngineSettings(), lambda: NOW, ("calls", "agents"), "app")
    for tp in (("calls", 0), ("calls", 1)):
        parts.assign(tp, None)
    assert parts.handle(("calls", 0), 0, b"c1", orjson.dumps(GOOD)) is None
    letter = parts.handle(("calls", 1), 0, b"c2", orjson.dumps(GOOD))  # a producer retry
    assert letter is not None and letter.outcome == "key"
    assert parts.snapshot(NOW)["segments"]["billing"]["now"]["waiting"] == 1
    assert parts.counts == {("calls", "applied"): 1, ("calls", "key"): 1}


def test_key_reason_names_what_was_expected_and_what_came():
    assert key_reason("c1", b"c1") is None
    assert key_reason("c1", None) == 'key: expected "c1", got null'
    assert key_reason("c1", "c1") is None  # not bytes: compared as its UTF-8
    assert key_reason('say "hi"', b"x") == 'key: expected "say \\"hi\\"", got "x"'


# -- truncated dead letters (issue 19, finding 3) ----------------------------------------------

def test_a_truncated_dead_letter_keeps_its_headers_and_names_the_original_size():
    p = make()
    value = b"x" * 2_000_000
    letter = p.handle("calls", 1, 5, b"k", value)
    assert letter is not None
    cut = truncated(letter, 1_000_000)
    headers = dict(cut.headers)
    assert headers["truncated"] == b"2000000"
    assert {k: headers[k] for k in dict(letter.headers)} == dict(letter.headers)
    assert cut.key == b"k" and value.startswith(cut.value)
    assert len(cut.key) + len(cut.value) + sum(len(k) + len(v) for k, v in cut.headers) \
        == 1_000_000
    assert (cut.reason, cut.outcome) == (letter.reason, letter.outcome)
    assert truncated(letter, 10).value == b""  # never below an empty value
    tombstone = p.handle("calls", 1, 6, b"k", None)
    assert truncated(tombstone, 10) == tombstone

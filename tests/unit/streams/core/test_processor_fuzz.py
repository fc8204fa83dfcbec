"""Total processing: any record is applied or dead-lettered, never raises (issue 8).

Arbitrary bytes, keys and null values, and schema-valid events with extreme values (any year,
huge numbers, thousands of queues and attributes). Each input is counted exactly once, and none
may hit an internal error: that would be a defect of ours, found by the fuzzer.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.core.config import EngineSettings
from streams.core.processor import DEAD_LETTER_OUTCOMES, Processor
from streams.core.timefmt import rfc3339

NOW = 1_795_300_000.0
TOPICS = ("calls", "agents")

names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)
years = st.integers(min_value=0, max_value=9999)
timestamps = st.builds(
    lambda y, mo, d, h, mi, s, frac, off: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
                                           f"{frac}{off}",
    years, st.integers(1, 12), st.integers(1, 28), st.integers(0, 23), st.integers(0, 59),
    st.integers(0, 60), st.sampled_from(["", ".5", ".123456789", "." + "9" * 30]),
    st.sampled_from(["Z", "+14:00", "-12:00", "+23:59", "-23:59", "+00:00"]))
near_now = st.integers(min_value=int(NOW) - 86400 * 400, max_value=int(NOW) + 600).map(
    lambda t: rfc3339(float(t)))
huge = st.one_of(st.integers(), st.floats(allow_nan=False), st.integers(min_value=2**63))


@st.composite
def valid_looking(draw: st.DrawFn) -> tuple[str, dict]:
    etype = draw(st.sampled_from(["call.queued", "call.answered", "call.abandoned",
                                  "call.dequeued", "call.ended", "call.wrapup_ended",
                                  "agent.state"]))
    obj: dict = {"v": 1, "event_id": draw(names), "type": etype,
                 "ts": draw(st.one_of(near_now, near_now, near_now, timestamps))}
    if etype == "agent.state":
        obj |= {"agent_id": draw(names),
                "state": draw(st.sampled_from(["available", "on_call", "acw", "not_ready",
                                               "offline"])),
                "queues": draw(st.one_of(st.lists(names, max_size=5),
                                         st.integers(0, 3000).map(
                                             lambda n: [f"q{i}" for i in range(n)])))}
        return "agents", obj
    obj |= {"call_id": draw(st.sampled_from(["c1", "c2", "c3"]) | names),
            "queue": draw(st.sampled_from(["q1", "q2"]) | names)}
    if etype == "call.queued" and draw(st.booleans()):
        obj["attrs"] = draw(st.dictionaries(names, st.text(max_size=5), max_size=40))
        if draw(st.booleans()):
            obj["priority"] = draw(huge)
    if etype in ("call.answered", "call.ended", "call.wrapup_ended"):
        obj["agent_id"] = draw(names)
    if etype == "call.ended" and draw(st.booleans()):
        obj["hold_s"] = draw(huge)
    if etype == "call.dequeued":
        obj["reason"] = draw(st.sampled_from(["timeout", "transfer", "other", "nope"]))
        if draw(st.booleans()):
            obj["to_queue"] = draw(names)
    return "calls", obj


def key_of(obj: dict) -> bytes:
    """The record key the producers give the event (its call_id or agent_id)."""
    return (obj["agent_id"] if obj["type"] == "agent.state" else obj["call_id"]).encode(
        "utf-8", "surrogatepass")


valid = valid_looking().map(lambda item: (item[0], json.dumps(item[1]).encode()))
records = valid | st.one_of(
    st.tuples(st.sampled_from(TOPICS), st.binary(max_size=300)),
    st.tuples(st.sampled_from(TOPICS), st.none()),
    valid_looking().map(lambda item: (item[0], json.dumps(item[1]).encode()[:-3])),  # cut short
    st.tuples(st.sampled_from(TOPICS),
              st.integers(1, 3000).map(lambda n: b'{"v":' + b"[" * n + b"]" * n + b"}")),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(st.lists(st.tuples(records, st.one_of(st.none(), st.binary(max_size=20),
                                             st.just("own"))), max_size=40))
def test_every_record_is_applied_or_dead_lettered_and_counted_once(batch):
    p = Processor(EngineSettings(max_segments=20, max_queues_per_agent=8), lambda: NOW,
                  TOPICS)
    letters = 0
    for offset, ((topic, value), drawn) in enumerate(batch):
        key = drawn
        if drawn == "own":  # the key the producers give it, when it has one
            try:
                key = key_of(json.loads(value))
            except (TypeError, ValueError, KeyError, AttributeError, RecursionError):
                key = None
        letter = p.handle(topic, 0, offset, key, value)
        if letter is not None:
            letters += 1
            assert letter.value == value and letter.key == key
            assert dict(letter.headers)["reason"]
    assert p.records == len(batch)
    dead = sum(n for (_, outcome), n in p.counts.items() if outcome in DEAD_LETTER_OUTCOMES)
    assert dead == letters
    assert not any(outcome == "internal" for _, outcome in p.counts), p.counts
    snap = p.snapshot()  # and the state still answers
    assert len(snap["segments"]) <= 20


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(st.lists(valid_looking(), min_size=1, max_size=30))
def test_schema_valid_events_with_extreme_values_never_hit_an_internal_error(batch):
    p = Processor(EngineSettings(max_segments=20, max_queues_per_agent=8), lambda: NOW,
                  TOPICS)
    for offset, (topic, obj) in enumerate(batch):
        p.handle(topic, 0, offset, key_of(obj), json.dumps(obj).encode())
    assert p.records == len(batch)
    assert not any(outcome in ("internal", "key") for _, outcome in p.counts), p.counts
    assert len(p.snapshot()["segments"]) <= 20
    restored = type(p.engine).from_bytes(p.engine.to_bytes(), p.engine.settings)
    assert restored.snapshot(NOW) == p.engine.snapshot(NOW)

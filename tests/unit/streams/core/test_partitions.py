"""State per input partition: checkpoints, contiguity of offsets, the watermark (no broker)."""

from __future__ import annotations

import logging
from dataclasses import replace

import orjson
import pytest

from streams.adapters.simulator import Simulator, default_models
from streams.core.config import EngineSettings
from streams.core.partitions import (
    MAX_REWINDS,
    CheckpointError,
    Partitions,
    checkpoint_key,
    decode_checkpoint,
)

START = 1_795_300_000.0
TOPICS = ("calls", "agents")


def clock() -> float:
    return START + 7200


def call_lines(n: int, seed: int = 3) -> list[bytes]:
    events = Simulator(default_models(2.0), start=START, seed=seed).advance(START + 3600)
    lines = [orjson.dumps(e) for e in events if e["type"] != "agent.state"]
    assert len(lines) >= n
    return lines[:n]


def key(line: bytes) -> bytes:
    """The record key every producer gives an event: its call_id (agent events: agent_id)."""
    event = orjson.loads(line)
    return (event["agent_id"] if event["type"] == "agent.state" else event["call_id"]).encode()


def fresh(settings: EngineSettings | None = None) -> Partitions:
    return Partitions(settings or EngineSettings(), clock, TOPICS, "app")


def test_a_checkpoint_restores_state_counts_and_the_offset_to_read_from() -> None:
    lines = call_lines(600)
    a = fresh()
    assert a.assign(("calls", 0), None, earliest=0) is None
    a.handle_batch(("calls", 0), [(i, key(line), line) for i, line in enumerate(lines[:400])])
    data = a.checkpoint(("calls", 0))
    header, _ = decode_checkpoint(data)
    assert header["next_offset"] == 400 and header["topic"] == "calls"

    b = fresh()
    assert b.assign(("calls", 0), data) == 400
    assert b.counts == a.counts and b.records == 400
    # the consumer may hand over records already inside the checkpoint: skipped, not counted
    letters, seek = b.handle_batch(("calls", 0),
                                   [(i, key(line), line) for i, line in enumerate(lines)])
    assert (letters, seek) == ([], None)
    a.handle_batch(("calls", 0), [(i, key(lines[i]), lines[i]) for i in range(400, 600)])
    assert b.states[("calls", 0)].skipped == 400
    assert b.snapshot(clock()) == a.snapshot(clock())
    assert b.counts == a.counts and b.records == 600


def test_records_that_do_not_follow_on_ask_for_a_seek_back_instead_of_being_lost() -> None:
    lines = call_lines(300)
    p = fresh()
    p.assign(("calls", 1), None, earliest=0)
    p.handle_batch(("calls", 1), [(i, key(lines[i]), lines[i]) for i in range(100)])
    # the consumer read from offset 200 (e.g. a committed offset): nothing applied, seek to 100
    letters, seek = p.handle_batch(("calls", 1),
                                   [(i, key(lines[i]), lines[i]) for i in range(200, 300)])
    assert (letters, seek) == ([], 100)
    assert p.records == 100
    letters, seek = p.handle_batch(("calls", 1),
                                   [(i, key(lines[i]), lines[i]) for i in range(100, 300)])
    assert seek is None and p.records == 300


def test_a_gap_that_persists_is_accepted_after_a_few_seeks_and_counted(caplog) -> None:
    lines = call_lines(50)
    p = fresh()
    p.assign(("calls", 2), None, earliest=0)
    p.handle_batch(("calls", 2), [(0, key(lines[0]), lines[0])])
    batch = [(10 + i, key(lines[i + 1]), lines[i + 1]) for i in range(5)]  # offsets 1..9 are gone
    for _ in range(MAX_REWINDS):
        assert p.handle_batch(("calls", 2), batch) == ([], 1)
    with caplog.at_level(logging.ERROR, logger="wallboard.partitions"):
        assert p.handle_batch(("calls", 2), batch) == ([], None)
    state = p.states[("calls", 2)]
    assert state.gaps == 9 and state.next_offset == 15 and p.records == 6
    assert "offsets 1..9 of calls/2 cannot be read" in caplog.text


def test_records_of_a_partition_not_assigned_here_are_not_applied() -> None:
    p = fresh()
    assert p.handle_batch(("calls", 5), [(0, None, call_lines(1)[0])]) == ([], None)
    assert p.unassigned == 1 and p.records == 0


def test_a_checkpoint_of_other_engine_settings_is_refused_and_the_partition_replays(
        caplog) -> None:
    a = fresh()
    a.assign(("calls", 0), None)
    a.handle_batch(("calls", 0), [(i, key(line), line) for i, line in enumerate(call_lines(50))])
    data = a.checkpoint(("calls", 0))
    other = fresh(replace(EngineSettings(), max_lateness_s=60.0))
    with caplog.at_level(logging.WARNING, logger="wallboard.partitions"):
        assert other.assign(("calls", 0), data, earliest=7) is None
    assert "checkpoint of calls/0 refused" in caplog.text
    assert "different engine settings" in caplog.text
    assert "rebuilding the partition by replay from its earliest offset" in caplog.text
    assert other.states[("calls", 0)].next_offset == 7 and other.records == 0


@pytest.mark.parametrize("data, reason", [
    (b"garbage", "not a checkpoint"),
    (__import__("zlib").compress(b'{"format":"x"}\n{}'), "not a cc-wallboard checkpoint"),
    (__import__("zlib").compress(b'{"format":"cc-wallboard-checkpoint","version":9}\n{}'),
     "version 9 is not supported"),
])
def test_broken_checkpoints_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        decode_checkpoint(data)
    p = fresh()
    assert p.assign(("calls", 0), data) is None  # refused, logged, rebuilt from the start


def test_a_checkpoint_of_another_partition_is_refused(caplog) -> None:
    a = fresh()
    a.assign(("calls", 0), None)
    data = a.checkpoint(("calls", 0))
    with caplog.at_level(logging.WARNING, logger="wallboard.partitions"):
        assert fresh().assign(("calls", 1), data) is None
    assert "checkpoint is for calls/0" in caplog.text


def test_the_watermark_is_the_slowest_busy_partition_and_ignores_idle_ones() -> None:
    p = fresh()
    lines = call_lines(400)
    p.assign(("calls", 0), None)
    p.assign(("calls", 1), None)
    p.assign(("calls", 2), None)  # no events at all: never holds the watermark back
    assert p.watermark_ms() is None
    p.handle_batch(("calls", 0), [(i, key(lines[i]), lines[i]) for i in range(300)])
    p.handle_batch(("calls", 1), [(i, key(lines[i]), lines[i]) for i in range(100)])
    fast, slow = (p.states[("calls", i)].newest_ms for i in (0, 1))
    assert slow < fast
    for tp, end in ((("calls", 0), 300), (("calls", 1), 500), (("calls", 2), 0)):
        p.states[tp].end_offset = end
    assert p.watermark_ms() == slow  # calls/1 still has records to read
    p.states[("calls", 1)].end_offset = 100  # caught up: idle
    assert p.watermark_ms() == fast


def test_checkpoint_keys_name_the_app_and_the_partition() -> None:
    assert checkpoint_key("wb", ("cc.call-events", 4)) == b"wb/cc.call-events/4"


def test_a_partial_survives_its_wire_format_and_merges_with_the_local_ones() -> None:
    from schemas import parse_event
    from streams.core.engine import Engine
    from streams.core.partitions import Remote, decode_partial, encode_partial

    events = Simulator(default_models(2.0), start=START, seed=5).advance(START + 3600)
    here, there = fresh(), fresh()
    single = Engine(EngineSettings())
    offsets: dict = {}
    for raw in events:
        line = orjson.dumps(raw)
        single.apply(parse_event(line))
        tp = ("agents", 0) if raw["type"] == "agent.state" else (
            "calls", sum(raw["call_id"].encode()) % 3)
        owner = there if tp == ("calls", 2) else here
        if tp not in owner.states:
            owner.assign(tp, None)
        offset = offsets[tp] = offsets.get(tp, -1) + 1
        owner.handle_batch(tp, [(offset, key(line), line)])
    t = START + 3600
    data = encode_partial(there.states[("calls", 2)].processor.engine.partial(t),
                          there.meta(("calls", 2), t))
    partial, meta = decode_partial(data)
    assert meta["next_offset"] == offsets[("calls", 2)] + 1
    here.remote[("calls", 2)] = Remote(partial, meta, t)
    assert here.snapshot(t) == single.snapshot(t)
    fresh_rows = {(p["topic"], p["partition"]): p for p in here.freshness(t)}
    assert fresh_rows[("calls", 2)]["owner"] == "another worker"
    assert fresh_rows[("calls", 0)]["owner"] == "here"
    # a remote partial of a partition owned here is ignored: the local one wins
    here.remote[("calls", 0)] = Remote(partial, meta, t)
    assert here.snapshot(t) == single.snapshot(t)


def test_a_broken_partial_is_refused() -> None:
    from streams.core.partitions import decode_partial

    with pytest.raises(CheckpointError, match="not a cc-wallboard partial"):
        decode_partial(b"nonsense")

"""The converter on whole files: the golden scenario in every layout, and the real PBXware
export (shared/data/real) counted independently with the csv module."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from streams.adapters.asterisk import convert_file

from .queue_logs import FIXTURES, valid


def test_golden_scenario_fixture():
    """The ids are part of the contract with the engine's de-duplication: changing how they
    are derived would make a re-read after an upgrade count everything twice."""
    events, stats = convert_file(FIXTURES / "scenario.queue_log")
    expected = [json.loads(x) for x in
                (FIXTURES / "scenario.expected.jsonl").read_text().splitlines()]
    assert valid(events) == expected
    assert stats.malformed == 0 and stats.unmatched == {"COMPLETEAGENT": 1}
    assert (stats.restart_dequeued, stats.dropped_conversations) == (1, 1)


@pytest.mark.parametrize("name", ["scenario.realtime.csv", "scenario.pbxware.csv"])
def test_every_layout_of_the_scenario_gives_the_same_events(name):
    def content(events: list[dict]) -> list[dict]:
        return [{k: v for k, v in e.items() if k != "event_id"} for e in events]

    events, stats = convert_file(FIXTURES / name)
    native, _ = convert_file(FIXTURES / "scenario.queue_log")
    assert content(valid(events)) == content(native)
    assert stats.malformed == 0


# -- the real PBXware export ---------------------------------------------------------------


def test_real_pbxware_export_counts(real):
    events, stats, rows = real
    raw = Counter(r["event"] for r in rows)
    emitted = Counter(e["type"] for e in events)
    dequeued = Counter(e["reason"] for e in events if e["type"] == "call.dequeued")
    assert len(rows) == 1000 and stats.records == 1000 and stats.malformed == 0
    assert emitted["call.queued"] == raw["ENTERQUEUE"] == 108
    assert emitted["call.answered"] == raw["CONNECT"] == 93
    assert emitted["call.abandoned"] == raw["ABANDON"] == 12
    assert dequeued == {"timeout": raw["EXITWITHTIMEOUT"]} and raw["EXITWITHTIMEOUT"] == 1
    ends = raw["COMPLETEAGENT"] + raw["COMPLETECALLER"] + raw["BLINDTRANSFER"] \
        + raw["ATTENDEDTRANSFER"]
    assert emitted["call.ended"] == ends == 91  # 2 conversations still open when it stops
    assert not stats.unmatched and stats.restart_dequeued == 0
    not_mapped = {"RINGNOANSWER", "CONFIGRELOAD"} | {n for n in raw if n.startswith("OUT")}
    assert stats.ignored == {n: raw[n] for n in not_mapped}
    assert stats.ring_no_answer_ms == sum(int(r["htime"]) for r in rows
                                          if r["event"] == "RINGNOANSWER")
    assert {e["agent_id"] for e in events if "agent_id" in e} == {
        "1109", "1126", "1127", "1128", "1141", "1144"}
    states = Counter(e["state"] for e in events if e["type"] == "agent.state")
    assert states["on_call"] == raw["CONNECT"]
    assert states["offline"] == raw["REMOVEMEMBER"] == raw["AGENTCALLBACKLOGOFF"]


def test_real_pbxware_export_is_valid_and_coherent(real):
    events, _, _ = real
    valid(events)
    assert len({e["event_id"] for e in events}) == len(events)
    queued: set[tuple[str, str]] = set()
    for e in events:
        if e["type"] == "call.queued":
            queued.add((e["call_id"], e["queue"]))
        elif e["type"].startswith("call."):
            assert (e["call_id"], e["queue"]) in queued
    assert "1555" not in json.dumps(events)  # no caller number leaves the adapter

"""The converter: the mapping table per event type in every layout, the quirks of real
PBXes, visits that expire, and stable event ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from streams.adapters.asterisk import QueueLogConverter, agent_id, convert_lines

from .queue_logs import (
    ANSWERED,
    CALL,
    CBLOGIN,
    CONNECT,
    ENTER,
    FIXTURES,
    JOIN,
    LOGIN,
    PAUSE,
    PAUSEALL,
    RENDERINGS,
    Line,
    Q,
    T,
    _end,
    _out,
    native_lines,
    render,
    valid,
)


def last_line_events(layout: str, lines: list[Line]) -> tuple[list[dict], QueueLogConverter]:
    """Feed every line; return the events of the last one."""
    conv = QueueLogConverter()
    out: list[dict] = []
    for n, text in enumerate(render(layout, lines), 1):
        out = conv.feed(text + "\n", n)
    return valid(out), conv


# -- the mapping table, per event type, in every layout ------------------------------------

TABLE: list[tuple[str, list[Line], Line, list[tuple[str, dict]]]] = [
    ("ENTERQUEUE", [], ENTER,
     [("call.queued", {**CALL, "attrs": {"channel": "voice", "source": "asterisk"}})]),
    ("CONNECT", [JOIN, ENTER], CONNECT,
     [("call.answered", {**CALL, "agent_id": "201"}),
      ("agent.state", {"agent_id": "201", "state": "on_call", "queues": [Q]})]),
    ("ABANDON", [ENTER], _out("ABANDON", ("1", "1", "30")), [("call.abandoned", CALL)]),
    ("EXITWITHTIMEOUT", [ENTER], _out("EXITWITHTIMEOUT", ("1", "1", "30")),
     [("call.dequeued", {**CALL, "reason": "timeout"})]),
    ("EXITWITHKEY", [ENTER], _out("EXITWITHKEY", ("5", "1", "1", "30")),
     [("call.dequeued", {**CALL, "reason": "ivr_exit"})]),
    ("EXITEMPTY", [ENTER], _out("EXITEMPTY", ("1", "1", "30")),
     [("call.dequeued", {**CALL, "reason": "other"})]),
    *[(name, ANSWERED, _end(name, params),
       [("call.ended", {**CALL, "agent_id": "201", "acw": False}),
        ("agent.state", {"agent_id": "201", "state": "available", "queues": [Q]})])
      for name, params in [("COMPLETECALLER", ("10", "90", "1")),
                           ("COMPLETEAGENT", ("10", "90", "1")),
                           ("BLINDTRANSFER", ("2000", "from-internal", "10", "90", "1")),
                           ("ATTENDEDTRANSFER", ("BRIDGE", "c1x", "10", "90", "1")),
                           ("TRANSFER", ("2000", "from-internal"))]],
    ("ADDMEMBER", [], JOIN,
     [("agent.state", {"agent_id": "201", "state": "available", "queues": [Q]})]),
    ("REMOVEMEMBER", [JOIN], (T, "MANAGER", Q, "PJSIP/201", "REMOVEMEMBER", ()),
     [("agent.state", {"agent_id": "201", "state": "offline", "queues": []})]),
    ("PAUSE", [JOIN], PAUSE,
     [("agent.state", {"agent_id": "201", "state": "not_ready", "queues": [Q],
                       "reason": "Lunch"})]),
    ("UNPAUSE", [JOIN, PAUSE], (T, "NONE", Q, "PJSIP/201", "UNPAUSE", ()),
     [("agent.state", {"agent_id": "201", "state": "available", "queues": [Q]})]),
    ("PAUSEALL", [JOIN], PAUSEALL,
     [("agent.state", {"agent_id": "201", "state": "not_ready", "queues": [Q],
                       "reason": "Break"})]),
    ("UNPAUSEALL", [JOIN, PAUSEALL], (T, "NONE", "NONE", "PJSIP/201", "UNPAUSEALL", ()),
     [("agent.state", {"agent_id": "201", "state": "available", "queues": [Q]})]),
    ("AGENTLOGIN", [], LOGIN,
     [("agent.state", {"agent_id": "1001", "state": "available", "queues": []})]),
    ("AGENTCALLBACKLOGIN", [], CBLOGIN,
     [("agent.state", {"agent_id": "1127", "state": "available", "queues": []})]),
    ("AGENTLOGOFF", [LOGIN], (T, "c7", "NONE", "Agent/1001", "AGENTLOGOFF",
                              ("SIP/1001-00000001", "10")),
     [("agent.state", {"agent_id": "1001", "state": "offline", "queues": []})]),
    ("AGENTCALLBACKLOGOFF", [CBLOGIN],
     (T, "c8", "NONE", "Agent/1127", "AGENTCALLBACKLOGOFF", ("hint:1127@default", "10", "")),
     [("agent.state", {"agent_id": "1127", "state": "offline", "queues": []})]),
    ("RINGNOANSWER", [ENTER], (T + 15, "c1", Q, "PJSIP/201", "RINGNOANSWER", ("15000",)), []),
    ("QUEUESTART", [ENTER], (T + 50, "NONE", "NONE", "NONE", "QUEUESTART", ()),
     [("call.dequeued", {**CALL, "reason": "other"})]),
    ("CONFIGRELOAD", [ENTER], (T + 50, "NONE", "NONE", "NONE", "CONFIGRELOAD", ()), []),
    ("OUTDIAL", [], (T, "c5", "NONE", "Agent/1127", "OUTDIAL", ("5551234",)), []),
]


@pytest.mark.parametrize("layout", RENDERINGS)
@pytest.mark.parametrize(("name", "before", "line", "expected"), TABLE, ids=[c[0] for c in TABLE])
def test_mapping_table(layout, name, before, line, expected):
    events, conv = last_line_events(layout, [*before, line])
    assert [e["type"] for e in events] == [t for t, _ in expected]
    for event, (_, fields) in zip(events, expected, strict=True):
        assert {k: event.get(k) for k in fields} == fields
        assert set(event) == {"v", "event_id", "type", "ts", *fields}  # nothing else leaks
        assert event["ts"] == datetime.fromtimestamp(line[0], UTC).strftime("%FT%TZ")
    assert conv.stats.malformed == 0 and not conv.stats.unmatched


# -- quirks --------------------------------------------------------------------------------


def test_callback_agent_is_one_agent_across_local_and_agent_interfaces():
    events, stats = convert_lines(native_lines(
        (T, "MANAGER", Q, "Local/1127@callback-agent/n", "ADDMEMBER", ()),
        ENTER, (T + 5, "c1", Q, "Agent/1127", "CONNECT", ("5", "c1b", "1"))))
    assert {e["agent_id"] for e in valid(events) if "agent_id" in e} == {"1127"}
    assert [e["state"] for e in events if e["type"] == "agent.state"] == ["available", "on_call"]


@pytest.mark.parametrize(("member", "expected"), [
    ("SIP/8007", "8007"), ("PJSIP/201", "201"), ("Agent/1127", "1127"),
    ("Local/1127@callback-agent", "1127"), ("Local/1127@callback-agent/n", "1127"),
    ("Alice Smith", "Alice Smith"), ("SIP/", "SIP/"),
])
def test_agent_id(member, expected):
    assert agent_id(member) == expected


def test_no_phone_number_leaves_the_adapter():
    lines = native_lines((T, "c1", Q, "NONE", "ENTERQUEUE", ("", "+15550100", "1", "Alice")),
                         (T + 1, "c1", Q, "NONE", "ABANDON", ("1", "1", "1")))
    events, _ = convert_lines(lines)
    assert len(valid(events)) == 2
    assert "5550100" not in json.dumps(events) and "Alice" not in json.dumps(events)


def test_ringnoanswer_is_milliseconds_and_only_counted():
    events, stats = convert_lines(native_lines(
        ENTER, (T + 15, "c1", Q, "PJSIP/201", "RINGNOANSWER", ("15000",)),
        (T + 30, "c1", Q, "PJSIP/202", "RINGNOANSWER", ("9000",))))
    assert [e["type"] for e in events] == ["call.queued"]
    assert stats.ignored == {"RINGNOANSWER": 2}
    assert stats.ring_no_answer_ms == 24000


def test_queuestart_dequeues_waiting_calls_and_drops_conversations():
    """Asterisk restarted: a waiting call is gone (dequeued, reason other; never an abandon),
    a conversation's end is unknown (nothing emitted, counted), its agent is no longer on it,
    and a COMPLETE logged afterwards belongs to no open visit."""
    conv = QueueLogConverter()
    lines = native_lines(
        JOIN, ENTER, CONNECT,
        (T + 20, "c2", Q, "NONE", "ENTERQUEUE", ("", "5550101", "1")),
        (T + 21, "c3", "sales", "NONE", "ENTERQUEUE", ("", "5550102", "1")),
        (T + 60, "NONE", "NONE", "NONE", "QUEUESTART", ()),
        (T + 61, "c1", Q, "PJSIP/201", "COMPLETECALLER", ("10", "50", "1")))
    out = [valid(conv.feed(x, n)) for n, x in enumerate(lines, 1)]
    restart = out[5]
    assert [(e["type"], e.get("call_id"), e.get("reason"), e.get("state")) for e in restart] == [
        ("call.dequeued", "c2", "other", None), ("call.dequeued", "c3", "other", None),
        ("agent.state", None, None, "available")]
    assert all(e["ts"] == "2023-11-14T22:14:20Z" for e in restart)
    assert out[6] == []
    s = conv.stats
    assert (s.restart_dequeued, s.dropped_conversations, s.unmatched) == (
        2, 1, {"COMPLETECALLER": 1})
    assert conv.open_visits == 0
    assert "call.abandoned" not in s.events


def test_unknown_and_vendor_events_are_counted_by_name():
    events, stats = convert_lines(native_lines(
        (T, "NONE", "NONE", "NONE", "CONFIGRELOAD", ()),
        (T, "c5", "NONE", "Agent/1127", "OUTDIAL", ("5551234",)),
        (T, "c5", "NONE", "Agent/1127", "OUTANSWER", ("5551234", "COMPLETEAGENT")),
        (T, "c6", Q, "NONE", "DID", ("5550000",)),
        (T, "c6", Q, "NONE", "ringcanceled", ("300",)),
        (T, "c6", Q, "NONE", "FULL", ())))
    assert events == []
    assert stats.ignored == {"CONFIGRELOAD": 1, "OUTDIAL": 1, "OUTANSWER": 1, "DID": 1,
                             "RINGCANCELED": 1, "FULL": 1}
    assert stats.malformed == 0


def test_outcomes_of_unknown_calls_are_counted_not_invented():
    events, stats = convert_lines(native_lines(
        (T, "x1", Q, "NONE", "ABANDON", ("1", "1", "5")),
        (T, "x2", Q, "SIP/1", "CONNECT", ("5", "x2b", "1")),
        (T, "x2", Q, "SIP/1", "COMPLETEAGENT", ("5", "60", "1")),
        ENTER, (T + 1, "c1", Q, "SIP/1", "COMPLETECALLER", ("1", "1", "1")),  # not answered
        (T + 2, "c1", Q, "NONE", "ENTERQUEUE", ("", "5550100", "1")),  # already waiting
        (T + 3, "c1", "other", "NONE", "EXITWITHTIMEOUT", ("1", "1", "3"))))  # other queue
    assert [e["type"] for e in valid(events)] == ["call.queued"]
    assert stats.unmatched == {"ABANDON": 1, "CONNECT": 1, "COMPLETEAGENT": 1,
                               "COMPLETECALLER": 1, "ENTERQUEUE": 1, "EXITWITHTIMEOUT": 1}


def test_one_call_visits_several_queues():
    events, _ = convert_lines(native_lines(
        ENTER, (T + 30, "c1", Q, "NONE", "EXITWITHTIMEOUT", ("1", "1", "30")),
        (T + 31, "c1", "overflow", "NONE", "ENTERQUEUE", ("", "5550100", "1")),
        (T + 40, "c1", "overflow", "SIP/9", "CONNECT", ("9", "c1b", "2")),
        (T + 90, "c1", "overflow", "SIP/9", "COMPLETEAGENT", ("9", "50", "1")),
        (T + 95, "c1", Q, "NONE", "ENTERQUEUE", ("", "5550100", "1"))))  # back again
    assert [(e["type"], e.get("queue")) for e in valid(events)] == [
        ("call.queued", Q), ("call.dequeued", Q), ("call.queued", "overflow"),
        ("call.answered", "overflow"), ("agent.state", None), ("call.ended", "overflow"),
        ("agent.state", None), ("call.queued", Q)]


def test_agent_in_several_queues_pause_and_pauseall():
    events, _ = convert_lines(native_lines(
        (T, "MANAGER", "q1", "SIP/1", "ADDMEMBER", ()),
        (T, "MANAGER", "q2", "SIP/1", "ADDMEMBER", ()),
        (T, "NONE", "q1", "SIP/1", "PAUSE", ("Lunch",)),
        (T, "NONE", "q2", "SIP/1", "PAUSE", ("Lunch",)),
        (T, "NONE", "q1", "SIP/1", "UNPAUSE", ()),
        (T, "NONE", "NONE", "SIP/1", "PAUSEALL", ("Meeting",)),
        (T, "NONE", "q1", "SIP/1", "PAUSE", ("Meeting",)),  # Wazo: per-queue rows too
        (T, "NONE", "NONE", "SIP/1", "UNPAUSEALL", ()),
        (T, "MANAGER", "q1", "SIP/1", "REMOVEMEMBER", ()),
        (T, "MANAGER", "q1", "SIP/1", "ADDMEMBER", ()),
        (T, "MANAGER", "q1", "SIP/1", "REMOVEMEMBER", ()),
        (T, "MANAGER", "q2", "SIP/1", "REMOVEMEMBER", ())))
    assert [(e["state"], e["queues"], e.get("reason")) for e in valid(events)] == [
        ("available", ["q1"], None),
        ("available", ["q1", "q2"], None),
        ("available", ["q2"], None),  # paused in q1 only: still serves q2
        ("not_ready", ["q1", "q2"], "Lunch"),
        ("available", ["q1"], None),
        ("not_ready", ["q1", "q2"], "Meeting"),  # the repeated per-queue PAUSE changes nothing
        ("available", ["q1", "q2"], None),
        ("available", ["q2"], None),
        ("available", ["q1", "q2"], None),
        ("available", ["q2"], None),
        ("offline", [], None),
    ]


def test_pause_during_a_call_shows_after_it():
    events, _ = convert_lines(native_lines(
        JOIN, ENTER, CONNECT, (T + 20, "NONE", Q, "PJSIP/201", "PAUSE", ("Lunch",)),
        _end("COMPLETEAGENT", ("10", "90", "1"))))
    assert [(e["state"], e.get("reason")) for e in valid(events) if e["type"] == "agent.state"] \
        == [("available", None), ("on_call", None), ("not_ready", "Lunch")]


def test_visits_without_news_expire_silently():
    events, stats = convert_lines(native_lines(
        ENTER, (T + 5 * 3600, "c2", Q, "NONE", "ENTERQUEUE", ("", "1", "1")),
        (T + 5 * 3600 + 1, "c1", Q, "NONE", "ABANDON", ("1", "1", "1"))))
    assert [e["type"] for e in events] == ["call.queued", "call.queued"]
    assert stats.expired == 1 and stats.unmatched == {"ABANDON": 1}


# -- stable ids ----------------------------------------------------------------------------


def test_ids_are_stable_across_reads_and_unique():
    text = (FIXTURES / "scenario.queue_log").read_text().splitlines()
    first, _ = convert_lines(text)
    again, _ = convert_lines(text)
    assert [e["event_id"] for e in first] == [e["event_id"] for e in again]
    assert len({e["event_id"] for e in first}) == len(first)
    other, _ = convert_lines(text, source="pbx2")
    assert not {e["event_id"] for e in first} & {e["event_id"] for e in other}


def test_identical_lines_in_one_second_get_different_ids():
    pause = (T, "NONE", Q, "SIP/1", "PAUSE", ("",))
    unpause = (T, "NONE", Q, "SIP/1", "UNPAUSE", ())
    events, _ = convert_lines(native_lines(pause, unpause, pause, unpause))
    assert len(events) == 4 and len({e["event_id"] for e in events}) == 4
    assert all(len(e["event_id"]) <= 128 for e in events)

"""The Asterisk queue_log adapter: layouts, mapping table, quirks, stable ids, follow mode, CLI,
and the real PBXware export (shared/data/real) counted independently with the csv module."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schemas import parse_event
from streams.adapters.asterisk import (
    POLL_S,
    FilePosition,
    LineParser,
    QueueLogConverter,
    QueueLogRecord,
    Tailer,
    agent_id,
    cmd_asterisk,
    convert_file,
    convert_lines,
    load_state,
    stream_file,
)
from tests.support import shared_data
from wallboard.commands.sources import add_asterisk
from wallboard.settings import Settings

REPO = Path(__file__).resolve().parents[4]
FIXTURES = Path(__file__).parent / "fixtures" / "asterisk"
REAL_REL = Path("data/real/asterisk_queue_log/pbxware_queue_log_export_2018-11-29_2018-12-04.csv")


def real_file() -> Path:
    """The real PBXware export (fails under CI=true when missing, else skips)."""
    return shared_data(str(REAL_REL), "WALLBOARD_ASTERISK_CSV")

T = 1_700_000_000  # 2023-11-14T22:13:20Z
Q = "support"

# A line in native terms: (epoch, callid, queue, agent, event, params).
Line = tuple[int, str, str, str, str, tuple[str, ...]]


def valid(events: list[dict]) -> list[dict]:
    """Every emitted event passes the one validator."""
    for event in events:
        parse_event(event)
    return events


# -- rendering the same lines in every layout ------------------------------------------------


def _native(line: Line) -> str:
    epoch, callid, queue, agent, event, params = line
    return "|".join([str(epoch), callid, queue, agent, event, *params])


def _csv_row(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    return buf.getvalue()


def _db_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _realtime(line: Line) -> str:
    epoch, callid, queue, agent, event, params = line
    assert len(params) <= 5
    return _csv_row([_db_time(epoch), callid, queue, agent, event,
                     *(list(params) + [""] * 5)[:5]])


def _pbx(uid: int, line: Line) -> str:
    """The inverse of PBXware's re-arrangement (the data README): native params → columns."""
    epoch, callid, queue, agent, event, params = line
    p = list(params) + [""] * 5
    c = dict(param1="", param2="", param3="", entpos="0", expos="0", htime="0", ttime="0")
    if event == "ENTERQUEUE":
        c.update(param1=p[1], entpos=p[2])
    elif event == "CONNECT":
        c.update(htime=p[0], param2=p[1], param3=p[2])
    elif event in ("COMPLETECALLER", "COMPLETEAGENT"):
        c.update(htime=p[0], ttime=p[1], entpos=p[2])
    elif event in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"):
        c.update(expos=p[0], entpos=p[1], htime=p[2])
    elif event == "EXITWITHKEY":
        c.update(param2=p[0], expos=p[1], entpos=p[2], htime=p[3])
    elif event == "RINGNOANSWER":
        c.update(htime=p[0])
    elif event in ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"):
        c.update(param2=p[0], param3=p[1], htime=p[2], ttime=p[3], entpos=p[4])
    else:
        c.update(param1=p[0], param2=p[1], param3=p[2])
    local = datetime.fromtimestamp(epoch, ZoneInfo("America/Bogota")).strftime("%F %T")
    return _csv_row([str(uid), str(epoch), callid, queue, agent, event, c["param1"],
                     c["param2"], c["param3"], c["entpos"], c["expos"], c["htime"],
                     c["ttime"], local])


RT_HEADER = "time,callid,queuename,agent,event,data1,data2,data3,data4,data5"
PBX_HEADER = ("uid,date_time,callid,queue_name,type,event,param1,param2,param3,entpos,expos,"
              "htime,ttime,time")


def render(layout: str, lines: list[Line]) -> list[str]:
    if layout == "native":
        return [_native(x) for x in lines]
    if layout == "realtime":
        return [RT_HEADER, *(_realtime(x) for x in lines)]
    if layout == "realtime-noheader":
        return [_realtime(x) for x in lines]
    if layout == "pbxware":
        return [PBX_HEADER, *(_pbx(i, x) for i, x in enumerate(lines, 1))]
    assert layout == "pbxware-noheader"
    return [_pbx(i, x) for i, x in enumerate(lines, 1)]


RENDERINGS = ("native", "realtime", "realtime-noheader", "pbxware", "pbxware-noheader")


def last_line_events(layout: str, lines: list[Line]) -> tuple[list[dict], QueueLogConverter]:
    """Feed every line; return the events of the last one."""
    conv = QueueLogConverter()
    out: list[dict] = []
    for n, text in enumerate(render(layout, lines), 1):
        out = conv.feed(text + "\n", n)
    return valid(out), conv


# -- the mapping table, per event type, in every layout ---------------------------------------

JOIN: Line = (T - 100, "MANAGER", Q, "PJSIP/201", "ADDMEMBER", ())
ENTER: Line = (T, "c1", Q, "NONE", "ENTERQUEUE", ("", "5550100", "1"))
CONNECT: Line = (T + 10, "c1", Q, "PJSIP/201", "CONNECT", ("10", "c1b", "3"))
PAUSE: Line = (T - 50, "NONE", Q, "PJSIP/201", "PAUSE", ("Lunch",))
PAUSEALL: Line = (T - 50, "NONE", "NONE", "PJSIP/201", "PAUSEALL", ("Break",))
LOGIN: Line = (T - 10, "c7", "NONE", "Agent/1001", "AGENTLOGIN", ("SIP/1001-00000001",))
CBLOGIN: Line = (T - 10, "c8", "NONE", "Agent/1127", "AGENTCALLBACKLOGIN", ("hint:1127@default",))
ANSWERED = [JOIN, ENTER, CONNECT]
CALL = {"call_id": "c1", "queue": Q}


def _end(event: str, params: tuple[str, ...]) -> Line:
    return (T + 100, "c1", Q, "PJSIP/201", event, params)


def _out(event: str, params: tuple[str, ...]) -> Line:
    return (T + 30, "c1", Q, "NONE", event, params)


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


@pytest.mark.parametrize("layout", RENDERINGS)
def test_each_layout_is_detected(layout):
    conv = QueueLogConverter()
    for n, text in enumerate(render(layout, [JOIN, ENTER]), 1):
        conv.feed(text, n)
    assert conv.parser.layout == layout.split("-")[0]
    assert conv.stats.events == {"agent.state": 1, "call.queued": 1}


@pytest.mark.parametrize("layout", ["native", "realtime", "pbxware"])
def test_explicit_layout_gives_the_same_events(layout):
    text = render(layout, ANSWERED)
    assert convert_lines(text, layout=layout)[0] == convert_lines(text)[0]


def test_native_pbxware_and_realtime_rows_give_the_same_record():
    """PBXware's columns are mapped back to the native parameter order."""
    full = [ENTER, CONNECT, _end("COMPLETECALLER", ("10", "90", "1")),
            _out("ABANDON", ("2", "3", "30")), _out("EXITWITHKEY", ("5", "2", "3", "30")),
            _end("BLINDTRANSFER", ("2000", "from-internal", "10", "90", "1")),
            (T, "c1", Q, "PJSIP/201", "RINGNOANSWER", ("15000",))]
    native, rt, pbx = LineParser("native"), LineParser("realtime"), LineParser("pbxware")
    for i, line in enumerate(full, 1):
        expected = QueueLogRecord(*line)
        assert native.parse(_native(line)) == expected
        assert rt.parse(_realtime(line)) == expected
        assert pbx.parse(_pbx(i, line)) == expected


# -- quirks ------------------------------------------------------------------------------------


def native_lines(*lines: Line) -> list[str]:
    return [_native(x) for x in lines]


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


def test_varying_parameter_counts_and_trailing_fields():
    lines = [
        "1700000000|c1|support|NONE|ENTERQUEUE||5550100|1|Alice",  # log_cidname: 4 params
        "1700000005|c1|support|SIP/1|CONNECT|5|c1b",  # before the ringtime parameter
        "1700000050|c1|support|SIP/1|TRANSFER|2000|from-internal",  # TRANSFER before 1.4
        "1700000060|c2|support|NONE|ENTERQUEUE||5550101|1",
        "1700000070|c2|support|NONE|EXITWITHKEY|5|1|1|10",  # 4 params
        "1700000080|c3|support|NONE|ENTERQUEUE|||||",  # trailing empty fields
        "1700000090|c3|support|NONE|ABANDON|1|1|10|||",
        "1700000095|NONE|NONE|NONE|QUEUESTART",  # no parameter field at all
    ]
    parser = LineParser()
    assert parser.parse(lines[0]).params == ("", "5550100", "1", "Alice")
    assert parser.parse(lines[1]).params == ("5", "c1b")
    assert parser.parse(lines[5]).params == ()
    assert parser.parse(lines[7]).params == ()
    events, stats = convert_lines(lines)
    assert [e["type"] for e in valid(events)] == [
        "call.queued", "call.answered", "agent.state", "call.ended", "agent.state",
        "call.queued", "call.dequeued", "call.queued", "call.abandoned"]
    assert stats.malformed == 0


def test_realtime_legacy_data_column_and_local_time():
    """1.6-era tables hold p1|p2|p3 in one ``data`` column; ``time`` is the PBX's local time,
    sometimes with microseconds; QueueMetrics-style column names are understood."""
    lines = ["time,callid,queuename,agent,event,data",
             "2024-03-01 09:00:00,c1,support,NONE,ENTERQUEUE,|5550100|1",
             "2024-03-01 09:00:07.250000,c1,support,SIP/1,CONNECT,7|c1b|2"]
    conv = QueueLogConverter(tz=ZoneInfo("Europe/Berlin"))
    events = [e for n, x in enumerate(lines, 1) for e in conv.feed(x, n)]
    assert [(e["type"], e["ts"]) for e in valid(events)][:2] == [
        ("call.queued", "2024-03-01T08:00:00Z"), ("call.answered", "2024-03-01T08:00:07.250000Z")]
    assert LineParser().parse(lines[0]) is None
    qm = ["partition,time_id,call_id,queue,agent,verb,data1,data2,data3,data4,data5,serverid",
          "P001,1700000000,c1,support,NONE,ENTERQUEUE,,5550100,1,,,1"]
    events, stats = convert_lines(qm)
    assert [e["type"] for e in valid(events)] == ["call.queued"] and stats.malformed == 0


def test_tab_and_semicolon_delimited_realtime_exports():
    for sep in ("\t", ";"):
        lines = [sep.join(RT_HEADER.split(",")),
                 sep.join(["2023-11-14 22:13:20", "c1", Q, "NONE", "ENTERQUEUE", "", "1", "1"])]
        events, _ = convert_lines(lines)
        assert [(e["type"], e["ts"]) for e in valid(events)] == [
            ("call.queued", "2023-11-14T22:13:20Z")]


def test_malformed_lines_are_reported_with_numbers_and_processing_goes_on():
    lines = [
        _native(ENTER),
        "garbage without pipes",  # 2: detection already done: native, too few fields
        "abc|c2|support|NONE|ENTERQUEUE||1|1",  # 3: bad epoch
        "1700000001|c2|support",  # 4: too few fields
        "",  # 5: blank: skipped, not malformed
        "1700000002||support|NONE|ENTERQUEUE||1|1",  # 6: empty callid
        "1700000003|c3|NONE|NONE|ENTERQUEUE||1|1",  # 7: call event without a queue
        "1700000004|c3|support|NONE|ENTER QUEUE||1|1",  # 8: bad event name
        "1700000005|MANAGER|support|NONE|ADDMEMBER|",  # 9: member event without member
        "1700000006|c3|" + "q" * 300 + "|NONE|ENTERQUEUE||1|1",  # 10: too long for the contract
        "99999999999999|c3|support|NONE|ENTERQUEUE||1|1",  # 11: epoch too long
        _native((T + 10, "c1", Q, "NONE", "ABANDON", ("1", "1", "10"))),
    ]
    events, stats = convert_lines(lines)
    assert [e["type"] for e in valid(events)] == ["call.queued", "call.abandoned"]
    assert [n for n, _ in stats.malformed_lines] == [2, 3, 4, 6, 7, 8, 9, 10, 11]
    reasons = dict(stats.malformed_lines)
    assert "at least 5" in reasons[2] and "bad epoch 'abc'" in reasons[3]
    assert "empty callid" in reasons[6] and "without a call id or a queue" in reasons[7]
    assert "bad event name" in reasons[8] and "without an agent" in reasons[9]
    assert "longer than 256" in reasons[10] and "epoch" in reasons[11]
    assert stats.malformed == 9 and stats.lines == 12


def test_an_undetectable_first_line_is_malformed_and_detection_retries():
    events, stats = convert_lines(["hello world", _native(ENTER)])
    assert [e["type"] for e in events] == ["call.queued"]
    assert stats.malformed_lines[0][0] == 1 and "cannot detect" in stats.malformed_lines[0][1]


def test_visits_without_news_expire_silently():
    events, stats = convert_lines(native_lines(
        ENTER, (T + 5 * 3600, "c2", Q, "NONE", "ENTERQUEUE", ("", "1", "1")),
        (T + 5 * 3600 + 1, "c1", Q, "NONE", "ABANDON", ("1", "1", "1"))))
    assert [e["type"] for e in events] == ["call.queued", "call.queued"]
    assert stats.expired == 1 and stats.unmatched == {"ABANDON": 1}


# -- stable ids --------------------------------------------------------------------------------


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


# -- the real PBXware export -------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> tuple[list[dict], object, list[dict[str, str]]]:
    path = real_file()
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))  # counted independently of the adapter's parser
    events, stats = convert_file(path)
    return events, stats, rows


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


def test_real_pbxware_columns_map_back_to_native_parameters(real):
    """In this data holdtime == CONNECT ts - ENTERQUEUE ts (asterisk-queue-log.md): true only
    if ``htime`` was mapped back to CONNECT's first parameter."""
    parser, entered = LineParser(), {}
    with real_file().open() as fh:
        recs = [r for r in map(parser.parse, fh) if r is not None]
    for r in recs:
        if r.event == "ENTERQUEUE":
            entered[r.callid, r.queue] = r.epoch
        elif r.event == "CONNECT":
            assert int(r.param(0)) == r.epoch - entered[r.callid, r.queue]
            assert int(r.param(2)) <= int(r.param(0))  # ringtime <= holdtime
        elif r.event == "RINGNOANSWER":
            assert int(r.param(0)) >= 1000  # milliseconds


# -- following a file --------------------------------------------------------------------------


class ListSink:
    def __init__(self, fail_after: int | None = None) -> None:
        self.events: list[dict] = []
        self.sent = 0
        self.fail_after = fail_after

    def send(self, events):
        events = list(events)
        if self.fail_after is not None and self.sent + len(events) > self.fail_after:
            raise OSError("broker gone")
        self.events.extend(events)
        self.sent += len(events)
        return len(events)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return "memory"


class Script:
    """Drives the follow loop: each sleep() runs the next step; once the steps are spent,
    should_stop() turns true (after one more poll)."""

    def __init__(self, *steps) -> None:
        self.steps = list(steps)
        self.done = False
        self.sleeps = 0

    def sleep(self, seconds: float) -> None:
        assert seconds == POLL_S
        self.sleeps += 1
        if self.steps:
            self.steps.pop(0)()
        else:
            self.done = True

    def should_stop(self) -> bool:
        return self.done


def call(i: int, t: int) -> list[bytes]:
    """ENTERQUEUE, CONNECT, COMPLETECALLER of call ``k<i>`` (native lines with newlines)."""
    cid = f"k{i}"
    return [f"{_native(x)}\n".encode() for x in (
        (t, cid, Q, "NONE", "ENTERQUEUE", ("", "5550100", "1")),
        (t + 5, cid, Q, f"SIP/{i % 3}", "CONNECT", ("5", f"{cid}b", "1")),
        (t + 60, cid, Q, f"SIP/{i % 3}", "COMPLETECALLER", ("5", "55", "1")))]


def calls(first: int, n: int) -> list[bytes]:
    return [x for i in range(first, first + n) for x in call(i, T + 100 * i)]


def append(path: Path, *chunks: bytes) -> None:
    with path.open("ab") as fh:
        fh.write(b"".join(chunks))


def expected_events(lines: list[bytes]) -> list[dict]:
    return convert_lines(lines)[0]


def follow(path: Path, script: Script, converter=None, **kw) -> tuple[ListSink, FilePosition]:
    sink = ListSink()
    pos = stream_file(path, converter or QueueLogConverter(), sink, follow=True,
                      sleep=script.sleep, should_stop=script.should_stop, **kw)
    return sink, pos


def test_follow_growth_partial_lines_rotation_and_truncation(tmp_path):
    log = tmp_path / "queue_log"
    a, b, c, d = calls(0, 2), calls(2, 2), calls(4, 2), calls(6, 1)
    log.write_bytes(b"".join(a[:4]))
    half = len(b[0]) // 2

    def rotate() -> None:
        append(log, *b[3:])  # written just before the rename: read through the old handle
        log.rename(tmp_path / "queue_log.1")
        log.write_bytes(b"".join(c[:3]))

    script = Script(
        lambda: append(log, *a[4:], b[0][:half]),  # growth + an unterminated line
        lambda: append(log, b[0][half:], *b[1:3]),  # the line completed
        rotate,
        lambda: None,  # nothing new
        lambda: append(log, *c[3:]),
        lambda: log.write_bytes(b"".join(d[:2])),  # truncated (copytruncate) and rewritten
        lambda: append(log, *d[2:]),
    )
    sink, pos = follow(log, script)
    assert sink.events == expected_events(a + b + c + d)
    assert pos == FilePosition(log.stat().st_ino, log.stat().st_size, 3)


def test_follow_restart_from_state_file_without_duplicates_or_gaps(tmp_path):
    log, state = tmp_path / "queue_log", tmp_path / "cache" / "asterisk.pos"
    a, b, c = calls(0, 2), calls(2, 2), calls(4, 2)
    log.write_bytes(b"".join(a))
    # run 1 stops in the middle of call k3 (answered, not ended) and of a line
    first, pos1 = follow(log, Script(lambda: append(log, *b[:5], b[5][:10])),
                         state_file=state)
    saved = json.loads(state.read_text())
    assert saved["position"]["offset"] == pos1.offset == sum(map(len, a + b[:5]))
    assert saved["converter"]["visits"] == [["k3", Q, T + 305, "0"]]
    # while stopped: the line completes, then the log is rotated and a new one begins
    append(log, b[5][10:])
    log.rename(tmp_path / "queue_log.1")
    log.write_bytes(b"".join(c[:3]))
    conv = QueueLogConverter()
    position = load_state(state, file=log, source="asterisk", converter=conv)
    second, _ = follow(log, Script(lambda: append(log, *c[3:])), conv, position=position,
                       state_file=state)
    both = first.events + second.events
    assert both == expected_events(a + b + c)
    assert len({e["event_id"] for e in both}) == len(both)
    # run 3: nothing new, nothing sent
    conv = QueueLogConverter()
    third, _ = follow(log, Script(), conv, state_file=state,
                      position=load_state(state, file=log, source="asterisk", converter=conv))
    assert third.events == []


def test_restart_when_the_rotated_file_is_gone_reads_the_new_file(tmp_path):
    log, state = tmp_path / "queue_log", tmp_path / "pos"
    log.write_bytes(b"".join(calls(0, 1)))
    follow(log, Script(), state_file=state)
    log.rename(tmp_path / "queue_log.1")
    log.write_bytes(b"".join(calls(1, 1)))  # created before the old one goes: a new inode
    (tmp_path / "queue_log.1").unlink()  # e.g. compressed by logrotate
    conv = QueueLogConverter()
    tailer = Tailer(log, load_state(state, file=log, source="asterisk", converter=conv))
    lines = [raw for raw, _ in tailer.read()]
    tailer.close()
    assert tailer.lost_rotated and lines == [None, *[x.rstrip(b"\n") for x in calls(1, 1)]]


def test_a_failed_send_does_not_advance_the_state(tmp_path):
    """At least once: events of a batch the sink refused are sent again on restart."""
    log, state = tmp_path / "queue_log", tmp_path / "pos"
    lines = calls(0, 3)
    log.write_bytes(b"".join(lines))
    sink = ListSink(fail_after=5)
    with pytest.raises(OSError):
        stream_file(log, QueueLogConverter(), sink, state_file=state, batch_size=2)
    conv = QueueLogConverter()
    retry = ListSink()
    stream_file(log, conv, retry, state_file=state,
                position=load_state(state, file=log, source="asterisk", converter=conv))
    ids = [e["event_id"] for e in sink.events + retry.events]
    assert set(ids) == {e["event_id"] for e in expected_events(lines)}
    assert len(ids) - len(set(ids)) <= 2  # at most one batch twice


def test_batch_mode_reads_an_unterminated_last_line(tmp_path):
    log = tmp_path / "queue_log"
    log.write_bytes(b"".join(calls(0, 1)).rstrip(b"\n"))
    sink = ListSink()
    stream_file(log, QueueLogConverter(), sink)
    assert [e["type"] for e in sink.events][-2:] == ["call.ended", "agent.state"]


def test_state_file_of_another_log_or_source_is_refused(tmp_path):
    log, state = tmp_path / "queue_log", tmp_path / "pos"
    log.write_bytes(b"".join(calls(0, 1)))
    stream_file(log, QueueLogConverter(), ListSink(), state_file=state)
    with pytest.raises(ValueError, match="belongs to"):
        load_state(state, file=tmp_path / "other", source="asterisk",
                   converter=QueueLogConverter())
    with pytest.raises(ValueError, match="source 'asterisk'"):
        load_state(state, file=log, source="pbx2", converter=QueueLogConverter())
    state.write_text("{not json")
    with pytest.raises(ValueError, match="not a state file"):
        load_state(state, file=log, source="asterisk", converter=QueueLogConverter())
    assert load_state(tmp_path / "none", file=log, source="x", converter=QueueLogConverter()) \
        is None


# -- the command -------------------------------------------------------------------------------


def parse_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wallboard")
    sub = parser.add_subparsers(dest="command")
    add_asterisk(sub)
    return parser.parse_args(["asterisk", *argv])


def test_cli_end_to_end_on_the_real_export(tmp_path, capsys):
    out, state = tmp_path / "events.jsonl", tmp_path / "asterisk.pos"
    args = parse_args("--file", str(real_file()), "--output", str(out), "--state", str(state))
    assert args.func is cmd_asterisk and args.layout == "auto" and args.source == "asterisk"
    assert cmd_asterisk(Settings(), args) == 0
    events = valid([json.loads(x) for x in out.read_text().splitlines()])
    assert Counter(e["type"] for e in events)["call.queued"] == 108
    report = capsys.readouterr()
    assert "1001 lines (pbxware) -> 511 events" in report.out
    assert "call.queued 108" in report.out and "RINGNOANSWER 360" in report.out
    assert "OUTDIAL 128" in report.out and "malformed lines: 0" in report.out
    # a second run resumes at the end: nothing new, nothing sent twice
    assert cmd_asterisk(Settings(), args) == 0
    assert out.read_text() == "" and "-> 0 events" in capsys.readouterr().out


def test_cli_reports_malformed_lines_on_stderr(tmp_path, capsys):
    log, out = tmp_path / "queue_log", tmp_path / "e.jsonl"
    log.write_text(f"{_native(ENTER)}\nbroken\n")
    assert cmd_asterisk(Settings(), parse_args("--file", str(log), "--output", str(out))) == 0
    report = capsys.readouterr()
    assert f"{log} line 2: expected at least 5" in report.err
    assert "malformed lines: 1" in report.out


@pytest.mark.parametrize(("argv", "needle"), [
    (["--file", "/nonexistent/queue_log"], "no such file: /nonexistent/queue_log"),
    (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    (["--source", ""], "--source must be 1..64 characters"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, argv, needle):
    log = tmp_path / "queue_log"
    log.write_text("")
    argv = argv if argv[0] == "--file" else ["--file", str(log), *argv]
    assert cmd_asterisk(Settings(), parse_args(*argv, "--output", str(tmp_path / "o"))) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


RUNNER = """
import argparse, sys
from wallboard.settings import Settings
from streams.adapters.asterisk import cmd_asterisk
from wallboard.commands.sources import add_asterisk
p = argparse.ArgumentParser()
add_asterisk(p.add_subparsers())
sys.exit(cmd_asterisk(Settings(), p.parse_args(sys.argv[1:])))
"""


def test_sigterm_stops_follow_and_persists_the_state(tmp_path):
    log, out, state = tmp_path / "queue_log", tmp_path / "e.jsonl", tmp_path / "pos"
    lines = calls(0, 3)
    log.write_bytes(b"".join(lines))
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "asterisk", "--file", str(log), "--follow",
         "--state", str(state), "--output", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 20
        while not state.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert state.exists(), proc.stderr
        append(log, *calls(3, 1))
        time.sleep(1.2)  # two polls
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "-> 20 events" in stdout
    saved = json.loads(state.read_text())
    assert saved["position"]["offset"] == log.stat().st_size
    assert [json.loads(x)["event_id"] for x in out.read_text().splitlines()] == [
        e["event_id"] for e in expected_events(calls(0, 4))]

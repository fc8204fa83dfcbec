"""The line parser: each layout detected, every layout giving the same records, parameter
counts, realtime variants, malformed lines, and the real PBXware columns mapped back."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from streams.adapters.asterisk import LineParser, QueueLogConverter, QueueLogRecord, convert_lines

from .queue_logs import (
    ANSWERED,
    CONNECT,
    ENTER,
    JOIN,
    RENDERINGS,
    RT_HEADER,
    Q,
    T,
    _end,
    _native,
    _out,
    _pbx,
    _realtime,
    real_file,
    render,
    valid,
)


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

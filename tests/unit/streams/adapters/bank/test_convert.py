"""One row → its events: one table test per outcome, the queued event's fields, midnight,
the time zone, and a repaired call id."""

from __future__ import annotations

from collections import defaultdict

import pytest

from schemas import parse_event
from streams.adapters.bank import COLUMNS, UNKNOWN_AGENT, convert_row

from .samples import (
    AGENT_DIRECT,
    AGENT_NO_SERVER,
    AGENT_NO_SERVICE_RECORD,
    AGENT_QUEUED,
    HANG_QUEUED,
    HANG_VRU,
    HANG_WITH_SERVICE_TIMES,
    HANG_ZERO_WAIT,
    MANGLED_ID,
    PHANTOM,
    QUEUE_PAST_MIDNIGHT,
    SERVICE_PAST_MIDNIGHT,
    VRU_CLOCK_AHEAD,
    brief,
    convert_text,
)


@pytest.mark.parametrize(("row", "kind", "expected"), [
    pytest.param(AGENT_QUEUED, "answered", [
        ("call.queued", "1999-08-01T10:01:38+03:00", None),
        ("call.answered", "1999-08-01T10:02:38+03:00", "AVI"),   # q_exit, the queue's clock
        ("call.ended", "1999-08-01T10:03:48+03:00", "AVI"),      # answered + ser_time
    ], id="AGENT after queueing"),
    pytest.param(AGENT_DIRECT, "direct_agent", [], id="AGENT without queueing"),
    pytest.param(HANG_QUEUED, "abandoned", [
        ("call.queued", "1999-08-01T10:08:48+03:00", None),
        ("call.abandoned", "1999-08-01T10:08:57+03:00", None),
    ], id="HANG after queueing"),
    pytest.param(HANG_VRU, "vru_hang", [], id="HANG in the VRU"),
    pytest.param(PHANTOM, "phantom", [], id="PHANTOM"),
    pytest.param(HANG_ZERO_WAIT, "abandoned", [
        ("call.queued", "1999-08-01T13:27:19+03:00", None),
        ("call.abandoned", "1999-08-01T13:27:19+03:00", None),
    ], id="HANG after 0 s in the queue"),
    pytest.param(HANG_WITH_SERVICE_TIMES, "abandoned", [
        ("call.queued", "1999-08-01T11:11:57+03:00", None),
        ("call.abandoned", "1999-08-01T11:12:09+03:00", None),
    ], id="HANG with service times but NO_SERVER"),
    pytest.param(AGENT_NO_SERVICE_RECORD, "answered", [
        ("call.queued", "1999-08-01T08:49:02+03:00", None),
        ("call.answered", "1999-08-01T08:53:47+03:00", "STEREN"),
    ], id="AGENT without a service record"),
    pytest.param(AGENT_NO_SERVER, "answered", [
        ("call.queued", "1999-08-05T11:19:53+03:00", None),
        ("call.answered", "1999-08-05T11:24:01+03:00", UNKNOWN_AGENT),
        ("call.ended", "1999-08-05T11:27:00+03:00", UNKNOWN_AGENT),
    ], id="AGENT with NO_SERVER"),
    pytest.param(VRU_CLOCK_AHEAD, "answered", [
        ("call.queued", "1999-08-01T12:03:15+03:00", None),      # not the next day
        ("call.answered", "1999-08-01T12:04:56+03:00", "VICKY"),
        ("call.ended", "1999-08-01T12:05:57+03:00", "VICKY"),
    ], id="negative vru_time"),
])
def test_each_outcome(row, kind, expected):
    events, stats = convert_text(row)
    assert brief(events) == expected
    assert convert_row(dict(zip(COLUMNS, row.split(","), strict=True))).kind == kind
    assert stats.rows == 1 and not stats.broken
    assert stats.calls == (1 if expected else 0)


def test_queued_event_carries_queue_tier_business_and_priority():
    events, _ = convert_text(AGENT_QUEUED, AGENT_NO_SERVICE_RECORD, SERVICE_PAST_MIDNIGHT)
    queued = {e["call_id"]: e for e in events if e["type"] == "call.queued"}
    assert queued["bank-19990801-AA0209-44376"] == {
        "v": 1, "event_id": "bank-19990801-AA0209-44376-queued", "type": "call.queued",
        "ts": "1999-08-01T10:01:38+03:00", "call_id": "bank-19990801-AA0209-44376",
        "queue": "PS", "attrs": {"tier": "regular", "business": "PS", "channel": "voice"},
        "priority": 1}
    assert queued["bank-19990802-AA0204-43912"]["attrs"]["tier"] == "vip"
    assert queued["bank-19990802-AA0204-43912"]["priority"] == 2
    assert queued["bank-19990801-AA0110-37823"]["attrs"]["tier"] == "unidentified"
    assert queued["bank-19990801-AA0110-37823"]["queue"] == "NW"
    ended = [e for e in events if e["type"] == "call.ended"]
    assert ended and all(e["acw"] is False and parse_event(e).acw is False for e in ended)
    assert all(e["queue"] == queued[e["call_id"]]["queue"] for e in events)


def test_midnight_crossings():
    events, _ = convert_text(QUEUE_PAST_MIDNIGHT, SERVICE_PAST_MIDNIGHT)
    by_call = defaultdict(list)
    for e in events:
        by_call[e["call_id"]].append((e["type"], e["ts"]))
    assert by_call["bank-19990802-AA0208-7582"] == [
        ("call.queued", "1999-08-02T23:59:29+03:00"),
        ("call.answered", "1999-08-03T00:00:57+03:00"),   # q_exit 0:00:57 is the next day
        ("call.ended", "1999-08-03T00:01:16+03:00"),
    ]
    assert by_call["bank-19990802-AA0204-43912"] == [
        ("call.queued", "1999-08-02T23:55:52+03:00"),
        ("call.answered", "1999-08-02T23:58:44+03:00"),
        ("call.ended", "1999-08-03T00:00:24+03:00"),      # ser_exit 0:00:24 is the next day
    ]
    # The VRU before midnight, the queue after it: q_start belongs to the next day.
    row = "AA0101,1,5,2,PE,1999-08-31,23:59:58,0:00:03,5,0:00:03,0:00:13,10,HANG,0:00:00," \
          "0:00:00,0,NO_SERVER"
    assert brief(convert_text(row)[0]) == [("call.queued", "1999-09-01T00:00:03+03:00", None),
                                           ("call.abandoned", "1999-09-01T00:00:13+03:00", None)]


def test_time_zone_is_configurable_and_never_naive():
    assert brief(convert_text(HANG_QUEUED, tz="UTC")[0])[0][1] == "1999-08-01T10:08:48+00:00"
    winter = HANG_QUEUED.replace("1999-08-01", "1999-12-01")
    assert brief(convert_text(winter)[0])[0][1] == "1999-12-01T10:08:48+02:00"  # no DST
    # Before 1970 is outside the contract's accepted ts range: the row is reported, not sent.
    old = HANG_QUEUED.replace("1999-08-01", "1900-08-01")
    events, stats = convert_text(old)
    assert events == [] and "outside the accepted event-time range" in stats.broken[0][1]


def test_mangled_call_id_is_repaired_and_reported():
    events, stats = convert_text(AGENT_QUEUED, MANGLED_ID)
    assert stats.repaired == [(3, "call_id '2010-08-' is not a number (mangled by a "
                                  "spreadsheet?); call identified as "
                                  "bank-19990823-AA0216-t104735")]
    assert {e["call_id"] for e in events} == {"bank-19990801-AA0209-44376",
                                              "bank-19990823-AA0216-t104735"}

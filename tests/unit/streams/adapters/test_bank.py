"""The Anonymous Bank replay: one table test per outcome, midnight, broken rows, ids, order,
the command line, and the whole real month checked against figures computed from the raw CSV.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import orjson
import pytest

from schemas import parse_event
from streams.adapters.bank import (
    COLUMNS,
    UNKNOWN_AGENT,
    BadHeader,
    BankStats,
    convert,
    convert_row,
    iter_events,
    parse_days,
    read_rows,
)
from tests.support import shared_data
from wallboard.commands.sources import add_replay_bank
from wallboard.settings import Settings

HEADER = ",".join(COLUMNS)
REL = Path("data/real/anonymous_bank/anonymous_bank_1999-08_calls.csv")
REPO = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def real_csv() -> Path:
    return shared_data(str(REL), "WALLBOARD_BANK_CSV")


def convert_text(*lines: str, **kw) -> tuple[list[dict], BankStats]:
    """Events of CSV ``lines`` (header added: the first row is line 2), each validated."""
    stats = BankStats()
    text = "\n".join([HEADER, *lines]) + "\n"
    events = list(iter_events(read_rows(io.StringIO(text)), stats=stats, **kw))
    for e in events:
        parse_event(e)
        parse_event(orjson.dumps(e))
    return events, stats


def brief(events: list[dict]) -> list[tuple]:
    return [(e["type"], e["ts"], e.get("agent_id")) for e in events]


# -- rows of the real file, one per case -------------------------------------------------

AGENT_QUEUED = ("AA0209,44376,54188305,1,PS,1999-08-01,10:01:33,10:01:38,5,10:01:38,10:02:38,60,"
                "AGENT,10:02:37,10:03:47,70,AVI")
AGENT_DIRECT = ("AA0104,31129,0,0,PS,1999-08-01,10:00:21,10:00:31,10,0:00:00,0:00:00,0,AGENT,"
                "10:00:30,10:02:09,99,NAAMA")
HANG_QUEUED = ("AA0105,43723,25519216,1,PS,1999-08-01,10:08:43,10:08:48,5,10:08:48,10:08:57,9,"
               "HANG,0:00:00,0:00:00,0,NO_SERVER")
HANG_VRU = ("AA0204,43678,0,0,PS,1999-08-01,0:10:10,0:10:27,17,0:00:00,0:00:00,0,HANG,0:00:00,"
            "0:00:00,0,NO_SERVER")
PHANTOM = ("AA0203,44973,38324794,1,PS,1999-08-01,10:36:34,10:36:39,5,10:36:39,10:38:58,139,"
           "PHANTOM,10:38:58,10:39:01,3,NO_SERVER")
HANG_ZERO_WAIT = ("AA0205,46081,33964578,1,PS,1999-08-01,13:27:13,13:27:19,6,13:27:19,13:27:19,"
                  "0,HANG,0:00:00,0:00:00,0,NO_SERVER")
HANG_WITH_SERVICE_TIMES = ("AA0110,37846,42477224,2,PS,1999-08-01,11:11:51,11:11:57,6,11:11:57,"
                           "11:12:09,12,HANG,11:12:17,11:16:57,280,NO_SERVER")
AGENT_NO_SERVICE_RECORD = ("AA0110,37823,0,0,NW,1999-08-01,8:48:53,8:49:02,9,8:49:02,8:53:47,285,"
                           "AGENT,0:00:00,0:00:00,0,STEREN")
AGENT_NO_SERVER = ("AA0110,38116,0,0,NW,1999-08-05,11:19:43,11:19:53,10,11:19:53,11:24:01,248,"
                   "AGENT,11:24:01,11:27:00,179,NO_SERVER")
VRU_CLOCK_AHEAD = ("AA0207,7039,17702523,1,PS,1999-08-01,12:04:42,12:03:15,-87,12:03:15,12:04:56,"
                   "101,AGENT,12:04:55,12:05:56,61,VICKY")
QUEUE_PAST_MIDNIGHT = ("AA0208,7582,25534546,1,PS,1999-08-02,23:59:23,23:59:23,0,23:59:29,0:00:57,"
                       "88,AGENT,0:00:56,0:01:15,19,GELBER")
SERVICE_PAST_MIDNIGHT = ("AA0204,43912,22519995,2,PS,1999-08-02,23:55:46,23:55:52,6,23:55:52,"
                         "23:58:44,172,AGENT,23:58:44,0:00:24,100,AVI")
MANGLED_ID = ("AA0216,2010-08-,0,0,IN,1999-08-23,10:47:35,10:47:45,10,10:47:45,10:48:15,30,AGENT,"
              "10:48:15,10:49:31,76,DORIT")


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


def test_broken_rows_are_reported_with_their_line_and_never_fatal():
    events, stats = convert_text(
        AGENT_QUEUED,                                                   # line 2
        HANG_QUEUED.replace("10:08:57", "25:08:57"),                    # 3: bad time
        "AA0101,1,2,3",                                                 # 4: short
        HANG_QUEUED.replace("HANG", "BUSY"),                            # 5: bad outcome
        AGENT_QUEUED,                                                   # 6: duplicate of 2
        HANG_QUEUED.replace(",9,HANG", ",99,HANG"),                     # 7: q_time mismatch
        HANG_QUEUED.replace("1999-08-01", "99-08-01"),                  # 8: bad date
        HANG_QUEUED.replace(",1,PS,", ",7,PS,"),                        # 9: unknown priority
        "",                                                             # blank: ignored
        QUEUE_PAST_MIDNIGHT.replace("1999-08-02", "9999-12-31"),       # 11: after 9999
        HANG_QUEUED,                                                    # 12: fine
    )
    assert [line for line, _ in stats.broken] == [3, 4, 5, 6, 7, 8, 9, 11]
    reasons = dict(stats.broken)
    assert "q_exit '25:08:57' is not a time of day" in reasons[3]
    assert "4 fields, the header has 17" in reasons[4]
    assert "outcome 'BUSY'" in reasons[5]
    assert "duplicate call bank-19990801-AA0209-44376" in reasons[6] and "line 2" in reasons[6]
    assert "q_time 99 does not match" in reasons[7]
    assert "date '99-08-01'" in reasons[8]
    assert "priority '7'" in reasons[9]
    assert "cannot place the call in time" in reasons[11]
    assert stats.rows == 10 and stats.answered == 1 and stats.abandoned == 1
    assert Counter(e["type"] for e in events) == {"call.queued": 2, "call.answered": 1,
                                                  "call.ended": 1, "call.abandoned": 1}


def test_mangled_call_id_is_repaired_and_reported():
    events, stats = convert_text(AGENT_QUEUED, MANGLED_ID)
    assert stats.repaired == [(3, "call_id '2010-08-' is not a number (mangled by a "
                                  "spreadsheet?); call identified as "
                                  "bank-19990823-AA0216-t104735")]
    assert {e["call_id"] for e in events} == {"bank-19990801-AA0209-44376",
                                              "bank-19990823-AA0216-t104735"}


def test_bad_header_is_one_error_for_the_file():
    with pytest.raises(BadHeader, match="no column q_start"):
        read_rows(io.StringIO(HEADER.replace("q_start", "qstart") + "\n"))
    with pytest.raises(BadHeader, match="empty file"):
        read_rows(io.StringIO(""))


def test_ids_are_stable_and_distinguish_repeated_call_ids():
    # call_id 43702 twice on 1999-08-01 (two VRU lines), and again on another day
    rows = ["AA0105,43702,0,0,NW,1999-08-01,0:27:23,0:27:32,9,0:27:32,0:27:40,8,HANG,0:00:00,"
            "0:00:00,0,NO_SERVER",
            "AA0204,43702,0,0,NW,1999-08-01,10:32:30,10:32:40,10,10:32:40,10:34:43,123,HANG,"
            "0:00:00,0:00:00,0,NO_SERVER",
            "AA0204,43702,0,0,NW,1999-08-02,10:32:30,10:32:40,10,10:32:40,10:34:43,123,HANG,"
            "0:00:00,0:00:00,0,NO_SERVER"]
    first, stats = convert_text(*rows)
    again, _ = convert_text(*reversed(rows))
    assert not stats.broken and stats.abandoned == 3
    ids = [e["event_id"] for e in first]
    assert len(set(ids)) == 6
    assert sorted(ids) == sorted(e["event_id"] for e in again)
    assert "bank-19990801-AA0204-43702-abandoned" in ids
    assert len({e["call_id"] for e in first}) == 3


def test_events_come_out_in_time_order_whatever_the_row_order():
    rows = [SERVICE_PAST_MIDNIGHT, HANG_QUEUED, AGENT_QUEUED, QUEUE_PAST_MIDNIGHT,
            AGENT_NO_SERVICE_RECORD, VRU_CLOCK_AHEAD, AGENT_NO_SERVER]
    rows.sort(key=lambda r: r.split(",")[5])  # the data set's files come in date order
    events, _ = convert_text(*rows)
    ts = [parse_event(e).ts for e in events]
    assert ts == sorted(ts) and len(events) == 19
    # A visit starts before it ends even at the same second.
    zero, _ = convert_text(HANG_ZERO_WAIT)
    assert [e["type"] for e in zero] == ["call.queued", "call.abandoned"]


def test_a_row_out_of_date_order_is_reported_not_sent_out_of_order():
    later = HANG_QUEUED.replace("1999-08-01", "1999-08-03")
    # After the 08-03 row, 08-01 is sent up to 10:03:48; a call at 08:49 can't follow.
    events, stats = convert_text(AGENT_QUEUED, later, HANG_QUEUED, AGENT_NO_SERVICE_RECORD)
    assert [line for line, _ in stats.broken] == [5]
    assert "out of date order" in stats.broken[0][1]
    ts = [parse_event(e).ts for e in events]
    assert ts == sorted(ts) and len(events) == 7


def test_days_filter():
    day2 = HANG_QUEUED.replace("1999-08-01", "1999-08-02")
    day3 = HANG_QUEUED.replace("1999-08-01", "1999-08-03")
    events, stats = convert_text(HANG_QUEUED, day2, day3,
                                 days=parse_days("1999-08-02..1999-08-03"))
    assert {e["call_id"][5:13] for e in events} == {"19990802", "19990803"}
    assert stats.filtered == 1 and stats.rows == 3
    assert parse_days("1999-08-07") == (date(1999, 8, 7), date(1999, 8, 7))
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_days("1999-08-03..1999-08-01")


# -- the command line ----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wallboard")
    sub = parser.add_subparsers(dest="command")
    add_replay_bank(sub)
    return parser


def test_cli_writes_time_ordered_valid_json_lines(tmp_path, capsys):
    src = tmp_path / "calls.csv"
    src.write_text("\n".join([HEADER, SERVICE_PAST_MIDNIGHT, PHANTOM, HANG_VRU, AGENT_DIRECT,
                              "broken,row", HANG_QUEUED, AGENT_QUEUED]) + "\n")
    out = tmp_path / "bank.jsonl.gz"
    args = _parser().parse_args(["replay-bank", "--csv", str(src), "--output", str(out)])
    assert args.timezone == "Asia/Jerusalem" and args.days is None
    assert args.func(Settings(), args) == 0
    events = [parse_event(line) for line in gzip.decompress(out.read_bytes()).splitlines()]
    assert [e.ts for e in events] == sorted(e.ts for e in events) and len(events) == 8
    text = capsys.readouterr().out
    assert "7 rows read" in text
    assert "3 queued calls converted: 2 answered, 1 abandoned" in text
    assert "skipped: 1 PHANTOM, 2 never queued (1 AGENT served straight from the VRU, 1 HANG " \
           "in the VRU)" in text
    assert "line 6: 2 fields, the header has 17" in text
    assert "call.abandoned 1, call.answered 2, call.ended 2, call.queued 3" in text
    assert f"8 events sent to {out}" in text


def test_cli_date_filter_and_timezone(tmp_path, capsys):
    src = tmp_path / "calls.csv"
    src.write_text("\n".join([HEADER, AGENT_QUEUED, SERVICE_PAST_MIDNIGHT]) + "\n")
    out = tmp_path / "bank.jsonl"
    args = _parser().parse_args(["replay-bank", "--csv", str(src), "--output", str(out),
                                 "--date", "1999-08-02", "--timezone", "UTC"])
    assert args.func(Settings(), args) == 0
    events = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [e["ts"] for e in events] == ["1999-08-02T23:55:52+00:00", "1999-08-02T23:58:44+00:00",
                                         "1999-08-03T00:00:24+00:00"]
    assert "1 outside the selected days" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["--days", "1999-08-03..1999-08-01"], ["--date", "1999-08-01..1999-08-02"],
    ["--timezone", "Mars/Olympus"], ["--date", "1999-08-01", "--days", "1999-08-01"], [],
])
def test_cli_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(["replay-bank", *(["--csv", "x.csv"] if argv else []), *argv])
    assert exc.value.code == 2


def test_cli_missing_csv_or_wrong_file_is_one_line_and_exit_2(tmp_path, capsys):
    args = _parser().parse_args(["replay-bank", "--csv", str(tmp_path / "nope.csv"),
                                 "--output", str(tmp_path / "o.jsonl")])
    assert args.func(Settings(), args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.csv: no such file" in err
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    args = _parser().parse_args(["replay-bank", "--csv", str(other)])
    assert args.func(Settings(), args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not the Anonymous Bank call table" in err
    assert not (tmp_path / "o.jsonl").exists()


def test_module_imports_no_kafka():
    code = ("import sys, streams.adapters.bank; "
            "sys.exit(any(m == 'kafka' or m.startswith('kafka.') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60).returncode == 0


# -- the real month ------------------------------------------------------------------------


def raw_figures(path: Path) -> dict:
    """The data set's own figures, straight from the CSV (independent of the converter)."""
    per_day: dict[str, dict] = defaultdict(lambda: {"answered": [], "abandoned": [], "handle": []})
    outcomes: Counter[str] = Counter()
    reached_queue = 0
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            outcomes[row["outcome"]] += 1
            reached_queue += int(row["q_time"]) > 0
            if row["q_start"] == "0:00:00" or row["outcome"] == "PHANTOM":
                continue
            day = per_day[row["date"]]
            if row["outcome"] == "AGENT":
                day["answered"].append(int(row["q_time"]))
                if row["ser_start"] != "0:00:00":
                    day["handle"].append(int(row["ser_time"]))
            else:
                day["abandoned"].append(int(row["q_time"]))
    return {"days": dict(per_day), "outcomes": outcomes, "reached_queue": reached_queue}


def event_figures(events: list[dict]) -> dict:
    """The same figures from the events alone: a wait is answered.ts - queued.ts."""
    per_day: dict[str, dict] = defaultdict(lambda: {"answered": [], "abandoned": [], "handle": []})
    queued: dict[str, float] = {}
    answered: dict[str, float] = {}
    last = float("-inf")
    for raw in events:
        e = parse_event(raw)
        assert e.ts >= last, f"{e.event_id} out of time order"
        last = e.ts
        day = per_day[f"{e.call_id[5:9]}-{e.call_id[9:11]}-{e.call_id[11:13]}"]
        if e.type == "call.queued":
            assert e.call_id not in queued
            queued[e.call_id] = e.ts
        elif e.type == "call.answered":
            day["answered"].append(e.ts - queued[e.call_id])  # KeyError: not queued before
            answered[e.call_id] = e.ts
        elif e.type == "call.abandoned":
            day["abandoned"].append(e.ts - queued[e.call_id])
        elif e.type == "call.ended":
            day["handle"].append(e.ts - answered[e.call_id])
    return dict(per_day)


@pytest.fixture(scope="module")
def month(real_csv):
    events, stats = convert(real_csv)
    return events, stats, raw_figures(real_csv), event_figures(events)


def test_real_month_reproduces_the_data_sets_figures(month):
    events, stats, raw, got = month
    assert sorted(got) == sorted(raw["days"]) and len(got) == 31
    for day, want in raw["days"].items():
        have = got[day]
        assert len(have["answered"]) == len(want["answered"]), day
        assert len(have["abandoned"]) == len(want["abandoned"]), day
        assert statistics.fmean(have["answered"]) == pytest.approx(
            statistics.fmean(want["answered"]), rel=1e-12, abs=1e-9), day
        # Stronger: every wait and every handling time, not only the mean.
        assert sorted(have["answered"]) == sorted(want["answered"]), day
        assert sorted(have["abandoned"]) == sorted(want["abandoned"]), day
        assert sorted(have["handle"]) == sorted(want["handle"]), day

    answered = [w for d in got.values() for w in d["answered"]]
    abandoned = [w for d in got.values() for w in d["abandoned"]]
    # The month, as published with the file (shared/data/real/README.md) ...
    assert stats.rows == 42078
    assert raw["outcomes"] == {"AGENT": 31402, "HANG": 10366, "PHANTOM": 310}
    assert raw["reached_queue"] == 25962
    assert stats.phantom == 310
    assert len(answered) + sum(1 for w in abandoned if w > 0) + stats.phantom == 25962
    assert sum(1 for w in abandoned if w > 0) == 7260    # "7,260 abandoned after queueing"
    # ... and as converted: the 49 HANG rows with q_start set and q_time 0 are visits too.
    assert (len(answered), len(abandoned), stats.abandoned_zero_wait) == (18392, 7309, 49)
    assert statistics.fmean(answered) == pytest.approx(
        statistics.fmean(w for d in raw["days"].values() for w in d["answered"]), rel=1e-12)
    assert round(statistics.fmean(answered), 3) == 126.017
    assert stats.never_queued == 16067 and stats.direct_agent == 13010
    assert stats.calls + stats.phantom + stats.never_queued == stats.rows


def test_real_month_events_are_valid_unique_and_reported(month):
    events, stats, _, _ = month
    assert len(events) == stats.events == 69766
    assert len({e["event_id"] for e in events}) == len(events)
    assert stats.events_by_type == {"call.queued": 25701, "call.answered": 18392,
                                    "call.abandoned": 7309, "call.ended": 18364}
    assert stats.broken == []
    assert [line for line, _ in stats.repaired] == [31843]   # the spreadsheet-mangled call_id
    assert (stats.no_service_record, stats.unknown_agent) == (28, 3)
    assert {e["queue"] for e in events} == {"PS", "NW", "IN", "NE", "TT", "PE"}
    assert events[0]["ts"] == "1999-08-01T07:16:45+03:00"
    assert events[-1]["ts"] == "1999-09-01T00:01:15+03:00"


def test_real_day_through_the_cli(real_csv, tmp_path, capsys):
    out = tmp_path / "day.jsonl.gz"
    args = _parser().parse_args(["replay-bank", "--csv", str(real_csv), "--output", str(out),
                                 "--date", "1999-08-07"])
    assert args.func(Settings(), args) == 0
    lines = gzip.decompress(out.read_bytes()).splitlines()
    assert all(parse_event(line).call_id.startswith("bank-19990807-") for line in lines)
    text = capsys.readouterr().out
    assert "42078 rows read" in text and "41927 outside the selected days" in text

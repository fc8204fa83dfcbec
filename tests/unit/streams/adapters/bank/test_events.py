"""All rows → one stream: broken rows reported and never fatal, stable ids, time order, the
days filter, and the whole real month checked against figures computed from the raw CSV."""

from __future__ import annotations

import csv
import statistics
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from schemas import parse_event
from streams.adapters.bank import convert, parse_days

from .samples import (
    AGENT_NO_SERVER,
    AGENT_NO_SERVICE_RECORD,
    AGENT_QUEUED,
    HANG_QUEUED,
    HANG_ZERO_WAIT,
    QUEUE_PAST_MIDNIGHT,
    SERVICE_PAST_MIDNIGHT,
    VRU_CLOCK_AHEAD,
    convert_text,
)


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

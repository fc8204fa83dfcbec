"""Freshness and the banner: the age of the data, stale after the limit, the poller's error,
a worker that cannot reach Kafka, stale partitions, the event clock, per-segment ages."""

from __future__ import annotations

import pytest

from dashboard.formatting import MISSING
from dashboard.freshness import segment_freshness
from dashboard.render import render
from tests.unit.dashboard.samples import FULL_SEGMENT, NOW, snapshot, values_of


def test_fresh_snapshot():
    view = render(snapshot(all=FULL_SEGMENT), NOW - 1.5, NOW)
    assert (view["stale"], view["banner"], view["age"]) == (False, None, "1 s")
    assert view["segments"][0]["age_text"] == "1 s old"


def test_stale_after_the_limit_says_since_when():
    view = render(snapshot(all=FULL_SEGMENT), NOW - 30, NOW, stale_after_s=5.0)
    assert view["stale"] is True
    assert view["banner"] == "STALE since 11:06:10 UTC — data is 30 s old"
    assert view["segments"][0]["stale"] is True
    assert view["segments"][0]["age_text"] == "STALE · 30 s old"
    assert values_of(view)["now"] == "3"  # the last good values stay on screen


def test_stale_banner_names_the_poller_error():
    view = render(snapshot(all=FULL_SEGMENT), NOW - 30, NOW, error="connection refused")
    assert view["banner"] == "STALE since 11:06:10 UTC — worker unreachable: connection refused"
    fresh = render(snapshot(all=FULL_SEGMENT), NOW - 1, NOW, error="timed out")
    assert fresh["banner"] is None  # a transient error with fresh data is not shown


def test_as_of_far_behind_the_fetch_is_stale():
    """A worker that serves an old snapshot (its clock stopped) is stale though fetched now."""
    snap = {"as_of": "2026-11-18T11:03:40Z", "segments": {"all": FULL_SEGMENT}}
    view = render(snap, NOW, NOW)
    assert view["stale"] is True and view["age"] == "3 min"


@pytest.mark.parametrize(
    ("error", "banner"),
    [(None, "NO DATA — waiting for the first snapshot from the worker"),
     ("connection refused", "NO DATA — worker unreachable: connection refused")],
)
def test_no_snapshot_banner(error, banner):
    view = render(None, None, NOW, error=error)
    assert view["banner"] == banner
    assert view["as_of"] == f"Data as of {MISSING}"


def test_a_worker_that_cannot_reach_kafka_makes_the_board_stale():
    snap = {**snapshot(all=FULL_SEGMENT),
            "feed": {"records": 10, "last_record_age_s": 95.0, "broker_reachable": False}}
    view = render(snap, NOW, NOW)
    assert view["stale"] is True
    assert view["banner"] == "STALE since 11:05:05 UTC — the worker cannot reach Kafka"
    assert values_of(view)["now"] == "3"
    live = {**snap, "feed": {**snap["feed"], "broker_reachable": True}}
    assert render(live, NOW, NOW)["stale"] is False


def test_worker_freshness_per_segment():
    snap = {**snapshot(all=FULL_SEGMENT, billing=FULL_SEGMENT),
            "freshness": {"stale_after_s": 10.0, "stale_partitions": [],
                          "segments": {"all": {"age_s": 1.0, "stale": False},
                                       "billing": {"age_s": 40.0, "stale": True}}}}
    view = render(snap, NOW - 1, NOW, paginate=False)
    segs = {s["name"]: s for s in view["segments"]}
    assert segs["all"]["stale"] is False and segs["all"]["age_text"] == "2 s old"
    assert segs["billing"]["stale"] is True and segs["billing"]["age_text"] == "STALE · 41 s old"
    assert view["stale"] is True


def test_a_stale_partition_makes_the_board_stale_since_its_last_record():
    """The worker's freshness block as it serves it: calls are spread over partitions by
    call id, so a partition that stopped may hold back any segment."""
    snap = {**snapshot(all=FULL_SEGMENT),
            "freshness": {"clock": "wall", "stale_after_s": 10.0,
                          "stale_partitions": ["cc.call-events/1"],
                          "partitions": [
                              {"topic": "cc.call-events", "partition": 0, "lag": 0,
                               "last_record_age_s": 0.5},
                              {"topic": "cc.call-events", "partition": 1, "lag": 12,
                               "last_record_age_s": 75.0}]}}
    view = render(snap, NOW - 1, NOW)
    assert view["stale"] is True and view["segments"][0]["stale"] is True
    assert view["banner"] == "STALE since 11:05:25 UTC — no events from cc.call-events/1"


def test_on_the_event_clock_as_of_is_not_the_data_age():
    """``worker.clock = "event"``: as_of is the event-time watermark (a replay of last week)."""
    snap = {"as_of": "2026-11-11T09:00:00Z", "segments": {"all": FULL_SEGMENT},
            "freshness": {"clock": "event", "stale_partitions": []}}
    view = render(snap, NOW - 1, NOW)
    assert view["stale"] is False and view["age"] == "1 s"
    assert view["as_of"] == "Data as of 09:00:00 UTC"


@pytest.mark.parametrize(
    ("block", "base", "expected"),
    [(None, 2.0, (2.0, False)), ({"age_s": 3.0, "stale": False}, 2.0, (5.0, True)),
     ({"age_s": 0.5, "stale": True}, 0.0, (0.5, True)), ({"age_s": "x"}, 1.0, (1.0, False)),
     (None, None, (None, True))],
)
def test_segment_freshness(block, base, expected):
    snap = {"freshness": {"segments": {"q": block}}} if block is not None else {}
    assert segment_freshness(snap, "q", base, stale_after_s=4.0) == expected

"""The banner for a partition another worker owns (issue 19, finding 11): a crashed worker's
partition has no record age on the survivor's snapshot, only the age of its last partial."""

from __future__ import annotations

from dashboard.freshness import stale_partitions
from dashboard.render import render
from tests.unit.dashboard.samples import FULL_SEGMENT, NOW, snapshot


def test_a_partition_of_a_crashed_worker_is_stale_since_its_last_partial():
    snap = {**snapshot(all=FULL_SEGMENT),
            "freshness": {"clock": "wall", "stale_after_s": 30.0, "partial_stale_after_s": 2.0,
                          "stale_partitions": ["cc.call-events/1"],
                          "partitions": [
                              {"topic": "cc.call-events", "partition": 0, "lag": 0,
                               "owner": "here", "last_record_age_s": 0.5,
                               "partial_age_s": 0.0, "stale": False},
                              {"topic": "cc.call-events", "partition": 1, "lag": 806,
                               "owner": "another worker", "last_record_age_s": None,
                               "partial_age_s": 40.0, "stale": True}]}}
    assert stale_partitions(snap) == (["cc.call-events/1"], 40.0)
    view = render(snap, NOW - 1, NOW)
    assert view["stale"] is True
    assert view["banner"] == "STALE since 11:06:00 UTC — no events from cc.call-events/1"

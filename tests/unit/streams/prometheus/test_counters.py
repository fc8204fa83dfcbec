"""streams.prometheus.counters: the per-segment counters exist from 0 in every owned
partition, with the segment's SL threshold as a bucket edge of the wait histogram."""

from __future__ import annotations

from streams.prometheus import Pipeline
from tests.unit.streams.prometheus.support import registry


def test_counters_start_at_zero_for_every_segment_of_every_owned_partition() -> None:
    # a segment in the snapshot with no final call yet: its counters exist, at 0, so that
    # increase() sees the first call (a series born at 1 would hide it)
    snap = {"segments": {"all": {}, "billing": {}, "vip": {}}}
    pipe = Pipeline(now=0.0, totals={0: {}, 1: {"billing": [0] * 11 + [2] + [0] * 19}},
                    configured=frozenset({"vip"}), sl_threshold_ms={"vip": 10_000})
    reg = registry(snap, pipe)
    for partition in ("0", "1"):
        assert reg.get_sample_value("callcenter_calls_offered_total", {
            "segment": "vip", "segment_type": "configured", "partition": partition}) == 0
        assert reg.get_sample_value("callcenter_calls_answered_wait_seconds_bucket", {
            "segment": "vip", "segment_type": "configured", "partition": partition,
            "le": "10.0"}) == 0  # the segment's own threshold is a bucket edge
    assert reg.get_sample_value("callcenter_calls_dequeued_total", {
        "segment": "billing", "segment_type": "queue", "partition": "1",
        "reason": "timeout"}) == 2

"""streams.prometheus.health: the pipeline's health, exported for the partitions this
worker owns only."""

from __future__ import annotations

from streams.prometheus import Pipeline
from tests.unit.streams.prometheus.support import registry


def test_pipeline_health_per_owned_partition_only() -> None:
    fresh = {"stale_partitions": ["cc.call-events/1"], "partitions": [
        {"topic": "cc.call-events", "partition": 0, "lag": 4, "owner": "here",
         "last_event": "2026-11-22T01:00:00Z", "checkpoint_age_s": 2.5},
        {"topic": "cc.call-events", "partition": 1, "lag": 9, "owner": "another worker",
         "last_event": "2026-11-22T01:00:00Z", "checkpoint_age_s": 1.0}]}
    now = 1_795_309_210.0  # 2026-11-22T01:00:10Z
    reg = registry({"segments": {}, "freshness": fresh},
                   Pipeline(now=now, snapshot_build_s=0.01, broker_reachable=True))
    p0 = {"topic": "cc.call-events", "partition": "0"}
    assert reg.get_sample_value("callcenter_consumer_lag_records", p0) == 4
    assert reg.get_sample_value("callcenter_event_time_lag_seconds", p0) == 10.0
    assert reg.get_sample_value("callcenter_last_event_timestamp_seconds", p0) == now - 10
    assert reg.get_sample_value("callcenter_checkpoint_age_seconds", p0) == 2.5
    assert reg.get_sample_value("callcenter_consumer_lag_records", {**p0, "partition": "1"}) \
        is None  # its owner exports it
    assert reg.get_sample_value("callcenter_stale_partitions") == 1
    assert reg.get_sample_value("callcenter_broker_reachable") == 1

"""A partition another worker owns (issue 19, finding 11): its lag is judged from this
worker's own end offsets against the next offset in the owner's partial, and it is stale once
that partial is older than ``worker.partial_stale_s`` (a crashed owner's last word was "lag 0,
fresh"). No broker: the core's lag, the feed's rule, a runtime's snapshot and /metrics, and
the consumer's end-offset asks with fakes."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from aiokafka import TopicPartition

from streams.config import KafkaSettings, WorkerSettings
from streams.core.config import EngineSettings
from streams.core.engine import Engine
from streams.core.errors import ConfigError
from streams.core.partitions import Partitions, Remote
from streams.kafka_io import InputConsumer
from streams.kafka_io import consumer as consumer_module
from streams.worker import Runtime
from streams.worker.feed import partition_stale
from tests.support import run_async
from tests.unit.streams.worker.support import NOW, queued
from wallboard.settings import Settings

CALLS = "cc.call-events"
THERE = (CALLS, 1)


def remote(next_offset: int, published_at: float, lag: int = 0) -> Remote:
    """The owner's newest partial, as its last publication said: ``lag`` 0 (caught up)."""
    meta = {"newest_ms": round((NOW - 600) * 1000), "lag": lag, "next_offset": next_offset,
            "published_at": published_at, "checkpoint_at": None, "app_id": "cc-wallboard"}
    return Remote(Engine(EngineSettings()).partial(published_at), meta, published_at)


def rows(parts: Partitions) -> dict:
    return {(r["topic"], r["partition"]): r for r in parts.freshness(NOW)}


def test_the_lag_of_a_partition_owned_elsewhere_comes_from_our_own_end_offsets():
    parts = Partitions(EngineSettings(), lambda: NOW, (CALLS, "cc.agent-events"), "cc-wallboard")
    parts.assign((CALLS, 0), None)
    parts.remote[THERE] = remote(next_offset=100, published_at=NOW - 5, lag=0)
    assert rows(parts)[THERE]["lag"] is None  # no end offset asked yet: not known, not 0
    parts.note_end_offsets({(CALLS, 0): 7, THERE: 160})
    assert rows(parts)[THERE]["lag"] == 60  # records piled up after the owner's last word
    assert parts.states[(CALLS, 0)].end_offset == 7  # and our own partitions' lag, as before
    assert rows(parts)[(CALLS, 0)]["lag"] == 7
    # records waiting there: the event-clock watermark is held at its newest event
    assert parts.watermark_ms() == parts.remote[THERE].meta["newest_ms"]
    parts.note_end_offsets({THERE: 90})  # an end asked before the partial was published
    assert rows(parts)[THERE]["lag"] == 0


@pytest.mark.parametrize(("row", "down_for_s", "uptime_s", "stale"), [
    ({"owner": "another worker", "partial_age_s": 2.5, "lag": 0}, 0.0, 100.0, True),
    ({"owner": "another worker", "partial_age_s": 1.5, "lag": 60}, 0.0, 100.0, False),
    ({"owner": "another worker", "partial_age_s": None, "lag": None}, 0.0, 0.0, True),
    ({"owner": "here", "last_record_age_s": 40.0, "lag": 3}, 0.0, 100.0, True),
    ({"owner": "here", "last_record_age_s": 40.0, "lag": 0}, 0.0, 100.0, False),
    ({"owner": "here", "last_record_age_s": None, "lag": None}, 0.0, 10.0, False),
    ({"owner": None}, 0.0, 10.0, False),
    ({"owner": None}, 0.0, 31.0, True),
    ({"owner": "here", "last_record_age_s": 0.1, "lag": 0}, 31.0, 100.0, True),
])
def test_the_staleness_rule(row, down_for_s, uptime_s, stale):
    worker = WorkerSettings()  # stale_partition_s 30, partial_stale_s 2
    assert partition_stale(row, worker, down_for_s=down_for_s, uptime_s=uptime_s) is stale


def test_a_snapshot_and_metrics_flag_a_partial_older_than_partial_stale_s():
    async def scenario(age_s: float) -> tuple[dict, str]:
        rt = Runtime(replace(Settings(), kafka=KafkaSettings(bootstrap="127.0.0.1:9")),
                     lambda: NOW)
        await rt.handle(CALLS, 0, 0, b"c1", queued(1, "billing"))
        rt.partitions.remote[THERE] = remote(next_offset=100, published_at=NOW - age_s)
        rt.partitions.note_end_offsets({(CALLS, 0): 1, THERE: 130})
        published = await rt.publish_once()
        return published.snapshot["freshness"], published.metrics_text.decode()

    fresh, metrics = run_async(scenario(2.5))
    row = next(p for p in fresh["partitions"] if p["partition"] == 1)
    assert fresh["stale_partitions"] == [f"{CALLS}/1"]
    assert row["stale"] is True and row["lag"] == 30 and row["partial_age_s"] == 2.5
    assert fresh["partial_stale_after_s"] == 2.0
    assert 'callcenter_partition_stale{partition="1",topic="cc.call-events"} 1.0' in metrics
    assert 'callcenter_partition_stale{partition="0",topic="cc.call-events"} 0.0' in metrics
    assert "callcenter_stale_partitions 1.0" in metrics
    fresh, _ = run_async(scenario(1.0))  # within a few refreshes: fresh, and its lag known
    assert fresh["stale_partitions"] == []
    assert next(p for p in fresh["partitions"] if p["partition"] == 1)["lag"] == 30


@pytest.mark.parametrize(("worker", "message"), [
    (WorkerSettings(partial_stale_s=0.5), r"^worker\.partial_stale_s: must be >= 1"),
    (WorkerSettings(snapshot_interval_s=1.0, partial_stale_s=2.0),
     r"^worker\.partial_stale_s: must be at least 3 x worker\.snapshot_interval_s \(3\)"),
    (WorkerSettings(session_timeout_s=0.5), r"^worker\.session_timeout_s: must be >= 1"),
    (WorkerSettings(session_timeout_s=6.0, heartbeat_interval_s=3.0),
     r"^worker\.heartbeat_interval_s: must be at most a third of worker\.session_timeout_s"),
])
def test_the_new_worker_settings_are_checked(worker, message):
    WorkerSettings().validate("worker")
    with pytest.raises(ConfigError, match=message):
        worker.validate("worker")


class FakeConsumer:
    """What :meth:`InputConsumer.follow_end_offsets` asks of an aiokafka consumer."""

    def __init__(self, hang: bool = False) -> None:
        self.hang = hang
        self.asked: list[list[TopicPartition]] = []

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1} if topic == CALLS else {0}

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        self.asked.append(tps)
        if self.hang:
            await asyncio.Event().wait()
        return {tp: 10 * (tp.partition + 1) for tp in tps}


def test_end_offsets_are_asked_for_every_input_partition_off_the_consume_path(monkeypatch):
    monkeypatch.setattr(consumer_module, "END_OFFSETS_TIMEOUT_S", 0.05)

    async def scenario(fake: FakeConsumer) -> Partitions:
        settings = replace(Settings(), worker=WorkerSettings(snapshot_interval_s=0.05,
                                                             partial_stale_s=1.0))
        parts = Partitions(EngineSettings(), lambda: NOW, (CALLS, "cc.agent-events"), "x")

        async def nothing(*_args: object) -> None:
            return None

        task = asyncio.create_task(InputConsumer(settings, parts, asyncio.Lock(), nothing,
                                                 nothing, nothing).follow_end_offsets(fake))
        while len(fake.asked) < 2:  # a hanging ask is given up, and asked again
            await asyncio.sleep(0.01)
        task.cancel()
        return parts

    fake = FakeConsumer()
    parts = run_async(scenario(fake))
    assert {(tp.topic, tp.partition) for tp in fake.asked[0]} == {
        (CALLS, 0), (CALLS, 1), ("cc.agent-events", 0)}  # not only the assigned (none here)
    assert parts.ends == {(CALLS, 0): 10, (CALLS, 1): 20, ("cc.agent-events", 0): 10}
    hung = FakeConsumer(hang=True)
    assert run_async(scenario(hung)).ends == {}


def test_the_group_session_is_short_and_membership_dynamic(monkeypatch):
    seen: dict = {}

    class Stop(Exception):
        pass

    class FakeClient:
        def __init__(self, **kwargs: object) -> None:
            seen.setdefault("consumer" if "group_id" in kwargs else "producer", kwargs)

        async def start(self) -> None:
            raise Stop

        async def stop(self) -> None:
            return None

    monkeypatch.setattr(consumer_module, "AIOKafkaConsumer", FakeClient)
    monkeypatch.setattr(consumer_module, "AIOKafkaProducer", FakeClient)

    async def nothing(*_args: object) -> None:
        return None

    parts = Partitions(EngineSettings(), lambda: NOW, (CALLS, "cc.agent-events"), "x")
    with pytest.raises(Stop):
        run_async(InputConsumer(Settings(), parts, asyncio.Lock(), nothing, nothing,
                                nothing)._session())
    group = seen["consumer"]
    assert (group["session_timeout_ms"], group["heartbeat_interval_ms"]) == (6000, 1000)
    assert group["rebalance_timeout_ms"] == 30_000
    assert "group_instance_id" not in group  # dynamic: a clean stop leaves the group at once

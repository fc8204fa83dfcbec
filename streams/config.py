"""The ``[kafka]`` and ``[worker]`` settings, and :class:`StreamSettings`: what the worker
and the other Kafka shells read (kafka, worker, engine).

Frozen dataclasses checked key by key (see :mod:`streams.core.checks`); the whole settings
file is assembled by :mod:`wallboard.settings`. Pure: no Kafka, Faust or HTTP imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .core.checks import DAY_S, check_port, check_range, check_topic
from .core.config import EngineSettings
from .core.errors import ConfigError

__all__ = ["DEAD_LETTER_RECORD_MAX_BYTES", "INPUT_RECORD_MAX_BYTES", "STATE_RECORD_MAX_BYTES",
           "KafkaSettings", "StreamSettings", "WorkerSettings"]

STATE_RECORD_MAX_BYTES = 64 * 1024 * 1024  # one checkpoint record, compressed
# the input topics' record limit: Kafka's default (message.max.bytes), set on the topics so
# that a broker with another default does not change it; the contract's events are <= 64 KiB
INPUT_RECORD_MAX_BYTES = 1_048_588
# a dead letter is the input record plus headers (reason, source-*): its topic takes twice the
# input's limit and a margin, so that the copy of any record the input took fits
DEAD_LETTER_RECORD_MAX_BYTES = 2 * INPUT_RECORD_MAX_BYTES + 64 * 1024


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap: str = "127.0.0.1:9092"
    call_topic: str = "cc.call-events"
    agent_topic: str = "cc.agent-events"
    dead_letter_topic: str = "cc.dead-letter"
    # the workers' checkpoints (compacted, one record per app and input partition)
    state_topic: str = "cc.state"
    # per-partition partials every worker publishes and merges (compacted)
    partials_topic: str = "cc.partials"
    # the merged snapshot, for the dashboard, alerting and other readers (compacted)
    snapshots_topic: str = "cc.snapshots"
    call_partitions: int = 6
    agent_partitions: int = 3
    connect_timeout_s: float = 10.0

    def validate(self, section: str) -> None:
        for server in self.bootstrap.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ConfigError(f"{section}.bootstrap: expected host:port[,host:port...], "
                                  f"got {self.bootstrap!r}")
            check_port(f"{section}.bootstrap", int(port))
        seen: dict[str, str] = {}
        for name in ("call_topic", "agent_topic", "dead_letter_topic", "state_topic",
                     "partials_topic", "snapshots_topic"):
            topic = getattr(self, name)
            check_topic(f"{section}.{name}", topic)
            if topic in seen:  # e.g. dead letters into the call topic: one bad record loops
                raise ConfigError(f"{section}.{name}: {topic!r} is already "
                                  f"{section}.{seen[topic]}; the topics must differ")
            seen[topic] = name
        for name in ("call_partitions", "agent_partitions"):
            check_range(f"{section}.{name}", getattr(self, name), 0, 10000, low_open=True)
        check_range(f"{section}.connect_timeout_s", self.connect_timeout_s, 0, 600,
                    low_open=True)

    def topics(self) -> dict[str, int]:
        """The product's topics and their partition counts (the internal ones: one partition
        each)."""
        return {self.call_topic: self.call_partitions, self.agent_topic: self.agent_partitions,
                self.dead_letter_topic: 1, self.state_topic: 1, self.partials_topic: 1,
                self.snapshots_topic: 1}

    def topic_configs(self) -> dict[str, dict[str, str]]:
        """Topic-level settings for :func:`infra.clients.create_topics`: the internal topics
        are compacted (the latest record per key survives) and take large records; the input
        topics take :data:`INPUT_RECORD_MAX_BYTES`, the dead-letter topic more
        (:data:`DEAD_LETTER_RECORD_MAX_BYTES`: the same record plus its headers)."""
        compacted = {"cleanup.policy": "compact",
                     "max.message.bytes": str(STATE_RECORD_MAX_BYTES),
                     "segment.ms": "600000", "min.cleanable.dirty.ratio": "0.1"}
        configs = {topic: dict(compacted)
                   for topic in (self.state_topic, self.partials_topic, self.snapshots_topic)}
        configs |= {topic: {"max.message.bytes": str(INPUT_RECORD_MAX_BYTES)}
                    for topic in (self.call_topic, self.agent_topic)}
        configs[self.dead_letter_topic] = {"max.message.bytes":
                                           str(DEAD_LETTER_RECORD_MAX_BYTES)}
        return configs


@dataclass(frozen=True)
class WorkerSettings:
    app_id: str = "cc-wallboard"
    host: str = "127.0.0.1"
    port: int = 6066
    # Faust's data dir goes below this ("" = the project's cache dir, see infra.jars)
    state_dir: str = ""
    snapshot_interval_s: float = 0.25  # p99 produce -> visible under 1 s (bench/worker.py)
    shutdown_timeout_s: float = 6.0
    http_timeout_s: float = 15.0
    # "wall": snapshots as of now; "event": as of the event-time watermark (replays)
    clock: str = "wall"
    checkpoint_interval_s: float = 5.0
    # a partition owned here with records waiting and none read for this long is stale (so
    # is every partition while the broker is unreachable for this long)
    stale_partition_s: float = 30.0
    # a partition another worker owns is stale once its newest partial is older than this
    # (an idle partition's partial goes out every partial_stale_s / 4)
    partial_stale_s: float = 2.0
    # the consumer group: a crashed worker's partitions move after about session_timeout_s
    # (the broker's group.min.session.timeout.ms, 6 s by default, is the floor it accepts)
    session_timeout_s: float = 6.0
    heartbeat_interval_s: float = 1.0
    max_batch: int = 2000  # records per poll: bounds the time the consume path holds the loop

    def validate(self, section: str) -> None:
        if not self.app_id or not all(c.isalnum() or c in "._-" for c in self.app_id):
            raise ConfigError(f"{section}.app_id: expected letters, digits or ._- "
                              f"(it names the consumer group and a folder), got {self.app_id!r}")
        check_port(f"{section}.port", self.port)
        check_range(f"{section}.snapshot_interval_s", self.snapshot_interval_s, 0.05, 60)
        check_range(f"{section}.shutdown_timeout_s", self.shutdown_timeout_s, 1, 60)
        check_range(f"{section}.http_timeout_s", self.http_timeout_s, 1, 600)
        if self.clock not in ("wall", "event"):
            raise ConfigError(f"{section}.clock: must be wall or event, got {self.clock!r}")
        check_range(f"{section}.checkpoint_interval_s", self.checkpoint_interval_s, 0.1, 3600)
        check_range(f"{section}.stale_partition_s", self.stale_partition_s, 1, DAY_S)
        check_range(f"{section}.partial_stale_s", self.partial_stale_s, 1, 3600)
        if self.partial_stale_s < 3 * self.snapshot_interval_s:
            raise ConfigError(f"{section}.partial_stale_s: must be at least 3 x "
                              f"{section}.snapshot_interval_s ({3 * self.snapshot_interval_s:g}),"
                              f" got {self.partial_stale_s}")
        check_range(f"{section}.session_timeout_s", self.session_timeout_s, 1, 1800)
        check_range(f"{section}.heartbeat_interval_s", self.heartbeat_interval_s, 0.1, 600)
        if self.heartbeat_interval_s > self.session_timeout_s / 3:
            raise ConfigError(f"{section}.heartbeat_interval_s: must be at most a third of "
                              f"{section}.session_timeout_s ({self.session_timeout_s / 3:g}), "
                              f"got {self.heartbeat_interval_s}")
        check_range(f"{section}.max_batch", self.max_batch, 1, 100_000)


@dataclass(frozen=True)
class StreamSettings:
    """The sections the stream processor reads; :class:`wallboard.settings.Settings` adds
    the dashboard's and the alerts' to them."""

    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)

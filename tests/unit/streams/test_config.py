"""The ``[kafka]`` and ``[worker]`` sections and what the stream processor reads."""

from __future__ import annotations

import pytest

from streams.config import KafkaSettings, StreamSettings, WorkerSettings
from streams.core.config import EngineSettings
from streams.core.errors import ConfigError


def test_defaults_are_valid():
    KafkaSettings().validate("kafka")
    WorkerSettings().validate("worker")
    s = StreamSettings()
    assert (s.kafka, s.worker, s.engine) == (KafkaSettings(), WorkerSettings(), EngineSettings())


def test_topics_and_their_configs():
    kafka = KafkaSettings()
    assert kafka.topics()["cc.call-events"] == 6 and kafka.topics()["cc.state"] == 1
    assert set(kafka.topic_configs()) == {"cc.state", "cc.partials", "cc.snapshots",
                                          "cc.call-events", "cc.agent-events", "cc.dead-letter"}
    assert kafka.topic_configs()["cc.state"]["cleanup.policy"] == "compact"


@pytest.mark.parametrize(("settings", "message"), [
    (KafkaSettings(bootstrap="nohost"), r"^kafka\.bootstrap: expected host:port"),
    (KafkaSettings(dead_letter_topic="cc.call-events"), "is already kafka.call_topic"),
    (KafkaSettings(call_partitions=0), r"^kafka\.call_partitions: must be > 0"),
    (WorkerSettings(app_id="a b"), r"^worker\.app_id: expected letters"),
    (WorkerSettings(clock="event-ish"), r"^worker\.clock: must be wall or event"),
    (WorkerSettings(max_batch=0), r"^worker\.max_batch: must be >= 1"),
])
def test_bad_values_name_the_key(settings, message):
    with pytest.raises(ConfigError, match=message):
        settings.validate(settings.__class__.__name__.removesuffix("Settings").lower())

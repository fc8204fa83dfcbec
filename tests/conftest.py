"""Shared fixtures. ``kafka``: the real broker, one per session, random ports, temp dir.

Uses the same ``infra.broker`` code as ``wallboard kafka start``. The broker starts lazily, on
first use; every test that uses it is marked ``integration``, every test under
``tests/browser`` is marked ``browser``. Where a missing tool is a failure (CI:
``tests.support.missing_is_a_failure``), a missing Chromium is one too.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from infra.broker import BrokerSpec, KafkaBroker
from infra.clients import create_topics, free_port
from streams.config import KafkaSettings
from tests.support import missing_is_a_failure
from wallboard.settings import Settings


def pytest_configure(config: pytest.Config) -> None:
    # The browser fixture (tests/browser/conftest.py) fails instead of skipping on this flag.
    if missing_is_a_failure():
        os.environ["WALLBOARD_REQUIRE_BROWSER"] = "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "kafka" in getattr(item, "fixturenames", ()) or "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


_BROKER_REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Say in CI's output which tests ran against the real broker, and how it behaved."""
    if not _BROKER_REPORT:
        return
    stats = terminalreporter.stats
    on_broker = [r for key in ("passed", "failed", "error") for r in stats.get(key, [])
                 if r.when == "call" and "integration" in r.keywords]
    passed = sum(1 for r in on_broker if r.passed)
    terminalreporter.write_sep("-", "real Kafka broker")
    for line in _BROKER_REPORT:
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"integration tests on real brokers (this one, or their own "
                                f"through `wallboard kafka`): {passed} passed of {len(on_broker)}")


@dataclass(frozen=True)
class RunningKafka:
    broker: KafkaBroker
    bootstrap: str
    startup_s: float
    rss_bytes: int | None

    def settings(self, suffix: str | None = None) -> Settings:
        """Settings with this broker and fresh topic names (isolated per test)."""
        suffix = suffix or uuid.uuid4().hex[:8]
        kafka = KafkaSettings(bootstrap=self.bootstrap, call_topic=f"calls-{suffix}",
                              agent_topic=f"agents-{suffix}", dead_letter_topic=f"dlq-{suffix}",
                              state_topic=f"state-{suffix}",
                              partials_topic=f"partials-{suffix}",
                              snapshots_topic=f"snapshots-{suffix}", call_partitions=3,
                              agent_partitions=2)
        create_topics(self.bootstrap, kafka.topics(), log=lambda _m: None,
                      configs=kafka.topic_configs())
        return replace(Settings(), kafka=kafka)


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKafka]:
    spec = BrokerSpec(state_dir=tmp_path_factory.mktemp("kafka"), port=free_port(),
                      controller_port=free_port())
    broker = KafkaBroker(spec)
    started = time.monotonic()
    try:
        broker.start()
        running = RunningKafka(broker, spec.bootstrap, time.monotonic() - started,
                               broker.rss_bytes())
        _BROKER_REPORT.append(
            f"Apache Kafka (KRaft) on {spec.bootstrap}: ready in {running.startup_s:.1f} s "
            f"(JVM start to first metadata answer), RSS {(running.rss_bytes or 0) / 2**20:.0f} "
            f"MiB; state in {spec.state_dir}")
        yield running
    finally:
        broker.stop()

"""streams.producer (and the commands that produce) against a Kafka broker that is down: one
line and a few seconds, never a traceback.

Every command runs against a free port with nothing listening (or a port that accepts
connections but never speaks Kafka): exit code 1, one stderr line naming the bootstrap
address, within ``kafka.connect_timeout_s`` (the README's promise) plus a margin named below:
they check the deadline, not speed. Then a producer whose broker dies mid-send (kafka-python's
producer replaced by a fake that never acknowledges).
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from kafka.errors import KafkaTimeoutError

import streams.producer as producer_module
from infra.clients import free_port
from infra.errors import BrokerError, BrokerUnavailable
from streams.config import KafkaSettings
from streams.producer import EventProducer
from wallboard.cli import main

EVENT = {"spec_version": 1, "type": "call.queued", "call_id": "c-1"}
CONNECT_TIMEOUT_S = 3  # kafka.connect_timeout_s in the short_timeout config
# On top of the timeout: SCHEDULING_S for a loaded 2-core machine, and START_S more for a
# `wallboard` subprocess to start (the interpreter and its imports: about 0.5 s here).
SCHEDULING_S, START_S = 1.5, 2.5


def run_cli(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "wallboard", *args], capture_output=True,
                          text=True, timeout=120)
    return proc, time.monotonic() - started


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_bytes(orjson.dumps({
        "spec_version": 1, "event_id": "e-1", "type": "call.queued",
        "ts": "2026-11-22T09:00:00Z", "call_id": "c-1", "queue": "billing",
    }) + b"\n")
    return path


@pytest.fixture
def short_timeout(tmp_path: Path) -> Path:
    cfg = tmp_path / "wallboard.toml"
    cfg.write_text(f"[kafka]\nconnect_timeout_s = {CONNECT_TIMEOUT_S}\n")
    return cfg


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel's backlog) but never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield s.getsockname()[1]


@pytest.fixture
def kafka_logger_level() -> Iterator[None]:
    """``main()`` quiets kafka-python's logger; restore it for the other tests."""
    logger = logging.getLogger("kafka")
    level = logger.level
    yield
    logger.setLevel(level)


def commands(events_file: Path) -> dict[str, list[str]]:
    return {
        "replay": ["replay", str(events_file)],
        "simulate": ["simulate", "--duration", "5"],
        "kafka topics": ["kafka", "topics"],
    }


def assert_one_line(proc: subprocess.CompletedProcess[str], bootstrap: str, timeout_s: int,
                    reason: str = "connection refused") -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].endswith(f"cannot reach the Kafka broker at {bootstrap} within {timeout_s} s "
                             f"({reason})"), lines[0]


@pytest.mark.parametrize("command", ["replay", "simulate", "kafka topics"])
def test_commands_against_a_down_broker_fail_in_one_line(command, events_file, short_timeout):
    bootstrap = f"127.0.0.1:{free_port()}"
    proc, elapsed = run_cli(*commands(events_file)[command], "--bootstrap", bootstrap,
                            "--config", str(short_timeout))
    assert_one_line(proc, bootstrap, CONNECT_TIMEOUT_S)
    assert proc.stderr.startswith(f"wallboard {command.split()[0]}: ")
    # waited for the broker for the timeout, and no longer (kafka-python alone: 31 s)
    assert CONNECT_TIMEOUT_S <= elapsed <= CONNECT_TIMEOUT_S + START_S + SCHEDULING_S, elapsed


def test_the_default_timeout_is_ten_seconds(events_file):
    bootstrap = f"127.0.0.1:{free_port()}"
    default = KafkaSettings().connect_timeout_s
    assert default == 10  # the README's and docs/configuration.md's default
    proc, elapsed = run_cli(*commands(events_file)["replay"], "--bootstrap", bootstrap)
    assert_one_line(proc, bootstrap, 10)
    assert proc.stdout == ""
    assert default <= elapsed <= default + START_S + SCHEDULING_S, elapsed


@pytest.mark.parametrize("command", ["simulate", "kafka topics"])
def test_a_port_that_is_not_kafka_fails_in_one_line_without_kafka_logs(
        command, events_file, short_timeout, silent_port, capsys, caplog, kafka_logger_level):
    bootstrap = f"127.0.0.1:{silent_port}"
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    code = main([*commands(events_file)[command], "--bootstrap", bootstrap,
                 "--config", str(short_timeout)])
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    proc = subprocess.CompletedProcess([], code, "", err)
    assert_one_line(proc, bootstrap, CONNECT_TIMEOUT_S,
                    "the port accepts connections but no Kafka broker answered")
    assert elapsed <= CONNECT_TIMEOUT_S + SCHEDULING_S, elapsed
    kafka_records = [r for r in caplog.records
                     if r.name.startswith("kafka") and r.levelno >= logging.WARNING]
    assert kafka_records == []


# -- a producer whose broker dies mid-send ------------------------------------------------


class _Future:
    def __init__(self) -> None:
        self.errbacks: list = []

    def add_callback(self, _f: object) -> None:
        pass

    def add_errback(self, f: object) -> None:
        self.errbacks.append(f)


class _DeadBrokerProducer:
    """kafka-python's KafkaProducer after its broker died: sends are buffered, nothing is ever
    acknowledged. An unbounded flush would block forever: here it fails the test instead."""

    def __init__(self, **config: object) -> None:
        self.config = config
        self.flushes: list[float | None] = []
        self.closed_with: float | None = None
        self._closed = False
        self._sender = self
        self.forced = False
        self.futures: list[_Future] = []

    def send(self, topic: str, key: bytes | None = None, value: bytes | None = None) -> _Future:
        self.futures.append(_Future())
        return self.futures[-1]

    def flush(self, timeout: float | None = None) -> None:
        self.flushes.append(timeout)
        if timeout is None:
            raise AssertionError("flush without a timeout blocks forever on a dead broker")
        if not self.forced:
            raise KafkaTimeoutError("Timeout waiting for future")

    def close(self, timeout: float | None = None) -> None:
        self.flush(timeout)
        self.closed_with = timeout
        self._closed = True

    # the sender thread's part
    def force_close(self) -> None:
        self.forced = True

    def join(self, timeout: float | None = None) -> None:
        assert timeout is not None


@pytest.fixture
def dead_broker(monkeypatch) -> Iterator[list[_DeadBrokerProducer]]:
    made: list[_DeadBrokerProducer] = []

    def connect(factory: object, bootstrap: str, *, timeout_s: float, **config: object):
        made.append(_DeadBrokerProducer(bootstrap=bootstrap, timeout_s=timeout_s, **config))
        return made[-1]

    monkeypatch.setattr(producer_module, "kafka_client", connect)
    yield made


def test_close_after_the_broker_died_is_bounded_and_reports_one_line(dead_broker):
    settings = KafkaSettings(bootstrap="127.0.0.1:19999", connect_timeout_s=2.0)
    producer = EventProducer(settings)
    fake = dead_broker[0]
    assert fake.config["timeout_s"] == 2.0 and fake.config["max_block_ms"] == 2000
    assert producer.send([EVENT, EVENT]) == 2
    with pytest.raises(BrokerUnavailable) as info:
        producer.close()
    assert str(info.value) == ("cannot reach the Kafka broker at 127.0.0.1:19999 within 2 s "
                               "(2 of 2 records not acknowledged)")
    assert fake.forced and fake._closed  # abandoned: kafka-python's exit handler has no work
    assert None not in fake.flushes
    producer.close()  # idempotent, no second wait


def test_flush_is_bounded_and_close_after_an_outage_does_not_wait_again(dead_broker):
    producer = EventProducer(KafkaSettings(connect_timeout_s=2.0))
    producer.send([EVENT])
    with pytest.raises(BrokerUnavailable, match=r"within 2 s \(1 of 1 records not acknowledged"):
        producer.flush()
    fake = dead_broker[0]
    flushes = len(fake.flushes)
    producer.close()  # the outage was reported: drop the rest, do not wait another timeout
    assert fake.forced and fake._closed
    assert fake.flushes[flushes:] == [0]


def test_a_send_blocked_on_a_dead_broker_is_one_line(dead_broker, monkeypatch):
    producer = EventProducer(KafkaSettings(connect_timeout_s=2.0))

    def blocked(*_a: object, **_k: object) -> None:
        raise KafkaTimeoutError("Failed to update metadata after 2.0 secs.")

    monkeypatch.setattr(dead_broker[0], "send", blocked)
    with pytest.raises(BrokerUnavailable, match="no metadata for cc.call-events"):
        producer.send([EVENT])


def test_failed_deliveries_are_reported_by_the_next_send(dead_broker):
    producer = EventProducer(KafkaSettings(bootstrap="127.0.0.1:19999"))
    producer.send([EVENT, EVENT])
    for future in dead_broker[0].futures:
        for errback in future.errbacks:
            errback(KafkaTimeoutError("Expiring 1 record(s): 120000 ms has passed"))
    with pytest.raises(BrokerError, match="2 of 2 records could not be delivered to Kafka at "
                                          "127.0.0.1:19999"):
        producer.send([EVENT])

"""Broker management without starting a broker: config, pid files, heap sizes."""

from __future__ import annotations

import os
import subprocess

import pytest

from infra.broker import BrokerError, BrokerSpec, KafkaBroker, free_port, min_heap


def test_properties_describe_a_single_node_kraft_broker(tmp_path):
    props = BrokerSpec(tmp_path, port=19092).properties()
    lines = dict(line.split("=", 1) for line in props.splitlines())
    assert lines["process.roles"] == "broker,controller"
    assert lines["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert lines["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert lines["log.dirs"] == str(tmp_path / "data")
    assert lines["offsets.topic.replication.factor"] == "1"


def test_status_of_a_missing_and_a_stale_pid_file(tmp_path):
    broker = KafkaBroker(BrokerSpec(tmp_path, port=free_port()), log=lambda _m: None)
    assert not broker.status().running
    dead = subprocess.Popen(["true"])
    dead.wait()
    broker.pid_path.write_text(f"{dead.pid}\n")
    status = broker.status()
    assert not status.running and status.pid is None
    assert "not running" in status.describe()
    assert broker.stop() is False
    assert not broker.pid_path.exists()


def test_status_of_a_live_pid(tmp_path):
    broker = KafkaBroker(BrokerSpec(tmp_path, port=free_port()), log=lambda _m: None)
    broker.pid_path.write_text(f"{os.getpid()}\n")
    assert broker.status().running and broker.status().pid == os.getpid()


def test_start_refuses_a_busy_port(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        broker = KafkaBroker(BrokerSpec(tmp_path, port=port), log=lambda _m: None)
        with pytest.raises(BrokerError, match=f"port {port} on 127.0.0.1 is already in use"):
            broker.start()


@pytest.mark.parametrize(("heap", "initial"), [("512m", "128m"), ("1g", "256m"), ("128m", "64m")])
def test_initial_heap_is_a_quarter(heap, initial):
    assert min_heap(heap) == initial


def test_bad_heap_is_rejected():
    with pytest.raises(BrokerError, match="heap: expected a size"):
        min_heap("lots")

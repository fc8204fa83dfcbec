"""infra.broker without starting a broker: config, pid files, heap sizes, cluster ids."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.broker import KAFKA_MAIN, BrokerSpec, KafkaBroker, min_heap
from infra.clients import free_port
from infra.errors import BrokerError
from infra.pidfile import PidRecord, _proc_start_ticks
from tests.support import wait_until

# A live process that is not the broker and writes down each SIGTERM and SIGWINCH it gets.
SIGNAL_RECORDER = """
import signal, sys, time
out = open(sys.argv[1], "a", buffering=1)
note = lambda signum, _frame: out.write(signal.Signals(signum).name + "\\n")
signal.signal(signal.SIGTERM, note)
signal.signal(signal.SIGWINCH, note)
out.write("ready\\n")
while True:
    time.sleep(60)
"""


@pytest.fixture
def spawn() -> Iterator:
    """Start processes for a test (``spawn(argv)``); kill whatever is left at the end."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(argv: list[str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)  # noqa: S603 - test argv
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def fake_broker(spawn, props: Path) -> subprocess.Popen[bytes]:
    """A process whose command line looks like our broker's: ``... kafka.Kafka <props>``."""
    proc = spawn([sys.executable, "-c", "import time; time.sleep(60)", KAFKA_MAIN, str(props)])
    wait_until(lambda: KAFKA_MAIN.encode() in Path(f"/proc/{proc.pid}/cmdline").read_bytes(),
               timeout=10, every=0.01, proc=proc, what="the fake broker to start")
    return proc


def signal_recorder(spawn, record: Path) -> subprocess.Popen[bytes]:
    proc = spawn([sys.executable, "-c", SIGNAL_RECORDER, str(record)])
    wait_until(lambda: record.read_text() == "ready\n", timeout=10, every=0.01, proc=proc,
               what="the signal recorder to listen")
    return proc


def signals_noted(proc: subprocess.Popen[bytes], record: Path) -> list[str]:
    """The signals ``proc`` noted so far, after a SIGWINCH sent now has been noted: a signal
    sent to it before (it is pending by then) is handled first, SIGTERM being the lower."""
    winches = record.read_text().split().count("SIGWINCH") + 1
    proc.send_signal(signal.SIGWINCH)
    wait_until(lambda: record.read_text().split().count("SIGWINCH") == winches, timeout=10,
               every=0.01, proc=proc, what="the recorder to note our SIGWINCH")
    return record.read_text().split()[1:]


def quiet_broker(tmp_path: Path, port: int | None = None) -> tuple[KafkaBroker, list[str]]:
    logged: list[str] = []
    broker = KafkaBroker(BrokerSpec(tmp_path, port=port or free_port()), log=logged.append)
    return broker, logged


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


def test_status_of_a_live_pid(tmp_path, spawn):
    # A live pid counts only when it is provably this broker (kafka.Kafka with this state
    # dir's server.properties); a pid-only file of an older version is accepted on that proof.
    broker = KafkaBroker(BrokerSpec(tmp_path, port=free_port()), log=lambda _m: None)
    proc = fake_broker(spawn, broker.properties_path)
    broker.pid_path.write_text(f"{proc.pid}\n")
    assert broker.status().running and broker.status().pid == proc.pid
    broker.pid_path.write_text(PidRecord(proc.pid, _proc_start_ticks(proc.pid)).dumps())
    assert broker.status().running and broker.status().pid == proc.pid
    assert f"running (pid {proc.pid})" in broker.status().describe()


def test_a_live_pid_of_another_process_is_not_running(tmp_path):
    broker = KafkaBroker(BrokerSpec(tmp_path, port=free_port()), log=lambda _m: None)
    broker.pid_path.write_text(f"{os.getpid()}\n")  # pytest: alive, but not a broker
    status = broker.status()
    assert not status.running and status.pid is None


def test_stop_and_status_never_touch_a_live_unrelated_process(tmp_path, spawn):
    """Issue 8: a stale broker.pid holding the pid of another live process (a recycled pid):
    ``stop`` must not signal it and ``status`` must not call it running."""
    broker, logged = quiet_broker(tmp_path)
    sleeper = signal_recorder(spawn, tmp_path / "signals")
    texts = (f"{sleeper.pid}\n",  # pid-only file of an older version
             PidRecord(sleeper.pid, _proc_start_ticks(sleeper.pid)).dumps())
    for n, text in enumerate(texts, 1):
        broker.pid_path.write_text(text)
        status = broker.status()
        assert not status.running and status.pid is None
        assert "not running" in status.describe()
        assert broker.stop(timeout_s=1) is False
        assert signals_noted(sleeper, tmp_path / "signals") == ["SIGWINCH"] * n, \
            "stop signalled a process that is not the broker"
        assert sleeper.poll() is None
        assert not broker.pid_path.exists()
    assert logged[-2:] == [
        f"kafka: removing stale pid file {broker.pid_path} (pid {sleeper.pid} is another "
        "process, not this broker)",
        "kafka: not running",
    ]


def test_a_recycled_pid_is_not_ours_even_with_a_broker_like_command_line(tmp_path, spawn):
    broker, _ = quiet_broker(tmp_path)
    proc = fake_broker(spawn, broker.properties_path)
    ticks = _proc_start_ticks(proc.pid)
    assert ticks is not None
    assert broker.is_ours(PidRecord(proc.pid, ticks))
    assert not broker.is_ours(PidRecord(proc.pid, ticks + 1))  # started at another time
    other, _ = quiet_broker(tmp_path / "other")  # another state dir's broker
    assert not other.is_ours(PidRecord(proc.pid, ticks))
    assert not other.is_ours(PidRecord(proc.pid))


def test_stop_terminates_our_broker_and_removes_the_pid_file(tmp_path, spawn):
    broker, logged = quiet_broker(tmp_path)
    proc = fake_broker(spawn, broker.properties_path)
    broker.pid_path.write_text(f"{proc.pid}\n")
    assert broker.stop(timeout_s=10) is True
    assert proc.wait(timeout=10) == -15  # SIGTERM
    assert not broker.pid_path.exists()
    assert logged[-1] == f"kafka: stopped (pid {proc.pid})"


def test_start_with_a_stale_pid_file_of_a_live_process_removes_it_and_starts(tmp_path, spawn):
    """``start`` must neither say "already running" nor touch the process: it removes the
    file, says so in one line and goes on starting (here up to the port check, no Java)."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        broker, logged = quiet_broker(tmp_path, busy.getsockname()[1])
        sleeper = spawn(["sleep", "60"])
        broker.pid_path.write_text(f"{sleeper.pid}\n")
        with pytest.raises(BrokerError, match="is already in use"):
            broker.start()
    assert logged == [f"kafka: removing stale pid file {broker.pid_path} (pid {sleeper.pid} "
                      "is another process, not this broker)"]
    assert not broker.pid_path.exists()
    assert sleeper.poll() is None


def test_start_of_a_running_broker_is_a_no_op(tmp_path, spawn):
    broker, logged = quiet_broker(tmp_path)
    proc = fake_broker(spawn, broker.properties_path)
    broker.pid_path.write_text(PidRecord(proc.pid, _proc_start_ticks(proc.pid)).dumps())
    assert broker.start().pid == proc.pid
    assert logged == [f"kafka: already running (pid {proc.pid}) on {broker.spec.bootstrap}"]


@pytest.mark.parametrize("text", ["", "garbage\n", "-3\n"])
def test_an_unreadable_pid_file_is_stale(tmp_path, text):
    broker, logged = quiet_broker(tmp_path)
    broker.pid_path.write_text(text)
    assert broker.inspect_pid_file() == (None, "not a pid file")
    assert broker.stop() is False
    assert not broker.pid_path.exists()
    assert logged[0].startswith("kafka: removing stale pid file")


def test_a_relative_state_dir_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    broker = KafkaBroker(BrokerSpec(Path("state"), port=free_port()), log=lambda _m: None)
    assert broker.spec.state_dir == tmp_path / "state"
    assert f"log.dirs={tmp_path / 'state' / 'data'}" in broker.spec.properties()


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


def test_cluster_ids_never_start_with_a_dash_the_storage_tool_would_read_as_an_option():
    import base64

    from infra.broker import new_cluster_id

    ids = [new_cluster_id() for _ in range(3000)]  # about 47 would start with "-" by chance
    assert not any(i.startswith("-") for i in ids)
    assert all(len(base64.urlsafe_b64decode(i + "==")) == 16 for i in ids)
    assert len(set(ids)) == len(ids)

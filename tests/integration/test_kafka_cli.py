"""`wallboard kafka start|status|stop` as a user runs it: a second broker in a temp dir."""

from __future__ import annotations

import subprocess
import sys
import time

from kafka import KafkaConsumer, TopicPartition

from infra.clients import free_port
from tests.support import wait_until

# The simulate run the broker dies under: how long it runs, the connect timeout it is given
# (the README: a command against a down broker fails within kafka.connect_timeout_s), and the
# margin allowed on top for the process to exit (kafka-python's threads, a loaded machine).
RUN_S, CONNECT_TIMEOUT_S, EXIT_MARGIN_S = 8, 3, 3.0


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wallboard", *args], capture_output=True,
                          text=True, timeout=180)


def records_in(bootstrap: str, topic: str) -> int:
    """How many records ``topic`` holds (the sum of its partitions' end offsets)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(parts).values()) if parts else 0
    finally:
        consumer.close()


def test_start_is_idempotent_handles_stale_pid_and_stops_cleanly(tmp_path):
    port = free_port()
    state = tmp_path / "kafka"
    state.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    (state / "broker.pid").write_text(f"{dead.pid}\n")  # left by a crashed run
    common = ["kafka", "--bootstrap", f"127.0.0.1:{port}", "--state-dir", str(state),
              "--controller-port", str(free_port())]
    try:
        first = cli(*common[:1], "start", *common[1:])
        assert first.returncode == 0, first.stderr
        assert "removing stale pid file" in first.stdout
        assert "created topics cc.call-events(6), cc.agent-events(3), cc.dead-letter(1)" \
            in first.stdout
        assert f"log: {state / 'broker.log'}" in first.stdout

        again = cli("kafka", "start", *common[1:])
        assert again.returncode == 0 and "already running" in again.stdout

        status = cli("kafka", "status", *common[1:])
        assert status.returncode == 0 and "running (pid" in status.stdout
    finally:
        stop = cli("kafka", "stop", *common[1:])
    assert stop.returncode == 0 and "stopped" in stop.stdout
    after = cli("kafka", "status", *common[1:])
    assert after.returncode == 3 and "not running" in after.stdout
    assert not (state / "broker.pid").exists()


def test_a_stale_pid_of_a_live_process_is_never_signalled_and_a_dying_broker_is_one_line(
        tmp_path):
    """Issue 8. A broker.pid naming another live process (a recycled pid): ``status`` says not
    running, ``stop`` leaves the process alone, ``start`` removes the file and starts. Then
    the broker stops under a running ``simulate``: it ends with one line, without hanging."""
    port = free_port()
    state = tmp_path / "kafka"
    state.mkdir()
    cfg = tmp_path / "wallboard.toml"
    cfg.write_text(f"[kafka]\nconnect_timeout_s = {CONNECT_TIMEOUT_S}\n")
    common = ["--bootstrap", f"127.0.0.1:{port}", "--state-dir", str(state),
              "--controller-port", str(free_port())]
    sleeper = subprocess.Popen(["sleep", "120"])
    simulate = None
    try:
        (state / "broker.pid").write_text(f"{sleeper.pid}\n")
        status = cli("kafka", "status", *common)
        assert status.returncode == 3 and "not running" in status.stdout, status.stdout
        stop = cli("kafka", "stop", *common)
        assert stop.returncode == 0 and "not running" in stop.stdout
        assert "removing stale pid file" in stop.stdout
        assert sleeper.poll() is None, "stop signalled an unrelated process"

        (state / "broker.pid").write_text(f"{sleeper.pid}\n")
        start = cli("kafka", "start", *common)
        assert start.returncode == 0, start.stderr
        assert "already running" not in start.stdout
        assert (f"removing stale pid file {state / 'broker.pid'} (pid {sleeper.pid} is another "
                "process, not this broker)") in start.stdout
        assert "kafka: ready on" in start.stdout
        assert sleeper.poll() is None

        simulate = subprocess.Popen(
            [sys.executable, "-m", "wallboard", "simulate", "--bootstrap", f"127.0.0.1:{port}",
             "--config", str(cfg), "--duration", str(RUN_S), "--rate", "20"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # the broker dies under a simulate that is sending: once its first events are in
        wait_until(lambda: records_in(f"127.0.0.1:{port}", "cc.call-events") > 0, timeout=30,
                   every=0.1, what="simulate's first events in the broker")
        assert simulate.poll() is None, simulate.communicate()
        assert cli("kafka", "stop", *common).returncode == 0
        stopped = time.monotonic()
        out, err = simulate.communicate(timeout=60)
        elapsed = time.monotonic() - stopped
        assert simulate.returncode == 1, (out, err)
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith(f"wallboard simulate: cannot reach the Kafka broker at "
                                   f"127.0.0.1:{port} within {CONNECT_TIMEOUT_S} s ("), lines[0]
        # at most the rest of the run, then the connect timeout for the last events
        assert elapsed <= RUN_S + CONNECT_TIMEOUT_S + EXIT_MARGIN_S, elapsed
    finally:
        if simulate is not None and simulate.poll() is None:
            simulate.kill()
            simulate.wait()
        cli("kafka", "stop", *common)
        assert sleeper.poll() is None
        sleeper.kill()
        sleeper.wait()

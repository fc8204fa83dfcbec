"""`wallboard kafka start|status|stop` as a user runs it: a second broker in a temp dir."""

from __future__ import annotations

import subprocess
import sys

from infra.broker import free_port


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "streams.cli", *args], capture_output=True,
                          text=True, timeout=180)


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

"""The README's run command for real: ``bash scripts/run.sh`` (the set-up, then ``wallboard
demo``: broker, worker, simulator, alerting and wallboard) on free ports, with its state in a
temp dir. Ten times the default traffic and the billing surge at once (``--rate 10
--surge-after 0``) make the story short: Chromium sees billing's tiles turn to BREACH and the
surge alert in the ticker within about two minutes. Then SIGTERM (what Ctrl-C is for a
background job) stops it: it exits 0, no process it started is left and every port is free.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from infra.broker import BrokerSpec, KafkaBroker
from infra.clients import free_port, port_free
from tests.support import REPO, get_json, wait_until

pytestmark = pytest.mark.integration  # a broker of its own, through the demo

PORTS = ("kafka", "controller", "worker", "board", "alerts")
STARTED = re.compile(r"^demo: started (\w+) \(pid (\d+)\)", re.MULTILINE)
BROKER = re.compile(r"^kafka: ready on \S+ in \S+ s \(pid (\d+)\)", re.MULTILINE)
START_S = 240  # set-up, broker, worker and board on a busy 2-core machine
STORY_MS = 240_000  # the surge, seen on the board and in the ticker (about 2 minutes)
STOP_S = 90  # the demo stops its children (15 s each at most), then the broker (30 s)
# What the README's command runs with: no test switches (setup.sh would install test tools)
DROPPED_ENV = ("WALLBOARD_BROWSER", "WALLBOARD_TEST_TOOLS", "WALLBOARD_REQUIRE_TOOLS",
               "WALLBOARD_CONFIG")


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_ticks(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def alive(pid: int, ticks: int | None) -> bool:
    """Whether ``pid`` still runs and is the process that had start time ``ticks`` (a
    recycled pid is another process; a zombie has ended)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z" and int(fields[19]) == ticks


def descendants(root: int) -> dict[int, int | None]:
    """Every process below ``root`` (children, theirs, ...) with its start time."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields:
            parent[int(entry.name)] = int(fields[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parent.items() if ppid in frontier} - found
        found |= frontier
    return {pid: start_ticks(pid) for pid in found}


@dataclass
class Demo:
    proc: subprocess.Popen[bytes]
    log: Path
    ports: dict[str, int]
    state_dir: Path
    tree: dict[int, int | None] = field(default_factory=dict)  # pid -> start time

    def url(self, part: str, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.ports[part]}{path}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def pids(self) -> dict[str, int]:
        """The processes the demo said it started: broker, worker, simulator, ..."""
        out = self.output()
        named = {name: int(pid) for name, pid in STARTED.findall(out)}
        broker = BROKER.search(out)
        return {**named, "broker": int(broker.group(1))} if broker else named


def _free_ports() -> dict[str, int]:
    ports: set[int] = set()
    while len(ports) < len(PORTS):
        ports.add(free_port())
    return dict(zip(PORTS, sorted(ports), strict=True))


def _stop_everything(demo: Demo) -> None:
    """Whatever the test's outcome: the demo, then anything it left, then its broker."""
    if demo.proc.poll() is None:
        demo.proc.send_signal(signal.SIGTERM)
        try:
            demo.proc.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(demo.proc.pid, signal.SIGKILL)  # its session: the demo's own
            demo.proc.wait()
    for pid, ticks in demo.tree.items():
        if alive(pid, ticks):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    KafkaBroker(BrokerSpec(state_dir=demo.state_dir, port=demo.ports["kafka"],
                           controller_port=demo.ports["controller"])).stop()  # if still up


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    ports = _free_ports()
    state_dir = tmp_path / "kafka"
    argv = ["bash", str(REPO / "scripts" / "run.sh"),
            "--bootstrap", f"127.0.0.1:{ports['kafka']}",
            "--controller-port", str(ports["controller"]), "--worker-port", str(ports["worker"]),
            "--board-port", str(ports["board"]), "--alerts-port", str(ports["alerts"]),
            "--state-dir", str(state_dir), "--rate", "10", "--surge-after", "0"]
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env["PYTHONUNBUFFERED"] = "1"  # the log shows each line as it is printed
    log = tmp_path / "run.sh.log"
    with log.open("wb") as logf:
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=logf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    running = Demo(proc, log, ports, state_dir)
    try:
        yield running
    finally:
        _stop_everything(running)


def _started(demo: Demo) -> None:
    """Until the demo printed the board's URL (it does once the board answers); then the
    process tree holds the broker, the worker, the simulator, the alerts and the board."""
    wait_until(lambda: f"wallboard:  {demo.url('board')}" in demo.output(), timeout=START_S,
               what="the demo's wallboard URL", proc=demo.proc, log_path=demo.log)
    pids = demo.pids()
    assert sorted(pids) == ["alerts", "broker", "dashboard", "simulator", "worker"], pids
    demo.tree = descendants(demo.proc.pid)
    assert set(pids.values()) <= set(demo.tree), (pids, demo.tree)


def _surge_is_shown(demo: Demo, page) -> None:
    """Billing's tiles in BREACH (its page comes round every 80 s) and the surge alert in
    the ticker; the alerting API fires the surge rule for billing only."""
    page.goto(demo.url("board"))
    page.wait_for_selector('.tile[data-tile$="-billing"].bad', timeout=STORY_MS)
    page.wait_for_function(
        "Array.from(document.querySelectorAll('#ticker .ttext'))"
        ".some(e => e.innerText.startsWith('surge · billing'))", timeout=STORY_MS)
    firing = get_json(demo.url("alerts", "/api/v1/alerts"))["alerts"]
    surges = sorted(a["segment"] for a in firing if a["rule"] == "surge")
    assert surges == ["billing"], firing  # calm queues stay calm: no learned-baseline slip


def test_run_sh_shows_the_surge_and_stops_cleanly(demo, page, artifacts):
    _started(demo)
    _surge_is_shown(demo, page)
    page.screenshot(path=str(artifacts / "wallboard-demo-surge.png"))
    assert page.console_log.errors == []
    page.close()  # no connection of ours holds the board up while it stops

    demo.proc.send_signal(signal.SIGTERM)
    assert demo.proc.wait(timeout=STOP_S) == 0, demo.output()[-3000:]
    left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:120]
            for pid, ticks in demo.tree.items() if alive(pid, ticks)}
    assert left == {}, left
    busy = {part: port for part, port in demo.ports.items() if not port_free("127.0.0.1", port)}
    assert busy == {}, busy
    assert "kafka: stopped" in demo.output()

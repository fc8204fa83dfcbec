"""``wallboard demo``: broker, worker, simulator, alerting and wallboard until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import alerts

from .. import args as types
from ..settings import Settings
from .common import EXIT_FAILURE, terminate_as_interrupt, url_host
from .kafka import broker_for, ensure_topics
from .simulate import factor, sim_length, sim_offset

__all__ = ["add", "cmd_demo", "wait_for_http"]

DEMO_WAIT_S = 60.0  # how long the demo waits for the worker and the wallboard to answer


def wait_for_http(url: str, *, timeout_s: float, alive: Callable[[], bool] | None = None,
                  poll_s: float = 0.25) -> bool:
    """GET ``url`` until it answers with a 2xx status (True), or until ``timeout_s`` has
    passed or ``alive()`` returns false (False). Proxies are never used: it is for local
    servers."""
    import http.client
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout_s
    while alive is None or alive():
        remaining = deadline - time.monotonic()
        try:
            with opener.open(url, timeout=min(5.0, max(0.1, remaining))) as resp:
                if 200 <= resp.status < 300:
                    return True
        except (OSError, ValueError, http.client.HTTPException):  # not up yet, or 4xx/5xx
            pass
        if time.monotonic() + poll_s >= deadline:
            return False
        time.sleep(poll_s)
    return False


DEMO_ALERTS_PORT = 6068  # the sample rule set's alerts.port (default of --alerts-port)
DEMO_SURGE_AFTER_S = 120.0  # the first surge, after the history (default of --surge-after)
DEMO_BOARD = """# written by `wallboard demo` (used only when no --config is given)
[dashboard]
site_name = "Demo contact centre"
alerts_url = "http://127.0.0.1:{alerts_port}/api/v1/alerts"

[dashboard.boards.demo]
title = "Demo"
window = "5m"
"""


class _Children:
    """The demo's child processes: started with their log file, waited for, stopped."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.named: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(self, name: str, argv: list[str]) -> None:
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as logf:  # the child keeps its own copy
            self.named[name] = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL)
        print(f"demo: started {name} (pid {self.named[name].pid}); log: {log}")

    def answers(self, name: str, url: str) -> bool:
        """Wait until ``url`` of process ``name`` answers; else say why in one line."""
        proc = self.named[name]
        if wait_for_http(url, timeout_s=DEMO_WAIT_S, alive=lambda: proc.poll() is None):
            return True
        why = (f"exited (code {proc.returncode}) before answering at {url}"
               if proc.poll() is not None else
               f"did not answer at {url} within {DEMO_WAIT_S:.0f} s")
        print(f"demo: the {name} {why}; see its log: {self.log_dir / (name + '.log')}",
              file=sys.stderr)
        return False

    def watch(self, duration_s: float | None) -> int:
        """Until ``duration_s`` has passed (or forever): exit 1 once a child has died."""
        deadline = None if duration_s is None else time.monotonic() + duration_s
        while deadline is None or time.monotonic() < deadline:
            dead = [p for p in self.named.values() if p.poll() is not None]
            if dead:
                print(f"demo: a process exited (pid {dead[0].pid}, code {dead[0].returncode}); "
                      f"see the logs in {self.log_dir}", file=sys.stderr)
                return EXIT_FAILURE
            time.sleep(0.5)
        return 0

    def stop(self) -> None:
        procs = list(self.named.values())
        for p in procs:  # SIGTERM: SIGINT may be ignored by children of a background job
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


def _spawn_all(children: _Children, settings: Settings, args: argparse.Namespace,
               state_root: Path) -> None:
    base = [sys.executable, "-m", "wallboard"]
    if args.config:
        base += ["--config", args.config]
    common = ["--bootstrap", settings.kafka.bootstrap]
    snapshot = f"{_worker_url(settings)}/api/v1/snapshot"
    children.spawn("worker", [*base, "worker", *common, "--port", str(settings.worker.port),
                              "--host", settings.worker.host])
    # A new seed per run: call ids must not repeat across runs on a persisted broker.
    # The story: adequate staffing, and billing surges 4x for 6 minutes every 15 minutes
    # (first 2 minutes after the start, --surge-after): tiles go to BREACH and recover, and
    # the surge alert fires (about 2 minutes into the surge) and resolves (docs/wallboard.md,
    # docs/alerting.md, tests/unit/dashboard/test_demo_story.py).
    children.spawn("simulator", [*base, "simulate", *common, "--history", "900",
                                 "--rate", str(args.rate), "--seed", str(time.time_ns() % 2**31),
                                 "--scenario", "story", "--surge-queue", "billing",
                                 "--surge-after", f"{args.surge_after:g}", "--surge-for", "360",
                                 "--surge-every", "900", "--surge-factor", "4"])
    # The sample rules unless the user's --config has its own [alerts] (merging the two
    # would refuse every key both set differently).
    rules = [] if settings.alerts is not None else [
        "--rules", str(Path(alerts.__file__).parent / "rules.example.toml")]
    children.spawn("alerts", [*base, "alerts", *common, *rules,
                              "--port", str(args.alerts_port), "--source", snapshot])
    board_base = base
    if not args.config:  # the story board: a 5-minute window shows the recovery soon
        demo_config = state_root / "demo" / "wallboard.toml"
        demo_config.parent.mkdir(parents=True, exist_ok=True)
        demo_config.write_text(DEMO_BOARD.format(alerts_port=args.alerts_port),
                               encoding="utf-8")
        board_base = [*base, "--config", str(demo_config)]
    children.spawn("dashboard", [*board_base, "dashboard", "--port", str(settings.dashboard.port),
                                 "--host", settings.dashboard.host, "--snapshot-url", snapshot])


def _worker_url(settings: Settings) -> str:
    return f"http://{url_host(settings.worker.host)}:{settings.worker.port}"


def _report_urls(children: _Children, settings: Settings, alerts_port: int) -> bool:
    """Print each URL once it answers, not before; False when the worker or the board
    does not answer."""
    worker_url = _worker_url(settings)
    board_url = f"http://{url_host(settings.dashboard.host)}:{settings.dashboard.port}/"
    print(f"\ndemo: waiting for the worker and the wallboard to answer (up to "
          f"{DEMO_WAIT_S:.0f} s each) ...", flush=True)
    print(f"  kafka:      {settings.kafka.bootstrap}", flush=True)
    if not children.answers("worker", f"{worker_url}/api/v1/health"):
        return False
    print(f"  snapshot:   {worker_url}/api/v1/snapshot")
    print(f"  metrics:    {worker_url}/metrics", flush=True)
    if not children.answers("dashboard", board_url):
        return False
    print(f"  wallboard:  {board_url}")
    alerts_url = f"http://127.0.0.1:{alerts_port}/api/v1/alerts"
    if children.answers("alerts", f"http://127.0.0.1:{alerts_port}/api/v1/health"):
        print(f"  alerts:     {alerts_url}")
    return True


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Broker + worker + simulator + alerting + wallboard, until Ctrl-C (or --duration)."""
    terminate_as_interrupt()
    settings = settings.with_overrides({"worker.port": args.worker_port,
                                        "dashboard.port": args.board_port})
    broker = broker_for(settings, args)
    was_running = broker.status().running
    broker.start()
    ensure_topics(settings)
    state_root = broker.spec.state_dir.parent
    children = _Children(state_root / "logs")
    children.log_dir.mkdir(parents=True, exist_ok=True)
    try:
        _spawn_all(children, settings, args, state_root)
        if not _report_urls(children, settings, args.alerts_port):
            return EXIT_FAILURE
        print("\nPress Ctrl-C to stop everything.", flush=True)
        return children.watch(args.duration)
    except KeyboardInterrupt:
        print("\ndemo: stopping ...")
    finally:
        children.stop()
        if not was_running and not args.keep_kafka:
            broker.stop()
    return 0


def add(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser("demo", help="broker + worker + simulator + wallboard until Ctrl-C",
                       description="Everything a person needs to see a live board.")
    m.add_argument("--rate", type=factor, default=1.0,
                   help="traffic multiplier, up to 1000 (default: 1.0)")
    m.add_argument("--duration", type=sim_length, metavar="SECONDS",
                   help="stop after this long, up to 31 days (default: until Ctrl-C)")
    m.add_argument("--keep-kafka", action="store_true", help="leave the broker running")
    m.add_argument("--state-dir", metavar="DIR", help="broker state; the logs and the demo's "
                   "board settings go beside it (default: .cache/kafka)")
    types.kafka_flags(m)  # the local broker listens on its port
    m.add_argument("--controller-port", type=types.port, metavar="PORT",
                   help="the broker's KRaft controller port (default: its port + 1)")
    m.add_argument("--worker-port", type=types.port, metavar="PORT",
                   help="the worker's port (worker.port)")
    m.add_argument("--board-port", type=types.port, metavar="PORT",
                   help="the wallboard's port (dashboard.port)")
    m.add_argument("--alerts-port", type=types.port, default=DEMO_ALERTS_PORT, metavar="PORT",
                   help=f"the alerting API's port (default: {DEMO_ALERTS_PORT})")
    m.add_argument("--surge-after", type=sim_offset, default=DEMO_SURGE_AFTER_S,
                   metavar="SECONDS", help="the first billing surge this long after the start "
                   f"(default: {DEMO_SURGE_AFTER_S:g}; then every 15 minutes)")
    m.set_defaults(func=cmd_demo)

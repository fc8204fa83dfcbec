"""``wallboard``: one command line for the broker, the worker, the wallboard and the simulator.

Usage errors and bad configuration print one line naming what is wrong and exit with 2;
runtime failures (a broker that does not start, say) print one line and exit with 1.
Heavy imports (faust, dash, kafka) happen inside the subcommand that needs them.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from schemas.validate import TS_MAX_S, TS_MIN_S, TS_RANGE_TEXT

from .config import ConfigError, Settings, check_timezone, load_settings

__all__ = ["main"]

EXIT_USAGE = 2
EXIT_FAILURE = 1


class UsageError(Exception):
    """Bad arguments discovered after parsing (exit 2, one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(EXIT_USAGE)


MAX_FACTOR = 1000.0  # --rate, --speed, --surge-factor
MAX_SIMULATED_S = 31 * 86400.0  # --duration, --surge-after, --surge-for: a month
MAX_HISTORY_S = 7 * 86400.0  # --history: a week of simulated past
DEMO_WAIT_S = 60.0  # how long the demo waits for the worker and the wallboard to answer


def _number(low: float, high: float, *, low_included: bool,
            high_text: str | None = None) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[low, high]`` (``(low, high]`` when
    ``low_included`` is false). nan, inf and absurd values are refused in one line."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        if value < low or (value == low and not low_included):
            raise argparse.ArgumentTypeError(
                f"must be {'>=' if low_included else '>'} {low:g}, got {text!r}")
        if value > high:
            raise argparse.ArgumentTypeError(
                f"must be <= {high_text or format(high, 'g')}, got {text!r}")
        return value

    return parse


_factor = _number(0, MAX_FACTOR, low_included=False)
_month_text = f"{MAX_SIMULATED_S:.0f} (31 days)"
_sim_length = _number(0, MAX_SIMULATED_S, low_included=False, high_text=_month_text)
_sim_offset = _number(0, MAX_SIMULATED_S, low_included=True, high_text=_month_text)
_history = _number(0, MAX_HISTORY_S, low_included=True,
                   high_text=f"{MAX_HISTORY_S:.0f} (7 days)")


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 1..65535, got {text!r}")
    return int(text)


def _timestamp(text: str) -> float:
    """An RFC 3339 instant with an offset, inside the contract's accepted event-time range
    (``schemas.validate.TS_MIN_S`` .. ``TS_MAX_S``)."""
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an RFC 3339 timestamp, got {text!r}") from None
    if dt.tzinfo is None:
        raise argparse.ArgumentTypeError(f"timestamp has no UTC offset: {text!r}")
    try:
        ts = dt.timestamp()
    except (OverflowError, ValueError, OSError):
        ts = math.nan
    if not TS_MIN_S <= ts < TS_MAX_S:
        raise argparse.ArgumentTypeError(f"timestamp {text!r} is outside the accepted range "
                                         f"{TS_RANGE_TEXT}")
    return ts


def _timezone(text: str) -> str:
    """An IANA time zone name (not a folder of the zone database such as "America")."""
    try:
        check_timezone("--timezone", text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--timezone: ")) from None
    return text


def output_path(text: str) -> str:
    """The argparse type of every ``--output FILE``: FILE is not a folder and its folder
    exists and is writable, so a bad path is a usage error (exit 2) before any work starts."""
    if not text:
        raise argparse.ArgumentTypeError("expected a file name, got ''")
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: is a folder, expected a file")
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists()
                                                    and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"{text}: not writable")
    return text


# -- subcommands ---------------------------------------------------------------------------


def _broker(settings: Settings, args: argparse.Namespace):  # noqa: ANN202
    from infra.broker import BrokerSpec, KafkaBroker, default_home

    first = settings.kafka.bootstrap.split(",")[0]
    host, _, port = first.rpartition(":")
    state_dir = Path(args.state_dir) if getattr(args, "state_dir", None) else (
        default_home() / "kafka")
    spec = BrokerSpec(state_dir=state_dir, host=host, port=int(port),
                      controller_port=getattr(args, "controller_port", None),
                      heap=getattr(args, "heap", "512m"))
    return KafkaBroker(spec)


def cmd_kafka(settings: Settings, args: argparse.Namespace) -> int:
    from infra.broker import create_topics, resolve_classpath

    broker = _broker(settings, args)
    if args.action == "fetch":
        jars = resolve_classpath(broker.cache_dir).split(os.pathsep)
        print(f"kafka: {len(jars)} jars resolved in {broker.cache_dir / 'm2'}")
        return 0
    if args.action == "topics":
        create_topics(settings.kafka.bootstrap, settings.kafka.topics(),
                      configs=settings.kafka.topic_configs(),
                      connect_timeout_s=settings.kafka.connect_timeout_s)
        print(f"kafka: topics ready on {settings.kafka.bootstrap}: "
              + ", ".join(f"{t}({n})" for t, n in settings.kafka.topics().items()))
        return 0
    if args.action == "start":
        status = broker.start()
        if not args.no_topics:
            create_topics(status.bootstrap, settings.kafka.topics(),
                          configs=settings.kafka.topic_configs(),
                          connect_timeout_s=settings.kafka.connect_timeout_s)
        print(broker.status().describe())
        return 0
    if args.action == "stop":
        broker.stop()
        return 0
    status = broker.status()
    print(status.describe())
    return 0 if status.running else 3


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from infra.broker import port_free

    from .worker import run_worker, state_dir

    w = settings.worker
    if not port_free(w.host, w.port):
        raise UsageError(f"port {w.port} on {w.host} is already in use (worker.port)")
    print(f"worker: consuming {settings.kafka.call_topic}, {settings.kafka.agent_topic} from "
          f"{settings.kafka.bootstrap} (group {w.app_id}, checkpoints in "
          f"{settings.kafka.state_topic}, {w.clock} clock); snapshot "
          f"http://{w.host}:{w.port}/api/v1/snapshot, metrics .../metrics, health "
          f".../api/v1/health; state in {state_dir(settings)}", flush=True)
    run_worker(settings, loglevel=args.loglevel)
    return 0


def cmd_dashboard(settings: Settings, args: argparse.Namespace) -> int:
    from dashboard.app import PortInUse, serve

    try:
        serve(settings)
    except PortInUse as exc:  # one line, not werkzeug's advice and traceback
        print(f"wallboard dashboard: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    """Simulated traffic, live to Kafka (optionally sped up) or to a JSON Lines file.

    Live with ``--speed N`` (N > 1) the simulated clock runs N times faster than the wall
    clock and starts ``history + D - D/N`` seconds in the past (D = ``--duration``), so it
    reaches "now" exactly when the run ends: no event ever carries a future ``ts``. Likewise
    ``--output`` without ``--start`` writes the window ``[now - D, now]``.
    """
    from .simulator import (
        INTRADAY_PROFILE,
        Simulator,
        Surge,
        day_models,
        default_models,
        story_models,
    )
    from .sink import open_sink

    now = time.time()
    if args.output:
        if args.duration is None:
            raise UsageError("simulate --output needs --duration")
        if args.speed != 1.0:
            raise UsageError("--speed applies to live sending; a file is written at once")
        start = args.start if args.start is not None else now - args.duration
        anchor, end = start, start + args.duration
        if end >= TS_MAX_S:
            raise UsageError("--start + --duration must end before 9999-12-01T00:00:00Z (the "
                             "end of the accepted event-time range)")
    else:
        if args.start is not None:
            raise UsageError("simulate --start works with --output only (live events use the "
                             "clock)")
        if args.speed > 1 and args.duration is None:
            raise UsageError("simulate --speed above 1 needs --duration (the simulated past "
                             "must end now)")
        lead = args.duration - args.duration / args.speed if args.speed > 1 else 0.0
        start = now - args.history - lead
        anchor = start + args.history
        end = None if args.duration is None else anchor + args.duration
    models = {"day": day_models, "story": story_models}.get(args.scenario,
                                                            default_models)(args.rate)
    surge = None
    if args.surge_queue:
        if args.surge_every is not None and args.surge_every <= args.surge_for:
            raise UsageError("--surge-every must be longer than --surge-for (else the surge "
                             "never ends)")
        surge = Surge(args.surge_queue, anchor + args.surge_after, args.surge_for,
                      args.surge_factor, args.surge_every or 0.0)
    try:
        sim = Simulator(models, start=start, seed=args.seed, tz=args.timezone or
                        settings.engine.timezone, surge=surge,
                        profile=INTRADAY_PROFILE if args.scenario == "day" else None)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sink = open_sink(settings.kafka, args.output, client_id="wallboard-simulator")
    if args.output:
        assert end is not None
        try:
            sink.send(sim.run(end))
        finally:
            sink.close()
        print(f"simulate: wrote {sink.sent} events ({args.duration:.0f} s of traffic) to "
              f"{sink.describe()}")
        return 0
    _terminate_as_interrupt()
    launched = time.monotonic()
    if args.history:
        sink.send(sim.advance(anchor))
        sink.flush()
        print(f"simulate: sent {sink.sent} events of {args.history:.0f} s history", flush=True)
    last_report = time.monotonic()
    try:
        while True:
            sim_now = anchor + args.speed * (time.monotonic() - launched)
            if end is not None and sim_now >= end:
                sink.send(sim.advance(end))
                break
            sink.send(sim.advance(sim_now))
            if time.monotonic() - last_report >= 10:
                last_report = time.monotonic()
                print(f"simulate: {sink.sent} events sent to {sink.describe()}; simulated "
                      f"time {datetime.fromtimestamp(sim_now, tz=UTC):%H:%M:%S} UTC", flush=True)
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        sink.close()
    print(f"simulate: done, {sink.sent} events sent", flush=True)
    return 0


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    """Send a JSON Lines file of contract events to Kafka, in file order, keyed per contract."""
    from .replay import Pacer, read_events, retimed
    from .sink import open_sink

    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if args.retime and args.speed not in (None, 1.0):
        raise UsageError("--retime replays in real time (speed 1): retimed events are stamped "
                         "now, so a faster replay would stamp them in the future")
    speed = 1.0 if args.retime else args.speed
    pacer = Pacer(speed) if speed else None
    sink = open_sink(settings.kafka, args.output, client_id="wallboard-replay")
    _terminate_as_interrupt()
    invalid = 0
    offset: float | None = None
    batch: list[dict] = []
    try:
        for line in read_events(path):
            if line.event is None:
                invalid += 1
                print(f"{path}:{line.lineno}: invalid event, not sent: {line.error}",
                      file=sys.stderr)
                continue
            assert line.ts is not None
            event = line.event
            if args.retime:
                offset = time.time() - line.ts if offset is None else offset
                event = retimed(event, line.ts, offset)
            if pacer is not None:
                sink.send(batch)
                batch = []
                pacer.wait(line.ts)
                sink.send([event])
            else:
                batch.append(event)
                if len(batch) >= 5000:
                    sink.send(batch)
                    batch = []
        sink.send(batch)
    except KeyboardInterrupt:
        pass
    finally:
        sink.close()
    print(f"replay: {sink.sent} events sent to {sink.describe()}; {invalid} invalid lines "
          "skipped")
    return 0


def _duration(text: str) -> float:
    from .config import ConfigError, parse_window

    try:
        return float(parse_window("--every", text)[1])
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--every: ")) from None


def cmd_compute(settings: Settings, args: argparse.Namespace) -> int:
    """Run the metrics engine over a JSON Lines file; print snapshot JSON, one per line."""
    import orjson

    from .compute import ComputeStats, snapshots
    from .replay import open_lines

    path = Path(args.events)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if args.as_of and args.every:
        raise UsageError("give --as-of (repeatable) or --every, not both")
    if (args.start is not None or args.end is not None) and not args.every:
        raise UsageError("--from/--to bound an --every series")
    stats = ComputeStats()
    started = time.monotonic()
    last_progress = [started]

    def invalid(lineno: int, reason: str) -> None:
        print(f"{path}:{lineno}: invalid event, skipped: {reason}", file=sys.stderr)

    def progress(st: ComputeStats) -> None:
        now = time.monotonic()
        if now - last_progress[0] >= 1.0:
            last_progress[0] = now
            print(f"compute: {st.lines:,} lines read ({st.lines / (now - started):,.0f}/s), "
                  f"{st.invalid} invalid", file=sys.stderr, flush=True)

    option = orjson.OPT_INDENT_2 if args.pretty else 0
    out = sys.stdout.buffer
    emitted = 0
    for snap in snapshots(open_lines(path), settings.engine, as_of=args.as_of,
                          every=args.every, start=args.start, end=args.end,
                          on_invalid=invalid, on_line=progress, stats=stats):
        out.write(orjson.dumps(snap, option=option) + b"\n")
        emitted += 1
    out.flush()
    elapsed = time.monotonic() - started
    print(f"compute: {stats.lines:,} lines, {stats.events:,} events applied, "
          f"{stats.invalid} invalid, {emitted} snapshot(s) in {elapsed:.1f} s", file=sys.stderr)
    return 0


def _terminate_as_interrupt() -> None:
    """Treat SIGTERM like Ctrl-C, so `finally` blocks flush and stop cleanly."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


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


DEMO_ALERTS_PORT = 6068  # the sample rule set's alerts.port
DEMO_BOARD = """# written by `wallboard demo` (used only when no --config is given)
[dashboard]
site_name = "Demo contact centre"
alerts_url = "http://127.0.0.1:{alerts_port}/api/v1/alerts"

[dashboard.boards.demo]
title = "Demo"
window = "5m"
"""


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Broker + worker + simulator + wallboard, until Ctrl-C (or --duration)."""
    _terminate_as_interrupt()
    broker = _broker(settings, args)
    was_running = broker.status().running
    from infra.broker import create_topics

    broker.start()
    create_topics(settings.kafka.bootstrap, settings.kafka.topics(),
                  configs=settings.kafka.topic_configs(),
                  connect_timeout_s=settings.kafka.connect_timeout_s)
    base = [sys.executable, "-m", "streams.cli"]
    if args.config:
        base += ["--config", args.config]
    common = ["--bootstrap", settings.kafka.bootstrap]
    worker_url = f"http://{_url_host(settings.worker.host)}:{settings.worker.port}"
    board_url = f"http://{_url_host(settings.dashboard.host)}:{settings.dashboard.port}/"
    procs: list[subprocess.Popen[bytes]] = []
    named: dict[str, subprocess.Popen[bytes]] = {}
    log_dir = broker.spec.state_dir.parent / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)

    def spawn(name: str, argv: list[str]) -> None:
        with (log_dir / f"{name}.log").open("ab") as logf:  # the child keeps its own copy
            named[name] = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL)
        procs.append(named[name])
        print(f"demo: started {name} (pid {procs[-1].pid}); log: {log_dir / (name + '.log')}")

    def answers(name: str, url: str) -> bool:
        """Wait until ``url`` of process ``name`` answers; else say why in one line."""
        proc = named[name]
        if wait_for_http(url, timeout_s=DEMO_WAIT_S, alive=lambda: proc.poll() is None):
            return True
        why = (f"exited (code {proc.returncode}) before answering at {url}"
               if proc.poll() is not None else
               f"did not answer at {url} within {DEMO_WAIT_S:.0f} s")
        print(f"demo: the {name} {why}; see its log: {log_dir / (name + '.log')}",
              file=sys.stderr)
        return False

    try:
        spawn("worker", [*base, "worker", *common, "--port", str(settings.worker.port),
                         "--host", settings.worker.host])
        # A new seed per run: call ids must not repeat across runs on a persisted broker.
        # The story: adequate staffing, and billing surges 4x for 6 minutes every 15 minutes
        # (first 2 minutes after the start): tiles go to BREACH and recover, and the surge
        # alert fires (about 4 minutes in) and resolves (docs/wallboard.md, docs/alerting.md,
        # tests/unit/dashboard/test_demo_story.py).
        spawn("simulator", [*base, "simulate", *common, "--history", "900",
                            "--rate", str(args.rate), "--seed", str(time.time_ns() % 2**31),
                            "--scenario", "story", "--surge-queue", "billing",
                            "--surge-after", "120", "--surge-for", "360",
                            "--surge-every", "900", "--surge-factor", "4"])
        import alerts

        rules = Path(alerts.__file__).parent / "rules.example.toml"
        spawn("alerts", [*base, "alerts", *common, "--rules", str(rules),
                         "--port", str(DEMO_ALERTS_PORT),
                         "--source", f"{worker_url}/api/v1/snapshot"])
        board_base = base
        if not args.config:  # the story board: a 5-minute window shows the recovery soon
            demo_config = broker.spec.state_dir.parent / "demo" / "wallboard.toml"
            demo_config.parent.mkdir(parents=True, exist_ok=True)
            demo_config.write_text(DEMO_BOARD.format(alerts_port=DEMO_ALERTS_PORT),
                                   encoding="utf-8")
            board_base = [*base, "--config", str(demo_config)]
        spawn("dashboard", [*board_base, "dashboard", "--port", str(settings.dashboard.port),
                            "--host", settings.dashboard.host,
                            "--snapshot-url", f"{worker_url}/api/v1/snapshot"])
        # Each URL is printed once it answers, not before.
        print(f"\ndemo: waiting for the worker and the wallboard to answer (up to "
              f"{DEMO_WAIT_S:.0f} s each) ...", flush=True)
        print(f"  kafka:      {settings.kafka.bootstrap}", flush=True)
        if not answers("worker", f"{worker_url}/api/v1/health"):
            return EXIT_FAILURE
        print(f"  snapshot:   {worker_url}/api/v1/snapshot")
        print(f"  metrics:    {worker_url}/metrics", flush=True)
        if not answers("dashboard", board_url):
            return EXIT_FAILURE
        print(f"  wallboard:  {board_url}")
        alerts_url = f"http://127.0.0.1:{DEMO_ALERTS_PORT}/api/v1/alerts"
        if answers("alerts", f"http://127.0.0.1:{DEMO_ALERTS_PORT}/api/v1/health"):
            print(f"  alerts:     {alerts_url}")
        print("\nPress Ctrl-C to stop everything.", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while deadline is None or time.monotonic() < deadline:
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                print(f"demo: a process exited (pid {dead[0].pid}, code {dead[0].returncode}); "
                      f"see the logs in {log_dir}", file=sys.stderr)
                return EXIT_FAILURE
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\ndemo: stopping ...")
    finally:
        for p in procs:  # SIGTERM: SIGINT may be ignored by children of a background job
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        if not was_running and not args.keep_kafka:
            broker.stop()
    return 0


# -- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="wallboard", description=(
        "Real-time contact-center wallboard and alerting stream processor. Call and agent "
        "events in Kafka -> Faust worker -> Prometheus metrics, snapshot API, TV wallboard."),
        epilog="Run 'wallboard demo' to see a live board in a minute. Settings: --config FILE "
               "(TOML, see docs/configuration.md) or $WALLBOARD_CONFIG.")
    p.add_argument("--config", metavar="FILE", default=os.environ.get("WALLBOARD_CONFIG"),
                   help="TOML settings file (default: $WALLBOARD_CONFIG, else built-in defaults)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def kafka_flags(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--bootstrap", metavar="HOST:PORT",
                        help="Kafka bootstrap servers (kafka.bootstrap)")

    k = sub.add_parser("kafka", help="run a local single-node Kafka broker (KRaft, from Maven)",
                       description="Start, stop, inspect or fetch a local Apache Kafka 4 "
                       "broker (KRaft mode). Its jars come from Maven Central into "
                       ".cache/m2; state lives in --state-dir. Listens on the port of "
                       "kafka.bootstrap.")
    k.add_argument("action", choices=["start", "stop", "status", "fetch", "topics"],
                   help="fetch: only resolve the jars (start does it when needed); topics: "
                   "create the contract topics on kafka.bootstrap (any broker)")
    kafka_flags(k)
    k.add_argument("--state-dir", metavar="DIR", help="data, config, log and pid file "
                   "(default: .cache/kafka)")
    k.add_argument("--controller-port", type=_port, help="KRaft controller port (default: port+1)")
    k.add_argument("--heap", default="512m", help="JVM max heap (default: 512m)")
    k.add_argument("--no-topics", action="store_true", help="do not create the contract topics")
    k.set_defaults(func=cmd_kafka)

    w = sub.add_parser("worker", help="consume events; serve /metrics and /api/v1/snapshot",
                       description="The Faust stream processor (same app as "
                       "'faust -A streams.app worker').")
    kafka_flags(w)
    w.add_argument("--host", help="address for the HTTP endpoints (worker.host)")
    w.add_argument("--port", type=_port, help="port for the HTTP endpoints (worker.port)")
    w.add_argument("--clock", choices=["wall", "event"],
                   help="snapshots as of now (wall, default) or as of the event-time "
                   "watermark (event: for replays of recorded days) (worker.clock)")
    w.add_argument("--app-id", dest="app_id",
                   help="consumer group and checkpoint namespace (worker.app_id)")
    w.add_argument("--loglevel", default="info", choices=["debug", "info", "warning", "error"])
    w.set_defaults(func=cmd_worker)

    d = sub.add_parser("dashboard", help="serve the TV wallboard (Dash)",
                       description="The Dash wallboard; polls the worker's snapshot API.")
    d.add_argument("--host", help="listen address (dashboard.host)")
    d.add_argument("--port", type=_port, help="listen port (dashboard.port)")
    d.add_argument("--snapshot-url", help="the worker's snapshot URL (dashboard.snapshot_url)")
    d.set_defaults(func=cmd_dashboard)

    s = sub.add_parser("simulate", help="produce simulated call and agent events",
                       description="A queue simulator (Poisson arrivals, abandons, agents) that "
                       "sends contract events to Kafka in real time, or writes JSON Lines.")
    kafka_flags(s)
    s.add_argument("--scenario", choices=["demo", "day", "story"], default="demo",
                   help="demo: three queues near capacity, all agents on; day: intraday "
                   "arrival profile with shifts; story: adequate staffing, for a scheduled "
                   "surge to stand out (default: demo)")
    s.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    s.add_argument("--rate", type=_factor, default=1.0,
                   help="multiply every queue's arrival rate, up to 1000 (default: 1.0)")
    s.add_argument("--speed", type=_factor, default=1.0,
                   help="simulated seconds per real second when sending live, up to 1000 "
                   "(default: 1)")
    s.add_argument("--duration", type=_sim_length, metavar="SECONDS",
                   help="simulated seconds to run, up to 31 days (default: until Ctrl-C)")
    s.add_argument("--history", type=_history, default=0.0, metavar="SECONDS",
                   help="first send this much simulated past, so the board starts populated "
                   "(up to 7 days)")
    s.add_argument("--timezone", type=_timezone, metavar="ZONE",
                   help="IANA zone of the intraday profile and shifts "
                   "(default: engine.timezone)")
    s.add_argument("--surge-queue", metavar="QUEUE", help="simulate a surge on this queue")
    s.add_argument("--surge-after", type=_sim_offset, default=300.0, metavar="SECONDS",
                   help="surge start after the simulated 'now' (default: 300)")
    s.add_argument("--surge-for", type=_sim_length, default=600.0, metavar="SECONDS",
                   help="surge length (default: 600)")
    s.add_argument("--surge-every", type=_sim_length, metavar="SECONDS",
                   help="repeat the surge every this many seconds (default: once)")
    s.add_argument("--surge-factor", type=_factor, default=4.0,
                   help="arrival-rate multiplier during the surge, up to 1000 (default: 4)")
    s.add_argument("--output", type=output_path, metavar="FILE",
                   help="write JSON Lines (.gz: gzip) instead of sending to Kafka")
    s.add_argument("--start", type=_timestamp, metavar="TIMESTAMP",
                   help="simulated start time, with --output (default: the window ends now, "
                   "i.e. it starts --duration seconds ago, so no event has a future "
                   "timestamp)")
    s.set_defaults(func=cmd_simulate)

    r = sub.add_parser("replay", help="send recorded contract events (JSON Lines) to Kafka",
                       description="Sends a JSON Lines file (plain or .gz) of contract events "
                       "to Kafka in file order, keyed by call_id / agent_id, so each call's "
                       "events stay in order. Invalid lines are reported with their line "
                       "number and skipped.")
    r.add_argument("file", metavar="FILE.jsonl[.gz]")
    kafka_flags(r)
    r.add_argument("--speed", type=_factor, default=None,
                   help="pace by event time, N times faster than recorded, N up to 1000 "
                   "(default: as fast as possible)")
    r.add_argument("--retime", action="store_true",
                   help="shift timestamps so the first event is now (replays at speed 1)")
    r.add_argument("--output", type=output_path, metavar="FILE",
                   help="write JSON Lines instead (e.g. to check a retimed file)")
    r.set_defaults(func=cmd_replay)

    c = sub.add_parser("compute", help="metrics offline: snapshot JSON from a JSON Lines file",
                       description="Runs the metrics engine over a JSON Lines file of "
                       "contract events (plain or .gz) and prints the snapshot JSON of "
                       "metrics.md to stdout, one per line. A snapshot as of t reflects "
                       "exactly the events with ts <= t. Invalid lines are reported on stderr "
                       "with their line number and skipped.")
    c.add_argument("--events", required=True, metavar="FILE.jsonl[.gz]")
    c.add_argument("--as-of", type=_timestamp, action="append", metavar="TIMESTAMP",
                   help="RFC 3339 instant; repeat for several (default: the newest event)")
    c.add_argument("--every", type=_duration, metavar="DURATION",
                   help="a series, e.g. 60s or 15m: every multiple of it from the first "
                   "event to the last (never past it)")
    c.add_argument("--from", dest="start", type=_timestamp, metavar="TIMESTAMP",
                   help="start of the --every series")
    c.add_argument("--to", dest="end", type=_timestamp, metavar="TIMESTAMP",
                   help="end of the --every series (included)")
    c.add_argument("--pretty", action="store_true", help="indent the JSON")
    c.set_defaults(func=cmd_compute)

    from .sources.asterisk import add_parser as add_asterisk
    from .sources.bank import add_parser as add_replay_bank

    add_asterisk(sub, kafka_flags)
    add_replay_bank(sub, kafka_flags)
    from alerts.cli import add_parser as add_alerts

    add_alerts(sub, kafka_flags)

    m = sub.add_parser("demo", help="broker + worker + simulator + wallboard until Ctrl-C",
                       description="Everything a person needs to see a live board.")
    m.add_argument("--rate", type=_factor, default=1.0,
                   help="traffic multiplier, up to 1000 (default: 1.0)")
    m.add_argument("--duration", type=_sim_length, metavar="SECONDS",
                   help="stop after this long, up to 31 days (default: until Ctrl-C)")
    m.add_argument("--keep-kafka", action="store_true", help="leave the broker running")
    m.add_argument("--state-dir", metavar="DIR", help="broker state (default: .cache/kafka)")
    m.set_defaults(func=cmd_demo)
    for command in sub.choices.values():  # `wallboard CMD --config F` works as well
        command.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                             help="TOML settings file (as before the command)")
    return p


_OVERRIDES: dict[str, str] = {
    "bootstrap": "kafka.bootstrap",
    "snapshot_url": "dashboard.snapshot_url",
    "clock": "worker.clock",
    "app_id": "worker.app_id",
}


def _settings_for(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    overrides: dict[str, object] = {}
    for attr, key in _OVERRIDES.items():
        if getattr(args, attr, None) is not None:
            overrides[key] = getattr(args, attr)
    section = {"worker": "worker", "dashboard": "dashboard"}.get(args.command)
    if section:
        for attr in ("host", "port"):
            if getattr(args, attr, None) is not None:
                overrides[f"{section}.{attr}"] = getattr(args, attr)
    return settings.with_overrides(overrides)


def main(argv: Sequence[str] | None = None) -> int:
    import logging

    # kafka-python logs an ERROR line per refused connection and retry; our commands report a
    # broker outage themselves, in one line (infra.broker.BrokerUnavailable).
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    parser = build_parser()
    args = parser.parse_args(argv)
    bootstrap = "?"
    try:
        settings = _settings_for(args)
        bootstrap = settings.kafka.bootstrap
        func: Callable[[Settings, argparse.Namespace], int] = args.func
        return func(settings, args)
    except ConfigError as exc:
        print(f"wallboard: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"wallboard {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for the user, not a traceback
        from infra.broker import BrokerError

        if isinstance(exc, BrokerError | OSError):
            print(f"wallboard {args.command}: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        kafka_errors = sys.modules.get("kafka.errors")  # loaded only if a command used Kafka
        if kafka_errors is not None and isinstance(exc, kafka_errors.KafkaError):
            print(f"wallboard {args.command}: Kafka at {bootstrap}: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        raise


if __name__ == "__main__":
    sys.exit(main())

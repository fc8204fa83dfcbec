"""The command line: one-line errors with exit code 2, and file output of the simulator."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from schemas import parse_event
from wallboard.cli import build_parser, main


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wallboard", *args], capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.mark.parametrize(("args", "needle"), [
    (["bogus"], "invalid choice: 'bogus'"),
    ([], "the following arguments are required: COMMAND"),
    (["worker", "--port", "http"], "argument --port: expected a port 1..65535, got 'http'"),
    (["simulate", "--rate", "-1"], "argument --rate: must be > 0"),
    (["simulate", "--output", "x.jsonl", "--start", "2026-11-22T09:00:00", "--duration", "5"],
     "timestamp has no UTC offset"),
    (["kafka", "restart"], "invalid choice: 'restart'"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, needle):
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_config_gives_one_line_naming_the_key_and_exit_2(tmp_path):
    cfg = tmp_path / "w.toml"
    cfg.write_text("[worker]\nport = 99999\n")
    proc = run_cli("--config", str(cfg), "worker")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"wallboard: config error: {cfg}: worker.port: port must be " \
                                  "1..65535, got 99999"


def test_bad_flag_value_in_settings_is_a_config_error(capsys):
    assert main(["simulate", "--bootstrap", "nohost", "--duration", "1"]) == 2
    assert "kafka.bootstrap: expected host:port" in capsys.readouterr().err


def test_simulate_needs_duration_with_output(capsys, tmp_path):
    assert main(["simulate", "--output", str(tmp_path / "x.jsonl")]) == 2
    assert "needs --duration" in capsys.readouterr().err


def test_help_lists_the_subcommands():
    text = build_parser().format_help()
    for name in ("kafka", "worker", "dashboard", "simulate", "demo"):
        assert name in text


def test_simulate_writes_valid_json_lines(tmp_path, capsys):
    out = tmp_path / "sim.jsonl"
    assert main(["simulate", "--output", str(out), "--duration", "600", "--seed", "3",
                 "--start", "2026-11-22T09:00:00+08:00"]) == 0
    lines = out.read_bytes().splitlines()
    assert len(lines) > 50
    events = [parse_event(line) for line in lines]
    assert events[0].ts >= 1795309200.0  # 2026-11-22T01:00:00Z
    assert "wrote" in capsys.readouterr().out
    assert orjson.loads(lines[0])["v"] == 1


@pytest.mark.parametrize(("args", "needle"), [
    (["simulate", "--speed", "60"], "--speed above 1 needs --duration"),
    (["simulate", "--output", "x.jsonl", "--duration", "5", "--speed", "2"],
     "--speed applies to live sending"),
    (["simulate", "--output", "x.jsonl", "--duration", "5", "--surge-queue", "nope"],
     "surge: unknown queue 'nope'"),
])
def test_simulate_usage_errors(args, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err


def test_simulate_day_scenario_with_surge_to_gzip(tmp_path):
    import gzip

    out = tmp_path / "day.jsonl.gz"
    assert main(["simulate", "--scenario", "day", "--output", str(out), "--duration", "86400",
                 "--start", "2026-11-22T00:00:00+08:00", "--timezone", "Asia/Shanghai",
                 "--surge-queue", "billing", "--surge-after", "36000", "--seed", "5"]) == 0
    events = [parse_event(line) for line in gzip.decompress(out.read_bytes()).splitlines()]
    types = {e.type for e in events}
    assert types == {"call.queued", "call.answered", "call.abandoned", "call.dequeued",
                     "call.ended", "call.wrapup_ended", "agent.state"}
    states = {e.state for e in events if e.type == "agent.state"}
    assert states == {"available", "on_call", "acw", "not_ready", "offline"}


# -- hardening (issue 8) ---------------------------------------------------------------------


def parse_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one stderr line of a usage error that argparse reports (exit 2)."""
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(args)
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(("args", "needle"), [
    (["simulate", "--duration", "inf"], "argument --duration: expected a finite number"),
    (["simulate", "--duration", "2678401"], "argument --duration: must be <= 2678400 (31 days)"),
    (["simulate", "--rate", "nan"], "argument --rate: expected a finite number, got 'nan'"),
    (["simulate", "--rate", "1001"], "argument --rate: must be <= 1000, got '1001'"),
    (["simulate", "--speed", "1e9"], "argument --speed: must be <= 1000"),
    (["simulate", "--speed=-inf"], "argument --speed: expected a finite number"),
    (["simulate", "--history", "604801"], "argument --history: must be <= 604800 (7 days)"),
    (["simulate", "--history", "NaN"], "argument --history: expected a finite number"),
    (["simulate", "--surge-after", "inf"], "argument --surge-after: expected a finite number"),
    (["simulate", "--surge-for", "1e12"], "argument --surge-for: must be <= 2678400"),
    (["simulate", "--surge-factor", "infinity"], "argument --surge-factor: expected a finite"),
    (["simulate", "--surge-factor", "0"], "argument --surge-factor: must be > 0"),
    (["replay", "x.jsonl", "--speed", "nan"], "argument --speed: expected a finite number"),
    (["replay", "x.jsonl", "--speed", "5000"], "argument --speed: must be <= 1000"),
    (["demo", "--rate", "inf"], "argument --rate: expected a finite number"),
    (["demo", "--duration", "nan"], "argument --duration: expected a finite number"),
    (["demo", "--duration", "1e300"], "argument --duration: must be <= 2678400"),
    (["worker", "--port", "\u00b2"], "argument --port: expected a port 1..65535"),
])
def test_numeric_options_refuse_non_finite_and_absurd_values(args, needle, capsys):
    assert needle in parse_error(args, capsys)


@pytest.mark.parametrize("zone", ["Mars/Base", "America", "../etc", ""])
def test_simulate_refuses_an_unknown_time_zone_in_one_line(zone, capsys):
    line = parse_error(["simulate", "--timezone", zone], capsys)
    assert f"argument --timezone: unknown time zone {zone!r}" in line


@pytest.mark.parametrize(("option", "text"), [
    ("--as-of", "0001-01-01T00:00:00Z"),
    ("--as-of", "1969-12-31T23:59:59Z"),
    ("--from", "9999-12-01T00:00:00Z"),
    ("--to", "9999-12-31T23:59:59-12:00"),
])
def test_timestamps_must_lie_in_the_accepted_range(option, text, capsys):
    line = parse_error(["compute", "--events", "x", option, text], capsys)
    assert f"argument {option}: timestamp {text!r} is outside the accepted range 1970-01-01" \
        in line


def test_timestamps_at_the_range_ends(capsys):
    args = build_parser().parse_args(["compute", "--events", "x", "--as-of",
                                      "1970-01-01T00:00:00Z", "--as-of",
                                      "9999-11-30T23:59:59.5Z"])
    assert args.as_of == [0.0, 253399622399.5]


def test_simulated_window_must_end_inside_the_accepted_range(tmp_path, capsys):
    out = tmp_path / "x.jsonl"
    assert main(["simulate", "--output", str(out), "--duration", "120",
                 "--start", "9999-11-30T23:59:00Z"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--start + --duration must end before 9999-12-01T00:00:00Z" in err
    assert not out.exists()


@pytest.mark.parametrize("command", [
    ["simulate", "--duration", "5"],
    ["replay", "{events}"],
    ["asterisk", "--file", "{events}"],
    ["replay-bank", "--csv", "{events}"],
])
def test_output_into_a_missing_folder_is_a_usage_error(command, tmp_path, capsys):
    events = tmp_path / "in.jsonl"
    events.write_text("")
    argv = [a.format(events=events) for a in command]
    target = tmp_path / "missing" / "out.jsonl"
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--output", str(target)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert f"argument --output: {target}: folder {str(target.parent)!r} does not exist" \
        in err[0]
    with pytest.raises(SystemExit):
        main([*argv, "--output", str(tmp_path)])  # a folder is not a file
    assert f"argument --output: {tmp_path}: is a folder" in capsys.readouterr().err


def test_simulate_without_start_ends_now(tmp_path, capsys):
    """Without --start the simulated window is [now - duration, now]: nothing in the future."""
    import time

    out = tmp_path / "sim.jsonl"
    before = time.time()
    assert main(["simulate", "--output", str(out), "--duration", "1800", "--seed", "4"]) == 0
    after = time.time()
    events = [parse_event(line) for line in out.read_bytes().splitlines()]
    assert len(events) > 100
    assert max(e.ts for e in events) <= after
    assert min(e.ts for e in events) >= before - 1800
    assert max(e.ts for e in events) >= before - 300  # the window reaches (almost) now
    simulate = build_parser()._subparsers._group_actions[0].choices["simulate"]  # noqa: SLF001
    assert "default: the window ends now" in " ".join(simulate.format_help().split())


def test_dashboard_on_a_busy_port_is_one_line_and_exit_1(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["dashboard", "--host", "127.0.0.1", "--port", str(port),
                     "--snapshot-url", "http://127.0.0.1:9/api/v1/snapshot"])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.strip() == f"wallboard dashboard: port {port} on 127.0.0.1 is already in use"
    assert out == ""


# -- the demo waits for its URLs to answer -------------------------------------------------


def test_wait_for_http_returns_once_the_server_answers():
    import socket
    import threading

    from tests.support import JsonHttpServer
    from wallboard.commands.demo import wait_for_http

    with socket.socket() as probe:  # a free port, answered only after a delay
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    servers: list[JsonHttpServer] = []
    timer = threading.Timer(1.0, lambda: servers.append(JsonHttpServer(b"{}", port=port)))
    timer.start()
    try:
        url = f"http://127.0.0.1:{port}/api/v1/health"
        assert wait_for_http(url, timeout_s=30, poll_s=0.1) is True
        assert servers and servers[0].requests >= 1
    finally:
        timer.join()
        for server in servers:
            server.stop()


def test_wait_for_http_needs_a_2xx_answer_and_gives_up():
    from tests.support import JsonHttpServer
    from wallboard.commands.demo import wait_for_http

    server = JsonHttpServer(b"{}", status=503)
    try:
        assert wait_for_http(server.url, timeout_s=1.0, poll_s=0.1) is False
        assert server.requests >= 2  # it kept asking
        server.status = 200
        assert wait_for_http(server.url, timeout_s=10, poll_s=0.1) is True
    finally:
        server.stop()


def test_wait_for_http_stops_when_the_process_is_gone():
    from wallboard.commands.demo import wait_for_http

    calls = []

    def alive() -> bool:
        calls.append(1)
        return False

    assert wait_for_http("http://127.0.0.1:9/", timeout_s=60, poll_s=0.1, alive=alive) is False
    assert calls


def fake_demo(tmp_path, monkeypatch, answering: set[str]) -> list[str]:
    """Fake every part of the demo except its waiting and reporting; returns the URLs that
    the demo waits for, in order (those containing a word of ``answering`` answer)."""
    import argparse

    from wallboard.commands import demo as cli

    class FakeBroker:
        class spec:  # noqa: N801 - mimics the attribute
            state_dir = tmp_path / "kafka"

        def status(self):
            return argparse.Namespace(running=True)

        def start(self) -> None:
            pass

        def stop(self) -> None:
            pass

    class FakeProc:
        pid = 4242
        returncode = None

        def __init__(self, argv, **kwargs) -> None:
            self.argv = argv

        def poll(self):
            return None

        def send_signal(self, sig) -> None:
            pass

        def wait(self, timeout=None) -> int:
            return 0

    asked: list[str] = []

    def fake_wait(url: str, *, timeout_s: float, alive=None, poll_s: float = 0.25) -> bool:
        assert timeout_s == cli.DEMO_WAIT_S and alive is not None and alive()
        asked.append(url)
        return any(word in url for word in answering)

    monkeypatch.setattr(cli, "broker_for", lambda settings, args: FakeBroker())
    monkeypatch.setattr(cli, "ensure_topics", lambda *a, **k: None)
    monkeypatch.setattr(cli.subprocess, "Popen", FakeProc)
    monkeypatch.setattr(cli, "wait_for_http", fake_wait)
    monkeypatch.setattr(cli, "terminate_as_interrupt", lambda: None)
    return asked


def demo_args():
    import argparse

    return argparse.Namespace(config=None, rate=1.0, duration=0.2, keep_kafka=True,
                              state_dir=None)


def test_demo_says_which_url_never_answered_and_exits_1(tmp_path, capsys, monkeypatch):
    from wallboard.commands import demo as cli
    from wallboard.settings import Settings

    asked = fake_demo(tmp_path, monkeypatch, answering={"health"})  # not the dashboard
    assert cli.cmd_demo(Settings(), demo_args()) == 1
    out, err = capsys.readouterr()
    assert asked == ["http://127.0.0.1:6066/api/v1/health", "http://127.0.0.1:8050/"]
    assert "snapshot:   http://127.0.0.1:6066/api/v1/snapshot" in out  # the worker answered
    assert "wallboard:" not in out  # never printed: it never answered
    log = tmp_path / "logs" / "dashboard.log"
    assert err.strip() == (f"demo: the dashboard did not answer at http://127.0.0.1:8050/ "
                           f"within {cli.DEMO_WAIT_S:.0f} s; see its log: {log}")


def test_demo_prints_each_url_after_it_answered(tmp_path, capsys, monkeypatch):
    from wallboard.commands import demo as cli
    from wallboard.settings import Settings

    asked = fake_demo(tmp_path, monkeypatch, answering={"health", "8050"})
    assert cli.cmd_demo(Settings(), demo_args()) == 0
    out, err = capsys.readouterr()
    assert asked == ["http://127.0.0.1:6066/api/v1/health", "http://127.0.0.1:8050/",
                     "http://127.0.0.1:6068/api/v1/health"]
    lines = [line.strip() for line in out.splitlines()]
    assert lines.index("snapshot:   http://127.0.0.1:6066/api/v1/snapshot") \
        < lines.index("wallboard:  http://127.0.0.1:8050/") \
        < lines.index("alerts:     http://127.0.0.1:6068/api/v1/alerts") \
        < lines.index("Press Ctrl-C to stop everything.")
    assert err == ""


@pytest.mark.parametrize("zone", ["America", "Mars/Base", "../etc"])
@pytest.mark.parametrize("command", [
    ["replay-bank", "--csv", "/dev/null"],
    ["asterisk", "--file", __file__],
])
def test_source_adapters_refuse_an_unknown_time_zone_in_one_line(command, zone, tmp_path,
                                                                  capsys):
    try:
        code = main([*command, "--timezone", zone, "--output", str(tmp_path / "x.jsonl")])
    except SystemExit as exc:  # argparse's own usage error
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert f"unknown time zone {zone!r}" in err and err.count("\n") == 1
    assert "Traceback" not in err

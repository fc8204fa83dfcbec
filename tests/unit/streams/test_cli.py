"""The command line: one-line errors with exit code 2, and file output of the simulator."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from schemas import parse_event
from streams.cli import build_parser, main


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "streams.cli", *args], capture_output=True,
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

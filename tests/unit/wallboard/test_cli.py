"""The root command line: one-line errors with exit code 2 (usage, settings) or 1 (a
runtime failure), and the command list."""

from __future__ import annotations

import subprocess
import sys

import pytest

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


def test_help_lists_the_subcommands():
    text = build_parser().format_help()
    for name in ("kafka", "worker", "dashboard", "simulate", "demo"):
        assert name in text


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

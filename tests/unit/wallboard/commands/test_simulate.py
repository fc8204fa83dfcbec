"""``wallboard simulate``: file output of the simulator and its usage errors."""

from __future__ import annotations

import orjson
import pytest

from schemas import parse_event
from tests.support import usage_error_line as parse_error
from wallboard.cli import build_parser, main


def test_simulate_needs_duration_with_output(capsys, tmp_path):
    assert main(["simulate", "--output", str(tmp_path / "x.jsonl")]) == 2
    assert "needs --duration" in capsys.readouterr().err


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


@pytest.mark.parametrize("zone", ["Mars/Base", "America", "../etc", ""])
def test_simulate_refuses_an_unknown_time_zone_in_one_line(zone, capsys):
    line = parse_error(["simulate", "--timezone", zone], capsys)
    assert f"argument --timezone: unknown time zone {zone!r}" in line


def test_simulated_window_must_end_inside_the_accepted_range(tmp_path, capsys):
    out = tmp_path / "x.jsonl"
    assert main(["simulate", "--output", str(out), "--duration", "120",
                 "--start", "9999-11-30T23:59:00Z"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--start + --duration must end before 9999-12-01T00:00:00Z" in err
    assert not out.exists()


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

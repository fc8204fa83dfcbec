"""The ``wallboard asterisk`` command: the real export end to end, malformed lines and bad
options reported in one line, and SIGTERM ending a follow with the state saved."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

from tests.support import wait_until
from wallboard.commands.sources import add_asterisk, cmd_asterisk
from wallboard.settings import Settings

from .queue_logs import ENTER, REPO, _native, append, calls, expected_events, real_file, valid


def parse_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wallboard")
    sub = parser.add_subparsers(dest="command")
    add_asterisk(sub)
    return parser.parse_args(["asterisk", *argv])


def test_cli_end_to_end_on_the_real_export(tmp_path, capsys):
    out, state = tmp_path / "events.jsonl", tmp_path / "asterisk.pos"
    args = parse_args("--file", str(real_file()), "--output", str(out), "--state", str(state))
    assert args.func is cmd_asterisk and args.layout == "auto" and args.source == "asterisk"
    assert cmd_asterisk(Settings(), args) == 0
    events = valid([json.loads(x) for x in out.read_text().splitlines()])
    assert Counter(e["type"] for e in events)["call.queued"] == 108
    report = capsys.readouterr()
    assert "1001 lines (pbxware) -> 511 events" in report.out
    assert "call.queued 108" in report.out and "RINGNOANSWER 360" in report.out
    assert "OUTDIAL 128" in report.out and "malformed lines: 0" in report.out
    # a second run resumes at the end: nothing new, nothing sent twice
    assert cmd_asterisk(Settings(), args) == 0
    assert out.read_text() == "" and "-> 0 events" in capsys.readouterr().out


def test_cli_reports_malformed_lines_on_stderr(tmp_path, capsys):
    log, out = tmp_path / "queue_log", tmp_path / "e.jsonl"
    log.write_text(f"{_native(ENTER)}\nbroken\n")
    assert cmd_asterisk(Settings(), parse_args("--file", str(log), "--output", str(out))) == 0
    report = capsys.readouterr()
    assert f"{log} line 2: expected at least 5" in report.err
    assert "malformed lines: 1" in report.out


@pytest.mark.parametrize(("argv", "needle"), [
    (["--file", "/nonexistent/queue_log"], "no such file: /nonexistent/queue_log"),
    (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    (["--source", ""], "--source must be 1..64 characters"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, argv, needle):
    log = tmp_path / "queue_log"
    log.write_text("")
    argv = argv if argv[0] == "--file" else ["--file", str(log), *argv]
    assert cmd_asterisk(Settings(), parse_args(*argv, "--output", str(tmp_path / "o"))) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


RUNNER = """
import argparse, sys
from wallboard.settings import Settings
from tests.support import wait_until
from wallboard.commands.sources import add_asterisk, cmd_asterisk
p = argparse.ArgumentParser()
add_asterisk(p.add_subparsers())
sys.exit(cmd_asterisk(Settings(), p.parse_args(sys.argv[1:])))
"""


def test_sigterm_stops_follow_and_persists_the_state(tmp_path):
    log, out, state = tmp_path / "queue_log", tmp_path / "e.jsonl", tmp_path / "pos"
    lines = calls(0, 3)
    log.write_bytes(b"".join(lines))
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "asterisk", "--file", str(log), "--follow",
         "--state", str(state), "--output", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        def saved_offset() -> int:
            return json.loads(state.read_text())["position"]["offset"]

        wait_until(lambda: saved_offset() == log.stat().st_size, timeout=20, every=0.05,
                   proc=proc, what="the state file after the first lines")
        append(log, *calls(3, 1))
        # the appended lines were read, sent and committed: the state is at the new end
        wait_until(lambda: saved_offset() == log.stat().st_size, timeout=20, every=0.05,
                   proc=proc, what="the state file after the appended lines")
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "-> 20 events" in stdout
    saved = json.loads(state.read_text())
    assert saved["position"]["offset"] == log.stat().st_size
    assert [json.loads(x)["event_id"] for x in out.read_text().splitlines()] == [
        e["event_id"] for e in expected_events(calls(0, 4))]

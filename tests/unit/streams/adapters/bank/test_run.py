"""The ``wallboard replay-bank`` command: time-ordered JSON Lines, the date filter and time
zone, one-line errors with exit 2, no Kafka import, and a real day."""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from schemas import parse_event
from wallboard.commands.sources import add_replay_bank
from wallboard.settings import Settings

from .samples import (
    AGENT_DIRECT,
    AGENT_QUEUED,
    HANG_QUEUED,
    HANG_VRU,
    HEADER,
    PHANTOM,
    SERVICE_PAST_MIDNIGHT,
)

REPO = Path(__file__).resolve().parents[5]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wallboard")
    sub = parser.add_subparsers(dest="command")
    add_replay_bank(sub)
    return parser


def test_cli_writes_time_ordered_valid_json_lines(tmp_path, capsys):
    src = tmp_path / "calls.csv"
    src.write_text("\n".join([HEADER, SERVICE_PAST_MIDNIGHT, PHANTOM, HANG_VRU, AGENT_DIRECT,
                              "broken,row", HANG_QUEUED, AGENT_QUEUED]) + "\n")
    out = tmp_path / "bank.jsonl.gz"
    args = _parser().parse_args(["replay-bank", "--csv", str(src), "--output", str(out)])
    assert args.timezone == "Asia/Jerusalem" and args.days is None
    assert args.func(Settings(), args) == 0
    events = [parse_event(line) for line in gzip.decompress(out.read_bytes()).splitlines()]
    assert [e.ts for e in events] == sorted(e.ts for e in events) and len(events) == 8
    text = capsys.readouterr().out
    assert "7 rows read" in text
    assert "3 queued calls converted: 2 answered, 1 abandoned" in text
    assert "skipped: 1 PHANTOM, 2 never queued (1 AGENT served straight from the VRU, 1 HANG " \
           "in the VRU)" in text
    assert "line 6: 2 fields, the header has 17" in text
    assert "call.abandoned 1, call.answered 2, call.ended 2, call.queued 3" in text
    assert f"8 events sent to {out}" in text


def test_cli_date_filter_and_timezone(tmp_path, capsys):
    src = tmp_path / "calls.csv"
    src.write_text("\n".join([HEADER, AGENT_QUEUED, SERVICE_PAST_MIDNIGHT]) + "\n")
    out = tmp_path / "bank.jsonl"
    args = _parser().parse_args(["replay-bank", "--csv", str(src), "--output", str(out),
                                 "--date", "1999-08-02", "--timezone", "UTC"])
    assert args.func(Settings(), args) == 0
    events = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [e["ts"] for e in events] == ["1999-08-02T23:55:52+00:00", "1999-08-02T23:58:44+00:00",
                                         "1999-08-03T00:00:24+00:00"]
    assert "1 outside the selected days" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["--days", "1999-08-03..1999-08-01"], ["--date", "1999-08-01..1999-08-02"],
    ["--timezone", "Mars/Olympus"], ["--date", "1999-08-01", "--days", "1999-08-01"], [],
])
def test_cli_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(["replay-bank", *(["--csv", "x.csv"] if argv else []), *argv])
    assert exc.value.code == 2


def test_cli_missing_csv_or_wrong_file_is_one_line_and_exit_2(tmp_path, capsys):
    args = _parser().parse_args(["replay-bank", "--csv", str(tmp_path / "nope.csv"),
                                 "--output", str(tmp_path / "o.jsonl")])
    assert args.func(Settings(), args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.csv: no such file" in err
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    args = _parser().parse_args(["replay-bank", "--csv", str(other)])
    assert args.func(Settings(), args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not the Anonymous Bank call table" in err
    assert not (tmp_path / "o.jsonl").exists()


def test_module_imports_no_kafka():
    code = ("import sys, streams.adapters.bank; "
            "sys.exit(any(m == 'kafka' or m.startswith('kafka.') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60).returncode == 0


def test_real_day_through_the_cli(real_csv, tmp_path, capsys):
    out = tmp_path / "day.jsonl.gz"
    args = _parser().parse_args(["replay-bank", "--csv", str(real_csv), "--output", str(out),
                                 "--date", "1999-08-07"])
    assert args.func(Settings(), args) == 0
    lines = gzip.decompress(out.read_bytes()).splitlines()
    assert all(parse_event(line).call_id.startswith("bank-19990807-") for line in lines)
    text = capsys.readouterr().out
    assert "42078 rows read" in text and "41927 outside the selected days" in text

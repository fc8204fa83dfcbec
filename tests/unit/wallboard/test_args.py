"""The shared argument types: numbers, timestamps and output paths are refused in one line
(exit 2) before any work starts."""

from __future__ import annotations

import pytest

from tests.support import usage_error_line as parse_error
from wallboard.cli import build_parser, main


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


@pytest.mark.parametrize("command", [["compute", "--events", "x"],
                                     ["alerts", "backtest", "--events", "x"]])
def test_one_duration_parser_for_every_every(command, capsys):
    for text, seconds in (("90s", 90.0), ("1.5m", 90.0), ("1d", 86400.0)):
        assert build_parser().parse_args([*command, "--every", text]).every == seconds
    line = parse_error([*command, "--every", "soon"], capsys)
    assert "argument --every: expected a duration like" in line
    line = parse_error([*command, "--every", "0.5s"], capsys)
    assert "argument --every: must be between 1 s and 86400 s" in line

"""The ``wallboard replay`` command and ``run_replay``: file order kept, invalid lines
skipped, usage errors."""

from __future__ import annotations

import orjson
import pytest

from streams.adapters.replay import ReplayOptions, run_replay
from streams.config import KafkaSettings
from streams.core.errors import UsageError
from wallboard.cli import main

from .samples import GOOD, write


def test_replay_cli_to_a_file_keeps_order_and_skips_invalid(tmp_path, capsys):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    events = [{**GOOD, "event_id": f"e{i}", "call_id": f"c{i % 3}"} for i in range(10)]
    write(src, [orjson.dumps(e) for e in events[:5]] + [b"nope"]
          + [orjson.dumps(e) for e in events[5:]])
    assert main(["replay", str(src), "--output", str(out)]) == 0
    assert [orjson.loads(x) for x in out.read_bytes().splitlines()] == events
    captured = capsys.readouterr()
    assert f"{src}:6: invalid event, not sent: $: not JSON" in captured.err
    assert "10 events sent" in captured.out and "1 invalid lines skipped" in captured.out


def test_replay_cli_errors(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "x.jsonl").write_text("")
    assert main(["replay", str(tmp_path / "x.jsonl"), "--retime", "--speed", "5"]) == 2
    assert "--retime replays in real time" in capsys.readouterr().err


def test_run_replay_takes_its_options_object(tmp_path, capsys):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write(src, [orjson.dumps(GOOD), b"{broken"])
    assert run_replay(KafkaSettings(), ReplayOptions(str(src), output=str(out))) == 0
    assert [orjson.loads(x) for x in out.read_bytes().splitlines()] == [GOOD]
    assert "1 events sent" in capsys.readouterr().out
    with pytest.raises(UsageError, match="--retime replays in real time"):
        run_replay(KafkaSettings(), ReplayOptions(str(src), speed=5.0, retime=True))

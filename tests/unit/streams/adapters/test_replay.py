from __future__ import annotations

import gzip

import orjson
import pytest

from schemas import parse_event
from streams.adapters.replay import Pacer, read_events, retimed
from wallboard.cli import main

GOOD = {"v": 1, "event_id": "e1", "type": "call.queued", "ts": "2026-11-22T01:00:00.000Z",
        "call_id": "c1", "queue": "q"}


def write(path, lines: list[bytes]) -> None:
    data = b"\n".join(lines) + b"\n"
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)


@pytest.mark.parametrize("name", ["events.jsonl", "events.jsonl.gz"])
def test_read_events_reports_invalid_lines_by_number(tmp_path, name):
    path = tmp_path / name
    write(path, [orjson.dumps(GOOD), b"", b"{broken", orjson.dumps({**GOOD, "ts": "2026-11-22"})])
    lines = list(read_events(path))
    assert [(x.lineno, x.error is None) for x in lines] == [(1, True), (3, False), (4, False)]
    assert lines[0].event == GOOD and lines[0].ts == parse_event(GOOD).ts
    assert lines[1].error.startswith("$: not JSON")
    assert lines[2].error.startswith("ts:")


def test_retimed_moves_ts_and_keeps_the_id():
    moved = retimed(GOOD, parse_event(GOOD).ts, 90.5)
    assert moved["ts"] == "2026-11-22T01:01:30.500Z" and moved["event_id"] == "e1"
    assert GOOD["ts"] == "2026-11-22T01:00:00.000Z"


class FakeTime:
    def __init__(self) -> None:
        self.t = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.slept.append(round(s, 6))
        self.t += s


def test_pacer_runs_event_time_n_times_faster():
    ft = FakeTime()
    pacer = Pacer(10.0, clock=ft.clock, sleep=ft.sleep)
    for ts in (1000.0, 1010.0, 1010.0, 1005.0, 1100.0):  # 1005: late, goes at once
        pacer.wait(ts)
    assert ft.slept == [1.0, 9.0]
    with pytest.raises(ValueError, match="speed"):
        Pacer(0)


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

"""Reading recorded events (invalid lines reported by number), retiming, and pacing."""

from __future__ import annotations

import orjson
import pytest

from schemas import parse_event
from streams.adapters.replay import Pacer, read_events, retimed

from .samples import GOOD, write


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

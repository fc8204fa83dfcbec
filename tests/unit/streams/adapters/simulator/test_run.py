"""``run_simulation`` with its options object, without the command line: a file of the
chosen window, a surge, and the usage errors."""

from __future__ import annotations

import orjson
import pytest

from schemas import parse_event
from streams.adapters.simulator import SimulateOptions, SurgeOptions, Timing, run_simulation
from streams.config import KafkaSettings
from streams.core.errors import UsageError

START = 1_795_305_600.0  # 2026-11-22T00:00:00Z


def test_a_file_holds_the_window_and_the_surge(tmp_path, capsys):
    out = tmp_path / "sim.jsonl"
    options = SimulateOptions(scenario="story", seed=3, output=str(out),
                              surge=SurgeOptions("billing", after_s=600, for_s=1200, factor=6),
                              timing=Timing(duration_s=3600, start=START))
    assert run_simulation(KafkaSettings(), "UTC", options) == 0
    events = [parse_event(line) for line in out.read_bytes().splitlines()]
    assert events and all(START <= e.ts <= START + 3600 for e in events)
    billing = [e.ts for e in events if e.type == "call.queued" and e.queue == "billing"]
    during = sum(START + 600 <= t < START + 1800 for t in billing)  # 1200 s of surge
    assert during / 1200 > 3 * (len(billing) - during) / 2400  # 6 times the rate, roughly
    assert f"simulate: wrote {len(events)} events (3600 s of traffic)" in capsys.readouterr().out
    assert orjson.loads(out.read_bytes().splitlines()[0])["v"] == 1


@pytest.mark.parametrize(("options", "needle"), [
    (SimulateOptions(output="x.jsonl"), "needs --duration"),
    (SimulateOptions(timing=Timing(speed=60)), "--speed above 1 needs --duration"),
    (SimulateOptions(output="x.jsonl", timing=Timing(duration_s=5),
                     surge=SurgeOptions("billing", for_s=200, every_s=100)),
     "--surge-every must be longer than --surge-for"),
    (SimulateOptions(output="x.jsonl", timing=Timing(duration_s=5), timezone="Mars/Base"),
     "unknown time zone 'Mars/Base'"),
])
def test_options_that_do_not_go_together_are_usage_errors(options, needle, tmp_path,
                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as exc:
        run_simulation(KafkaSettings(), "UTC", options)
    assert needle in str(exc.value)
    assert not (tmp_path / "x.jsonl").exists()

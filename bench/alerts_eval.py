"""Cost of one alert evaluation against parsing the snapshot it evaluates.

    .venv/bin/python bench/alerts_eval.py [--segments 1000] [--repeat 7]

A real snapshot (an hour of the simulator's demo traffic through the metrics engine) is
widened to ``--segments`` segments (copies of its queues' figures under new names). Then,
interleaved, ``--repeat`` times each: ``orjson.loads`` of the snapshot's JSON (the baseline:
what the alerts process pays anyway to read it) and ``AlertEngine.step`` with the rules of
``alerts/rules.example.toml`` (five rules: surge, two thresholds, staffing, feed stalled),
one evaluation 5 s after the previous one. Prints best and median in ms and the ratio
step/loads. Never asserts a timing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import orjson

from alerts.config import load_alert_settings
from alerts.core import AlertEngine
from streams.adapters.simulator import Simulator, default_models
from streams.core.config import EngineSettings
from streams.core.engine import Engine

ROOT = Path(__file__).resolve().parents[1]


def widened_snapshot(segments: int) -> dict:
    start = 1_795_168_800.0
    sim = Simulator(default_models(1.0), start=start, seed=1, tz="UTC")
    engine = Engine(EngineSettings())
    from schemas import parse_event

    for event in sim.run(start + 3600):
        engine.apply(parse_event(orjson.dumps(event)))
    snap = engine.snapshot(start + 3600)
    queues = [v for k, v in snap["segments"].items() if k != "all"]
    wide = {"all": snap["segments"]["all"]}
    for i in range(segments - 1):
        wide[f"q{i:04d}"] = queues[i % len(queues)]
    return {"as_of": snap["as_of"], "segments": wide}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--segments", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    snap = widened_snapshot(args.segments)
    body = orjson.dumps(snap)
    settings = load_alert_settings(ROOT / "alerts" / "rules.example.toml")
    engine = AlertEngine(settings)
    t = 1_795_172_400.0
    engine.step(orjson.loads(body), t)  # first evaluation: instances and baselines created
    loads, steps = [], []
    for i in range(args.repeat):
        started = time.perf_counter()
        parsed = orjson.loads(body)
        loads.append(time.perf_counter() - started)
        started = time.perf_counter()
        engine.step(parsed, t + 5 * (i + 1))
        steps.append(time.perf_counter() - started)
        engine.drain_dirty()
    ms = 1000
    print(f"snapshot: {args.segments} segments, {len(body):,} bytes; "
          f"{len(settings.rules)} rules; {len(engine.instances)} live instances")
    print(f"orjson.loads     best {min(loads) * ms:8.2f} ms  median "
          f"{statistics.median(loads) * ms:8.2f} ms")
    print(f"AlertEngine.step best {min(steps) * ms:8.2f} ms  median "
          f"{statistics.median(steps) * ms:8.2f} ms")
    print(f"ratio step/loads (best): {min(steps) / min(loads):.1f}; per segment and rule: "
          f"{min(steps) / args.segments / len(settings.rules) * 1e6:.1f} µs")


if __name__ == "__main__":
    main()

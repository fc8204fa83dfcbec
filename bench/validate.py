"""Validator throughput: `schemas.parse_event` vs a bare `orjson.loads` over the same lines.

    .venv/bin/python bench/validate.py [--events 200000] [--repeat 5]

Reports events/s for both and their ratio (best of --repeat runs each, interleaved, so the
ratio is meaningful on a noisy machine). Lines come from the simulator, so the mix of event
types is realistic (about half agent.state, half call events).
"""

from __future__ import annotations

import argparse
import time

import orjson

from schemas import parse_event
from streams.simulator import Simulator, default_models


def make_lines(n: int) -> list[bytes]:
    sim = Simulator(default_models(rate=20.0), start=1_795_300_000.0, seed=1)
    lines: list[bytes] = []
    t = sim.now
    while len(lines) < n:
        t += 600
        lines.extend(orjson.dumps(e) for e in sim.advance(t))
    return lines[:n]


def rate(fn, lines: list[bytes]) -> float:  # noqa: ANN001
    start = time.perf_counter()
    for line in lines:
        fn(line)
    return len(lines) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    lines = make_lines(args.events)
    base, ours = [], []
    for _ in range(args.repeat):
        base.append(rate(orjson.loads, lines))
        ours.append(rate(parse_event, lines))
    b, o = max(base), max(ours)
    print(f"events: {len(lines)}; mean line {sum(map(len, lines)) / len(lines):.0f} bytes")
    print(f"baseline orjson.loads:   {b:12,.0f} events/s")
    print(f"schemas.parse_event:     {o:12,.0f} events/s")
    print(f"ratio parse_event/loads: {o / b:.3f}")


if __name__ == "__main__":
    main()

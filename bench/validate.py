"""Validator throughput: `schemas.parse_event` vs a bare `orjson.loads` over the same lines.

    .venv/bin/python bench/validate.py [--events 200000] [--repeat 5] [--no-legacy]

Reports events/s (best of --repeat runs each, interleaved, so the ratios are meaningful on a
noisy machine) of:

* the baseline: a bare `orjson.loads` (decoding without validating);
* the second baseline: msgspec decoding alone, the strict Structs `parse_event` uses
  (`schemas.validate.StrictEventStruct`), without the Python pass (`ts`, limits) and without
  building the `Event`;
* `schemas.parse_event` (msgspec, the product's validator);
* `schemas.legacy.parse_event`, the hand-written validator it replaced (orjson + Python
  checks), unless --no-legacy.

and the ratios to the baselines. Lines come from the simulator, so the mix of event types is
realistic (about half call.queued, 40 % call.abandoned at this load, 5 % agent.state).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import msgspec
import orjson

from schemas import legacy, parse_event
from schemas.validate import StrictEventStruct
from streams.adapters.simulator import Simulator, default_models


def make_lines(n: int) -> list[bytes]:
    sim = Simulator(default_models(rate=20.0), start=1_795_300_000.0, seed=1)
    lines: list[bytes] = []
    t = sim.now
    while len(lines) < n:
        t += 600
        lines.extend(orjson.dumps(e) for e in sim.advance(t))
    return lines[:n]


def rate(fn: Callable[[bytes], object], lines: list[bytes]) -> float:
    start = time.perf_counter()
    for line in lines:
        fn(line)
    return len(lines) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-legacy", action="store_true", help="skip the hand-written validator")
    args = ap.parse_args()
    lines = make_lines(args.events)
    runs: dict[str, tuple[Callable[[bytes], object], list[float]]] = {
        "orjson.loads": (orjson.loads, []),
        "msgspec decode": (msgspec.json.Decoder(StrictEventStruct).decode, []),
        "parse_event": (parse_event, []),
    }
    if not args.no_legacy:
        runs["legacy.parse_event"] = (legacy.parse_event, [])
    for fn, _ in runs.values():  # warm-up: timestamp caches, imports
        for line in lines[:1000]:
            fn(line)
    for _ in range(args.repeat):
        for fn, rates in runs.values():
            rates.append(rate(fn, lines))
    best = {name: max(rates) for name, (_, rates) in runs.items()}
    loads, decode = best["orjson.loads"], best["msgspec decode"]
    print(f"events: {len(lines)}; mean line {sum(map(len, lines)) / len(lines):.0f} bytes; "
          f"best of {args.repeat}, interleaved")
    print(f"{'':22s} {'events/s':>12s} {'/ loads':>8s} {'/ decode':>9s}")
    for name, value in best.items():
        print(f"{name:22s} {value:12,.0f} {value / loads:8.3f} {value / decode:9.3f}")
    print(f"ratio parse_event/loads: {best['parse_event'] / loads:.3f} (target >= 0.5)")


if __name__ == "__main__":
    main()

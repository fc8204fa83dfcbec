"""Peak memory of `wallboard compute`: 1 M vs 5 M events (the same traffic, 5x longer).

    .venv/bin/python bench/memory.py [--events 1000000,5000000] [--baseline-events 10000]
                                     [--queues 8] [--seed 1]

Each size's file comes from bench/gen_events.py with the same settings (20 calls/s, so 5 M
events are 5x more event time, ~16 h instead of ~3.2 h), cached in ``$WALLBOARD_BENCH_CACHE``
(default /tmp/wallboard-bench). Every measurement runs ``wallboard --config C compute --events
F.gz`` in a fresh wrapper process that reports ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of
its only child, so each peak is that run's alone. The baseline is the same command on a tiny
file (interpreter, imports, a few thousand events): the fixed cost.

The engine's state should grow only with open visits and retained buckets (the longest
window plus margins), not with the length of the input: the target is a peak RSS ratio of
~1 between the largest and the smallest size. Results are printed, never asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import orjson
from gen_events import cached

WALLBOARD = Path(sys.executable).with_name("wallboard")
# Runs argv[1:] with stdout discarded; prints {"maxrss_kib", "rc", "wall_s", "stderr_tail"}.
WRAPPER = """
import resource, subprocess, sys, time, orjson
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
tail = p.stderr.decode(errors="replace").strip().splitlines()[-25:]
print(orjson.dumps({"maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                    "rc": p.returncode, "wall_s": wall, "stderr_tail": tail}).decode())
"""


def measure(path: Path, config: Path) -> dict:
    argv = [sys.executable, "-c", WRAPPER, str(WALLBOARD), "--config", str(config), "compute",
            "--events", str(path)]
    out = subprocess.run(argv, stdout=subprocess.PIPE, check=True).stdout
    result = orjson.loads(out)
    if result["rc"] != 0:
        print("\n".join(result["stderr_tail"]), file=sys.stderr)
        raise SystemExit(f"wallboard compute on {path} exited with code {result['rc']}")
    return result


def mib(kib: int) -> float:
    return kib / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", default="1000000,5000000",
                    help="comma-separated sizes (default: 1000000,5000000)")
    ap.add_argument("--baseline-events", type=int, default=10_000,
                    help="size of the fixed-cost baseline run (0: skip)")
    ap.add_argument("--queues", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    try:
        sizes = sorted({int(s.replace("_", "")) for s in args.events.split(",") if s.strip()})
    except ValueError:
        ap.error(f"--events: expected sizes like 1000000,5000000, got {args.events!r}")
    if not sizes or min(sizes) < 1:
        ap.error("--events: give at least one positive size")
    all_sizes = ([args.baseline_events] if args.baseline_events else []) + sizes
    files = {n: cached(n, queues=args.queues, seed=args.seed) for n in all_sizes}

    results: dict[int, dict] = {}
    for n in all_sizes:
        path, config = files[n]
        r = results[n] = measure(path, config)
        summary = next((line for line in reversed(r["stderr_tail"])
                        if "events applied" in line), "")
        label = "baseline" if n == args.baseline_events and n not in sizes else "events"
        print(f"{label} {n:>11,}: peak RSS {mib(r['maxrss_kib']):8.1f} MiB, "
              f"{r['wall_s']:6.1f} s wall, {n / r['wall_s']:9,.0f} events/s  [{summary}]",
              flush=True)

    small, large = results[sizes[0]], results[sizes[-1]]
    if len(sizes) > 1:
        ratio = large["maxrss_kib"] / small["maxrss_kib"]
        print(f"peak RSS ratio {sizes[-1]:,} / {sizes[0]:,} events: {ratio:.3f} "
              f"(target ~1: {'flat' if ratio <= 1.10 else 'GROWS with the input'})")
        if args.baseline_events and args.baseline_events not in sizes:
            base = results[args.baseline_events]["maxrss_kib"]
            grow_small, grow_large = small["maxrss_kib"] - base, large["maxrss_kib"] - base
            if grow_small > 0:
                print(f"above the fixed cost ({mib(base):.1f} MiB): {mib(grow_small):.1f} MiB vs "
                      f"{mib(grow_large):.1f} MiB, ratio {grow_large / grow_small:.3f}")


if __name__ == "__main__":
    main()

"""Engine throughput: `wallboard compute`'s path vs a bare `orjson.loads` over the same lines.

    .venv/bin/python bench/compute.py [--events 1000000] [--repeat 3] [--queues 8] [--seed 1]
                                      [--no-cli] [--profile [--profile-top 25]]

The event file comes from bench/gen_events.py (generated once, cached in
``$WALLBOARD_BENCH_CACHE``, default /tmp/wallboard-bench); its lines are decompressed into
memory beforehand so gzip is not measured. Interleaved, best of --repeat runs each:

* baseline: ``for line in lines: orjson.loads(line)`` (the bare decode rate);
* second baseline: msgspec decoding alone into the contract's Structs
  (``schemas.validate``'s decoder: no ``ts`` parsing, no ``Event``);
* engine: ``streams.core.compute.snapshots(lines, settings, as_of=[newest ts])`` consumed, in
  process: validation + ``Engine.apply`` + the one final snapshot, exactly as ``compute`` does;
* cli (unless --no-cli): ``wallboard --config C compute --events F.gz --as-of T`` as a
  subprocess, wall time (adds interpreter start-up, imports, gzip and printing the snapshot).

Prints events/s, the ratios engine/baseline and engine/msgspec and whether issue 9's targets
are met (>= 150 k events/s on one core; >= 12 % of the bare decode rate). Timings are
printed, never asserted.
``--profile`` adds one engine run under cProfile and prints the top functions by tottime.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import gzip
import io
import pstats
import subprocess
import sys
import time
from pathlib import Path

import orjson
from gen_events import cached, parse_start

from streams.core.compute import ComputeStats, snapshots
from wallboard.settings import load_settings

TARGET_EVENTS_S = 150_000
TARGET_RATIO = 0.12
WALLBOARD = Path(sys.executable).with_name("wallboard")


def bare_decode(lines: list[bytes]) -> float:
    loads = orjson.loads
    start = time.perf_counter()
    for line in lines:
        loads(line)
    return time.perf_counter() - start


def msgspec_decode(lines: list[bytes]) -> float:
    from schemas.validate import _decode  # the hot path's decoder (strict Structs)

    start = time.perf_counter()
    for line in lines:
        _decode(line)
    return time.perf_counter() - start


def engine_run(lines: list[bytes], settings, as_of: float) -> tuple[float, ComputeStats, list]:  # noqa: ANN001
    stats = ComputeStats()
    start = time.perf_counter()
    snaps = list(snapshots(lines, settings, as_of=[as_of], stats=stats))
    return time.perf_counter() - start, stats, snaps


def cli_run(path: Path, config: Path, as_of: str) -> float:
    argv = [str(WALLBOARD), "--config", str(config), "compute", "--events", str(path),
            "--as-of", as_of]
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(f"`{' '.join(argv)}` exited with code {proc.returncode}")
    return elapsed


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--queues", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-cli", action="store_true", help="skip the `wallboard compute` runs")
    ap.add_argument("--profile", action="store_true",
                    help="also profile one engine run (cProfile, by tottime)")
    ap.add_argument("--profile-top", type=int, default=25)
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    return args


def _rounds(args: argparse.Namespace, lines: list[bytes], settings, path: Path,  # noqa: ANN001
            config: Path, newest: str) -> tuple[dict[str, list[float]], ComputeStats, dict]:
    """``--repeat`` rounds of: the two decode baselines, the engine, the CLI."""
    times: dict[str, list[float]] = {"base": [], "dec": [], "eng": [], "cli": []}
    stats = snap = None
    as_of = parse_start(newest)
    for i in range(args.repeat):
        gc.collect()
        times["base"].append(bare_decode(lines))
        gc.collect()
        times["dec"].append(msgspec_decode(lines))
        gc.collect()
        elapsed, stats, snaps = engine_run(lines, settings, as_of)
        times["eng"].append(elapsed)
        snap = snaps[-1]
        del snaps
        if not args.no_cli:
            gc.collect()
            times["cli"].append(cli_run(path, config, newest))
        cli = times["cli"]
        print(f"  run {i + 1}/{args.repeat}: baseline {times['base'][-1]:.2f} s, msgspec "
              f"{times['dec'][-1]:.2f} s, engine {elapsed:.2f} s"
              + (f", cli {cli[-1]:.2f} s" if cli else ""), flush=True)
    assert stats is not None and snap is not None
    return times, stats, snap


def _report(n: int, times: dict[str, list[float]], stats: ComputeStats, snap: dict) -> None:
    segs = snap["segments"]
    offered = segs["all"]["windows"]["today"]["offered"]
    print(f"engine: {stats.events:,} events applied, {stats.invalid} invalid; snapshot has "
          f"{len(segs)} segments; all.today.offered = {offered:,}")
    base = times["base"]
    b, d, e = n / min(base), n / min(times["dec"]), n / min(times["eng"])
    print(f"baseline orjson.loads:        {b:12,.0f} events/s  (best of {len(base)})")
    print(f"msgspec decode alone:         {d:12,.0f} events/s")
    print(f"engine (compute.snapshots):   {e:12,.0f} events/s  ({n / e:.2f} s)")
    if times["cli"]:
        c = n / min(times["cli"])
        print(f"cli `wallboard compute` .gz:  {c:12,.0f} events/s  ({n / c:.2f} s wall)")
    ratio = e / b
    print(f"ratio engine/baseline:        {ratio:12.3f}")
    print(f"ratio engine/msgspec decode:  {e / d:12.3f}")
    print(f"target >= {TARGET_EVENTS_S:,} events/s on one core: "
          f"{verdict(e >= TARGET_EVENTS_S)} ({e / TARGET_EVENTS_S:.2f}x of the target)")
    print(f"target >= {TARGET_RATIO:.0%} of the bare decode rate:  "
          f"{verdict(ratio >= TARGET_RATIO)} ({ratio:.1%})")


def _profile(lines: list[bytes], settings, as_of: float, top: int) -> None:  # noqa: ANN001
    gc.collect()
    prof = cProfile.Profile()
    prof.enable()
    for _ in snapshots(lines, settings, as_of=[as_of]):
        pass
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    print(f"\ncProfile of one engine run, top {top} by tottime "
          "(cProfile roughly doubles the run time):")
    print(out.getvalue().strip())


def main() -> None:
    args = _parse_args()
    path, config = cached(args.events, queues=args.queues, seed=args.seed)
    with gzip.open(path, "rb") as fh:
        lines = fh.readlines()  # with their b"\n", as `compute` reads them
    newest = max(orjson.loads(line)["ts"] for line in lines)  # RFC 3339 Z, ms: sortable text
    settings = load_settings(config).engine
    n = len(lines)
    print(f"events: {n:,} ({path}); mean line {sum(map(len, lines)) / n:.0f} bytes; "
          f"segments configured: {', '.join(s.name for s in settings.segments)}; "
          f"as of {newest}")
    times, stats, snap = _rounds(args, lines, settings, path, config, newest)
    _report(n, times, stats, snap)
    if args.profile:
        _profile(lines, settings, parse_start(newest), args.profile_top)


if __name__ == "__main__":
    main()

"""Snapshot build time with 1 000 segments vs 10 segments and vs serialising the snapshot.

    .venv/bin/python bench/snapshot.py [--queues 995] [--small-queues 5] [--minutes 60]
                                       [--rate 20] [--repeat 7] [--seed 1] [--profile]

Two engines, each with the four attribute segments of bench/gen_events.py (vip, standard,
voice, chat; every visit is in all + its queue + its tier + its channel):

* large: ``--queues`` queues (default 995), so ``all`` + 995 queues + 4 = 1 000 segments;
* small: ``--small-queues`` queues (default 5): 10 segments.

Each is fed ``--minutes`` of event time (default 60, so every rolling window's minute buckets
are populated) at ``--rate`` calls/s over its queues, plus agent states (bench/gen_events.py;
events are parsed before the clock starts), except the last ``--repeat`` seconds. Then:

* **cold**: the first snapshot (nothing cached: what a restarted worker pays once);
* **live**, ``--repeat`` times, interleaved between the engines: apply the next second of
  events (timed apart), then ``engine.snapshot`` one second later, as the worker asks: the
  figure that matters;
* **idle**: a snapshot one second later with no new event;
* a third engine with ``--waiting`` callers waiting (default 10 000), asked one second
  later each time;
* ``orjson.dumps`` of each snapshot: the baseline (the cost of merely serialising it).

Prints best and median in ms, the ratios large/small and snapshot/dumps, the time per
segment, and the snapshot size in bytes. ``--profile`` adds a cProfile of one live large
snapshot.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import tempfile
import time
from pathlib import Path

import orjson
from gen_events import config_toml, iter_lines

from schemas import Event, parse_event
from streams.core.config import EngineSettings
from streams.core.engine import Engine
from streams.core.timefmt import rfc3339
from wallboard.settings import load_settings


def settings_for_bench() -> EngineSettings:
    """The settings bench/gen_events.py writes (read through the product's loader)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(config_toml(), encoding="utf-8")
        return load_settings(path).engine


def build(queues: int, minutes: float, rate: float, seed: int,
          held_s: int) -> tuple[Engine, list[list[Event]], float]:
    """An engine fed ``minutes`` of traffic over ``queues`` queues but the last ``held_s``
    seconds; those, one list per second; the instant of the first held second's start."""
    events = [parse_event(line)
              for line in iter_lines(queues=queues, seed=seed, rate=rate, duration_s=minutes * 60)]
    events.sort(key=lambda ev: ev.ts)  # the file has late lines: hold back by event time
    cut = events[-1].ts - held_s
    fed = [ev for ev in events if ev.ts <= cut]
    held: list[list[Event]] = [[] for _ in range(held_s)]
    for ev in events[len(fed):]:
        held[min(int(ev.ts - cut), held_s - 1)].append(ev)
    engine = Engine(settings_for_bench())
    start = time.perf_counter()
    for ev in fed:
        engine.apply(ev)
    elapsed = time.perf_counter() - start
    print(f"  {queues} queues: {len(fed):,} events applied in {elapsed:.1f} s "
          f"({len(fed) / elapsed:,.0f} events/s); {len(events) - len(fed):,} held back for "
          f"the live snapshots", flush=True)
    return engine, held, cut


def build_waiting(n: int) -> tuple[Engine, float]:
    """An engine with ``n`` callers queued over the last 10 minutes and still waiting."""
    engine = Engine(EngineSettings(max_segments=5000))
    start = 1_795_300_000.0
    for i in range(n):
        engine.apply(parse_event({"v": 1, "event_id": f"w{i}", "type": "call.queued",
                                  "ts": rfc3339(start + i * 600 / n), "call_id": f"w{i}",
                                  "queue": f"q{i % 4}"}))
    return engine, start + 600


def timed(fn, *args) -> tuple[float, object]:  # noqa: ANN001
    gc.collect()
    start = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - start) * 1000, result


def _parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queues", type=int, default=995, help="queues of the large engine")
    ap.add_argument("--small-queues", type=int, default=5, help="queues of the small engine")
    ap.add_argument("--minutes", type=float, default=60.0, help="event time fed to each")
    ap.add_argument("--rate", type=float, default=20.0, help="calls/s over all queues")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--waiting", type=int, default=10_000,
                    help="callers waiting in the third engine (4 queues, no agents)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", action="store_true",
                    help="also profile one large snapshot (cProfile, top 20 by tottime)")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    return args


def _measure(args: argparse.Namespace, fed: dict[str, tuple[Engine, list[list[Event]], float]],
             waiting: Engine, t_waiting: float
             ) -> tuple[dict[str, list[float]], dict[str, float], dict[str, dict]]:
    """Cold, then ``--repeat`` rounds of live (one second of new events), dumps and idle
    snapshots, interleaved between the engines, and the waiting-callers snapshot."""
    times: dict[str, list[float]] = {k: [] for k in (
        "large", "large_dumps", "small", "small_dumps", "large_idle", "small_idle",
        "waiting")}
    snaps: dict[str, dict] = {}
    cold = {name: timed(engine.snapshot, t)[0] for name, (engine, _, t) in fed.items()}
    for i in range(args.repeat):
        for name, (engine, held, t) in fed.items():
            for ev in held[i]:
                engine.apply(ev)
            ms, snap = timed(engine.snapshot, t + i + 1)  # one second of new events
            times[name].append(ms)
            ms, _ = timed(orjson.dumps, snap)
            times[f"{name}_dumps"].append(ms)
            snaps[name] = snap  # type: ignore[assignment]
            ms, _ = timed(engine.snapshot, t + i + 1.5)  # no new event since
            times[f"{name}_idle"].append(ms)
        ms, snap = timed(waiting.snapshot, t_waiting + i)
        times["waiting"].append(ms)
        assert snap["segments"]["all"]["now"]["waiting"] == args.waiting
    return times, cold, snaps


def _report(args: argparse.Namespace, times: dict[str, list[float]], cold: dict[str, float],
            snaps: dict[str, dict], fed: dict[str, tuple[Engine, list[list[Event]], float]]
            ) -> None:
    n = {name: len(snaps[name]["segments"]) for name in ("large", "small")}
    size = {name: len(orjson.dumps(snaps[name])) for name in ("large", "small")}
    best = {k: min(v) for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nbest / median of {args.repeat}, ms:")
    rows = (("large", f"live snapshot, {n['large']} segments"),
            ("large_dumps", "  orjson.dumps of it"),
            ("large_idle", "  idle (no new event)"),
            ("small", f"live snapshot, {n['small']} segments"),
            ("small_dumps", "  orjson.dumps of it"),
            ("small_idle", "  idle (no new event)"),
            ("waiting", f"snapshot, {args.waiting} waiting callers"))
    for key, label in rows:
        print(f"  {label:<34} {best[key]:9.2f} {med[key]:9.2f}")
    for name in ("large", "small"):
        per_s = sum(len(h) for h in fed[name][1][:args.repeat]) / args.repeat
        print(f"  cold (first) snapshot, {n[name]} segments: {cold[name]:.2f} ms; {per_s:,.0f} "
              "events applied between two live snapshots")
    print(f"snapshot size: {size['large']:,} bytes ({n['large']} segments), {size['small']:,} "
          f"bytes ({n['small']} segments)")
    print(f"per segment: {best['large'] / n['large'] * 1000:.0f} us ({n['large']} segments), "
          f"{best['small'] / n['small'] * 1000:.0f} us ({n['small']} segments)")
    for key in ("large", "small"):
        print(f"ratio snapshot/dumps, {n[key]:>4} segments: "
              f"{best[key] / best[key + '_dumps']:7.1f}")
    print(f"ratio snapshot {n['large']}/{n['small']} segments:  "
          f"{best['large'] / best['small']:7.1f} (segments x{n['large'] / n['small']:.0f})")


def _profile(args: argparse.Namespace, n_large: int, large: Engine, held: list[list[Event]],
             t: float) -> None:
    prof = cProfile.Profile()
    for ev in held[args.repeat]:  # one more second of events, then a live snapshot
        large.apply(ev)
    prof.runcall(large.snapshot, t + args.repeat + 1)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime").print_stats(20)
    print(f"\ncProfile of one {n_large}-segment snapshot, top 20 by tottime:")
    print(out.getvalue().strip())


def main() -> None:
    args = _parse_args()
    print(f"feeding {args.minutes:g} min at {args.rate:g} calls/s:")
    # one more second held back than asked: the profile's live snapshot
    fed = {"large": build(args.queues, args.minutes, args.rate, args.seed, args.repeat + 1),
           "small": build(args.small_queues, args.minutes, args.rate, args.seed,
                          args.repeat + 1)}
    waiting, t_waiting = build_waiting(args.waiting)
    times, cold, snaps = _measure(args, fed, waiting, t_waiting)
    _report(args, times, cold, snaps, fed)
    if args.profile:
        _profile(args, len(snaps["large"]["segments"]), *fed["large"])


if __name__ == "__main__":
    main()

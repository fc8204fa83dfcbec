"""Checkpoint size and cost, and restore time, with many open calls (issue 10).

    .venv/bin/python bench/recovery.py [--open-calls 10000] [--repeat 5]

One partition's engine is fed an hour of simulated traffic plus ``--open-calls`` callers who
queued in the last minutes and are still waiting (the state a restart must bring back). Then,
interleaved ``--repeat`` times: writing the checkpoint (``Partitions.checkpoint``: engine
state + offset, zlib) and restoring it (``Partitions.assign``: decode + ``Engine.from_bytes``,
which re-parses every open call's events). Baseline in the same run: ``orjson.dumps`` +
``orjson.loads`` of the same number of raw events. Prints sizes, best/median times and
ratios; never asserts a timing.

The end-to-end restart (a new process joining the group, reading ``cc.state``, restoring, and
reading on) is measured by ``tests/integration/test_worker_recovery.py``'s log lines
("restored N partition(s) in X s"); this script isolates the part that grows with open calls.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--open-calls", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from streams.adapters.simulator import Simulator, default_models
    from streams.core.config import EngineSettings
    from streams.core.partitions import Partitions
    from streams.core.timefmt import rfc3339

    now = time.time()
    tp = ("cc.call-events", 0)
    events = [e for e in Simulator(default_models(rate=4.0), start=now - 3600, seed=2)
              .advance(now - 300) if e["type"] != "agent.state"]
    waiting = [{"v": 1, "event_id": f"open-{i}", "type": "call.queued",
                "ts": rfc3339(now - 300 + (i % 280)), "call_id": f"open-{i}",
                "queue": f"q{i % 8}"} for i in range(args.open_calls)]
    lines = [orjson.dumps(e) for e in events + waiting]
    parts = Partitions(EngineSettings(), lambda: now, ("cc.call-events", "cc.agent-events"),
                       "bench")
    parts.assign(tp, None)
    keys = [e["call_id"].encode() for e in events + waiting]  # keyed as the producers key
    parts.handle_batch(tp, [(i, keys[i], line) for i, line in enumerate(lines)])
    snap = parts.snapshot(now)
    print(f"engine: {len(lines)} events, {snap['segments']['all']['now']['waiting']} callers "
          f"waiting now")

    write, restore, base = [], [], []
    data = b""
    for _ in range(args.repeat):
        t = time.perf_counter()
        data = parts.checkpoint(tp)
        write.append(time.perf_counter() - t)
        t = time.perf_counter()
        other = Partitions(EngineSettings(), lambda: now, ("cc.call-events", "cc.agent-events"),
                           "bench")
        assert other.assign(tp, data) == len(lines)
        restore.append(time.perf_counter() - t)
        t = time.perf_counter()
        for e in waiting:
            orjson.loads(orjson.dumps(e))
        base.append(time.perf_counter() - t)
    assert other.snapshot(now) == snap  # the restored engine answers the same
    size_mib = len(data) / 2**20
    print(f"checkpoint: {len(data):,} bytes compressed ({size_mib:.2f} MiB)")
    print(f"write:   best {min(write) * 1000:.0f} ms, median "
          f"{statistics.median(write) * 1000:.0f} ms")
    print(f"restore: best {min(restore) * 1000:.0f} ms, median "
          f"{statistics.median(restore) * 1000:.0f} ms (target for restart -> live: <= 10 s)")
    print(f"baseline orjson dumps+loads of the {len(waiting)} open calls' events: best "
          f"{min(base) * 1000:.1f} ms; restore / baseline {min(restore) / min(base):.0f}x")


if __name__ == "__main__":
    main()

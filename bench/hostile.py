"""The cost of one hostile but valid event, with the limits and with them lifted.

    .venv/bin/python bench/hostile.py [--queues 7999] [--repeat 5] [--probes 40]

One ``agent.state`` listing ``--queues`` queues (the hardening probe's 51 KB event), plus an
ordinary hour of a few queues, goes into the worker's runtime (``streams.worker.Runtime``: the
real processor, engine, snapshot publisher and aiohttp server, on loopback; no broker). Two
runtimes take it: the **baseline** with the limits lifted (``engine.max_segments`` and
``max_queues_per_agent`` at 1,000,000: the behaviour before the limits) and the **bounded**
one with the defaults. Interleaved ``--repeat`` times each, it measures a publish (snapshot +
JSON + Prometheus text, what every request used to compute), the bytes of the snapshot and of
``/metrics``, and ``/api/v1/health`` latency while a publish runs (``--probes`` requests).
Prints best and median, and the ratios bounded/baseline. Never asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import replace

import orjson

from infra.clients import free_port
from streams.config import KafkaSettings, WorkerSettings
from streams.core.config import EngineSettings
from streams.core.timefmt import rfc3339
from streams.worker import Runtime
from wallboard.settings import Settings

NOW = 1_795_300_000.0


def records(queues: int) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value): keyed as the producers key, by agent_id and call_id."""
    out = [("cc.agent-events", b"a-hostile", orjson.dumps({
        "v": 1, "event_id": "hostile", "type": "agent.state", "ts": rfc3339(NOW - 1),
        "agent_id": "a-hostile", "state": "available",
        "queues": [f"q{i:04d}" for i in range(queues)]}))]
    for i in range(3600):  # an ordinary hour: one call a second over four queues
        call = {"v": 1, "type": "call.queued", "ts": rfc3339(NOW - 3600 + i),
                "call_id": f"c{i}", "queue": f"q{i % 4:04d}", "event_id": f"q{i}"}
        out.append(("cc.call-events", call["call_id"].encode(), orjson.dumps(call)))
        out.append(("cc.call-events", call["call_id"].encode(), orjson.dumps(
            {**call, "type": "call.answered", "ts": rfc3339(NOW - 3600 + i + 7),
             "event_id": f"a{i}", "agent_id": "a1"})))
    return out


async def measure(rt: Runtime, probes: int) -> tuple[float, int, int, list[float]]:
    latencies: list[float] = []
    publish = asyncio.create_task(rt.publish_once())
    while not publish.done() and len(latencies) < probes:
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", rt.http.port)
        writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await reader.read()
        writer.close()
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)
    published = await publish
    return published.build_s, len(published.body), len(published.metrics_text), latencies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queues", type=int, default=7999)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--probes", type=int, default=40)
    args = ap.parse_args()
    recs = records(args.queues)

    async def run() -> dict[str, list[tuple[float, int, int, list[float]]]]:
        results: dict[str, list] = {"baseline": [], "bounded": []}
        runtimes = {}
        for name, engine in (("baseline", EngineSettings(max_segments=1_000_000,
                                                         max_queues_per_agent=1_000_000)),
                             ("bounded", EngineSettings())):
            settings = replace(Settings(), engine=engine,
                               kafka=KafkaSettings(bootstrap=f"127.0.0.1:{free_port()}"),
                               worker=WorkerSettings(port=free_port(),
                                                     snapshot_interval_s=3600))
            rt = Runtime(settings, lambda: NOW)
            await rt.start()
            for offset, (topic, key, value) in enumerate(recs):
                await rt.handle(topic, 0, offset, key, value)
            runtimes[name] = rt
        try:
            for _ in range(args.repeat):
                for name, rt in runtimes.items():
                    results[name].append(await measure(rt, args.probes))
        finally:
            for rt in runtimes.values():
                await rt.stop()
        return results

    results = asyncio.run(run())
    summary = {}
    for name, rows in results.items():
        builds = [r[0] for r in rows]
        lat = [x for r in rows for x in r[3]]
        summary[name] = (min(builds), statistics.median(builds), rows[0][1], rows[0][2],
                         max(lat) if lat else float("nan"),
                         statistics.median(lat) if lat else float("nan"))
        b = summary[name]
        print(f"{name:9s} publish best {b[0] * 1000:9.1f} ms  median {b[1] * 1000:9.1f} ms  "
              f"snapshot {b[2] / 1e6:7.2f} MB  /metrics {b[3] / 1e6:7.2f} MB  "
              f"health during publish: median {b[5] * 1000:6.1f} ms, max {b[4] * 1000:6.1f} ms "
              f"({sum(len(r[3]) for r in results[name])} requests)")
    base, bounded = summary["baseline"], summary["bounded"]
    print(f"ratio bounded/baseline: publish {bounded[0] / base[0]:.4f}, snapshot bytes "
          f"{bounded[2] / base[2]:.4f}, /metrics bytes {bounded[3] / base[3]:.4f}")


if __name__ == "__main__":
    main()

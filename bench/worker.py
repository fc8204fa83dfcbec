"""Worker throughput and freshness on a real broker (issue 10), with baselines in the same run.

Starts its own single-node Kafka (random ports, temp dir), pre-fills the input topics with
``--events`` simulated contract events (keyed like the producers), then, one after another:

* **bare aiokafka**: a consumer reading every record with ``getmany`` + ``orjson.loads`` (the
  ceiling for a Python consumer);
* **bare kafka-python**: ``poll`` + ``orjson.loads``;
* **Faust agent, counting only**: a minimal faust-streaming app whose agent only counts the
  records (``stream.take`` batches): the framework's cost without ours;
* **the worker** (``wallboard worker`` as a subprocess, a fresh consumer group): time from its
  first record to the last applied, read from ``/api/v1/health``.

Then, with ``--live RATE[,RATE]``, events are produced at each rate for ``--live-seconds``
while the worker runs, a client polls the snapshot at 1 Hz and another GETs ``/metrics`` every
5 s; the produce -> visible delay is measured on marker events (a ``call.queued`` on a queue of
its own, visible when that queue's ``waiting`` turns 1).

Also reports the checkpoint size and write cost and the worker's RSS.

    .venv/bin/python bench/worker.py [--events 200000] [--live 2000,5000] [--live-seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from consumer_baselines import bare_aiokafka, bare_kafka_python, faust_counting, quix_counting

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read())


def prefill(kafka, n: int) -> int:  # noqa: ANN001
    from streams.adapters.simulator import Simulator, default_models
    from streams.producer import EventProducer

    now = time.time()
    events = Simulator(default_models(rate=12.0), start=now - 20 * 3600, seed=3).advance(now)
    events = events[:n]
    producer = EventProducer(kafka)
    producer.send(events)
    producer.close()
    return len(events)


def start_worker(config: Path, log: Path, port: int | None = None) -> subprocess.Popen:
    extra = [] if port is None else ["--port", str(port)]
    return subprocess.Popen([sys.executable, "-m", "wallboard", "--config", str(config),
                             "worker", *extra], stdout=log.open("ab"), stderr=subprocess.STDOUT)


def wait_health(port: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return get_json(f"http://127.0.0.1:{port}/api/v1/health")
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("worker did not answer")


def worker_catchup(config: Path, port: int, n: int, tmp: Path) -> tuple[float, dict, int]:
    proc = start_worker(config, tmp / "worker.log")
    try:
        wait_health(port)
        first = None
        while True:
            health = get_json(f"http://127.0.0.1:{port}/api/v1/health")
            done = health["feed"]["records"]
            if done and first is None:
                first = (time.perf_counter(), done)
            if done >= n:
                break
            time.sleep(0.05)
        t0, done0 = first
        rate = (n - done0) / (time.perf_counter() - t0)
        rss = int(Path(f"/proc/{proc.pid}/status").read_text().split("VmRSS:")[1].split()[0])
        return rate, health, rss
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_for_owners(port: int) -> None:
    """Every worker owns some partitions before the traffic starts."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        owners = {p["owner"] for p in get_json(
            f"http://127.0.0.1:{port}/api/v1/health")["partitions"]["detail"]}
        if owners == {"here", "another worker"}:
            break
        time.sleep(0.5)


def _scrape(port: int, stop: threading.Event, scrape_s: list[float]) -> None:
    """Prometheus every 5 s, the board every 1 s."""
    ticks = 0
    while not stop.is_set():
        t = time.perf_counter()
        get_json(f"http://127.0.0.1:{port}/api/v1/snapshot")
        if ticks % 5 == 0:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()  # noqa: S310
        scrape_s.append(time.perf_counter() - t)
        ticks += 1
        stop.wait(1.0)


def _produce(kafka, port: int, rate: int, seconds: float, run: str,  # noqa: ANN001
             delays: list[float]) -> int:
    """Simulated traffic topped up with agent states to ``rate`` events/s for ``seconds``,
    and one marker call a second on a queue of its own, watched until visible."""
    from streams.adapters.simulator import Simulator, default_models
    from streams.producer import EventProducer

    producer = EventProducer(kafka, client_id="bench-live")
    sim = Simulator(default_models(rate=rate / 4.0), start=time.time(), seed=rate)
    t_start = time.monotonic()
    sent = marker = 0
    while time.monotonic() - t_start < seconds:
        tick = time.time()
        batch = sim.advance(tick)
        producer.send(batch)
        sent += len(batch)
        target = int(rate * (time.monotonic() - t_start))  # filler: cheap, realistic volume
        if sent < target:
            producer.send([{"v": 1, "event_id": f"f-{sent + i}-{rate}",
                            "type": "agent.state", "ts": _iso(tick), "agent_id": f"fa{i % 500}",
                            "state": "available", "queues": ["billing"]}
                           for i in range(target - sent)])
            sent = target
        if int(time.monotonic() - t_start) > marker:  # one marker a second
            marker += 1
            queue = f"marker-{run}-{marker}"  # a queue of its own, new in this run
            producer.send([{"v": 1, "event_id": f"m-{queue}", "type": "call.queued",
                            "ts": _iso(time.time()), "call_id": f"m-{queue}", "queue": queue}])
            producer.flush()
            threading.Thread(target=_watch, args=(port, queue, time.perf_counter(), delays),
                             daemon=True).start()
        time.sleep(0.01)
    producer.close()
    return sent


def live(kafka, config: Path, port: int, rate: int, seconds: float, tmp: Path,  # noqa: ANN001
         workers: int = 1) -> dict:
    """Produce at ``rate`` events/s; measure produce -> visible with markers, on the first
    worker's (global) snapshot, with ``workers`` workers in the group."""
    from infra.clients import free_port

    procs = [start_worker(config, tmp / f"live-{rate}-{workers}.log")]
    procs += [start_worker(config, tmp / f"live-{rate}-{workers}-{i}.log", free_port())
              for i in range(1, workers)]
    delays: list[float] = []
    try:
        wait_health(port)
        if workers > 1:
            _wait_for_owners(port)
        stop = threading.Event()
        threading.Thread(target=_scrape, args=(port, stop, []), daemon=True).start()
        run = f"{rate}-{workers}-{time.time_ns() % 10**9}"
        sent = _produce(kafka, port, rate, seconds, run, delays)
        time.sleep(3)
        stop.set()
        health = get_json(f"http://127.0.0.1:{port}/api/v1/health")
        return {"rate": rate, "sent": sent, "delays": sorted(delays), "health": health,
                "workers": workers}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def _iso(t: float) -> str:
    from streams.core.timefmt import rfc3339

    return rfc3339(t)


def _watch(port: int, queue: str, sent_at: float, out: list[float]) -> None:
    deadline = sent_at + 30
    while time.perf_counter() < deadline:
        snap = get_json(f"http://127.0.0.1:{port}/api/v1/snapshot")
        seg = snap["segments"].get(queue) or snap["segments"].get("other")
        if seg and queue in snap["segments"] and seg["now"]["waiting"] >= 1:
            out.append(time.perf_counter() - sent_at)
            return
        time.sleep(0.02)


def report_live(out: dict, args: argparse.Namespace) -> None:
    d = out["delays"]
    lag = [p["lag"] for p in out["health"]["partitions"]["detail"]]
    print(f"live {out['rate']}/s, {out['workers']} worker(s), for {args.live_seconds:.0f} s "
          f"({out['sent']} events, snapshot "
          f"every {args.snapshot_interval} s): produce -> visible p50 {pct(d, 0.5) * 1000:.0f} "
          f"ms, p99 {pct(d, 0.99) * 1000:.0f} ms over {len(d)} of "
          f"{int(args.live_seconds)} markers; lag at the end {lag}")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(p * len(values)))]


def _parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--live", default="2000,5000", help="rates for the live test ('' = skip)")
    ap.add_argument("--live-seconds", type=float, default=30.0)
    ap.add_argument("--no-faust", action="store_true")
    ap.add_argument("--snapshot-interval", type=float, default=0.25,
                    help="worker.snapshot_interval_s (default 0.25, the product's default)")
    ap.add_argument("--skip-catchup", action="store_true", help="only the live runs")
    ap.add_argument("--workers", default="1", help="worker counts for the live runs, e.g. 1,3")
    return ap.parse_args()


def _live_runs(kafka, config: Path, port: int, tmp: Path,  # noqa: ANN001
               args: argparse.Namespace) -> None:
    for r in [int(x) for x in args.live.split(",") if x]:
        for w in [int(x) for x in args.workers.split(",")]:
            report_live(live(kafka, config, port, r, args.live_seconds, tmp, w), args)


def _catchup(kafka, config: Path, port: int, n: int, tmp: Path,  # noqa: ANN001
             args: argparse.Namespace) -> None:
    """The baselines, the worker's backlog catch-up, the baseline again (noise check)."""
    aio = asyncio.run(bare_aiokafka(kafka, n))
    print(f"bare aiokafka getmany + orjson.loads: {aio:,.0f} events/s")
    kp = bare_kafka_python(kafka, n)
    print(f"bare kafka-python poll + orjson.loads: {kp:,.0f} events/s")
    fa = None if args.no_faust else faust_counting(kafka, n, tmp)
    if fa is not None:
        print(f"minimal Faust agent (take(5000), counting only): {fa:,.0f} events/s "
              f"(ratio to aiokafka {fa / aio:.3f})")
    qx = quix_counting(kafka, n, tmp)
    if qx is not None:
        print(f"minimal quixstreams app (counting per queue): {qx:,.0f} events/s "
              f"(ratio to aiokafka {qx / aio:.3f})")
    rate, health, rss = worker_catchup(config, port, n, tmp)
    aio2 = asyncio.run(bare_aiokafka(kafka, n))
    base = (aio + aio2) / 2
    print(f"bare aiokafka again: {aio2:,.0f} events/s")
    print(f"wallboard worker (backlog catch-up): {rate:,.0f} events/s; ratio to bare "
          f"aiokafka {rate / base:.3f} (target >= 0.5), to kafka-python {rate / kp:.2f}"
          + (f", to quixstreams {rate / qx:.2f}" if qx else "")
          + (f", to the counting Faust agent {rate / fa:.2f}" if fa else "")
          + f"; RSS {rss / 1024:.0f} MiB")
    detail = health["partitions"]["detail"]
    sizes = [p["checkpoint_bytes"] for p in detail if p["checkpoint_bytes"]]
    print(f"checkpoints: {health['partitions']['checkpoints_written']} written during the "
          f"catch-up" + (f"; sizes {min(sizes)}..{max(sizes)} bytes (compressed)"
                         if sizes else " (it ended before the first interval)"))


def main() -> None:
    args = _parse_args()
    from infra.broker import BrokerSpec, KafkaBroker
    from infra.clients import create_topics, free_port
    from streams.config import KafkaSettings

    tmp = Path(tempfile.mkdtemp(prefix="wallboard-bench-worker-"))
    spec = BrokerSpec(state_dir=tmp / "kafka", port=free_port(), controller_port=free_port())
    broker = KafkaBroker(spec)
    try:
        broker.start()
        kafka = KafkaSettings(bootstrap=spec.bootstrap)
        create_topics(spec.bootstrap, kafka.topics(), configs=kafka.topic_configs(),
                      log=lambda _m: None)
        t = time.perf_counter()
        n = prefill(kafka, args.events)
        print(f"prefilled {n} events in {time.perf_counter() - t:.1f} s "
              f"({kafka.call_partitions}+{kafka.agent_partitions} partitions)")
        port = free_port()
        config = tmp / "wallboard.toml"
        config.write_text(f'[kafka]\nbootstrap = "{spec.bootstrap}"\n[worker]\n'
                          f'app_id = "bench-{port}"\nport = {port}\nstate_dir = "{tmp}"\n'
                          f"snapshot_interval_s = {args.snapshot_interval}\n", encoding="utf-8")
        if not args.skip_catchup:
            _catchup(kafka, config, port, n, tmp, args)
        _live_runs(kafka, config, port, tmp, args)
    finally:
        broker.stop()


if __name__ == "__main__":
    main()

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
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import orjson

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


async def bare_aiokafka(kafka, n: int) -> float:  # noqa: ANN001
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(kafka.call_topic, kafka.agent_topic,
                                bootstrap_servers=kafka.bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen, started = 0, None
    try:
        while seen < n:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batch.values():
                if started is None:
                    started = time.perf_counter()
                for r in records:
                    orjson.loads(r.value)
                seen += len(records)
    finally:
        await consumer.stop()
    return n / (time.perf_counter() - started)


def bare_kafka_python(kafka, n: int) -> float:  # noqa: ANN001
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(kafka.call_topic, kafka.agent_topic,
                             bootstrap_servers=kafka.bootstrap, group_id=None,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    seen, started = 0, None
    try:
        while seen < n:
            batch = consumer.poll(timeout_ms=500, max_records=5000)
            for records in batch.values():
                if started is None:
                    started = time.perf_counter()
                for r in records:
                    orjson.loads(r.value)
                seen += len(records)
    finally:
        consumer.close()
    return n / (time.perf_counter() - started)


FAUST_APP = '''
import os, sys, time, faust
bootstrap, calls, agents = os.environ["B_BOOT"], os.environ["B_CALLS"], os.environ["B_AGENTS"]
n, group = int(os.environ["B_N"]), os.environ["B_GROUP"]
app = faust.App(group, broker="kafka://" + bootstrap, store="memory://", web_enabled=False,
                consumer_auto_offset_reset="earliest", topic_disable_leader=True)
state = {"seen": 0, "t0": None}
topic = app.topic(calls, agents, key_serializer="raw", value_serializer="raw")

@app.agent(topic)
async def count(stream):
    async for batch in stream.take(5000, within=0.2):
        if state["t0"] is None:
            state["t0"] = time.perf_counter()
        state["seen"] += len(batch)
        if state["seen"] >= n:  # Faust captures stdout: the figure goes to a file
            with open(os.environ["B_OUT"], "w") as f:
                f.write(str(n / (time.perf_counter() - state["t0"])))
            os._exit(0)

app.main()
'''


def faust_counting(kafka, n: int, tmp: Path) -> float | None:  # noqa: ANN001
    script = tmp / "faust_count.py"
    script.write_text(FAUST_APP)
    out = tmp / "faust_rate.txt"
    env = {**os.environ, "B_BOOT": kafka.bootstrap, "B_CALLS": kafka.call_topic,
           "B_AGENTS": kafka.agent_topic, "B_N": str(n), "B_OUT": str(out),
           "B_GROUP": f"faust-count-{time.time_ns()}"}
    proc = subprocess.run([sys.executable, str(script), "--datadir", str(tmp / "faust"),
                           "worker", "-l", "warn"],
                          capture_output=True, text=True, timeout=600, cwd=tmp, env=env)
    if out.exists():
        return float(out.read_text())
    print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
    return None


QUIX_APP = '''
import os, time
from collections import Counter
from quixstreams import Application

n, out = int(os.environ["B_N"]), os.environ["B_OUT"]
app = Application(broker_address=os.environ["B_BOOT"], consumer_group=os.environ["B_GROUP"],
                  auto_offset_reset="earliest", loglevel="WARNING")
per_queue = Counter()
state = {"seen": 0, "t0": None}


def count(value):
    if state["t0"] is None:
        state["t0"] = time.perf_counter()
    per_queue[value.get("queue") or "agents"] += 1
    state["seen"] += 1
    if state["seen"] >= n:
        with open(out, "w") as f:
            f.write(str(n / (time.perf_counter() - state["t0"])))
        os._exit(0)


for name in (os.environ["B_CALLS"], os.environ["B_AGENTS"]):
    app.dataframe(app.topic(name, value_deserializer="json")).update(count)
app.run()
'''


def quix_counting(kafka, n: int, tmp: Path) -> float | None:  # noqa: ANN001
    """A minimal quixstreams app (confluent-kafka underneath) counting events per queue:
    what a user might pick instead. ``pip install quixstreams==3.28.1`` (not a dependency)."""
    try:
        import quixstreams  # noqa: F401
    except ImportError:
        print("quixstreams not installed (pip install quixstreams==3.28.1): skipped")
        return None
    script = tmp / "quix_count.py"
    script.write_text(QUIX_APP)
    out = tmp / "quix_rate.txt"
    env = {**os.environ, "B_BOOT": kafka.bootstrap, "B_CALLS": kafka.call_topic,
           "B_AGENTS": kafka.agent_topic, "B_N": str(n), "B_OUT": str(out),
           "B_GROUP": f"quix-count-{time.time_ns()}"}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=900, cwd=tmp, env=env)
    if out.exists():
        return float(out.read_text())
    print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
    return None


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


def live(kafka, config: Path, port: int, rate: int, seconds: float, tmp: Path,  # noqa: ANN001
         workers: int = 1) -> dict:
    """Produce at ``rate`` events/s; measure produce -> visible with markers, on the first
    worker's (global) snapshot, with ``workers`` workers in the group."""
    from infra.broker import free_port
    from streams.adapters.simulator import Simulator, default_models
    from streams.producer import EventProducer

    procs = [start_worker(config, tmp / f"live-{rate}-{workers}.log")]
    procs += [start_worker(config, tmp / f"live-{rate}-{workers}-{i}.log", free_port())
              for i in range(1, workers)]
    delays: list[float] = []
    try:
        wait_health(port)
        if workers > 1:  # every worker owns some partitions before the traffic starts
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                owners = {p["owner"] for p in get_json(
                    f"http://127.0.0.1:{port}/api/v1/health")["partitions"]["detail"]}
                if owners == {"here", "another worker"}:
                    break
                time.sleep(0.5)
        producer = EventProducer(kafka, client_id="bench-live")
        stop = threading.Event()
        scrape_s: list[float] = []

        def scraper() -> None:  # Prometheus every 5 s, the board every 1 s
            ticks = 0
            while not stop.is_set():
                t = time.perf_counter()
                get_json(f"http://127.0.0.1:{port}/api/v1/snapshot")
                if ticks % 5 == 0:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()  # noqa: S310
                scrape_s.append(time.perf_counter() - t)
                ticks += 1
                stop.wait(1.0)

        threading.Thread(target=scraper, daemon=True).start()
        now = time.time()
        sim = Simulator(default_models(rate=rate / 4.0), start=now, seed=rate)
        t_start = time.monotonic()
        sent = 0
        marker = 0
        run = f"{rate}-{workers}-{time.time_ns() % 10**9}"
        while time.monotonic() - t_start < seconds:
            tick = time.time()
            batch = sim.advance(tick)
            producer.send(batch)
            sent += len(batch)
            # filler up to the rate (agent states: cheap, realistic volume)
            target = int(rate * (time.monotonic() - t_start))
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
                                "ts": _iso(time.time()), "call_id": f"m-{queue}",
                                "queue": queue}])
                producer.flush()
                sent_at = time.perf_counter()
                threading.Thread(target=_watch, args=(port, queue, sent_at, delays),
                                 daemon=True).start()
            time.sleep(0.01)
        producer.close()
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--live", default="2000,5000", help="rates for the live test ('' = skip)")
    ap.add_argument("--live-seconds", type=float, default=30.0)
    ap.add_argument("--no-faust", action="store_true")
    ap.add_argument("--snapshot-interval", type=float, default=0.25,
                    help="worker.snapshot_interval_s (default 0.25, the product's default)")
    ap.add_argument("--skip-catchup", action="store_true", help="only the live runs")
    ap.add_argument("--workers", default="1", help="worker counts for the live runs, e.g. 1,3")
    args = ap.parse_args()

    from infra.broker import BrokerSpec, KafkaBroker, create_topics, free_port
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
        for r in [int(x) for x in args.live.split(",") if x] if args.skip_catchup else []:
            for w in [int(x) for x in args.workers.split(",")]:
                report_live(live(kafka, config, port, r, args.live_seconds, tmp, w), args)
        if args.skip_catchup:
            return
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
        aio2 = asyncio.run(bare_aiokafka(kafka, n))  # the baseline again, after: noise check
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
        for r in [int(x) for x in args.live.split(",") if x]:
            for w in [int(x) for x in args.workers.split(",")]:
                report_live(live(kafka, config, port, r, args.live_seconds, tmp, w), args)
    finally:
        broker.stop()


if __name__ == "__main__":
    main()

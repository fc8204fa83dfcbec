"""The worker's memory after 1 M and 5 M events: flat, because its state is bounded by the
horizon (open calls and retained minutes), not by how much it has read (issue 10).

    .venv/bin/python bench/worker_memory.py [--steps 1000000,5000000]

Starts its own broker, then for each step: produces simulated traffic (continuing the same
simulated days) until the topics hold that many events, waits until one ``wallboard worker``
(running throughout) has applied them all, and reads the worker's resident set (VmRSS) and
peak (VmHWM) from /proc. Prints both per step and the ratio last/first. Never asserts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def records(port: int) -> int:
    url = f"http://127.0.0.1:{port}/api/v1/health"
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read())["feed"]["records"]


def rss_kib(pid: int) -> tuple[int, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    field = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines()
             if line.startswith(("VmRSS", "VmHWM"))}
    return field["VmRSS"], field["VmHWM"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", default="1000000,5000000")
    steps = [int(x) for x in ap.parse_args().steps.split(",")]

    from infra.broker import BrokerSpec, KafkaBroker
    from infra.clients import create_topics, free_port
    from streams.adapters.simulator import Simulator, default_models
    from streams.config import KafkaSettings
    from streams.producer import EventProducer

    tmp = Path(tempfile.mkdtemp(prefix="wallboard-bench-memory-"))
    spec = BrokerSpec(state_dir=tmp / "kafka", port=free_port(), controller_port=free_port(),
                      heap="1g")
    broker = KafkaBroker(spec)
    proc = None
    try:
        broker.start()
        kafka = KafkaSettings(bootstrap=spec.bootstrap)
        create_topics(spec.bootstrap, kafka.topics(), configs=kafka.topic_configs(),
                      log=lambda _m: None)
        port = free_port()
        config = tmp / "wallboard.toml"
        config.write_text(f'[kafka]\nbootstrap = "{spec.bootstrap}"\n[worker]\n'
                          f'app_id = "mem-{port}"\nport = {port}\nstate_dir = "{tmp}"\n',
                          encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "wallboard", "--config", str(config),
                                 "worker"], stdout=(tmp / "worker.log").open("wb"),
                                stderr=subprocess.STDOUT)
        # simulated days that end now: a day of traffic at rate 12 is about 300 k events
        span = 24 * 3600 * (steps[-1] / 280_000)
        now = time.time()
        sim = Simulator(default_models(rate=12.0), start=now - span, seed=5)
        producer = EventProducer(kafka, client_id="bench-memory")
        sent, t, rows = 0, now - span, []
        for target in steps:
            while sent < target:
                t = min(now, t + 600)
                batch = sim.advance(t)
                producer.send(batch)
                sent += len(batch)
                if t >= now:
                    break
            producer.flush(timeout_s=120)
            deadline = time.monotonic() + 1800
            while records(port) < sent and time.monotonic() < deadline:
                time.sleep(1)
            rss, hwm = rss_kib(proc.pid)
            rows.append((sent, rss, hwm))
            print(f"after {sent:,} events: worker RSS {rss / 1024:.0f} MiB, peak "
                  f"{hwm / 1024:.0f} MiB", flush=True)
        producer.close()
        (n0, r0, h0), (n1, r1, h1) = rows[0], rows[-1]
        print(f"ratio {n1:,} / {n0:,} events: RSS {r1 / r0:.3f}, peak {h1 / h0:.3f} "
              f"(flat = about 1)")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        broker.stop()


if __name__ == "__main__":
    main()

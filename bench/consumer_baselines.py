"""The consumer baselines of bench/worker.py, measured on the same topics in the same run:
bare aiokafka and kafka-python loops, a minimal Faust agent and a minimal quixstreams app
that only count (each returns events/s)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import orjson

__all__ = ["bare_aiokafka", "bare_kafka_python", "faust_counting", "quix_counting"]


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

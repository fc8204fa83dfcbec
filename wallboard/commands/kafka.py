"""``wallboard kafka start|stop|status|fetch|topics``: the local single-node broker."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from infra.broker import BrokerSpec, KafkaBroker
from infra.clients import create_topics
from infra.jars import default_home, resolve_classpath

from .. import args as types
from ..settings import Settings

__all__ = ["add", "broker_for", "cmd_kafka"]


def broker_for(settings: Settings, args: argparse.Namespace) -> KafkaBroker:
    """The local broker on the port of ``kafka.bootstrap``; state in ``--state-dir``."""
    first = settings.kafka.bootstrap.split(",")[0]
    host, _, port = first.rpartition(":")
    state_dir = Path(args.state_dir) if getattr(args, "state_dir", None) else (
        default_home() / "kafka")
    spec = BrokerSpec(state_dir=state_dir, host=host, port=int(port),
                      controller_port=getattr(args, "controller_port", None),
                      heap=getattr(args, "heap", "512m"))
    return KafkaBroker(spec)


def ensure_topics(settings: Settings, bootstrap: str | None = None) -> None:
    """The contract topics on ``bootstrap`` (default ``kafka.bootstrap``), with their configs."""
    create_topics(bootstrap or settings.kafka.bootstrap, settings.kafka.topics(),
                  configs=settings.kafka.topic_configs(),
                  connect_timeout_s=settings.kafka.connect_timeout_s)


def cmd_kafka(settings: Settings, args: argparse.Namespace) -> int:
    broker = broker_for(settings, args)
    if args.action == "fetch":
        jars = resolve_classpath(broker.cache_dir).split(os.pathsep)
        print(f"kafka: {len(jars)} jars resolved in {broker.cache_dir / 'm2'}")
        return 0
    if args.action == "topics":
        ensure_topics(settings)
        print(f"kafka: topics ready on {settings.kafka.bootstrap}: "
              + ", ".join(f"{t}({n})" for t, n in settings.kafka.topics().items()))
        return 0
    if args.action == "start":
        status = broker.start()
        if not args.no_topics:
            ensure_topics(settings, status.bootstrap)
        print(broker.status().describe())
        return 0
    if args.action == "stop":
        broker.stop()
        return 0
    status = broker.status()
    print(status.describe())
    return 0 if status.running else 3


def add(sub: argparse._SubParsersAction) -> None:
    k = sub.add_parser("kafka", help="run a local single-node Kafka broker (KRaft, from Maven)",
                       description="Start, stop, inspect or fetch a local Apache Kafka 4 "
                       "broker (KRaft mode). Its jars come from Maven Central into "
                       ".cache/m2; state lives in --state-dir. Listens on the port of "
                       "kafka.bootstrap.")
    k.add_argument("action", choices=["start", "stop", "status", "fetch", "topics"],
                   help="fetch: only resolve the jars (start does it when needed); topics: "
                   "create the contract topics on kafka.bootstrap (any broker)")
    types.kafka_flags(k)
    k.add_argument("--state-dir", metavar="DIR", help="data, config, log and pid file "
                   "(default: .cache/kafka)")
    k.add_argument("--controller-port", type=types.port,
                   help="KRaft controller port (default: port+1)")
    k.add_argument("--heap", default="512m", help="JVM max heap (default: 512m)")
    k.add_argument("--no-topics", action="store_true", help="do not create the contract topics")
    k.set_defaults(func=cmd_kafka)

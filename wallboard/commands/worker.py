"""``wallboard worker``: the stream processor (a Faust app)."""

from __future__ import annotations

import argparse

from infra.clients import port_free
from streams.core.errors import UsageError

from .. import args as types
from ..settings import Settings

__all__ = ["add", "cmd_worker"]


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from streams.worker import run_worker, state_dir  # faust: only when the worker runs

    w = settings.worker
    if not port_free(w.host, w.port):
        raise UsageError(f"port {w.port} on {w.host} is already in use (worker.port)")
    print(f"worker: consuming {settings.kafka.call_topic}, {settings.kafka.agent_topic} from "
          f"{settings.kafka.bootstrap} (group {w.app_id}, checkpoints in "
          f"{settings.kafka.state_topic}, {w.clock} clock); snapshot "
          f"http://{w.host}:{w.port}/api/v1/snapshot, metrics .../metrics, health "
          f".../api/v1/health; state in {state_dir(settings)}", flush=True)
    run_worker(settings, loglevel=args.loglevel)
    return 0


def add(sub: argparse._SubParsersAction) -> None:
    w = sub.add_parser("worker", help="consume events; serve /metrics and /api/v1/snapshot",
                       description="The Faust stream processor (same app as "
                       "'faust -A wallboard.app worker').")
    types.kafka_flags(w)
    w.add_argument("--host", help="address for the HTTP endpoints (worker.host)")
    w.add_argument("--port", type=types.port, help="port for the HTTP endpoints (worker.port)")
    w.add_argument("--clock", choices=["wall", "event"],
                   help="snapshots as of now (wall, default) or as of the event-time "
                   "watermark (event: for replays of recorded days) (worker.clock)")
    w.add_argument("--app-id", dest="app_id",
                   help="consumer group and checkpoint namespace (worker.app_id)")
    w.add_argument("--loglevel", default="info", choices=["debug", "info", "warning", "error"])
    w.set_defaults(func=cmd_worker)

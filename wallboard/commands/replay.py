"""``wallboard replay FILE``: recorded contract events (JSON Lines) to Kafka."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from streams.core.errors import UsageError

from .. import args as types
from ..settings import Settings
from .common import terminate_as_interrupt
from .simulate import factor

__all__ = ["add", "cmd_replay"]


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    """Send a JSON Lines file of contract events to Kafka, in file order, keyed per contract."""
    from streams.adapters.replay import Pacer, read_events, retimed
    from streams.sink import open_sink

    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if args.retime and args.speed not in (None, 1.0):
        raise UsageError("--retime replays in real time (speed 1): retimed events are stamped "
                         "now, so a faster replay would stamp them in the future")
    speed = 1.0 if args.retime else args.speed
    pacer = Pacer(speed) if speed else None
    sink = open_sink(settings.kafka, args.output, client_id="wallboard-replay")
    terminate_as_interrupt()
    invalid = 0
    offset: float | None = None
    batch: list[dict] = []
    try:
        for line in read_events(path):
            if line.event is None:
                invalid += 1
                print(f"{path}:{line.lineno}: invalid event, not sent: {line.error}",
                      file=sys.stderr)
                continue
            assert line.ts is not None
            event = line.event
            if args.retime:
                offset = time.time() - line.ts if offset is None else offset
                event = retimed(event, line.ts, offset)
            if pacer is not None:
                sink.send(batch)
                batch = []
                pacer.wait(line.ts)
                sink.send([event])
            else:
                batch.append(event)
                if len(batch) >= 5000:
                    sink.send(batch)
                    batch = []
        sink.send(batch)
    except KeyboardInterrupt:
        pass
    finally:
        sink.close()
    print(f"replay: {sink.sent} events sent to {sink.describe()}; {invalid} invalid lines "
          "skipped")
    return 0



def add(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("replay", help="send recorded contract events (JSON Lines) to Kafka",
                       description="Sends a JSON Lines file (plain or .gz) of contract events "
                       "to Kafka in file order, keyed by call_id / agent_id, so each call's "
                       "events stay in order. Invalid lines are reported with their line "
                       "number and skipped.")
    r.add_argument("file", metavar="FILE.jsonl[.gz]")
    types.kafka_flags(r)
    r.add_argument("--speed", type=factor, default=None,
                   help="pace by event time, N times faster than recorded, N up to 1000 "
                   "(default: as fast as possible)")
    r.add_argument("--retime", action="store_true",
                   help="shift timestamps so the first event is now (replays at speed 1)")
    r.add_argument("--output", type=types.output_path, metavar="FILE",
                   help="write JSON Lines instead (e.g. to check a retimed file)")
    r.set_defaults(func=cmd_replay)

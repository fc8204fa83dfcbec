"""``wallboard replay FILE``: recorded contract events (JSON Lines) to Kafka.

The flags, and their mapping to :class:`streams.adapters.replay.ReplayOptions`; the work is
:func:`streams.adapters.replay.run_replay`."""

from __future__ import annotations

import argparse

from .. import args as types
from ..settings import Settings
from .common import terminate_as_interrupt
from .simulate import factor

__all__ = ["add", "cmd_replay"]


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    """Send a JSON Lines file of contract events to Kafka, in file order, keyed per contract
    (:func:`streams.adapters.replay.run_replay`)."""
    from streams.adapters.replay import ReplayOptions, run_replay

    options = ReplayOptions(args.file, speed=args.speed, retime=args.retime,
                            output=args.output)
    return run_replay(settings.kafka, options, on_start=terminate_as_interrupt)


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

"""``wallboard simulate``: simulated traffic, live to Kafka or to a JSON Lines file.

The flags and their bounds, and the mapping of the parsed arguments to
:class:`streams.adapters.simulator.SimulateOptions`; the work is
:func:`streams.adapters.simulator.run_simulation`."""

from __future__ import annotations

import argparse

from .. import args as types
from ..settings import Settings
from .common import terminate_as_interrupt

__all__ = ["add", "cmd_simulate"]

MAX_FACTOR = 1000.0  # --rate, --speed, --surge-factor
MAX_SIMULATED_S = 31 * 86400.0  # --duration, --surge-after, --surge-for: a month
MAX_HISTORY_S = 7 * 86400.0  # --history: a week of simulated past

factor = types.number(0, MAX_FACTOR, low_included=False)
_MONTH_TEXT = f"{MAX_SIMULATED_S:.0f} (31 days)"
sim_length = types.number(0, MAX_SIMULATED_S, low_included=False, high_text=_MONTH_TEXT)
sim_offset = types.number(0, MAX_SIMULATED_S, low_included=True, high_text=_MONTH_TEXT)
history = types.number(0, MAX_HISTORY_S, low_included=True,
                       high_text=f"{MAX_HISTORY_S:.0f} (7 days)")


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    """Simulated traffic, live to Kafka (optionally sped up) or to a JSON Lines file
    (:func:`streams.adapters.simulator.run_simulation`)."""
    from streams.adapters.simulator import (
        SimulateOptions,
        SurgeOptions,
        Timing,
        run_simulation,
    )

    surge = None
    if args.surge_queue:
        surge = SurgeOptions(args.surge_queue, after_s=args.surge_after, for_s=args.surge_for,
                             every_s=args.surge_every, factor=args.surge_factor)
    options = SimulateOptions(
        scenario=args.scenario, seed=args.seed, rate=args.rate, timezone=args.timezone,
        surge=surge, output=args.output,
        timing=Timing(duration_s=args.duration, history_s=args.history, speed=args.speed,
                      start=args.start))
    return run_simulation(settings.kafka, settings.engine.timezone, options,
                          on_start=terminate_as_interrupt)


def add(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("simulate", help="produce simulated call and agent events",
                       description="A queue simulator (Poisson arrivals, abandons, agents) that "
                       "sends contract events to Kafka in real time, or writes JSON Lines.")
    types.kafka_flags(s)
    s.add_argument("--scenario", choices=["demo", "day", "story"], default="demo",
                   help="demo: three queues near capacity, all agents on; day: intraday "
                   "arrival profile with shifts; story: adequate staffing, for a scheduled "
                   "surge to stand out (default: demo)")
    s.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    s.add_argument("--rate", type=factor, default=1.0,
                   help="multiply every queue's arrival rate, up to 1000 (default: 1.0)")
    s.add_argument("--speed", type=factor, default=1.0,
                   help="simulated seconds per real second when sending live, up to 1000 "
                   "(default: 1)")
    s.add_argument("--duration", type=sim_length, metavar="SECONDS",
                   help="simulated seconds to run, up to 31 days (default: until Ctrl-C)")
    s.add_argument("--history", type=history, default=0.0, metavar="SECONDS",
                   help="first send this much simulated past, so the board starts populated "
                   "(up to 7 days)")
    s.add_argument("--timezone", type=types.timezone, metavar="ZONE",
                   help="IANA zone of the intraday profile and shifts "
                   "(default: engine.timezone)")
    s.add_argument("--surge-queue", metavar="QUEUE", help="simulate a surge on this queue")
    s.add_argument("--surge-after", type=sim_offset, default=300.0, metavar="SECONDS",
                   help="surge start after the simulated 'now' (default: 300)")
    s.add_argument("--surge-for", type=sim_length, default=600.0, metavar="SECONDS",
                   help="surge length (default: 600)")
    s.add_argument("--surge-every", type=sim_length, metavar="SECONDS",
                   help="repeat the surge every this many seconds (default: once)")
    s.add_argument("--surge-factor", type=factor, default=4.0,
                   help="arrival-rate multiplier during the surge, up to 1000 (default: 4)")
    s.add_argument("--output", type=types.output_path, metavar="FILE",
                   help="write JSON Lines (.gz: gzip) instead of sending to Kafka")
    s.add_argument("--start", type=types.timestamp, metavar="TIMESTAMP",
                   help="simulated start time, with --output (default: the window ends now, "
                   "i.e. it starts --duration seconds ago, so no event has a future "
                   "timestamp)")
    s.set_defaults(func=cmd_simulate)

"""``wallboard simulate``: simulated traffic, live to Kafka or to a JSON Lines file."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from schemas.validate import TS_MAX_S
from streams.core.errors import UsageError

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
    """Simulated traffic, live to Kafka (optionally sped up) or to a JSON Lines file.

    Live with ``--speed N`` (N > 1) the simulated clock runs N times faster than the wall
    clock and starts ``history + D - D/N`` seconds in the past (D = ``--duration``), so it
    reaches "now" exactly when the run ends: no event ever carries a future ``ts``. Likewise
    ``--output`` without ``--start`` writes the window ``[now - D, now]``.
    """
    from streams.adapters.simulator import (
        INTRADAY_PROFILE,
        Simulator,
        Surge,
        day_models,
        default_models,
        story_models,
    )
    from streams.sink import open_sink

    now = time.time()
    if args.output:
        if args.duration is None:
            raise UsageError("simulate --output needs --duration")
        if args.speed != 1.0:
            raise UsageError("--speed applies to live sending; a file is written at once")
        start = args.start if args.start is not None else now - args.duration
        anchor, end = start, start + args.duration
        if end >= TS_MAX_S:
            raise UsageError("--start + --duration must end before 9999-12-01T00:00:00Z (the "
                             "end of the accepted event-time range)")
    else:
        if args.start is not None:
            raise UsageError("simulate --start works with --output only (live events use the "
                             "clock)")
        if args.speed > 1 and args.duration is None:
            raise UsageError("simulate --speed above 1 needs --duration (the simulated past "
                             "must end now)")
        lead = args.duration - args.duration / args.speed if args.speed > 1 else 0.0
        start = now - args.history - lead
        anchor = start + args.history
        end = None if args.duration is None else anchor + args.duration
    models = {"day": day_models, "story": story_models}.get(args.scenario,
                                                            default_models)(args.rate)
    surge = None
    if args.surge_queue:
        if args.surge_every is not None and args.surge_every <= args.surge_for:
            raise UsageError("--surge-every must be longer than --surge-for (else the surge "
                             "never ends)")
        surge = Surge(args.surge_queue, anchor + args.surge_after, args.surge_for,
                      args.surge_factor, args.surge_every or 0.0)
    try:
        sim = Simulator(models, start=start, seed=args.seed, tz=args.timezone or
                        settings.engine.timezone, surge=surge,
                        profile=INTRADAY_PROFILE if args.scenario == "day" else None)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sink = open_sink(settings.kafka, args.output, client_id="wallboard-simulator")
    if args.output:
        assert end is not None
        try:
            sink.send(sim.run(end))
        finally:
            sink.close()
        print(f"simulate: wrote {sink.sent} events ({args.duration:.0f} s of traffic) to "
              f"{sink.describe()}")
        return 0
    terminate_as_interrupt()
    launched = time.monotonic()
    if args.history:
        sink.send(sim.advance(anchor))
        sink.flush()
        print(f"simulate: sent {sink.sent} events of {args.history:.0f} s history", flush=True)
    last_report = time.monotonic()
    try:
        while True:
            sim_now = anchor + args.speed * (time.monotonic() - launched)
            if end is not None and sim_now >= end:
                sink.send(sim.advance(end))
                break
            sink.send(sim.advance(sim_now))
            if time.monotonic() - last_report >= 10:
                last_report = time.monotonic()
                print(f"simulate: {sink.sent} events sent to {sink.describe()}; simulated "
                      f"time {datetime.fromtimestamp(sim_now, tz=UTC):%H:%M:%S} UTC", flush=True)
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        sink.close()
    print(f"simulate: done, {sink.sent} events sent", flush=True)
    return 0



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

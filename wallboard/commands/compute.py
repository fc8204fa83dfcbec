"""``wallboard compute``: the metrics engine offline, snapshot JSON from a JSON Lines file."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from streams.core.errors import UsageError

from .. import args as types
from ..settings import Settings

__all__ = ["add", "cmd_compute"]



def cmd_compute(settings: Settings, args: argparse.Namespace) -> int:
    """Run the metrics engine over a JSON Lines file; print snapshot JSON, one per line."""
    import orjson

    from streams.adapters.replay import open_lines
    from streams.core.compute import ComputeStats, snapshots

    path = Path(args.events)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if args.as_of and args.every:
        raise UsageError("give --as-of (repeatable) or --every, not both")
    if (args.start is not None or args.end is not None) and not args.every:
        raise UsageError("--from/--to bound an --every series")
    stats = ComputeStats()
    started = time.monotonic()
    last_progress = [started]

    def invalid(lineno: int, reason: str) -> None:
        print(f"{path}:{lineno}: invalid event, skipped: {reason}", file=sys.stderr)

    def progress(st: ComputeStats) -> None:
        now = time.monotonic()
        if now - last_progress[0] >= 1.0:
            last_progress[0] = now
            print(f"compute: {st.lines:,} lines read ({st.lines / (now - started):,.0f}/s), "
                  f"{st.invalid} invalid", file=sys.stderr, flush=True)

    option = orjson.OPT_INDENT_2 if args.pretty else 0
    out = sys.stdout.buffer
    emitted = 0
    for snap in snapshots(open_lines(path), settings.engine, as_of=args.as_of,
                          every=args.every, start=args.start, end=args.end,
                          on_invalid=invalid, on_line=progress, stats=stats):
        out.write(orjson.dumps(snap, option=option) + b"\n")
        emitted += 1
    out.flush()
    elapsed = time.monotonic() - started
    print(f"compute: {stats.lines:,} lines, {stats.events:,} events applied, "
          f"{stats.invalid} invalid, {emitted} snapshot(s) in {elapsed:.1f} s", file=sys.stderr)
    return 0



def add(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("compute", help="metrics offline: snapshot JSON from a JSON Lines file",
                       description="Runs the metrics engine over a JSON Lines file of "
                       "contract events (plain or .gz) and prints the snapshot JSON of "
                       "metrics.md to stdout, one per line. A snapshot as of t reflects "
                       "exactly the events with ts <= t. Invalid lines are reported on stderr "
                       "with their line number and skipped.")
    c.add_argument("--events", required=True, metavar="FILE.jsonl[.gz]")
    c.add_argument("--as-of", type=types.timestamp, action="append", metavar="TIMESTAMP",
                   help="RFC 3339 instant; repeat for several (default: the newest event)")
    c.add_argument("--every", type=types.every, metavar="DURATION",
                   help="a series, e.g. 60s or 15m: every multiple of it from the first "
                   "event to the last (never past it)")
    c.add_argument("--from", dest="start", type=types.timestamp, metavar="TIMESTAMP",
                   help="start of the --every series")
    c.add_argument("--to", dest="end", type=types.timestamp, metavar="TIMESTAMP",
                   help="end of the --every series (included)")
    c.add_argument("--pretty", action="store_true", help="indent the JSON")
    c.set_defaults(func=cmd_compute)

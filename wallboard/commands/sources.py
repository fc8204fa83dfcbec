"""``wallboard asterisk`` and ``wallboard replay-bank``: the PBX and data-set adapters.

Their flags, and the mapping of the parsed arguments to
:class:`streams.adapters.asterisk.AsteriskOptions` and
:class:`streams.adapters.bank.BankOptions`; the work is
:func:`streams.adapters.asterisk.run_asterisk` and
:func:`streams.adapters.bank.run_replay_bank`."""

from __future__ import annotations

import argparse
from datetime import date

from streams.adapters import asterisk, bank

from .. import args as types
from ..settings import Settings

__all__ = ["add_asterisk", "add_replay_bank", "cmd_asterisk", "cmd_replay_bank"]


def cmd_asterisk(settings: Settings, args: argparse.Namespace) -> int:
    """Convert or follow an Asterisk queue_log into Kafka or a JSON Lines file."""
    options = asterisk.AsteriskOptions(
        args.file, follow=args.follow, state=args.state, layout=args.layout,
        output=args.output, source=args.source, timezone=args.timezone)
    return asterisk.run_asterisk(settings.kafka, settings.engine.tz, options)


def cmd_replay_bank(settings: Settings, args: argparse.Namespace) -> int:
    """Replay the Anonymous Bank call table into Kafka or a JSON Lines file."""
    options = bank.BankOptions(args.csv, output=args.output,
                               timezone=args.timezone, days=args.days)
    return bank.run_replay_bank(settings.kafka, options)


def add_asterisk(sub: argparse._SubParsersAction) -> None:
    """Register ``wallboard asterisk`` on the subparsers object ``sub``."""
    p = sub.add_parser(
        "asterisk", help="send an Asterisk queue_log (file or live) as contract events",
        description="Map an Asterisk queue_log (native pipe file, realtime/DB CSV or PBXware "
        "export) to contract-v1 events and send them to Kafka, or write JSON Lines with "
        "--output. With --follow, tail the growing file across log rotation; --state keeps "
        "the position so a restart resumes without duplicates. See docs/sources-asterisk.md.")
    types.kafka_flags(p)
    p.add_argument("--file", required=True, metavar="PATH",
                   help="the queue_log file (e.g. /var/log/asterisk/queue_log)")
    p.add_argument("--follow", action="store_true",
                   help="keep reading as the file grows and rotates, until SIGTERM/Ctrl-C")
    p.add_argument("--state", metavar="FILE",
                   help="position and call state, read at start and written as it goes "
                   "(e.g. .cache/asterisk.pos)")
    p.add_argument("--layout", choices=asterisk.LAYOUTS, default="auto",
                   help="line layout (default: auto, detected from the first line)")
    p.add_argument("--output", metavar="FILE", type=types.output_path,
                   help="write JSON Lines to FILE (rewritten) instead of sending to Kafka")
    p.add_argument("--source", default=asterisk.DEFAULT_SOURCE, metavar="NAME",
                   help="name of this PBX: part of every event id and attrs.source "
                   f"(default: {asterisk.DEFAULT_SOURCE})")
    p.add_argument("--timezone", metavar="ZONE",
                   help="zone of realtime 'time' values written without an offset "
                   "(default: engine.timezone)")
    p.set_defaults(func=cmd_asterisk)


def _days_arg(text: str) -> tuple[date, date]:
    try:
        return bank.parse_days(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date_arg(text: str) -> tuple[date, date]:
    if ".." in text:
        raise argparse.ArgumentTypeError(f"one day YYYY-MM-DD (use --days for a range), got "
                                         f"{text!r}")
    return _days_arg(text)


def add_replay_bank(sub: argparse._SubParsersAction) -> None:
    """Register ``wallboard replay-bank`` on the CLI's subcommands."""
    p = sub.add_parser(
        "replay-bank", help="replay the Anonymous Bank call-centre data set (1999) as events",
        description="Converts the Technion 'Anonymous Bank' call table (CSV, one row per "
        "call) into contract events - call.queued, call.answered, call.abandoned, call.ended "
        "- and sends them to Kafka in time order, or writes JSON Lines. Calls that never "
        "queued and PHANTOM rows are skipped; malformed rows are reported with their line "
        "number. See docs/sources-anonymous-bank.md.")
    p.add_argument("--csv", required=True, metavar="PATH",
                   help="the data set's call table, e.g. anonymous_bank_1999-08_calls.csv")
    types.kafka_flags(p)
    p.add_argument("--output", metavar="FILE", type=types.output_path,
                   help="write JSON Lines (gzip when FILE ends in .gz) instead of sending")
    p.add_argument("--timezone", type=types.timezone, default=bank.DEFAULT_TIMEZONE,
                   metavar="ZONE", help="the time zone of the data's clock times "
                   f"(default: {bank.DEFAULT_TIMEZONE})")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--days", type=_days_arg, metavar="FIRST..LAST",
                      help="only calls of these days (the date column), e.g. "
                      "1999-08-01..1999-08-03")
    when.add_argument("--date", type=_date_arg, dest="days", metavar="YYYY-MM-DD",
                      help="only the calls of one day")
    p.set_defaults(func=cmd_replay_bank)

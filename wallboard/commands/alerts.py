"""``wallboard alerts`` and ``wallboard alerts backtest``: their flags."""

from __future__ import annotations

import argparse
from pathlib import Path

from alerts import commands
from alerts.config.fields import http_url

from .. import args as types
from ..settings import Settings

__all__ = ["add", "alerts_options", "backtest_options", "cmd_alerts", "cmd_backtest"]

warmup = types.duration("--warmup", low=0, high=366 * 86400)


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``wallboard alerts`` (and its ``backtest``) on the CLI's subcommands."""
    p = sub.add_parser(
        "alerts", help="evaluate alert rules on the live snapshot; deliver; serve the API",
        description="Reads the worker's snapshot every alerts.eval_interval, evaluates the "
        "[alerts] rules (threshold, surge, staffing, feed stalled), delivers through "
        "Alertmanager and Apprise, keeps its state in the compacted cc.alerts topic and "
        "serves GET /api/v1/alerts. 'wallboard alerts backtest' replays a recorded file. "
        "See docs/alerting.md.")
    types.kafka_flags(p)
    p.add_argument("--rules", metavar="FILE", help="a rule file ([alerts] table or its keys) "
                   "merged into the [alerts] section of --config: its rules replace the "
                   "config's, the config's other keys (api_token, host, port, delivery ...) "
                   "stay; a key both set to different values is an error")
    p.add_argument("--source", metavar="URL", type=types.checked(http_url, "--source"),
                   help="the worker's snapshot URL (alerts.source)")
    p.add_argument("--host", help="API listen address (alerts.host)")
    p.add_argument("--port", type=types.port, help="API listen port (alerts.port)")
    p.add_argument("--state", choices=["kafka", "memory"],
                   help="keep rule state in the cc.alerts topic or only in memory "
                   "(alerts.state)")
    p.add_argument("--loglevel", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=cmd_alerts)
    actions = p.add_subparsers(dest="alerts_action", metavar="ACTION", parser_class=type(p))
    b = actions.add_parser(
        "backtest", help="replay recorded events through the engine and the rules",
        description="Replays a JSON Lines event file through the metrics engine and the alert "
        "rules on the event clock (no Kafka, no clock) and prints every incident that would "
        "have fired, then a summary per rule.")
    b.add_argument("--events", required=True, metavar="FILE.jsonl[.gz]")
    b.add_argument("--rules", metavar="FILE", help="a rule file merged into --config's "
                   "[alerts] (its rules replace the config's)")
    b.add_argument("--every", type=types.every, default=60.0, metavar="DURATION",
                   help="evaluate every this much event time (default: 60s)")
    b.add_argument("--warmup", type=warmup, default=0.0, metavar="DURATION",
                   help="learn from the first DURATION of the file (e.g. 1d, 7d), then "
                   "count (default: 0, count from the start)")
    b.add_argument("--json", action="store_true", help="one JSON object instead of text")
    b.add_argument("--save-baselines", action="store_true",
                   help="write the surge baselines learned from the file to the alerts topic "
                   "(alerts.topic on kafka.bootstrap), so a new deployment starts with history")
    types.kafka_flags(b)
    b.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                   help="TOML settings file (engine settings and [alerts])")
    b.set_defaults(func=cmd_backtest)


def alerts_options(args: argparse.Namespace) -> commands.AlertsOptions:
    """The flags of ``wallboard alerts``."""
    return commands.AlertsOptions(rules=args.rules, source=args.source, host=args.host,
                                  port=args.port, state=args.state, loglevel=args.loglevel)


def backtest_options(args: argparse.Namespace) -> commands.BacktestOptions:
    """The flags of ``wallboard alerts backtest``."""
    return commands.BacktestOptions(events=Path(args.events), rules=args.rules,
                                    every=args.every, warmup_s=args.warmup, json=args.json,
                                    save_baselines=args.save_baselines)


def cmd_alerts(settings: Settings, args: argparse.Namespace) -> int:
    return commands.cmd_alerts(settings, settings.alerts, alerts_options(args))


def cmd_backtest(settings: Settings, args: argparse.Namespace) -> int:
    return commands.cmd_backtest(settings, settings.alerts, backtest_options(args))

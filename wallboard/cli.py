"""``wallboard``: one command line for the broker, the worker, the wallboard, the sources
and alerting.

Usage errors and bad configuration print one line naming what is wrong and exit with 2;
runtime failures (a broker that does not start, say) print one line and exit with 1.
Heavy imports (faust, dash, kafka) happen inside the command that needs them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from infra.errors import BrokerError
from streams.core.errors import ConfigError, UsageError

from .commands import REGISTER
from .commands.common import EXIT_FAILURE, EXIT_USAGE
from .settings import Settings, load_settings

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="wallboard", description=(
        "Real-time contact-center wallboard and alerting stream processor. Call and agent "
        "events in Kafka -> Faust worker -> Prometheus metrics, snapshot API, TV wallboard."),
        epilog="Run 'wallboard demo' to see a live board in a minute. Settings: --config FILE "
               "(TOML, see docs/configuration.md) or $WALLBOARD_CONFIG.")
    p.add_argument("--config", metavar="FILE", default=os.environ.get("WALLBOARD_CONFIG"),
                   help="TOML settings file (default: $WALLBOARD_CONFIG, else built-in defaults)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for register in REGISTER:
        register(sub)
    for command in sub.choices.values():  # `wallboard CMD --config F` works as well
        command.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                             help="TOML settings file (as before the command)")
    return p


_OVERRIDES: dict[str, str] = {
    "bootstrap": "kafka.bootstrap",
    "snapshot_url": "dashboard.snapshot_url",
    "clock": "worker.clock",
    "app_id": "worker.app_id",
}


def _settings_for(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    overrides: dict[str, object] = {}
    for attr, key in _OVERRIDES.items():
        if getattr(args, attr, None) is not None:
            overrides[key] = getattr(args, attr)
    section = {"worker": "worker", "dashboard": "dashboard"}.get(args.command)
    if section:
        for attr in ("host", "port"):
            if getattr(args, attr, None) is not None:
                overrides[f"{section}.{attr}"] = getattr(args, attr)
    return settings.with_overrides(overrides)


def _runtime_failure(command: str, bootstrap: str, exc: Exception) -> int | None:
    """Exit 1 with one line for a broker, OS or Kafka failure; None for anything else."""
    if isinstance(exc, BrokerError | OSError):
        print(f"wallboard {command}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    kafka_errors = sys.modules.get("kafka.errors")  # loaded only if a command used Kafka
    if kafka_errors is not None and isinstance(exc, kafka_errors.KafkaError):
        print(f"wallboard {command}: Kafka at {bootstrap}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return None


def main(argv: Sequence[str] | None = None) -> int:
    # kafka-python logs an ERROR line per refused connection and retry; our commands report a
    # broker outage themselves, in one line (infra.broker.BrokerUnavailable).
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    args = build_parser().parse_args(argv)
    bootstrap = "?"
    try:
        settings = _settings_for(args)
        bootstrap = settings.kafka.bootstrap
        func: Callable[[Settings, argparse.Namespace], int] = args.func
        return func(settings, args)
    except ConfigError as exc:
        print(f"wallboard: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"wallboard {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for the user, not a traceback
        code = _runtime_failure(args.command, bootstrap, exc)
        if code is None:
            raise
        return code


if __name__ == "__main__":
    sys.exit(main())

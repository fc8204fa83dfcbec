"""``wallboard dashboard``: the TV wallboard (Dash, served by waitress)."""

from __future__ import annotations

import argparse
import logging
import sys

from .. import args as types
from ..settings import Settings
from .common import EXIT_FAILURE

__all__ = ["LOG_FORMAT", "add", "cmd_dashboard"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def cmd_dashboard(settings: Settings, args: argparse.Namespace) -> int:
    from dashboard.app import PortInUse, serve  # dash: only when the board runs

    if getattr(args, "access_log", False):
        settings = settings.with_overrides({"dashboard.access_log": True})
    # WARNING and up on stderr; the access log (INFO, when on) passes through the same handler
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT, stream=sys.stderr)
    try:
        serve(settings.dashboard, settings.engine)
    except PortInUse as exc:  # one line, not a traceback
        print(f"wallboard dashboard: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def add(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("dashboard", help="serve the TV wallboard (Dash)",
                       description="The Dash wallboard; polls the worker's snapshot API.")
    d.add_argument("--host", help="listen address (dashboard.host)")
    d.add_argument("--port", type=types.port, help="listen port (dashboard.port)")
    d.add_argument("--snapshot-url", help="the worker's snapshot URL (dashboard.snapshot_url)")
    d.add_argument("--access-log", action="store_true", default=None,
                   help="log one line per request (dashboard.access_log; default: off)")
    d.set_defaults(func=cmd_dashboard)

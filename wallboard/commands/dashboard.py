"""``wallboard dashboard``: the TV wallboard (Dash)."""

from __future__ import annotations

import argparse
import sys

from .. import args as types
from ..settings import Settings
from .common import EXIT_FAILURE

__all__ = ["add", "cmd_dashboard"]


def cmd_dashboard(settings: Settings, args: argparse.Namespace) -> int:
    from dashboard.app import PortInUse, serve  # dash: only when the board runs

    try:
        serve(settings.dashboard, settings.engine)
    except PortInUse as exc:  # one line, not werkzeug's advice and traceback
        print(f"wallboard dashboard: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def add(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("dashboard", help="serve the TV wallboard (Dash)",
                       description="The Dash wallboard; polls the worker's snapshot API.")
    d.add_argument("--host", help="listen address (dashboard.host)")
    d.add_argument("--port", type=types.port, help="listen port (dashboard.port)")
    d.add_argument("--snapshot-url", help="the worker's snapshot URL (dashboard.snapshot_url)")
    d.set_defaults(func=cmd_dashboard)

"""One module per command group: its flags (argparse, only here) and the glue that calls
the package that does the work. :data:`REGISTER` lists them in ``--help`` order."""

from __future__ import annotations

from . import alerts, compute, dashboard, demo, kafka, replay, simulate, sources, worker

__all__ = ["REGISTER"]

REGISTER = (kafka.add, worker.add, dashboard.add, simulate.add, replay.add, compute.add,
            sources.add_asterisk, sources.add_replay_bank, alerts.add, demo.add)

"""Alerting: rules on the merged snapshot, their lifecycle, delivery and backtests.

See docs/alerting.md. Pure: ``config`` (the ``[alerts]`` settings, a package), ``core`` (the
engine, a package), ``surge``, ``schedule``, ``messages``, ``backtest``. Shells: ``source``,
``delivery``, ``store``, ``service``; ``commands`` runs the two commands whose flags live in
:mod:`wallboard.commands.alerts`.
"""

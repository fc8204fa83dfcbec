"""Alerting: rules on the merged snapshot, their lifecycle, delivery and backtests.

See docs/alerting.md. Pure: config, surge, schedule, core, messages, backtest. Shells:
source, delivery, store, service, cli.
"""

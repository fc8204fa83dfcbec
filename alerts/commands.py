"""What ``wallboard alerts`` (the alerting process) and ``wallboard alerts backtest`` do
(their flags: :mod:`wallboard.commands.alerts`, which maps them to :class:`AlertsOptions`
and :class:`BacktestOptions`)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from streams.config import StreamSettings

from .config import AlertSettings, merge_rule_file

if TYPE_CHECKING:  # imported where used: the CLI loads this module for every command
    from .backtest import BacktestResult
    from .core import AlertEngine
    from .service import AlertService

__all__ = ["AlertsOptions", "BacktestOptions", "alert_settings", "cmd_alerts", "cmd_backtest"]


@dataclass(frozen=True)
class AlertsOptions:
    """The flags of ``wallboard alerts``: a rule file, overrides of ``[alerts]`` (None:
    not given) and the log level."""

    rules: str | None
    source: str | None
    host: str | None
    port: int | None
    state: str | None
    loglevel: str


@dataclass(frozen=True)
class BacktestOptions:
    """The flags of ``wallboard alerts backtest``."""

    events: Path
    rules: str | None
    every: float
    warmup_s: float
    json: bool
    save_baselines: bool


def alert_settings(configured: AlertSettings | None, rules: str | None, *,
                   timezone: str) -> AlertSettings:
    """The alert settings: ``[alerts]`` of the config (``configured``) with ``--rules FILE``
    merged in (its rules replace the config's, the config's other keys stay: see
    :func:`alerts.config.merge_rule_file`), else defaults; ``timezone`` is the engine's."""
    if rules:
        return merge_rule_file(configured, rules, default_timezone=timezone)
    if configured is not None:
        return configured
    return AlertSettings(timezone=timezone)


def _utc(t: float | None) -> str:
    if t is None:
        return "(still firing)"
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


# -- wallboard alerts backtest ---------------------------------------------------------------


def cmd_backtest(settings: StreamSettings, configured: AlertSettings | None,
                 options: BacktestOptions) -> int:
    """Replay ``options.events`` through the engine and the rules; print what fired."""
    from streams.adapters.replay import open_lines

    from .backtest import run_backtest
    from .core import AlertEngine

    path = options.events
    if not path.is_file():
        print(f"wallboard alerts backtest: error: {path}: no such file", file=sys.stderr)
        return 2
    alerts = alert_settings(configured, options.rules, timezone=settings.engine.timezone)
    if not alerts.rules:
        print("wallboard alerts backtest: error: no rules: give --rules FILE or an [alerts] "
              "section in --config (see alerts/rules.example.toml)", file=sys.stderr)
        return 2
    invalid = [0]

    def on_invalid(lineno: int, reason: str) -> None:
        invalid[0] += 1
        if invalid[0] <= 20:
            print(f"{path}:{lineno}: invalid event, skipped: {reason}", file=sys.stderr)

    started = time.monotonic()
    engine = AlertEngine(alerts)
    result = run_backtest(open_lines(path), settings.engine, alerts, every=options.every,
                          warmup_s=options.warmup_s, on_invalid=on_invalid, engine=engine)
    if options.save_baselines:
        _save_baselines(settings, alerts, engine)
    if options.json:
        _print_json(result)
    else:
        _print_text(result, alerts, options.every, time.monotonic() - started)
    return 0


def _save_baselines(settings: StreamSettings, alerts: AlertSettings,
                    engine: AlertEngine) -> None:
    """Write the surge baselines the backtest learned to the alerts topic."""
    from .store import KafkaStateStore

    records = {f"b:{rule}:{seg}": b.to_dict() for (rule, seg), b in engine.baselines.items()}
    store = KafkaStateStore(settings.kafka.bootstrap, alerts.topic,
                            connect_timeout_s=settings.kafka.connect_timeout_s)
    try:
        store.ensure_topic()
        store.write(records)
    finally:
        store.close()
    print(f"backtest: saved {len(records)} surge baselines to {alerts.topic} on "
          f"{settings.kafka.bootstrap} (wallboard alerts starts from them)",
          file=sys.stderr)


def _print_json(result: BacktestResult) -> None:
    import orjson

    sys.stdout.write(orjson.dumps({
        "events": result.stats.events, "invalid": result.stats.invalid,
        "evaluations": result.evaluations, "first": result.first, "last": result.last,
        "notifications": result.notifications, "resolves": result.resolves,
        "incidents": [i.to_dict() for i in result.incidents], "summary": result.summary(),
    }).decode() + "\n")


def _print_text(result: BacktestResult, alerts: AlertSettings, every: float,
                elapsed_s: float) -> None:
    """The incidents, one a line, then a summary per rule."""
    print(f"backtest: {result.stats.events:,} events, {result.evaluations:,} evaluations "
          f"every {every:g} s from {_utc(result.first)} to {_utc(result.last)}; "
          f"{len(result.incidents)} incidents, {result.notifications} firing notifications, "
          f"{result.resolves} resolves ({elapsed_s:.1f} s)")
    print(f"{'start':<21} {'end':<21} {'rule':<20} {'segment':<16} {'severity':<9} "
          f"{'peak':>10} pages")
    for inc in result.incidents:
        peak = "-" if inc.peak is None else f"{inc.peak:.4g}"
        muted = f"  (muted: {inc.muted})" if inc.muted else ""
        print(f"{_utc(inc.start):<21} {_utc(inc.end):<21} {inc.rule:<20} {inc.segment:<16} "
              f"{inc.severity:<9} {peak:>10} {inc.pages:>5}{muted}")
    print("\nper rule:")
    summary = result.summary()
    for rule in alerts.rules:
        row = summary.get(rule.name)
        if row is None:
            print(f"  {rule.name:<20} {rule.kind:<12} 0 incidents, 0 pages")
            continue
        hours = row["firing_s"] / 3600
        print(f"  {rule.name:<20} {rule.kind:<12} {row['incidents']} incidents, "
              f"{row['pages']} pages, {row['critical']} critical, {hours:.1f} h firing, "
              f"segments: {', '.join(row['segments'])}")


# -- wallboard alerts ------------------------------------------------------------------------


def _with_flags(alerts: AlertSettings, options: AlertsOptions) -> AlertSettings:
    """``alerts`` with the flags that override it (checked by their argument types)."""
    changes = {k: v for k, v in (("source", options.source), ("host", options.host),
                                 ("port", options.port), ("state", options.state))
               if v is not None}
    return replace(alerts, **changes)


def cmd_alerts(settings: StreamSettings, configured: AlertSettings | None,
               options: AlertsOptions) -> int:
    """Run the alerting process until SIGTERM or SIGINT."""
    from infra.clients import port_free

    from .delivery import Deliverer
    from .service import AlertService
    from .source import HttpSnapshotSource
    from .store import KafkaStateStore, MemoryStore

    alerts = _with_flags(alert_settings(configured, options.rules,
                                        timezone=settings.engine.timezone), options)
    if not port_free(alerts.host, alerts.port):
        print(f"wallboard alerts: error: port {alerts.port} on {alerts.host} is already in use "
              "(alerts.port)", file=sys.stderr)
        return 2
    logging.basicConfig(level=options.loglevel.upper(), stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apprise").setLevel(logging.CRITICAL)  # its lines may carry URLs
    store = (KafkaStateStore(settings.kafka.bootstrap, alerts.topic,
                             connect_timeout_s=settings.kafka.connect_timeout_s)
             if alerts.state == "kafka" else MemoryStore())
    source = HttpSnapshotSource(alerts.source, alerts.source_timeout_s)
    service = AlertService(alerts, source, store, Deliverer(alerts))
    restored = service.restore()
    where = (f"{alerts.topic} on {settings.kafka.bootstrap}" if alerts.state == "kafka"
             else "memory")
    print(f"alerts: {len(alerts.rules)} rules; reading {source.describe()} every "
          f"{alerts.eval_interval_s:g} s; state: {where} ({restored} records restored); API "
          f"http://{alerts.host}:{alerts.port}/api/v1/alerts; delivery "
          f"{alerts.redacted()['delivery']}", flush=True)
    try:
        asyncio.run(_serve(service))
    finally:
        store.close()
    print(f"alerts: stopped after {service.engine.evaluations} evaluations", flush=True)
    return 0


async def _serve(service: AlertService) -> None:
    """Serve until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await service.serve(stop)

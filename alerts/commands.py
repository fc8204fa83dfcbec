"""What ``wallboard alerts`` (the alerting process) and ``wallboard alerts backtest`` do
(their flags: :mod:`wallboard.commands.alerts`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from streams.config import StreamSettings

from .config import AlertSettings, load_alert_settings

__all__ = ["alert_settings", "cmd_alerts", "cmd_backtest"]


def alert_settings(configured: AlertSettings | None, rules: str | None, *,
                   timezone: str) -> AlertSettings:
    """The alert settings: ``--rules FILE``, else ``[alerts]`` of the config
    (``configured``), else defaults; ``timezone`` is the engine's."""
    if rules:
        return load_alert_settings(rules, default_timezone=timezone)
    if configured is not None:
        return configured
    return AlertSettings(timezone=timezone)


def _utc(t: float | None) -> str:
    if t is None:
        return "(still firing)"
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def cmd_backtest(settings: StreamSettings, configured: AlertSettings | None,
                 args: argparse.Namespace) -> int:
    import orjson

    from streams.adapters.replay import open_lines

    from .backtest import run_backtest

    path = Path(args.events)
    if not path.is_file():
        print(f"wallboard alerts backtest: error: {path}: no such file", file=sys.stderr)
        return 2
    alerts = alert_settings(configured, args.rules, timezone=settings.engine.timezone)
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
    from .core import AlertEngine

    engine = AlertEngine(alerts)
    result = run_backtest(open_lines(path), settings.engine, alerts, every=args.every,
                          warmup_s=args.warmup, on_invalid=on_invalid, engine=engine)
    summary = result.summary()
    if args.save_baselines:
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
    if args.json:
        sys.stdout.write(orjson.dumps({
            "events": result.stats.events, "invalid": result.stats.invalid,
            "evaluations": result.evaluations, "first": result.first, "last": result.last,
            "notifications": result.notifications, "resolves": result.resolves,
            "incidents": [i.to_dict() for i in result.incidents], "summary": summary,
        }).decode() + "\n")
        return 0
    print(f"backtest: {result.stats.events:,} events, {result.evaluations:,} evaluations "
          f"every {args.every:g} s from {_utc(result.first)} to {_utc(result.last)}; "
          f"{len(result.incidents)} incidents, {result.notifications} firing notifications, "
          f"{result.resolves} resolves ({time.monotonic() - started:.1f} s)")
    print(f"{'start':<21} {'end':<21} {'rule':<20} {'segment':<16} {'severity':<9} "
          f"{'peak':>10} pages")
    for inc in result.incidents:
        peak = "-" if inc.peak is None else f"{inc.peak:.4g}"
        muted = f"  (muted: {inc.muted})" if inc.muted else ""
        print(f"{_utc(inc.start):<21} {_utc(inc.end):<21} {inc.rule:<20} {inc.segment:<16} "
              f"{inc.severity:<9} {peak:>10} {inc.pages:>5}{muted}")
    print("\nper rule:")
    for rule in alerts.rules:
        row = summary.get(rule.name)
        if row is None:
            print(f"  {rule.name:<20} {rule.kind:<12} 0 incidents, 0 pages")
            continue
        hours = row["firing_s"] / 3600
        print(f"  {rule.name:<20} {rule.kind:<12} {row['incidents']} incidents, "
              f"{row['pages']} pages, {row['critical']} critical, {hours:.1f} h firing, "
              f"segments: {', '.join(row['segments'])}")
    return 0


def cmd_alerts(settings: StreamSettings, configured: AlertSettings | None,
               args: argparse.Namespace) -> int:
    from infra.broker import port_free

    from .delivery import Deliverer
    from .service import AlertService
    from .source import HttpSnapshotSource
    from .store import KafkaStateStore, MemoryStore

    alerts = alert_settings(configured, args.rules, timezone=settings.engine.timezone)
    changes = {k: v for k, v in (("source", args.source), ("host", args.host),
                                 ("port", args.port), ("state", args.state)) if v is not None}
    if changes.get("source") and not changes["source"].startswith(("http://", "https://")):
        print(f"wallboard alerts: error: --source: expected an http(s) URL, got "
              f"{changes['source']!r}", file=sys.stderr)
        return 2
    alerts = replace(alerts, **changes)
    if not port_free(alerts.host, alerts.port):
        print(f"wallboard alerts: error: port {alerts.port} on {alerts.host} is already in use "
              "(alerts.port)", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.loglevel.upper(), stream=sys.stdout,
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

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await service.serve(stop)

    try:
        asyncio.run(main())
    finally:
        store.close()
    print(f"alerts: stopped after {service.engine.evaluations} evaluations", flush=True)
    return 0

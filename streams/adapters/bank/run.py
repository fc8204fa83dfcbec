"""``wallboard replay-bank``'s work: read the call table, send its events to the sink in time
order and in batches, print the summary.

:class:`BankOptions` holds what the command line chose. :func:`run_replay_bank` reports a
missing, unreadable or foreign file in one line on stderr (exit 2). Broken rows never stop
it: they are listed in the summary.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ...config import KafkaSettings
from ...sink import EventSink, open_sink
from .convert import DEFAULT_TIMEZONE
from .events import BankStats, iter_events
from .rows import BadHeader, read_rows

__all__ = ["BATCH_SIZE", "BankOptions", "run_replay_bank"]

BATCH_SIZE = 5000
_PROG = "wallboard replay-bank"


@dataclass(frozen=True)
class BankOptions:
    """The call table, where its events go (``output`` None: Kafka), the zone of its clock
    times and the days to keep (None: all)."""

    csv: str
    output: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    days: tuple[date, date] | None = None


def _error(message: str) -> int:
    print(f"{_PROG}: error: {message}", file=sys.stderr)
    return 2


def _send(events: Iterable[dict], sink: EventSink) -> None:
    batch: list[dict] = []
    for event in events:
        batch.append(event)
        if len(batch) >= BATCH_SIZE:
            sink.send(batch)
            batch = []
    sink.send(batch)
    sink.flush()


def run_replay_bank(kafka: KafkaSettings, options: BankOptions) -> int:
    """Convert ``options.csv`` and send its events (time order, batched) to the sink."""
    path = Path(options.csv)
    if not path.is_file():
        return _error(f"{path}: no such file")
    tz = options.timezone
    stats = BankStats()
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        return _error(f"cannot read {path}: {exc.strerror or exc}")
    with fh:
        try:
            rows = read_rows(fh)
        except (BadHeader, UnicodeDecodeError) as exc:
            return _error(f"{path}: {exc}")
        sink = open_sink(kafka, options.output, client_id="wallboard-replay-bank")
        try:
            _send(iter_events(rows, tz=tz, days=options.days, stats=stats), sink)
        except UnicodeDecodeError as exc:
            return _error(f"{path}: not UTF-8 text: {exc}")
        finally:
            sink.close()
    for line in stats.summary(f"{path} (clock times in {tz})"):
        print(f"replay-bank: {line}")
    print(f"replay-bank: {sink.sent} events sent to {sink.describe()}")
    return 0

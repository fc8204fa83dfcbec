"""``wallboard replay``'s work: send a recorded JSON Lines file to the sink, in file order.

:class:`ReplayOptions` holds what the command line chose. :func:`run_replay` reports each
invalid line on stderr with its number and skips it, paces by event time when asked, and with
``retime`` stamps the first event now and the others as recorded after it. Options that do
not go together raise :class:`~streams.core.errors.UsageError` (one line, exit 2).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...config import KafkaSettings
from ...core.errors import UsageError
from ...sink import EventSink, open_sink
from .recorded import Pacer, ReplayLine, read_events, retimed

__all__ = ["BATCH_SIZE", "ReplayOptions", "run_replay"]

BATCH_SIZE = 5000  # events per send when not paced


@dataclass(frozen=True)
class ReplayOptions:
    """The file, the pace (``speed`` None: as fast as possible), ``retime`` (the first event
    is stamped now; speed 1) and where the events go (``output`` None: Kafka)."""

    file: str
    speed: float | None = None
    retime: bool = False
    output: str | None = None


class _Sender:
    """Sends the valid events of the lines it is given: paced one by one, else in batches."""

    def __init__(self, sink: EventSink, pacer: Pacer | None, *, retime: bool) -> None:
        self.sink, self.pacer, self.retime = sink, pacer, retime
        self.invalid = 0
        self.offset: float | None = None
        self.batch: list[dict] = []

    def take(self, path: Path, line: ReplayLine) -> None:
        if line.event is None:
            self.invalid += 1
            print(f"{path}:{line.lineno}: invalid event, not sent: {line.error}",
                  file=sys.stderr)
            return
        assert line.ts is not None
        event = line.event
        if self.retime:
            self.offset = time.time() - line.ts if self.offset is None else self.offset
            event = retimed(event, line.ts, self.offset)
        if self.pacer is not None:
            self.sink.send(self.batch)
            self.batch = []
            self.pacer.wait(line.ts)
            self.sink.send([event])
        else:
            self.batch.append(event)
            if len(self.batch) >= BATCH_SIZE:
                self.sink.send(self.batch)
                self.batch = []

    def finish(self) -> None:
        self.sink.send(self.batch)


def run_replay(kafka: KafkaSettings, options: ReplayOptions, *,
               on_start: Callable[[], None] | None = None) -> int:
    """Send ``options.file`` to the sink, in file order (Kafka: keyed per contract).

    ``on_start`` is called once the sink is open, before the first event (the command treats
    SIGTERM like Ctrl-C there)."""
    path = Path(options.file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if options.retime and options.speed not in (None, 1.0):
        raise UsageError("--retime replays in real time (speed 1): retimed events are stamped "
                         "now, so a faster replay would stamp them in the future")
    speed = 1.0 if options.retime else options.speed
    pacer = Pacer(speed) if speed else None
    sink = open_sink(kafka, options.output, client_id="wallboard-replay")
    if on_start is not None:
        on_start()
    sender = _Sender(sink, pacer, retime=options.retime)
    try:
        for line in read_events(path):
            sender.take(path, line)
        sender.finish()
    except KeyboardInterrupt:
        pass
    finally:
        sink.close()
    print(f"replay: {sink.sent} events sent to {sink.describe()}; {sender.invalid} invalid "
          "lines skipped")
    return 0

"""``wallboard asterisk``'s work: check the options, convert or follow the file into the sink,
print the summary.

:class:`AsteriskOptions` holds what the command line chose. :func:`run_asterisk` reports a bad
option in one line on stderr (exit 2) and malformed lines as they come (the first
``MAX_REPORTED``). With ``follow`` it stops on SIGTERM or Ctrl-C after the current batch.
Then it prints :func:`summary_lines` on stdout.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from ...config import KafkaSettings
from ...core.checks import check_timezone
from ...core.errors import ConfigError
from ...sink import EventSink, open_sink
from .convert import DEFAULT_SOURCE, QueueLogConverter
from .follow import FilePosition, load_state, stream_file
from .state import MAX_REPORTED, ConvertStats

__all__ = ["AsteriskOptions", "run_asterisk", "summary_lines"]


@dataclass(frozen=True)
class AsteriskOptions:
    """What to read, how, and where the events go (``output`` None: Kafka)."""

    file: str
    follow: bool = False
    state: str | None = None  # the state file: position and converter memory
    layout: str = "auto"
    output: str | None = None
    source: str = DEFAULT_SOURCE
    timezone: str | None = None  # of realtime times without offset; None: the default


class _StopFlag:
    def __init__(self) -> None:
        self.stopped = False

    def __call__(self) -> bool:
        return self.stopped

    def set(self, signum: int = 0, frame: object = None) -> None:
        self.stopped = True


@contextlib.contextmanager
def _stop_on_signals(flag: _StopFlag) -> Iterator[None]:
    """SIGTERM and SIGINT set ``flag``: the follow loop ends after its current batch."""
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError):  # not the main thread: no handlers
            previous[sig] = signal.signal(sig, flag.set)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counter.most_common()) or "none"


def summary_lines(stats: ConvertStats, *, layout: str | None, sent: int, target: str,
                  open_visits: int = 0) -> list[str]:
    """The end-of-run summary (stdout)."""
    lines = [f"asterisk: {stats.lines} lines ({layout or 'layout not detected'}) -> "
             f"{sent} events to {target}",
             f"  events: {_counts(stats.events)}",
             f"  ignored: {_counts(stats.ignored)}"]
    if stats.ring_no_answer_ms:
        lines.append(f"  RINGNOANSWER ring time: {stats.ring_no_answer_ms / 1000:.0f} s")
    if stats.unmatched:
        lines.append(f"  unmatched (no open visit): {_counts(stats.unmatched)}")
    if stats.restart_dequeued or stats.dropped_conversations or stats.expired:
        lines.append(f"  visits: {stats.restart_dequeued} waiting calls dequeued (reason other)"
                     f" by QUEUESTART, {stats.dropped_conversations} conversations whose end "
                     f"was never logged, {stats.expired} expired")
    lines.append(f"  open at the end: {open_visits} visits")
    lines.append(f"  malformed lines: {stats.malformed}")
    return lines


def _fail(message: str) -> int:
    print(f"wallboard asterisk: {message}", file=sys.stderr)
    return 2


class _MalformedReport:
    """Prints the first ``MAX_REPORTED`` malformed lines on stderr, then says it stops."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.reported = 0

    def __call__(self, line: int, reason: str) -> None:
        self.reported += 1
        if self.reported <= MAX_REPORTED:
            print(f"asterisk: {self.path} line {line}: {reason}", file=sys.stderr, flush=True)
        elif self.reported == MAX_REPORTED + 1:
            print("asterisk: more malformed lines are only counted", file=sys.stderr)


def _send(path: Path, converter: QueueLogConverter, sink: EventSink, options: AsteriskOptions,
          position: FilePosition | None) -> None:
    stop = _StopFlag()
    with _stop_on_signals(stop) if options.follow else contextlib.nullcontext():
        if options.follow:
            print(f"asterisk: following {path} -> {sink.describe()} (SIGTERM/Ctrl-C "
                  "stops)", flush=True)
        stream_file(path, converter, sink, follow=options.follow, state_file=options.state,
                    position=position, should_stop=stop)


def run_asterisk(kafka: KafkaSettings, default_tz: tzinfo, options: AsteriskOptions) -> int:
    """Convert (or follow) ``options.file`` into the sink; 0, or 2 after a one-line error.
    ``default_tz`` is the zone of realtime times when ``options.timezone`` is not set."""
    path = Path(options.file)
    if not path.is_file():
        return _fail(f"no such file: {path}")
    if not options.source or len(options.source) > 64:
        return _fail("--source must be 1..64 characters")
    try:
        tz = (check_timezone("--timezone", options.timezone) if options.timezone
              else default_tz)
    except ConfigError:
        return _fail(f"unknown time zone {options.timezone!r}")
    converter = QueueLogConverter(layout=options.layout, source=options.source, tz=tz,
                                  on_malformed=_MalformedReport(path))
    position = None
    if options.state:
        try:
            position = load_state(options.state, file=path, source=options.source,
                                  converter=converter)
        except ValueError as exc:
            return _fail(str(exc))
    sink = open_sink(kafka, options.output, client_id="wallboard-asterisk")
    try:
        _send(path, converter, sink, options, position)
    finally:
        sink.close()
    for line in summary_lines(converter.stats, layout=converter.parser.layout,
                              sent=sink.sent, target=sink.describe(),
                              open_visits=converter.open_visits):
        print(line)
    return 0

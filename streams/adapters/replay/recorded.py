"""Recorded contract events (JSON Lines, plain or gzip): reading, validation, retiming, pacing.

:func:`read_events` yields every non-blank line with its number: the event, or the
validator's reason it is invalid. :func:`retimed` moves an event in time. :class:`Pacer` holds
events back so that event time runs N times faster than the clock. Pure apart from reading
the file: the clock and the sleep are injected, so pacing is tested without waiting.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from schemas import InvalidEvent, parse_event

from ...core.timefmt import rfc3339

__all__ = ["Pacer", "ReplayLine", "open_lines", "read_events", "retimed"]


@dataclass(frozen=True, slots=True)
class ReplayLine:
    lineno: int
    event: dict | None      # the event as recorded, when valid
    ts: float | None
    error: str | None       # the validator's reason, when invalid


def open_lines(path: Path) -> Iterator[bytes]:
    """The lines of a JSON Lines file, plain or gzip (by the ``.gz`` suffix)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        yield from fh


def read_events(path: Path) -> Iterator[ReplayLine]:
    """Every non-blank line of ``path`` with its number: the event, or why it is invalid."""
    for lineno, line in enumerate(open_lines(path), start=1):
        if not line.strip():
            continue
        try:
            event = parse_event(line)
        except InvalidEvent as exc:
            yield ReplayLine(lineno, None, None, str(exc))
            continue
        yield ReplayLine(lineno, event.raw, event.ts, None)


def retimed(event: dict, ts: float, offset_s: float) -> dict:
    """A copy of ``event`` moved ``offset_s`` seconds later (its ``event_id`` unchanged)."""
    return {**event, "ts": rfc3339(ts + offset_s)}


class Pacer:
    """Holds events back so that event time runs ``speed`` times faster than the clock.

    ``wait(ts)`` sleeps until ``(ts - first_ts) / speed`` seconds have passed since the first
    event; events out of order (earlier than one already released) go at once.
    """

    def __init__(self, speed: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if speed <= 0:
            raise ValueError(f"speed: must be > 0, got {speed}")
        self.speed = speed
        self._clock = clock
        self._sleep = sleep
        self._first_ts: float | None = None
        self._started = 0.0

    def wait(self, ts: float) -> None:
        if self._first_ts is None:
            self._first_ts, self._started = ts, self._clock()
            return
        due = self._started + (ts - self._first_ts) / self.speed
        delay = due - self._clock()
        if delay > 0:
            self._sleep(delay)

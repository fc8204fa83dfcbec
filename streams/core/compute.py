"""Offline computation: the same engine over a JSON Lines file, snapshots as of given instants.

A snapshot as of ``t`` reflects exactly the events with ``ts <= t`` (metrics.md). Because a
file may hold events out of order within ``max_lateness_s``, the snapshot for ``t`` is taken
just before the first event that moves the watermark (newest ``ts`` minus ``max_lateness_s``)
past ``t``; events after ``t`` that were already applied are excluded by the engine's as-of
logic. The clock is never read: offline time is event time.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from schemas import InvalidEvent, parse_event

from .config import EngineSettings
from .engine import Engine

__all__ = ["ComputeStats", "snapshots"]

PROGRESS_EVERY = 1 << 18  # lines between progress reports


@dataclass
class ComputeStats:
    lines: int = 0
    events: int = 0
    invalid: int = 0


def snapshots(lines: Iterable[bytes], settings: EngineSettings, *,
              as_of: list[float] | None = None, every: float | None = None,
              start: float | None = None, end: float | None = None,
              on_invalid: Callable[[int, str], None] | None = None,
              on_line: Callable[[ComputeStats], None] | None = None,
              stats: ComputeStats | None = None,
              engine: Engine | None = None) -> Iterator[dict]:
    """Yield the snapshot for each instant of ``as_of`` (sorted), or every ``every`` seconds.

    With ``every``, the series starts at the first multiple of ``every`` at or after
    ``start`` (default: the first event) and ends at the last multiple at or before ``end``
    (default: the newest event), so it never goes past the data (it may be empty when the
    events span less than one step). Without either, one snapshot as of the newest event.
    Invalid lines go to ``on_invalid(lineno, reason)`` and are skipped.
    """
    engine = engine or Engine(settings)
    # The engine's state is acyclic: reference counting frees everything it drops, and the
    # cyclic collector would only walk its many long-lived objects for nothing (a run over
    # 1 M lines found 0 unreachable objects in 3 collections costing 9 % of the time). So
    # the collector is off for the run; tests/unit/streams/test_compute.py checks that a
    # run, invalid lines included, leaves no cyclic garbage behind.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield from _snapshots(lines, settings, engine, _Instants(as_of, every, start, end),
                              on_invalid, on_line, stats if stats is not None else ComputeStats())
    finally:
        if was_enabled:
            gc.enable()


class _Instants:
    """The instants still to snapshot, in order: the ``every`` series (from ``start``, else
    from the first event; up to ``end``) and the ``as_of`` targets. ``next_due`` is the
    earliest of them (-inf before the first event starts the series)."""

    def __init__(self, as_of: list[float] | None, every: float | None, start: float | None,
                 end: float | None) -> None:
        self.targets = sorted(as_of) if as_of else []
        self.pos = 0
        self.every, self.end = every, end
        self.next_t: float | None = None
        if every is not None and start is not None:
            self.next_t = math.ceil(start / every) * every
        self.next_due = -math.inf
        self._refresh()

    def _refresh(self) -> None:
        series = math.inf
        if self.every is not None:
            series = -math.inf if self.next_t is None else self.next_t
            if self.end is not None and self.next_t is not None and self.next_t > self.end:
                series = math.inf
        target = self.targets[self.pos] if self.pos < len(self.targets) else math.inf
        self.next_due = min(series, target)

    def due(self, ts: float, watermark: float) -> list[float]:
        """The instants before ``watermark`` (``ts``: the newest event, which starts a series
        that has no ``start``)."""
        out = []
        every, end = self.every, self.end
        if every is not None:
            if self.next_t is None:
                self.next_t = math.ceil(ts / every) * every
            while self.next_t < watermark and (end is None or self.next_t <= end):
                out.append(self.next_t)
                self.next_t += every
        targets = self.targets
        while self.pos < len(targets) and targets[self.pos] < watermark:
            out.append(targets[self.pos])
            self.pos += 1
        self._refresh()
        return out

    def rest(self, newest: float) -> list[float]:
        """The instants left once every line is read (``newest``: the newest event time, -inf
        without events); the newest event's instant when none was asked for."""
        out = []
        if self.every is not None and self.next_t is not None:
            last = self.end if self.end is not None else newest  # -inf: no series
            while self.next_t <= last:
                out.append(self.next_t)
                self.next_t += self.every
        out.extend(self.targets[self.pos:])
        if not self.targets and self.every is None and newest > -math.inf:
            out.append(newest)
        return out


def _snapshots(lines: Iterable[bytes], settings: EngineSettings, engine: Engine,
               instants: _Instants, on_invalid: Callable[[int, str], None] | None,
               on_line: Callable[[ComputeStats], None] | None,
               stats: ComputeStats) -> Iterator[dict]:
    lateness = settings.max_lateness_s
    newest = -math.inf
    apply = engine.apply
    blank = lineno = 0
    for lineno, line in enumerate(lines, start=1):  # noqa: B007 - lineno is used after the loop
        if lineno % PROGRESS_EVERY == 0 and on_line is not None:
            stats.lines = lineno
            on_line(stats)
        if len(line) <= 2 and not line.strip():  # JSON lines are longer: strip only short ones
            blank += 1
            continue
        try:
            ev = parse_event(line)
        except InvalidEvent as exc:
            stats.invalid += 1
            if on_invalid is not None:
                on_invalid(lineno, str(exc))
            continue
        ts = ev.ts
        if ts > newest:
            newest = ts
            if instants.next_due < ts - lateness:
                for t in instants.due(ts, ts - lateness):
                    yield engine.snapshot(t)
        apply(ev)
    stats.lines = lineno
    stats.events = lineno - blank - stats.invalid
    for t in instants.rest(newest):
        yield engine.snapshot(t)

"""What a partial is built from besides the cells' window rows: the "now" block (callers
waiting as of ``t``, and the service-level misses of callers still waiting past ``T``, which
count at ``q + T``), and the segments' column sums of the rows, kept up to date."""

from __future__ import annotations

import bisect
from collections import defaultdict

from .aggregates import MISSED_UNIT
from .calls import Call
from .cells import Cell
from .windows import Row

__all__ = ["SegmentSums", "add_misses", "now_block"]

Waiting = list[int]  # [count, earliest queue ms, over T]
# per set of cells (a visit's), the queue times of some of its visits
Groups = defaultdict[tuple[Cell, ...], list[int]]


def now_block(live: dict[str, Call], calls: dict[str, Call], t: int, day_start: int,
              lengths: list[int], earliest: int,
              limit: int) -> tuple[dict[str, Waiting], dict[Cell, list[int]]]:
    """Waiting callers per segment ``[count, min q, over T]``, and per cell the misses
    of callers still waiting past ``T`` (at ``q + T``) per window key (the rolling
    lengths, then ``today``), to add to the cell's window sums.

    Walks ``live``, the calls that may still have a visit open as of ``t``, collecting the
    queue times per set of cells, then counts per cell and per segment. As of an instant at
    or after every event (the live board), an outcome known now happened by ``t``: only
    calls with a visit that has none can wait (the engine's open calls). As of an earlier
    instant, a visit closed since was waiting then: every call that may have a visit open as
    of a supported instant is walked. Calls no longer held, and calls whose every visit
    closed before ``earliest`` (the earliest instant still asked for), leave ``live``;
    ``limit`` is max_visit_s (ms)."""
    opens, later = _queue_times(live, calls, t, earliest, limit)
    return _tally(opens, later, t, day_start, lengths, limit)


def _queue_times(live: dict[str, Call], calls: dict[str, Call], t: int, earliest: int,
                 limit: int) -> tuple[Groups, Groups]:
    """Per set of cells, the queue times (up to ``t``) of the visits with no outcome yet
    (waiting, or a miss once the wait reaches T), and of the visits waiting at ``t`` with an
    outcome after ``t`` (every set of the second is in the first); prunes ``live``."""
    opens: Groups = defaultdict(list)
    later: Groups = defaultdict(list)
    gone = []
    for call_id, call in live.items():
        if calls.get(call_id) is not call:
            gone.append(call_id)
            continue
        closed = True  # every visit closed before any instant still asked for
        for v in call.visits:
            o = v.outcome_ms
            q = v.queued_ms
            if o is None:
                closed = False
                if q <= t:
                    opens[v.cells].append(q)
            else:
                if o >= earliest:
                    closed = False
                if q <= t < o and t - q <= limit:
                    later[v.cells].append(q)
        if closed:
            gone.append(call_id)
    for call_id in gone:
        del live[call_id]
    for cells in later:  # a set of cells may have only visits with an outcome since t
        opens.setdefault(cells, [])
    return opens, later


def _tally(opens: Groups, later: Groups, t: int, day_start: int, lengths: list[int],
           limit: int) -> tuple[dict[str, Waiting], dict[Cell, list[int]]]:
    """Per segment, the callers waiting as of ``t`` ``[count, min q, over T]``, and per cell
    the misses at ``q + T <= t`` of the callers with no outcome yet per window key: in
    ``(t - length, t]`` for each rolling length, then in today (from ``day_start``)."""
    waiting: dict[str, Waiting] = {}
    misses: dict[Cell, list[int]] = {}
    n_lengths = len(lengths)
    for cells, open_qs in opens.items():
        open_qs.sort()
        first = bisect.bisect_left(open_qs, t - limit)  # waiting at t: t - q <= limit
        qs = open_qs[first:] if first else open_qs
        answered_since = later.get(cells) if later else None
        if answered_since:
            qs = sorted(qs + answered_since)
        for cell in cells:
            t_ms = cell.sl_ms
            if qs:
                n, first_q, over = len(qs), qs[0], bisect.bisect_left(qs, t - t_ms)  # t-q > T
                for name in cell.segments:
                    entry = waiting.get(name)
                    if entry is None:
                        waiting[name] = [n, first_q, over]
                    else:
                        entry[0] += n
                        entry[1] = min(entry[1], first_q)
                        entry[2] += over
            due = bisect.bisect_right(open_qs, t - t_ms) if t_ms < limit else 0
            if due:  # misses at or before t (none when max_visit_s expires the visit first)
                extra = misses.get(cell)
                if extra is None:
                    extra = misses[cell] = [0] * (n_lengths + 1)
                for i, length in enumerate(lengths):
                    extra[i] += due - bisect.bisect_right(open_qs, t - length - t_ms)
                extra[n_lengths] += due - bisect.bisect_left(open_qs, day_start - t_ms)
    return waiting, misses


def add_misses(rows: dict[Cell, Row], misses: dict[Cell, list[int]]) -> None:
    """Add the callers still waiting past ``T`` to their cells' rows (new rows: a cached
    row is never changed)."""
    for cell, extra in misses.items():
        sums, hists = rows[cell]
        rows[cell] = ([s + e * MISSED_UNIT for s, e in zip(sums, extra, strict=True)], hists)


class SegmentSums:
    """Per segment, the column sums of its cells' window rows, as of the last partial."""

    def __init__(self) -> None:
        self._used: dict[Cell, Row] = {}  # the row of each cell the sums hold
        self._sums: dict[str, Row] = {}

    def update(self, rows: dict[Cell, Row]) -> dict[str, Row]:
        """The sums of ``rows``: those of the last partial plus the differences of the rows
        that changed since (a reused cached row is the same object). Exact: the sums are
        integers. New lists for a changed segment, so a partial handed out earlier never
        changes."""
        used, sums = self._used, self._sums
        deltas: dict[str, list[list[int]]] = {}
        for cell, row in rows.items():
            old = used.get(cell)
            if old is row:
                continue
            used[cell] = row
            if old is None:
                d_sums, d_hists = row
            else:
                d_sums = [a - b for a, b in zip(row[0], old[0], strict=True)]
                d_hists = [a - b for a, b in zip(row[1], old[1], strict=True)]
            for name in cell.segments:
                acc = deltas.get(name)
                if acc is None:
                    deltas[name] = [list(d_sums), list(d_hists)]
                else:
                    acc[0] = [a + b for a, b in zip(acc[0], d_sums, strict=True)]
                    acc[1] = [a + b for a, b in zip(acc[1], d_hists, strict=True)]
        for name, (d_sums, d_hists) in deltas.items():
            before = sums.get(name)
            if before is None:
                sums[name] = (d_sums, d_hists)
            else:
                sums[name] = ([a + b for a, b in zip(before[0], d_sums, strict=True)],
                              [a + b for a, b in zip(before[1], d_hists, strict=True)])
        return sums

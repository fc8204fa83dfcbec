"""A cell's window sums as of an instant: per rolling window ``(t - length, t]`` and for
``today``, whole minutes from the cell's prefix sums and the edge minutes record by record
(exact to the millisecond), cached with the instant until which they hold."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from .cells import Cell, refresh
from .clock import FOREVER, MINUTE_MS

__all__ = ["Row", "rows_as_of", "window_sums"]

# a cell's packed sums and histograms per window key (the rolling lengths, then ``today``)
Row = tuple[list[int], list[int]]


def rows_as_of(cells: Iterable[Cell], t: int, day_start: int,
               lengths: list[int]) -> dict[Cell, Row]:
    """Every cell's window row as of ``t``: the cached one while it holds, else computed."""
    rows: dict[Cell, Row] = {}
    for cell in cells:
        cache = cell.window_cache
        if cache is not None and cache[0] <= t < cache[1] and cache[2] == day_start:
            rows[cell] = cache[3]
        else:
            rows[cell] = window_sums(cell, t, day_start, lengths)
    return rows


def window_sums(cell: Cell, t: int, day_start: int, lengths: list[int]) -> Row:
    """The cell's packed sums of the records with ``t - length < ms <= t`` for each
    rolling ``length``, then of ``today`` (``day_start <= ms <= t``, folded days
    included); caches them with the instant before which they stay valid.

    Whole minutes come from the cell's prefix sums (two look-ups per range); the edge
    minutes from the minute's own prefix sums (a bisection)."""
    refresh(cell)
    minutes, keys, cum_sums, cum_hists = (cell.minutes, cell.sorted_minutes, cell.cum_sums,
                                          cell.cum_hists)
    last = t // MINUTE_MS
    # until: the first instant at which a record enters or leaves a window
    head_sums = head_hist = 0  # minute `last`, up to t
    until = FOREVER
    bucket = minutes.get(last)
    if bucket is not None:
        head_sums, head_hist, nxt = bucket.upto(t)
        until = FOREVER if nxt is None else nxt
    k = bisect.bisect_right(keys, last)
    if k < len(keys) and keys[k] * MINUTE_MS < until:  # a later minute enters at its start
        until = keys[k] * MINUTE_MS
    j = bisect.bisect_right(keys, last - 1) - 1
    upto_sums, upto_hist = (cum_sums[j], cum_hists[j]) if j >= 0 else (cell.folded_sums,
                                                                       cell.folded_hist)
    sums: list[int] = []
    hists: list[int] = []
    for length in (*lengths, None):
        lo = day_start - 1 if length is None else t - length
        first = lo // MINUTE_MS
        if first == last:
            s, h, nxt = (0, 0, None) if bucket is None else bucket.between(lo, t)
        else:
            i = bisect.bisect_right(keys, first) - 1
            s, h = ((upto_sums - cum_sums[i] + head_sums, upto_hist - cum_hists[i] + head_hist)
                    if i >= 0 else (upto_sums - cell.folded_sums + head_sums,
                                    upto_hist - cell.folded_hist + head_hist))
            edge = minutes.get(first)
            nxt = None
            if edge is not None:
                edge_sums, edge_hist, nxt = edge.between(lo, FOREVER)
                s += edge_sums
                h += edge_hist
            i += 1  # keys[i] is the last minute <= first: look after it
            while nxt is None and i < len(keys):  # the first record of a later minute
                nxt = minutes[keys[i]].between(lo, FOREVER)[2]
                i += 1
        if length is None:
            total = cell.day_totals.get(day_start)
            if total is not None:
                s += total.sums
                h += total.histogram
        elif nxt is not None and nxt + length < until:  # it leaves the window then
            until = nxt + length
        sums.append(s)
        hists.append(h)
    row = (sums, hists)
    cell.window_cache = (t, max(until, t + 1), day_start, row)
    return row


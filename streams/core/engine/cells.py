"""Where records are kept: a :class:`Cell` (segments that share the records of a visit) holds
its records in :class:`MinuteBucket` s of raw records with cached aggregates, prefix sums over
its minutes, and per-day totals of the minutes folded out of every rolling window."""

from __future__ import annotations

import bisect

from ..config import SegmentPolicy
from .aggregates import Agg, record_delta
from .clock import FOREVER, MINUTE_MS, NEVER, Days

__all__ = ["CLEAN", "Cell", "MinuteBucket", "fold_minutes", "new_bucket", "place_record",
           "refresh"]

CLEAN = FOREVER  # the ``dirty_from`` of a cell whose prefix sums are all valid

Record = tuple[int, int, int]  # (ms, kind, value)
# the records sorted by time, their prefix sums and len(records) when built: the records up
# to position i of the sorted order sum to (sums[i], histograms[i])
Prefix = tuple[list[int], list[int], list[int], int]


class MinuteBucket:
    """One minute of one cell: raw records ``(ms, kind, value)``, their aggregate (kept up to
    date incrementally: appends are folded in when asked, a removal recomputes it) and, for
    the window edges, the records sorted by time with prefix sums (built when asked)."""

    __slots__ = ("agg", "aggregated", "newest", "oldest", "records", "sorted_prefix")

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.agg: Agg | None = None  # of records[:aggregated]
        self.aggregated = 0
        self.oldest = FOREVER  # the oldest ms of records[:aggregated]
        self.newest = NEVER    # the newest ms of records[:aggregated]
        self.sorted_prefix: Prefix | None = None

    def removed(self) -> None:
        """A record was removed: the aggregate and the prefix sums are rebuilt when asked."""
        self.agg = self.sorted_prefix = None
        self.aggregated = 0
        self.oldest, self.newest = FOREVER, NEVER

    def aggregate(self) -> Agg:
        records, agg = self.records, self.agg
        if agg is None or self.aggregated < len(records):
            sums, hist = (0, 0) if agg is None else (agg.sums, agg.histogram)
            part = records[self.aggregated:] if agg is not None else records
            for _, kind, value in part:
                d_sums, d_hist = record_delta(kind, value)
                sums += d_sums
                hist += d_hist
            agg = self.agg = Agg(sums, hist)
            if part:  # records are (ms, ...) tuples: min and max order them by time first
                self.oldest = min(self.oldest, min(part)[0])
                self.newest = max(self.newest, max(part)[0])
            self.aggregated = len(records)
        return agg

    def prefix(self) -> Prefix:
        pre = self.sorted_prefix
        if pre is None or pre[3] != len(self.records):
            times, cum_sums, cum_hists = [], [0], [0]
            sums = hist = 0
            for ms, kind, value in sorted(self.records):
                d_sums, d_hist = record_delta(kind, value)
                sums += d_sums
                hist += d_hist
                times.append(ms)
                cum_sums.append(sums)
                cum_hists.append(hist)
            pre = self.sorted_prefix = (times, cum_sums, cum_hists, len(self.records))
        return pre

    def between(self, lo: int, hi: int) -> tuple[int, int, int | None]:
        """The sums of the records with ``lo < ms <= hi`` and the time of the first record
        after ``lo`` (``None`` when there is none)."""
        agg = self.aggregate()
        if self.newest <= lo:  # every record at or before lo (or none)
            return 0, 0, None
        if self.oldest > lo:  # every record after lo
            if self.newest <= hi:
                return agg.sums, agg.histogram, self.oldest
            if self.oldest > hi:
                return 0, 0, self.oldest
        times, cum_sums, cum_hists, _ = self.prefix()
        i = bisect.bisect_right(times, lo)
        j = bisect.bisect_right(times, hi, i)
        return (cum_sums[j] - cum_sums[i], cum_hists[j] - cum_hists[i],
                times[i] if i < len(times) else None)

    def upto(self, t: int) -> tuple[int, int, int | None]:
        """The sums of the records with ``ms <= t`` and the time of the first record after
        ``t`` (``None`` when there is none)."""
        agg = self.aggregate()
        if self.newest <= t:
            return agg.sums, agg.histogram, None
        if self.oldest > t:  # every record is after t: no prefix sums needed
            return 0, 0, self.oldest
        times, cum_sums, cum_hists, _ = self.prefix()
        i = bisect.bisect_right(times, t)  # a record is newer than t: times[i] is the first
        return cum_sums[i], cum_hists[i], times[i]


class Cell:
    """Segments that share the records of a visit (same membership, same settings)."""

    __slots__ = ("cum_hists", "cum_sums", "day_totals", "dirty_from", "folded_hist",
                 "folded_sums", "minutes", "policy", "segments", "short_abandon_ms", "sl_ms",
                 "sorted_minutes", "window_cache")

    def __init__(self, segments: tuple[str, ...], policy: SegmentPolicy) -> None:
        self.segments = segments
        self.policy = policy
        self.sl_ms = round(policy.sl_threshold_s * 1000)
        self.short_abandon_ms = round(policy.short_abandon_s * 1000)
        self.minutes: dict[int, MinuteBucket] = {}
        # per local day (its first instant, ms): the minutes folded out of the rolling windows
        self.day_totals: dict[int, Agg] = {}
        # Prefix sums over the retained minutes, for windows in O(log minutes):
        # ``sorted_minutes`` are the minutes in order, ``cum_*[i]`` the sum of every minute up
        # to ``sorted_minutes[i]`` (folded minutes included, as ``folded_*``); valid below the
        # first minute changed since (``dirty_from``, CLEAN when none).
        self.sorted_minutes: list[int] = []
        self.cum_sums: list[int] = []
        self.cum_hists: list[int] = []
        self.folded_sums = 0
        self.folded_hist = 0
        self.dirty_from = CLEAN
        # The window sums as of some t: ``(t, valid until, day start, (sums, hists))``; they
        # hold for any t' in [t, valid until) while no record changes (every change sets None).
        self.window_cache: tuple[int, int, int, tuple[list[int], list[int]]] | None = None


def new_bucket(cell: Cell, minute: int) -> MinuteBucket:
    """A bucket for a minute the cell did not have; keeps ``sorted_minutes`` in order."""
    bucket = cell.minutes[minute] = MinuteBucket()
    keys = cell.sorted_minutes
    if not keys or minute > keys[-1]:
        keys.append(minute)
    else:
        bisect.insort(keys, minute)
    if minute < cell.dirty_from:
        cell.dirty_from = minute
    return bucket


def place_record(cell: Cell, ms: int, kind: int, value: int, sign: int, floor_minute: int,
                 days: Days) -> None:
    """Add (``sign`` 1) or remove (-1) a record: in its minute's bucket, or, older than every
    rolling window (before ``floor_minute``), in its day's total only."""
    minute = ms // MINUTE_MS
    if minute >= floor_minute:
        bucket = cell.minutes.get(minute)
        if bucket is None:
            bucket = new_bucket(cell, minute)
        if sign > 0:
            bucket.records.append((ms, kind, value))
        else:
            bucket.records.remove((ms, kind, value))
            bucket.removed()
        cell.window_cache = None
        if minute < cell.dirty_from:
            cell.dirty_from = minute
        return
    # Older than every rolling window: it still counts in its day (``today``).
    cell.window_cache = None
    day = days.start_of(ms)
    total = cell.day_totals.get(day)
    if total is None:
        total = cell.day_totals[day] = Agg()
    total.add(kind, value, sign)


def refresh(cell: Cell) -> None:
    """Recompute the cell's prefix sums from its first changed minute on."""
    dirty = cell.dirty_from
    if dirty == CLEAN:
        return
    keys, cum_sums, cum_hists, minutes = (cell.sorted_minutes, cell.cum_sums, cell.cum_hists,
                                          cell.minutes)
    i = bisect.bisect_left(keys, dirty)
    sums, hist = (cum_sums[i - 1], cum_hists[i - 1]) if i else (cell.folded_sums,
                                                                 cell.folded_hist)
    del cum_sums[i:], cum_hists[i:]
    for m in keys[i:]:
        agg = minutes[m].aggregate()
        sums += agg.sums
        hist += agg.histogram
        cum_sums.append(sums)
        cum_hists.append(hist)
    cell.dirty_from = CLEAN


def fold_minutes(cell: Cell, floor: int, days: Days, oldest_day: int) -> None:
    """Fold the minutes before ``floor`` into their days' totals (and the prefix sums' base);
    forget the days before ``oldest_day``."""
    keys = cell.sorted_minutes
    gone = bisect.bisect_left(keys, floor)
    if gone:
        refresh(cell)
        cell.folded_sums, cell.folded_hist = cell.cum_sums[gone - 1], cell.cum_hists[gone - 1]
        for minute in keys[:gone]:
            bucket = cell.minutes.pop(minute)
            day = days.start_of(minute * MINUTE_MS)
            total = cell.day_totals.get(day)
            if total is None:
                total = cell.day_totals[day] = Agg()
            total.merge(bucket.aggregate())
        del keys[:gone], cell.cum_sums[:gone], cell.cum_hists[:gone]
    for day in [d for d in cell.day_totals if d < oldest_day]:
        del cell.day_totals[day]

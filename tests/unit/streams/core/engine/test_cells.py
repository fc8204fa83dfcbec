"""Cells and minute buckets (``streams.core.engine.cells``): records older than every window
still count in their day, and the buckets, prefix sums and folding on their own.

Timelines are in seconds after T0 unless said otherwise.
"""

from __future__ import annotations

import random
from zoneinfo import ZoneInfo

from schemas import parse_event
from streams.core.config import SegmentPolicy
from streams.core.engine.aggregates import (
    ANSWERED,
    C_ANSWERED,
    HANDLED,
    OFFERED,
    SL_MISSED,
    Agg,
    record_delta,
)
from streams.core.engine.cells import (
    CLEAN,
    Cell,
    MinuteBucket,
    fold_minutes,
    new_bucket,
    place_record,
    refresh,
)
from streams.core.engine.clock import DAY_MS, MINUTE_MS, NEVER, Days

from .support import ev, run, seg, win

MINUTE = 29_921_666  # a minute (epoch minutes) in 2026
UTC = Days(ZoneInfo("UTC"))


def test_events_older_than_every_window_still_count_in_today():
    engine = run([ev("call.queued", 5 * 3600, "now")])
    for e in [ev("call.queued", 600, "old"), ev("call.answered", 610, "old", agent_id="a")]:
        engine.apply(parse_event(e))   # hours late, same local day (T0 is 22:26 UTC)
    w = seg(engine, 5 * 3600 + 1, "billing")["windows"]
    assert w["60m"]["offered"] == 1
    assert w["today"]["offered"] == 1   # T0+600 s is 22:36 on the 21st; +5 h is the 22nd
    engine = run([ev("call.queued", 3600, "now")])
    engine.apply(parse_event(ev("call.queued", 0, "old")))
    assert win(engine, 3601, "today")["offered"] == 2 and win(engine, 3601, "5m")["offered"] == 1


def _sum(records: list[tuple[int, int, int]]) -> tuple[int, int]:
    sums = hist = 0
    for _, kind, value in records:
        d_sums, d_hist = record_delta(kind, value)
        sums += d_sums
        hist += d_hist
    return sums, hist


def _records(rnd: random.Random, n: int, minute: int = MINUTE) -> list[tuple[int, int, int]]:
    kinds = [(OFFERED, 0), (ANSWERED, 12_345), (HANDLED, 99_000), (SL_MISSED, 0)]
    return [(minute * MINUTE_MS + rnd.randrange(MINUTE_MS), *rnd.choice(kinds))
            for _ in range(n)]


def test_a_bucket_aggregate_takes_appends_incrementally_and_rebuilds_after_a_removal():
    rnd = random.Random(1)
    bucket = MinuteBucket()
    assert (bucket.aggregate().sums, bucket.oldest > bucket.newest) == (0, True)  # empty
    bucket.records = _records(rnd, 5)
    agg = bucket.aggregate()
    assert (agg.sums, agg.histogram) == _sum(bucket.records)
    assert (bucket.oldest, bucket.newest) == (min(bucket.records)[0], max(bucket.records)[0])
    bucket.records += _records(rnd, 3)
    assert (bucket.aggregate().sums, bucket.aggregate().histogram) == _sum(bucket.records)
    bucket.records.remove(bucket.records[2])
    bucket.removed()
    assert bucket.agg is None and bucket.sorted_prefix is None
    assert (bucket.aggregate().sums, bucket.aggregate().histogram) == _sum(bucket.records)
    assert bucket.newest == max(bucket.records)[0]


def test_between_and_upto_equal_a_filter_of_the_records():
    rnd = random.Random(2)
    start = MINUTE * MINUTE_MS
    for _ in range(200):
        bucket = MinuteBucket()
        bucket.records = _records(rnd, rnd.randrange(0, 8))
        times = sorted(ms for ms, _, _ in bucket.records)
        lo = start + rnd.randrange(-10, MINUTE_MS + 10)
        hi = lo + rnd.randrange(0, MINUTE_MS)
        after = [ms for ms in times if ms > lo]
        assert bucket.between(lo, hi) == (
            *_sum([r for r in bucket.records if lo < r[0] <= hi]), after[0] if after else None)
        later = [ms for ms in times if ms > hi]
        assert bucket.upto(hi) == (*_sum([r for r in bucket.records if r[0] <= hi]),
                                   later[0] if later else None)
        assert bucket.between(NEVER, hi)[:2] == bucket.upto(hi)[:2]


def test_records_keep_the_minutes_in_order_and_old_records_go_to_their_day():
    cell = Cell(("all", "billing"), SegmentPolicy())
    assert (cell.sl_ms, cell.short_abandon_ms, cell.dirty_from) == (20_000, 5_000, CLEAN)
    for minute in (MINUTE + 5, MINUTE + 1, MINUTE + 3):
        place_record(cell, minute * MINUTE_MS + 7, OFFERED, 0, 1, MINUTE, UTC)
    assert cell.sorted_minutes == [MINUTE + 1, MINUTE + 3, MINUTE + 5]
    assert cell.dirty_from == MINUTE + 1 and cell.window_cache is None
    place_record(cell, (MINUTE - 1) * MINUTE_MS, ANSWERED, 5_000, 1, MINUTE, UTC)  # folded
    day = UTC.start_of((MINUTE - 1) * MINUTE_MS)
    assert cell.day_totals[day].count(C_ANSWERED) == 1 and MINUTE - 1 not in cell.minutes
    place_record(cell, (MINUTE - 1) * MINUTE_MS, ANSWERED, 5_000, -1, MINUTE, UTC)
    assert cell.day_totals[day].sums == 0
    place_record(cell, (MINUTE + 3) * MINUTE_MS + 7, OFFERED, 0, -1, MINUTE, UTC)
    assert cell.minutes[MINUTE + 3].records == [] and cell.minutes[MINUTE + 3].agg is None


def test_refresh_and_folding_keep_the_prefix_sums_exact():
    rnd = random.Random(3)
    cell = Cell(("all",), SegmentPolicy())
    minutes = sorted(rnd.sample(range(MINUTE, MINUTE + 120), 30))
    for minute in minutes:
        new_bucket(cell, minute).records = _records(rnd, 3, minute)
    refresh(cell)
    assert cell.dirty_from == CLEAN
    running = 0
    for minute, cum in zip(minutes, cell.cum_sums, strict=True):
        running += _sum(cell.minutes[minute].records)[0]
        assert cum == running
    floor = minutes[10]
    folded = sum(_sum(cell.minutes[m].records)[0] for m in minutes[:10])
    oldest_day = UTC.start_of(MINUTE * MINUTE_MS) - 2 * DAY_MS
    cell.day_totals[oldest_day - DAY_MS] = Agg()  # a day older than any still asked for
    fold_minutes(cell, floor, UTC, oldest_day)
    assert cell.sorted_minutes == minutes[10:] and min(cell.minutes) == floor
    assert cell.folded_sums == folded == sum(agg.sums for agg in cell.day_totals.values())
    assert oldest_day - DAY_MS not in cell.day_totals
    assert cell.cum_sums[-1] == running  # the prefix sums still count the folded minutes

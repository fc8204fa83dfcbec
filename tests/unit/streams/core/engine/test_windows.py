"""Window sums (``streams.core.engine.windows``): half-open windows ``(t - L, t]`` exact to
the millisecond, configurable lengths, and a cell's sums and their cache against a count of
its records one by one.

Timelines are in seconds after T0 unless said otherwise.
"""

from __future__ import annotations

import random
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from streams.core.config import EngineSettings, SegmentPolicy
from streams.core.engine.aggregates import ANSWERED, HANDLED, OFFERED, SL_MET, record_delta
from streams.core.engine.cells import Cell, fold_minutes, place_record
from streams.core.engine.clock import FOREVER, MINUTE_MS, Days
from streams.core.engine.windows import rows_as_of, window_sums

from .support import T0, ev, run, seg, win

LENGTHS = [30_000, 300_000, 900_000, 3_600_000]
SHANGHAI = Days(ZoneInfo("Asia/Shanghai"))


# Window (t - L, t]:      t - L excluded ------------------- t included
@pytest.mark.parametrize(("queued_at", "as_of", "in_15m"), [
    (0.0, 900.0, 0),       # q = t - 900: on the excluded edge
    (0.001, 900.0, 1),     # just inside
    (900.0, 900.0, 1),     # q = t: included
    (900.001, 900.0, 0),   # after t: not yet (applied, but the snapshot is as of t)
    (30.0, 929.999, 1),    # mid-minute edges
    (30.0, 930.0, 0),
])
def test_window_bounds_are_half_open(queued_at, as_of, in_15m):
    engine = run([ev("call.queued", queued_at)])
    assert win(engine, as_of, "15m")["offered"] == in_15m


def test_windows_are_configurable():
    s = replace(EngineSettings(), windows=(("30s", 30), ("2h", 7200)))
    engine = run([ev("call.queued", 0), ev("call.queued", 100, "c2")], s)
    windows = seg(engine, 120)["windows"]
    assert list(windows) == ["30s", "2h", "today"]
    assert windows["30s"]["offered"] == 1 and windows["2h"]["offered"] == 2


def _cell_with_records(rnd: random.Random, start: int, span_ms: int,
                       n: int) -> tuple[Cell, list[tuple[int, int, int]]]:
    cell = Cell(("all",), SegmentPolicy())
    kinds = [(OFFERED, 0), (ANSWERED, 4_000), (ANSWERED, 75_000), (HANDLED, 1), (SL_MET, 0)]
    records = [(start + rnd.randrange(span_ms), *rnd.choice(kinds)) for _ in range(n)]
    for ms, kind, value in records:
        place_record(cell, ms, kind, value, 1, start // MINUTE_MS, SHANGHAI)
    return cell, records


def _brute(records: list[tuple[int, int, int]], t: int, day_start: int) -> tuple[list, list]:
    sums, hists = [], []
    for lo in [t - length for length in LENGTHS] + [day_start - 1]:
        s = h = 0
        for ms, kind, value in records:
            if lo < ms <= t:
                d_sums, d_hist = record_delta(kind, value)
                s += d_sums
                h += d_hist
        sums.append(s)
        hists.append(h)
    return sums, hists


def test_window_sums_equal_a_count_of_the_records_one_by_one():
    rnd = random.Random(4)
    start = round(T0 * 1000)
    for _ in range(30):
        cell, records = _cell_with_records(rnd, start, 6 * 3_600_000, rnd.randrange(50, 400))
        floor = (start + 3_600_000) // MINUTE_MS  # the first hour folds into its day
        fold_minutes(cell, floor, SHANGHAI, 0)
        for _ in range(10):
            t = start + 3_600_000 + LENGTHS[-1] + rnd.randrange(3 * 3_600_000)
            if rnd.random() < 0.3:  # on a record: the edges are exact to the millisecond
                t = rnd.choice(records)[0] + rnd.choice([-1, 0, 1])
                t = max(t, floor * MINUTE_MS + LENGTHS[-1])
            day_start = SHANGHAI.start_of(t)
            assert window_sums(cell, t, day_start, LENGTHS) == _brute(records, t, day_start)


def test_a_cached_row_holds_until_a_record_enters_or_leaves_a_window():
    rnd = random.Random(5)
    start = round(T0 * 1000)
    for _ in range(30):
        cell, records = _cell_with_records(rnd, start, 2 * 3_600_000, rnd.randrange(1, 60))
        t = start + rnd.randrange(2 * 3_600_000)
        day_start = SHANGHAI.start_of(t)
        row = window_sums(cell, t, day_start, LENGTHS)
        cached_t, until, cached_day, cached = cell.window_cache
        assert (cached_t, cached_day, cached) == (t, day_start, row) and until > t
        probes = {t}
        if until < FOREVER:
            probes |= {until - 1, *(rnd.randrange(t, until) for _ in range(5))}
        for t2 in sorted(probes):
            if SHANGHAI.start_of(t2) == day_start:
                assert _brute(records, t2, day_start) == row
                assert rows_as_of([cell], t2, day_start, LENGTHS)[cell] is row  # reused

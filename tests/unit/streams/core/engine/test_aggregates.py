"""Records and packed aggregates (``streams.core.engine.aggregates``): the percentile error
bound of the wait histogram, and :class:`Agg` and the bins on their own."""

from __future__ import annotations

from dataclasses import replace

import pytest

from streams.core.config import EngineSettings
from streams.core.engine.aggregates import (
    ABANDONED,
    ANSWERED,
    ANSWERED_IN_SL,
    C_ABANDONED,
    C_ANSWERED,
    C_HANDLE_MS,
    C_HANDLED,
    C_IN_SL,
    C_OFFERED,
    C_SHORT,
    C_WAIT_MS,
    HANDLED,
    OFFERED,
    SHORT_ABANDONED,
    SLOTS,
    Agg,
    record_delta,
    wait_bin,
    wait_bin_floor_s,
)

from .support import ev, run, win


@pytest.mark.parametrize("wait", [0.4, 59.9, 60.0, 61.0, 125.5, 600.0, 3599.0, 14000.0])
def test_percentile_error_is_within_one_second_or_five_percent(wait):
    s = replace(EngineSettings(), windows=(("24h", 86400),))
    engine = run([ev("call.queued", 0), ev("call.answered", wait, agent_id="a")], s)
    p = win(engine, 14001, "24h")["wait_p50_s"]
    assert p <= wait and wait - p <= max(1.0, 0.05 * wait)


def test_each_record_kind_adds_its_counters_and_its_value():
    agg = Agg()
    for kind, value in [(OFFERED, 0), (ANSWERED_IN_SL, 12_000), (ANSWERED, 45_000),
                        (ABANDONED, 0), (SHORT_ABANDONED, 0), (HANDLED, 250_000)]:
        agg.add(kind, value)
    counts = agg.counts()
    assert len(counts) == SLOTS
    assert counts[C_OFFERED] == 1 and counts[C_ANSWERED] == 2 and counts[C_IN_SL] == 1
    assert counts[C_ABANDONED] == 2 and counts[C_SHORT] == 1  # a short abandon is one too
    assert counts[C_WAIT_MS] == 57_000 and counts[C_HANDLED] == 1
    assert counts[C_HANDLE_MS] == 250_000 and agg.count(C_HANDLE_MS) == 250_000
    assert agg.bins() == {12: 1, wait_bin(45_000): 1}


def test_a_retraction_removes_exactly_what_was_added():
    agg, records = Agg(), [(ANSWERED, 61_500), (HANDLED, 10), (OFFERED, 0), (ANSWERED, 0)]
    for kind, value in records:
        agg.add(kind, value)
    merged = Agg()
    merged.merge(agg)
    merged.merge(agg)
    for kind, value in records:
        merged.add(kind, value, -1)
    assert (merged.sums, merged.histogram) == (agg.sums, agg.histogram)
    for kind, value in records:
        merged.add(kind, value, -1)
    assert (merged.sums, merged.histogram) == (0, 0) and merged.bins() == {}


def test_record_delta_is_what_an_aggregate_adds():
    for kind, value in [(ANSWERED_IN_SL, 3_000), (HANDLED, 90_000), (ABANDONED, 0)]:
        agg = Agg()
        agg.add(kind, value)
        assert record_delta(kind, value) == (agg.sums, agg.histogram)


def test_an_aggregate_round_trips_through_its_list_form():
    agg = Agg()
    for wait in (0, 999, 1_000, 59_999, 60_000, 3_600_000):
        agg.add(ANSWERED, wait)
    agg.add(HANDLED, 1234)
    again = Agg.from_list(agg.to_list())
    assert (again.sums, again.histogram) == (agg.sums, agg.histogram)


def test_wait_bins_are_one_second_wide_below_a_minute_then_five_percent():
    assert [wait_bin(ms) for ms in (0, 999, 1_000, 59_999, 60_000)] == [0, 0, 1, 59, 60]
    assert wait_bin_floor_s(59) == 59.0 and wait_bin_floor_s(60) == 60.0
    assert wait_bin_floor_s(61) == 63.0 and wait_bin_floor_s(62) == 66.15
    for ms in range(0, 20_000_000, 7_919):
        floor = wait_bin_floor_s(wait_bin(ms))
        assert floor <= ms / 1000 + 1e-9 and ms / 1000 - floor <= max(1.0, 0.05 * ms / 1000)


def test_percentiles_are_nearest_rank_lower_bin_edges():
    agg = Agg()
    for wait_s in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10):
        agg.add(ANSWERED, wait_s * 1000)
    assert agg.percentiles_s(10, (0.5, 0.9, 1.0)) == [5.0, 9.0, 10.0]
    assert agg.percentiles_s(0, (0.5, 0.9)) == [None, None]

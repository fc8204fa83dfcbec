"""Erlang C (streams.core.erlang): the real published reference table, an exact cross-check with
factorials and fractions, 2000 erlangs without overflow, edge cases, properties, forecast().
"""

from __future__ import annotations

import csv
import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.core.erlang import (
    agents_required,
    asa_s,
    erlang_b,
    forecast,
    p_wait,
    service_level,
)
from tests.support import shared_data

REF_REL = "data/real/erlang_c_reference.csv"
REF_IDS = [f"R{i}" for i in range(1, 9)]


@pytest.fixture(scope="module")
def reference() -> dict[str, dict[str, str]]:
    path: Path = shared_data(REF_REL, "WALLBOARD_ERLANG_CSV")
    with path.open(newline="", encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def published_tolerance(text: str) -> float:
    """1e-6 for a value published with >= 6 decimals, else half a unit of its last digit."""
    decimals = len(text.strip().partition(".")[2])
    return 1e-6 if decimals >= 6 else 0.5 * 10.0 ** -decimals + 1e-12


def exact_erlang(a: Fraction, n: int) -> tuple[Fraction, Fraction]:
    """Erlang B and C straight from the textbook formulas, in exact rational arithmetic."""
    terms = [a**k / math.factorial(k) for k in range(n + 1)]
    b = terms[n] / sum(terms)
    c = None
    if n > a:
        top = terms[n] * n / (n - a)
        c = top / (sum(terms[:n]) + top)
    return b, c


def log_space_erlang_c(a: float, n: int) -> float:
    """Erlang C from the same formula, in logarithms (lgamma, log-sum-exp): an independent
    check for traffic where A^N and N! overflow."""
    logs = [k * math.log(a) - math.lgamma(k + 1) for k in range(n)]
    log_top = n * math.log(a) - math.lgamma(n + 1) + math.log(n / (n - a))
    peak = max(*logs, log_top)
    total = sum(math.exp(x - peak) for x in logs) + math.exp(log_top - peak)
    return math.exp(log_top - peak) / total


# -- the real reference table ------------------------------------------------------------

def test_reference_table_has_the_expected_rows(reference):
    assert list(reference) == REF_IDS


@pytest.mark.parametrize("row_id", REF_IDS)
def test_reference_row(reference, row_id):
    row = reference[row_id]
    a = float(row["calls_per_interval"]) / float(row["interval_s"]) * float(row["aht_s"])
    assert a == pytest.approx(float(row["traffic_erlangs"]), abs=1e-9)
    n, aht, t = int(row["agents"]), float(row["aht_s"]), float(row["target_answer_s"])
    computed = {
        "prob_wait": p_wait(a, n),
        "service_level": service_level(a, n, aht, t),
        "asa_s": asa_s(a, n, aht),
        "occupancy": a / n,
    }
    checked = 0
    for prefix in ("pub", "pwf"):
        for name, value in computed.items():
            text = row[f"{prefix}_{name}"].strip()
            if not text:
                continue
            tol = published_tolerance(text)
            assert abs(value - float(text)) <= tol, (f"{row_id} {prefix}_{name}: computed "
                                                     f"{value!r}, published {text} (±{tol:g})")
            checked += 1
        required = row[f"{prefix}_required_agents"].strip()
        if required:
            goal = float(row["service_level_goal"])
            assert agents_required(a, aht, t, goal) == int(required)
            checked += 1
    assert checked >= 5  # every row has at least the pyworkforce cross-check values


# -- exact cross-check for small A, N ----------------------------------------------------

@pytest.mark.parametrize("a", [0.001, 0.5, 1.0, 2.673, 7.5, 10.0, 40 / 900 * 290.5, 19.99,
                               29.9, 30.0])
def test_stable_form_matches_factorial_formula(a):
    exact_a = Fraction(a)  # the float's exact value
    for n in range(41):
        b, c = exact_erlang(exact_a, n)
        assert erlang_b(a, n) == pytest.approx(float(b), rel=1e-12, abs=0)
        if n <= a:
            assert c is None and p_wait(a, n) == 1.0
            continue
        assert p_wait(a, n) == pytest.approx(float(c), rel=1e-12, abs=0)
        sl = 1 - float(c) * math.exp(-(n - a) * 20 / 180)
        assert service_level(a, n, 180, 20) == pytest.approx(sl, rel=1e-12)
        assert asa_s(a, n, 180) == pytest.approx(float(c) * 180 / (n - a), rel=1e-12)


def test_erlang_b_small_values():
    assert erlang_b(1.0, 1) == 0.5
    assert erlang_b(2.0, 2) == pytest.approx(0.4, rel=1e-15)
    assert erlang_b(5.0, 0) == 1.0


# -- thousands of erlangs ---------------------------------------------------------------

def test_two_thousand_erlangs_no_overflow():
    a, aht, t = 2000.0, 300.0, 20.0
    pw, sl, asa = p_wait(a, 2050), service_level(a, 2050, aht, t), asa_s(a, 2050, aht)
    assert all(math.isfinite(x) for x in (pw, sl, asa))
    assert 0 < pw < 1 and 0 < sl < 1 and asa > 0
    assert pw == pytest.approx(log_space_erlang_c(a, 2050), rel=1e-8)
    assert 0 < erlang_b(a, 2050) < pw
    pws = [p_wait(a, n) for n in range(2001, 2101)]
    sls = [service_level(a, n, aht, t) for n in range(2001, 2101)]
    assert all(x >= y for x, y in zip(pws, pws[1:], strict=False))
    assert all(x <= y for x, y in zip(sls, sls[1:], strict=False))
    assert p_wait(a, 2000) == 1.0 and service_level(a, 2000, aht, t) == 0.0


def test_two_thousand_erlangs_agents_required():
    n = agents_required(2000, 300, 20, 0.8)
    assert n == 2017
    assert service_level(2000, n, 300, 20) >= 0.8 > service_level(2000, n - 1, 300, 20)


# -- edge cases --------------------------------------------------------------------------

def test_no_traffic():
    for n in (1, 2, 50):
        assert p_wait(0, n) == 0.0
        assert service_level(0, n, 300, 20) == 1.0
        assert asa_s(0, n, 300) == 0.0
    assert agents_required(0, 300, 20, 0.8) == 1
    assert agents_required(0, 300, 0, 0.9999) == 1


def test_nobody_staffed_and_no_traffic_is_overloaded():
    # N <= A read literally: N = 0, A = 0 is overloaded.
    assert p_wait(0, 0) == 1.0
    assert service_level(0, 0, 300, 20) == 0.0
    assert asa_s(0, 0, 300) is None
    block = forecast(0, 300, 0, 20, 0.8)
    assert block["overloaded"] is True and block["occupancy"] is None
    assert block["agents_required"] == 1


@pytest.mark.parametrize(("a", "n"), [(10.0, 10), (10.0, 9), (12.5, 12), (2000.0, 1999)])
def test_overloaded(a, n):
    assert p_wait(a, n) == 1.0
    assert service_level(a, n, 180, 20) == 0.0
    assert asa_s(a, n, 180) is None


def test_zero_threshold():
    for n in (11, 12, 20):
        assert service_level(10, n, 180, 0) == 1 - p_wait(10, n)


def test_agents_required_degenerate_inputs():
    assert agents_required(10, 180, 20, 1.0) is None
    assert agents_required(10, 180, 20, 1.5) is None
    assert agents_required(10, 180, 20, math.nan) is None
    assert agents_required(10, 0, 20, 0.8) is None
    assert agents_required(10, -5, 20, 0.8) is None
    assert agents_required(10, 180, 20, 0.0) == 11  # any N > A meets a zero target
    n = agents_required(10, 180, 20, 0.9999)
    assert n == 23
    assert service_level(10, n, 180, 20) >= 0.9999 > service_level(10, n - 1, 180, 20)


def test_invalid_inputs():
    with pytest.raises(ValueError):
        p_wait(-1, 5)
    with pytest.raises(ValueError):
        erlang_b(math.nan, 5)
    with pytest.raises(ValueError):
        erlang_b(1, -1)
    with pytest.raises(TypeError):
        p_wait(1, 5.0)
    with pytest.raises(ValueError):
        service_level(1, 5, 0, 20)
    with pytest.raises(ValueError):
        service_level(1, 5, 180, -1)
    with pytest.raises(ValueError):
        asa_s(1, 5, math.inf)
    with pytest.raises(ValueError):
        forecast(10, 0, 5, 20, 0.8)
    with pytest.raises(ValueError):
        forecast(-1, 300, 5, 20, 0.8)


# -- forecast() --------------------------------------------------------------------------

def test_forecast_spec_example():
    block = forecast(40, 290.5, 12, 20, 0.8)
    # The spec's example says agents_required 16, but SL(16) = 0.7405 < 0.8 <= SL(17) = 0.8424
    # by the direct factorial formula too (checked below), so the correct answer is 17.
    assert block == {
        "arrival_rate_per_min": 2.6667,
        "aht_s": 290.5,
        "staffed": 12,
        "traffic_erlangs": 12.9111,
        "overloaded": True,
        "p_wait": 1.0,
        "service_level": 0.0,
        "asa_s": None,
        "occupancy": None,
        "agents_required": 17,
    }
    assert list(block) == ["arrival_rate_per_min", "aht_s", "staffed", "traffic_erlangs",
                           "overloaded", "p_wait", "service_level", "asa_s", "occupancy",
                           "agents_required"]
    a = Fraction(40, 900) * Fraction(290.5)
    sl = {n: 1 - float(exact_erlang(a, n)[1]) * math.exp(-(n - float(a)) * 20 / 290.5)
          for n in (16, 17)}
    assert sl[16] < 0.8 <= sl[17]


def test_forecast_not_overloaded_is_reference_row_r4():
    # R4 of erlang_c_reference.csv: 100 calls per 1800 s (= 50 per 15 minutes), AHT 180 s,
    # T 20 s, 14 agents: A = 10 erlangs, p_wait 0.1741319, SL 0.88835, ASA 7.83593701 s,
    # occupancy 0.7142857, 14 agents for 80/20; rounded as the block rounds (6 decimals,
    # ASA to the millisecond)
    assert forecast(50, 180, 14, 20, 0.8) == {
        "arrival_rate_per_min": 3.3333,
        "aht_s": 180.0,
        "staffed": 14,
        "traffic_erlangs": 10.0,
        "overloaded": False,
        "p_wait": 0.174132,
        "service_level": 0.88835,
        "asa_s": 7.836,
        "occupancy": 0.714286,
        "agents_required": 14,
    }


# rows whose calls per interval make a whole number of calls per 15 minutes
FORECAST_ROWS = ["R1", "R2", "R3", "R4", "R5", "R8"]
FORECAST_COLUMNS = (("p_wait", "prob_wait", 6), ("service_level", "service_level", 6),
                    ("asa_s", "asa_s", 3), ("occupancy", "occupancy", 6))


@pytest.mark.parametrize("row_id", FORECAST_ROWS)
def test_forecast_block_against_the_reference_table(reference, row_id):
    row = reference[row_id]
    offered_15m = float(row["calls_per_interval"]) * 900 / float(row["interval_s"])
    assert offered_15m == int(offered_15m)
    goal = float(row["service_level_goal"] or 0.8)
    block = forecast(int(offered_15m), float(row["aht_s"]), int(row["agents"]),
                     float(row["target_answer_s"]), goal)
    assert block["traffic_erlangs"] == float(row["traffic_erlangs"])
    checked = 0
    for key, column, digits in FORECAST_COLUMNS:
        for prefix in ("pub", "pwf"):
            text = row[f"{prefix}_{column}"].strip()
            if text:  # the published value, give or take its last digit and our rounding
                tol = published_tolerance(text) + 0.5 * 10.0 ** -digits
                assert abs(block[key] - float(text)) <= tol, (row_id, prefix, key)
                checked += 1
    for prefix in ("pub", "pwf"):
        if row[f"{prefix}_required_agents"].strip():
            assert block["agents_required"] == int(row[f"{prefix}_required_agents"])
    assert checked >= 4


def test_forecast_no_traffic():
    block = forecast(0, 300, 3, 20, 0.8)
    assert block["overloaded"] is False
    assert (block["p_wait"], block["service_level"], block["asa_s"], block["occupancy"]) == (
        0.0, 1.0, 0.0, 0.0)
    assert block["agents_required"] == 1


# -- properties --------------------------------------------------------------------------

traffic_st = st.floats(min_value=0, max_value=300, allow_nan=False)
aht_st = st.floats(min_value=1, max_value=3600)
threshold_st = st.floats(min_value=0, max_value=300)


@settings(max_examples=150, deadline=None)
@given(a=traffic_st, extra=st.integers(min_value=1, max_value=60), aht=aht_st,
       t=threshold_st)
def test_monotonic_in_agents(a, extra, aht, t):
    n = math.floor(a) + extra  # > a
    pw, pw1 = p_wait(a, n), p_wait(a, n + 1)
    sl, sl1 = service_level(a, n, aht, t), service_level(a, n + 1, aht, t)
    assert 0 <= pw1 <= pw <= 1
    assert 0 <= sl <= sl1 <= 1
    assert 0 <= asa_s(a, n + 1, aht) <= asa_s(a, n, aht)
    assert 0 <= erlang_b(a, n) <= pw


@settings(max_examples=150, deadline=None)
@given(a=traffic_st, aht=aht_st, t=threshold_st,
       target=st.floats(min_value=0.01, max_value=0.9999))
def test_agents_required_is_the_smallest(a, aht, t, target):
    n = agents_required(a, aht, t, target)
    assert n is not None and n > a
    assert service_level(a, n, aht, t) >= target
    assert n - 1 <= a or service_level(a, n - 1, aht, t) < target

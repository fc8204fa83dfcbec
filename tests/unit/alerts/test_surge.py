"""Surge scoring: the Poisson tail against hand computations; quantiles; the baseline's
tiers and its cap while a surge is active (:mod:`alerts.surge`)."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import orjson
import pytest

from alerts.surge import (
    Baseline,
    log10_poisson_tail,
    poisson_quantile,
    poisson_tail,
    score_of,
)

UTC = ZoneInfo("UTC")



def hand_tail(k: int, lam: float) -> float:
    """1 - sum_{j<k} e^-lam lam^j / j!, written out the long way."""
    return 1.0 - sum(math.exp(-lam) * lam ** j / math.factorial(j) for j in range(k))



@pytest.mark.parametrize(("k", "lam", "expected"), [
    (0, 3.0, 1.0),
    (1, 3.0, 1 - math.exp(-3)),                                  # 0.950213
    (3, 2.0, 1 - math.exp(-2) * (1 + 2 + 2)),                     # 0.323324
    (5, 2.0, 1 - math.exp(-2) * (1 + 2 + 2 + 4 / 3 + 2 / 3)),     # 0.052653
    (10, 10.0, 0.5420702855281478),
])
def test_poisson_tail_by_hand(k, lam, expected):
    assert poisson_tail(k, lam) == pytest.approx(expected, rel=1e-12)
    assert poisson_tail(k, lam) == pytest.approx(hand_tail(k, lam), rel=1e-9)



def test_far_tail_is_stable_where_one_minus_cdf_is_not():
    # P(X >= 60 | 18): the leading term e^-18 18^60 / 60! dominates; 1 - cdf would be 0.0
    lead = math.exp(-18 + 60 * math.log(18) - math.lgamma(61))
    p = poisson_tail(60, 18.0)
    assert lead < p < lead * 1.5
    assert score_of(p) == pytest.approx(-log10_poisson_tail(60, 18.0))
    assert -log10_poisson_tail(400, 18.0) > 300  # no underflow to -inf
    assert poisson_tail(5000, 5000.0) == pytest.approx(0.5, abs=0.01)  # huge lambda



def test_baseline_tiers_week_then_day_then_ewma():
    b = Baseline()
    monday = 1_799_625_600.0  # 2027-01-11T00:00:00Z, a Monday
    assert b.expected(monday, UTC, 900, 1) == (None, "ewma")
    for i in range(96):  # one day, a count of 10 in every quarter hour
        b.learn(monday + i * 900, 10.0, UTC, 900, 3600)
    lam, source = b.expected(monday + 86400, UTC, 900, 1)  # Tuesday: yesterday's buckets
    assert source == "day" and lam == pytest.approx(10.0)
    for d in range(1, 7):
        for i in range(96):
            b.learn(monday + d * 86400 + i * 900, 20.0 if d == 6 else 10.0, UTC, 900, 3600)
    lam, source = b.expected(monday + 7 * 86400 + 3600, UTC, 900, 1)  # last Monday 01:00
    assert source == "week" and lam == pytest.approx(10.0)
    lam, _ = b.expected(monday + 13 * 86400 + 3600, UTC, 900, 1)  # last Sunday (20)
    assert lam == pytest.approx(20.0)
    # Monday 00:00 takes the larger neighbour, Sunday 23:45: a busy period that starts a
    # little earlier is not a surge
    assert b.expected(monday + 7 * 86400, UTC, 900, 1) == (pytest.approx(20.0), "week")
    assert Baseline.from_dict(orjson.loads(orjson.dumps(b.to_dict()))) == b



def test_a_surge_teaches_the_periodic_baseline_at_most_the_clearing_count():
    b = Baseline()
    t = 1_799_625_600.0
    b.learn(t, 10.0, UTC, 900, 3600)
    b.learn(t + 60, 100.0, UTC, 900, 3600, cap=20.0)  # while the alert is active
    assert b.daily[0].cur_sum == 30.0 and b.weekly[0].cur_sum == 30.0
    assert b.ewma > 10.0  # the EWMA learns the real count



@pytest.mark.parametrize(("lam", "p"), [(13.0, 1e-3), (2.0, 1e-2), (400.0, 1e-6)])
def test_poisson_quantile(lam, p):
    k = poisson_quantile(lam, p)
    assert poisson_tail(k + 1, lam) <= p < poisson_tail(k, lam)

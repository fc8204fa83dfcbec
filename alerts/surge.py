"""Surge scoring: the Poisson upper tail of an arrival count against a learned baseline.

The baseline of a segment is the mean count of the rule's window (e.g. arrivals in 5 min) at
the same time of week (local time, buckets of ``bucket_s``), learned from earlier weeks only:
a week's observations are folded into the bucket when the next week starts, so a surge never
lowers its own score. While the week has too little history, the same time of day from
earlier days is used (or the EWMA if larger), and on the first day an EWMA of the recent
counts (half-life ``ewma_half_life_s``). Each tier takes the largest of the bucket and its
two neighbours. While the rule's instance is active, the week and day history learn at most
the count that would just clear it, so a surge does not become the norm.

Pure: state is plain data (:meth:`Baseline.to_dict` / :meth:`Baseline.from_dict`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from streams.core.checks import WEEK_S

__all__ = ["Baseline", "log10_poisson_tail", "poisson_quantile", "poisson_tail", "score_of",
           "week_bucket"]

_LN10 = math.log(10.0)
_MONDAY_ORDINAL = date(1970, 1, 5).toordinal()


def log10_poisson_tail(k: int, lam: float) -> float:
    """``log10 P(X >= k)`` for ``X ~ Poisson(lam)``; exact summation, stable in the far tail."""
    if k <= 0:
        return 0.0
    if lam <= 0:
        return -math.inf
    if k <= lam:  # the tail is at least about one half: 1 - P(X <= k-1), summed directly
        term = math.exp(-lam) if lam < 700 else 0.0
        if term == 0.0:  # huge lam: use logs
            log_terms = [-lam + j * math.log(lam) - math.lgamma(j + 1) for j in range(k)]
            top = max(log_terms)
            lower = math.exp(top) * sum(math.exp(x - top) for x in log_terms)
        else:
            lower, j = 0.0, 0
            while j < k:
                lower += term
                j += 1
                term *= lam / j
        return math.log10(max(1e-300, 1.0 - min(1.0, lower)))
    # k > lam: terms decrease from pmf(k); sum ratios until they no longer matter
    log_pmf = -lam + k * math.log(lam) - math.lgamma(k + 1)
    total, ratio, j = 1.0, 1.0, k
    while True:
        j += 1
        ratio *= lam / j
        total += ratio
        if ratio < 1e-17 * total:
            break
    return (log_pmf + math.log(total)) / _LN10


def poisson_tail(k: int, lam: float) -> float:
    """``P(X >= k)`` for ``X ~ Poisson(lam)``."""
    return 10 ** log10_poisson_tail(k, lam)


def poisson_quantile(lam: float, p: float) -> int:
    """The smallest ``k`` with ``P(X > k) <= p`` for ``X ~ Poisson(lam)`` (bounded search)."""
    k = max(0, int(lam))
    limit = k + 20 * int(math.sqrt(lam) + 1) + 50
    log_p = math.log10(p)
    while k < limit and log10_poisson_tail(k + 1, lam) > log_p:
        k += 1
    return k


def score_of(p: float) -> float:
    """A tail probability as a score: ``-log10 p`` (1e-5 -> 5)."""
    return -math.log10(p)


def week_bucket(t: float, tz: ZoneInfo, bucket_s: float) -> tuple[int, int]:
    """``(week number, bucket of the week)`` of instant ``t`` in local time ``tz``.

    Weeks start on Monday 00:00 local time; the week number counts weeks since 1970-01-05."""
    local = datetime.fromtimestamp(t, tz=tz)
    second_of_week = local.weekday() * 86400 + local.hour * 3600 + local.minute * 60 \
        + local.second
    days = local.toordinal() - _MONDAY_ORDINAL  # days since Monday 1970-01-05 (local date)
    week = days // 7
    return week, int(second_of_week // bucket_s)


@dataclass
class _Bucket:
    """One bucket of a period (week or day): the mean over earlier periods (``weeks`` counts
    them, whatever the period) and the running sum of the current one."""

    mean: float = 0.0
    weeks: int = 0
    cur_period: int = -1
    cur_sum: float = 0.0
    cur_n: int = 0


@dataclass
class Baseline:
    """The expected count of one (rule, segment) and what it was learned from.

    Three tiers: the same time of week (``weekly``, from earlier weeks), the same time of
    day (``daily``, from earlier days: the fallback while the week has no history) and an
    EWMA of the recent counts (the fallback of the first day). With daily history the
    expectation is the larger of the daily mean and the EWMA, so neither a ramp that the
    EWMA lags behind nor a quieter-than-usual day raises a false alarm.
    """

    weekly: dict[int, _Bucket] = field(default_factory=dict)
    daily: dict[int, _Bucket] = field(default_factory=dict)
    ewma: float | None = None
    ewma_t: float | None = None

    def expected(self, t: float, tz: ZoneInfo, bucket_s: float, min_weeks: int
                 ) -> tuple[float | None, str]:
        """``(expected count, source)``: source ``"week"``, ``"day"`` or ``"ewma"``.

        A tier's expectation is the largest mean of the bucket and its two neighbours: a
        few periods of history estimate a bucket's mean with noise, and a busy period that
        starts a little earlier than last time must not look like a surge."""
        week, b = week_bucket(t, tz, bucket_s)
        per_week = int(WEEK_S // bucket_s)
        weekly = [_history(self.weekly.get((b + k) % per_week), week) for k in (-1, 0, 1)]
        if weekly[1][0] >= min_weeks:
            return max(mean for n, mean in weekly if n >= min_weeks), "week"
        day, d = _day_bucket(t, tz, bucket_s)
        per_day = int(86400 // bucket_s)
        daily = [_history(self.daily.get((d + k) % per_day), day) for k in (-1, 0, 1)]
        if daily[1][0] >= 1:
            return max([self.ewma or 0.0] + [m for n, m in daily if n >= 1]), "day"
        return self.ewma, "ewma"

    def learn(self, t: float, count: float, tz: ZoneInfo, bucket_s: float,
              half_life_s: float, *, cap: float | None = None) -> None:
        """Add one observation. With ``cap`` (while the instance is active: the count that
        would just clear it) the week and day history learn at most ``cap``, so a surge does
        not become next week's norm, while a busy period the EWMA lagged behind on the first
        day is still learned as busy."""
        periodic = count if cap is None else min(count, cap)
        week, b = week_bucket(t, tz, bucket_s)
        _observe(self.weekly.setdefault(b, _Bucket()), week, periodic)
        day, d = _day_bucket(t, tz, bucket_s)
        _observe(self.daily.setdefault(d, _Bucket()), day, periodic)
        if self.ewma is None or self.ewma_t is None:
            self.ewma, self.ewma_t = float(count), t
            return
        dt = max(0.0, t - self.ewma_t)
        alpha = 1.0 - 0.5 ** (dt / half_life_s)
        self.ewma += alpha * (count - self.ewma)
        self.ewma_t = t

    def to_dict(self) -> dict:
        def rows(buckets: dict[int, _Bucket]) -> dict:
            return {str(k): [v.mean, v.weeks, v.cur_period, v.cur_sum, v.cur_n]
                    for k, v in buckets.items()}

        return {"ewma": self.ewma, "ewma_t": self.ewma_t, "weekly": rows(self.weekly),
                "daily": rows(self.daily)}

    @classmethod
    def from_dict(cls, data: dict) -> Baseline:
        def rows(raw: dict | None) -> dict[int, _Bucket]:
            return {int(k): _Bucket(float(v[0]), int(v[1]), int(v[2]), float(v[3]), int(v[4]))
                    for k, v in (raw or {}).items()}

        return cls(rows(data.get("weekly")), rows(data.get("daily")), data.get("ewma"),
                   data.get("ewma_t"))


def _day_bucket(t: float, tz: ZoneInfo, bucket_s: float) -> tuple[int, int]:
    """``(local day number, bucket of the day)``."""
    local = datetime.fromtimestamp(t, tz=tz)
    second = local.hour * 3600 + local.minute * 60 + local.second
    return local.toordinal(), int(second // bucket_s)


def _folded(bucket: _Bucket) -> tuple[int, float]:
    """The bucket's periods and mean with its current period folded in."""
    period_mean = bucket.cur_sum / bucket.cur_n
    periods = bucket.weeks + 1
    alpha = max(1.0 / periods, 0.25)  # an average of the first periods, then an EWMA
    return periods, bucket.mean + alpha * (period_mean - bucket.mean)


def _history(bucket: _Bucket | None, period: int) -> tuple[int, float]:
    """Periods and mean of ``bucket`` before ``period`` (the current one is not used)."""
    if bucket is None:
        return 0, 0.0
    if bucket.cur_period != period and bucket.cur_n:
        return _folded(bucket)
    return bucket.weeks, bucket.mean


def _observe(bucket: _Bucket, period: int, count: float) -> None:
    if bucket.cur_period != period:
        if bucket.cur_n:
            bucket.weeks, bucket.mean = _folded(bucket)
        bucket.cur_period, bucket.cur_sum, bucket.cur_n = period, 0.0, 0
    bucket.cur_sum += count
    bucket.cur_n += 1

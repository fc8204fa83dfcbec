"""The surge kind: arrivals in a window scored against the segment's learned baseline.

:class:`SurgeScores` keeps one :class:`alerts.surge.Baseline` per (rule, segment): each
evaluation scores the count (``-log10`` of its Poisson upper tail given the expected count),
then teaches it to the baseline, at most the count that would just clear the rule while its
instance is active. A baseline is persisted (``b:<rule>:<segment>``) at most every
:data:`BASELINE_PERSIST_S` seconds.
"""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

from ..config.fields import finite
from ..surge import Baseline, log10_poisson_tail, poisson_quantile
from .kinds import Evaluation, Reading, figure, volume_ok

__all__ = ["BASELINE_PERSIST_S", "SurgeScores"]

BASELINE_PERSIST_S = 300.0


class SurgeScores:
    """The baselines of the surge rules and the scores of their counts."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.baselines: dict[tuple[str, str], Baseline] = {}
        self._saved: dict[tuple[str, str], float] = {}

    def read(self, ev: Evaluation, data: dict, active: bool, dirty: dict[str, dict | None]
             ) -> Reading:
        """Score the count of ``data`` and learn it; a baseline due to be saved goes to
        ``dirty``. ``active``: whether the rule's instance is pending or firing."""
        rule, t = ev.rule, ev.t
        ok = volume_ok(rule, data)
        observed = finite(figure(data, rule.figure))
        if observed is None:
            return Reading(None, {}, ok)
        key = (rule.name, ev.segment)
        baseline = self.baselines.setdefault(key, Baseline())
        expected, source = baseline.expected(t, self.tz, rule.bucket_s, rule.min_weeks)
        value, details = 0.0, {"observed": int(observed), "window": rule.window}
        if expected is not None:
            lam = max(expected, rule.min_baseline)
            log10p = log10_poisson_tail(int(observed), lam)
            value = -log10p
            details.update(expected=round(lam, 2), p=10 ** log10p, baseline=source,
                           ratio=round(observed / lam, 2))
        cap = None
        if active and expected is not None:
            assert rule.clear is not None
            cap = poisson_quantile(max(expected, rule.min_baseline), 10 ** -rule.clear)
        baseline.learn(t, observed, self.tz, rule.bucket_s, rule.ewma_half_life_s, cap=cap)
        if t - self._saved.get(key, -math.inf) >= BASELINE_PERSIST_S:
            self._saved[key] = t
            dirty[f"b:{rule.name}:{ev.segment}"] = baseline.to_dict()
        return Reading(value, details, ok)

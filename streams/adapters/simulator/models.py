"""What the simulator simulates: the queue models, their shifts and surges, and the profiles.

:class:`QueueModel` is one queue: arrival rate, staffing (all day, or :class:`Shift` s), caller
patience, talk, hold and after-call work, overflow and transfer targets. :class:`Surge`
multiplies a queue's arrivals in a window. :data:`INTRADAY_PROFILE` is the relative arrival
rate by local hour; :data:`TIERS` and :data:`BUSINESS` the caller mix. :func:`default_models`,
:func:`story_models` and :func:`day_models` are the scenarios of ``wallboard simulate``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["BUSINESS", "INTRADAY_PROFILE", "TIERS", "QueueModel", "Shift", "Surge",
           "day_models", "default_models", "story_models"]

TIERS = (("vip", 0.15), ("regular", 0.85))
BUSINESS = (("query", 0.40), ("consultation", 0.20), ("service_request", 0.20),
            ("fault_report", 0.15), ("complaint", 0.05))
# Relative arrival rate by local hour (mean 1.0): quiet nights, a morning peak at 10-11 and a
# smaller one after lunch, the usual shape of inbound service lines.
_RAW_PROFILE = (0.10, 0.06, 0.04, 0.04, 0.05, 0.10, 0.30, 0.80, 1.50, 1.95, 2.10, 2.00,
                1.60, 1.70, 1.85, 1.75, 1.55, 1.30, 1.00, 0.80, 0.65, 0.50, 0.30, 0.16)
INTRADAY_PROFILE = tuple(x * 24 / sum(_RAW_PROFILE) for x in _RAW_PROFILE)


@dataclass(frozen=True)
class Shift:
    """``agents`` work from ``start_hour`` to ``end_hour`` (local time; may wrap midnight)."""

    start_hour: float
    end_hour: float
    agents: int

    def on(self, hour: float) -> bool:
        if self.start_hour <= self.end_hour:
            return self.start_hour <= hour < self.end_hour
        return hour >= self.start_hour or hour < self.end_hour


@dataclass(frozen=True)
class Surge:
    """Arrivals to ``queue`` multiplied by ``factor`` during ``[start, start + duration_s)``;
    with ``every_s`` > 0 the surge repeats every ``every_s`` seconds from ``start``."""

    queue: str
    start: float
    duration_s: float
    factor: float
    every_s: float = 0.0

    def factor_at(self, queue: str, t: float) -> float:
        if queue != self.queue or t < self.start:
            return 1.0
        into = (t - self.start) % self.every_s if self.every_s > 0 else t - self.start
        return self.factor if into < self.duration_s else 1.0


@dataclass(frozen=True)
class QueueModel:
    name: str
    arrivals_per_min: float
    agents: int
    mean_patience_s: float = 90.0
    mean_talk_s: float = 180.0
    mean_acw_s: float = 30.0
    hold_prob: float = 0.2
    overflow_to: str | None = None
    overflow_after_s: float = 90.0
    transfer_to: str | None = None
    transfer_prob: float = 0.0
    shifts: tuple[Shift, ...] = ()   # empty: all agents on all day
    breaks: bool = True

    def __post_init__(self) -> None:
        if self.arrivals_per_min < 0 or self.agents < 0:
            raise ValueError(f"queue {self.name}: arrivals_per_min and agents must be >= 0")
        if min(self.mean_patience_s, self.mean_talk_s, self.mean_acw_s) <= 0:
            raise ValueError(f"queue {self.name}: mean times must be > 0")
        if not 0 <= self.transfer_prob <= 1 or not 0 <= self.hold_prob <= 1:
            raise ValueError(f"queue {self.name}: probabilities must be in [0, 1]")


def default_models(rate: float = 1.0) -> list[QueueModel]:
    """Three queues loaded near capacity, so waits build up and drain visibly; billing
    overflows to support after 90 s, and a few sales calls are transferred to billing."""
    return [
        QueueModel("billing", 2.6 * rate, 8, mean_talk_s=170.0, overflow_to="support"),
        QueueModel("sales", 1.6 * rate, 5, mean_talk_s=160.0, mean_patience_s=60.0,
                   transfer_to="billing", transfer_prob=0.05),
        QueueModel("support", 3.0 * rate, 10, mean_talk_s=200.0, mean_acw_s=40.0),
    ]


def story_models(rate: float = 1.0) -> list[QueueModel]:
    """The demo queues with adequate staffing: service level mostly OK (WARN now and then),
    so that a scheduled surge stands out (``wallboard demo``)."""
    return [
        QueueModel("billing", 2.6 * rate, math.ceil(20 * rate), mean_talk_s=170.0,
                   overflow_to="support"),
        QueueModel("sales", 1.6 * rate, math.ceil(10 * rate), mean_talk_s=160.0,
                   mean_patience_s=60.0, transfer_to="billing", transfer_prob=0.05),
        QueueModel("support", 3.0 * rate, math.ceil(20 * rate), mean_talk_s=200.0,
                   mean_acw_s=40.0),
    ]


def day_models(rate: float = 1.0) -> list[QueueModel]:
    """A staffed day: the same queues with shifts that follow the intraday profile."""
    def shifts(peak: int) -> tuple[Shift, ...]:
        return (Shift(7, 15, math.ceil(peak * 0.6)), Shift(9, 18, math.ceil(peak * 0.6)),
                Shift(14, 23, math.ceil(peak * 0.4)), Shift(22, 7, max(1, peak // 8)))

    return [
        QueueModel("billing", 2.6 * rate, 0, mean_talk_s=170.0, overflow_to="support",
                   shifts=shifts(round(13 * rate))),
        QueueModel("sales", 1.6 * rate, 0, mean_talk_s=160.0, mean_patience_s=60.0,
                   transfer_to="billing", transfer_prob=0.05, shifts=shifts(round(8 * rate))),
        QueueModel("support", 3.0 * rate, 0, mean_talk_s=200.0, mean_acw_s=40.0,
                   shifts=shifts(round(16 * rate))),
    ]

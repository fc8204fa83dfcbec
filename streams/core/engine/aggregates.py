"""Records and their packed aggregates: the record kinds, the eleven aggregate slots, the wait
histogram's bins, and :class:`Agg` (counters, sums and histogram of a set of records held in
two Python ints, so adding two aggregates is two integer additions)."""

from __future__ import annotations

import bisect
import itertools
import math

__all__ = [
    "ABANDONED", "ANSWERED", "ANSWERED_IN_SL", "C_ABANDONED", "C_ANSWERED", "C_DEQUEUED",
    "C_HANDLED", "C_HANDLE_MS", "C_IN_SL", "C_MET", "C_MISSED", "C_OFFERED", "C_SHORT",
    "C_WAIT_MS", "DEQUEUED", "HANDLED", "HANDLE_SHIFT", "HIST_LANE_BITS", "KIND_SUMS",
    "MISSED_UNIT", "OFFERED", "SHORT_ABANDONED", "SLOTS", "SL_MET", "SL_MISSED",
    "SUM_LANE_BITS", "SUM_LANE_MASK", "WAIT_SHIFT", "Agg", "record_delta", "wait_bin",
    "wait_bin_floor_s",
]

# Record kinds (one record = one counted item of one cell at its attribution time).
OFFERED, ANSWERED, ANSWERED_IN_SL, ABANDONED, SHORT_ABANDONED, DEQUEUED, HANDLED, SL_MET, \
    SL_MISSED = range(9)
# Aggregate slots: the nine counters, then the wait and handle sums (ms).
SLOTS = 11
(C_OFFERED, C_ANSWERED, C_IN_SL, C_ABANDONED, C_SHORT, C_DEQUEUED, C_HANDLED, C_MET,
 C_MISSED, C_WAIT_MS, C_HANDLE_MS) = range(SLOTS)
_KIND_SLOTS: tuple[tuple[int, ...], ...] = (
    (C_OFFERED,), (C_ANSWERED,), (C_ANSWERED, C_IN_SL), (C_ABANDONED,), (C_ABANDONED, C_SHORT),
    (C_DEQUEUED,), (C_HANDLED,), (C_MET,), (C_MISSED,))

# Wait histogram (percentiles): 1 s bins below 60 s, then bins 5 % wide. A bin reports its
# lower edge, so the error is < 1 s below 60 s and < 5 % above (metrics.md allows max(1 s, 5 %)).
_LINEAR_BINS = 60
_GROWTH = 1.05
_LOG_GROWTH = math.log(_GROWTH)


def wait_bin(wait_ms: int) -> int:
    if wait_ms < _LINEAR_BINS * 1000:
        return wait_ms // 1000
    return _LINEAR_BINS + int(math.log(wait_ms / (_LINEAR_BINS * 1000)) / _LOG_GROWTH)


def wait_bin_floor_s(b: int) -> float:
    """The lower edge of bin ``b`` in seconds (what a percentile falling in it reports)."""
    if b < _LINEAR_BINS:
        return float(b)
    return round(_LINEAR_BINS * _GROWTH ** (b - _LINEAR_BINS), 3)


# Aggregates are two Python ints: ``sums`` packs the eleven counters and sums in 64-bit lanes,
# ``histogram`` the wait histogram in 32-bit lanes (one per bin). Adding two aggregates is then
# two integer additions, and a record's contribution is a precomputed pair of ints. Every lane
# stays non-negative (a retraction removes what was added), so the lanes never borrow.
SUM_LANE_BITS = 64
SUM_LANE_MASK = (1 << SUM_LANE_BITS) - 1
HIST_LANE_BITS = 32
# what a record of each kind adds to ``sums`` (its counters; the value comes on top)
KIND_SUMS = tuple(sum(1 << (SUM_LANE_BITS * slot) for slot in slots) for slots in _KIND_SLOTS)
WAIT_SHIFT = SUM_LANE_BITS * C_WAIT_MS
HANDLE_SHIFT = SUM_LANE_BITS * C_HANDLE_MS
MISSED_UNIT = 1 << (SUM_LANE_BITS * C_MISSED)


def record_delta(kind: int, value: int) -> tuple[int, int]:
    """What one record ``(kind, value)`` adds to an aggregate's ``(sums, histogram)``."""
    if kind == ANSWERED or kind == ANSWERED_IN_SL:  # noqa: SIM109 - hot path, no tuple
        return KIND_SUMS[kind] + (value << WAIT_SHIFT), 1 << (HIST_LANE_BITS * wait_bin(value))
    if kind == HANDLED:
        return KIND_SUMS[kind] + (value << HANDLE_SHIFT), 0
    return KIND_SUMS[kind], 0


def _lanes(histogram: int) -> memoryview:
    """The histogram's 32-bit lanes, lowest bin first."""
    return memoryview(histogram.to_bytes((histogram.bit_length() + 31) // 32 * 4,
                                         "little")).cast("I")


class Agg:
    """Counters, sums and the wait histogram of a set of records (two packed ints)."""

    __slots__ = ("histogram", "sums")

    def __init__(self, sums: int = 0, histogram: int = 0) -> None:
        self.sums = sums
        self.histogram = histogram

    def add(self, kind: int, value: int, sign: int = 1) -> None:
        d_sums, d_hist = record_delta(kind, value)
        if sign > 0:
            self.sums += d_sums
            self.histogram += d_hist
        else:
            self.sums -= d_sums
            self.histogram -= d_hist

    def merge(self, other: Agg) -> None:
        self.sums += other.sums
        self.histogram += other.histogram

    def counts(self) -> list[int]:
        """The eleven counters and sums, in slot order (``C_OFFERED`` ... ``C_HANDLE_MS``)."""
        sums = self.sums
        return [(sums >> (SUM_LANE_BITS * i)) & SUM_LANE_MASK for i in range(SLOTS)]

    def count(self, slot: int) -> int:
        return (self.sums >> (SUM_LANE_BITS * slot)) & SUM_LANE_MASK

    def bins(self) -> dict[int, int]:
        """The histogram as ``{bin: count}`` (non-zero bins)."""
        if not self.histogram:
            return {}
        return {b: n for b, n in enumerate(_lanes(self.histogram)) if n}

    def percentiles_s(self, answered: int, ps: tuple[float, ...]) -> list[float | None]:
        """Nearest-rank percentiles of the waits (bin lower edges); ``answered`` = count."""
        if answered <= 0:
            return [None] * len(ps)
        cum = list(itertools.accumulate(_lanes(self.histogram)))
        out: list[float | None] = []
        for p in ps:
            rank = max(1, math.ceil(p * answered - 1e-9))
            out.append(wait_bin_floor_s(min(bisect.bisect_left(cum, rank), len(cum) - 1)))
        return out

    def to_list(self) -> list:
        return [self.counts(), sorted(self.bins().items())]

    @classmethod
    def from_list(cls, data: list) -> Agg:
        sums = sum(int(x) << (SUM_LANE_BITS * i) for i, x in enumerate(data[0]))
        histogram = sum(int(n) << (HIST_LANE_BITS * int(b)) for b, n in data[1])
        return cls(sums, histogram)

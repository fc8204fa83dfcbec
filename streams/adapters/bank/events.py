"""The Anonymous Bank data set as one time-ordered stream of contract events, with its report.

:func:`iter_events` converts the rows (:func:`~.convert.convert_row`), skips and reports the
broken ones, duplicates and rows out of date order, and merges the events of all calls
through a heap into time order. It releases each event once no later row can come before
it. :class:`BankStats` counts what was read, converted and skipped, and writes the summary.
:func:`convert` does a whole file at once. :func:`parse_days` reads the ``--days`` range.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from schemas.validate import TS_MAX_S, TS_MIN_S, TS_RANGE_TEXT

from .convert import (
    DEFAULT_TIMEZONE,
    HALF_DAY_S,
    UNKNOWN_AGENT,
    CallResult,
    as_zone,
    convert_row,
    local_epoch,
)
from .rows import BadRow, day, read_rows

__all__ = ["BankStats", "convert", "iter_events", "parse_days"]

Rows = Iterable[tuple[int, Mapping[str, str] | BadRow]]


@dataclass(slots=True)
class BankStats:
    """What a conversion read, converted and skipped."""

    rows: int = 0                    # data rows read (blank lines aside)
    filtered: int = 0                # outside the selected days
    answered: int = 0                # queued calls answered by an agent (AGENT)
    abandoned: int = 0               # queued calls abandoned (HANG)
    abandoned_zero_wait: int = 0     # of those, with q_time 0 (joined and left the same second)
    phantom: int = 0                 # PHANTOM rows: skipped
    direct_agent: int = 0            # AGENT without queueing (VRU straight to an agent): skipped
    vru_hang: int = 0                # HANG without queueing (hung up in the VRU): skipped
    no_service_record: int = 0       # AGENT calls with ser_start 0:00:00: no call.ended
    unknown_agent: int = 0           # AGENT calls with server NO_SERVER: agent_id "unknown"
    broken: list[tuple[int, str]] = field(default_factory=list)    # (line, reason), skipped
    repaired: list[tuple[int, str]] = field(default_factory=list)  # (line, what), converted
    events_by_type: Counter[str] = field(default_factory=Counter)

    @property
    def calls(self) -> int:
        """Calls converted to events (one queue visit each)."""
        return self.answered + self.abandoned

    @property
    def never_queued(self) -> int:
        return self.direct_agent + self.vru_hang

    @property
    def events(self) -> int:
        return sum(self.events_by_type.values())

    def summary(self, source: str = "", *, limit: int = 20) -> list[str]:
        """The human summary printed by ``wallboard replay-bank``."""
        src = f" from {source}" if source else ""
        lines = [
            f"{self.rows} rows read{src}"
            + (f", {self.filtered} outside the selected days" if self.filtered else ""),
            f"{self.calls} queued calls converted: {self.answered} answered, {self.abandoned} "
            f"abandoned ({self.abandoned_zero_wait} of them with q_time 0)",
            f"skipped: {self.phantom} PHANTOM, {self.never_queued} never queued "
            f"({self.direct_agent} AGENT served straight from the VRU, {self.vru_hang} HANG in "
            f"the VRU)",
        ]
        if self.no_service_record or self.unknown_agent:
            lines.append(f"answered calls without a service record (no call.ended): "
                         f"{self.no_service_record}; with server NO_SERVER (agent_id "
                         f"{UNKNOWN_AGENT!r}): {self.unknown_agent}")
        for what, items in (("repaired rows", self.repaired),
                            ("broken rows (skipped)", self.broken)):
            lines.append(f"{what}: {len(items)}")
            lines += [f"  line {line}: {reason}" for line, reason in items[:limit]]
            if len(items) > limit:
                lines.append(f"  ... and {len(items) - limit} more")
        lines.append(f"{self.events} events: " + (", ".join(
            f"{t} {n}" for t, n in sorted(self.events_by_type.items())) or "none"))
        return lines

    def count(self, line: int, res: CallResult) -> bool:
        """Count a converted call and its notes; True when it queued (it has events)."""
        for note in res.notes:
            if note.startswith("repaired: "):
                self.repaired.append((line, note.removeprefix("repaired: ")))
            elif note == "no_service_record":
                self.no_service_record += 1
            elif note == "unknown_agent":
                self.unknown_agent += 1
        if res.kind == "answered":
            self.answered += 1
        elif res.kind == "abandoned":
            self.abandoned += 1
            if res.ranked[1][0] == res.ranked[0][0]:
                self.abandoned_zero_wait += 1
        else:
            setattr(self, res.kind, getattr(self, res.kind) + 1)
            return False
        return True


class _TimeOrder:
    """The heap of pending events. A call of ``date`` D has no event before local midnight
    of D minus 12 hours and the rows come in date order, so a new date releases every event
    before that horizon."""

    def __init__(self, tz: tzinfo, stats: BankStats) -> None:
        self.tz, self.stats = tz, stats
        self.heap: list[tuple[float, int, int, dict]] = []
        self.seq = 0
        self.released = float("-inf")      # time of the last event yielded
        self.horizon = float("-inf")       # local midnight of the latest date seen, minus 12 h
        self.day_starts: dict[date, float] = {}

    def add(self, res: CallResult) -> Iterator[dict]:
        """Take the call's events; yield those the call's date releases."""
        for event, (t, rank) in zip(res.events, res.ranked, strict=True):
            heapq.heappush(self.heap, (t, rank, self.seq, event))
            self.seq += 1
        start = self.day_starts.get(res.day)
        if start is None:
            start = self.day_starts[res.day] = local_epoch(res.day, 0, self.tz)
        if start - HALF_DAY_S > self.horizon:
            self.horizon = start - HALF_DAY_S
            while self.heap and self.heap[0][0] < self.horizon:
                yield self._pop()

    def drain(self) -> Iterator[dict]:
        while self.heap:
            yield self._pop()

    def _pop(self) -> dict:
        t, _, _, event = heapq.heappop(self.heap)
        self.released = t
        self.stats.events_by_type[event["type"]] += 1
        return event


def _converted(line: int, row: Mapping[str, str] | BadRow, tz: tzinfo,
               days: tuple[date, date] | None, st: BankStats) -> CallResult | None:
    """The row converted; None when it is outside ``days`` or broken (noted in ``st``)."""
    if isinstance(row, BadRow):
        st.broken.append((line, str(row)))
        return None
    try:
        if days is not None:
            d = day(row)
            if not days[0] <= d <= days[1]:
                st.filtered += 1
                return None
        return convert_row(row, tz)
    except BadRow as exc:
        st.broken.append((line, str(exc)))
    except KeyError as exc:  # a Mapping without one of the columns
        st.broken.append((line, f"no column {exc}"))
    except (ValueError, OverflowError, OSError) as exc:  # a date the clock cannot hold
        st.broken.append((line, f"cannot place the call in time: {exc}"))
    return None


def _refusal(line: int, row: Mapping[str, str], res: CallResult, seen: dict[str, int],
             released: float) -> str | None:
    """Why a converted call cannot be sent (its times, a duplicate, out of date order)."""
    if any(not TS_MIN_S <= t < TS_MAX_S for t, _ in res.ranked):
        return (f"the call's times are outside the accepted event-time range "
                f"{TS_RANGE_TEXT}")
    first = seen.setdefault(res.call_id, line)
    if first != line:
        return (f"duplicate call {res.call_id} (same date, vru+line and call_id as line "
                f"{first})")
    if res.ranked and min(t for t, _ in res.ranked) < released:
        return (f"out of date order: the call's events precede events already sent; sort "
                f"the file by date ({row['date']})")
    return None


def iter_events(
    rows: Rows,
    *,
    tz: ZoneInfo | str = DEFAULT_TIMEZONE,
    days: tuple[date, date] | None = None,
    stats: BankStats | None = None,
) -> Iterator[dict]:
    """Contract events of ``rows`` (as :func:`read_rows` yields them), in time order.

    ``days`` keeps the calls whose ``date`` lies in the inclusive range. ``stats`` (when
    given) is filled in as the rows are read. Events are merged through a heap and released
    as soon as no later row can precede them: a call of ``date`` D has no event before local
    midnight of D minus 12 hours, and the data set's rows come in date order. A row whose
    events would precede events already released (a file not in date order) is reported
    as broken instead of being sent out of order.
    """
    zone = as_zone(tz)
    st = stats if stats is not None else BankStats()
    order = _TimeOrder(zone, st)
    seen: dict[str, int] = {}     # call_id → line, for duplicates
    for line, row in rows:
        st.rows += 1
        res = _converted(line, row, zone, days, st)
        if res is None:
            continue
        assert not isinstance(row, BadRow)
        refusal = _refusal(line, row, res, seen, order.released)
        if refusal is not None:
            st.broken.append((line, refusal))
        elif st.count(line, res):
            yield from order.add(res)
    yield from order.drain()


def convert(
    source: Path | str | IO[str],
    *,
    tz: ZoneInfo | str = DEFAULT_TIMEZONE,
    days: tuple[date, date] | None = None,
) -> tuple[list[dict], BankStats]:
    """Every event of a data-set CSV (a path or an open text file), in time order, and the
    statistics of the conversion."""
    stats = BankStats()
    if isinstance(source, Path | str):
        with open(source, encoding="utf-8-sig", newline="") as fh:
            return list(iter_events(read_rows(fh), tz=tz, days=days, stats=stats)), stats
    return list(iter_events(read_rows(source), tz=tz, days=days, stats=stats)), stats


def parse_days(text: str) -> tuple[date, date]:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD..YYYY-MM-DD`` (inclusive) → (first, last)."""
    first, sep, last = text.partition("..")
    try:
        a = date.fromisoformat(first.strip())
        b = date.fromisoformat(last.strip()) if sep else a
    except ValueError:
        raise ValueError(f"expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, got {text!r}") from None
    if b < a:
        raise ValueError(f"the range ends before it starts: {text!r}")
    return a, b

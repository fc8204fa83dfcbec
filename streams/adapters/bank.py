"""Replay of the Technion "Anonymous Bank" call-centre data set (an Israeli bank, 1999) as
contract-v1 call events.

The data set has one CSV row per call (17 columns: ``vru+line, call_id, customer_id, priority,
type, date, vru_entry, vru_exit, vru_time, q_start, q_exit, q_time, outcome, ser_start,
ser_exit, ser_time, server``; clock times ``H:MM:SS`` of ``date``, ``0:00:00`` = "did not
happen", durations in seconds). Each call that reached the queue becomes one queue visit:

* ``call.queued`` at ``q_start``, in the queue named after the service ``type`` (PS, NW, IN,
  NE, TT, PE), with ``attrs`` ``{"tier", "business": type, "channel": "voice"}`` and the
  integer ``priority``;
* outcome AGENT: ``call.answered`` at ``q_start + q_time`` (= ``q_exit``), ``agent_id`` =
  ``server``; then ``call.ended`` ``ser_time`` seconds later, with ``acw: false``;
* outcome HANG: ``call.abandoned`` at ``q_start + q_time`` (= ``q_exit``).

Calls that never reached the queue (``q_start`` is ``0:00:00``: served straight from the VRU,
or hung up in the VRU) and PHANTOM rows are counted and skipped. Malformed rows are counted
and reported with their line number; they never stop a replay. ``docs/sources-anonymous-bank.md``
gives the reasons for each choice and the figures the tests reproduce.

The conversion is pure (rows in, event dicts out); :func:`cmd_replay_bank` sends the events
through :mod:`streams.sink` (Kafka or JSON Lines), in time order.
"""

from __future__ import annotations

import argparse
import csv
import functools
import heapq
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING
from zoneinfo import ZoneInfo

from schemas.validate import TS_MAX_S, TS_MIN_S, TS_RANGE_TEXT

from ..core.timefmt import rfc3339

if TYPE_CHECKING:
    from ..config import StreamSettings

__all__ = [
    "COLUMNS",
    "DEFAULT_TIMEZONE",
    "SERVICE_TYPES",
    "TIERS",
    "UNKNOWN_AGENT",
    "BadHeader",
    "BadRow",
    "BankStats",
    "CallResult",
    "cmd_replay_bank",
    "convert",
    "convert_row",
    "iter_events",
    "parse_days",
    "read_rows",
]

COLUMNS: tuple[str, ...] = (
    "vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry", "vru_exit",
    "vru_time", "q_start", "q_exit", "q_time", "outcome", "ser_start", "ser_exit", "ser_time",
    "server",
)
DEFAULT_TIMEZONE = "Asia/Jerusalem"
#: The service types of the data set's documentation. Each is a queue of its own; any other
#: non-empty code is accepted too (and becomes a queue of that name).
SERVICE_TYPES: dict[str, str] = {
    "PS": "regular activity",
    "PE": "regular activity in English",
    "IN": "internet consulting",
    "NE": "stock exchange activity",
    "NW": "prospective customers",
    "TT": "call-back customers put on hold",
}
#: ``priority`` → ``attrs.tier``. 0: caller not identified (the system treats them as 1);
#: 1: regular customer; 2: priority customer (1.5 minutes of credit in the queue).
TIERS: dict[int, str] = {0: "unidentified", 1: "regular", 2: "vip"}
#: ``agent_id`` of an AGENT call whose ``server`` is ``NO_SERVER``.
UNKNOWN_AGENT = "unknown"
OUTCOMES = ("AGENT", "HANG", "PHANTOM")
BATCH_SIZE = 5000

_NOT_SET = "0:00:00"
_DAY_S = 86400
_HALF_DAY_S = 43200
# Rank of each event kind among events of equal time: a visit starts before it ends.
_QUEUED, _OUTCOME, _ENDED = 0, 1, 2


class BadHeader(ValueError):
    """The CSV does not have the data set's columns (the whole file is unusable)."""


class BadRow(ValueError):
    """One malformed row: reported with its line number and skipped."""


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


@dataclass(frozen=True, slots=True)
class CallResult:
    """One row converted: ``kind`` is ``answered``, ``abandoned``, ``phantom``,
    ``direct_agent`` or ``vru_hang``; ``events`` is empty unless the call queued."""

    kind: str
    call_id: str                      # the contract call_id (also the base of the event ids)
    day: date                         # the row's ``date`` (the day the call came in)
    events: tuple[dict, ...] = ()
    ranked: tuple[tuple[float, int], ...] = ()   # (epoch seconds, rank) of each event
    notes: tuple[str, ...] = ()       # "repaired: ...", "no_service_record", "unknown_agent"


# -- parsing -------------------------------------------------------------------------------


_CLOCK_RE = re.compile(r"([0-9]{1,2}):([0-5][0-9]):([0-5][0-9])")
_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@functools.lru_cache(maxsize=100_000)
def _clock_s(text: str) -> int | None:
    m = _CLOCK_RE.fullmatch(text)
    if m is None or int(m[1]) > 23:
        return None
    return int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])


def _clock(row: Mapping[str, str], key: str) -> int:
    """``H:MM:SS`` → seconds after midnight."""
    seconds = _clock_s(row[key])
    if seconds is None:
        raise BadRow(f"{key} {row[key]!r} is not a time of day H:MM:SS")
    return seconds


def _int(row: Mapping[str, str], key: str, *, signed: bool = False) -> int:
    text = row[key]
    digits = text[1:] if signed and text.startswith("-") else text
    if not digits.isdigit() or not digits.isascii():
        raise BadRow(f"{key} {text!r} is not {'an integer' if signed else 'a whole number'}")
    return int(text)


def _day(row: Mapping[str, str]) -> date:
    text = row["date"]
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise BadRow(f"date {text!r} is not YYYY-MM-DD") from None


def _local_epoch(day: date, clock_s: int, tz: ZoneInfo) -> float:
    """Epoch seconds of a wall-clock time (seconds after midnight, may be < 0 or ≥ 1 day)."""
    days, rest = divmod(clock_s, _DAY_S)
    d = date.fromordinal(day.toordinal() + days)
    return datetime(d.year, d.month, d.day, rest // 3600, rest // 60 % 60, rest % 60,
                    tzinfo=tz).timestamp()


def _name(row: Mapping[str, str], key: str) -> str:
    text = row[key].strip()
    if _NAME_RE.fullmatch(text) is None:
        raise BadRow(f"{key} {row[key]!r} is not a name")
    return text


def convert_row(row: Mapping[str, str], tz: ZoneInfo | str = DEFAULT_TIMEZONE) -> CallResult:
    """Convert one row (column name → text) of the data set. Raises :class:`BadRow`.

    Instants are on the queue's clock: ``call.queued`` at ``q_start`` (on ``date``, or the day
    after when the clock went past midnight since ``vru_entry``), the outcome ``q_time``
    seconds later, ``call.ended`` ``ser_time`` seconds after the answer. Durations are added
    as elapsed seconds, so midnight and daylight-saving changes are handled.
    """
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    # Every field's format is checked, whatever the outcome.
    day = _day(row)
    vru_line = _name(row, "vru+line")
    raw_id = row["call_id"]
    vru_entry = _clock(row, "vru_entry")
    _clock(row, "vru_exit")
    _int(row, "vru_time", signed=True)   # negative in 19 rows (the VRU's clock): not used
    q_start, q_exit = _clock(row, "q_start"), _clock(row, "q_exit")
    q_time = _int(row, "q_time")
    ser_start, ser_exit = _clock(row, "ser_start"), _clock(row, "ser_exit")
    ser_time = _int(row, "ser_time")
    priority = _int(row, "priority")
    if priority not in TIERS:
        raise BadRow(f"priority {row['priority']!r} is not 0, 1 or 2")
    outcome = row["outcome"].strip()
    if outcome not in OUTCOMES:
        raise BadRow(f"outcome {row['outcome']!r} is not AGENT, HANG or PHANTOM")
    queue = _name(row, "type")
    server = row["server"].strip()
    if not server or len(server) > 64:
        raise BadRow(f"server {row['server']!r} is not a name")

    notes: list[str] = []
    if raw_id.isdigit() and raw_id.isascii():
        call_id = f"bank-{day:%Y%m%d}-{vru_line}-{raw_id}"
    else:
        # The row's other fields are sound; vru+line and vru_entry identify it as well.
        call_id = f"bank-{day:%Y%m%d}-{vru_line}-t{row['vru_entry'].replace(':', '')}"
        notes.append(f"repaired: call_id {raw_id!r} is not a number (mangled by a "
                     f"spreadsheet?); call identified as {call_id}")

    queued = row["q_start"] != _NOT_SET
    if outcome == "PHANTOM":
        return CallResult("phantom", call_id, day, notes=tuple(notes))
    if not queued:
        if q_time:
            raise BadRow(f"q_time {q_time} but q_start {_NOT_SET}")
        return CallResult("direct_agent" if outcome == "AGENT" else "vru_hang", call_id, day,
                          notes=tuple(notes))
    if (q_exit - q_start) % _DAY_S != q_time:
        raise BadRow(f"q_time {q_time} does not match q_start {row['q_start']} → q_exit "
                     f"{row['q_exit']}")

    # q_start on the clock nearest to vru_entry: the next day past midnight; a little earlier
    # than vru_entry when the VRU clock is ahead (vru_time is negative in some rows).
    ahead = (q_start - vru_entry) % _DAY_S
    t_queued = _local_epoch(day, vru_entry + (ahead if ahead < _HALF_DAY_S else ahead - _DAY_S),
                            tz)
    t_exit = t_queued + q_time

    def event(kind: str, t: float, **extra: object) -> dict:
        return {"v": 1, "event_id": f"{call_id}-{kind}", "type": f"call.{kind}",
                "ts": rfc3339(t, micro=True, tz=tz), "call_id": call_id, "queue": queue, **extra}

    events = [event("queued", t_queued,
                    attrs={"tier": TIERS[priority], "business": queue, "channel": "voice"},
                    priority=priority)]
    ranked = [(t_queued, _QUEUED)]
    if outcome == "HANG":
        events.append(event("abandoned", t_exit))
        ranked.append((t_exit, _OUTCOME))
        return CallResult("abandoned", call_id, day, tuple(events), tuple(ranked),
                          tuple(notes))
    agent_id = server
    if server == "NO_SERVER":
        agent_id = UNKNOWN_AGENT
        notes.append("unknown_agent")
    events.append(event("answered", t_exit, agent_id=agent_id))
    ranked.append((t_exit, _OUTCOME))
    if row["ser_start"] == _NOT_SET:
        notes.append("no_service_record")
    else:
        if (ser_exit - ser_start) % _DAY_S != ser_time:
            raise BadRow(f"ser_time {ser_time} does not match ser_start {row['ser_start']} "
                         f"→ ser_exit {row['ser_exit']}")
        t_ended = t_exit + ser_time
        events.append(event("ended", t_ended, agent_id=agent_id, acw=False))
        ranked.append((t_ended, _ENDED))
    return CallResult("answered", call_id, day, tuple(events), tuple(ranked), tuple(notes))


def read_rows(fh: IO[str] | Iterable[str]) -> Iterator[tuple[int, Mapping[str, str] | BadRow]]:
    """The rows of a data-set CSV as ``(line number, row)``; a row with the wrong number of
    fields comes as ``(line number, BadRow)``. The header is checked at once
    (:class:`BadHeader`); the columns may come in any order, extra columns are ignored."""
    reader = csv.reader(fh)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise BadHeader("empty file: no header line") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BadHeader(f"not the Anonymous Bank call table: no column {', '.join(missing)} "
                        f"in the header")

    def rows() -> Iterator[tuple[int, Mapping[str, str] | BadRow]]:
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reader.line_num, BadRow(f"not CSV: {exc}")
                continue
            if not fields or fields == [""]:
                continue
            if len(fields) != len(header):
                yield reader.line_num, BadRow(
                    f"{len(fields)} fields, the header has {len(header)}")
                continue
            yield reader.line_num, dict(zip(header, fields, strict=True))

    return rows()


# -- time-ordered merge --------------------------------------------------------------------


def iter_events(
    rows: Iterable[tuple[int, Mapping[str, str] | BadRow]],
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
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    st = stats if stats is not None else BankStats()
    heap: list[tuple[float, int, int, dict]] = []
    seq = 0
    released = float("-inf")      # time of the last event yielded
    horizon = float("-inf")       # local midnight of the latest date seen, minus 12 h
    seen: dict[str, int] = {}     # call_id → line, for duplicates
    day_starts: dict[date, float] = {}

    for line, row in rows:
        st.rows += 1
        if isinstance(row, BadRow):
            st.broken.append((line, str(row)))
            continue
        try:
            if days is not None:
                d = _day(row)
                if not days[0] <= d <= days[1]:
                    st.filtered += 1
                    continue
            res = convert_row(row, tz)
        except BadRow as exc:
            st.broken.append((line, str(exc)))
            continue
        except KeyError as exc:  # a Mapping without one of the columns
            st.broken.append((line, f"no column {exc}"))
            continue
        except (ValueError, OverflowError, OSError) as exc:  # a date the clock cannot hold
            st.broken.append((line, f"cannot place the call in time: {exc}"))
            continue
        if any(not TS_MIN_S <= t < TS_MAX_S for t, _ in res.ranked):
            st.broken.append((line, f"the call's times are outside the accepted event-time "
                                    f"range {TS_RANGE_TEXT}"))
            continue
        first = seen.setdefault(res.call_id, line)
        if first != line:
            st.broken.append((line, f"duplicate call {res.call_id} (same date, vru+line and "
                                    f"call_id as line {first})"))
            continue
        if res.ranked and min(t for t, _ in res.ranked) < released:
            st.broken.append((line, f"out of date order: the call's events precede events "
                                    f"already sent; sort the file by date ({row['date']})"))
            continue
        for note in res.notes:
            if note.startswith("repaired: "):
                st.repaired.append((line, note.removeprefix("repaired: ")))
            elif note == "no_service_record":
                st.no_service_record += 1
            elif note == "unknown_agent":
                st.unknown_agent += 1
        if res.kind == "answered":
            st.answered += 1
        elif res.kind == "abandoned":
            st.abandoned += 1
            if res.ranked[1][0] == res.ranked[0][0]:
                st.abandoned_zero_wait += 1
        else:
            setattr(st, res.kind, getattr(st, res.kind) + 1)
            continue
        for event, (t, rank) in zip(res.events, res.ranked, strict=True):
            heapq.heappush(heap, (t, rank, seq, event))
            seq += 1
        start = day_starts.get(res.day)
        if start is None:
            start = day_starts[res.day] = _local_epoch(res.day, 0, tz)
        if start - _HALF_DAY_S > horizon:
            horizon = start - _HALF_DAY_S
            while heap and heap[0][0] < horizon:
                t, _, _, event = heapq.heappop(heap)
                released = t
                st.events_by_type[event["type"]] += 1
                yield event
    while heap:
        t, _, _, event = heapq.heappop(heap)
        released = t
        st.events_by_type[event["type"]] += 1
        yield event


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


# -- command line --------------------------------------------------------------------------


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


def cmd_replay_bank(settings: StreamSettings, args: argparse.Namespace) -> int:
    """Convert ``args.csv`` and send its events (time order, batched) to the sink."""
    from ..sink import open_sink

    prog = "wallboard replay-bank"
    path = Path(args.csv)
    if not path.is_file():
        print(f"{prog}: error: {path}: no such file", file=sys.stderr)
        return 2
    tz = getattr(args, "timezone", None) or DEFAULT_TIMEZONE
    stats = BankStats()
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        print(f"{prog}: error: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    with fh:
        try:
            rows = read_rows(fh)
        except (BadHeader, UnicodeDecodeError) as exc:
            print(f"{prog}: error: {path}: {exc}", file=sys.stderr)
            return 2
        sink = open_sink(settings.kafka, getattr(args, "output", None),
                         client_id="wallboard-replay-bank")
        try:
            batch: list[dict] = []
            for event in iter_events(rows, tz=tz, days=getattr(args, "days", None),
                                     stats=stats):
                batch.append(event)
                if len(batch) >= BATCH_SIZE:
                    sink.send(batch)
                    batch = []
            sink.send(batch)
            sink.flush()
        except UnicodeDecodeError as exc:
            print(f"{prog}: error: {path}: not UTF-8 text: {exc}", file=sys.stderr)
            return 2
        finally:
            sink.close()
    for line in stats.summary(f"{path} (clock times in {tz})"):
        print(f"replay-bank: {line}")
    print(f"replay-bank: {sink.sent} events sent to {sink.describe()}")
    return 0

"""One Anonymous Bank row → the contract events of its queue visit.

:func:`convert_row` checks every field of the row, classifies the call (answered, abandoned,
PHANTOM, served or hung up without queueing) and places its events in time on the queue's
clock. A repaired call id, a missing service record or an unknown agent become notes of the
:class:`CallResult`. Durations are added as elapsed seconds, so midnight and daylight-saving
changes are handled. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from ...core.checks import check_timezone
from ...core.timefmt import rfc3339
from .rows import BadRow, clock, day, integer, name

__all__ = ["DEFAULT_TIMEZONE", "SERVICE_TYPES", "TIERS", "UNKNOWN_AGENT", "CallResult",
           "as_zone", "convert_row", "local_epoch"]

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

_NOT_SET = "0:00:00"
_DAY_S = 86400
HALF_DAY_S = 43200
# Rank of each event kind among events of equal time: a visit starts before it ends.
_QUEUED, _OUTCOME, _ENDED = 0, 1, 2


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


def as_zone(tz: tzinfo | str) -> tzinfo:
    """``tz``, or the IANA zone of that name (a ConfigError, a ValueError, when unknown)."""
    return check_timezone("timezone", tz) if isinstance(tz, str) else tz


def local_epoch(day: date, clock_s: int, tz: tzinfo) -> float:
    """Epoch seconds of a wall-clock time (seconds after midnight, may be < 0 or ≥ 1 day)."""
    days, rest = divmod(clock_s, _DAY_S)
    d = date.fromordinal(day.toordinal() + days)
    return datetime(d.year, d.month, d.day, rest // 3600, rest // 60 % 60, rest % 60,
                    tzinfo=tz).timestamp()


@dataclass(frozen=True, slots=True)
class _Span:
    """A stretch of the call (the queue ``q_`` or the service ``ser_``): start and exit on
    the clock (seconds after midnight), and its length as the data set gives it."""

    start: int
    exit: int
    length: int

    def matches(self) -> bool:
        return (self.exit - self.start) % _DAY_S == self.length


def _span(row: Mapping[str, str], prefix: str) -> _Span:
    return _Span(clock(row, f"{prefix}_start"), clock(row, f"{prefix}_exit"),
                 integer(row, f"{prefix}_time"))


def _mismatch(row: Mapping[str, str], prefix: str, length: int) -> BadRow:
    return BadRow(f"{prefix}_time {length} does not match {prefix}_start "
                  f"{row[f'{prefix}_start']} → {prefix}_exit {row[f'{prefix}_exit']}")


def _call_fields(row: Mapping[str, str]) -> tuple[int, str, str, str]:
    """``priority``, ``outcome``, the queue (``type``) and ``server``, checked in that order."""
    priority = integer(row, "priority")
    if priority not in TIERS:
        raise BadRow(f"priority {row['priority']!r} is not 0, 1 or 2")
    outcome = row["outcome"].strip()
    if outcome not in OUTCOMES:
        raise BadRow(f"outcome {row['outcome']!r} is not AGENT, HANG or PHANTOM")
    queue = name(row, "type")
    server = row["server"].strip()
    if not server or len(server) > 64:
        raise BadRow(f"server {row['server']!r} is not a name")
    return priority, outcome, queue, server


def _call_id(row: Mapping[str, str], d: date, vru_line: str, raw_id: str) -> tuple[str, list[str]]:
    """The contract call id and the notes: a call id that is not a number is repaired."""
    if raw_id.isdigit() and raw_id.isascii():
        return f"bank-{d:%Y%m%d}-{vru_line}-{raw_id}", []
    # The row's other fields are sound; vru+line and vru_entry identify it as well.
    call_id = f"bank-{d:%Y%m%d}-{vru_line}-t{row['vru_entry'].replace(':', '')}"
    return call_id, [f"repaired: call_id {raw_id!r} is not a number (mangled by a "
                     f"spreadsheet?); call identified as {call_id}"]


class _Visit:
    """The events of one queue visit as they are made, with their (time, rank)."""

    def __init__(self, call_id: str, queue: str, tz: tzinfo) -> None:
        self.call_id, self.queue, self.tz = call_id, queue, tz
        self.events: list[dict] = []
        self.ranked: list[tuple[float, int]] = []

    def add(self, kind: str, t: float, rank: int, **extra: object) -> None:
        self.events.append({"v": 1, "event_id": f"{self.call_id}-{kind}",
                            "type": f"call.{kind}", "ts": rfc3339(t, micro=True, tz=self.tz),
                            "call_id": self.call_id, "queue": self.queue, **extra})
        self.ranked.append((t, rank))

    def result(self, kind: str, d: date, notes: list[str]) -> CallResult:
        return CallResult(kind, self.call_id, d, tuple(self.events), tuple(self.ranked),
                          tuple(notes))


def convert_row(row: Mapping[str, str], tz: ZoneInfo | str = DEFAULT_TIMEZONE) -> CallResult:
    """Convert one row (column name → text) of the data set. Raises :class:`BadRow`.

    Instants are on the queue's clock: ``call.queued`` at ``q_start`` (on ``date``, or the day
    after when the clock went past midnight since ``vru_entry``), the outcome ``q_time``
    seconds later, ``call.ended`` ``ser_time`` seconds after the answer. Durations are added
    as elapsed seconds, so midnight and daylight-saving changes are handled.
    """
    zone = as_zone(tz)
    # Every field's format is checked, whatever the outcome.
    d = day(row)
    vru_line = name(row, "vru+line")
    raw_id = row["call_id"]
    vru_entry = clock(row, "vru_entry")
    clock(row, "vru_exit")
    integer(row, "vru_time", signed=True)   # negative in 19 rows (the VRU's clock): not used
    in_queue, service = _span(row, "q"), _span(row, "ser")
    priority, outcome, queue, server = _call_fields(row)
    call_id, notes = _call_id(row, d, vru_line, raw_id)

    if outcome == "PHANTOM":
        return CallResult("phantom", call_id, d, notes=tuple(notes))
    if row["q_start"] == _NOT_SET:
        if in_queue.length:
            raise BadRow(f"q_time {in_queue.length} but q_start {_NOT_SET}")
        return CallResult("direct_agent" if outcome == "AGENT" else "vru_hang", call_id, d,
                          notes=tuple(notes))
    if not in_queue.matches():
        raise _mismatch(row, "q", in_queue.length)

    # q_start on the clock nearest to vru_entry: the next day past midnight; a little earlier
    # than vru_entry when the VRU clock is ahead (vru_time is negative in some rows).
    ahead = (in_queue.start - vru_entry) % _DAY_S
    t_queued = local_epoch(d, vru_entry + (ahead if ahead < HALF_DAY_S else ahead - _DAY_S),
                           zone)
    t_exit = t_queued + in_queue.length
    visit = _Visit(call_id, queue, zone)
    visit.add("queued", t_queued, _QUEUED,
              attrs={"tier": TIERS[priority], "business": queue, "channel": "voice"},
              priority=priority)
    if outcome == "HANG":
        visit.add("abandoned", t_exit, _OUTCOME)
        return visit.result("abandoned", d, notes)
    agent_id = server
    if server == "NO_SERVER":
        agent_id = UNKNOWN_AGENT
        notes.append("unknown_agent")
    visit.add("answered", t_exit, _OUTCOME, agent_id=agent_id)
    if row["ser_start"] == _NOT_SET:
        notes.append("no_service_record")
    else:
        if not service.matches():
            raise _mismatch(row, "ser", service.length)
        visit.add("ended", t_exit + service.length, _ENDED, agent_id=agent_id, acw=False)
    return visit.result("answered", d, notes)

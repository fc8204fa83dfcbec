"""What the Asterisk converter remembers between lines, and what it reports.

:class:`Visit` is one open queue visit: a call waiting in a queue, or answered from it.
:class:`AgentState` is what is known about an agent: its queues and pauses, the call in
progress, and the view it last reported. :meth:`AgentState.view` decides the contract
state. Both have the JSON form the state file keeps. :class:`ConvertStats` counts what a
conversion emitted, ignored, could not match or could not read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_REPORTED", "AgentState", "ConvertStats", "Visit", "visits_from_json",
           "visits_to_json"]

MAX_REPORTED = 200  # malformed lines kept with their reason (all are counted)

View = tuple[str, tuple[str, ...], str]  # (state, queues, reason) as emitted


@dataclass(slots=True)
class Visit:
    since: float  # time of the last change (queued, answered)
    agent: str | None = None  # set once answered


def visits_to_json(visits: dict[tuple[str, str], Visit]) -> list[list[Any]]:
    return [[c, q, v.since, v.agent] for (c, q), v in visits.items()]


def visits_from_json(rows: list[list[Any]]) -> dict[tuple[str, str], Visit]:
    return {(str(c), str(q)): Visit(float(since), agent) for c, q, since, agent in rows}


@dataclass(slots=True)
class AgentState:
    queues: set[str] = field(default_factory=set)
    paused: set[str] = field(default_factory=set)
    paused_all: bool = False
    present: bool = False
    on_call: str | None = None  # the callid of the conversation in progress
    reason: str = ""
    last: View | None = None  # last emitted (state, queues, reason)

    def view(self) -> View:
        if not self.present:
            return ("offline", (), "")
        queues = tuple(sorted(self.queues))
        if self.on_call:
            return ("on_call", queues, "")
        if self.paused_all or (self.queues and self.queues <= self.paused):
            return ("not_ready", queues, self.reason)
        return ("available", tuple(sorted(self.queues - self.paused)), "")

    def to_json(self) -> dict[str, Any]:
        last = self.last
        return {"queues": sorted(self.queues), "paused": sorted(self.paused),
                "paused_all": self.paused_all, "present": self.present,
                "on_call": self.on_call, "reason": self.reason,
                "last": None if last is None else [last[0], list(last[1]), last[2]]}

    @classmethod
    def from_json(cls, a: dict[str, Any]) -> AgentState:
        return cls(set(a["queues"]), set(a["paused"]), bool(a["paused_all"]),
                   bool(a["present"]), a["on_call"], str(a["reason"]),
                   None if a["last"] is None else
                   (a["last"][0], tuple(a["last"][1]), a["last"][2]))


@dataclass
class ConvertStats:
    """What a conversion did, for the summary. Counters are by contract type or event name."""

    lines: int = 0  # lines read (blank and header lines included)
    records: int = 0  # lines parsed into records
    events: Counter[str] = field(default_factory=Counter)  # emitted, by contract type
    ignored: Counter[str] = field(default_factory=Counter)  # not mapped, by queue_log name
    unmatched: Counter[str] = field(default_factory=Counter)  # no matching visit, by name
    malformed: int = 0
    malformed_lines: list[tuple[int, str]] = field(default_factory=list)  # first MAX_REPORTED
    ring_no_answer_ms: int = 0
    restart_dequeued: int = 0  # waiting visits closed by QUEUESTART (call.dequeued, other)
    dropped_conversations: int = 0  # answered visits whose end was never logged
    expired: int = 0  # visits forgotten after max_open_s without news (nothing emitted)

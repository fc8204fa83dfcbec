"""Agents: each agent's history of states (any arrival order), and the agents by state per
segment as of an instant, kept up to date from the changes since the last count when the
instant is at or after every agent event (the live board). An agent's queue list creates no
segment: each history keeps the agent's queues, and the agent is counted under the name of
each (:meth:`Segments.for_agent`), so a segment a call creates later counts them."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable

from schemas import AGENT_STATES as CONTRACT_AGENT_STATES
from schemas import Event

from .clock import NEVER
from .segments import OTHER, Segments

__all__ = ["AGENT_STATES", "Agents", "zero_counts"]

# the agent states counted in a segment (the contract's, but "offline": not staffed)
AGENT_STATES = tuple(s for s in CONTRACT_AGENT_STATES if s != "offline")
# (ms, event id, state, queues): sorted, an agent's history applies its latest entry at t
Entry = tuple[int, str, str, tuple[str, ...]]
Group = tuple[str, tuple[str, ...]]  # (state, queues)


def zero_counts() -> dict[str, int]:
    """A segment's agents by state, plus ``staffed``, all zero."""
    return dict.fromkeys((*AGENT_STATES, "staffed"), 0)


def add_agents(out: dict[str, dict[str, int]], names: Iterable[str], state: str,
               n: int) -> None:
    """Count ``n`` agents in ``state`` in each segment of ``names``."""
    for name in names:
        counts = out.get(name)
        if counts is None:
            counts = out[name] = zero_counts()
        counts[state] += n
        if state != "not_ready":
            counts["staffed"] += n


class Agents:
    """The agents' histories and their counts per segment."""

    def __init__(self, segments: Segments, max_queues: int) -> None:
        self.segments = segments
        self.max_queues = max_queues
        self.histories: dict[str, list[Entry]] = {}
        # Agents by their latest entry, as (state, queues) -> count: the "now" block of any
        # instant at or after every agent event reads this instead of every history.
        self.groups: Counter[Group] = Counter()
        self.latest_ms = NEVER
        # What the last count counted, kept up to date from the changes since: agents per
        # segment (from ``groups``, group -> (count, segments)).
        self._counted: dict[Group, tuple[int, tuple[str, ...]]] = {}
        self._per_segment: dict[str, dict[str, int]] = {}
        self._epoch = segments.epoch  # the segments' epoch those counts were made in

    def apply(self, ev: Event, ms: int) -> str:
        """Apply an ``agent.state`` event at ``ms``."""
        history = self.histories.setdefault(ev.agent_id, [])  # type: ignore[arg-type]
        queues = ev.queues or ()
        limit = self.max_queues
        if len(queues) > limit:  # the excess counts the agent in ``other``
            self.segments.folded["agent_queues"] += len(queues) - limit
            queues = (*queues[:limit], OTHER)
        entry = (ms, ev.event_id, ev.state, queues)
        if not history or entry > history[-1]:
            if history:
                self.groups[history[-1][2:]] -= 1
            history.append(entry)  # type: ignore[arg-type]
            self.groups[entry[2:]] += 1  # type: ignore[index]
        else:
            bisect.insort(history, entry)  # type: ignore[arg-type]
        if ms > self.latest_ms:
            self.latest_ms = ms
        return "applied"

    def restore(self, agent_id: str, entries: list[Entry]) -> None:
        """Put back a saved history (sorted, as :meth:`apply` keeps it)."""
        self.histories[agent_id] = entries
        if entries:
            self.groups[entries[-1][2:]] += 1  # type: ignore[index]
            self.latest_ms = max(self.latest_ms, max(e[0] for e in entries))

    def prune(self, cutoff: int) -> None:
        """Forget the entries no instant from ``cutoff`` on can read (the latest before it
        stays)."""
        for history in self.histories.values():
            if len(history) > 1 and history[1][0] < cutoff:
                keep = bisect.bisect_left(history, (cutoff,))
                del history[:keep - 1]

    def as_of(self, t: int) -> dict[str, dict[str, int]]:
        """Agents by state per name of :meth:`Segments.for_agent` as of ``t`` (names with none
        left out): segments, and queues with no segment yet."""
        if t >= self.latest_ms:  # every agent's latest entry applies: count the groups
            return self._latest()
        per: Counter[Group] = Counter()
        for history in self.histories.values():
            i = bisect.bisect_right(history, (t, "\U0010ffff")) - 1
            if i >= 0:
                per[history[i][2:]] += 1  # type: ignore[index]
        out: dict[str, dict[str, int]] = {}
        for (state, queues), n in per.items():
            if state in AGENT_STATES:
                add_agents(out, self.segments.for_agent(queues), state, n)
        return out

    def _latest(self) -> dict[str, dict[str, int]]:
        """The agents by their latest entry: the counts of the last call plus the groups
        whose count changed since (a group keeps the segments it was counted in). When the
        segments' room filled since, queues without a segment moved to ``other``: recount."""
        if self._epoch != self.segments.epoch:
            self._epoch = self.segments.epoch
            self._counted, self._per_segment = {}, {}
        counted, per_segment = self._counted, self._per_segment
        for group, n in self.groups.items():
            old = counted.get(group)
            old_n = 0 if old is None else old[0]
            if n == old_n:
                continue
            names = self.segments.for_agent(group[1]) if old is None else old[1]
            counted[group] = (n, names)
            if group[0] in AGENT_STATES:
                add_agents(per_segment, names, group[0], n - old_n)
        return {name: dict(counts) for name, counts in per_segment.items()
                if counts["staffed"] or counts["not_ready"]}

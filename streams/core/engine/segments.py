"""Segments: which segments a visit or an agent belongs to (``all``, its queue or ``other``,
the configured selectors), the bounded room for queues of their own, and the cells, one per
group of a visit's segments that share the same per-segment settings.

Segments are created by traffic: a visit gives its queue a segment of its own (while there is
room); an agent's queue list alone creates none. An agent is counted under the name of each
queue it serves, so once a call creates that queue's segment the agents already known to serve
it count there; until then the count is kept under the name but no segment is shown."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from fnmatch import fnmatchcase

from ..config import ALL_SEGMENT, OTHER_SEGMENT, EngineSettings, SegmentPolicy
from .cells import Cell

__all__ = ["ALL", "CACHE_MAX", "OTHER", "Segments", "queue_room"]

ALL = ALL_SEGMENT
OTHER = OTHER_SEGMENT
# Lookup caches keyed by what events bring (queue and attribute values, agents' queue lists)
# are emptied when they reach this size: a stream of distinct names costs bounded memory.
CACHE_MAX = 65_536


def queue_room(settings: EngineSettings) -> int:
    """How many queues get a segment of their own: ``max_segments`` less ``all``, ``other``
    and the configured segments."""
    return settings.max_segments - 2 - len({seg.name for seg in settings.segments} - {ALL})


class Segments:
    """The segments seen so far, the visit and agent memberships, and the cells."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.configured = {seg.name: seg for seg in settings.segments}
        self.match_keys = tuple(sorted({k for seg in settings.segments for k, _ in seg.match}))
        self.cells: dict[tuple[tuple[str, ...], SegmentPolicy], Cell] = {}
        # (queue, attribute values) -> the visit's cells; agent's queues -> its segments
        self.membership: dict[tuple, tuple[Cell, ...]] = {}
        self.agent_membership: dict[tuple[str, ...], tuple[str, ...]] = {}
        # Queues with a segment of their own, first come first served, at most
        # max_segments - (all + other + configured); the rest fold into ``other``.
        self.queues: set[str] = set()
        self.room = queue_room(settings)
        self.other_used = False
        # Bumped when the room fills: the queues without a segment then fold into ``other``
        # for agents too, so agent memberships (and the counts made from them) are stale.
        self.epoch = 0
        self.folded: Counter[str] = Counter()  # "queue_events", "agent_queues"

    def own(self, queue: str) -> str | None:
        """The segment named for ``queue``: itself while there is room, else ``other``;
        ``None`` for a queue that a configured segment of the same name replaces."""
        if queue in self.queues:
            return queue
        if queue in self.configured:
            return None
        if queue != OTHER and len(self.queues) < self.room:
            self.queues.add(queue)
            if len(self.queues) >= self.room:
                self.epoch += 1
                self.agent_membership.clear()
            return queue
        self.other_used = True
        return OTHER

    def cells_for(self, queue: str, attrs: dict[str, str]) -> tuple[Cell, ...]:
        """The cells of a visit to ``queue`` by a call with ``attrs`` (decided at its start)."""
        key = (queue, tuple([attrs.get(k) for k in self.match_keys]) if attrs else ())
        cells = self.membership.get(key)
        if cells is not None:
            return cells
        if len(self.membership) >= CACHE_MAX:
            self.membership.clear()
        names = {ALL}
        own = self.own(queue)
        if own is not None:
            names.add(own)
        for seg in self.configured.values():
            if seg.name == ALL:
                continue
            if any(fnmatchcase(queue, g) for g in seg.queues) and all(
                    attrs.get(attr) in allowed for attr, allowed in seg.match):
                names.add(seg.name)
        groups: dict[SegmentPolicy, list[str]] = {}
        for name in sorted(names):
            groups.setdefault(self.settings.policy_for(name), []).append(name)
        cells = tuple(self.cell(tuple(group), policy) for policy, group in groups.items())
        self.membership[key] = cells
        return cells

    def cell(self, segments: tuple[str, ...], policy: SegmentPolicy) -> Cell:
        cell = self.cells.get((segments, policy))
        if cell is None:
            cell = self.cells[(segments, policy)] = Cell(segments, policy)
        return cell

    def agent_name(self, queue: str) -> str | None:
        """Where an agent serving ``queue`` is counted: the queue's segment, or its name while
        the queue has none (a call may create it: no room is taken), ``other`` once the room
        is full (its calls fold there), ``None`` for a queue a configured segment replaces."""
        if queue in self.queues:
            return queue
        if queue in self.configured:
            return None
        if queue == OTHER or len(self.queues) >= self.room:
            return OTHER
        return queue

    def for_agent(self, queues: tuple[str, ...]) -> tuple[str, ...]:
        """The names an agent taking ``queues`` is counted under (by queue globs only:
        attributes do not apply to agents): segments, and queues that have none yet."""
        names = self.agent_membership.get(queues)
        if names is None:
            if len(self.agent_membership) >= CACHE_MAX:
                self.agent_membership.clear()
            found = {ALL}
            for q in queues:
                name = self.agent_name(q)
                if name is not None:
                    found.add(name)
            for seg in self.configured.values():
                if seg.name == ALL or any(fnmatchcase(q, g) for q in queues for g in seg.queues):
                    found.add(seg.name)
            names = self.agent_membership[queues] = tuple(sorted(found))
        return names

    def names(self) -> list[str]:
        """Every segment: configured, ``all``, the queues of their own, ``other`` once used
        (all by visits)."""
        names = set(self.configured) | {ALL} | self.queues
        if self.other_used:
            names.add(OTHER)
        return sorted(names)

    def agents_only(self, counts: dict[str, dict[str, int]], names: Iterable[str]) -> list[str]:
        """Of the names agents are counted under (``counts``: name -> agents by state), those
        with no segment here (not in ``names``), at most ``room`` of them: a partial carries
        them so that a segment another engine created from calls counts these agents (the
        merge shows no name without calls). Past the room: the names counting the most
        agents, then by name."""
        only = sorted(set(counts).difference(names))
        if len(only) > self.room:
            only = sorted(sorted(only, key=lambda n: -(counts[n]["staffed"]
                                                         + counts[n]["not_ready"]))[:self.room])
        return only

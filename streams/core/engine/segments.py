"""Segments: which segments a visit or an agent belongs to (``all``, its queue or ``other``,
the configured selectors), the bounded room for queues of their own, and the cells, one per
group of a visit's segments that share the same per-segment settings."""

from __future__ import annotations

from collections import Counter
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

    def for_agent(self, queues: tuple[str, ...]) -> tuple[str, ...]:
        """The segments of an agent taking ``queues`` (by queue globs only: attributes do not
        apply to agents)."""
        names = self.agent_membership.get(queues)
        if names is None:
            if len(self.agent_membership) >= CACHE_MAX:
                self.agent_membership.clear()
            found = {ALL}
            for q in queues:
                own = self.own(q)
                if own is not None:
                    found.add(own)
            for seg in self.configured.values():
                if seg.name == ALL or any(fnmatchcase(q, g) for q in queues for g in seg.queues):
                    found.add(seg.name)
            names = self.agent_membership[queues] = tuple(sorted(found))
        return names

    def names(self) -> list[str]:
        """Every segment: configured, ``all``, the queues of their own, ``other`` once used."""
        names = set(self.configured) | {ALL} | self.queues
        if self.other_used:
            names.add(OTHER)
        return sorted(names)

"""The :class:`Engine` facade: builds the engine's state from the settings, applies events
(the hot path: deduplication, the event clock and maintenance, then the agent or the call),
and answers partials and snapshots; the rooms it binds in do the rest."""

from __future__ import annotations

from collections import Counter, deque

from schemas import Event

from ..config import EngineSettings
from .agents import Agents
from .calls import Call
from .cells import Cell
from .clock import FOREVER, MINUTE_MS, NEVER, Days, to_ms
from .dedup import Dedup
from .maintenance import MAINTAIN_EVERY_MS, Maintenance
from .merge import Partial, SegmentPart, SnapshotMerger, window_lengths
from .partial import SegmentSums, add_misses, now_block
from .segments import Segments
from .state import Checkpoint
from .totals import Totals
from .windows import rows_as_of

__all__ = ["Engine"]


class Engine(Maintenance, Checkpoint):
    """Applies validated events; builds the snapshot JSON of metrics.md as of any instant."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = s = settings or EngineSettings()
        self.windows: tuple[tuple[str, int], ...] = s.windows
        self._lateness_ms = to_ms(s.max_lateness_s)
        self._max_visit_ms = to_ms(s.max_visit_s)
        self._future_ms = to_ms(s.max_future_s)
        self._days = Days(s.tz)
        self._lengths = window_lengths(s)  # the windows' and the forecast's (1 h), ms
        # Everything a query at t >= watermark - max_future_s can touch, plus a minute.
        self._horizon_ms = max(self._lengths) + MINUTE_MS + self._future_ms + self._lateness_ms
        self._segments = Segments(s)
        self._agents = Agents(self._segments, s.max_queues_per_agent)
        self._dedup = Dedup()
        self._calls: dict[str, Call] = {}
        self._final_queue: deque[tuple[int, Call]] = deque()
        self._expiry_queue: deque[tuple[int, str]] = deque()
        # Calls that may have a visit waiting as of a supported instant (the "now" block
        # walks these only); pruned by now_block once every visit closed before that horizon.
        self._live: dict[str, Call] = {}
        # Calls that may have a visit with no outcome yet (the "now" block of an instant at or
        # after every event walks these only); pruned by now_block once none has.
        self._open: dict[str, Call] = {}
        self._newest = NEVER
        self._maintained = NEVER
        self._floor_minute = NEVER  # records before this minute count in their day only
        self._maintenances = 0
        self.outcomes: Counter[str] = Counter()
        # Final records per segment, never retracted (see Totals.add_call), and a copy as of
        # the last :meth:`to_bytes` (what a checkpoint holds).
        self._totals = Totals(s)
        self.saved_totals: dict[str, list[int]] = {}
        self._sums = SegmentSums()  # the column sums of the last partial, per segment
        self._merger = SnapshotMerger(s)

    # -- input -----------------------------------------------------------------------------
    def apply(self, ev: Event) -> str:
        """Apply one valid event; return what happened to it on arrival.

        ``outcomes`` keeps the current classification of every event (an outcome held on
        arrival becomes ``applied`` when its visit appears, or ``orphaned`` later), plus
        ``expired`` visits.
        """
        eid = ev.event_id
        dedup = self._dedup
        if eid in dedup.previous:
            self.outcomes["duplicate"] += 1
            return "duplicate"
        seen = dedup.current
        n_seen = len(seen)
        seen.add(eid)  # one hash probe: a duplicate leaves the set as it was
        if len(seen) == n_seen:
            self.outcomes["duplicate"] += 1
            return "duplicate"
        ms = round(ev.ts * 1000)  # to_ms, inlined
        if ms > self._newest:
            self._newest = ms
            if ms - self._maintained >= MAINTAIN_EVERY_MS:
                self._maintained = ms
                self._maintain()
        if ev.type == "agent.state":
            cls = self._agents.apply(ev, ms)
        else:
            cls = self._apply_call(ev, ms)
            queue, segments = ev.queue, self._segments
            if len(segments.queues) >= segments.room and queue not in segments.queues \
                    and queue not in segments.configured:
                segments.folded["queue_events"] += 1
        self.outcomes[cls] += 1
        return cls

    @property
    def newest_ms(self) -> int | None:
        """The newest event time applied (epoch ms), ``None`` before any event."""
        return None if self._newest == NEVER else self._newest

    @property
    def folded(self) -> Counter[str]:
        """What went to ``other`` past the limits: "queue_events", "agent_queues"."""
        return self._segments.folded

    @property
    def totals(self) -> dict[str, list[int]]:
        """Final records per segment (a copy): the nine counters and the two sums in slot
        order, the dequeued visits by DEQUEUE_REASONS, then the cumulative wait buckets of
        :func:`wait_bucket_edges_ms` for the segment's SL threshold."""
        return self._totals.rows()

    def segment_names(self) -> list[str]:
        return self._segments.names()

    # -- output --------------------------------------------------------------------------------
    def snapshot(self, as_of: float) -> dict:
        """The snapshot JSON of metrics.md as of ``as_of`` (epoch seconds, taken to the ms)."""
        part = self.partial(as_of)
        return self._merger.render([part], part.t)

    def partial(self, as_of: float) -> Partial:
        """This engine's mergeable share of the snapshot as of ``as_of``: per segment, the
        window aggregates (exact sums), the waiting callers and the agents; and the agents
        of queues with no segment here (no sums: the merge shows them only where another
        partial has calls).

        :meth:`SnapshotMerger.render` turns one or more partials (e.g. one per Kafka
        partition) into the snapshot; the figures are derived only after the merge, so the
        snapshot of the merged partials equals that of one engine fed every event.

        A cell's window sums are reused from the previous partial while no record of the cell
        changed and no record entered or left one of its windows (``Cell.window_cache``), so
        a partial costs O(cells whose sums changed) plus a look-up per cell."""
        t = to_ms(as_of)
        day_start = self._days.start_of(t)
        lengths = self._lengths
        rows = rows_as_of(self._segments.cells.values(), t, day_start, lengths)
        # As of an instant at or after every event, only the open calls can wait; before,
        # any call that may have waited as of a supported instant.
        fast = t >= self._newest
        earliest = FOREVER if fast else self._newest - self._lateness_ms - self._future_ms
        now, misses = now_block(self._open if fast else self._live, self._calls, t,
                                day_start, lengths, earliest, self._max_visit_ms)
        add_misses(rows, misses)  # callers still waiting past T: misses at q + T
        sums = self._sums.update(rows)
        agents = self._agents.as_of(t)
        segments: dict[str, SegmentPart] = {}
        names = self._segments.names()
        for name in names:
            seg_sums, seg_hists = sums.get(name) or (None, None)
            segments[name] = (seg_sums, seg_hists, now.get(name), agents.get(name))
        # agents of queues with no segment here: another engine's calls may have created it
        for name in self._segments.agents_only(agents, names):
            segments[name] = (None, None, None, agents[name])
        return Partial(t, day_start, segments)

    # -- for the tests that look inside ----------------------------------------------------------
    @property
    def _seen(self) -> set[str]:
        return self._dedup.current

    @property
    def _seen_old(self) -> set[str]:
        return self._dedup.previous

    @property
    def _membership(self) -> dict[tuple, tuple[Cell, ...]]:
        return self._segments.membership

    def _finalize(self, call: Call) -> None:
        """Add a final call's records to the totals (what dropping it does)."""
        self._totals.add_call(call)

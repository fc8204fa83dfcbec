"""The metrics core: the definitions of ``shared/spec/metrics.md``, implemented once.

Pure: no Kafka, Faust, Dash or HTTP imports, no wall clock. Events come in (any order within
``max_lateness_s``); ``snapshot(as_of)`` answers for any instant
``t >= newest - max_lateness_s - max_future_s``, reflecting exactly the events with ``ts <= t``.

How it is built (details in ``docs/metrics-engine.md``):

* **Calls.** Each call keeps its few events sorted by ``(ts, type rank, event_id)`` and the
  contributions it made. An event that arrives in order is applied incrementally; one that
  arrives out of order makes the call retract its contributions and replay its events in
  order, so any arrival order gives the in-order result. Outcomes with no visit yet are *held*
  and become *orphaned* once the lateness allowance has passed.
* **Visits** follow queued -> answered / abandoned / dequeued -> ended -> wrap-up; a visit
  still open ``max_visit_s`` after its start expires (counted, never abandoned).
* **Cells.** A visit belongs to segments (``all``, its queue, configured selectors). Segments
  of a visit that share the same per-segment settings share one *cell*, and each record
  (offered, answered with its wait, a service-level event, ...) is stored once per cell, in
  minute buckets of raw records (kept for the longest window plus the lateness/future margin)
  whose aggregates (two packed ints) are cached; older minutes fold into per-day totals for
  ``today``. Each cell keeps prefix sums over its minutes, so a window ``(t - L, t]`` takes
  its whole minutes in two look-ups and filters the two edge minutes record by record: its
  boundaries are exact to the millisecond and a snapshot costs O(cells x windows).
* **Service-level events** are records at their event time; a caller still waiting past
  ``T`` is a miss at ``q + T`` computed at snapshot time.

Times inside are integer milliseconds (exact sums, order-independent); the snapshot reports
seconds as floats.

The rooms, each importing only those above it: ``clock`` (event time), ``aggregates``
(records, packed aggregates), ``cells`` (minute buckets, prefix sums), ``windows`` (a cell's
window sums), ``segments``, ``agents``, ``dedup``, ``calls`` (the visit state machine),
``totals``, ``maintenance``, ``merge`` (partials and the snapshot), ``partial`` (the now
block, segment sums), ``state`` (save/restore), and ``engine`` (the :class:`Engine` facade).
"""

from schemas import DEQUEUE_REASONS

from .agents import AGENT_STATES
from .aggregates import wait_bin, wait_bin_floor_s
from .engine import Engine
from .merge import WINDOW_KEYS, Partial, SnapshotMerger, format_as_of
from .segments import ALL, OTHER
from .state import STATE_VERSION, StateError
from .totals import TOTALS_BUCKETS, WAIT_BUCKETS_S, wait_bucket_edges_ms

__all__ = ["AGENT_STATES", "ALL", "DEQUEUE_REASONS", "OTHER", "STATE_VERSION",
           "TOTALS_BUCKETS", "WAIT_BUCKETS_S", "WINDOW_KEYS", "Engine", "Partial",
           "SnapshotMerger", "StateError", "format_as_of", "wait_bin", "wait_bin_floor_s",
           "wait_bucket_edges_ms"]

"""The worker: consumes the contract topics, serves ``/metrics`` and the snapshot API.

A Faust application (process, signals, bounded shutdown, logging, service lifecycle) around
:class:`streams.core.partitions.Partitions` (docs/worker.md):

* **Consume path** (:mod:`streams.kafka_io`). One aiokafka consumer in the app's consumer
  group reads both input topics in batches; each input partition has its own engine, restored
  from its checkpoint in the compacted state topic when the partition is assigned, and
  checkpointed every ``worker.checkpoint_interval_s`` and when it is revoked. Every record is
  applied or dead-lettered (the processor never raises).
* **Snapshots off the consume path.** A publisher computes the snapshot at most once per
  ``worker.snapshot_interval_s`` in a worker thread while it holds the engine lock (the
  consume agents wait; the event loop, and so every HTTP request, goes on), then renders the
  JSON and the Prometheus text once. Every request is answered from those cached bytes, so
  its cost does not depend on the number of segments or on how many clients ask. After a
  long snapshot it waits at least as long again, so consumption always gets half the time.
* **Feed health.** A probe connects to the bootstrap servers every 2 s. ``/api/v1/health``
  says whether the broker is reachable, and the snapshot's ``feed`` block carries the age of
  the last consumed record, so a board can go STALE while the numbers freeze.
* **Bounded shutdown.** After SIGTERM or SIGINT the process exits within
  ``worker.shutdown_timeout_s`` whatever the broker does (offsets not committed by then are
  consumed again on restart; event ids make that idempotent).
* **HTTP** (``streams.http``): header-read and idle timeouts, answers from memory only.

The rooms: ``app`` (:func:`create_app`, the Faust app factory; :class:`WallboardWorker` and
:func:`run_worker`, the process), ``runtime`` (:class:`Runtime`: the partitions, the
publisher, the sender, the lifecycle), ``feed`` (the broker probe and the snapshot's feed
and freshness blocks) and ``endpoints`` (the HTTP views and the published snapshot they
serve).
"""

from .app import WallboardWorker, create_app, run_worker, state_dir
from .runtime import Runtime

__all__ = ["Runtime", "WallboardWorker", "create_app", "run_worker", "state_dir"]

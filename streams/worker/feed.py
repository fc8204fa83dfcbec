"""Feed health: whether the broker is reachable and how fresh the worker's input is.

:class:`Feed` is what the worker knows about its input (loop thread only). :class:`FeedHealth`
probes the bootstrap servers every ``PROBE_INTERVAL_S`` (logging when the broker goes away and
comes back) and builds the snapshot's ``feed`` block (records, age of the last one, broker
reachable) and its ``freshness`` block (per partition where it stands, and which partitions
are stale: their figures may be behind), so that a board can go STALE while the numbers
freeze. :func:`partition_stale` is the rule, pure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from infra.clients import connect_reason

from ..config import StreamSettings, WorkerSettings
from ..core.partitions import Partitions
from ..core.timefmt import rfc3339

__all__ = ["PROBE_INTERVAL_S", "Feed", "FeedHealth", "partition_stale"]

log = logging.getLogger("wallboard.worker")

PROBE_INTERVAL_S = 2.0


@dataclass
class Feed:
    """What the worker knows about its input, for health and staleness (loop thread only)."""

    started_at: float
    broker_reachable: bool | None = None  # None: not probed yet
    broker_checked_at: float | None = None
    broker_error: str | None = None
    unreachable_since: float | None = None


def partition_stale(row: Mapping[str, Any], worker: WorkerSettings, *, down_for_s: float,
                    uptime_s: float) -> bool:
    """Whether the figures of one ``Partitions.freshness`` row may be behind.

    * the broker unreachable for over ``worker.stale_partition_s``: every partition;
    * owned here: records waiting (lag > 0, or not known yet) and none read for
      ``stale_partition_s`` (a worker that started less long ago is not stale yet);
    * owned by another worker: its newest partial older than ``worker.partial_stale_s``
      (a few of its refreshes missed: the owner is gone, hung or cut off), whatever the lag;
    * owned by nobody (no partial at all): once the worker has run ``stale_partition_s``.
    """
    limit = worker.stale_partition_s
    if down_for_s > limit:
        return True
    if row["owner"] == "here":
        age, lag = row["last_record_age_s"], row["lag"]
        behind = lag is None or lag > 0
        return behind and (age is None or age > limit) and uptime_s > limit
    if row["owner"] is None:  # nobody published it: missing, never zero
        return uptime_s > limit
    age = row["partial_age_s"]
    return age is None or age > worker.partial_stale_s


class FeedHealth:
    """The broker probe and the ``feed`` and ``freshness`` blocks of the snapshot."""

    def __init__(self, settings: StreamSettings, clock: Callable[[], float],
                 partitions: Partitions) -> None:
        self.settings = settings
        self.clock = clock
        self.partitions = partitions
        self.feed = Feed(started_at=clock())

    def freshness_block(self, partitions: list[dict]) -> dict[str, Any]:
        """Per partition where it stands and whether it is stale (:func:`partition_stale`:
        its figures may be behind), and the list of the stale ones."""
        worker = self.settings.worker
        feed, now = self.feed, self.clock()
        down_for = (now - feed.unreachable_since if feed.broker_reachable is False
                    and feed.unreachable_since is not None else 0.0)
        stale = []
        for p in partitions:
            p["stale"] = partition_stale(p, worker, down_for_s=down_for,
                                         uptime_s=now - feed.started_at)
            if p["stale"]:
                stale.append(f"{p['topic']}/{p['partition']}")
            ms = p.pop("last_event_ms")
            p["last_event"] = None if ms is None else rfc3339(ms / 1000)
        watermark = self.partitions.watermark_ms()
        return {
            "clock": worker.clock,
            "watermark": None if watermark is None else rfc3339(watermark / 1000),
            "stale_after_s": worker.stale_partition_s,
            "partial_stale_after_s": worker.partial_stale_s,
            "stale_partitions": stale,
            "partitions": partitions,
        }

    def feed_block(self) -> dict[str, Any]:
        feed, now = self.feed, self.clock()
        last = self.partitions.last_record_at
        return {
            "records": self.partitions.records,
            "last_record_at": rfc3339(last) if last is not None else None,
            "last_record_age_s": round(now - last, 3) if last is not None else None,
            "broker_reachable": feed.broker_reachable,
        }

    async def probe_broker(self) -> bool:
        errors = []
        for server in self.settings.kafka.bootstrap.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)),
                                                   timeout=PROBE_INTERVAL_S)
            except (OSError, TimeoutError) as exc:
                errors.append(f"{server.strip()}: {connect_reason(exc)}")
                continue
            writer.close()
            reachable, error = True, None
            break
        else:
            reachable, error = False, "; ".join(errors)
        feed, now = self.feed, self.clock()
        if reachable and feed.broker_reachable is False:
            down = now - (feed.unreachable_since or now)
            log.warning("Kafka broker reachable again at %s after %.0f s",
                        self.settings.kafka.bootstrap, down)
        if not reachable and feed.broker_reachable is not False:
            feed.unreachable_since = now
            log.error("Kafka broker unreachable at %s (%s); serving the last figures, marked "
                      "stale", self.settings.kafka.bootstrap, error)
        feed.broker_reachable, feed.broker_error, feed.broker_checked_at = reachable, error, now
        return reachable

    async def run(self) -> None:
        """Probe every ``PROBE_INTERVAL_S`` until cancelled."""
        while True:
            try:
                await self.probe_broker()
            except Exception:  # noqa: BLE001
                log.exception("broker probe failed")
            await asyncio.sleep(PROBE_INTERVAL_S)

"""The pipeline-health families: what the worker says about itself.

Build info, records consumed and dead-lettered by topic (every topic and reason class from
0), the engine's classifications, the limits' folding, the freshness of each partition this
worker owns (lag, event time, checkpoint age), which partitions are stale (every one, whoever
owns it) and the worker's timings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)

from ..core.processor import DEAD_LETTER_OUTCOMES
from ..core.timefmt import parse_as_of
from .pipeline import PREFIX, Pipeline

__all__ = ["DEAD_LETTER_CLASSES", "ENGINE_OUTCOMES", "FOLDED_KINDS", "health_families"]

# outcomes of records that were dead-lettered (streams.core.processor), the "reason class":
# invalid, key (not keyed by its call_id/agent_id), tombstone, internal
DEAD_LETTER_CLASSES = DEAD_LETTER_OUTCOMES
# the engine's classifications of valid events (Engine.outcomes), always exported
ENGINE_OUTCOMES = ("applied", "held", "orphaned", "duplicate", "already_waiting",
                   "already_handled", "already_ended", "expired")
FOLDED_KINDS = ("queue_events", "agent_queues")


def health_families(snapshot: Mapping[str, Any], pipe: Pipeline) -> Iterator[Metric]:
    """The worker's own families: build, records consumed and dead-lettered, the engine's
    classifications, folding, then the freshness of each owned partition (whether each partition
    is stale: every one) and the timings."""
    p = PREFIX
    info = InfoMetricFamily(f"{p}_build", "The worker's build", labels=list(pipe.info))
    info.add_metric(list(pipe.info.values()), {})
    yield info
    events = CounterMetricFamily(f"{p}_events_consumed", "Records consumed by this process, "
                                 "by topic and outcome (applied, held, duplicate, ...; "
                                 "dead-lettered: invalid, key, tombstone, internal)",
                                 labels=["topic", "outcome"])
    dead = CounterMetricFamily(f"{p}_dead_letters", "Records this process sent to the "
                               "dead-letter topic, by reason class",
                               labels=["topic", "reason_class"])
    for (topic, outcome), n in sorted(pipe.counts.items()):
        if outcome not in DEAD_LETTER_CLASSES:
            events.add_metric([topic, outcome], n)
    for topic in sorted({t for t, _ in pipe.counts} | set(pipe.topics)):
        for cls in DEAD_LETTER_CLASSES:
            n = pipe.counts.get((topic, cls), 0)
            events.add_metric([topic, cls], n)
            dead.add_metric([topic, cls], n)
    yield events
    yield dead
    outcomes = GaugeMetricFamily(f"{p}_engine_classified_events", "Valid events by the "
                                 "engine's current classification (held: waiting for their "
                                 "visit; orphaned: never matched; expired: visits closed "
                                 "after max_visit_s); a gauge, it can go down",
                                 labels=["classification"])
    for outcome in sorted(set(ENGINE_OUTCOMES) | set(pipe.outcomes)):
        outcomes.add_metric([outcome], pipe.outcomes.get(outcome, 0))
    yield outcomes
    folded = CounterMetricFamily(f"{p}_folded", "Past a limit, folded into the 'other' "
                                 "segment: call events of queues beyond engine.max_segments "
                                 "(queue_events), queues of agent.state events beyond "
                                 "engine.max_queues_per_agent (agent_queues)",
                                 labels=["kind"])
    for kind in FOLDED_KINDS:
        folded.add_metric([kind], pipe.folded.get(kind, 0))
    yield folded
    yield from _partitions(snapshot, pipe)
    yield from _timings(pipe)


def _partitions(snapshot: Mapping[str, Any], pipe: Pipeline) -> Iterator[Metric]:
    """Lag, event time and checkpoint age of each partition this worker owns (another
    worker's partitions are its own to export), and how many are stale."""
    p = PREFIX
    pl = ["topic", "partition"]
    lag = GaugeMetricFamily(f"{p}_consumer_lag_records", "Records not consumed yet in each "
                            "partition this worker owns; absent until the end offset is "
                            "known", labels=pl)
    last = GaugeMetricFamily(f"{p}_last_event_timestamp_seconds", "Event time of the "
                             "newest event applied, per partition this worker owns; absent "
                             "before the first event", labels=pl)
    event_lag = GaugeMetricFamily(f"{p}_event_time_lag_seconds", "Wall clock minus the "
                                  "newest event time, per partition this worker owns; "
                                  "absent before the first event", labels=pl)
    ckpt = GaugeMetricFamily(f"{p}_checkpoint_age_seconds", "Age of the partition's last "
                             "checkpoint; absent before the first one", labels=pl)
    owned = GaugeMetricFamily(f"{p}_partition_owned", "1 for every input partition this "
                              "worker consumes", labels=pl)
    fresh = snapshot.get("freshness") or {}
    for part in fresh.get("partitions", []):
        if part.get("owner") != "here":
            continue  # another worker exports it: no double count
        lv = [part["topic"], str(part["partition"])]
        owned.add_metric(lv, 1)
        if part.get("lag") is not None:
            lag.add_metric(lv, part["lag"])
        last_event = parse_as_of(part.get("last_event"))
        if last_event is not None:
            last.add_metric(lv, last_event.timestamp())
            event_lag.add_metric(lv, max(0.0, pipe.now - last_event.timestamp()))
        if part.get("checkpoint_age_s") is not None:
            ckpt.add_metric(lv, part["checkpoint_age_s"])
    stale = GaugeMetricFamily(f"{p}_stale_partitions", "Partitions whose figures may be "
                              "behind (the snapshot's freshness.stale_partitions)")
    stale.add_metric([], len(fresh.get("stale_partitions", [])))
    yield from (lag, last, event_lag, ckpt, owned, stale, _stale_each(fresh))


def _stale_each(fresh: Mapping[str, Any]) -> Metric:
    """1 or 0 for every input partition, owned here or not: a crashed owner cannot say that
    its partitions stopped, the others can (so aggregate with ``max``, not ``sum``)."""
    family = GaugeMetricFamily(f"{PREFIX}_partition_stale", "1 when this worker's snapshot "
                               "marks the partition stale (its figures may be behind), else 0; "
                               "every input partition, whoever owns it: max by (topic, "
                               "partition) over the workers", labels=["topic", "partition"])
    names = set(fresh.get("stale_partitions", []))
    for part in fresh.get("partitions", []):
        name = f"{part['topic']}/{part['partition']}"
        family.add_metric([part["topic"], str(part["partition"])], int(name in names))
    return family


def _timings(pipe: Pipeline) -> Iterator[Metric]:
    """How long the last snapshot and partials took, the broker probe, the newest record."""
    p = PREFIX
    build = GaugeMetricFamily(f"{p}_snapshot_build_seconds", "Time to build and render "
                              "the last snapshot")
    build.add_metric([], pipe.snapshot_build_s or 0.0)
    publish = GaugeMetricFamily(f"{p}_partials_publish_seconds", "Time to publish the "
                                "previous snapshot's partials to Kafka; 0 before the first")
    publish.add_metric([], pipe.partials_publish_s or 0.0)
    broker = GaugeMetricFamily(f"{p}_broker_reachable", "1 when the last probe reached a "
                               "bootstrap server, 0 when not (and before the first probe)")
    broker.add_metric([], 1 if pipe.broker_reachable else 0)
    record_age = GaugeMetricFamily(f"{p}_last_record_age_seconds", "Wall-clock age of the "
                                   "newest record consumed; absent before the first")
    if pipe.last_record_age_s is not None:
        record_age.add_metric([], pipe.last_record_age_s)
    yield from (build, publish, broker, record_age)

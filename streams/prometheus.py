"""Prometheus exposition of the snapshot: a custom Collector that reads, never computes.

Every value comes from the engine's snapshot (metrics.md), the engines' checkpointed totals
and the worker's own counters, so ``/metrics`` and ``/api/v1/snapshot`` cannot disagree. The
worker renders it once per snapshot; a scrape is served from those bytes. Every metric, its
type, labels and help: docs/metrics.md.
"""

from __future__ import annotations

import platform
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from .core.engine import AGENT_STATES, DEQUEUE_REASONS, TOTALS_BUCKETS, wait_bucket_edges_ms

__all__ = ["PREFIX", "CheckpointedTotals", "MetricsRenderer", "Pipeline", "ProcessCounts",
           "WallboardCollector", "build_info"]

PREFIX = "callcenter"
# outcomes of records that were dead-lettered (streams.processor), the "reason class"
DEAD_LETTER_CLASSES = ("invalid", "tombstone", "internal")
# the engine's classifications of valid events (Engine.outcomes), always exported
ENGINE_OUTCOMES = ("applied", "held", "orphaned", "duplicate", "already_waiting",
                   "already_handled", "already_ended", "expired")
FOLDED_KINDS = ("queue_events", "agent_queues")

# window figure -> (metric name, help, scale); counts are gauges of the rolling window
_WINDOW_COUNTS = {
    "offered": ("offered_calls", "Queue visits offered (queued) in the window"),
    "answered": ("answered_calls", "Queue visits answered in the window"),
    "answered_in_sl": ("answered_in_sl_calls",
                       "Queue visits answered within the service-level threshold in the window"),
    "abandoned": ("abandoned_calls",
                  "Queue visits abandoned in the window (short abandons included)"),
    "short_abandoned": ("short_abandoned_calls",
                        "Queue visits abandoned before short_abandon_s in the window"),
    "dequeued": ("dequeued_calls",
                 "Queue visits that left unanswered and not abandoned in the window"),
    "handled": ("handled_calls", "Queue visits whose handling completed in the window"),
    "sl_met": ("service_level_met_calls", "Service-level events met in the window"),
    "sl_missed": ("service_level_missed_calls", "Service-level events missed in the window "
                  "(callers still waiting past T included)"),
}
_WINDOW_DERIVED = {
    "service_level": ("service_level_ratio",
                      "sl_met / (sl_met + sl_missed) in the window; absent when both are 0"),
    "asa_s": ("asa_seconds", "Mean wait of the visits answered in the window; absent when none"),
    "wait_p50_s": ("wait_p50_seconds", "Median wait of the visits answered in the window; "
                   "absent when none"),
    "wait_p90_s": ("wait_p90_seconds", "90th percentile wait of the visits answered in the "
                   "window; absent when none"),
    "aht_s": ("aht_seconds", "Mean handle time of the visits handled in the window; absent "
              "when none"),
    "abandon_rate": ("abandon_ratio", "(abandoned - short) / (answered + abandoned - short) "
                     "in the window; absent when the denominator is 0"),
}
# forecast key -> (metric name, help, factor)
_FORECAST = {
    "arrival_rate_per_min": ("arrival_rate_per_second", "Offered in 15 min / 900 s", 1 / 60),
    "aht_s": ("aht_seconds", "Handle time used: the AHT of 60 min, else default_aht_s", 1.0),
    "traffic_erlangs": ("traffic_erlangs", "Offered traffic A = arrival rate x AHT", 1.0),
    "overloaded": ("overloaded", "1 when staffed agents <= traffic (the queue is unstable)",
                   1.0),
    "p_wait": ("wait_probability_ratio", "Probability that a caller waits", 1.0),
    "service_level": ("service_level_ratio", "Service level with the staffed agents", 1.0),
    "asa_s": ("asa_seconds", "Mean wait with the staffed agents", 1.0),
    "occupancy": ("occupancy_ratio", "Traffic / staffed agents", 1.0),
    "agents_required": ("agents_required", "Smallest agent count meeting sl_target", 1.0),
}
# Engine.totals slot -> (counter name without _total, help)
_TOTALS = (
    (0, "calls_offered", "Queue visits offered (queued)"),
    (1, "calls_answered", "Queue visits answered"),
    (2, "calls_answered_in_sl", "Queue visits answered within the SL threshold"),
    (3, "calls_abandoned", "Queue visits abandoned (short abandons included)"),
    (4, "calls_short_abandoned", "Queue visits abandoned before short_abandon_s"),
    (6, "calls_handled", "Queue visits whose handling completed"),
    (7, "service_level_met", "Service-level events met"),
    (8, "service_level_missed", "Service-level events missed"),
)
_C_WAIT_MS, _C_HANDLE_MS, _N_SLOTS = 9, 10, 11
_FINAL = ("; final records only (calls the engine closed), as of the partition's last "
          "checkpoint; sum by (segment) over every worker is the global figure")


def build_info() -> dict[str, str]:
    """The labels of ``callcenter_build_info``."""
    try:
        version = metadata.version("cc-wallboard")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {"version": version, "python_version": platform.python_version()}


@dataclass(frozen=True)
class Pipeline:
    """What the worker knows about itself at one render (the snapshot's companion)."""

    now: float                                            # wall clock of the render
    counts: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (topic, outcome)
    outcomes: Mapping[str, int] = field(default_factory=dict)
    folded: Mapping[str, int] = field(default_factory=dict)
    # call-topic partition -> segment -> Engine.totals row (as of its last checkpoint)
    totals: Mapping[int, Mapping[str, list[int]]] = field(default_factory=dict)
    sl_threshold_ms: Mapping[str, int] = field(default_factory=dict)  # per segment
    configured: frozenset[str] = frozenset()              # names of configured segments
    topics: tuple[str, ...] = ()                          # input topics (series from 0)
    snapshot_build_s: float | None = None
    partials_publish_s: float | None = None
    broker_reachable: bool | None = None
    last_record_age_s: float | None = None
    info: Mapping[str, str] = field(default_factory=build_info)


class CheckpointedTotals:
    """The engines' totals as of each partition's last acknowledged checkpoint.

    ``Engine.to_bytes`` keeps a copy of its totals (``saved_totals``); when a partition's
    ``checkpoint_at`` changes (the checkpoint was written) that copy is adopted. A restarted
    worker or a partition's new owner restores exactly those totals, so the exported counters
    never go backwards. Call :meth:`update` while the engines are still (under the lock).
    One narrow case remains: a snapshot that first notices a written checkpoint only after
    the next one was already serialized (snapshots run about 20 times per checkpoint
    interval) adopts the newer totals before they are written.
    """

    def __init__(self) -> None:
        self._held: dict[Any, tuple[float | None, dict[str, list[int]]]] = {}

    def update(self, states: Mapping[Any, Any]) -> dict[Any, dict[str, list[int]]]:
        out = {}
        for tp, state in states.items():
            held = self._held.get(tp)
            if held is None or held[0] != state.checkpoint_at:
                held = self._held[tp] = (state.checkpoint_at,
                                         state.processor.engine.saved_totals)
            out[tp] = held[1]
        for tp in [tp for tp in self._held if tp not in states]:
            del self._held[tp]
        return out


class ProcessCounts:
    """Records consumed by this process, by ``(topic, outcome)``: a conventional counter that
    starts at 0 with the process and never goes down (Prometheus reads a restart as a reset).

    A partition's processor counts are restored from its checkpoint; this subtracts those
    restored counts (``PartitionState.restored_counts``, empty for a partition started
    without a checkpoint), so every record applied since the assignment counts, also those
    applied before the first render saw the partition. A partition that left keeps what it
    counted up to its revocation (its state is held until then). Only a partition assigned
    and revoked between two renders is never seen. Call :meth:`update` under the lock.
    """

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}     # tp -> its PartitionState, as of the last update
        self._retired: Counter = Counter()

    @staticmethod
    def _since_assignment(state: Any) -> Counter:
        base = state.restored_counts
        return Counter({key: n - base.get(key, 0) for key, n in state.processor.counts.items()})

    def update(self, states: Mapping[Any, Any]) -> dict[tuple[str, str], int]:
        for tp in [tp for tp, state in self._seen.items()
                   if states.get(tp) is not state]:  # revoked (or assigned anew since)
            self._retired.update(self._since_assignment(self._seen.pop(tp)))
        out = Counter(self._retired)
        for tp, state in states.items():
            self._seen[tp] = state
            out.update(self._since_assignment(state))
        return dict(out)


def _segment_type(name: str, configured: frozenset[str]) -> str:
    return "configured" if name in configured else "queue"


class _SegmentGauges:
    """The gauge families of the snapshot's segment figures (now, windows, forecast) for one
    label scheme: per segment (``segment``, ``segment_type``) under ``callcenter_``, or the
    whole center (the snapshot's ``all`` segment, no segment labels) under
    ``callcenter_center_``. One code path for both, so they cannot drift apart."""

    def __init__(self, prefix: str, labels: list[str], center: bool) -> None:
        def helptext(text: str) -> str:
            return f"Whole center: {text[0].lower()}{text[1:]}" if center else text

        def gauge(name: str, text: str, extra: tuple[str, ...] = ()) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"{prefix}_{name}", helptext(text),
                                     labels=[*labels, *extra])

        self.waiting = gauge("queue_waiting_calls", "Callers waiting now")
        self.oldest = gauge("queue_oldest_wait_seconds", "Wait of the longest-waiting caller "
                            "now; 0 when nobody waits")
        self.over = gauge("queue_waiting_over_sl_calls", "Callers waiting longer than the "
                          "service-level threshold now")
        self.agents = gauge("agents", "Agents by current state " + (
            "(an agent counts once)" if center
            else "(an agent counts in every segment of its queues)"), ("state",))
        self.staffed = gauge("agents_staffed", "Agents available, on a call or in after-call "
                             "work")
        self.counts = {k: gauge(f"window_{name}", f"{h} (rolling window gauge, the engine's "
                                "exact definition)", ("window",))
                       for k, (name, h) in _WINDOW_COUNTS.items()}
        self.derived = {k: gauge(f"window_{name}", h, ("window",))
                        for k, (name, h) in _WINDOW_DERIVED.items()}
        self.forecast = {k: gauge(f"forecast_{name}", f"{h} (Erlang C, ignores abandonment; "
                                  "absent when undefined)")
                         for k, (name, h, _) in _FORECAST.items()}

    def add(self, lv: list[str], body: Mapping[str, Any]) -> None:
        """The series of one snapshot segment, labelled ``lv``: 0 exported as 0, undefined
        (``None``) figures absent."""
        now = body.get("now") or {}
        self.waiting.add_metric(lv, now.get("waiting") or 0)
        self.oldest.add_metric(lv, now.get("oldest_wait_s") or 0.0)
        self.over.add_metric(lv, now.get("waiting_over_sl") or 0)
        by_state = now.get("agents") or {}
        for state in AGENT_STATES:
            self.agents.add_metric([*lv, state], by_state.get(state) or 0)
        self.staffed.add_metric(lv, by_state.get("staffed") or 0)
        for wname, figures in (body.get("windows") or {}).items():
            for key, family in self.counts.items():
                family.add_metric([*lv, wname], figures.get(key) or 0)
            for key, family in self.derived.items():
                if figures.get(key) is not None:
                    family.add_metric([*lv, wname], float(figures[key]))
        fc = body.get("forecast") or {}
        for key, family in self.forecast.items():
            if fc.get(key) is not None:
                factor = _FORECAST[key][2]
                value = float(fc[key])
                family.add_metric(lv, value if factor == 1 else round(value * factor, 9))

    def families(self) -> list[GaugeMetricFamily]:
        return [self.waiting, self.oldest, self.over, self.agents, self.staffed,
                *self.counts.values(), *self.derived.values(), *self.forecast.values()]


class WallboardCollector(Collector):
    """Yields every family from one published snapshot and its :class:`Pipeline`."""

    def __init__(self, snapshot: Mapping[str, Any], pipeline: Pipeline, *,
                 parts: tuple[str, ...] = ("gauges", "counters", "pipeline")) -> None:
        self._snap = snapshot
        self._pipe = pipeline
        self._parts = parts

    def collect(self) -> Iterator:
        if "gauges" in self._parts:
            yield from self._now_and_windows()
        if "counters" in self._parts:
            yield from self._counters()
        if "pipeline" in self._parts:
            yield from self._pipeline()

    # -- the snapshot -----------------------------------------------------------------------
    def _now_and_windows(self) -> Iterator:
        # The center-wide figures are families of their own, never a label value beside
        # their parts: a plain sum() over the segment series then never counts them twice.
        segments = _SegmentGauges(PREFIX, ["segment", "segment_type"], center=False)
        center = _SegmentGauges(f"{PREFIX}_center", [], center=True)
        configured = self._pipe.configured
        for seg, body in sorted(self._snap.get("segments", {}).items()):
            if seg == "all":
                center.add([], body)
            else:
                segments.add([seg, _segment_type(seg, configured)], body)
        yield from segments.families()
        yield from center.families()

    # -- monotonic counters per segment -----------------------------------------------------
    def _counters(self) -> Iterator:
        p, pipe = PREFIX, self._pipe
        labels = ["segment", "segment_type", "partition"]
        families = [(slot, CounterMetricFamily(f"{p}_{name}", h + _FINAL, labels=labels))
                    for slot, name, h in _TOTALS]
        dequeued = CounterMetricFamily(f"{p}_calls_dequeued", "Queue visits that left "
                                       "unanswered and not abandoned, by the event's reason"
                                       + _FINAL, labels=[*labels, "reason"])
        handle = CounterMetricFamily(f"{p}_calls_handle_seconds", "Sum of the handle times of "
                                     "handled visits" + _FINAL, labels=labels)
        waits = HistogramMetricFamily(f"{p}_calls_answered_wait_seconds", "Waits of answered "
                                      "visits; the segment's SL threshold is a bucket edge"
                                      + _FINAL, labels=labels)
        # Every segment of the snapshot in every owned partition, from 0: a counter's first
        # increment is then visible to increase() (a series born at 5 would hide those 5).
        names = set(self._snap.get("segments", {})) - {"all"}  # "all": left to PromQL
        for partition, segments in sorted(pipe.totals.items()):
            for seg in sorted(names | set(segments) - {"all"}):
                edges = wait_bucket_edges_ms(pipe.sl_threshold_ms.get(seg, 20_000))
                row = segments.get(seg) or [0] * (TOTALS_BUCKETS + len(edges))
                lv = [seg, _segment_type(seg, pipe.configured), str(partition)]
                for slot, family in families:
                    family.add_metric(lv, row[slot])
                for i, reason in enumerate(DEQUEUE_REASONS):
                    dequeued.add_metric([*lv, reason], row[_N_SLOTS + i])
                handle.add_metric(lv, row[_C_HANDLE_MS] / 1000)
                buckets = [(_le(edge), row[TOTALS_BUCKETS + i]) for i, edge in enumerate(edges)
                           if TOTALS_BUCKETS + i < len(row)]
                buckets.append(("+Inf", row[1]))
                waits.add_metric(lv, buckets, row[_C_WAIT_MS] / 1000)
        yield from (f for _, f in families)
        yield dequeued
        yield handle
        yield waits

    # -- pipeline health --------------------------------------------------------------------
    def _pipeline(self) -> Iterator:
        p, pipe = PREFIX, self._pipe
        info = InfoMetricFamily(f"{p}_build", "The worker's build", labels=list(pipe.info))
        info.add_metric(list(pipe.info.values()), {})
        yield info
        events = CounterMetricFamily(f"{p}_events_consumed", "Records consumed by this process, "
                                     "by topic and outcome (applied, held, duplicate, ...; "
                                     "dead-lettered: invalid, tombstone, internal)",
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
        yield from self._freshness()

    def _freshness(self) -> Iterator:
        p, pipe = PREFIX, self._pipe
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
        fresh = self._snap.get("freshness") or {}
        for part in fresh.get("partitions", []):
            if part.get("owner") != "here":
                continue  # another worker exports it: no double count
            lv = [part["topic"], str(part["partition"])]
            owned.add_metric(lv, 1)
            if part.get("lag") is not None:
                lag.add_metric(lv, part["lag"])
            if part.get("last_event"):
                ts = datetime.fromisoformat(part["last_event"].replace("Z", "+00:00"))
                last.add_metric(lv, ts.timestamp())
                event_lag.add_metric(lv, max(0.0, pipe.now - ts.timestamp()))
            if part.get("checkpoint_age_s") is not None:
                ckpt.add_metric(lv, part["checkpoint_age_s"])
        stale = GaugeMetricFamily(f"{p}_stale_partitions", "Partitions whose figures may be "
                                  "behind (the snapshot's freshness.stale_partitions)")
        stale.add_metric([], len(fresh.get("stale_partitions", [])))
        yield from (lag, last, event_lag, ckpt, owned, stale)
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


class MetricsRenderer:
    """Renders ``/metrics`` for one published snapshot, with the process and Python
    collectors. The per-segment counters change only when a checkpoint is adopted (every
    ``worker.checkpoint_interval_s``) but are most of the text (segments x partitions x 33
    series), so their text-format block is kept and reused while the adopted totals, the
    segments and their thresholds stay the same. OpenMetrics (asked for explicitly) is
    rendered whole."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._held: tuple = ()  # the totals objects of the key (kept alive: ids stay unique)
        self._text = b""

    def encode(self, snapshot: Mapping[str, Any], pipeline: Pipeline, accept: str) -> bytes:
        encoder, _ = choose_encoder(accept)
        registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        if encoder is not generate_latest:
            registry.register(WallboardCollector(snapshot, pipeline))
            return encoder(registry)
        registry.register(WallboardCollector(snapshot, pipeline, parts=("gauges", "pipeline")))
        return encoder(registry) + self._counters(snapshot, pipeline)

    def _counters(self, snapshot: Mapping[str, Any], pipeline: Pipeline) -> bytes:
        held = tuple(pipeline.totals.values())
        key = (tuple(pipeline.totals), tuple(id(t) for t in held),
               tuple(sorted(snapshot.get("segments", {}))), pipeline.configured,
               tuple(sorted(pipeline.sl_threshold_ms.items())))
        if key != self._key:
            registry = CollectorRegistry(auto_describe=False)
            registry.register(WallboardCollector(snapshot, pipeline, parts=("counters",)))
            self._key, self._held, self._text = key, held, generate_latest(registry)
        return self._text


def _le(edge_ms: int) -> str:
    s = edge_ms / 1000
    return f"{s:g}" if s != int(s) else f"{int(s)}.0"

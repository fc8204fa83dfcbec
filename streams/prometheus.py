"""Prometheus exposition of the snapshot: a custom Collector that reads, never computes.

Every value comes from the engine's snapshot (metrics.md) and the worker's own counters, so
``/metrics`` and ``/api/v1/snapshot`` cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["WallboardCollector"]

# window figure -> (metric name suffix, help); counts are gauges of the rolling window
_WINDOW_METRICS = {
    "offered": ("offered", "Queue visits offered (queued) in the window"),
    "answered": ("answered", "Queue visits answered in the window"),
    "answered_in_sl": ("answered_in_sl",
                       "Queue visits answered within the service-level threshold in the window"),
    "abandoned": ("abandoned", "Queue visits abandoned in the window (short abandons included)"),
    "short_abandoned": ("short_abandoned",
                        "Queue visits abandoned before short_abandon_s in the window"),
    "dequeued": ("dequeued", "Queue visits that left unanswered and not abandoned in the window"),
    "handled": ("handled", "Queue visits whose handling completed in the window"),
    "sl_met": ("sl_met", "Service-level events: met, in the window"),
    "sl_missed": ("sl_missed", "Service-level events: missed (callers still waiting past T "
                  "included), in the window"),
    "service_level": ("service_level", "sl_met / (sl_met + sl_missed); absent when no events"),
    "asa_s": ("asa_seconds", "Mean wait of the visits answered in the window"),
    "wait_p50_s": ("wait_p50_seconds", "Median wait of the visits answered in the window"),
    "wait_p90_s": ("wait_p90_seconds", "90th percentile wait of the visits answered"),
    "aht_s": ("aht_seconds", "Mean handle time of the visits handled in the window"),
    "abandon_rate": ("abandon_rate", "(abandoned - short) / (answered + abandoned - short)"),
}
_FORECAST_METRICS = {
    "arrival_rate_per_min": ("arrival_rate_per_minute", "Offered in 15 min / 15"),
    "aht_s": ("aht_seconds", "Handle time used: aht of 60 min, else default_aht_s"),
    "traffic_erlangs": ("traffic_erlangs", "Offered traffic A = arrival rate x AHT"),
    "overloaded": ("overloaded", "1 when staffed agents <= traffic (the queue is unstable)"),
    "p_wait": ("p_wait", "Erlang C probability that a caller waits"),
    "service_level": ("service_level", "Erlang C service level with the staffed agents"),
    "asa_s": ("asa_seconds", "Erlang C mean wait with the staffed agents"),
    "occupancy": ("occupancy", "traffic / staffed agents"),
    "agents_required": ("agents_required", "Smallest agent count meeting sl_target"),
}


class WallboardCollector(Collector):
    """Yields gauge families from ``snapshot()`` and counters from ``event_counts()``.

    ``event_counts`` maps ``(topic, outcome)`` to a running total, e.g.
    ``("cc.call-events", "applied")`` or ``("cc.call-events", "invalid")``.
    """

    def __init__(self, snapshot: Callable[[], dict],
                 event_counts: Callable[[], Mapping[tuple[str, str], int]],
                 engine_outcomes: Callable[[], Mapping[str, int]] | None = None, *,
                 folded: Callable[[], Mapping[str, int]] | None = None) -> None:
        self._snapshot = snapshot
        self._event_counts = event_counts
        self._engine_outcomes = engine_outcomes
        self._folded = folded

    def collect(self) -> Iterator:
        snap = self._snapshot()
        waiting = GaugeMetricFamily("cc_queue_waiting", "Callers waiting now", labels=["segment"])
        oldest = GaugeMetricFamily("cc_queue_oldest_wait_seconds",
                                   "Wait of the longest-waiting caller now (absent when none)",
                                   labels=["segment"])
        over = GaugeMetricFamily("cc_queue_waiting_over_sl",
                                 "Callers waiting longer than the service-level threshold",
                                 labels=["segment"])
        agents = GaugeMetricFamily("cc_agents", "Agents by current state",
                                   labels=["segment", "state"])
        windows = {k: GaugeMetricFamily(f"cc_window_{name}", h, labels=["segment", "window"])
                   for k, (name, h) in _WINDOW_METRICS.items()}
        forecast = {k: GaugeMetricFamily(f"cc_forecast_{name}", f"{h} (Erlang C, ignores "
                                         "abandonment)", labels=["segment"])
                    for k, (name, h) in _FORECAST_METRICS.items()}
        for seg, body in snap.get("segments", {}).items():
            now = body.get("now", {})
            waiting.add_metric([seg], now.get("waiting", 0))
            if now.get("oldest_wait_s") is not None:
                oldest.add_metric([seg], now["oldest_wait_s"])
            over.add_metric([seg], now.get("waiting_over_sl", 0))
            for state, n in now.get("agents", {}).items():
                agents.add_metric([seg, state], n)
            for wname, figures in body.get("windows", {}).items():
                for key, family in windows.items():
                    if figures.get(key) is not None:
                        family.add_metric([seg, wname], figures[key])
            for key, family in forecast.items():
                value = body.get("forecast", {}).get(key)
                if value is not None:
                    family.add_metric([seg], float(value))
        yield from (waiting, oldest, over, agents, *windows.values(), *forecast.values())
        events = CounterMetricFamily("cc_events", "Events consumed, by topic and outcome",
                                     labels=["topic", "outcome"])
        for (topic, outcome), n in sorted(self._event_counts().items()):
            events.add_metric([topic, outcome], n)
        yield events
        if self._engine_outcomes is not None:
            outcomes = GaugeMetricFamily(
                "cc_engine_events", "Valid events by what the engine made of them (held: "
                "waiting for their queue visit; orphaned: never matched; expired: visits "
                "closed after max_visit_s)", labels=["outcome"])
            for outcome, n in sorted(self._engine_outcomes().items()):
                if n:
                    outcomes.add_metric([outcome], n)
            yield outcomes
        if self._folded is not None:
            folded = CounterMetricFamily(
                "cc_folded", "Past a limit, folded into the 'other' segment: call events of "
                "queues beyond engine.max_segments (queue_events), queues of agent.state events "
                "beyond engine.max_queues_per_agent (agent_queues)", labels=["kind"])
            for kind in ("queue_events", "agent_queues"):
                folded.add_metric([kind], self._folded().get(kind, 0))
            yield folded

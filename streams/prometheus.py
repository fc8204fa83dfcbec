"""Prometheus exposition of the snapshot: a custom Collector that reads, never computes.

Every value comes from the engine's snapshot (metrics.md) and the worker's own counters, so
``/metrics`` and ``/api/v1/snapshot`` cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["WallboardCollector"]

_WINDOW_HELP = {
    "offered": "Queue visits offered (queued) in the window",
    "answered": "Queue visits answered in the window",
    "answered_in_sl": "Queue visits answered within the service-level threshold in the window",
    "abandoned": "Queue visits abandoned in the window (short abandons included)",
    "dequeued": "Queue visits that left unanswered and not abandoned in the window",
    "handled": "Queue visits whose handling completed in the window",
}


class WallboardCollector(Collector):
    """Yields gauge families from ``snapshot()`` and counters from ``event_counts()``.

    ``event_counts`` maps ``(topic, outcome)`` to a running total, e.g.
    ``("cc.call-events", "applied")`` or ``("cc.call-events", "invalid")``.
    """

    def __init__(self, snapshot: Callable[[], dict],
                 event_counts: Callable[[], Mapping[tuple[str, str], int]]) -> None:
        self._snapshot = snapshot
        self._event_counts = event_counts

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
        windows = {k: GaugeMetricFamily(f"cc_window_{k}", h, labels=["segment", "window"])
                   for k, h in _WINDOW_HELP.items()}
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
        yield from (waiting, oldest, over, agents, *windows.values())
        events = CounterMetricFamily("cc_events", "Events consumed, by topic and outcome",
                                     labels=["topic", "outcome"])
        for (topic, outcome), n in sorted(self._event_counts().items()):
            events.add_metric([topic, outcome], n)
        yield events

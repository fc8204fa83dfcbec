"""The gauge families of the snapshot's segment figures: now, the rolling windows and the
forecast, per segment (``segment``, ``segment_type``) and for the whole center.

One code path (:class:`SegmentGauges`) for both label schemes, so that they cannot drift
apart; 0 is exported as 0 and an undefined (``None``) figure is absent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric

from ..core.engine import AGENT_STATES
from .pipeline import PREFIX, Pipeline, segment_type

__all__ = ["SegmentGauges", "gauge_families"]

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


class SegmentGauges:
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


def gauge_families(snapshot: Mapping[str, Any], pipe: Pipeline) -> Iterator[Metric]:
    """The gauges of the snapshot's segments: one series per segment under ``callcenter_``,
    the whole center (the ``all`` segment) under ``callcenter_center_``."""
    # The center-wide figures are families of their own, never a label value beside
    # their parts: a plain sum() over the segment series then never counts them twice.
    segments = SegmentGauges(PREFIX, ["segment", "segment_type"], center=False)
    center = SegmentGauges(f"{PREFIX}_center", [], center=True)
    configured = pipe.configured
    for seg, body in sorted(snapshot.get("segments", {}).items()):
        if seg == "all":
            center.add([], body)
        else:
            segments.add([seg, segment_type(seg, configured)], body)
    yield from segments.families()
    yield from center.families()

"""The Grafana dashboard, built with Grafana's own typed builders (grafana-foundation-sdk,
generated from Grafana's dashboard schema), written to prometheus/grafana/callcenter.json.

    .venv/bin/python prometheus/grafana_dashboard.py     # rewrites the JSON

tests/unit/prometheus/test_grafana_dashboard.py checks that the committed JSON is exactly this
output, that it parses back through the schema's models, and that every query is valid PromQL
over metrics /metrics really exports.
"""

from __future__ import annotations

import json
from pathlib import Path

from grafana_foundation_sdk.builders import common, prometheus, stat, timeseries
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh

OUT = Path(__file__).resolve().parent / "grafana" / "callcenter.json"
DS = DataSourceRef(type_val="prometheus", uid="${datasource}")
SEG = 'segment=~"$segment"'

# (row, [(title, unit, [(expr, legend)], kind)])
PANELS: list[tuple[str, list[tuple[str, str, list[tuple[str, str]], str]]]] = [
    # The whole center: the callcenter_center_* families (the engine's "all" segment; every
    # worker exports the same figures, so max() folds the workers together).
    ("Whole center", [
        ("Center service level, 15 min (from the counters)", "percentunit",
         [("callcenter:callcenter_service_level:ratio_rate15m", "center")], "stat"),
        ("Center service level, 15 min (engine window)", "percentunit",
         [('max(callcenter_center_window_service_level_ratio{window="15m"})', "center")],
         "stat"),
        ("Center callers waiting", "short",
         [("max(callcenter_center_queue_waiting_calls)", "waiting"),
          ("max(callcenter_center_queue_waiting_over_sl_calls)", "waiting past T")],
         "timeseries"),
        ("Center oldest wait", "s",
         [("max(callcenter_center_queue_oldest_wait_seconds)", "oldest wait")], "timeseries"),
        ("Center agents by state", "short",
         [("max by (state) (callcenter_center_agents)", "{{state}}")], "timeseries"),
        ("Center staffed vs required (Erlang C)", "short",
         [("max(callcenter_center_agents_staffed)", "staffed"),
          ("max(callcenter_center_forecast_agents_required)", "required")], "timeseries"),
    ]),
    ("Service level", [
        ("Service level, 15 min (from the counters)", "percentunit",
         [(f"segment:callcenter_service_level:ratio_rate15m{{{SEG}}}", "{{segment}}")],
         "timeseries"),
        ("Service level, 15 min (engine window)", "percentunit",
         [(f'max by (segment) (callcenter_window_service_level_ratio{{window="15m",{SEG}}})',
           "{{segment}}")],
         "timeseries"),
        ("Abandon ratio, 15 min", "percentunit",
         [(f"segment:callcenter_abandon:ratio_rate15m{{{SEG}}}", "{{segment}}")],
         "timeseries"),
    ]),
    # Per segment: every worker serves the global snapshot, so each exports the same gauge
    # series (with its own instance label); max by (segment) folds the workers together.
    ("Waits", [
        ("Callers waiting", "short",
         [(f"max by (segment) (callcenter_queue_waiting_calls{{{SEG}}})", "{{segment}}")],
         "timeseries"),
        ("Oldest wait", "s",
         [(f"max by (segment) (callcenter_queue_oldest_wait_seconds{{{SEG}}})",
           "{{segment}}")], "timeseries"),
        ("Answered wait p90, 15 min (histogram)", "s",
         [("histogram_quantile(0.9, sum by (segment, le) "
           f"(rate(callcenter_calls_answered_wait_seconds_bucket{{{SEG}}}[15m])))",
           "{{segment}}")], "timeseries"),
    ]),
    ("Volumes", [
        ("Offered per second, 5 min", "reqps",
         [(f"segment:callcenter_calls_offered:rate5m{{{SEG}}}", "{{segment}}")],
         "timeseries"),
        ("Answered and abandoned, 15 min", "short",
         [(f"sum by (segment) (increase(callcenter_calls_answered_total{{{SEG}}}[15m]))",
           "answered {{segment}}"),
          (f"sum by (segment) (increase(callcenter_calls_abandoned_total{{{SEG}}}[15m]))",
           "abandoned {{segment}}")], "timeseries"),
        ("Dequeued by reason, 1 h", "short",
         [(f"sum by (reason) (increase(callcenter_calls_dequeued_total{{{SEG}}}[1h]))",
           "{{reason}}")], "timeseries"),
    ]),
    ("Agents", [
        ("Agents by state", "short",
         [(f"max by (segment, state) (callcenter_agents{{{SEG}}})", "{{segment}} {{state}}")],
         "timeseries"),
        ("Staffed vs required (Erlang C)", "short",
         [(f"max by (segment) (callcenter_agents_staffed{{{SEG}}})", "staffed {{segment}}"),
          (f"max by (segment) (callcenter_forecast_agents_required{{{SEG}}})",
           "required {{segment}}")],
         "timeseries"),
    ]),
    ("Pipeline health", [
        ("Workers up", "short", [('sum(up{job="callcenter-worker"})', "up")], "stat"),
        ("Consumer lag", "short",
         [("sum by (topic) (callcenter_consumer_lag_records)", "{{topic}}")], "timeseries"),
        ("Event-time lag", "s",
         [("max by (topic) (callcenter_event_time_lag_seconds)", "{{topic}}")],
         "timeseries"),
        ("Checkpoint age", "s",
         [("max by (instance) (callcenter_checkpoint_age_seconds)", "{{instance}}")],
         "timeseries"),
        ("Events consumed per second", "reqps",
         [("sum by (outcome) (rate(callcenter_events_consumed_total[5m]))", "{{outcome}}")],
         "timeseries"),
        ("Dead letters, 10 min", "short",
         [("sum by (reason_class) (increase(callcenter_dead_letters_total[10m]))",
           "{{reason_class}}")], "timeseries"),
        ("Snapshot build and partials publish", "s",
         [("max by (instance) (callcenter_snapshot_build_seconds)", "build {{instance}}"),
          ("max by (instance) (callcenter_partials_publish_seconds)",
           "publish {{instance}}")], "timeseries"),
        ("Worker memory", "bytes",
         [('process_resident_memory_bytes{job="callcenter-worker"}', "{{instance}}")],
         "timeseries"),
    ]),
]


def build() -> dict:
    board = (dash.Dashboard("Call center")
             .uid("callcenter")
             .tags(["callcenter", "cc-wallboard"])
             .description("The whole center, per-segment service level, waits, volumes, "
                          "agents and the worker's pipeline health (docs/metrics.md)")
             .refresh("30s")
             .time("now-6h", "now")
             .timezone("browser")
             .with_variable(dash.DatasourceVariable("datasource").label("Prometheus")
                            .type("prometheus"))
             .with_variable(dash.QueryVariable("segment").label("Segment").datasource(DS)
                            .query("label_values(callcenter_queue_waiting_calls, segment)")
                            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
                            .multi(True).include_all(True).all_value(".*")))
    ids = iter(range(1, 1000))
    for row, panels in PANELS:
        board = board.with_row(dash.Row(row).id(next(ids)))
        for title, unit, queries, kind in panels:
            if kind == "timeseries":
                panel = timeseries.Panel().legend(
                    common.VizLegendOptions().show_legend(True)
                    .display_mode(common_models.LegendDisplayMode.LIST)
                    .placement(common_models.LegendPlacement.BOTTOM))
            else:
                panel = stat.Panel().reduce_options(
                    common.ReduceDataOptions().calcs(["lastNotNull"]))
            panel = panel.id(next(ids)).title(title).unit(unit).datasource(DS).height(8).span(8)
            for i, (expr, legend) in enumerate(queries):
                panel = panel.with_target(prometheus.Dataquery().expr(expr)
                                          .legend_format(legend).ref_id("ABCDEFGH"[i]))
            board = board.with_panel(panel)
    return json.loads(json.dumps(board.build(), cls=JSONEncoder))


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")

"""prometheus/grafana_dashboard.py: the committed dashboard is its output, valid for
Grafana's schema, and queries only what /metrics and the recording rules export."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from streams.prometheus import Pipeline
from tests.support import require_tool
from tests.unit.prometheus.support import ALL_RULES, ROOT
from tests.unit.streams.prometheus.support import fed_engine, registry


def _exported_names() -> set[str]:
    engine = fed_engine()
    engine.to_bytes()
    snap = engine.snapshot(engine.newest_ms / 1000)
    snap["freshness"] = {"partitions": [{"topic": "t", "partition": 0, "owner": "here",
                                         "lag": 0, "last_event": "2026-11-22T01:00:00Z",
                                         "checkpoint_age_s": 1.0}], "stale_partitions": []}
    pipe = Pipeline(now=0.0, totals={0: engine.saved_totals}, last_record_age_s=1.0,
                    counts={("t", "applied"): 1})
    text = generate_latest(registry(snap, pipe)).decode()
    names = {s.name for f in text_string_to_metric_families(text) for s in f.samples}
    return names | {r["record"] for r in ALL_RULES if "record" in r}


def _queries(board: dict) -> list[str]:
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def test_the_dashboard_is_grafanas_schema_output_and_queries_what_we_export() -> None:
    sys.path.insert(0, str(ROOT / "prometheus"))
    try:
        import grafana_dashboard
    finally:
        sys.path.remove(str(ROOT / "prometheus"))
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models.dashboard import Dashboard

    committed = (ROOT / "prometheus" / "grafana" / "callcenter.json").read_text()
    assert committed == grafana_dashboard.render(), "run prometheus/grafana_dashboard.py"
    board = json.loads(committed)
    assert json.loads(json.dumps(Dashboard.from_json(board), cls=JSONEncoder)) == board
    exprs = _queries(board)
    assert len(exprs) >= 20
    titles = " ".join(p["title"] for p in board["panels"]).lower()
    for word in ("service level", "wait", "offered", "agents", "consumer lag", "dead letters"):
        assert word in titles, word
    exported = _exported_names() | {"up"}
    for expr in exprs:
        for name in re.findall(r"\b(?:callcenter_\w+|segment:\w+:\w+|callcenter:\w+:\w+|"
                               r"process_\w+)", expr):
            assert name in exported or name.startswith("process_"), (name, expr)


def test_every_dashboard_query_is_valid_promql(tmp_path) -> None:
    """promtool parses each panel's query as a recording rule."""
    promtool = require_tool("promtool")
    board = json.loads((ROOT / "prometheus" / "grafana" / "callcenter.json").read_text())
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:q{i}", "expr": e.replace("$segment", ".*")}
        for i, e in enumerate(_queries(board))]}]}
    (tmp_path / "q.yml").write_text(yaml.safe_dump(rules))
    result = subprocess.run([promtool, "check", "rules", str(tmp_path / "q.yml")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr

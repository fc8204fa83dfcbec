"""``wallboard alerts backtest`` end to end on a small simulated file; usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from streams.adapters.simulator import Simulator, Surge, default_models
from wallboard.cli import main

ROOT = Path(__file__).resolve().parents[3]


def _events(path: Path, surge: bool) -> float:
    start = 1_795_168_800.0  # 2026-11-20T10:00:00Z
    sim = Simulator(default_models(1.0), start=start, seed=5, tz="UTC",
                    surge=Surge("sales", start + 5400, 1200, 4.0) if surge else None)
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in sim.run(start + 7200)))
    return start + 5400


def test_backtest_prints_incidents_and_a_summary(tmp_path, capsys):
    events = tmp_path / "e.jsonl"
    surge_at = _events(events, surge=True)
    rules = tmp_path / "rules.toml"
    rules.write_text("""
[alerts.rules.surge]
kind = "surge"
segments = ["sales"]
p_warning = 1e-7
min_count = 12
for = "30s"
""")
    assert main(["alerts", "backtest", "--events", str(events), "--rules", str(rules),
                 "--every", "30s", "--warmup", "1h", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (incident,) = out["incidents"]
    assert incident["segment"] == "sales" and 0 < incident["start"] - surge_at <= 600
    assert out["summary"]["surge"]["pages"] >= 1
    assert main(["alerts", "backtest", "--events", str(events), "--rules", str(rules),
                 "--every", "30s", "--warmup", "1h"]) == 0
    text = capsys.readouterr().out
    assert "surge" in text and "sales" in text and "per rule:" in text


def test_backtest_usage_errors(tmp_path, capsys):
    assert main(["alerts", "backtest", "--events", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    events = tmp_path / "e.jsonl"
    events.write_text("")
    assert main(["alerts", "backtest", "--events", str(events)]) == 2
    assert "no rules" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('[alerts.rules.x]\nfigure = "now.waiting"\nabove = 1\nfor = "later"\n')
    assert main(["alerts", "backtest", "--events", str(events), "--rules", str(bad)]) == 2
    assert "alerts.rules.x.for: expected a duration" in capsys.readouterr().err

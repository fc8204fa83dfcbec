"""prometheus/rules.yml: promtool's rule tests pass, every rule has a test that sees it
produce something, and every alert has its severity, summary and runbook section."""

from __future__ import annotations

import re
import subprocess

from tests.support import require_tool
from tests.unit.prometheus.support import ALL_RULES, ROOT, RULE_TESTS


def test_promtool_rule_tests_pass() -> None:
    result = subprocess.run([require_tool("promtool"), "test", "rules", "rules.test.yml"],
                            cwd=ROOT / "prometheus", capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_rule_has_a_test_that_sees_it_produce_something() -> None:
    exprs = [t["expr"] for case in RULE_TESTS["tests"]
             for t in case.get("promql_expr_test", []) if t.get("exp_samples")]
    firing = {t["alertname"] for case in RULE_TESTS["tests"]
              for t in case.get("alert_rule_test", []) if t.get("exp_alerts")}
    quiet = {t["alertname"] for case in RULE_TESTS["tests"]
             for t in case.get("alert_rule_test", []) if not t.get("exp_alerts")}
    for rule in ALL_RULES:
        if "record" in rule:
            assert any(rule["record"] in e for e in exprs), rule["record"]
        else:
            assert rule["alert"] in firing, rule["alert"]
    assert {"CallcenterServiceLevelLow", "CallcenterConsumerLagGrowing"} <= quiet


def test_every_alert_has_for_severity_summary_and_a_runbook_section() -> None:
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    anchors = {"#" + re.sub(r"[^a-z0-9 -]", "", line[3:].strip().lower()).replace(" ", "-")
               for line in runbook.splitlines() if line.startswith("## ")}
    alerts = [r for r in ALL_RULES if "alert" in r]
    assert {a["alert"] for a in alerts} >= {
        "CallcenterServiceLevelLow", "CallcenterOldestWaitHigh", "CallcenterFeedStalled",
        "CallcenterConsumerLagGrowing", "CallcenterWorkerDown", "CallcenterDeadLettersRising"}
    for alert in alerts:
        assert alert["for"] and alert["labels"]["severity"] in {"warning", "critical"}
        assert alert["annotations"]["summary"]
        link = alert["annotations"]["runbook_url"]
        assert link.startswith("docs/runbook.md#"), link
        assert link.removeprefix("docs/runbook.md") in anchors, link

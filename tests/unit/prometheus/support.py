"""The files of ``prometheus/`` the tests read: the rules and their promtool tests."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
RULES = yaml.safe_load((ROOT / "prometheus" / "rules.yml").read_text())
RULE_TESTS = yaml.safe_load((ROOT / "prometheus" / "rules.test.yml").read_text())
ALL_RULES = [rule for group in RULES["groups"] for rule in group["rules"]]

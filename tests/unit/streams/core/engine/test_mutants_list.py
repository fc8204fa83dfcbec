"""``scripts/mutants.py`` stays in step with the code: every mutant's text is in the engine
exactly once, so a refactor that moves it fails here, in the ordinary test run, and not only
when the mutation check runs (which reports it as stale)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[5]


def _mutants():
    name = "wallboard_scripts_mutants"
    if name not in sys.modules:  # a dataclass needs its module registered
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "mutants.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_every_mutant_applies_to_the_code_exactly_once():
    module = _mutants()
    names = [mu.name for mu in module.MUTANTS]
    assert len(names) == len(set(names)) >= 30
    for mutant in module.MUTANTS:
        texts: dict[str, str] = {}
        for rel, old, new in mutant.edits:
            text = texts.get(rel) or (ROOT / rel).read_text(encoding="utf-8")
            assert text.count(old) == 1, (mutant.name, rel, old)
            assert old != new
            texts[rel] = text.replace(old, new)


def test_the_first_tests_exist_and_the_golden_digests_are_left_out():
    module = _mutants()
    for path in module.FIRST:
        assert (ROOT / path).is_file(), path
    assert not any("golden" in arg for arg in (*module.FIRST, *module.THEN))

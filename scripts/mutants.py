"""Mutation check of the metrics engine: do the tests catch a wrong definition?

Each mutant is one small change of the engine (a boundary, a window, a comparison) that
metrics.md would call a bug. The script copies the repository's packages and tests to a
temporary directory (the working tree is never touched, so it can run while others edit it),
checks that the unchanged copy passes, then applies the mutants one at a time and runs the
engine's tests on the copy with ``PYTHONPATH`` pointing there, stopping at the first failure.
A mutant is *killed* when a test fails, *survived* when every test passes. The golden digests
of ``test_compute_golden.py`` are left out on purpose: they are pinned from the engine's own
output, so they would catch a mutant without saying which definition it broke.

    .venv/bin/python scripts/mutants.py            # every mutant; exit 1 if one survives
    .venv/bin/python scripts/mutants.py --list     # the mutants, applied to nothing
    .venv/bin/python scripts/mutants.py -k expiry  # the mutants whose name has "expiry"

A mutant whose text is no longer in the code (after a refactor) is reported as *stale* and
fails the run too: update its text here. See docs/metrics-engine.md ("Tests that catch a
wrong definition").
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("streams", "schemas", "tests", "infra", "wallboard", "dashboard", "alerts",
          "prometheus")
ENGINE_TESTS = "tests/unit/streams/core/engine"
# First the hand-worked rules of metrics.md (most mutants die there in a second or two), then
# the rest of the engine's tests; pytest would run overlapping arguments in tree order.
FIRST = tuple(f"{ENGINE_TESTS}/{name}.py" for name in (
    "test_spec_windows", "test_spec_counters", "test_spec_now", "test_spec_forecast",
    "test_spec_expiry", "test_segments_from_traffic", "test_engine_metrics_example")) + (
    "tests/unit/streams/core/test_erlang.py",)
# (test_mutants_list.py checks this list against the unchanged code: not for a mutant)
THEN = (ENGINE_TESTS, "tests/unit/streams/core/test_compute.py",
        *(f"--ignore={path}" for path in (*FIRST, f"{ENGINE_TESTS}/test_mutants_list.py")))
REFERENCE = "data/real/erlang_c_reference.csv"
TIMEOUT_S = 600

ENGINE = "streams/core/engine/"
CALLS, WINDOWS, PARTIAL, MERGE = (ENGINE + n for n in ("calls.py", "windows.py", "partial.py",
                                                       "merge.py"))


@dataclass(frozen=True)
class Mutant:
    name: str
    edits: tuple[tuple[str, str, str], ...]  # (file, text, replacement): text occurs once


def m(name: str, path: str, old: str, new: str, *more: tuple[str, str, str]) -> Mutant:
    return Mutant(name, ((path, old, new), *more))


MUTANTS = (
    m("window open start: t - L included", WINDOWS,
      "else t - length\n", "else t - length - 1\n"),
    m("window closed end: t excluded", WINDOWS,
      "bucket.upto(t)", "bucket.upto(t - 1)"),
    m("today start after midnight (recent minutes)", WINDOWS,
      "lo = day_start - 1 if length is None", "lo = day_start if length is None"),
    m("today start after midnight (folded days)", ENGINE + "cells.py",
      "day = days.start_of(minute * MINUTE_MS)", "day = days.start_of(minute * MINUTE_MS - 1)"),
    m("SL: answered at exactly T is a miss", CALLS,
      'if outcome == "answered":\n            if wait <= t_ms:',
      'if outcome == "answered":\n            if wait < t_ms:'),
    m("SL: abandon at exactly T is a miss at q + T", CALLS,
      "ABANDONED, 0, emit)\n            if wait > t_ms:",
      "ABANDONED, 0, emit)\n            if wait >= t_ms:"),
    m("SL: dequeue at exactly T is a miss", CALLS,
      "DEQUEUED, 0, emit)\n            if wait > t_ms:",
      "DEQUEUED, 0, emit)\n            if wait >= t_ms:"),
    m("short abandon: wait <= short_abandon_s", CALLS,
      "if wait < cell.short_abandon_ms:", "if wait <= cell.short_abandon_ms:"),
    m("abandon policy positive counts a miss", CALLS,
      '== "positive":\n                self._contribute(call, cell, ms, SL_MET',
      '== "positive":\n                self._contribute(call, cell, ms, SL_MISSED'),
    m("answered-miss time: at a, not q + T", CALLS,
      "ANSWERED, wait, emit)\n                self._contribute(call, cell, visit.queued_ms + t_ms,",
      "ANSWERED, wait, emit)\n                self._contribute(call, cell, ms,"),
    m("handled at the answer, not at c", CALLS,
      "self._contribute(call, cell, ms, HANDLED, talk, emit)",
      "self._contribute(call, cell, visit.answered_ms, HANDLED, talk, emit)"),
    m("expiry boundary: >= max_visit_s expires", CALLS,
      "queued_ms > self._max_visit_ms", "queued_ms >= self._max_visit_ms",
      (CALLS, "now_ms - v.queued_ms > limit", "now_ms - v.queued_ms >= limit")),
    m("expiry boundary: nobody waits at exactly max_visit_s", PARTIAL,
      "bisect.bisect_left(open_qs, t - limit)", "bisect.bisect_right(open_qs, t - limit)"),
    m("talk without end never finalised (the old finalize check)", CALLS,
      "            self._final_queue.append((ms, call))\n            return cls",
      '            if cls != "applied" or not (ev.type == "call.answered" or (\n'
      '                    ev.type == "call.ended" and ev.acw)):\n'
      "                self._final_queue.append((ms, call))\n            return cls"),
    m("still-waiting miss from after q + T", PARTIAL,
      "bisect.bisect_right(open_qs, t - t_ms)", "bisect.bisect_left(open_qs, t - t_ms)"),
    m("over SL: t - q >= T", PARTIAL,
      "bisect.bisect_left(qs, t - t_ms)", "bisect.bisect_right(qs, t - t_ms)"),
    m("waiting: an outcome at t still waits", PARTIAL,
      "if q <= t < o and", "if q <= t <= o and"),
    m("oldest wait over a segment's cells: the newest", PARTIAL,
      "entry[1] = min(entry[1], first_q)", "entry[1] = max(entry[1], first_q)"),
    m("merged oldest wait: the newest", MERGE,
      "w[1] = min(w[1], waiting[1])", "w[1] = max(w[1], waiting[1])"),
    m("abandon rate counts short abandons", MERGE,
      "abandoned_long = c[C_ABANDONED] - c[C_SHORT]", "abandoned_long = c[C_ABANDONED]"),
    m("service level 0 without events", MERGE,
      "if den > 0 else None", "if den > 0 else 0.0"),
    m("forecast AHT from the 15m window", MERGE,
      "hour = aggs[AHT_MS]", "hour = aggs[FORECAST_MS]"),
    m("forecast rate from the 60m window", MERGE,
      "aggs[FORECAST_MS].count(C_OFFERED)", "aggs[AHT_MS].count(C_OFFERED)"),
    m("staffed without acw", ENGINE + "agents.py",
      'if state != "not_ready":', 'if state not in ("not_ready", "acw"):'),
    m("percentile rank: floor + 1 (even counts)", ENGINE + "aggregates.py",
      "math.ceil(p * answered - 1e-9)", "math.floor(p * answered) + 1"),
    m("percentile rank: floor (odd counts)", ENGINE + "aggregates.py",
      "math.ceil(p * answered - 1e-9)", "math.floor(p * answered)"),
    m("Erlang C loop: one step short", "streams/core/erlang.py",
      "for k in range(1, n + 1):", "for k in range(1, n):"),
    m("Erlang C from Erlang B: A dropped", "streams/core/erlang.py",
      "c = n * b / ((n - a) + a * b)", "c = n * b / ((n - a) + b)"),
    m("agents' queue lists create segments", ENGINE + "agents.py",
      "        entry = (ms, ev.event_id, ev.state, queues)",
      "        for queue in queues:\n            self.segments.own(queue)\n"
      "        entry = (ms, ev.event_id, ev.state, queues)"),
    m("the merge shows names with agents only", MERGE,
      "del merged[name]  # agents only", "pass  # agents only"),
    m("no recount when the room fills", ENGINE + "agents.py",
      "if self._epoch != self.segments.epoch:", "if False:"),
)


def copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for name in COPIED:
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")


def environment(dest: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(dest), "PYTHONDONTWRITEBYTECODE": "1"}
    if not env.get("WALLBOARD_ERLANG_CSV"):  # shared/ inside or beside the repository
        for base in (ROOT / "shared", ROOT.parent / "shared"):
            if (base / REFERENCE).is_file():
                env["WALLBOARD_ERLANG_CSV"] = str(base / REFERENCE)
                break
    return env


def run_tests(dest: Path, env: dict[str, str]) -> tuple[bool, str]:
    """``(passed, the first failing test or the reason)``: the first tests, then the rest."""
    for tests in (FIRST, THEN):
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider",
               *tests]
        try:
            proc = subprocess.run(cmd, cwd=dest, env=env, capture_output=True, text=True,
                                  timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return False, f"timeout after {TIMEOUT_S} s"
        if proc.returncode != 0:
            for line in proc.stdout.splitlines():
                if line.startswith(("FAILED ", "ERROR ")):
                    return False, line.split(" - ")[0].split(" ", 1)[1]
            return False, (f"pytest exit {proc.returncode}: "
                           f"{proc.stdout[-300:]}{proc.stderr[-300:]}")
    return True, ""


def apply(dest: Path, mutant: Mutant) -> dict[Path, str] | None:
    """Apply the mutant to the copy; the original texts to put back, ``None`` if stale."""
    originals: dict[Path, str] = {}
    for rel, old, new in mutant.edits:
        path = dest / rel
        current = path.read_text(encoding="utf-8")
        originals.setdefault(path, current)
        if current.count(old) != 1:
            restore(originals)
            return None
        path.write_text(current.replace(old, new), encoding="utf-8")
    return originals


def restore(originals: dict[Path, str]) -> None:
    for path, text in originals.items():
        path.write_text(text, encoding="utf-8")


def check(mutants: list[Mutant]) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wallboard-mutants-") as tmp:
        dest = Path(tmp)
        copy_tree(dest)
        env = environment(dest)
        where = subprocess.run([sys.executable, "-c", "import streams; print(streams.__file__)"],
                               cwd=dest, env=env, capture_output=True, text=True, check=True)
        if not where.stdout.strip().startswith(str(dest)):
            print(f"the copy is not what Python imports: {where.stdout.strip()}")
            return 2
        passed, why = run_tests(dest, env)
        if not passed:
            print(f"the unchanged copy fails, nothing to compare with: {why}")
            return 2
        print(f"unchanged copy passes ({time.monotonic() - started:.0f} s); "
              f"{len(mutants)} mutants\n")
        bad = 0
        for mutant in mutants:
            bad += report(dest, env, mutant)
    total = time.monotonic() - started
    print(f"\n{len(mutants) - bad} of {len(mutants)} killed, {bad} survived or stale; "
          f"{total:.0f} s in all")
    return 1 if bad else 0


def report(dest: Path, env: dict[str, str], mutant: Mutant) -> int:
    """Run one mutant; print its line; 1 if it survived or is stale."""
    t0 = time.monotonic()
    originals = apply(dest, mutant)
    if originals is None:
        print(f"STALE     {mutant.name}: its text is not (once) in the code")
        return 1
    try:
        passed, killer = run_tests(dest, env)
    finally:
        restore(originals)
    took = time.monotonic() - t0
    if passed:
        print(f"SURVIVED  {mutant.name} ({took:.1f} s)")
        return 1
    print(f"killed    {mutant.name} ({took:.1f} s) by {killer}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("-k", metavar="TEXT", help="only the mutants whose name has TEXT")
    args = parser.parse_args(argv)
    mutants = [mu for mu in MUTANTS if not args.k or args.k.lower() in mu.name.lower()]
    if args.list:
        for mu in mutants:
            print(f"{mu.name}: " + "; ".join(f"{p}: {o!r} -> {n!r}" for p, o, n in mu.edits))
        return 0
    return check(mutants)


if __name__ == "__main__":
    sys.exit(main())

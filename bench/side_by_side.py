"""Two checkouts measured side by side: a benchmark run alternately in each, the figures
compared as ratios (these machines are noisy: only figures from the same run compare).

    .venv/bin/python bench/side_by_side.py --old /tmp/old [--new .] [--rounds 3] \\
        compute.py --no-cli --repeat 1

Each checkout runs the script with its own ``.venv/bin/python`` (set one up with
``git worktree add /tmp/old REV`` and ``bash scripts/setup.sh`` in it). The figures read from
the output: ``compute.py``'s engine events/s, ``snapshot.py``'s live/idle/cold/waiting
snapshot times, ``worker.py``'s catch-up events/s and ratio and the live p50 and p99 at
2 000 and 5 000 events/s. Prints each round and, per figure, the medians, their ratio
new/old, and the geometric mean of the rounds' own ratios (each round runs both, one right
after the other).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

# script -> (figure, regex with one group, higher is better)
FIGURES: dict[str, list[tuple[str, str, bool]]] = {
    "compute.py": [("engine events/s", r"engine \(compute\.snapshots\):\s+([\d,]+) events/s",
                    True)],
    "snapshot.py": [
        ("live 1000 segments, best ms", r"live snapshot, 1000 segments\s+([\d.]+)", False),
        ("idle 1000 segments, best ms", r"(?s)1000 segments.*?idle \(no new event\)\s+([\d.]+)",
         False),
        ("live 10 segments, best ms", r"live snapshot, 10 segments\s+([\d.]+)", False),
        ("10000 waiting, best ms", r"snapshot, 10000 waiting callers\s+([\d.]+)", False),
        ("cold 1000 segments, ms", r"cold \(first\) snapshot, 1000 segments: ([\d.]+)", False),
    ],
    "worker.py": [
        ("worker catch-up events/s", r"backlog catch-up\): ([\d,]+) events/s", True),
        ("ratio to bare aiokafka", r"ratio to bare aiokafka ([\d.]+)", True),
        ("live 2000/s p50 ms", r"live 2000/s, 1 worker.*?p50 (\d+) ms", False),
        ("live 2000/s p99 ms", r"live 2000/s, 1 worker.*?p99 (\d+) ms", False),
        ("live 5000/s p50 ms", r"live 5000/s, 1 worker.*?p50 (\d+) ms", False),
        ("live 5000/s p99 ms", r"live 5000/s, 1 worker.*?p99 (\d+) ms", False),
    ],
}


def run(tree: Path, script: str, extra: list[str]) -> str:
    argv = [str(tree / ".venv/bin/python"), str(tree / "bench" / script), *extra]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=tree, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"{' '.join(argv)} exited with {proc.returncode}")
    return proc.stdout


def figures(script: str, text: str) -> dict[str, float]:
    out = {}
    for name, pattern, _ in FIGURES[script]:
        m = re.search(pattern, text)
        if m:
            out[name] = float(m.group(1).replace(",", ""))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True)
    ap.add_argument("--new", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("script", choices=sorted(FIGURES))
    ap.add_argument("args", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    got: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
    for i in range(args.rounds):
        order = ("old", "new") if i % 2 == 0 else ("new", "old")  # alternate who goes first
        for side in order:
            found = figures(args.script, run(getattr(args, side).resolve(), args.script,
                                             args.args))
            for name, value in found.items():
                got[side].setdefault(name, []).append(value)
            print(f"round {i + 1} {side}: " + ", ".join(f"{k} {v:,.2f}" for k, v in found.items()),
                  flush=True)
    print(f"\nmedians over {args.rounds} rounds (old: {args.old}, new: {args.new}):")
    for name, _, higher in FIGURES[args.script]:
        if name in got["old"] and name in got["new"]:
            olds, news = got["old"][name], got["new"][name]
            old, new = statistics.median(olds), statistics.median(news)
            paired = statistics.geometric_mean(n / o for o, n in zip(olds, news, strict=False))
            better = "higher" if higher else "lower"
            print(f"  {name:<30} old {old:12,.2f}  new {new:12,.2f}  new/old {new / old:6.3f}; "
                  f"per round {paired:6.3f} ({better} is better)")


if __name__ == "__main__":
    main()

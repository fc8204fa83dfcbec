"""`wallboard compute` output pinned byte for byte on generated files (issue 9).

Each case simulates a few hours of traffic (the simulator is deterministic for a seed), then
disturbs it the way real feeds do: events moved later within the lateness allowance,
duplicates, and bad lines. The engine's output for an ``--every`` series is hashed and compared
with the digest recorded from the engine as it was before the hot-path work (commit 8b39ade):
an optimisation of the engine or the validator must not change a single byte. If a change to
the *definitions* is intended, regenerate the digests with ``--update`` and say so.

    .venv/bin/python tests/unit/streams/test_compute_golden.py --update
"""

from __future__ import annotations

import hashlib
import random
import sys
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from streams.adapters.simulator import Simulator, day_models, default_models
from streams.core.compute import snapshots
from streams.core.config import EngineSettings, SegmentPolicy, SegmentSpec

START = 1_795_300_000.0  # 2026-11-21T22:26:40Z: the series crosses a UTC midnight
SETTINGS = replace(
    EngineSettings(timezone="Asia/Shanghai"),
    segments=(SegmentSpec("vip", ("*",), (("tier", ("vip",)),),
                          SegmentPolicy(sl_threshold_s=10.0, abandon_policy="positive")),
              SegmentSpec("billing-ish", ("bill*", "support"), (),
                          SegmentPolicy(abandon_policy="ignore", short_abandon_s=3.0))),
)

# case -> (model, rate, hours, seed, every_s, digest)
CASES = {
    "demo-2h": ("demo", 1.0, 2.0, 7, 300,
                "0b394a472da634de20319b3925c0558cc658db5eec0cf58b1c84c0a1c8847602"),
    "day-4h": ("day", 2.0, 4.0, 11, 600,
               "7db44baa553fc10dde593852ebec21459f7238f0272b800bbffce7fa5efae79a"),
    "demo-busy-1h": ("demo", 4.0, 1.0, 3, 120,
                     "df000f96729c38244cfbfec77f6aceca1caf2dbaef46461ebabda6e63a747292"),
}


def lines_for(model: str, rate: float, hours: float, seed: int) -> list[bytes]:
    models = (day_models if model == "day" else default_models)(rate)
    events = Simulator(models, start=START, seed=seed, tz="Asia/Shanghai").advance(
        START + hours * 3600)
    rng = random.Random(seed)
    lines = [orjson.dumps(e) for e in events]
    # ~2 % of the lines move up to 40 lines later (well within max_lateness_s of event time)
    for _ in range(len(lines) // 50):
        i = rng.randrange(len(lines) - 41)
        j = i + rng.randrange(1, 41)
        lines.insert(j, lines.pop(i))
    # ~1 % duplicated a little later; ~0.5 % bad lines
    for _ in range(len(lines) // 100):
        i = rng.randrange(len(lines) - 10)
        lines.insert(i + rng.randrange(1, 10), lines[i])
    bad = [b"not json", b"{}", b'{"v":1,"event_id":"x","type":"call.queued"}', b"[1,2]",
           b'{"v":1,"event_id":"y","type":"call.queued","ts":"0001-01-01T00:00:00Z",'
           b'"call_id":"c","queue":"q"}']
    for _ in range(len(lines) // 200):
        lines.insert(rng.randrange(len(lines)), rng.choice(bad))
    return lines


def digest(case: str) -> tuple[str, int]:
    model, rate, hours, seed, every, _ = CASES[case]
    out = hashlib.sha256()
    n = 0
    for snap in snapshots(lines_for(model, rate, hours, seed), SETTINGS, every=float(every)):
        out.update(orjson.dumps(snap) + b"\n")
        n += 1
    return out.hexdigest(), n


@pytest.mark.parametrize("case", sorted(CASES))
def test_compute_output_is_byte_identical_to_the_recorded_engine(case):
    got, n = digest(case)
    assert n > 5
    assert got == CASES[case][-1], f"{case}: compute output changed ({n} snapshots)"


if __name__ == "__main__" and "--update" in sys.argv:
    text = Path(__file__).read_text(encoding="utf-8")
    for name, spec in CASES.items():
        new, count = digest(name)
        text = text.replace(f'"{spec[-1]}"', f'"{new}"', 1)
        print(name, new, count)
    Path(__file__).write_text(text, encoding="utf-8")

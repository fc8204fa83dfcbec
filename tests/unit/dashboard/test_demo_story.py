"""The demo tells a story: with the `story` staffing the board is OK/WARN most of the time,
and the scheduled billing surge (3x for 3 minutes every 15 minutes) turns it to BREACH and
then recovers (on the demo's 5-minute board; a 15-minute window remembers a surge for 15
minutes). Offline: simulator -> the real engine -> the wallboard renderer."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

from dashboard.boards import BoardSpec
from dashboard.render import render
from streams.adapters.simulator import Simulator, Surge, story_models
from streams.core.compute import snapshots
from streams.core.config import EngineSettings

START = 1_795_000_000.0 - 1_795_000_000.0 % 3600  # on the hour
SURGE_AT = START + 1020  # like the demo: 900 s of history, then 2 minutes
DEMO_BOARD = BoardSpec("demo", window="5m")  # the board `wallboard demo` configures


def _board_states() -> list[tuple[float, str]]:
    surge = Surge("billing", SURGE_AT, 180.0, 3.0, every_s=900.0)
    sim = Simulator(story_models(), start=START, seed=7, surge=surge)
    lines = [json.dumps(e).encode() for e in sim.run(START + 3300)]
    times = [START + 900 + 60 * i for i in range(40)]
    out = []
    for snap in snapshots(lines, EngineSettings(), as_of=times):
        t = times[len(out)]
        view = render(snap, t, t, paginate=False, board=DEMO_BOARD)
        billing = next(s for s in view["segments"] if s["name"] == "billing")
        out.append((t, billing["status"]))
    return out


def test_mostly_ok_or_warn_with_a_breach_that_recovers():
    states = _board_states()
    counts = Counter(s for _, s in states)
    before = [s for t, s in states if t < SURGE_AT]
    assert before and all(s in ("ok", "warn") for s in before)  # calm start: no BREACH
    assert counts["bad"] >= 3  # the surge shows
    assert counts["ok"] + counts["warn"] > counts["bad"]  # but is not the normal state
    first_bad = next(i for i, (_, s) in enumerate(states) if s == "bad")
    assert any(s != "bad" for _, s in states[first_bad:])  # and it recovers


def test_repeating_surge_window():
    surge = Surge("q", 100.0, 30.0, 3.0, every_s=60.0)
    assert [surge.factor_at("q", t) for t in (99, 100, 129.9, 130, 160, 189, 190)] == \
        [1.0, 3.0, 3.0, 1.0, 3.0, 3.0, 1.0]
    assert surge.factor_at("other", 100) == 1.0
    once = Surge("q", 100.0, 30.0, 3.0)
    assert [once.factor_at("q", t) for t in (100, 129, 160)] == [3.0, 3.0, 1.0]


def test_a_surge_that_never_ends_is_refused(capsys, tmp_path):
    from wallboard.cli import main

    code = main(["simulate", "--surge-queue", "billing", "--surge-for", "120",
                 "--surge-every", "60", "--duration", "10", "--output",
                 str(tmp_path / "x.jsonl")])
    assert code == 2
    assert "--surge-every must be longer than --surge-for" in capsys.readouterr().err


def test_the_story_scenario_from_the_command_line(tmp_path):
    from wallboard.cli import main

    out = tmp_path / "story.jsonl"
    assert main(["simulate", "--scenario", "story", "--surge-queue", "billing",
                 "--surge-after", "60", "--surge-for", "60", "--surge-every", "120",
                 "--surge-factor", "4", "--start", "2026-11-18T08:00:00Z",
                 "--duration", "1200", "--seed", "3", "--output", str(out)]) == 0
    start = datetime(2026, 11, 18, 8, tzinfo=UTC).timestamp()
    inside = outside = 0
    for line in out.read_text().splitlines():
        e = json.loads(line)
        if e["type"] == "call.queued" and e["queue"] == "billing" and "transfer" not in line:
            into = datetime.fromisoformat(e["ts"]).timestamp() - start
            surging = into >= 60 and (into - 60) % 120 < 60
            inside += surging
            outside += not surging
    # half the time at 4x the arrivals: about 4 times as many calls in the surge windows
    assert inside > 2 * outside > 0

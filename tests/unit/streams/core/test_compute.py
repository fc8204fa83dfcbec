"""`wallboard compute`: the engine over a file, snapshots as of instants (metrics.md shape)."""

from __future__ import annotations

import gzip
import json

import orjson
import pytest

from schemas import parse_event
from streams.core.compute import ComputeStats, snapshots
from streams.core.config import EngineSettings
from streams.core.engine import Engine
from streams.core.timefmt import rfc3339
from wallboard.cli import main

T0 = 1_795_300_000.0  # 2026-11-21T22:26:40Z


def line(n: int, type_: str, at: float, call: str = "c1", **extra: object) -> bytes:
    return orjson.dumps({"v": 1, "event_id": f"e{n}", "type": type_, "ts": rfc3339(T0 + at),
                         "call_id": call, "queue": "billing", **extra})


LINES = [
    line(1, "call.queued", 0),
    line(2, "call.answered", 10, agent_id="a"),
    b"this is not json",
    line(3, "call.queued", 100, "c2"),
    b"",
    b'{"v": 1, "event_id": "x", "type": "call.queued", "ts": "2026-11-22T00:00:00"}',
    line(4, "call.abandoned", 130, "c2"),
]


def write(tmp_path, name: str, lines: list[bytes]):
    path = tmp_path / name
    data = b"\n".join(lines) + b"\n"
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


@pytest.mark.parametrize("name", ["events.jsonl", "events.jsonl.gz"])
def test_compute_prints_one_snapshot_and_reports_invalid_lines(tmp_path, capsys, name):
    path = write(tmp_path, name, LINES)
    assert main(["compute", "--events", str(path), "--as-of", rfc3339(T0 + 60)]) == 0
    out, err = capsys.readouterr()
    snaps = [json.loads(x) for x in out.splitlines()]
    assert len(snaps) == 1
    assert snaps[0]["as_of"] == "2026-11-21T22:27:40Z"
    w = snaps[0]["segments"]["billing"]["windows"]["5m"]
    assert (w["offered"], w["answered"], w["abandoned"]) == (1, 1, 0)  # c2 comes after t
    assert f"{path}:3: invalid event, skipped: $: not JSON" in err
    assert f"{path}:6: invalid event, skipped: ts: timestamp has no UTC offset" in err
    assert "7 lines, 4 events applied, 2 invalid, 1 snapshot(s)" in err


def test_the_same_engine_gives_the_same_snapshot(tmp_path, capsys):
    path = write(tmp_path, "e.jsonl", LINES)
    assert main(["compute", "--events", str(path), "--as-of", rfc3339(T0 + 200)]) == 0
    engine = Engine()
    for raw in LINES:
        try:
            engine.apply(parse_event(raw))
        except Exception:  # noqa: BLE001, S112 - the invalid lines of the fixture
            continue
    assert json.loads(capsys.readouterr().out) == engine.snapshot(T0 + 200)


def test_repeated_as_of_and_every_print_series(tmp_path, capsys):
    path = write(tmp_path, "e.jsonl", LINES)
    assert main(["compute", "--events", str(path), "--as-of", rfc3339(T0 + 200),
                 "--as-of", rfc3339(T0 + 5)]) == 0
    snaps = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [s["as_of"] for s in snaps] == ["2026-11-21T22:26:45Z", "2026-11-21T22:30:00Z"]
    assert snaps[0]["segments"]["billing"]["now"]["waiting"] == 1
    assert main(["compute", "--events", str(path), "--every", "60s"]) == 0
    snaps = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    # first event 22:26:40 -> 22:27:00 ... newest 22:28:50 -> 22:28:00 (never past it)
    assert [s["as_of"][11:] for s in snaps] == ["22:27:00Z", "22:28:00Z"]
    assert main(["compute", "--events", str(path), "--every", "1m",
                 "--from", rfc3339(T0 - 100), "--to", rfc3339(T0 + 10)]) == 0
    snaps = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [s["as_of"][11:] for s in snaps] == ["22:25:00Z", "22:26:00Z"]


def test_without_as_of_the_snapshot_is_as_of_the_newest_event(tmp_path, capsys):
    assert main(["compute", "--events", str(write(tmp_path, "e.jsonl", LINES))]) == 0
    assert json.loads(capsys.readouterr().out)["as_of"] == "2026-11-21T22:28:50Z"


def test_a_snapshot_waits_for_late_events_within_the_allowance():
    # c1's answer (ts 10) arrives after an event at 125 s: within 120 s of lateness of the
    # newest at the time it arrives? newest = 125 - 10 = 115 s late: yes, so it counts as of 20.
    lines = [line(1, "call.queued", 0), line(2, "call.queued", 125, "c2"),
             line(3, "call.answered", 10, agent_id="a"), line(4, "call.queued", 300, "c3")]
    stats = ComputeStats()
    snaps = list(snapshots(lines, EngineSettings(), as_of=[T0 + 20], stats=stats))
    assert snaps[0]["segments"]["billing"]["windows"]["5m"]["answered"] == 1
    assert stats.events == 4
    # with a 60 s allowance the snapshot as of 20 s is taken before the late answer arrives
    from dataclasses import replace

    tight = replace(EngineSettings(), max_lateness_s=60.0)
    snaps = list(snapshots(lines, tight, as_of=[T0 + 20]))
    assert snaps[0]["segments"]["billing"]["windows"]["5m"]["answered"] == 0


@pytest.mark.parametrize(("args", "needle"), [
    (["--as-of", "2026-11-22T00:00:00Z", "--every", "60s"], "give --as-of (repeatable) or"),
    (["--from", "2026-11-22T00:00:00Z"], "--from/--to bound an --every series"),
])
def test_compute_usage_errors(tmp_path, capsys, args, needle):
    path = write(tmp_path, "e.jsonl", LINES)
    assert main(["compute", "--events", str(path), *args]) == 2
    assert needle in capsys.readouterr().err


def test_compute_missing_file_and_bad_every(tmp_path, capsys):
    assert main(["compute", "--events", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl: no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["compute", "--events", "x", "--every", "soon"])
    assert exc.value.code == 2
    assert "argument --every: expected a duration like" in capsys.readouterr().err


def test_compute_uses_the_config_file(tmp_path, capsys):
    cfg = tmp_path / "w.toml"
    cfg.write_text('[engine]\nwindows = ["1m"]\n[engine.segments.vip]\nqueues = ["*"]\n'
                   'match = { tier = "vip" }\n')
    path = write(tmp_path, "e.jsonl", [line(1, "call.queued", 0, attrs={"tier": "vip"})])
    assert main(["--config", str(cfg), "compute", "--events", str(path), "--pretty"]) == 0
    snap = json.loads(capsys.readouterr().out)
    assert list(snap["segments"]) == ["all", "billing", "vip"]
    assert list(snap["segments"]["vip"]["windows"]) == ["1m", "today"]


def test_real_anonymous_bank_month_through_the_engine():
    """The Anonymous Bank, August 1999 (real calls): `today` in Asia/Jerusalem, day by day,
    adds up to the data set's published month: 18,392 answered from the queue, 7,309
    abandoned, mean wait of answered calls 126.017 s; and each day equals a plain recount of
    the events by the local date of their outcome."""
    from collections import Counter
    from datetime import date, datetime, timedelta
    from zoneinfo import ZoneInfo

    from streams.adapters.bank import convert
    from tests.support import shared_data

    csv = shared_data("data/real/anonymous_bank/anonymous_bank_1999-08_calls.csv",
                      "WALLBOARD_BANK_CSV")
    events, _ = convert(csv)
    zone = ZoneInfo("Asia/Jerusalem")
    days = [date(1999, 8, 1) + timedelta(days=i) for i in range(32)]
    ends = [datetime.combine(d + timedelta(days=1), datetime.min.time(), zone).timestamp()
            - 0.001 for d in days]
    settings = EngineSettings(timezone="Asia/Jerusalem")
    snaps = list(snapshots((orjson.dumps(e) for e in events), settings, as_of=ends))
    recount: Counter[tuple[date, str]] = Counter()
    for e in events:
        local = datetime.fromisoformat(e["ts"]).astimezone(zone).date()
        recount[(local, e["type"])] += 1
    answered = abandoned = 0
    wait_sum = 0.0
    for day, snap in zip(days, snaps, strict=True):
        today = snap["segments"]["all"]["windows"]["today"]
        assert today["offered"] == recount[(day, "call.queued")], day
        assert today["answered"] == recount[(day, "call.answered")], day
        assert today["abandoned"] == recount[(day, "call.abandoned")], day
        answered += today["answered"]
        abandoned += today["abandoned"]
        wait_sum += (today["asa_s"] or 0.0) * today["answered"]
    assert (answered, abandoned) == (18392, 7309)
    assert wait_sum / answered == pytest.approx(126.017, abs=5e-4)
    first = snaps[0]["segments"]["all"]["windows"]["today"]
    assert first["answered"] == 1243 and first["asa_s"] == pytest.approx(163.92, abs=5e-3)


def test_config_may_follow_the_command(tmp_path, capsys):
    cfg = tmp_path / "w.toml"
    cfg.write_text('[engine]\nwindows = ["2m"]\n')
    path = write(tmp_path, "e.jsonl", LINES)
    assert main(["compute", "--events", str(path), "--config", str(cfg)]) == 0
    assert list(json.loads(capsys.readouterr().out)["segments"]["all"]["windows"]) == [
        "2m", "today"]


@pytest.mark.parametrize(("every", "expected"), [
    ("10m", []),  # events 22:26:40 .. 22:28:50: 22:30 would be past the last one
    ("30s", ["22:27:00Z", "22:27:30Z", "22:28:00Z", "22:28:30Z"]),
    ("10s", None),  # the newest event (22:28:50) lies on the grid: it is included
])
def test_every_series_never_goes_past_the_newest_event(tmp_path, capsys, every, expected):
    path = write(tmp_path, "e.jsonl", LINES)
    assert main(["compute", "--events", str(path), "--every", every]) == 0
    out, err = capsys.readouterr()
    times = [json.loads(x)["as_of"][11:] for x in out.splitlines()]
    if expected is None:
        assert times[0] == "22:26:40Z" and times[-1] == "22:28:50Z" and len(times) == 14
    else:
        assert times == expected
    assert f"{len(times)} snapshot(s)" in err


def test_every_series_with_to_is_unchanged_and_bounded_by_to(tmp_path, capsys):
    path = write(tmp_path, "e.jsonl", LINES)
    assert main(["compute", "--events", str(path), "--every", "1m",
                 "--to", rfc3339(T0 + 230)]) == 0
    snaps = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    # an explicit --to may lie after the last event (22:28:50): the series runs up to it
    assert [s["as_of"][11:] for s in snaps] == ["22:27:00Z", "22:28:00Z", "22:29:00Z",
                                                 "22:30:00Z"]


def test_every_series_over_a_file_without_events(tmp_path, capsys):
    path = write(tmp_path, "e.jsonl", [b"not json"])
    assert main(["compute", "--events", str(path), "--every", "60s", "--from",
                 rfc3339(T0)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "0 snapshot(s)" in err
    assert main(["compute", "--events", str(path), "--every", "60s", "--from", rfc3339(T0),
                 "--to", rfc3339(T0 + 130)]) == 0
    snaps = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [s["as_of"][11:] for s in snaps] == ["22:27:00Z", "22:28:00Z"]


def test_a_run_leaves_no_cyclic_garbage():
    """compute runs with the cyclic collector off (the engine's state is acyclic, freed by
    reference counting): a run over a simulated hour with invalid lines of every kind (bad
    JSON, unknown fields, contract violations: the legacy validator's error path) and a
    snapshot series must leave nothing that only the collector could free."""
    import gc
    import random

    from streams.adapters.simulator import Simulator, default_models

    lines = [orjson.dumps(e) for e in Simulator(default_models(rate=2.0), start=T0,
                                                seed=4).run(T0 + 3600)]
    rnd = random.Random(2)
    bad = [b"{not json", b'{"v": 1, "type": "call.queued", "ts": "x"}', b"[]",
           line(9, "call.queued", 5, extra_field=1), line(10, "call.nope", 5),
           line(11, "call.queued", 5, priority="high"), b'{"v": 2}']
    for i in range(300):
        lines.insert(rnd.randrange(len(lines)), bad[i % len(bad)])
    # msgspec builds its type information for the lenient Structs once per process, leaving
    # a few cyclic closures behind that one time: warm every path up first
    list(snapshots(bad, EngineSettings()))
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()  # also after the run: an automatic collection would hide the garbage
    try:
        reasons: list[str] = []
        stats = ComputeStats()
        series = list(snapshots(lines, EngineSettings(), every=60.0, stats=stats,
                                on_invalid=lambda n, reason: reasons.append(reason)))
        assert not gc.isenabled()  # left as it was
        # every inserted line is invalid but the one with an unknown field (ignored, valid)
        assert len(series) > 50 and stats.invalid == sum(1 for i in range(300) if i % 7 != 3)
        assert len(reasons) == stats.invalid
        del series
        reasons.clear()
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()
    list(snapshots(LINES, EngineSettings()))
    assert gc.isenabled() == was_enabled  # the collector is back on after a run

"""The server-side 60-minute history behind the sparklines: bounded, per segment."""

from __future__ import annotations

import pytest

from dashboard.history import History

T0 = 1_795_000_000.0 - 1_795_000_000.0 % 60  # a minute boundary


def snap(waiting, sl=None, offered=None, name="all"):
    return {"segments": {name: {"now": {"waiting": waiting},
                                "windows": {"15m": {"service_level": sl, "offered": offered}}}}}


def test_one_point_per_minute_last_value_wins():
    h = History()
    h.add(snap(1, 0.9, 10), T0)
    h.add(snap(4, 0.8, 12), T0 + 30)  # same minute: replaces
    h.add(snap(7, 0.7, 14), T0 + 60)
    series = h.series("all", "waiting", T0 + 60)
    assert len(series) == 60
    assert series[-2:] == [4.0, 7.0]
    assert series[:-2] == [None] * 58
    assert h.series("all", "sl", T0 + 60)[-1] == 0.7
    assert h.series("nope", "waiting", T0) == [None] * 60


def test_an_hour_is_kept_and_no_more():
    h = History()
    for i in range(200):  # 200 minutes
        h.add(snap(i), T0 + 60 * i)
    series = h.series("all", "waiting", T0 + 60 * 199)
    assert series == [float(i) for i in range(140, 200)]
    assert len(h._rings["all"]) == 60  # bounded memory


def test_out_of_order_points_are_dropped_and_segments_are_bounded():
    h = History(max_segments=2)
    h.add(snap(5), T0 + 120)
    h.add(snap(9), T0)  # older than the newest point: ignored
    assert h.series("all", "waiting", T0 + 120)[-1] == 5.0
    for name in ("a", "b", "c"):
        h.add(snap(1, name=name), T0 + 180)
    assert set(h._rings) == {"all", "a"}


@pytest.mark.parametrize("bad", [None, {}, {"segments": 3}, {"segments": {"x": "y"}}])
def test_malformed_snapshots_do_not_break_it(bad):
    h = History()
    h.add(bad, T0)
    if isinstance(bad, dict) and isinstance(bad.get("segments"), dict):
        assert h.series("x", "waiting", T0)[-1] is None


def test_invalid_spans():
    with pytest.raises(ValueError):
        History(step_s=0)

"""Table-driven tests of the pure wallboard renderer."""

from __future__ import annotations

import copy

import pytest

from dashboard.render import (
    MISSING,
    Thresholds,
    dom_id,
    fmt_duration,
    fmt_int,
    fmt_percent,
    render,
    segment_order,
)

NOW = 1_795_000_000.0  # epoch seconds, the injected clock of every test

FULL_SEGMENT = {
    "now": {
        "waiting": 3,
        "oldest_wait_s": 42.0,
        "waiting_over_sl": 1,
        "agents": {"available": 2, "on_call": 9, "acw": 1, "not_ready": 3, "staffed": 12},
    },
    "windows": {
        "15m": {
            "offered": 1240,
            "answered": 1200,
            "abandoned": 4,
            "dequeued": 0,
            "service_level": 0.8333,
            "asa_s": 11.2,
        },
        "5m": {},
        "60m": {},
        "today": {},
    },
}

# What the v1 worker serves: only some keys, and SL/oldest may be null.
PARTIAL_SEGMENT = {
    "now": {"waiting": 0, "oldest_wait_s": None, "waiting_over_sl": 0},
    "windows": {"15m": {"offered": 7, "answered": 5, "abandoned": 1, "dequeued": 0}},
}


def snapshot(**segments: dict) -> dict:
    return {"as_of": "2026-11-22T01:15:00Z", "segments": segments}


def tiles_of(view: dict, segment: str = "all") -> dict[str, dict]:
    seg = next(s for s in view["segments"] if s["name"] == segment)
    return {t["key"]: t for t in seg["tiles"]}


def values_of(view: dict, segment: str = "all") -> dict[str, str]:
    return {k: t["value"] for k, t in tiles_of(view, segment).items()}


# ------------------------------------------------------------------ formatting helpers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (7, "7"),
        (1234, "1,234"),
        (1234567, "1,234,567"),
        (3.0, "3"),
        (None, MISSING),
        ("12", MISSING),
        (True, MISSING),
        (float("nan"), MISSING),
        (float("inf"), MISSING),
        ({}, MISSING),
    ],
)
def test_fmt_int(value, expected):
    assert fmt_int(value) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0:00"),
        (0.0, "0:00"),
        (5.9, "0:05"),  # truncated, never rounded up
        (42.0, "0:42"),
        (60, "1:00"),
        (599.99, "9:59"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (3725, "1:02:05"),
        (-3, "0:00"),  # clock skew never shows a negative wait
        (None, MISSING),
        ("42", MISSING),
    ],
)
def test_fmt_duration(seconds, expected):
    assert fmt_duration(seconds) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [
        (0.8333, "83%"),
        (1, "100%"),
        (1.0, "100%"),
        (0.0, "0%"),  # a real zero is shown ...
        (None, MISSING),  # ... but null never becomes 0 %
        (0.799, "79%"),  # rounded down: no "80%" next to WARN for an 80 % target
        (0.29, "29%"),  # 0.29 * 100 == 28.999999999999996
        (0.8, "80%"),
        ("0.8", MISSING),
    ],
)
def test_fmt_percent(fraction, expected):
    assert fmt_percent(fraction) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("all", "all"),
        ("Billing", "billing"),
        ("sales EU/2", "sales-eu-2"),
        ("--vip--", "vip"),
        ("été", "t"),
        ("???", "segment"),
    ],
)
def test_dom_id(name, expected):
    assert dom_id(name) == expected


# ------------------------------------------------------------------ missing data


def test_full_segment_values():
    view = render(snapshot(all=FULL_SEGMENT), NOW - 1, NOW)
    assert values_of(view) == {
        "waiting": "3",
        "oldest": "0:42",
        "offered": "1,240",
        "answered": "1,200",
        "abandoned": "4",
        "sl": "83%",
    }
    assert [t["key"] for t in view["segments"][0]["tiles"]] == [
        "waiting",
        "oldest",
        "offered",
        "answered",
        "abandoned",
        "sl",
    ]


def test_partial_v1_segment_shows_dash_not_zero_for_missing_keys():
    view = render(snapshot(all=PARTIAL_SEGMENT), NOW - 1, NOW)
    assert values_of(view) == {
        "waiting": "0",
        "oldest": MISSING,  # null: nobody waiting
        "offered": "7",
        "answered": "5",
        "abandoned": "1",
        "sl": MISSING,  # key missing
    }
    tiles = tiles_of(view)
    assert tiles["sl"]["status"] == "none"
    assert tiles["oldest"]["status"] == "none"
    assert tiles["waiting"]["status"] == "ok"


@pytest.mark.parametrize(
    "segment",
    [
        {},
        None,
        [],
        "garbage",
        {"now": None, "windows": None},
        {"now": {}, "windows": {}},
        {"now": [], "windows": {"15m": None}},
        {"now": {"waiting": None}, "windows": {"15m": {"service_level": None}}},
        {"now": {"waiting": "3"}, "windows": {"15m": {"offered": "7"}}},
    ],
    ids=[
        "empty",
        "null",
        "list",
        "string",
        "null-parts",
        "empty-parts",
        "wrong-types",
        "nulls",
        "strings",
    ],
)
def test_missing_or_malformed_keys_render_dash(segment):
    view = render(snapshot(all=segment), NOW - 1, NOW)
    assert set(values_of(view).values()) == {MISSING}
    assert {t["status"] for t in tiles_of(view).values()} == {"none"}
    assert view["segments"][0]["status"] == "none"


def test_null_service_level_is_dash_not_zero_percent():
    seg = copy.deepcopy(FULL_SEGMENT)
    seg["windows"]["15m"]["service_level"] = None
    tiles = tiles_of(render(snapshot(all=seg), NOW, NOW))
    assert tiles["sl"]["value"] == MISSING
    assert tiles["sl"]["status"] == "none"
    assert tiles["sl"]["icon"] == "" and tiles["sl"]["word"] == ""


@pytest.mark.parametrize(
    "snap",
    [
        {},
        {"segments": None},
        {"segments": []},
        {"as_of": None, "segments": {}},
    ],
)
def test_snapshot_without_segments_renders_no_segments(snap):
    view = render(snap, NOW, NOW)
    assert view["segments"] == []
    assert view["banner"] is None
    assert view["as_of"] == f"Data as of {MISSING}"


# ------------------------------------------------------------------ thresholds


def _seg(waiting=None, oldest=None, sl=None) -> dict:
    return {
        "now": {"waiting": waiting, "oldest_wait_s": oldest},
        "windows": {"15m": {"service_level": sl}},
    }


@pytest.mark.parametrize(
    ("key", "segment", "status", "icon", "word"),
    [
        ("waiting", _seg(waiting=0), "ok", "✔", "OK"),
        ("waiting", _seg(waiting=4), "ok", "✔", "OK"),
        ("waiting", _seg(waiting=5), "warn", "▲", "WARN"),
        ("waiting", _seg(waiting=14), "warn", "▲", "WARN"),
        ("waiting", _seg(waiting=15), "bad", "✖", "BREACH"),
        ("waiting", _seg(waiting=1500), "bad", "✖", "BREACH"),
        ("waiting", _seg(), "none", "", ""),
        ("oldest", _seg(oldest=0.0), "ok", "✔", "OK"),
        ("oldest", _seg(oldest=19.9), "ok", "✔", "OK"),
        ("oldest", _seg(oldest=20.0), "warn", "▲", "WARN"),
        ("oldest", _seg(oldest=59.99), "warn", "▲", "WARN"),
        ("oldest", _seg(oldest=60.0), "bad", "✖", "BREACH"),
        ("oldest", _seg(), "none", "", ""),
        ("sl", _seg(sl=1.0), "ok", "✔", "OK"),
        ("sl", _seg(sl=0.8), "ok", "✔", "OK"),
        ("sl", _seg(sl=0.7999), "warn", "▲", "WARN"),
        ("sl", _seg(sl=0.6), "warn", "▲", "WARN"),
        ("sl", _seg(sl=0.5999), "bad", "✖", "BREACH"),
        ("sl", _seg(sl=0.0), "bad", "✖", "BREACH"),
        ("sl", _seg(), "none", "", ""),
    ],
)
def test_threshold_status_icon_word(key, segment, status, icon, word):
    tile = tiles_of(render(snapshot(all=segment), NOW, NOW))[key]
    assert (tile["status"], tile["icon"], tile["word"]) == (status, icon, word)


def test_counters_carry_no_status():
    tiles = tiles_of(render(snapshot(all=FULL_SEGMENT), NOW, NOW))
    for key in ("offered", "answered", "abandoned"):
        assert tiles[key]["status"] == "none"


def test_custom_thresholds_and_target_in_label():
    th = Thresholds(waiting_warn=1, waiting_bad=2, sl_warn_below=0.9, sl_bad_below=0.5)
    tiles = tiles_of(render(snapshot(all=_seg(waiting=1, sl=0.85)), NOW, NOW, thresholds=th))
    assert tiles["waiting"]["status"] == "warn"
    assert tiles["sl"]["status"] == "warn"
    assert "target 90%" in tiles["sl"]["label"]


def test_thresholds_are_frozen_and_validated():
    th = Thresholds()
    with pytest.raises(AttributeError):
        th.waiting_warn = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        Thresholds(waiting_warn=10, waiting_bad=5)
    with pytest.raises(ValueError):
        Thresholds(sl_warn_below=0.5, sl_bad_below=0.6)


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (_seg(waiting=0, oldest=0, sl=1.0), "ok"),
        (_seg(waiting=6, oldest=0, sl=1.0), "warn"),
        (_seg(waiting=0, oldest=0, sl=0.1), "bad"),
        (_seg(), "none"),
    ],
)
def test_segment_and_page_status_is_the_worst_tile(segment, expected):
    view = render(snapshot(all=segment), NOW, NOW)
    assert view["segments"][0]["status"] == expected
    assert view["status"] == expected


# ------------------------------------------------------------------ freshness


@pytest.mark.parametrize(
    ("fetched_at", "stale", "banner", "age"),
    [
        (NOW, False, None, "0 s"),
        (NOW - 4.9, False, None, "4 s"),
        (NOW - 5.0, False, None, "5 s"),  # stale only *after* stale_after_s
        (NOW - 5.1, True, "STALE — data is 5 s old", "5 s"),
        (NOW - 12.3, True, "STALE — data is 12 s old", "12 s"),
        (NOW - 600, True, "STALE — data is 10 min old", "10 min"),
        (NOW + 3, False, None, "0 s"),  # a clock step backwards is not "fresh from the future"
    ],
)
def test_staleness(fetched_at, stale, banner, age):
    view = render(snapshot(all=FULL_SEGMENT), fetched_at, NOW)
    assert (view["stale"], view["banner"], view["age"]) == (stale, banner, age)


def test_stale_after_is_configurable():
    view = render(snapshot(all=FULL_SEGMENT), NOW - 3, NOW, stale_after_s=2.0)
    assert view["stale"] is True
    assert view["banner"] == "STALE — data is 3 s old"


def test_stale_banner_names_the_error():
    view = render(snapshot(all=FULL_SEGMENT), NOW - 9, NOW, error="connection refused")
    assert view["banner"] == "STALE — data is 9 s old — worker unreachable: connection refused"


def test_fresh_data_hides_a_transient_error():
    view = render(snapshot(all=FULL_SEGMENT), NOW - 1, NOW, error="timed out")
    assert view["banner"] is None


def test_stale_snapshot_still_shows_last_values():
    view = render(snapshot(all=FULL_SEGMENT), NOW - 60, NOW)
    assert view["stale"] is True
    assert values_of(view)["waiting"] == "3"


@pytest.mark.parametrize(
    ("error", "banner"),
    [
        ("connection refused", "NO DATA — worker unreachable: connection refused"),
        (None, "NO DATA — waiting for the first snapshot from the worker"),
    ],
)
def test_no_snapshot_banner(error, banner):
    view = render(None, None, NOW, error=error)
    assert view["banner"] == banner
    assert view["stale"] is True
    assert view["segments"] == []
    assert view["as_of"] == f"Data as of {MISSING}"
    assert view["age"] == MISSING
    assert view["age_s"] is None


def test_no_snapshot_with_configured_segments_shows_dash_tiles():
    view = render(None, None, NOW, segments=["all", "billing"])
    assert [s["name"] for s in view["segments"]] == ["all", "billing"]
    assert set(values_of(view, "billing").values()) == {MISSING}


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-11-22T01:15:00Z", "Data as of 01:15:00 UTC"),
        ("2026-11-22T01:15:07.915Z", "Data as of 01:15:07 UTC"),
        ("2026-11-22T02:15:00+01:00", "Data as of 01:15:00 UTC"),  # shown in UTC
        ("2026-11-21T20:15:00-05:00", "Data as of 01:15:00 UTC"),
        ("2026-11-22T01:15:00", "Data as of 01:15:00 UTC"),  # no offset: taken as UTC
        ("yesterday", f"Data as of {MISSING}"),
        ("", f"Data as of {MISSING}"),
        (None, f"Data as of {MISSING}"),
        (1795000000, f"Data as of {MISSING}"),
    ],
)
def test_as_of_formatting(as_of, expected):
    view = render({"as_of": as_of, "segments": {}}, NOW, NOW)
    assert view["as_of"] == expected


# ------------------------------------------------------------------ segment ordering


def test_all_first_then_queues_sorted():
    snap = snapshot(
        sales=PARTIAL_SEGMENT, all=FULL_SEGMENT, Billing=PARTIAL_SEGMENT, aftercare=FULL_SEGMENT
    )
    view = render(snap, NOW, NOW)
    assert [s["name"] for s in view["segments"]] == ["all", "aftercare", "Billing", "sales"]
    assert [s["dom_id"] for s in view["segments"]] == ["all", "aftercare", "billing", "sales"]
    assert view["segments"][0]["title"] == "All queues"
    assert view["segments"][2]["title"] == "Billing"


def test_without_all_segment_queues_are_sorted():
    assert segment_order(["b", "a"]) == ["a", "b"]


def test_configured_segments_keep_their_order_and_drop_duplicates():
    snap = snapshot(all=FULL_SEGMENT, sales=PARTIAL_SEGMENT, billing=PARTIAL_SEGMENT)
    view = render(snap, NOW, NOW, segments=["sales", "all", "sales"])
    assert [s["name"] for s in view["segments"]] == ["sales", "all"]


def test_colliding_dom_ids_are_made_unique():
    snap = snapshot(**{"a b": PARTIAL_SEGMENT, "a_b": PARTIAL_SEGMENT, "A-B": PARTIAL_SEGMENT})
    ids = [s["dom_id"] for s in render(snap, NOW, NOW)["segments"]]
    assert sorted(ids) == ["a-b", "a-b-2", "a-b-3"]


def test_render_is_pure():
    snap = snapshot(all=FULL_SEGMENT, sales=PARTIAL_SEGMENT)
    before = copy.deepcopy(snap)
    assert render(snap, NOW - 2, NOW) == render(snap, NOW - 2, NOW)
    assert snap == before


def test_a_worker_that_cannot_reach_kafka_makes_the_board_stale():
    """The worker keeps serving its last figures while the broker is down; its feed block
    says so, and the board must not present frozen numbers as live (issue 8)."""
    snap = {**snapshot(all=FULL_SEGMENT),
            "feed": {"records": 10, "last_record_age_s": 95.0, "broker_reachable": False}}
    view = render(snap, NOW, NOW)
    assert view["stale"] is True
    assert view["banner"] == "STALE — the worker cannot reach Kafka; last event received 95 s " \
                             "ago"
    assert values_of(view)["waiting"] == "3"
    live = {**snap, "feed": {**snap["feed"], "broker_reachable": True}}
    assert render(live, NOW, NOW)["stale"] is False

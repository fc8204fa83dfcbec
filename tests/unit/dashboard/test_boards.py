"""Boards as configuration: parsing (errors name the key), thresholds in both directions,
defaults from the engine's targets, pages."""

from __future__ import annotations

import pytest

from dashboard.boards import (
    DEFAULT_TILES,
    BoardSpec,
    Threshold,
    check_boards,
    default_thresholds,
    page_segments,
    parse_boards,
    thresholds_for,
)
from streams.core.config import EngineSettings, SegmentPolicy
from streams.core.errors import ConfigError
from wallboard.settings import load_settings


@pytest.mark.parametrize(
    ("rule", "value", "state"),
    [
        (Threshold(5, 15, "above"), None, "none"),
        (Threshold(5, 15, "above"), 4.9, "ok"),
        (Threshold(5, 15, "above"), 5, "warn"),  # inclusive
        (Threshold(5, 15, "above"), 15, "bad"),
        (Threshold(None, 15, "above"), 14, "ok"),
        (Threshold(5, None, "above"), 100, "warn"),
        (Threshold(0.85, 0.8, "below"), 0.85, "ok"),
        (Threshold(0.85, 0.8, "below"), 0.8499, "warn"),
        (Threshold(0.85, 0.8, "below"), 0.8, "warn"),  # strict: at the target is not a breach
        (Threshold(0.85, 0.8, "below"), 0.7999, "bad"),
        (Threshold(None, 1, "below"), 0, "bad"),
    ],
)
def test_threshold_classify(rule, value, state):
    assert rule.classify(value) == state


def test_defaults_follow_the_engine_targets():
    d = default_thresholds(SegmentPolicy(sl_threshold_s=30, sl_target=0.9))
    assert d["sl"] == Threshold(0.95, 0.9, "below")  # critical below sl_target
    assert d["oldest"] == Threshold(30, 90, "above")
    assert d["asa"] == Threshold(15, 30, "above")
    assert default_thresholds(SegmentPolicy(sl_target=0.98))["sl"].warn == 0.999


def test_board_then_segment_overrides():
    board = BoardSpec("b", thresholds=(("sl", Threshold(0.7, 0.6, "below")),),
                      segment_thresholds=(("vip", (("sl", Threshold(0.95, 0.9, "below")),)),))
    policy = SegmentPolicy()
    assert thresholds_for(board, "all", policy)["sl"].critical == 0.6
    assert thresholds_for(board, "vip", policy)["sl"].critical == 0.9
    assert thresholds_for(board, "vip", policy)["waiting"] == Threshold(5, 15, "above")


TOML = """
[engine]
windows = ["5m", "15m"]
[dashboard]
site_name = "上海热线"
language = "zh-CN"
alerts_url = "http://127.0.0.1:9095/api/v1/alerts"
[dashboard.boards.floor]
title = "Billing floor"
segments = ["all", "billing"]
tiles = ["now", "sl", "abandon"]
window = "5m"
segments_per_page = 2
rotate_s = 15
language = "en"
[dashboard.boards.floor.thresholds]
waiting = { warn = 3, critical = 10 }
available = { critical = 1 }
[dashboard.boards.floor.segment_thresholds.billing]
sl = { warn = 0.9, critical = 0.85 }
[dashboard.boards.wall]
"""


def test_boards_from_the_config_file(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text(TOML, encoding="utf-8")
    settings = load_settings(path)
    d = settings.dashboard
    assert (d.site_name, d.language, d.alerts_url) == \
        ("上海热线", "zh-CN", "http://127.0.0.1:9095/api/v1/alerts")
    floor, wall = d.boards
    assert floor == BoardSpec(
        name="floor", title="Billing floor", segments=("all", "billing"),
        tiles=("now", "sl", "abandon"), window="5m", segments_per_page=2, rotate_s=15.0,
        language="en",
        thresholds=(("waiting", Threshold(3, 10, "above")),
                    ("available", Threshold(None, 1, "below"))),
        segment_thresholds=(("billing", (("sl", Threshold(0.9, 0.85, "below")),)),))
    assert wall == BoardSpec("wall") and wall.tiles == DEFAULT_TILES
    check_boards(d.boards, settings.engine)
    # overrides from the command line keep the boards
    assert settings.with_overrides({"dashboard.port": 9000}).dashboard.boards == d.boards


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[dashboard.boards.x]\ncolour = "red"',
         "dashboard.boards.x.colour: unknown key"),
        ('[dashboard.boards."a b"]', "dashboard.boards.a b: board names are"),
        ('[dashboard.boards.x]\ntiles = ["now", "speed"]',
         "dashboard.boards.x.tiles: unknown 'speed'"),
        ('[dashboard.boards.x]\ntiles = ["now", "waiting"]',
         'dashboard.boards.x.tiles: "now" already shows waiting'),
        ('[dashboard.boards.x]\ntiles = ["now", "sl", "abandon", "asa"]\nsegments_per_page = 2',
         "dashboard.boards.x.tiles: at most 3 tiles"),
        ('[dashboard.boards.x]\nsegments_per_page = 5',
         "dashboard.boards.x.segments_per_page: must be an integer 1..2"),
        ('[dashboard.boards.x]\nrotate_s = 1', "dashboard.boards.x.rotate_s: must be >= 3"),
        ('[dashboard.boards.x]\nlanguage = "fr"', "dashboard.boards.x.language: must be one of"),
        ('[dashboard.boards.x]\nsegments = []',
         "dashboard.boards.x.segments: expected a non-empty"),
        ('[dashboard.boards.x.thresholds]\nspeed = { warn = 1 }',
         "dashboard.boards.x.thresholds.speed: unknown metric"),
        ('[dashboard.boards.x.thresholds]\nwaiting = { warn = 10, critical = 5 }',
         "dashboard.boards.x.thresholds.waiting.warn: must be <= critical (5)"),
        ('[dashboard.boards.x.thresholds]\nsl = { warn = 0.7, critical = 0.8 }',
         "dashboard.boards.x.thresholds.sl.warn: must be >= critical (0.8)"),
        ('[dashboard.boards.x.thresholds]\nsl = { warn = 0.9, direction = "up" }',
         "dashboard.boards.x.thresholds.sl.direction: must be"),
        ('[dashboard.boards.x.thresholds]\nsl = {}',
         "dashboard.boards.x.thresholds.sl: set warn, critical or both"),
        ('[dashboard.boards.x.thresholds]\nsl = { warn = "high" }',
         "dashboard.boards.x.thresholds.sl.warn: expected a finite number"),
        ('[dashboard.boards.x.thresholds]\nsl = { warn = 0.9, crit = 0.8 }',
         "dashboard.boards.x.thresholds.sl.crit: unknown key"),
        ('[dashboard.boards.x.segment_thresholds.vip]\nwaiting = 3',
         "dashboard.boards.x.segment_thresholds.vip.waiting: expected a table"),
        ('[dashboard]\nboards = 3', "dashboard.boards: expected tables"),
        ('[dashboard]\nlanguage = "de"', "dashboard.language: must be en or zh-CN"),
        ('[dashboard]\nalerts_url = "ftp://x"', "dashboard.alerts_url: expected an http(s) URL"),
    ],
)
def test_config_errors_name_the_key(tmp_path, toml, message):
    path = tmp_path / "w.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert message in str(exc.value)


def test_a_board_window_must_be_computed_by_the_engine():
    (board,) = parse_boards("dashboard.boards", {"x": {"window": "60m"}})
    check_boards((board,), EngineSettings())
    with pytest.raises(ConfigError, match="dashboard.boards.x.window: '60m' is not computed"):
        check_boards((board,), EngineSettings(windows=(("15m", 900),)))


@pytest.mark.parametrize(
    ("now", "expected"),
    [(0, (["a", "b"], 1, 3)), (19.9, (["a", "b"], 1, 3)), (20, (["c", "d"], 2, 3)),
     (40, (["e"], 3, 3)), (60, (["a", "b"], 1, 3))],
)
def test_pages_follow_the_clock(now, expected):
    assert page_segments(["a", "b", "c", "d", "e"], 2, now, 20) == expected


def test_one_page_never_rotates():
    assert page_segments(["a"], 1, 12345, 20) == (["a"], 1, 1)
    assert page_segments([], 1, 0, 20) == ([], 1, 1)

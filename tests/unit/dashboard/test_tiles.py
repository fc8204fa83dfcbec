"""The tiles of a segment: every figure, the definitions from the segment's engine settings,
the board's window, missing and malformed values, zh-CN, and the thresholds' state, icon
and word."""

from __future__ import annotations

import copy

import pytest

from dashboard.boards import BoardSpec, Threshold
from dashboard.formatting import MISSING
from dashboard.render import render
from dashboard.tiles import sl_definition
from streams.core.config import EngineSettings, SegmentPolicy, SegmentSpec
from tests.unit.dashboard.samples import (
    FULL_SEGMENT,
    MORE_TILES,
    NOW,
    PARTIAL_SEGMENT,
    one,
    snapshot,
    tiles_of,
    values_of,
)

# ------------------------------------------------------------------ every figure on the tiles


def test_every_figure_of_the_default_tiles():
    tiles = tiles_of(one(FULL_SEGMENT))
    now = tiles["now"]
    assert (now["label"], now["value"], now["value_id"]) == ("Waiting", "3", "waiting")
    assert [(ln["text"], ln["value"]) for ln in now["lines"]] == [
        ("Oldest wait", "0:42"), ("Over SL (> 20 s)", "1")]
    agents = tiles["agents"]
    assert agents["value"] == "12"
    assert [(r["label"], r["value"]) for r in agents["rows"]] == [
        ("Available", "2"), ("On call", "9"), ("ACW", "1"), ("Not ready", "3")]
    assert agents["note"] == "staffed = available + on call + ACW"
    sl = tiles["sl"]
    assert sl["value"] == "83%"
    assert [ln["text"] for ln in sl["lines"]] == [
        "SL 80/20 · short < 5 s excluded · 15 min", "today 81%"]
    ab = tiles["abandon"]
    assert (ab["label"], ab["value"]) == ("Abandon % · 15 min", "7.8%")
    assert [ln["text"] for ln in ab["lines"]] == [
        "4 abandoned · short < 5 s excluded", "today 3.1%"]
    asa = tiles["asa"]
    assert asa["value"] == "0:11"
    assert [(ln["text"], ln["value"]) for ln in asa["lines"]] == [
        ("Wait p90", "0:25"), ("AHT", "4:50")]
    fc = tiles["forecast"]
    assert (fc["label"], fc["value"]) == ("Agents required", "11")
    assert [(ln["text"], ln["value"]) for ln in fc["lines"]] == [
        ("vs staffed", "12"), ("Erlang C (no abandonment)", "")]


def test_the_other_tiles():
    tiles = tiles_of(one(FULL_SEGMENT, MORE_TILES))
    assert values_of(one(FULL_SEGMENT, MORE_TILES)) == {
        "waiting": "3", "oldest": "0:42", "over_sl": "1", "aht": "4:50", "p90": "0:25",
        "offered": "1,240"}
    assert tiles["oldest"]["lines"][0]["text"] == "SL threshold 20 s"
    assert [(ln["text"], ln["value"]) for ln in tiles["offered"]["lines"]] == [
        ("Answered", "1,200"), ("today 5,000", "")]


def test_definitions_come_from_the_segment_engine_settings():
    policy = SegmentPolicy(sl_threshold_s=30.0, sl_target=0.9, short_abandon_s=0.0,
                           abandon_policy="ignore")
    engine = EngineSettings(segments=(SegmentSpec("all", policy=policy),))
    tiles = tiles_of(one(FULL_SEGMENT, engine=engine))
    assert tiles["sl"]["lines"][0]["text"] == \
        "SL 90/30 · all abandons counted · 15 min · abandons ≤ 30 s ignored"
    assert tiles["abandon"]["lines"][0]["text"] == "4 abandoned · all abandons counted"
    assert tiles["now"]["lines"][1]["text"] == "Over SL (> 30 s)"
    # the SL thresholds follow sl_target: 0.8333 < 0.9 is a BREACH here, WARN at 80 %
    assert tiles["sl"]["status"] == "bad"
    assert tiles_of(one(FULL_SEGMENT))["sl"]["status"] == "warn"


@pytest.mark.parametrize(
    ("policy", "lang", "expected"),
    [
        (SegmentPolicy(), "en", "SL 80/20 · short < 5 s excluded · 15 min"),
        (SegmentPolicy(abandon_policy="positive", sl_threshold_s=10), "en",
         "SL 80/10 · short < 5 s excluded · 15 min · abandons ≤ 10 s count as met"),
        (SegmentPolicy(sl_target=0.95, short_abandon_s=2.5), "en",
         "SL 95/20 · short < 2.5 s excluded · 15 min"),
        (SegmentPolicy(), "zh-CN", "80/20 · 不计5秒内短放弃 · 15 分钟"),
    ],
)
def test_sl_definition(policy, lang, expected):
    assert sl_definition(policy, "15m", lang) == expected


def test_window_of_the_board():
    seg = copy.deepcopy(FULL_SEGMENT)
    seg["windows"]["5m"] = {"service_level": 0.5, "abandon_rate": 0.2}
    tiles = tiles_of(one(seg, BoardSpec("b", tiles=("sl", "abandon"), window="5m")))
    assert tiles["sl"]["value"] == "50%"
    assert tiles["sl"]["lines"][0]["text"].endswith("· 5 min")
    assert tiles["abandon"]["label"] == "Abandon % · 5 min"


def test_missing_values_are_dashes_never_zero():
    tiles = tiles_of(one(PARTIAL_SEGMENT))
    assert tiles["now"]["value"] == "0"  # a real zero
    assert tiles["now"]["lines"][0]["value"] == MISSING  # oldest wait: null
    assert tiles["sl"]["value"] == MISSING
    assert tiles["sl"]["status"] == "none"
    assert tiles["abandon"]["value"] == MISSING
    assert tiles["agents"]["value"] == MISSING
    assert tiles["forecast"]["value"] == MISSING
    assert tiles["sl"]["lines"][1]["text"] == f"today {MISSING}"


@pytest.mark.parametrize("segment", [None, 3, "x", [], {"now": 5}, {"windows": {"15m": 9}},
                                     {"now": {"agents": "many"}}, {"forecast": []}])
def test_malformed_segments_render_dashes(segment):
    tiles = tiles_of(one(segment))
    assert tiles["sl"]["value"] == MISSING
    assert tiles["now"]["value"] == MISSING


def test_zh_cn_labels_units_and_statuses():
    tiles = tiles_of(one(FULL_SEGMENT, lang="zh-CN"))
    assert tiles["now"]["label"] == "排队数"
    assert tiles["now"]["lines"][0]["text"] == "最长等待"
    assert tiles["sl"]["label"] == "服务水平"
    assert tiles["abandon"]["label"] == "放弃率 · 15 分钟"
    assert tiles["asa"]["label"] == "平均应答速度 · 15 分钟"
    assert tiles["agents"]["label"] == "坐席状态 · 在岗"
    assert tiles["sl"]["word"] == "警告"
    assert tiles["forecast"]["lines"][1]["text"] == "Erlang C（未计放弃）"
    view = one(FULL_SEGMENT, lang="zh-CN")
    assert view["segments"][0]["title"] == "全部队列"
    assert view["as_of"].startswith("数据时间 ")


# ------------------------------------------------------------------ thresholds


@pytest.mark.parametrize(
    ("key", "patch", "status", "icon", "word"),
    [
        ("now", {"now": {"waiting": 2, "oldest_wait_s": 5, "waiting_over_sl": 0}}, "ok", "✔",
         "OK"),
        ("now", {"now": {"waiting": 5, "oldest_wait_s": 5, "waiting_over_sl": 0}}, "warn", "▲",
         "WARN"),
        ("now", {"now": {"waiting": 2, "oldest_wait_s": 60, "waiting_over_sl": 0}}, "bad", "✖",
         "BREACH"),  # oldest >= 3 x the 20 s threshold
        ("now", {"now": {"waiting": 0, "oldest_wait_s": None, "waiting_over_sl": 5}}, "bad",
         "✖", "BREACH"),
        ("sl", {"windows": {"15m": {"service_level": 0.85}}}, "ok", "✔", "OK"),
        ("sl", {"windows": {"15m": {"service_level": 0.849}}}, "warn", "▲", "WARN"),
        ("sl", {"windows": {"15m": {"service_level": 0.7999}}}, "bad", "✖", "BREACH"),
        ("abandon", {"windows": {"15m": {"abandon_rate": 0.1}}}, "bad", "✖", "BREACH"),
        ("forecast", {"forecast": {"agents_required": 15, "staffed": 12}}, "bad", "✖",
         "BREACH"),
        ("forecast", {"forecast": {"agents_required": 12, "staffed": 12}}, "ok", "✔", "OK"),
    ],
)
def test_threshold_state_icon_word(key, patch, status, icon, word):
    tile = tiles_of(one(patch))[key]
    assert (tile["status"], tile["icon"], tile["word"]) == (status, icon, word)


def test_board_and_segment_thresholds_override_the_defaults():
    board = BoardSpec("b", tiles=("waiting", "sl"),
                      thresholds=(("waiting", Threshold(1, 2, "above")),),
                      segment_thresholds=(("billing", (("waiting", Threshold(10, 20,
                                                                              "above")),)),))
    snap = snapshot(all=FULL_SEGMENT, billing=FULL_SEGMENT)
    view = render(snap, NOW, NOW, board=board, paginate=False)
    assert tiles_of(view)["waiting"]["status"] == "bad"  # 3 >= 2 on this board
    assert tiles_of(view, "billing")["waiting"]["status"] == "ok"  # billing: warn from 10

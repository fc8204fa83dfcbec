"""Table-driven tests of the pure wallboard renderer: figures, definitions from the engine
settings, thresholds, freshness, time zone, languages, the alert ticker and the detail rows."""

from __future__ import annotations

import copy

import pytest

from dashboard.boards import BoardSpec, Threshold
from dashboard.render import (
    MISSING,
    alerts_ticker,
    detail_columns,
    detail_rows,
    dom_id,
    fmt_age,
    fmt_clock,
    fmt_duration,
    fmt_int,
    fmt_percent,
    fmt_window,
    render,
    segment_freshness,
    segment_order,
    sl_definition,
)
from streams.core.config import EngineSettings, SegmentPolicy, SegmentSpec

NOW = 1_795_000_000.0  # 2026-11-18T11:06:40Z, the injected clock of every test
AS_OF = "2026-11-18T11:06:40Z"

FULL_SEGMENT = {
    "now": {
        "waiting": 3,
        "oldest_wait_s": 42.0,
        "waiting_over_sl": 1,
        "agents": {"available": 2, "on_call": 9, "acw": 1, "not_ready": 3, "staffed": 12},
    },
    "windows": {
        "15m": {"offered": 1240, "answered": 1200, "abandoned": 4, "short_abandoned": 1,
                "handled": 1190, "service_level": 0.8333, "asa_s": 11.2, "wait_p90_s": 25.0,
                "aht_s": 290.5, "abandon_rate": 0.0789},
        "5m": {},
        "60m": {},
        "today": {"service_level": 0.81, "abandon_rate": 0.031, "offered": 5000},
    },
    "forecast": {"staffed": 12, "overloaded": False, "agents_required": 11},
}

# What an early worker serves: only some keys, and SL/oldest may be null.
PARTIAL_SEGMENT = {
    "now": {"waiting": 0, "oldest_wait_s": None, "waiting_over_sl": 0},
    "windows": {"15m": {"offered": 7, "answered": 5, "abandoned": 1, "dequeued": 0}},
}

ALL_TILES = BoardSpec("t", tiles=("now", "agents", "sl", "abandon", "asa", "forecast"))
MORE_TILES = BoardSpec("m", tiles=("waiting", "oldest", "over_sl", "aht", "p90", "offered"))


def snapshot(**segments: dict) -> dict:
    return {"as_of": AS_OF, "segments": segments}


def tiles_of(view: dict, segment: str = "all") -> dict[str, dict]:
    seg = next(s for s in view["segments"] if s["name"] == segment)
    return {t["key"]: t for t in seg["tiles"]}


def values_of(view: dict, segment: str = "all") -> dict[str, str]:
    return {k: t["value"] for k, t in tiles_of(view, segment).items()}


def one(segment: dict, board: BoardSpec = ALL_TILES, **kwargs) -> dict:
    return render(snapshot(all=segment), NOW, NOW, board=board, **kwargs)


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


@pytest.mark.parametrize(
    ("fraction", "decimals", "expected"),
    [(0.0789, 1, "7.8%"), (0.1, 1, "10.0%"), (0.09999, 1, "9.9%"), (None, 1, MISSING)],
)
def test_fmt_percent_decimals(fraction, decimals, expected):
    assert fmt_percent(fraction, decimals) == expected


@pytest.mark.parametrize(
    ("age", "lang", "expected"),
    [(0.4, "en", "0 s"), (119, "en", "119 s"), (120, "en", "2 min"), (7200, "en", "2 h"),
     (5, "zh-CN", "5 秒"), (600, "zh-CN", "10 分钟"), (None, "en", MISSING)],
)
def test_fmt_age(age, lang, expected):
    assert fmt_age(age, lang) == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("UTC", "11:06:40 UTC"), ("Asia/Shanghai", "19:06:40 UTC+8"),
     ("America/New_York", "06:06:40 UTC-5"), ("Asia/Kolkata", "16:36:40 UTC+5:30")],
)
def test_clock_in_the_engine_time_zone(zone, expected):
    engine = EngineSettings(timezone=zone)
    assert fmt_clock(NOW, engine.tz) == expected
    view = render(snapshot(all=FULL_SEGMENT), NOW, NOW, engine=engine)
    assert view["clock"] == expected
    assert view["as_of"] == f"Data as of {expected}"


@pytest.mark.parametrize(
    ("name", "lang", "expected"),
    [("15m", "en", "15 min"), ("1h", "en", "1 h"), ("30s", "zh-CN", "30 秒"),
     ("15m", "zh-CN", "15 分钟"), ("today", "zh-CN", "今日"), ("odd", "en", "odd")],
)
def test_fmt_window(name, lang, expected):
    assert fmt_window(name, lang) == expected


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


def test_segment_and_page_status_is_the_worst_tile():
    view = one(FULL_SEGMENT)
    assert view["segments"][0]["status"] == "warn"
    assert view["status"] == "warn"


# ------------------------------------------------------------------ freshness


def test_fresh_snapshot():
    view = render(snapshot(all=FULL_SEGMENT), NOW - 1.5, NOW)
    assert (view["stale"], view["banner"], view["age"]) == (False, None, "1 s")
    assert view["segments"][0]["age_text"] == "1 s old"


def test_stale_after_the_limit_says_since_when():
    view = render(snapshot(all=FULL_SEGMENT), NOW - 30, NOW, stale_after_s=5.0)
    assert view["stale"] is True
    assert view["banner"] == "STALE since 11:06:10 UTC — data is 30 s old"
    assert view["segments"][0]["stale"] is True
    assert view["segments"][0]["age_text"] == "STALE · 30 s old"
    assert values_of(view)["now"] == "3"  # the last good values stay on screen


def test_stale_banner_names_the_poller_error():
    view = render(snapshot(all=FULL_SEGMENT), NOW - 30, NOW, error="connection refused")
    assert view["banner"] == "STALE since 11:06:10 UTC — worker unreachable: connection refused"
    fresh = render(snapshot(all=FULL_SEGMENT), NOW - 1, NOW, error="timed out")
    assert fresh["banner"] is None  # a transient error with fresh data is not shown


def test_as_of_far_behind_the_fetch_is_stale():
    """A worker that serves an old snapshot (its clock stopped) is stale though fetched now."""
    snap = {"as_of": "2026-11-18T11:03:40Z", "segments": {"all": FULL_SEGMENT}}
    view = render(snap, NOW, NOW)
    assert view["stale"] is True and view["age"] == "3 min"


@pytest.mark.parametrize(
    ("error", "banner"),
    [(None, "NO DATA — waiting for the first snapshot from the worker"),
     ("connection refused", "NO DATA — worker unreachable: connection refused")],
)
def test_no_snapshot_banner(error, banner):
    view = render(None, None, NOW, error=error)
    assert view["banner"] == banner
    assert view["as_of"] == f"Data as of {MISSING}"


def test_a_worker_that_cannot_reach_kafka_makes_the_board_stale():
    snap = {**snapshot(all=FULL_SEGMENT),
            "feed": {"records": 10, "last_record_age_s": 95.0, "broker_reachable": False}}
    view = render(snap, NOW, NOW)
    assert view["stale"] is True
    assert view["banner"] == "STALE since 11:05:05 UTC — the worker cannot reach Kafka"
    assert values_of(view)["now"] == "3"
    live = {**snap, "feed": {**snap["feed"], "broker_reachable": True}}
    assert render(live, NOW, NOW)["stale"] is False


def test_worker_freshness_per_segment():
    snap = {**snapshot(all=FULL_SEGMENT, billing=FULL_SEGMENT),
            "freshness": {"stale_after_s": 10.0, "stale_partitions": [],
                          "segments": {"all": {"age_s": 1.0, "stale": False},
                                       "billing": {"age_s": 40.0, "stale": True}}}}
    view = render(snap, NOW - 1, NOW, paginate=False)
    segs = {s["name"]: s for s in view["segments"]}
    assert segs["all"]["stale"] is False and segs["all"]["age_text"] == "2 s old"
    assert segs["billing"]["stale"] is True and segs["billing"]["age_text"] == "STALE · 41 s old"
    assert view["stale"] is True


def test_a_stale_partition_makes_the_board_stale_since_its_last_record():
    """The worker's freshness block as it serves it: calls are spread over partitions by
    call id, so a partition that stopped may hold back any segment."""
    snap = {**snapshot(all=FULL_SEGMENT),
            "freshness": {"clock": "wall", "stale_after_s": 10.0,
                          "stale_partitions": ["cc.call-events/1"],
                          "partitions": [
                              {"topic": "cc.call-events", "partition": 0, "lag": 0,
                               "last_record_age_s": 0.5},
                              {"topic": "cc.call-events", "partition": 1, "lag": 12,
                               "last_record_age_s": 75.0}]}}
    view = render(snap, NOW - 1, NOW)
    assert view["stale"] is True and view["segments"][0]["stale"] is True
    assert view["banner"] == "STALE since 11:05:25 UTC — no events from cc.call-events/1"


def test_on_the_event_clock_as_of_is_not_the_data_age():
    """``worker.clock = "event"``: as_of is the event-time watermark (a replay of last week)."""
    snap = {"as_of": "2026-11-11T09:00:00Z", "segments": {"all": FULL_SEGMENT},
            "freshness": {"clock": "event", "stale_partitions": []}}
    view = render(snap, NOW - 1, NOW)
    assert view["stale"] is False and view["age"] == "1 s"
    assert view["as_of"] == "Data as of 09:00:00 UTC"


@pytest.mark.parametrize(
    ("block", "base", "expected"),
    [(None, 2.0, (2.0, False)), ({"age_s": 3.0, "stale": False}, 2.0, (5.0, True)),
     ({"age_s": 0.5, "stale": True}, 0.0, (0.5, True)), ({"age_s": "x"}, 1.0, (1.0, False)),
     (None, None, (None, True))],
)
def test_segment_freshness(block, base, expected):
    snap = {"freshness": {"segments": {"q": block}}} if block is not None else {}
    assert segment_freshness(snap, "q", base, stale_after_s=4.0) == expected


# ------------------------------------------------------------------ pages and order


def test_pages_rotate_with_the_clock_and_are_numbered():
    snap = snapshot(all=FULL_SEGMENT, a=PARTIAL_SEGMENT, b=PARTIAL_SEGMENT)
    board = BoardSpec("b", rotate_s=10)
    shown = [render(snap, NOW + k * 10, NOW + k * 10, board=board) for k in range(4)]
    names = [[s["name"] for s in v["segments"]] for v in shown]
    assert sorted(map(tuple, names[:3])) == [("a",), ("all",), ("b",)]
    assert names[3] == names[0]  # and round again
    assert {v["page_text"] for v in shown} == {"page 1/3", "page 2/3", "page 3/3"}
    two = render(snap, NOW, NOW, board=BoardSpec("b", segments_per_page=2,
                                                  tiles=("now", "sl")))
    assert two["pages"] == 2
    single = render(snapshot(all=FULL_SEGMENT), NOW, NOW)
    assert single["page_text"] == ""


def test_all_first_then_queues_sorted():
    snap = snapshot(sales=PARTIAL_SEGMENT, all=FULL_SEGMENT, Billing=PARTIAL_SEGMENT)
    view = render(snap, NOW, NOW, paginate=False)
    assert [s["name"] for s in view["segments"]] == ["all", "Billing", "sales"]
    assert [s["dom_id"] for s in view["segments"]] == ["all", "billing", "sales"]
    assert view["segments"][0]["title"] == "All queues"


def test_configured_segments_keep_their_order_even_before_data():
    view = render(snapshot(all=FULL_SEGMENT), NOW, NOW,
                  board=BoardSpec("b", segments=("vip", "all", "vip")), paginate=False)
    assert [s["name"] for s in view["segments"]] == ["vip", "all"]
    assert tiles_of(view, "vip")["now"]["value"] == MISSING
    assert segment_order(["b", "a"]) == ["a", "b"]


def test_colliding_dom_ids_are_made_unique():
    snap = snapshot(**{"a b": PARTIAL_SEGMENT, "a_b": PARTIAL_SEGMENT, "A-B": PARTIAL_SEGMENT})
    ids = [s["dom_id"] for s in render(snap, NOW, NOW, paginate=False)["segments"]]
    assert sorted(ids) == ["a-b", "a-b-2", "a-b-3"]


def test_render_is_pure():
    snap = snapshot(all=FULL_SEGMENT, sales=PARTIAL_SEGMENT)
    before = copy.deepcopy(snap)
    assert render(snap, NOW - 2, NOW) == render(snap, NOW - 2, NOW)
    assert snap == before


# ------------------------------------------------------------------ alert ticker

TZ = EngineSettings(timezone="Asia/Shanghai").tz


def test_ticker_without_alerting_says_why():
    off = alerts_ticker(False, None, None, TZ, "en")
    assert (off["state"], off["reason"], off["items"]) == ("off", "alerting not configured", [])
    err = alerts_ticker(True, None, "connection refused", TZ, "zh-CN")
    assert (err["state"], err["reason"]) == ("error", "无法连接告警接口：connection refused")
    bad = alerts_ticker(True, {"what": 1}, None, TZ, "en")
    assert bad["state"] == "error"
    assert alerts_ticker(True, [], None, TZ, "en")["reason"] == "no active alerts"


def test_ticker_reads_the_alerting_service_payload():
    """The shape of `wallboard alerts` GET /api/v1/alerts: {"active": [...], "recent": ...}."""
    payload = {"active": [
        {"rule": "sl_low", "segment": "billing", "state": "firing", "severity": "critical",
         "labels": {"alertname": "sl_low", "segment": "billing", "severity": "critical"},
         "summary": "SL 61% < 80%", "startsAt": "2026-11-18T08:50:00Z", "suppressed": False},
        {"rule": "waiting_high", "segment": "sales", "state": "pending", "severity": "warning",
         "labels": {}, "summary": "waiting 9", "startsAt": None}],
        "recent": [{"rule": "old", "state": "resolved"}], "silences": []}
    ticker = alerts_ticker(True, payload, None, TZ, "en")
    assert [(i["state"], i["text"], i["since"]) for i in ticker["items"]] == [
        ("bad", "sl_low · billing · SL 61% < 80%", "16:50:00 UTC+8")]


def test_ticker_lists_active_alerts_critical_first():
    payload = {"alerts": [
        {"name": "AbandonHigh", "severity": "warning", "segment": "sales",
         "summary": "abandons 12%", "since": "2026-11-18T08:40:00Z"},
        {"status": "firing", "labels": {"alertname": "SLLow", "severity": "critical",
                                        "queue": "billing"},
         "annotations": {"summary": "SL 61%"}, "startsAt": "2026-11-18T08:50:00Z"},
        {"name": "Old", "status": "resolved"},
        "junk",
    ]}
    ticker = alerts_ticker(True, payload, None, TZ, "en")
    assert ticker["state"] == "active"
    assert [(i["state"], i["word"], i["text"], i["since"]) for i in ticker["items"]] == [
        ("bad", "BREACH", "SLLow · billing · SL 61%", "16:50:00 UTC+8"),
        ("warn", "WARN", "AbandonHigh · sales · abandons 12%", "16:40:00 UTC+8"),
    ]
    many = alerts_ticker(True, [{"name": f"a{i}"} for i in range(8)], None, TZ, "en")
    assert len(many["items"]) == 5 and many["reason"] == "+3 more"


# ------------------------------------------------------------------ detail page


def test_detail_rows_have_every_figure_as_numbers():
    view = render(snapshot(all=FULL_SEGMENT, sales=PARTIAL_SEGMENT), NOW - 2, NOW,
                  paginate=False)
    rows = {r["segment"]: r for r in detail_rows(view)}
    row = rows["All queues"]
    assert row["waiting"] == 3 and row["oldest"] == 42.0 and row["staffed"] == 12
    assert row["sl"] == 83.3 and row["sl_today"] == 81.0 and row["abandon"] == 7.8
    assert row["asa"] == 11.2 and row["aht"] == 290.5 and row["required"] == 11
    assert row["age"] == 2 and row["status"] == "▲ WARN"
    assert rows["sales"]["sl"] is None  # missing stays missing
    ids = [c["id"] for c in detail_columns("en")]
    assert set(ids) - {"segment", "status"} <= set(row)
    assert detail_columns("zh-CN")[0]["name"] == "分组"

"""The Dash app without a browser: its layout, its two callbacks as the renderer calls them,
the checks of its settings, and its public names (the browser tests drive it live)."""

from __future__ import annotations

import pytest

from dashboard.app import create_app
from dashboard.boards import BoardSpec
from dashboard.config import DashboardSettings
from streams.core.config import EngineSettings
from streams.core.errors import ConfigError
from tests.unit.dashboard.fakes import NOW, SNAP, FakePoller, find


def test_layout_is_a_skeleton_filled_by_the_first_tick():
    app = create_app(FakePoller(SNAP, NOW - 1), now=lambda: NOW)
    page = app.layout()
    assert find(page, "tick").interval == 1000
    assert find(page, "url") is not None
    assert find(page, "stale-banner").hidden is True
    assert app.config.update_title is None
    assert app.title == "Contact centre"


def test_one_interval_drives_the_board_callback():
    app = create_app(FakePoller(), refresh_ms=500)
    inputs = [[i["id"] for i in cb["inputs"]] for cb in app.callback_map.values()]
    assert ["tick", "url", "url"] in inputs  # the board: tick plus the page's URL
    assert all(ids[0] == "tick" for ids in inputs)  # and the detail table: the same tick


def test_refresh_floor():
    with pytest.raises(ValueError):
        create_app(FakePoller(), refresh_ms=100)


def _call_tick(app, pathname="/", search="", state=None, n=1, tiles=()):
    """Run the board callback like the renderer does (``tiles``: the tile outputs the page
    has; none on a fresh page)."""
    import dash._callback_context as cc
    from dash._utils import AttributeDict

    (cb_key,) = [k for k, v in app.callback_map.items()
                 if [i["id"] for i in v["inputs"]] == ["tick", "url", "url"]]
    func = app.callback_map[cb_key]["callback"]
    outputs_list = [{"id": "board", "property": "children"}] * 2 + [list(tiles)] * 2 \
        + [[]] * 2 + [{"id": "x", "property": "children"}] * 13
    token = cc.context_value.set(AttributeDict(outputs_list=outputs_list, inputs_list=[],
                                               states_list=[], triggered_inputs=[]))
    try:
        return func.__wrapped__(n, pathname, search, state)
    finally:
        cc.context_value.reset(token)


def test_tick_builds_the_skeleton_then_only_answers_changes():
    app = create_app(FakePoller(SNAP, NOW - 1), now=lambda: NOW)
    out = _call_tick(app)
    body, state = out[0], out[16]
    assert out[18][0].children == "All queues"  # one segment: named in the top bar
    assert find(body[0], "waiting-all").children == "1,234"
    assert out[9] == "" and out[10] is True  # no banner
    assert out[15] == "en"
    again = _call_tick(app, state=state, n=2)
    assert again[0] is not body and again[17] == "2"  # heartbeat only
    from dash import no_update

    assert again[0] is no_update and again[16] is no_update


def test_tick_unknown_board_says_so():
    app = create_app(FakePoller(SNAP, NOW - 1), now=lambda: NOW)
    out = _call_tick(app, pathname="/board/nope")
    assert out[0][0].children == "Unknown board 'nope'; configured: main"


def test_zh_cn_board():
    app = create_app(FakePoller(SNAP, NOW - 1), now=lambda: NOW)
    out = _call_tick(app, search="?lang=zh-CN")
    assert out[15] == "zh-CN"
    assert "排队数" in str(out[0])
    assert out[13][0].children == "告警"


def test_a_board_window_the_engine_does_not_compute_is_refused():
    settings = DashboardSettings(boards=(BoardSpec("x", window="7m"),))
    with pytest.raises(ConfigError, match=r"^dashboard.boards.x.window: '7m' is not computed"):
        create_app(FakePoller(), settings=settings)


def test_serve_takes_its_settings():
    import inspect

    from dashboard.app import serve

    assert list(inspect.signature(serve).parameters)[0] == "settings"


def test_the_public_names_stay_on_dashboard_app():
    """`wallboard dashboard` and the benchmarks import these from dashboard.app."""
    import dashboard.app
    import dashboard.server

    assert dashboard.app.listen is dashboard.server.listen
    assert dashboard.app.PortInUse is dashboard.server.PortInUse
    assert set(dashboard.app.__all__) >= {"PortInUse", "create_app", "listen", "serve"}


def test_sparklines_come_from_the_server_side_history():
    from dashboard.history import History

    hist = History()
    for i in range(10):  # ten minutes before NOW
        hist.add({"segments": {"all": {"now": {"waiting": i}}}}, NOW - 600 + 60 * i)
    app = create_app(FakePoller(SNAP, NOW - 1), now=lambda: NOW, history=hist)
    out = _call_tick(app)
    spark = find(out[0][0], {"type": "tile", "seg": "all", "key": "now"})
    imgs = [c for c in spark.children[1].children if getattr(c, "className", "") == "spark"]
    assert len(imgs) == 1 and imgs[0].src.startswith("data:image/svg+xml;base64,")


def test_detail_rows_follow_the_tick():
    app = create_app(FakePoller(SNAP, NOW - 1), now=lambda: NOW)
    (key,) = [k for k, v in app.callback_map.items() if k.startswith("detail-table")]
    func = app.callback_map[key]["callback"].__wrapped__
    rows = func(1, "/detail", "")
    assert [r["segment"] for r in rows] == ["All queues", "Sales EU"]
    assert rows[0]["waiting"] == 1234
    from dash import no_update

    assert func(1, "/", "") is no_update  # not on the detail page: nothing to do


def test_a_tv_is_sent_only_the_tiles_that_changed():
    snap = {"as_of": "2026-11-22T01:15:00Z",
            "segments": {"all": {"now": {"waiting": 3}, "windows": {"15m": {"offered": 7}}}}}
    poller = FakePoller(snap, NOW - 1)
    clock = [NOW]
    app = create_app(poller, now=lambda: clock[0],
                     settings=DashboardSettings(boards=(BoardSpec("b", tiles=("now", "sl")),)))
    state = _call_tick(app)[16]
    outputs = [{"id": {"type": "tile", "seg": "all", "key": k}, "property": "className"}
               for k in ("now", "sl")]
    clock[0] += 1
    poller.value = ({**snap, "segments": {"all": {"now": {"waiting": 4},
                                                  "windows": {"15m": {"offered": 7}}}}},
                    clock[0] - 1, None)
    out = _call_tick(app, state=state, n=2, tiles=outputs)
    from dash import no_update

    now_children, sl_children = out[3]
    assert sl_children is no_update  # unchanged: not sent again
    assert find(now_children[1], "waiting-all").children == "4"


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai"])
def test_the_watchdog_gets_the_zone_and_its_texts(zone):
    app = create_app(FakePoller(SNAP, NOW - 1), now=lambda: NOW,
                     engine=EngineSettings(timezone=zone))
    root = app.layout().to_plotly_json()["props"]
    assert root["data-utc-offset-min"] == ("0" if zone == "UTC" else "480")
    assert root["data-disconnected-zh-CN"] == "连接中断 — 看板服务器自 {time} 起无响应"

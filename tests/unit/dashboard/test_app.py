"""The Dash app's layout, routing, server-side cache and callback without a browser (the
browser tests drive it live)."""

from __future__ import annotations

import pytest

from dashboard.app import (
    Model,
    board_class,
    create_app,
    layout_key,
    load_logo,
    route,
    segments_body,
)
from dashboard.boards import DEFAULT_BOARD, Boards, BoardSpec
from dashboard.config import DashboardSettings
from dashboard.render import render
from streams.core.config import EngineSettings
from streams.core.errors import ConfigError

NOW = 1_795_000_000.0
SNAP = {
    "as_of": "2026-11-22T01:15:00Z",
    "segments": {
        "all": {"now": {"waiting": 1234}, "windows": {"15m": {"offered": 7}}},
        "Sales EU": {"now": {"waiting": 16}},
    },
}
BOARDS = Boards((BoardSpec("main"), BoardSpec("floor", segments=("all",), language="zh-CN")))


class FakePoller:
    def __init__(self, snapshot=None, fetched_at=None, error=None) -> None:
        self.value = (snapshot, fetched_at, error)
        self.calls = 0

    def latest(self):
        self.calls += 1
        return self.value


def find(component, component_id):
    """Depth-first search of a Dash component tree by id."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    if not isinstance(children, list | tuple):
        children = [children]
    for child in children:
        if hasattr(child, "to_plotly_json"):
            found = find(child, component_id)
            if found is not None:
                return found
    return None


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


@pytest.mark.parametrize(
    ("path", "search", "kind", "board", "lang"),
    [
        ("/", "", "board", "main", "en"),
        ("/board/floor", "", "board", "floor", "zh-CN"),  # the board's own language
        ("/board/floor/", "?lang=en", "board", "floor", "en"),  # ?lang= wins
        ("/", "?lang=zh-cn", "board", "main", "zh-CN"),
        ("/", "?lang=klingon", "board", "main", "en"),  # unknown: the default
        ("/detail", "?lang=zh-CN", "detail", "main", "zh-CN"),
        ("/detail", "?board=floor", "detail", "floor", "zh-CN"),
        ("/board/nope", "", "unknown", None, "en"),
    ],
)
def test_route(path, search, kind, board, lang):
    got_kind, got_board, got_lang, error = route(path, search, BOARDS, "en")
    assert (got_kind, got_board.name if got_board else None, got_lang) == (kind, board, lang)
    assert (error is not None) == (kind == "unknown")
    if error:
        assert error == "Unknown board 'nope'; configured: main, floor"


def test_model_renders_once_per_second_for_every_tv():
    poller = FakePoller(SNAP, NOW - 1)
    clock = [NOW]
    model = Model(poller, engine=EngineSettings(), boards=BOARDS, stale_after_s=5.0,
                  now=lambda: clock[0], history=None, alerts=None)
    first = model.entry(DEFAULT_BOARD, "en")
    for _ in range(50):  # 50 TVs in the same second: the same cached entry
        assert model.entry(DEFAULT_BOARD, "en") is first
    clock[0] += 1.0
    later = model.entry(DEFAULT_BOARD, "en")
    assert later is not first
    assert model.entry(DEFAULT_BOARD, "zh-CN") is not later  # per language
    assert first["tiles"][("all", "now")][0].startswith("tile ")
    assert first["ticker"]["reason"] == "alerting not configured"


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


def test_board_class_and_layout_key():
    view = render(SNAP, NOW - 1, NOW, paginate=False)
    assert board_class(view) == "content per-2"
    assert layout_key(view)[:3] == ["main", "en", 1]
    stale = render(SNAP, NOW - 60, NOW)
    assert board_class(stale).endswith(" stale")


@pytest.mark.parametrize(
    ("snapshot", "text"),
    [(None, "Waiting for data…"), ({"segments": {}}, "No segments in the snapshot")],
)
def test_empty_board_message(snapshot, text):
    (div,) = segments_body(render(snapshot, NOW, NOW))
    assert div.children == text


def test_logo_is_embedded_and_checked(tmp_path):
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    assert load_logo(str(svg)).startswith("data:image/svg+xml;base64,")
    assert load_logo("") is None
    with pytest.raises(ConfigError, match="^dashboard.logo: cannot read"):
        load_logo(str(tmp_path / "missing.png"))
    txt = tmp_path / "logo.txt"
    txt.write_text("x")
    with pytest.raises(ConfigError, match="^dashboard.logo: .* is not a PNG"):
        load_logo(str(txt))
    app = create_app(FakePoller(), settings=DashboardSettings(logo=str(svg), site_name="上海热线"))
    page = app.layout()
    assert app.title == "上海热线"
    assert "data:image/svg+xml" in str(page)


def test_a_board_window_the_engine_does_not_compute_is_refused():
    settings = DashboardSettings(boards=(BoardSpec("x", window="7m"),))
    with pytest.raises(ConfigError, match=r"^dashboard.boards.x.window: '7m' is not computed"):
        create_app(FakePoller(), settings=settings)


# --------------------------------------------------------------------------- HTTP server


def _serve_in_thread(http_timeout_s: float):
    import threading

    from dashboard.app import listen

    app = create_app(FakePoller(SNAP, NOW), now=lambda: NOW)
    server = listen(app.server, "127.0.0.1", 0, http_timeout_s=http_timeout_s)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    return server, thread


def _closed_within(sock, limit_s: float) -> float:
    """Seconds until the server closed ``sock`` (EOF or reset); fails after ``limit_s``."""
    import time

    sock.settimeout(limit_s)
    started = time.monotonic()
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {limit_s} s")
    return time.monotonic() - started


def _get(port: int, path: str) -> tuple[int, bytes]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:  # noqa: S310
        return resp.status, resp.read()


@pytest.mark.parametrize("sent", [b"", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half"])
def test_a_silent_or_stalled_client_is_disconnected(sent):
    import socket

    server, thread = _serve_in_thread(http_timeout_s=1.0)
    try:
        port = server.port
        with socket.create_connection(("127.0.0.1", port)) as idle:
            idle.sendall(sent)
            # the server still answers others meanwhile
            assert _get(port, "/health")[0] == 200
            status, body = _get(port, "/")
            assert status == 200 and b"<html" in body.lower()
            assert _closed_within(idle, 15.0) >= 0.0
    finally:
        server.shutdown()
        thread.join(5)


def test_a_trickling_client_is_disconnected_after_the_header_deadline():
    """A byte every 0.2 s never trips a per-read timeout of 1 s; the header deadline does."""
    import socket
    import time

    server, thread = _serve_in_thread(http_timeout_s=1.0)
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as slow:
            slow.settimeout(0.2)
            started = time.monotonic()
            closed = False
            for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200:
                try:
                    slow.sendall(bytes([byte]))
                    if slow.recv(1) == b"":
                        closed = True
                        break
                except TimeoutError:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
            assert closed, "the server never gave up on the trickling headers"
            assert time.monotonic() - started < 15.0  # generous: the deadline is 1 s
    finally:
        server.shutdown()
        thread.join(5)


def test_an_idle_keep_alive_connection_is_closed():
    import socket

    server, thread = _serve_in_thread(http_timeout_s=1.0)
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            conn.settimeout(10)
            first = conn.recv(4096)
            assert first.startswith(b"HTTP/1.1 200")
            _closed_within(conn, 15.0)  # then nothing: the server hangs up
    finally:
        server.shutdown()
        thread.join(5)


def test_listen_on_a_busy_port_raises_one_line():
    import socket

    from dashboard.app import PortInUse, listen

    app = create_app(FakePoller())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUse) as exc:
            listen(app.server, "127.0.0.1", port)
    assert str(exc.value) == f"port {port} on 127.0.0.1 is already in use"
    assert isinstance(exc.value, OSError)


@pytest.mark.parametrize("timeout", [0.0, -1.0, float("nan"), float("inf")])
def test_listen_refuses_a_bad_timeout(timeout):
    from dashboard.app import listen

    with pytest.raises(ValueError, match="http_timeout_s"):
        listen(create_app(FakePoller()).server, "127.0.0.1", 0, http_timeout_s=timeout)


def test_serve_takes_its_settings():
    import inspect

    from dashboard.app import serve

    assert list(inspect.signature(serve).parameters)[0] == "settings"


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

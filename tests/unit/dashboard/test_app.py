"""The Dash app's layout and wiring without a browser (the browser tests drive it live)."""

from __future__ import annotations

import pytest

from dashboard.app import board_class, create_app, layout_key, segments_body
from dashboard.render import render

NOW = 1_795_000_000.0
SNAP = {
    "as_of": "2026-11-22T01:15:00Z",
    "segments": {
        "all": {"now": {"waiting": 1234}, "windows": {"15m": {"offered": 7}}},
        "Sales EU": {"now": {"waiting": 16}},
    },
}


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


def test_layout_has_stable_ids_and_values():
    poller = FakePoller(SNAP, NOW - 1)
    app = create_app(poller, now=lambda: NOW)
    before = poller.calls
    page = app.layout()  # a function: every page load shows the current data at once
    assert poller.calls == before + 1
    assert find(page, "waiting-all").children == "1,234"
    assert find(page, "waiting-sales-eu").children == "16"
    assert find(page, "sl-all").children == "—"
    assert find(page, "as-of").children == "Data as of 01:15:00 UTC"
    banner = find(page, "stale-banner")
    assert banner.hidden is True
    assert find(page, "tick").interval == 1000
    assert app.config.update_title is None


def test_layout_without_data_shows_banner():
    page = create_app(FakePoller(error="connection refused"), now=lambda: NOW).layout()
    banner = find(page, "stale-banner")
    assert banner.hidden is False
    assert banner.children == "NO DATA — worker unreachable: connection refused"


def test_one_interval_one_callback():
    app = create_app(FakePoller(), refresh_ms=500)
    assert len(app.callback_map) == 1
    (callback,) = app.callback_map.values()
    assert [i["id"] for i in callback["inputs"]] == ["tick"]


def test_refresh_floor():
    with pytest.raises(ValueError):
        create_app(FakePoller(), refresh_ms=100)


def test_board_class_and_layout_key():
    view = render(SNAP, NOW - 1, NOW)
    assert board_class(view) == "content rows-few"
    assert layout_key(view) == [["all", "All queues", "all"], ["sales-eu", "Sales EU", "Sales EU"]]
    stale = render(SNAP, NOW - 60, NOW)
    assert board_class(stale) == "content rows-few stale"
    many = {"segments": {f"q{i}": {} for i in range(8)}}
    assert board_class(render(many, NOW, NOW)) == "content rows-many"


@pytest.mark.parametrize(
    ("snapshot", "text"),
    [(None, "Waiting for data…"), ({"segments": {}}, "No segments in the snapshot")],
)
def test_empty_board_message(snapshot, text):
    (div,) = segments_body(render(snapshot, NOW, NOW))
    assert div.children == text


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


def test_serve_takes_the_timeout():
    import inspect

    from dashboard.app import serve

    assert inspect.signature(serve).parameters["http_timeout_s"].default == 15.0

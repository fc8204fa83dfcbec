"""The HTTP side: the embedded logo, and the hardened werkzeug server (silent, stalled,
trickling and idle clients are disconnected; a busy port is one line)."""

from __future__ import annotations

import pytest

from dashboard.app import create_app
from dashboard.config import DashboardSettings
from dashboard.server import load_logo
from streams.core.errors import ConfigError
from tests.unit.dashboard.fakes import NOW, SNAP, FakePoller


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


# --------------------------------------------------------------------------- HTTP server


def _serve_in_thread(http_timeout_s: float):
    import threading

    from dashboard.server import listen

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

    from dashboard.server import PortInUse, listen

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
    from dashboard.server import listen

    with pytest.raises(ValueError, match="http_timeout_s"):
        listen(create_app(FakePoller()).server, "127.0.0.1", 0, http_timeout_s=timeout)

"""The HTTP side: the embedded logo, and the bounded waitress server (silent, stalled,
trickling and idle clients are disconnected; header and body sizes are bounded; a busy port
is one line; a stop closes every connection; the open-files limit bounds the connections);
short 404s for files the board does not serve, and the optional access log (dashboard.wsgi).
The real process under 1 000 clients: tests/integration/test_dashboard_server.py."""

from __future__ import annotations

import contextlib

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


def _serve_in_thread(http_timeout_s: float = 15.0, **limits):
    import threading

    from dashboard.server import listen

    app = create_app(FakePoller(SNAP, NOW), now=lambda: NOW)
    server = listen(app.server, "127.0.0.1", 0, http_timeout_s=http_timeout_s, **limits)
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


@pytest.mark.parametrize(("key", "value"), [("threads", 0), ("max_connections", 1.5),
                                            ("max_header_bytes", -1), ("max_body_bytes", 0)])
def test_listen_refuses_bad_limits(key, value):
    from dashboard.server import listen

    with pytest.raises(ValueError, match=key):
        listen(create_app(FakePoller()).server, "127.0.0.1", 0, **{key: value})


def _exchange(port: int, request: bytes) -> bytes:
    """Send ``request`` and read until the server closes or 10 s pass."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while chunk := conn.recv(65536):
                data += chunk
                if b"\r\n\r\n" in data:
                    break
        return data


def test_large_headers_and_bodies_are_refused():
    server, thread = _serve_in_thread(max_header_bytes=2048, max_body_bytes=4096)
    try:
        big_header = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4096 + b"\r\n\r\n"
        assert _exchange(server.port, big_header).split(b" ", 2)[1] == b"431"
        body = b"{" + b" " * 8192 + b"}"
        post = (b"POST /_dash-update-component HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        assert _exchange(server.port, post + body).split(b" ", 2)[1] == b"413"
        assert _get(server.port, "/health") == (200, b"OK")
    finally:
        server.shutdown()
        thread.join(5)


def test_a_stop_closes_every_connection_and_the_listening_socket():
    import socket

    server, thread = _serve_in_thread()
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
    try:
        for conn in idle[:10]:  # kept alive after a request, or never asked anything
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        server.shutdown()
        thread.join(5)
        assert not thread.is_alive()
        assert all(_closed_within(conn, 5.0) >= 0 for conn in idle)
        assert server.socket_map == {}
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
    finally:
        for conn in idle:
            conn.close()


def test_the_connection_limit_fits_the_open_files_limit(monkeypatch, caplog):
    import resource

    from dashboard import server as srv

    monkeypatch.setattr(srv, "_open_descriptors", lambda: 36)
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, 4096))
    raised = []
    monkeypatch.setattr(resource, "setrlimit", lambda which, limits: raised.append(limits))
    assert srv.connection_budget(2000) == 2000  # the soft limit raised toward the hard one
    assert raised == [(36 + srv.FD_RESERVE + 2000, 4096)]
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, 1024))
    assert srv.connection_budget(2000) == 1024 - 36 - srv.FD_RESERVE
    assert "the open-files limit (1024) leaves room for 924 of the 2000" in caplog.text
    assert srv.connection_budget(500) == 500  # fits: nothing said
    assert caplog.text.count("open-files limit") == 1


def test_out_of_descriptors_pauses_accepting_with_one_line(monkeypatch, caplog):
    import errno

    from waitress import wasyncore

    def emfile(self):
        raise OSError(errno.EMFILE, "Too many open files")

    server = _serve_in_thread()[0]
    try:
        monkeypatch.setattr(wasyncore.dispatcher, "accept", emfile)
        assert server.accept() is None and server.accept() is None  # no traceback, no raise
        assert not server.readable()  # paused: the loop does not spin on the listening socket
        assert caplog.text.count("cannot accept a connection: Too many open files") == 1
    finally:
        monkeypatch.undo()
        server.shutdown()


@pytest.mark.parametrize(("toml", "error"), [
    ("threads = 0", "dashboard.threads: must be >= 1"),
    ("threads = 1000", "dashboard.threads: must be >= 1 and <= 256"),
    ("max_connections = 0", "dashboard.max_connections: must be >= 1"),
    ("max_connections = 2.5", "dashboard.max_connections: expected integer"),
    ("max_header_bytes = 100", "dashboard.max_header_bytes: must be >= 1024 and <= 1048576, "
                               "got 100"),
    ("max_body_bytes = 1e12", "dashboard.max_body_bytes: expected integer"),
    ("access_log = 1", "dashboard.access_log: expected boolean"),
])
def test_the_server_settings_are_checked(toml, error):
    import tomllib

    from dashboard.config import parse_dashboard

    with pytest.raises(ConfigError, match=f"^{error}"):
        parse_dashboard("dashboard", DashboardSettings(), tomllib.loads(toml))


def test_server_settings_have_their_defaults_and_are_immutable():
    import dataclasses

    s = DashboardSettings()
    assert (s.threads, s.max_connections, s.max_header_bytes, s.max_body_bytes,
            s.access_log, s.http_timeout_s) == (8, 2000, 65536, 1048576, False, 15.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.threads = 2  # type: ignore[misc]


# --------------------------------------------------------------------------- 404s, access log

BAD_PATHS = ["/_dash-component-suites/dash/../../etc/passwd", "/_dash-component-suites/x/y.js",
             "/_dash-component-suites/dash/nope.js", "/assets/nope.css", "/assets/../app.py"]


def test_files_the_board_does_not_serve_are_short_404s_with_one_line(caplog):
    import logging

    app = create_app(FakePoller(SNAP, NOW), now=lambda: NOW)
    app.registered_paths["dash"].add("registered/but/missing.js")  # e.g. a source map
    client = app.server.test_client()
    with caplog.at_level(logging.INFO):
        for path in [*BAD_PATHS, "/_dash-component-suites/dash/registered/but/missing.js"]:
            resp = client.get(path)
            assert (resp.status_code, resp.data) == (404, b"not found\n"), path
            assert resp.headers["Content-Type"].startswith("text/plain")
        assert client.get("/assets/wallboard.css").status_code == 200
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1 and "404 for GET /_dash-component-suites" in records[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_a_missing_file_elsewhere_is_still_an_error(caplog):
    app = create_app(FakePoller(SNAP, NOW), now=lambda: NOW)

    @app.server.route("/boom")
    def boom():
        raise FileNotFoundError("a bug, not a bad path")

    assert app.server.test_client().get("/boom").status_code == 500
    assert any(r.exc_info for r in caplog.records)  # Flask's traceback, as for any bug


def test_a_logged_path_is_one_line():
    from dashboard.wsgi import printable

    assert printable("/a\nb\x1b[31m") == "/a\\nb\\x1b[31m"
    assert printable("x" * 500, 10) == "x" * 10 + "..."


def test_the_access_log_is_one_line_per_request(caplog):
    import logging

    from werkzeug.test import Client

    from dashboard.wsgi import AccessLog

    app = create_app(FakePoller(SNAP, NOW), now=lambda: NOW)
    client = Client(AccessLog(app.server))
    with caplog.at_level(logging.INFO, logger="wallboard.dashboard.access"):
        for path, status in (("/health?x=1", 200), ("/assets/nope.css", 404)):
            with client.get(path, environ_base={"REMOTE_ADDR": "127.0.0.1"}) as resp:
                assert resp.status_code == status
    lines = [r.getMessage() for r in caplog.records if r.name == "wallboard.dashboard.access"]
    assert len(lines) == 2
    assert lines[0].startswith('127.0.0.1 "GET /health?x=1 HTTP/1.1" 200 2 ')
    assert lines[1].startswith('127.0.0.1 "GET /assets/nope.css HTTP/1.1" 404 10 ')

"""The wallboard's HTTP server as ``wallboard dashboard`` runs it (issue 19, findings 4, 9).

Finding 4: werkzeug's development server took a thread and, for a keep-alive client that
reuses its connection, an extra epoll descriptor per connection (1 000 clients: 2 006 open
files, 1 002 threads); under ``ulimit -n 1024`` 900 clients made it log "Too many open files".
Here 1 000 keep-alive clients cost one descriptor each and no thread, every one is answered
twice on its connection, health answers meanwhile, and descriptors and RSS come back to the
baseline after they close; under ``ulimit -n 1024`` 900 clients are served without an error;
SIGTERM stops it cleanly with connections open.

Finding 9: a bad component-suite path was a traceback at ERROR and a 500, and every request
an access-log line. Here bad paths are short 404s with one WARNING line, and the access log
is off unless asked for (``--access-log``).

The board reads a fake worker (:class:`tests.support.JsonHttpServer`). No timing asserts:
every wait polls a condition with a deadline.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.clients import free_port
from tests.support import JsonHttpServer, get_text, terminate, wait_until
from tests.unit.dashboard.fakes import SNAP

CLIENTS = 1000
THREADS = 8  # dashboard.threads' default
REQUEST = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
RSS_SLACK_KIB = 32 * 1024  # RSS "near the baseline": within 32 MiB after the clients close
FD_SLACK = 16  # the process's own descriptors that may come and go (pollers, log files)


@dataclass
class Board:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def descriptors(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/task"))

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(next(line for line in status.splitlines()
                        if line.startswith("VmRSS:")).split()[1])

    def health(self) -> bool:
        return get_text(f"http://127.0.0.1:{self.port}/health", timeout=10) == "OK"

    def get(self, path: str) -> tuple[int, bytes]:
        """GET ``path`` exactly as written (no dot-segment clean-up), on a new connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


@contextlib.contextmanager
def board(tmp_path: Path, *flags: str, nofile: int | None = None) -> Iterator[Board]:
    """``wallboard dashboard`` on a free port reading a fake worker, until the test ends;
    ``nofile``: under ``ulimit -n NOFILE`` (soft and hard)."""
    worker = JsonHttpServer(json.dumps(SNAP).encode())
    port = free_port()
    argv = [sys.executable, "-m", "wallboard", "dashboard", "--port", str(port),
            "--snapshot-url", worker.url, *flags]
    if nofile is not None:
        argv = ["sh", "-c", f'ulimit -n {int(nofile)} && exec "$0" "$@"', *argv]
    tmp_path.mkdir(parents=True, exist_ok=True)
    log_path = tmp_path / "dashboard.log"
    with log_path.open("wb") as logf:
        proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    running = Board(proc, port, log_path)
    try:
        wait_until(running.health, timeout=60, what="the board's /health", proc=proc,
                   log_path=log_path)
        yield running
    finally:
        terminate(proc, timeout=20)
        worker.stop()


@pytest.fixture(autouse=True)
def _enough_descriptors() -> Iterator[None]:
    """This process holds the clients' sockets: raise its soft limit (up to the hard one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = CLIENTS + 512
    if hard != resource.RLIM_INFINITY and hard < want:
        pytest.skip(f"needs {want} open files, the hard limit is {hard}")
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _response(sock: socket.socket) -> bytes:
    """One response to ``GET /health`` (headers and the body ``OK``), or what came before EOF."""
    data = b""
    while not data.endswith(b"\r\n\r\nOK"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _keep_alive_clients(port: int, n: int, *, again: bool = True) -> list[socket.socket]:
    """``n`` keep-alive clients: each asks, reads the answer and (``again``) asks again at
    once on the same connection (what tripped werkzeug's server: a thread and an epoll per
    connection)."""
    clients = []
    for _ in range(n):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        clients.append(sock)
        sock.sendall(REQUEST)
        assert _response(sock).startswith(b"HTTP/1.1 200"), "first request not answered"
        if again:
            with contextlib.suppress(OSError):  # werkzeug had closed the connection
                sock.sendall(REQUEST)
    return clients


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(4096) == b""
    except ConnectionResetError:
        return True


def _close(clients: list[socket.socket]) -> None:
    for sock in clients:
        sock.close()


def _second_answers(clients: list[socket.socket]) -> int:
    answered = 0
    for sock in clients:
        with contextlib.suppress(OSError):
            answered += _response(sock).startswith(b"HTTP/1.1 200")
    return answered


def _warm_up(b: Board) -> None:
    for path in ("/", "/health", "/_dash-layout", "/_dash-dependencies",
                 "/assets/wallboard.css"):
        assert b.get(path)[0] == 200, path


def test_a_thousand_keep_alive_clients_cost_a_descriptor_each_and_leave_nothing_behind(
        tmp_path):
    with board(tmp_path) as b:
        _warm_up(b)
        base_fds, base_rss = b.descriptors(), b.rss_kib()
        clients = _keep_alive_clients(b.port, CLIENTS)
        try:
            assert b.health(), "health must answer while the clients are connected"
            during_fds, during_threads = b.descriptors(), b.threads()
            # one descriptor per connection (werkzeug: two, and a thread each)
            assert during_fds <= base_fds + CLIENTS + FD_SLACK, (base_fds, during_fds)
            assert during_threads <= THREADS + 8, during_threads
            assert _second_answers(clients) == CLIENTS, "keep-alive: the second request"
        finally:
            _close(clients)
        wait_until(lambda: b.descriptors() <= base_fds + 2, timeout=30,
                   what=f"descriptors back to about {base_fds} (now {b.descriptors()})",
                   proc=b.proc, log_path=b.log_path)
        wait_until(lambda: b.rss_kib() <= base_rss + RSS_SLACK_KIB, timeout=30,
                   what=f"RSS back near {base_rss} KiB", proc=b.proc, log_path=b.log_path)
        assert b.health()
        print(f"\nfds {base_fds} -> {during_fds} -> {b.descriptors()}; RSS "
              f"{base_rss // 1024} -> {b.rss_kib() // 1024} MiB; threads {during_threads}")
    log = b.log()
    assert "Traceback" not in log and "Too many open files" not in log, log[-3000:]


def test_under_ulimit_1024_nine_hundred_clients_are_served_without_errors(tmp_path):
    with board(tmp_path, nofile=1024) as b:
        clients = _keep_alive_clients(b.port, 900)
        try:
            healthy = b.health()
            answered = _second_answers(clients)
        finally:
            _close(clients)
        assert b.health()
    log = b.log()
    assert "Too many open files" not in log and "Traceback" not in log, log[-3000:]
    assert healthy, "health must answer while the clients are connected"
    assert answered == 900, "keep-alive: the second request"
    # the connection limit was fitted to the open-files limit, and said so once
    assert log.count("the open-files limit (1024) leaves room for") == 1, log[-3000:]


def test_sigterm_stops_the_board_cleanly_with_connections_open(tmp_path):
    with board(tmp_path) as b:
        idle = _keep_alive_clients(b.port, 50, again=False)
        half = socket.create_connection(("127.0.0.1", b.port), timeout=30)
        half.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half")
        try:
            b.proc.send_signal(signal.SIGTERM)
            assert b.proc.wait(timeout=20) == 0
            assert all(_closed_by_server(sock) for sock in [*idle, half])
        finally:
            _close([*idle, half])
    log = b.log()
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]


BAD_PATHS = (
    "/_dash-component-suites/dash/../../etc/passwd",  # a traversal attempt
    "/_dash-component-suites/dash/%2e%2e/%2e%2e/etc/passwd",
    "/_dash-component-suites/nope/x.js",  # not a registered library
    "/_dash-component-suites/dash/nope.js",  # not a registered file
    "/assets/nope.css",  # an unknown asset
    "/assets/../server.py",
)


def test_bad_paths_are_short_404s_with_one_warning_line(tmp_path):
    with board(tmp_path) as b:
        for path in BAD_PATHS:
            status, body = b.get(path)
            assert (status, body) == (404, b"not found\n"), path
        assert b.get("/")[0] == 200 and b.health()
        b.proc.send_signal(signal.SIGTERM)
        assert b.proc.wait(timeout=20) == 0  # everything it logged is in the file now
    log = b.log()
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]
    lines = [line for line in log.splitlines() if "404 for GET" in line]
    assert len(lines) == 1 and " WARNING " in lines[0], lines  # the rest: throttled


def test_the_access_log_is_off_by_default_and_one_line_per_request_when_asked_for(tmp_path):
    with board(tmp_path / "off") as b:
        assert b.get("/")[0] == 200 and b.get("/assets/wallboard.css")[0] == 200
        b.proc.send_signal(signal.SIGTERM)
        assert b.proc.wait(timeout=20) == 0  # everything it logged is in the file now
    assert "GET /health" not in b.log() and "GET /assets" not in b.log(), b.log()
    with board(tmp_path / "on", "--access-log") as b:
        assert b.get("/assets/wallboard.css")[0] == 200
        assert b.get("/assets/nope.css")[0] == 404
        wait_until(lambda: '"GET /assets/wallboard.css HTTP/1.1" 200' in b.log()
                   and '"GET /assets/nope.css HTTP/1.1" 404 10 ' in b.log(), timeout=20,
                   what="the access-log lines", proc=b.proc, log_path=b.log_path)
        assert " INFO wallboard.dashboard.access: 127.0.0.1 " in b.log()

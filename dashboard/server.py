"""The HTTP side of the wallboard: how it is served, and what it serves besides callbacks.

:func:`listen` binds a waitress server (a production WSGI server: one event loop holds every
connection, a fixed pool of threads runs the requests) with bounded connections, header and
body sizes and times: a client that sends nothing, half a header, or a byte now and then is
disconnected, and so is an idle keep-alive connection. A taken port is :class:`PortInUse`,
one line naming host and port. :func:`serve_until_stopped` runs it until Ctrl-C or SIGTERM,
then stops accepting, lets the requests in flight finish and closes every connection.
:data:`ASSETS` is the folder Dash serves the CSS and the watchdog script from;
:func:`load_logo` embeds the configured logo as a data URI, so it needs no route.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import logging
import math
import mimetypes
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer

from dashboard.config import DashboardSettings
from streams.core.errors import ConfigError
from streams.logthrottle import ThrottleFilter, install

__all__ = ["ASSETS", "DEFAULT_HTTP_TIMEOUT_S", "MAX_LOGO_BYTES", "PortInUse", "WallboardServer",
           "connection_budget", "listen", "load_logo", "serve_until_stopped"]

ASSETS = Path(__file__).parent / "assets"
MAX_LOGO_BYTES = 512 * 1024
DEFAULT_HTTP_TIMEOUT_S = DashboardSettings.http_timeout_s
_LOGO_TYPES = ("image/png", "image/svg+xml", "image/jpeg", "image/webp", "image/gif")
FD_RESERVE = 64  # descriptors kept free for the pollers, temporary files and the libraries
STOP_GRACE_S = 5.0  # after SIGTERM, requests in flight get this long to finish
_ACCEPT_PAUSE_S = 0.5  # out of descriptors: stop accepting for this long (no busy loop)

log = logging.getLogger("wallboard.dashboard.server")
log.addFilter(ThrottleFilter(30.0))
# waitress warns "Task queue depth is N" for every request that waits for a thread, and at each
# crossing of the connection limit: under load, once per 30 s with a count is enough
install(ThrottleFilter(30.0), ("waitress",))


def load_logo(path: str) -> str | None:
    """The logo file as a data URI (bounded size); ConfigError naming ``dashboard.logo``."""
    if not path:
        return None
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"dashboard.logo: cannot read {str(p)!r}: {exc.strerror}") from None
    if len(data) > MAX_LOGO_BYTES:
        raise ConfigError(f"dashboard.logo: {str(p)!r} is larger than {MAX_LOGO_BYTES} bytes")
    mime = mimetypes.guess_type(p.name)[0]
    if mime not in _LOGO_TYPES:
        raise ConfigError(f"dashboard.logo: {str(p)!r} is not a PNG, SVG, JPEG, WebP or GIF")
    return f"data:{mime};base64," + base64.b64encode(data).decode()


class PortInUse(OSError):
    """The wallboard's port is taken by another program; ``str()`` names host and port."""


class _Channel(HTTPChannel):
    """waitress's connection, which remembers since when it waits for a request: the time it
    was opened, or the end of its last request (the header deadline counts from there)."""

    def __init__(self, server: Any, sock: socket.socket, addr: Any, adj: Adjustments,
                 map: dict | None = None) -> None:  # noqa: A002 - waitress's signature
        super().__init__(server, sock, addr, adj, map=map)
        self.waiting_since = self.creation_time

    def service(self) -> None:
        self.waiting_since = time.time()
        try:
            super().service()
        finally:
            self.waiting_since = time.time()


class WallboardServer(TcpWSGIServer):
    """waitress's TCP server on a socket bound by :func:`listen`, with the header deadline,
    no busy loop when the process runs out of descriptors, and a stop that closes every
    connection. ``port`` is the bound port; :meth:`serve_forever` runs it, :meth:`shutdown`
    (any thread) or :meth:`stop_soon` (a signal handler) ends it."""

    channel_class = _Channel

    def __init__(self, wsgi_app: Any, sock: socket.socket, adj: Adjustments) -> None:
        self.socket_map: dict[int, Any] = {}
        self.stopping = False
        self.accept_paused_until = 0.0
        self._serving = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()
        super().__init__(wsgi_app, map=self.socket_map, _sock=sock, adj=adj, bind_socket=False,
                         sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()))
        self.port = int(self.effective_port)

    # ------------------------------------------------------------------ event loop hooks

    def readable(self) -> bool:
        accepting = super().readable()  # also runs maintenance() once per cleanup_interval
        return accepting and time.monotonic() >= self.accept_paused_until

    def accept(self) -> tuple[socket.socket, Any] | None:
        try:
            return super().accept()
        except OSError as exc:
            if exc.errno not in (errno.EMFILE, errno.ENFILE):
                raise
            self.accept_paused_until = time.monotonic() + _ACCEPT_PAUSE_S
            log.warning("cannot accept a connection: %s (the open-files limit); "
                        "%d connections open", exc.strerror, len(self.active_channels))
            return None

    def maintenance(self, now: float) -> None:
        """waitress's idle rule (no request running, no byte moved for ``channel_timeout``),
        and the header deadline: a connection that has no request running and nothing left
        to send must deliver a complete request within ``channel_timeout`` of the end of the
        previous one (or of its opening), however slowly it trickles bytes."""
        super().maintenance(now)
        cutoff = now - self.adj.channel_timeout
        for channel in list(self.active_channels.values()):
            if (not channel.requests and not channel.total_outbufs_len
                    and channel.waiting_since < cutoff):
                channel.will_close = True

    # ------------------------------------------------------------------ running, stopping

    def serve_forever(self, poll_interval: float | None = None) -> None:
        """Serve until :meth:`shutdown` or :meth:`stop_soon`; then stop accepting, give the
        requests in flight up to :data:`STOP_GRACE_S` and close every connection."""
        timeout = self.adj.asyncore_loop_timeout if poll_interval is None else poll_interval
        self._stopped.clear()
        self._serving.set()
        try:
            while not self.stopping and self.socket_map:
                wasyncore.loop(timeout=timeout, map=self.socket_map, use_poll=True, count=1)
            self._finish_in_flight(STOP_GRACE_S)
        finally:
            self.close_all()
            self._stopped.set()

    def stop_soon(self) -> None:
        """Ask :meth:`serve_forever` to stop (within one poll interval): safe in a signal
        handler, which must take no lock."""
        self.stopping = True

    def shutdown(self, timeout: float = STOP_GRACE_S + 5.0) -> None:
        """Stop :meth:`serve_forever` (from another thread; within one poll interval) and
        wait until it has."""
        self.stopping = True
        if self._serving.is_set():
            self._stopped.wait(timeout)

    def _finish_in_flight(self, grace_s: float) -> None:
        wasyncore.dispatcher.close(self)  # the listening socket: no new connections
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            busy = False
            for channel in list(self.active_channels.values()):
                if channel.requests or channel.total_outbufs_len:
                    busy = True
                else:
                    channel.will_close = True  # idle: closed by the next loop pass
            if not busy and len(self.socket_map) <= 1:  # only the trigger is left
                return
            wasyncore.loop(timeout=0.05, map=self.socket_map, use_poll=True, count=1)

    def close_all(self) -> None:
        """Close the listening socket, every connection and the thread pool (idempotent)."""
        self.task_dispatcher.shutdown(cancel_pending=True, timeout=STOP_GRACE_S)
        wasyncore.close_all(self.socket_map, ignore_all=True)
        with contextlib.suppress(OSError):
            self.close()

    def server_close(self) -> None:  # the name werkzeug's and socketserver's servers use
        self.close_all()


def _open_descriptors() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:  # not Linux: a guess
        return 32


def connection_budget(wanted: int) -> int:
    """How many connections fit under the open-files limit: ``wanted``, after raising the
    soft limit toward the hard one if needed, else as many as the limit leaves room for
    (one WARNING line). Without that, accepts would fail with "Too many open files"."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    in_use = _open_descriptors()
    need = in_use + FD_RESERVE + wanted
    if soft != resource.RLIM_INFINITY and soft < need:
        raised = need if hard == resource.RLIM_INFINITY else min(hard, need)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
    if soft == resource.RLIM_INFINITY or soft >= need:
        return wanted
    budget = max(1, soft - in_use - FD_RESERVE)
    log.warning("the open-files limit (%d) leaves room for %d of the %d connections "
                "of dashboard.max_connections; serving at most %d at once", soft, budget,
                wanted, budget)
    return budget


def _bind(sock: socket.socket, host: str, port: int) -> None:
    """Bind, or raise :class:`PortInUse` / a one-line ``OSError``."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            error = PortInUse(f"port {port} on {host} is already in use")
        else:
            error = OSError(f"cannot listen on port {port} on {host}: "
                            f"{exc.strerror or exc}")
        error.errno = exc.errno
        raise error from None


def _check_limits(http_timeout_s: float, counts: dict[str, int]) -> None:
    if not (math.isfinite(http_timeout_s) and http_timeout_s > 0):
        raise ValueError(f"http_timeout_s must be a finite number > 0, got {http_timeout_s!r}")
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def listen(wsgi_app: Any, host: str = "127.0.0.1", port: int = 8050, *,
           http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S,
           threads: int = DashboardSettings.threads,
           max_connections: int = DashboardSettings.max_connections,
           max_header_bytes: int = DashboardSettings.max_header_bytes,
           max_body_bytes: int = DashboardSettings.max_body_bytes) -> WallboardServer:
    """A waitress server for ``wsgi_app``, bound to ``host:port`` and listening (``port`` 0:
    any free port, see ``.port``); call ``serve_forever()`` to run it.

    Raises :class:`PortInUse` (one line naming host and port) when the port is taken, and an
    ``OSError`` with one line for other bind failures. ``http_timeout_s`` bounds how long a
    connection may take to send a request (line, headers and body) after the previous one,
    stay idle between requests, or make no progress reading a response; ``threads`` run the
    requests; at most ``max_connections`` are open at once (fewer if the open-files limit
    leaves no room for them), more wait in the listen backlog; a request whose headers are
    larger than ``max_header_bytes`` gets 431, one whose body is larger than
    ``max_body_bytes`` 413.
    """
    _check_limits(http_timeout_s, {"threads": threads, "max_connections": max_connections,
                                   "max_header_bytes": max_header_bytes,
                                   "max_body_bytes": max_body_bytes})
    adj = Adjustments(
        threads=threads, connection_limit=connection_budget(max_connections),
        max_request_header_size=max_header_bytes, max_request_body_size=max_body_bytes,
        asyncore_use_poll=True,  # select() fails on descriptors above 1023
        ident="wallboard", log_socket_errors=False, expose_tracebacks=False)
    adj.channel_timeout = float(http_timeout_s)  # waitress's parser takes whole seconds
    adj.cleanup_interval = min(1.0, http_timeout_s / 2)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        _bind(sock, host, port)
        return WallboardServer(wsgi_app, sock, adj)
    except BaseException:
        sock.close()
        raise


def serve_until_stopped(server: WallboardServer) -> None:
    """Serve until Ctrl-C, or SIGTERM (``docker stop``, systemd): then stop cleanly (see
    :meth:`WallboardServer.serve_forever`). A second Ctrl-C stops at once."""
    if threading.current_thread() is not threading.main_thread():
        server.serve_forever()
        return

    def stop(signum: int, frame: object) -> None:
        if server.stopping:
            raise KeyboardInterrupt
        server.stop_soon()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

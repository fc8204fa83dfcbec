"""The HTTP side of the wallboard: how it is served, and what it serves besides callbacks.

:func:`listen` binds a threaded werkzeug server with bounded reads (a client that sends
nothing, half a header, or a byte now and then is disconnected) and turns a taken port into
:class:`PortInUse`, one line naming host and port; :func:`serve_until_stopped` runs it until
Ctrl-C or SIGTERM. :data:`ASSETS` is the folder Dash serves the CSS and the watchdog script
from; :func:`load_logo` embeds the configured logo as a data URI, so it needs no route.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import io
import math
import mimetypes
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from streams.core.errors import ConfigError

__all__ = ["ASSETS", "DEFAULT_HTTP_TIMEOUT_S", "MAX_LOGO_BYTES", "PortInUse", "listen",
           "load_logo", "serve_until_stopped"]

ASSETS = Path(__file__).parent / "assets"
MAX_LOGO_BYTES = 512 * 1024
DEFAULT_HTTP_TIMEOUT_S = 15.0
_LOGO_TYPES = ("image/png", "image/svg+xml", "image/jpeg", "image/webp", "image/gif")


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


class _DeadlineReader(io.RawIOBase):
    """The connection as a raw stream whose reads give up at the handler's header deadline
    (and otherwise after the per-read timeout), however slowly a client trickles bytes."""

    def __init__(self, handler: _WallboardRequestHandler) -> None:
        super().__init__()
        self._handler = handler
        self._sock = handler.connection

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        deadline = self._handler.header_deadline
        if deadline is None:
            self._sock.settimeout(self._handler.timeout)
        else:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("request headers not received in time")
            self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)


class _WallboardRequestHandler(WSGIRequestHandler):
    """werkzeug's handler with bounded reads: each request (including the idle wait for it on
    a kept-alive connection) must deliver its request line and headers within ``timeout``
    seconds in all; every later read or write of the connection waits at most ``timeout``.
    A client that connects and sends nothing, half a header, or a byte now and then, is
    disconnected."""

    timeout: float = DEFAULT_HTTP_TIMEOUT_S  # socketserver applies it to the connection
    header_deadline: float | None = None

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the socket's own reader: it would keep the socket open
        self.rfile = io.BufferedReader(_DeadlineReader(self))

    def handle_one_request(self) -> None:
        self.header_deadline = time.monotonic() + self.timeout
        super().handle_one_request()

    def parse_request(self) -> bool:
        try:
            return super().parse_request()
        finally:  # headers read (or refused): the response gets the plain timeout
            self.header_deadline = None
            self.connection.settimeout(self.timeout)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if format.startswith("Request timed out"):
            return  # an idle or too slow client was disconnected, as intended
        super().log_error(format, *args)


def _bind(sock: socket.socket, host: str, port: int) -> None:
    """Bind and listen, or raise :class:`PortInUse` / a one-line ``OSError``."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug does
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            error = PortInUse(f"port {port} on {host} is already in use")
        else:
            error = OSError(f"cannot listen on port {port} on {host}: "
                            f"{exc.strerror or exc}")
        error.errno = exc.errno
        raise error from None


def listen(wsgi_app: Any, host: str = "127.0.0.1", port: int = 8050, *,
           http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S) -> BaseWSGIServer:
    """A threaded werkzeug server for ``wsgi_app``, bound to ``host:port`` and listening
    (``port`` 0: any free port, see ``.port``); call ``serve_forever()`` to run it.

    Raises :class:`PortInUse` (one line naming host and port) when the port is taken, and an
    ``OSError`` with one line for other bind failures: never werkzeug's own message and exit.
    ``http_timeout_s`` bounds how long a connection may take to send a request's headers,
    stay idle between requests, or stall one read or write.
    """
    if not (math.isfinite(http_timeout_s) and http_timeout_s > 0):
        raise ValueError(f"http_timeout_s must be a finite number > 0, got {http_timeout_s!r}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        _bind(sock, host, port)
        handler = type("WallboardRequestHandler", (_WallboardRequestHandler,),
                       {"timeout": float(http_timeout_s)})
        # werkzeug duplicates the descriptor; this socket is closed below either way
        server = make_server(host, port, wsgi_app, threaded=True, request_handler=handler,
                             fd=sock.fileno())
        server.server_port = server.port  # as after http.server's own bind
        return server
    finally:
        sock.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_until_stopped(server: BaseWSGIServer) -> None:
    """Serve until Ctrl-C, or SIGTERM (``docker stop``, systemd) on the main thread."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `docker stop` / systemd: same as Ctrl-C
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()

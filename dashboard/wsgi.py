"""What the board's WSGI app does besides Dash's routes: short 404s, and the access log.

:func:`install_not_found` makes a request for a file the board does not serve a plain 404
with a short body and one WARNING line (at most one per 30 s with a count of the others,
:class:`streams.logthrottle.ThrottleFilter`): a component-suite path Dash does not know
(Dash would raise and Flask log a traceback and answer 500), a traversal attempt, a
registered file missing on disk, an unknown asset. :class:`AccessLog` is the optional access
log (``dashboard.access_log``, ``wallboard dashboard --access-log``): one INFO line per
request on the ``wallboard.dashboard.access`` logger. Off by default.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import dash
from dash.exceptions import DependencyException
from flask import request
from werkzeug.exceptions import NotFound

from streams.logthrottle import ThrottleFilter

__all__ = ["ACCESS_LOGGER", "NOT_FOUND_BODY", "AccessLog", "install_not_found", "printable"]

ACCESS_LOGGER = "wallboard.dashboard.access"
NOT_FOUND_BODY = "not found\n"
_MAX_LOGGED_PATH = 300

log = logging.getLogger("wallboard.dashboard.http")
log.addFilter(ThrottleFilter(30.0))


def printable(text: str, limit: int = _MAX_LOGGED_PATH) -> str:
    """``text`` (a client's path) safe for one log line: control characters escaped, cut."""
    cut = text[:limit]
    safe = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in cut)
    return safe + ("..." if len(text) > limit else "")


def install_not_found(app: dash.Dash) -> None:
    """Short 404s (and one throttled WARNING line) instead of tracebacks and 500s."""
    suites = app.config.routes_pathname_prefix + "_dash-component-suites/"

    def not_found(_exc: Exception) -> tuple[str, int, dict[str, str]]:
        log.warning("404 for %s %s: not a file the board serves", request.method,
                    printable(request.path))
        return NOT_FOUND_BODY, 404, {"Content-Type": "text/plain; charset=utf-8",
                                     "X-Content-Type-Options": "nosniff"}

    def missing_file(exc: FileNotFoundError) -> tuple[str, int, dict[str, str]]:
        if not request.path.startswith(suites):
            raise exc  # not a component file: a real error, logged by Flask as before
        return not_found(exc)

    app.server.register_error_handler(DependencyException, not_found)
    app.server.register_error_handler(FileNotFoundError, missing_file)
    app.server.register_error_handler(NotFound, not_found)


class _Logged:
    """A response body that counts what it yields and logs when the server closes it."""

    def __init__(self, body: Iterable[bytes], done: Callable[[int], None]) -> None:
        self._body = body
        self._done = done
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._done(self.sent)


class AccessLog:
    """WSGI middleware: one INFO line per request, ``CLIENT "METHOD PATH PROTOCOL" STATUS
    BYTES MS``, on the ``wallboard.dashboard.access`` logger (whose level it sets to INFO)."""

    def __init__(self, app: Callable[..., Iterable[bytes]],
                 logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)
        self.logger.setLevel(logging.INFO)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        started = time.perf_counter()
        status = ["-"]

        def start(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = line.split(" ", 1)[0]
            return start_response(line, headers, exc_info)

        def done(sent: int) -> None:
            path = environ.get("PATH_INFO", "")
            if environ.get("QUERY_STRING"):
                path += "?" + environ["QUERY_STRING"]
            self.logger.info('%s "%s %s %s" %s %d %.1fms', environ.get("REMOTE_ADDR", "-"),
                             printable(environ.get("REQUEST_METHOD", "-"), 16),
                             printable(path), environ.get("SERVER_PROTOCOL", "-"), status[0],
                             sent, (time.perf_counter() - started) * 1000)

        return _Logged(self.app(environ, start), done)

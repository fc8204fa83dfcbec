"""The worker's small HTTP server (aiohttp), with bounded cost per connection.

Only GET of a few fixed paths, each answered from memory. Every connection must make progress
(a request's headers arrive complete, or a response finishes) at least once per ``timeout_s``;
otherwise it is closed. That one rule is the header-read timeout (a client that sends half a
header, or nothing), the idle keep-alive timeout, and the limit on a client that stops reading
its response. No handler runs on the consume path: they only read cached bytes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

__all__ = ["HttpServer", "Route"]

log = logging.getLogger("wallboard.http")

Route = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class _GuardedHandler(RequestHandler):
    """aiohttp's connection handler plus a progress watchdog (see the module docstring)."""

    progress_timeout_s: float = 15.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._guard_marker: tuple[int, int] = (0, 0)
        self._guard = self._loop.call_later(self.progress_timeout_s, self._guard_check)

    def _marker(self) -> tuple[int, int]:
        current = self._current_request
        return (self._request_count, 0 if current is None else id(current))

    def _guard_check(self) -> None:
        if self.transport is None or self._force_close:
            return
        marker = self._marker()
        if marker == self._guard_marker:  # no progress for a whole period: close it
            self.force_close()
            return
        self._guard_marker = marker
        self._guard = self._loop.call_later(self.progress_timeout_s, self._guard_check)

    def connection_lost(self, exc: BaseException | None) -> None:
        guard = getattr(self, "_guard", None)
        if guard is not None:
            guard.cancel()
        super().connection_lost(exc)


class _GuardedServer(web.Server):
    def __init__(self, handler: Route, *, timeout_s: float, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._timeout_s = timeout_s

    def __call__(self) -> RequestHandler:
        handler = _GuardedHandler(self, loop=self._loop, **self._kwargs)
        handler.progress_timeout_s = self._timeout_s
        return handler


class HttpServer:
    """GET ``routes`` (path -> coroutine) on ``host:port``; 404/405 otherwise."""

    def __init__(self, routes: Mapping[str, Route], host: str, port: int, *,
                 timeout_s: float = 15.0) -> None:
        self.routes = dict(routes)
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._runner: web.ServerRunner | None = None

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        route = self.routes.get(request.path)
        if route is None:
            return web.json_response({"error": f"no such path: {request.path}",
                                      "paths": sorted(self.routes)}, status=404)
        if request.method not in ("GET", "HEAD"):
            return web.json_response({"error": "only GET"}, status=405,
                                     headers={"Allow": "GET, HEAD"})
        try:
            return await route(request)
        except Exception:  # noqa: BLE001 - one failed request must not take the server down
            log.exception("error answering %s", request.path)
            return web.json_response({"error": "internal error"}, status=500)

    async def start(self) -> None:
        # keepalive_timeout: aiohttp's own idle limit, the same bound as the watchdog
        server = _GuardedServer(self._dispatch, timeout_s=self.timeout_s,
                                keepalive_timeout=self.timeout_s, max_line_size=8190,
                                max_field_size=8190, access_log=None)
        self._runner = web.ServerRunner(server, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()


"""``wallboard alerts``: evaluate the rules on the worker's snapshot, deliver, serve the API.

Shell around :class:`alerts.core.AlertEngine`. Every ``alerts.eval_interval`` one tick, in a
worker thread: fetch the snapshot (a failure is data for the feed-stalled rule), step the
engine on the wall clock, deliver, persist the changed records to ``cc.alerts``.

HTTP (aiohttp, bodies up to 16 KiB, one lock around the engine):

- ``GET  /api/v1/alerts`` active and recent alerts, silences, redacted settings;
- ``GET  /api/v1/health``;
- ``POST /api/v1/alerts/{fingerprint}/ack``     ``{"by": ..., "for": "30m"}``;
- ``POST /api/v1/alerts/{fingerprint}/snooze``  ``{"by": ..., "for": "2h"}``;
- ``POST /api/v1/silences`` ``{"matchers": [...], "starts"?, "ends" | "for", "author",
  "comment"}``; ``DELETE /api/v1/silences/{id}`` expires one.

Mutating calls need ``Authorization: Bearer <alerts.api_token>``; without a configured token
they are refused (403).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from streams.core.checks import parse_duration
from streams.core.errors import ConfigError

from .config import AlertSettings, parse_matcher
from .core import AlertEngine
from .delivery import Deliverer
from .source import SnapshotSource, SourceError
from .store import StateStore

__all__ = ["AlertService"]

log = logging.getLogger("wallboard.alerts")
MAX_BODY = 16 * 1024


class AlertService:
    def __init__(self, settings: AlertSettings, source: SnapshotSource, store: StateStore,
                 deliverer: Deliverer, *, clock: Callable[[], float] = time.time) -> None:
        self.settings, self.source, self.store = settings, source, store
        self.deliverer, self.clock = deliverer, clock
        self.engine = AlertEngine(settings)
        self.lock = threading.Lock()
        self.saved_evaluations = 0
        self.last_error = ""
        self.pages = 0

    def restore(self) -> int:
        records = self.store.load()
        with self.lock:
            self.engine.restore(records)
        return len(records)

    def tick(self) -> None:
        t = self.clock()
        try:
            snap, error = self.source.fetch(), ""
        except SourceError as exc:
            snap, error = None, str(exc)
        if error != self.last_error:
            if error:
                log.warning("alerts: snapshot source failing: %s", error)
            else:
                log.info("alerts: snapshot source answers again")
            self.last_error = error
        with self.lock:
            notices = self.engine.step(snap, t, source_error=error)
            refresh = self.engine.refresh(t) if self.settings.delivery.alertmanager_url else []
            evaluation = self.engine.evaluations
        for n in notices:
            log.info("alerts: %s %s %s/%s (%s)", n.status, n.severity, n.rule, n.segment,
                     n.reason)
        failed = self.deliverer.deliver(notices, refresh)
        self.pages += sum(1 for n in notices if n.status == "firing" and n not in failed)
        with self.lock:
            for n in failed:
                self.engine.delivery_failed(n)
            dirty = self.engine.drain_dirty()
        try:
            self.store.write(dirty)
        except Exception as exc:  # noqa: BLE001 - keep evaluating; retry the write next tick
            log.warning("alerts: saving state failed (%s); retrying", exc.__class__.__name__)
            with self.lock:
                self.engine.dirty = {**dirty, **self.engine.dirty}
            return
        self.saved_evaluations = evaluation

    # -- HTTP -------------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> web.Response | None:
        token = self.settings.api_token
        if not token:
            return web.json_response({"error": "mutating calls are disabled: set "
                                      "alerts.api_token"}, status=403)
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return web.json_response({"error": "missing or wrong bearer token"}, status=401)
        return None

    async def _body(self, request: web.Request) -> dict:
        try:
            body = await request.json()
        except (ValueError, web.HTTPRequestEntityTooLarge) as exc:
            raise _BadRequest(f"body: expected a JSON object of at most {MAX_BODY} bytes"
                              ) from exc
        if not isinstance(body, dict):
            raise _BadRequest("body: expected a JSON object")
        return body

    @staticmethod
    def _who(body: dict) -> str:
        who = body.get("by") or body.get("author")
        if not isinstance(who, str) or not who or len(who) > 128:
            raise _BadRequest("by: required, who does this (at most 128 characters)")
        return who

    @staticmethod
    def _for(body: dict, key: str = "for") -> float:
        try:
            return parse_duration(key, body.get(key, "1h"), low=1, high=30 * 86400)
        except ConfigError as exc:
            raise _BadRequest(str(exc)) from None

    async def get_alerts(self, request: web.Request) -> web.Response:
        with self.lock:
            view = self.engine.view(self.clock())
        view.update(saved_evaluations=self.saved_evaluations, source=self.source.describe(),
                    source_error=self.last_error, settings=self.settings.redacted())
        return web.json_response(view)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "degraded" if self.last_error else "ok",
                                  "evaluations": self.engine.evaluations,
                                  "source_error": self.last_error})

    async def _operator(self, request: web.Request, action: str) -> web.Response:
        denied = self._authorized(request)
        if denied is not None:
            return denied
        body = await self._body(request)
        who, until = self._who(body), self.clock() + self._for(body)
        fp = request.match_info["fp"]
        with self.lock:
            try:
                inst = (self.engine.acknowledge if action == "ack" else self.engine.snooze)(
                    fp, who, until)
            except KeyError as exc:
                return web.json_response({"error": str(exc.args[0])}, status=404)
            row = inst.to_dict()
        log.info("alerts: %s %s by %s until %s", action, fp, who, until)
        return web.json_response(row)

    async def ack(self, request: web.Request) -> web.Response:
        return await self._operator(request, "ack")

    async def snooze(self, request: web.Request) -> web.Response:
        return await self._operator(request, "snooze")

    async def add_silence(self, request: web.Request) -> web.Response:
        denied = self._authorized(request)
        if denied is not None:
            return denied
        body = await self._body(request)
        now = self.clock()
        raw = body.get("matchers")
        if not isinstance(raw, list) or not raw or len(raw) > 32:
            raise _BadRequest("matchers: expected a list of 1..32 matchers like "
                              "'segment=\"billing\"'")
        try:
            matchers = [parse_matcher(f"matchers[{i}]", m) for i, m in enumerate(raw)]
        except ConfigError as exc:
            raise _BadRequest(str(exc)) from None
        starts = _instant(body, "starts", now)
        ends = _instant(body, "ends", None) if "ends" in body else starts + self._for(body)
        comment = body.get("comment", "")
        if not isinstance(comment, str) or len(comment) > 1024:
            raise _BadRequest("comment: expected a string of at most 1024 characters")
        with self.lock:
            try:
                silence = self.engine.add_silence(matchers, starts, ends, self._who(body),
                                                  comment, now)
            except ValueError as exc:
                raise _BadRequest(str(exc)) from None
        return web.json_response(silence.to_dict(), status=201)

    async def delete_silence(self, request: web.Request) -> web.Response:
        denied = self._authorized(request)
        if denied is not None:
            return denied
        with self.lock:
            try:
                silence = self.engine.expire_silence(request.match_info["sid"], self.clock())
            except KeyError as exc:
                return web.json_response({"error": str(exc.args[0])}, status=404)
        return web.json_response(silence.to_dict())

    def app(self) -> web.Application:
        @web.middleware
        async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
            try:
                return await handler(request)
            except _BadRequest as exc:
                return web.json_response({"error": str(exc)}, status=400)

        app = web.Application(client_max_size=MAX_BODY, middlewares=[errors])
        app.router.add_get("/api/v1/alerts", self.get_alerts)
        app.router.add_get("/api/v1/health", self.health)
        app.router.add_post("/api/v1/alerts/{fp}/ack", self.ack)
        app.router.add_post("/api/v1/alerts/{fp}/snooze", self.snooze)
        app.router.add_post("/api/v1/silences", self.add_silence)
        app.router.add_delete("/api/v1/silences/{sid}", self.delete_silence)
        return app

    async def serve(self, stop: asyncio.Event) -> None:
        runner = web.AppRunner(self.app(), access_log=None, keepalive_timeout=15.0,
                               shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.host, self.settings.port, reuse_address=True)
        await site.start()
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                started = time.monotonic()
                await loop.run_in_executor(None, self.tick)
                delay = max(0.0, self.settings.eval_interval_s - (time.monotonic() - started))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
        finally:
            await runner.cleanup()


class _BadRequest(Exception):
    pass


def _instant(body: dict, key: str, default: float | None) -> float:
    value = body.get(key)
    if value is None:
        if default is None:
            raise _BadRequest(f"{key}: required (RFC 3339 time)")
        return default
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _BadRequest(f"{key}: expected an RFC 3339 time, got {value!r}") from None
    if dt.tzinfo is None:
        raise _BadRequest(f"{key}: the time needs an offset (e.g. Z), got {value!r}")
    return dt.timestamp()

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

The two GET views are rendered once per evaluation and once per operator action, as bytes
(:class:`Rendered`); a GET sends those bytes and takes no lock, so a crowd of readers costs
no rendering and never waits for an evaluation. Operator actions run in a worker thread (the
event loop never waits for the engine's lock). Every request names an accepted ``Host`` and
every mutating one is ``application/json`` (:mod:`alerts.api_checks`). Mutating calls need
``Authorization: Bearer <alerts.api_token>``; without a configured token they are refused
(403). Log lines show request fields escaped (:func:`alerts.api_checks.loggable`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from streams.core.errors import ConfigError

from .api_checks import (
    MAX_BODY,
    BadRequest,
    duration,
    instant,
    json_body,
    loggable,
    middlewares,
    who,
)
from .config import AlertSettings, parse_matcher
from .core import AlertEngine
from .delivery import Deliverer
from .source import SnapshotSource, SourceError
from .store import StateStore

__all__ = ["AlertService", "Rendered"]

log = logging.getLogger("wallboard.alerts")
_JSON = "application/json"


@dataclass(frozen=True)
class Rendered:
    """The bodies of the GET views, rendered at one instant (``renders`` counts them)."""

    alerts: bytes
    health: bytes
    renders: int


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
        self.rendered = Rendered(b"", b"", 0)
        self.render()

    def render(self) -> Rendered:
        """Render the GET views now (after an evaluation or an operator action)."""
        with self.lock:
            t = self.clock()
            view = self.engine.view(t)
            view.update(saved_evaluations=self.saved_evaluations,
                        source=self.source.describe(), source_error=self.last_error,
                        settings=self.settings.redacted())
            health = {"status": "degraded" if self.last_error else "ok",
                      "evaluations": self.engine.evaluations,
                      "source_error": self.last_error}
            # under the lock: a render never replaces a newer one
            self.rendered = Rendered(orjson.dumps(view), orjson.dumps(health),
                                     self.rendered.renders + 1)
            return self.rendered

    def restore(self) -> int:
        records = self.store.load()
        with self.lock:
            dropped = self.engine.restore(records)
        for reason in dropped:
            log.warning("alerts: dropped a saved %s", loggable(reason, 512))
        self.render()
        return len(records)

    def _fetch(self) -> tuple[dict | None, str]:
        try:
            snap, error = self.source.fetch(), ""
        except SourceError as exc:
            snap, error = None, str(exc)
        if error != self.last_error:
            if error:
                log.warning("alerts: snapshot source failing: %s", loggable(error))
            else:
                log.info("alerts: snapshot source answers again")
            self.last_error = error
        return snap, error

    def tick(self) -> None:
        t = self.clock()
        snap, error = self._fetch()
        with self.lock:
            notices = self.engine.step(snap, t, source_error=error)
            refresh = self.engine.refresh(t) if self.settings.delivery.alertmanager_url else []
            evaluation = self.engine.evaluations
        for n in notices:
            log.info("alerts: %s %s %s/%s (%s)", n.status, n.severity, loggable(n.rule),
                     loggable(n.segment), loggable(n.reason))
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
        else:
            self.saved_evaluations = evaluation
        self.render()

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

    async def get_alerts(self, request: web.Request) -> web.Response:
        return web.Response(body=self.rendered.alerts, content_type=_JSON)

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(body=self.rendered.health, content_type=_JSON)

    async def _apply(self, change: Callable[[], Any]) -> Any:
        """``change()`` under the engine's lock, then a render; in a worker thread."""
        def run() -> Any:
            with self.lock:
                result = change()
            self.render()
            return result

        return await asyncio.get_running_loop().run_in_executor(None, run)

    async def _operator(self, request: web.Request, action: str) -> web.Response:
        denied = self._authorized(request)
        if denied is not None:
            return denied
        body = await json_body(request)
        by, until = who(body), self.clock() + duration(body)
        fp = request.match_info["fp"]
        act = self.engine.acknowledge if action == "ack" else self.engine.snooze
        try:
            row = await self._apply(lambda: act(fp, by, until).to_dict())
        except KeyError as exc:
            return web.json_response({"error": str(exc.args[0])}, status=404)
        log.info("alerts: %s %s by %s until %s", action, loggable(fp), loggable(by), until)
        return web.json_response(row)

    async def ack(self, request: web.Request) -> web.Response:
        return await self._operator(request, "ack")

    async def snooze(self, request: web.Request) -> web.Response:
        return await self._operator(request, "snooze")

    async def add_silence(self, request: web.Request) -> web.Response:
        denied = self._authorized(request)
        if denied is not None:
            return denied
        body = await json_body(request)
        now = self.clock()
        raw = body.get("matchers")
        if not isinstance(raw, list) or not raw or len(raw) > 32:
            raise BadRequest("matchers: expected a list of 1..32 matchers like "
                             "'segment=\"billing\"'")
        try:
            matchers = [parse_matcher(f"matchers[{i}]", m) for i, m in enumerate(raw)]
        except ConfigError as exc:
            raise BadRequest(str(exc)) from None
        starts = instant(body, "starts", now)
        ends = instant(body, "ends", None) if "ends" in body else starts + duration(body)
        comment = body.get("comment", "")
        if not isinstance(comment, str) or len(comment) > 1024:
            raise BadRequest("comment: expected a string of at most 1024 characters")
        author = who(body)
        try:
            silence = await self._apply(lambda: self.engine.add_silence(
                matchers, starts, ends, author, comment, now))
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        log.info("alerts: silence %s by %s: %s (%s)", silence.id, loggable(author),
                 loggable(" ".join(m.text() for m in matchers), 2048), loggable(comment))
        return web.json_response(silence.to_dict(), status=201)

    async def delete_silence(self, request: web.Request) -> web.Response:
        denied = self._authorized(request)
        if denied is not None:
            return denied
        sid = request.match_info["sid"]
        try:
            silence = await self._apply(lambda: self.engine.expire_silence(sid, self.clock()))
        except KeyError as exc:
            return web.json_response({"error": str(exc.args[0])}, status=404)
        log.info("alerts: silence %s expired", loggable(sid))
        return web.json_response(silence.to_dict())

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=middlewares(self.settings))
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

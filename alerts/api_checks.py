"""What the alerts API checks before and while it reads a request (shell, aiohttp).

- :func:`middlewares`: the ``Host`` of every request must be a name the API answers to
  (:mod:`alerts.config.hosts`; else 421, no Host: 400), so a page of another site cannot
  read the API through DNS rebinding; a mutating request (POST, PUT, PATCH, DELETE) must
  say ``Content-Type: application/json`` (else 415), so a cross-site form or ``text/plain``
  POST (which a browser sends without asking) is refused; :class:`BadRequest` is a 400.
- :func:`json_body`, :func:`who`, :func:`duration`, :func:`instant`: the fields of a body,
  each error naming its field.
- :func:`loggable`: a value from a request (or any outside text) made safe for one log
  line: control characters (newline, carriage return, escape ...) and the Unicode line
  separators are written as ``\\n``, ``\\x1b``, ``\\u2028``, so a request cannot forge lines.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aiohttp import web

from streams.core.checks import parse_duration
from streams.core.errors import ConfigError

from .config import AlertSettings, accepts

__all__ = ["MAX_BODY", "BadRequest", "duration", "instant", "json_body", "loggable",
           "middlewares", "who"]

MAX_BODY = 16 * 1024
_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON = "application/json"
# C0 and C1 controls, DEL, and the line and paragraph separators
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


class BadRequest(Exception):
    """A 400 whose text names the field."""


def loggable(value: Any, limit: int = 256) -> str:
    """``str(value)`` on one line, without control characters, at most ``limit`` long."""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    return _UNSAFE.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}")
                       if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


def _refusal(request: web.BaseRequest, settings: AlertSettings) -> web.Response | None:
    host = request.headers.get("Host")
    if not settings.any_host and not accepts(host, settings.accepted_hosts):
        if not host:
            return web.json_response({"error": "Host: required"}, status=400)
        names = ", ".join(f"{n}:{p}" if p else n for n, p in settings.accepted_hosts)
        return web.json_response(
            {"error": f"Host: {loggable(host, 64)!r} is not a name of this API (it answers "
                      f"to {names}; add names to alerts.allowed_hosts)"}, status=421)
    if request.method in _MUTATING and request.content_type != _JSON:
        return web.json_response(
            {"error": f"Content-Type: {request.method} needs {_JSON}, got "
                      f"{loggable(request.content_type, 64)!r}"}, status=415)
    return None


def middlewares(settings: AlertSettings) -> list[Any]:
    """The API's middlewares: the Host and Content-Type checks, then :class:`BadRequest`
    as a 400."""

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        refused = _refusal(request, settings)
        if refused is not None:
            return refused
        try:
            return await handler(request)
        except BadRequest as exc:
            return web.json_response({"error": str(exc)}, status=400)

    return [guard]


async def json_body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except (ValueError, web.HTTPRequestEntityTooLarge) as exc:
        raise BadRequest(f"body: expected a JSON object of at most {MAX_BODY} bytes") from exc
    if not isinstance(body, dict):
        raise BadRequest("body: expected a JSON object")
    return body


def who(body: dict) -> str:
    """``by`` (or ``author``): who does this, 1..128 characters."""
    found = body.get("by") or body.get("author")
    if not isinstance(found, str) or not found or len(found) > 128:
        raise BadRequest("by: required, who does this (at most 128 characters)")
    return found


def duration(body: dict, key: str = "for") -> float:
    """``body[key]`` (default ``1h``) as seconds, 1 s .. 30 days."""
    try:
        return parse_duration(key, body.get(key, "1h"), low=1, high=30 * 86400)
    except ConfigError as exc:
        raise BadRequest(str(exc)) from None


def instant(body: dict, key: str, default: float | None) -> float:
    """``body[key]`` as an RFC 3339 time with an offset (epoch s); ``default`` if absent."""
    value = body.get(key)
    if value is None:
        if default is None:
            raise BadRequest(f"{key}: required (RFC 3339 time)")
        return default
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{key}: expected an RFC 3339 time, got {value!r}") from None
    if dt.tzinfo is None:
        raise BadRequest(f"{key}: the time needs an offset (e.g. Z), got {value!r}")
    return dt.timestamp()

"""The one HTTP client of the worker's snapshot (and of the alerting API's JSON): what the
wallboard's poller and the alerting process read through.

:class:`JsonClient` GETs one JSON document from a local service: no proxies unless asked,
a timeout, one size limit, and every failure as a :class:`FetchError` whose text is one
short reason without the URL (URLs may hold credentials).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import orjson

__all__ = ["MAX_DOCUMENT_BYTES", "FetchError", "JsonClient", "describe_error"]

MAX_DOCUMENT_BYTES = 64 * 2**20  # a snapshot of the 1,000 segments allowed is far below


class FetchError(Exception):
    """The document could not be read; ``str()`` is one short reason (no URL, no secret)."""


def describe_error(exc: BaseException) -> str:
    """A short, human-readable reason: ``HTTP 503 Service Unavailable``, ``timed out``,
    ``connection refused``, ``connection reset by peer``."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}".strip()
    if isinstance(exc, urllib.error.URLError):
        if isinstance(exc.reason, BaseException):
            return describe_error(exc.reason)
        return str(exc.reason)
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


class JsonClient:
    """GET ``url`` and decode it as a JSON object (or list, with ``accept_list``).

    Env proxies (``http_proxy``) are ignored unless ``use_env_proxies=True``: the worker and
    the alerting API are internal services, and a poll through a corporate proxy is rarely
    intended."""

    def __init__(self, url: str, *, timeout_s: float, max_bytes: int = MAX_DOCUMENT_BYTES,
                 use_env_proxies: bool = False) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.url, self.timeout_s, self.max_bytes = url, timeout_s, max_bytes
        handlers = [] if use_env_proxies else [urllib.request.ProxyHandler({})]
        self._opener = urllib.request.build_opener(*handlers)

    def get(self, *, accept_list: bool = False) -> Any:
        """The decoded document; :class:`FetchError` on any failure."""
        request = urllib.request.Request(self.url, headers={"Accept": "application/json"})
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                body = response.read(self.max_bytes + 1)
        except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
            raise FetchError(describe_error(exc)) from None
        if len(body) > self.max_bytes:
            raise FetchError(f"snapshot larger than {self.max_bytes} bytes")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise FetchError(f"invalid JSON: {exc}") from None
        if not (isinstance(payload, dict) or accept_list and isinstance(payload, list)):
            raise FetchError(f"snapshot is a JSON {type(payload).__name__}, not an object")
        return payload

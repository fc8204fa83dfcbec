"""Where ``wallboard alerts`` reads the merged snapshot (shell).

:class:`SnapshotSource` is the interface: ``fetch()`` returns the snapshot dict or raises
:class:`SourceError`. Today there is one implementation, the worker's HTTP API
(:class:`HttpSnapshotSource`): it is the merged snapshot of every partition the worker
consumes, already computed once per interval and served as cached bytes, so polling it costs
the worker nothing. A reader of a compacted ``cc.snapshots`` topic can implement the same
interface when that topic exists (see docs/alerting.md).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Protocol

import orjson

from .config import redact_url

__all__ = ["HttpSnapshotSource", "SnapshotSource", "SourceError"]

MAX_SNAPSHOT_BYTES = 64 * 2**20


class SourceError(Exception):
    """The snapshot could not be read (one line, no secret)."""


class SnapshotSource(Protocol):
    def fetch(self) -> dict: ...

    def describe(self) -> str: ...


class HttpSnapshotSource:
    """GET the worker's ``/api/v1/snapshot`` (no proxies: it is a local service)."""

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url, self.timeout_s = url, timeout_s
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def describe(self) -> str:
        return redact_url(self.url)

    def fetch(self) -> dict:
        try:
            with self._opener.open(self.url, timeout=self.timeout_s) as resp:
                body = resp.read(MAX_SNAPSHOT_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise SourceError(f"{self.describe()}: HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc.__class__.__name__
            raise SourceError(f"{self.describe()}: {reason}") from None
        if len(body) > MAX_SNAPSHOT_BYTES:
            raise SourceError(f"{self.describe()}: snapshot larger than "
                              f"{MAX_SNAPSHOT_BYTES} bytes")
        try:
            snap = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise SourceError(f"{self.describe()}: not JSON: {exc}") from None
        if not isinstance(snap, dict) or not isinstance(snap.get("segments"), dict):
            raise SourceError(f"{self.describe()}: not a snapshot (no segments object)")
        return snap

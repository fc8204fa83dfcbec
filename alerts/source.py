"""Where ``wallboard alerts`` reads the merged snapshot (shell).

:class:`SnapshotSource` is the interface: ``fetch()`` returns the snapshot dict or raises
:class:`SourceError`. Today there is one implementation, the worker's HTTP API
(:class:`HttpSnapshotSource`): it is the merged snapshot of every partition the worker
consumes, already computed once per interval and served as cached bytes, so polling it costs
the worker nothing. A reader of a compacted ``cc.snapshots`` topic can implement the same
interface when that topic exists (see docs/alerting.md).
"""

from __future__ import annotations

from typing import Protocol

from streams.snapshot_client import FetchError, JsonClient

from .config import redact_url

__all__ = ["HttpSnapshotSource", "SnapshotSource", "SourceError"]


class SourceError(Exception):
    """The snapshot could not be read (one line, no secret)."""


class SnapshotSource(Protocol):
    def fetch(self) -> dict: ...

    def describe(self) -> str: ...


class HttpSnapshotSource:
    """GET the worker's ``/api/v1/snapshot`` through :class:`streams.snapshot_client.JsonClient`
    (no proxies: it is a local service)."""

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url = url
        self._client = JsonClient(url, timeout_s=timeout_s)

    def describe(self) -> str:
        return redact_url(self.url)

    def fetch(self) -> dict:
        try:
            snap = self._client.get()
        except FetchError as exc:
            raise SourceError(f"{self.describe()}: {exc}") from None
        if not isinstance(snap.get("segments"), dict):
            raise SourceError(f"{self.describe()}: not a snapshot (no segments object)")
        return snap

"""Background poller that keeps the last good snapshot of the worker in memory.

The Dash callback only ever calls :meth:`SnapshotPoller.latest` (no I/O per TV per tick);
one poller per Dash process does one GET per ``interval_s`` regardless of how many TVs are
watching.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

DEFAULT_INTERVAL_S = 1.0


def _as_of_epoch(snapshot: Any, default: float) -> float:
    value = snapshot.get("as_of") if isinstance(snapshot, dict) else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return default
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return default

DEFAULT_TIMEOUT_S = 0.8
MAX_BODY_BYTES = 16 * 1024 * 1024


def describe_error(exc: BaseException) -> str:
    """A short, human-readable reason for the stale/no-data banner."""
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
        return exc.strerror[:1].lower() + exc.strerror[1:]  # "connection reset by peer"
    return str(exc) or type(exc).__name__


class SnapshotPoller:
    """GET ``url`` every ``interval_s`` on a daemon thread; keep the last good snapshot.

    ``latest()`` returns ``(snapshot, fetched_at, last_error)``: the last snapshot that was
    valid JSON object, the ``now()`` of its fetch (epoch seconds), and the error of the most
    recent failed fetch (None once a fetch succeeds again). Nothing raised by the network
    or the payload ever escapes the thread.

    Env proxies (``http_proxy``) are ignored unless ``use_env_proxies=True``: the worker is
    an internal service and a 1 Hz poll through a corporate proxy is rarely intended.
    """

    def __init__(
        self,
        url: str,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        now: Callable[[], float] = time.time,
        use_env_proxies: bool = False,
        accept_list: bool = False,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be > 0")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.url = url
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self._now = now
        handlers = [] if use_env_proxies else [urllib.request.ProxyHandler({})]
        self._opener = urllib.request.build_opener(*handlers)
        self._lock = threading.Lock()
        self._snapshot: dict | None = None
        self._fetched_at: float | None = None
        self._error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._accept_list = accept_list
        self._listeners: list[Callable[[Any, float], None]] = []

    # ------------------------------------------------------------------ public API

    def latest(self) -> tuple[dict | None, float | None, str | None]:
        with self._lock:
            return self._snapshot, self._fetched_at, self._error

    def add_listener(self, listener: Callable[[Any, float], None]) -> None:
        """Call ``listener(snapshot, t)`` on the poller thread after each good fetch; ``t`` is
        the snapshot's ``as_of`` (epoch s) when it has one, else the fetch time. A listener
        that raises is ignored for that fetch."""
        self._listeners.append(listener)

    def start(self) -> SnapshotPoller:
        """Start polling (first fetch immediately). Idempotent while running."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="snapshot-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 2.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def poll_once(self) -> bool:
        """Fetch once and update the state; True when a good snapshot was stored."""
        try:
            snapshot = self._fetch()
        except Exception as exc:  # any failure is shown in the banner, never raised
            with self._lock:
                self._error = describe_error(exc)
            return False
        fetched_at = self._now()
        with self._lock:
            self._snapshot = snapshot
            self._fetched_at = fetched_at
            self._error = None
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):
                listener(snapshot, _as_of_epoch(snapshot, fetched_at))
        return True

    # ------------------------------------------------------------------ internals

    def _fetch(self) -> Any:
        request = urllib.request.Request(self.url, headers={"Accept": "application/json"})
        with self._opener.open(request, timeout=self.timeout_s) as response:
            body = response.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            raise ValueError(f"snapshot larger than {MAX_BODY_BYTES} bytes")
        try:
            payload: Any = json.loads(body)
        except ValueError as exc:
            raise ValueError(f"invalid JSON: {exc}") from exc
        if not (isinstance(payload, dict) or self._accept_list and isinstance(payload, list)):
            raise ValueError(f"snapshot is a JSON {type(payload).__name__}, not an object")
        return payload

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.poll_once()
            except Exception:  # e.g. a broken injected clock: keep the thread alive
                with self._lock:
                    self._error = "internal poller error"
            elapsed = time.monotonic() - started
            self._stop.wait(max(0.0, self.interval_s - elapsed))

"""Background poller that keeps the last good snapshot of the worker in memory.

The Dash callback only ever calls :meth:`SnapshotPoller.latest` (no I/O per TV per tick);
one poller per Dash process does one GET per ``interval_s`` regardless of how many TVs are
watching.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from streams.core.timefmt import parse_as_of
from streams.snapshot_client import JsonClient, describe_error

DEFAULT_INTERVAL_S = 1.0
DEFAULT_TIMEOUT_S = 0.8


def _as_of_epoch(snapshot: Any, default: float) -> float:
    parsed = parse_as_of(snapshot.get("as_of")) if isinstance(snapshot, dict) else None
    return default if parsed is None else parsed.timestamp()


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
        self._client = JsonClient(url, timeout_s=timeout_s, use_env_proxies=use_env_proxies)
        self.interval_s = interval_s
        self._now = now
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
            snapshot = self._client.get(accept_list=self._accept_list)
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

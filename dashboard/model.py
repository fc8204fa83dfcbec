"""The board model: the server-side cache of rendered pages that every TV reads.

Serving many TVs: one :class:`Model` per process renders each (board, language, detail?) at
most once per second from the poller's in-memory snapshot and keeps the result — the view,
its digest, the tiles' props and digests, the ticker — as one *entry*; a TV's tick only
compares digests and copies props from that entry: no I/O and no rendering per TV
(wallboard-notes §1.4). Bounded: boards × languages × 2 entries.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import threading
from collections.abc import Callable
from typing import Any, Protocol

from dashboard.boards import Boards, BoardSpec
from dashboard.components import (
    age_text,
    layout_key,
    seg_age_class,
    ticker_children,
    tile_children,
    tile_class,
)
from dashboard.detail import detail_rows
from dashboard.history import History
from dashboard.render import render
from dashboard.sparklines import segment_sparks
from dashboard.ticker import alerts_ticker
from streams.core.config import EngineSettings

__all__ = ["Model", "SnapshotSource"]


class SnapshotSource(Protocol):
    def latest(self) -> tuple[Any, float | None, str | None]: ...


def _digest(shown: Any) -> str:
    blob = json.dumps(shown, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(blob.encode(), digest_size=12).hexdigest()


def _shown(view: dict, ticker: dict) -> dict:
    """What a TV shows of ``view`` and ``ticker``: the digest covers this and only this (not
    the clock, nor the ages that tick every second, nor the raw snapshot)."""
    shown = {k: v for k, v in view.items() if k not in ("age_s", "clock", "segments")}
    shown["segments"] = [{k: v for k, v in s.items() if k not in ("age_s", "raw")}
                         for s in view["segments"]]
    shown["ticker"] = ticker
    return shown


def _tile_props(view: dict) -> dict[str, Any]:
    """The per-tile and per-segment props a tick copies onto a page it has already built."""
    segments = view["segments"]
    return {
        "tiles": {(s["dom_id"], t["key"]): (tile_class(t, s["stale"]),
                                           tile_children(t, s["dom_id"]))
                  for s in segments for t in s["tiles"]},
        "ages": {s["dom_id"]: (s["age_text"], seg_age_class(s)) for s in segments},
        # per tile, so a TV is sent only the tiles that changed since its last tick
        "tile_digests": {f"{s['dom_id']}|{t['key']}": _digest([t, s["stale"]])
                         for s in segments for t in s["tiles"]},
    }


class Model:
    """The server-side state every TV reads: the latest snapshot's rendered views, one per
    (board, language, detail?), rebuilt at most once per second (and when a new snapshot
    arrives). Thread-safe; bounded (boards × languages × 2 entries)."""

    def __init__(self, poller: SnapshotSource, *, engine: EngineSettings, boards: Boards,
                 stale_after_s: float, now: Callable[[], float], history: History | None,
                 alerts: SnapshotSource | None) -> None:
        self.poller = poller
        self.engine = engine
        self.boards = boards
        self.stale_after_s = stale_after_s
        self.now = now
        self.history = history
        self.alerts = alerts
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, bool], tuple[Any, dict]] = {}
        self._tz = engine.tz

    def entry(self, board: BoardSpec, lang: str, detail: bool = False) -> dict:
        snapshot, fetched_at, error = self.poller.latest()
        now = self.now()
        key = (board.name, lang, detail)
        stamp = (math.floor(now), fetched_at, error)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        if detail:  # every segment, whatever the board shows
            board = dataclasses.replace(board, segments=None)
        view = render(snapshot, fetched_at, now, board=board, engine=self.engine, lang=lang,
                      stale_after_s=self.stale_after_s, error=error,
                      sparks=None if detail else segment_sparks(self.history, now),
                      paginate=not detail)
        entry = self._build(view, self._ticker(lang), detail, board.window)
        with self._lock:
            self._cache[key] = (stamp, entry)
        return entry

    def _ticker(self, lang: str) -> dict:
        if self.alerts is None:
            return alerts_ticker(False, None, None, self._tz, lang)
        payload, _, alert_error = self.alerts.latest()
        return alerts_ticker(True, None if alert_error else payload, alert_error, self._tz, lang)

    @staticmethod
    def _build(view: dict, ticker: dict, detail: bool, window: str) -> dict:
        lang = view["lang"]
        entry: dict[str, Any] = {
            "view": view,
            "ticker": ticker,
            "digest": _digest(_shown(view, ticker)),
            "layout": layout_key(view),
            "age_text": age_text(view),
            "ticker_children": ticker_children(ticker, lang),
            "ticker_class": f"ticker {ticker['state']}",
        }
        if detail:
            entry["rows"] = detail_rows(view, window)
        else:
            entry.update(_tile_props(view))
        return entry

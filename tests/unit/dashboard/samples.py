"""Sample snapshots shared by the renderer's tests (a full segment, what an early worker
serves, boards with every tile) and readers of a rendered view."""

from __future__ import annotations

from dashboard.boards import BoardSpec
from dashboard.render import render

NOW = 1_795_000_000.0  # 2026-11-18T11:06:40Z, the injected clock of every test
AS_OF = "2026-11-18T11:06:40Z"

FULL_SEGMENT = {
    "now": {
        "waiting": 3,
        "oldest_wait_s": 42.0,
        "waiting_over_sl": 1,
        "agents": {"available": 2, "on_call": 9, "acw": 1, "not_ready": 3, "staffed": 12},
    },
    "windows": {
        "15m": {"offered": 1240, "answered": 1200, "abandoned": 4, "short_abandoned": 1,
                "handled": 1190, "service_level": 0.8333, "asa_s": 11.2, "wait_p90_s": 25.0,
                "aht_s": 290.5, "abandon_rate": 0.0789},
        "5m": {},
        "60m": {},
        "today": {"service_level": 0.81, "abandon_rate": 0.031, "offered": 5000},
    },
    "forecast": {"staffed": 12, "overloaded": False, "agents_required": 11},
}

# What an early worker serves: only some keys, and SL/oldest may be null.
PARTIAL_SEGMENT = {
    "now": {"waiting": 0, "oldest_wait_s": None, "waiting_over_sl": 0},
    "windows": {"15m": {"offered": 7, "answered": 5, "abandoned": 1, "dequeued": 0}},
}

ALL_TILES = BoardSpec("t", tiles=("now", "agents", "sl", "abandon", "asa", "forecast"))
MORE_TILES = BoardSpec("m", tiles=("waiting", "oldest", "over_sl", "aht", "p90", "offered"))


def snapshot(**segments: dict) -> dict:
    return {"as_of": AS_OF, "segments": segments}


def tiles_of(view: dict, segment: str = "all") -> dict[str, dict]:
    seg = next(s for s in view["segments"] if s["name"] == segment)
    return {t["key"]: t for t in seg["tiles"]}


def values_of(view: dict, segment: str = "all") -> dict[str, str]:
    return {k: t["value"] for k, t in tiles_of(view, segment).items()}


def one(segment: dict, board: BoardSpec = ALL_TILES, **kwargs) -> dict:
    return render(snapshot(all=segment), NOW, NOW, board=board, **kwargs)

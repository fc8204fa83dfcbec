"""Boards as configuration: ``[dashboard.boards.NAME]`` tables, their thresholds, and how a
board is split into pages. Pure (no Dash, no I/O): parsed once by :mod:`dashboard.config` and
checked against the engine settings by :func:`check_boards`.

A board::

    [dashboard.boards.floor]
    title = "Billing floor"
    segments = ["all", "billing"]       # default: "all", then every queue in the snapshot
    tiles = ["now", "sl", "abandon"]    # default: DEFAULT_TILES
    window = "15m"                      # one of engine.windows
    segments_per_page = 1               # more segments than this rotate, every rotate_s
    rotate_s = 20
    language = "zh-CN"                  # default: dashboard.language; ?lang= overrides

    [dashboard.boards.floor.thresholds]          # per board, every segment
    waiting = { warn = 5, critical = 15 }        # direction: the metric's default
    sl = { warn = 0.85, critical = 0.80, direction = "below" }

    [dashboard.boards.floor.segment_thresholds.billing]   # per board and segment
    waiting = { warn = 3, critical = 8 }

Unset thresholds come from the engine's settings of the segment (:func:`default_thresholds`):
SL is critical below ``sl_target``, the oldest wait warns at ``sl_threshold_s``, and so on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dashboard.i18n import LANGUAGES, normalize_language
from streams.core.config import EngineSettings, SegmentPolicy
from streams.core.errors import ConfigError

__all__ = [
    "BoardSpec",
    "DEFAULT_BOARD",
    "DEFAULT_TILES",
    "METRICS",
    "TILES",
    "Threshold",
    "check_boards",
    "classify",
    "default_thresholds",
    "page_count",
    "page_segments",
    "parse_boards",
    "thresholds_for",
]

Direction = Literal["above", "below"]
State = Literal["ok", "warn", "bad", "none"]

# Tiles a board may show. "now" is the now block (waiting, oldest wait, waiting over SL).
TILES: tuple[str, ...] = ("now", "waiting", "oldest", "over_sl", "agents", "sl", "abandon",
                          "asa", "aht", "p90", "offered", "forecast")
DEFAULT_TILES: tuple[str, ...] = ("now", "sl", "agents", "abandon", "asa", "forecast")
# Metrics that can carry thresholds, and the direction in which they get worse.
METRICS: dict[str, Direction] = {
    "waiting": "above", "oldest": "above", "over_sl": "above", "sl": "below",
    "abandon": "above", "asa": "above", "aht": "above", "p90": "above",
    "available": "below", "staffing_gap": "above",
}
# Readable across a room (labels >= 5.2 vh, key numbers >= 12.5 vh): six tiles per page, or
# one row of three per segment with two segments per page.
MAX_TILES_PER_PAGE = 6
MAX_SEGMENTS_PER_PAGE = 2
MAX_TILES_MULTI = 3


@dataclass(frozen=True)
class Threshold:
    """``above``: value >= critical is BREACH, >= warn is WARN. ``below``: value < critical
    is BREACH, < warn is WARN. Either bound may be None (that state is never reached)."""

    warn: float | None
    critical: float | None
    direction: Direction

    def classify(self, value: float | None) -> State:
        if value is None:
            return "none"
        if self.direction == "above":
            if self.critical is not None and value >= self.critical:
                return "bad"
            if self.warn is not None and value >= self.warn:
                return "warn"
            return "ok"
        if self.critical is not None and value < self.critical:
            return "bad"
        if self.warn is not None and value < self.warn:
            return "warn"
        return "ok"


def classify(thresholds: Mapping[str, Threshold], metric: str, value: float | None) -> State:
    """The state of ``metric`` at ``value``; "none" for a metric without thresholds."""
    rule = thresholds.get(metric)
    return rule.classify(value) if rule is not None else "none"


def default_thresholds(policy: SegmentPolicy) -> dict[str, Threshold]:
    """Thresholds derived from the engine's settings of one segment."""
    t = policy.sl_threshold_s
    target = policy.sl_target
    return {
        "waiting": Threshold(5, 15, "above"),
        "oldest": Threshold(t, 3 * t, "above"),
        "over_sl": Threshold(1, 5, "above"),
        "sl": Threshold(min(0.999, round(target + 0.05, 4)), target, "below"),
        "abandon": Threshold(0.05, 0.10, "above"),
        "asa": Threshold(t / 2, t, "above"),
        "p90": Threshold(t, 2 * t, "above"),
        "staffing_gap": Threshold(1, 3, "above"),
    }


@dataclass(frozen=True)
class BoardSpec:
    name: str
    title: str = ""
    segments: tuple[str, ...] | None = None  # None: all, then every queue
    tiles: tuple[str, ...] = DEFAULT_TILES
    window: str = "15m"
    segments_per_page: int = 1
    rotate_s: float = 20.0
    language: str = ""
    thresholds: tuple[tuple[str, Threshold], ...] = ()
    segment_thresholds: tuple[tuple[str, tuple[tuple[str, Threshold], ...]], ...] = ()


DEFAULT_BOARD = BoardSpec(name="main")

def _name_ok(name: str) -> bool:
    return bool(name) and len(name) <= 64 and all(c.isalnum() or c in "._-" for c in name)


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value):
        raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    return float(value)


def _strings(key: str, value: Any, *, allowed: tuple[str, ...] | None = None,
             limit: int = 500) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{key}: expected a non-empty list of strings, got {value!r}")
    if len(value) > limit:
        raise ConfigError(f"{key}: at most {limit} entries, got {len(value)}")
    for item in value:
        if not isinstance(item, str) or not item:
            raise ConfigError(f"{key}: expected non-empty strings, got {item!r}")
        if allowed is not None and item not in allowed:
            raise ConfigError(f"{key}: unknown {item!r} (known: {', '.join(allowed)})")
    if len(set(value)) != len(value):
        raise ConfigError(f"{key}: an entry is listed twice: {value!r}")
    return tuple(value)


def parse_threshold(key: str, metric: str, value: Any) -> Threshold:
    if metric not in METRICS:
        raise ConfigError(f"{key}: unknown metric (known: {', '.join(METRICS)})")
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a table like {{ warn = 5, critical = 15 }}, "
                          f"got {value!r}")
    unknown = set(value) - {"warn", "critical", "direction"}
    if unknown:
        raise ConfigError(f"{key}.{sorted(unknown)[0]}: unknown key "
                          "(known: critical, direction, warn)")
    direction = value.get("direction", METRICS[metric])
    if direction not in ("above", "below"):
        raise ConfigError(f"{key}.direction: must be \"above\" or \"below\", got {direction!r}")
    warn = _number(f"{key}.warn", value["warn"]) if "warn" in value else None
    critical = _number(f"{key}.critical", value["critical"]) if "critical" in value else None
    if warn is None and critical is None:
        raise ConfigError(f"{key}: set warn, critical or both")
    if warn is not None and critical is not None:
        if direction == "above" and warn > critical:
            raise ConfigError(f"{key}.warn: must be <= critical ({critical:g}) when bigger is "
                              f"worse (direction = \"above\"), got {warn:g}")
        if direction == "below" and warn < critical:
            raise ConfigError(f"{key}.warn: must be >= critical ({critical:g}) when smaller "
                              f"is worse (direction = \"below\"), got {warn:g}")
    return Threshold(warn, critical, direction)


def _threshold_table(key: str, value: Any) -> tuple[tuple[str, Threshold], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a table of metric = {{ warn, critical }}")
    return tuple((metric, parse_threshold(f"{key}.{metric}", metric, rule))
                 for metric, rule in value.items())


def _title(key: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > 80:
        raise ConfigError(f"{key}: expected a string of at most 80 characters")
    return value


def _window(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key}: expected a window name such as \"15m\"")
    return value


def _segments_per_page(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 1 <= value <= MAX_SEGMENTS_PER_PAGE:
        raise ConfigError(f"{key}: must be an integer 1..{MAX_SEGMENTS_PER_PAGE}, "
                          f"got {value!r}")
    return value


def _rotate_s(key: str, value: Any) -> float:
    rotate = _number(key, value)
    if not 3 <= rotate <= 3600:
        raise ConfigError(f"{key}: must be >= 3 and <= 3600, got {rotate:g}")
    return rotate


def _language(key: str, value: Any) -> str:
    lang = normalize_language(value) if isinstance(value, str) else None
    if lang is None:
        raise ConfigError(f"{key}: must be one of {', '.join(LANGUAGES)}, got {value!r}")
    return lang


def _segment_thresholds(key: str, value: Any
                        ) -> tuple[tuple[str, tuple[tuple[str, Threshold], ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected tables [{key}.SEGMENT]")
    return tuple((seg, _threshold_table(f"{key}.{seg}", table)) for seg, table in value.items())


# the keys of a board table, each with its parser, in the order they are checked
_BOARD_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "title": _title,
    "segments": _strings,
    "tiles": lambda key, value: _strings(key, value, allowed=TILES),
    "window": _window,
    "segments_per_page": _segments_per_page,
    "rotate_s": _rotate_s,
    "language": _language,
    "thresholds": _threshold_table,
    "segment_thresholds": _segment_thresholds,
}
_BOARD_KEYS = tuple(_BOARD_FIELDS)


def _check_tiles(key: str, board: BoardSpec) -> None:
    """The tiles fit: no tile twice (the now block holds three), and not too many a page."""
    if "now" in board.tiles and {"waiting", "oldest", "over_sl"} & set(board.tiles):
        raise ConfigError(f"{key}.tiles: \"now\" already shows waiting, oldest and over_sl; "
                          "list either \"now\" or those tiles")
    per_page = board.segments_per_page
    limit = MAX_TILES_PER_PAGE if per_page == 1 else MAX_TILES_MULTI
    if len(board.tiles) > limit:
        raise ConfigError(f"{key}.tiles: at most {limit} tiles fit readably when "
                          f"segments_per_page = {per_page}, got {len(board.tiles)}")


def parse_board(key: str, name: str, values: Any) -> BoardSpec:
    if not _name_ok(name):
        raise ConfigError(f"{key}: board names are 1..64 letters, digits or ._-, got {name!r}")
    if not isinstance(values, dict):
        raise ConfigError(f"{key}: expected a table, got {type(values).__name__}")
    for k in values:
        if k not in _BOARD_KEYS:
            raise ConfigError(f"{key}.{k}: unknown key (known: {', '.join(sorted(_BOARD_KEYS))})")
    spec = {k: parse(f"{key}.{k}", values[k]) for k, parse in _BOARD_FIELDS.items()
            if k in values}
    board = BoardSpec(name=name, **spec)
    _check_tiles(key, board)
    return board


def parse_boards(key: str, values: Any) -> tuple[BoardSpec, ...]:
    """``[dashboard.boards.*]`` → board specs (errors name the key)."""
    if not isinstance(values, dict):
        raise ConfigError(f"{key}: expected tables [{key}.NAME]")
    if len(values) > 100:
        raise ConfigError(f"{key}: at most 100 boards, got {len(values)}")
    return tuple(parse_board(f"{key}.{name}", name, v) for name, v in values.items())


def check_boards(boards: tuple[BoardSpec, ...], engine: EngineSettings,
                 key: str = "dashboard.boards") -> None:
    """What needs the engine settings: each board's window must be one the engine computes."""
    windows = [w for w, _ in engine.windows] + ["today"]
    for board in boards:
        if board.window not in windows:
            raise ConfigError(f"{key}.{board.name}.window: {board.window!r} is not computed "
                              f"by the engine (engine.windows: {', '.join(windows)})")


def thresholds_for(board: BoardSpec, segment: str, policy: SegmentPolicy
                   ) -> dict[str, Threshold]:
    """Engine defaults, overridden by the board's thresholds, then by its segment's."""
    merged = default_thresholds(policy)
    merged.update(board.thresholds)
    for seg, table in board.segment_thresholds:
        if seg == segment:
            merged.update(table)
    return merged


def page_count(n_segments: int, per_page: int) -> int:
    return max(1, math.ceil(n_segments / per_page))


def page_segments(names: list[str], per_page: int, now: float, rotate_s: float
                  ) -> tuple[list[str], int, int]:
    """The segments shown at ``now`` (epoch s), the page number (1-based) and the count.

    Every TV of a board shows the same page at the same time: the page is a function of the
    clock, not of when the TV was switched on."""
    pages = page_count(len(names), per_page)
    index = int(now // rotate_s) % pages if pages > 1 else 0
    return names[index * per_page:(index + 1) * per_page], index + 1, pages


@dataclass(frozen=True)
class Boards:
    """The boards of a dashboard by name; the first is the default (``/``)."""

    specs: tuple[BoardSpec, ...] = field(default_factory=lambda: (DEFAULT_BOARD,))

    def get(self, name: str | None) -> BoardSpec | None:
        if not name:
            return self.specs[0]
        return next((b for b in self.specs if b.name == name), None)

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.specs]

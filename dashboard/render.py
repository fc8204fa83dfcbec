"""The view of one page: a snapshot, a board and a clock in, everything the page shows out.

:func:`render` puts the rooms together: the segments in their order (:func:`segment_order`)
and on the page the clock selects, each with its tiles (:mod:`dashboard.tiles`) and its
freshness, and the page's clock, ``as_of``, age and banner (:mod:`dashboard.freshness`).
Nothing here does I/O or reads a clock: the caller passes ``now`` (epoch seconds), the fetch
time of the snapshot, the board, the engine settings and the language, so every decision is
a plain function of its arguments and is unit-tested without a browser.

Figures come only from the worker's snapshot (``shared/spec/metrics.md``); every lookup
tolerates a missing key, ``null`` or a value of the wrong type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from typing import Any

from dashboard.boards import DEFAULT_BOARD, BoardSpec, page_segments, thresholds_for
from dashboard.formatting import dom_id, fmt_age, fmt_clock, lookup, worst
from dashboard.freshness import Freshness, banner_text, segment_freshness, snapshot_freshness
from dashboard.i18n import tr
from dashboard.tiles import segment_tiles
from streams.core.config import ALL_SEGMENT, EngineSettings
from streams.core.timefmt import parse_as_of

__all__ = ["ALL_SEGMENT", "render", "segment_order"]



# --------------------------------------------------------------------------- ordering


def segment_order(available: Sequence[str], wanted: Sequence[str] | None = None) -> list[str]:
    """``wanted`` as given (a configured TV shows its segments even before data exists),
    else ``all`` first and then every other segment sorted case-insensitively."""
    if wanted is not None:
        return list(dict.fromkeys(wanted))
    rest = sorted((s for s in available if s != ALL_SEGMENT), key=lambda s: (s.lower(), s))
    return ([ALL_SEGMENT] if ALL_SEGMENT in available else []) + rest


def _unique_ids(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    ids = []
    for name in names:
        base = candidate = dom_id(name)
        n = 2
        while candidate in seen:
            candidate = f"{base}-{n}"
            n += 1
        seen.add(candidate)
        ids.append(candidate)
    return ids


def _page(raw_segments: Mapping[str, Any], board: BoardSpec, now: float, paginate: bool
          ) -> tuple[list[str], dict[str, str], int, int]:
    """The segments shown at ``now``, the DOM id of each, the page number and the count."""
    names = segment_order([str(k) for k in raw_segments], board.segments)
    ids = dict(zip(names, _unique_ids(names), strict=True))
    if not paginate:
        return names, ids, 1, 1
    shown, page, pages = page_segments(names, board.segments_per_page, now, board.rotate_s)
    return shown, ids, page, pages


# --------------------------------------------------------------------------- render


def _segment_view(snapshot: Any, name: str, seg_id: str, seg: Any, *, board: BoardSpec,
                  engine: EngineSettings, lang: str, fresh: Freshness, stale_after_s: float,
                  sparks: Callable[[str], Any] | None) -> dict:
    """One segment of the page: its title, status, freshness and tiles."""
    policy = engine.policy_for(name)
    seg_age, seg_stale = segment_freshness(snapshot, name, fresh.age_s, stale_after_s)
    seg_stale = seg_stale or fresh.stale
    tiles = segment_tiles(seg, board.tiles, policy=policy,
                          thresholds=thresholds_for(board, name, policy),
                          window=board.window, lang=lang,
                          sparks=sparks(name) if sparks is not None else None)
    return {
        "name": name,
        "dom_id": seg_id,
        "title": tr(lang, "all") if name == ALL_SEGMENT else name,
        "status": worst([t["status"] for t in tiles]),
        "stale": seg_stale,
        "age_s": seg_age,
        "age_text": tr(lang, "age_stale" if seg_stale else "age", age=fmt_age(seg_age, lang)),
        "raw": seg,
        "tiles": tiles,
    }


def _as_of_text(snapshot: Any, tz: tzinfo, lang: str) -> str:
    as_of = parse_as_of(lookup(snapshot, "as_of"))
    return (tr(lang, "data_as_of", time=fmt_clock(as_of.timestamp(), tz)) if as_of
            else tr(lang, "no_data_time"))


def render(
    snapshot: dict | None,
    fetched_at: float | None,
    now: float,
    *,
    board: BoardSpec = DEFAULT_BOARD,
    engine: EngineSettings | None = None,
    lang: str = "en",
    stale_after_s: float = 5.0,
    error: str | None = None,
    sparks: Any = None,
    paginate: bool = True,
) -> dict:
    """Everything one page of ``board`` shows at ``now``, as display strings.

    ``fetched_at`` and ``now`` are epoch seconds of the same clock. ``sparks(segment)``
    returns the sparkline images of a segment (``{"waiting": svg, ...}``). With
    ``paginate=False`` every segment of the board is returned (the detail page).
    Returns::

        {"lang", "board", "title", "clock", "as_of", "age_s", "age", "stale", "banner",
         "page", "pages", "page_text", "status", "has_data",
         "segments": [{"name", "dom_id", "title", "status", "stale", "age_s", "age_text",
                       "raw", "tiles": [tile, ...]}, ...]}
    """
    engine = engine or EngineSettings()
    tz = engine.tz
    fresh = snapshot_freshness(snapshot, fetched_at, now, stale_after_s)
    raw_segments = lookup(snapshot, "segments")
    if not isinstance(raw_segments, Mapping):
        raw_segments = {}
    shown, ids, page, pages = _page(raw_segments, board, now, paginate)
    segments = [_segment_view(snapshot, name, ids[name], raw_segments.get(name), board=board,
                              engine=engine, lang=lang, fresh=fresh,
                              stale_after_s=stale_after_s, sparks=sparks)
                for name in shown]
    stale = fresh.stale or any(s["stale"] for s in segments)
    return {
        "lang": lang,
        "board": board.name,
        "title": board.title,
        "clock": fmt_clock(now, tz),
        "has_data": fresh.has_snapshot,
        "as_of": _as_of_text(snapshot, tz, lang),
        "age_s": fresh.age_s,
        "age": fmt_age(fresh.age_s, lang),
        "stale": stale,
        "banner": banner_text(lang, tz, now, has_snapshot=fresh.has_snapshot,
                              age_s=fresh.banner_age_s, stale=stale, error=error,
                              broker_down=fresh.broker_down, partitions=fresh.partitions),
        "page": page,
        "pages": pages,
        "page_text": tr(lang, "page", n=page, of=pages) if pages > 1 else "",
        "status": worst([s["status"] for s in segments]),
        "segments": segments,
    }

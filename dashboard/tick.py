"""Ticks: what one ``dcc.Interval`` tick of a TV sends back, as plain functions.

:func:`board_tick` is the board callback without Dash around it: the URL picks the page
(:func:`~dashboard.routing.route`), the model gives its cached entry, and the answer is a
:class:`BoardUpdate` — ``no_update`` wherever nothing visible changed (the clock and the
heartbeat aside). A new page, language or set of segments sends a new skeleton; otherwise
only the props of the tiles whose digest changed since the TV's last tick. The TV keeps what
it was sent in its ``view-state`` store. :func:`detail_tick` refreshes the detail table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from dash import ALL, no_update

from dashboard.boards import BoardSpec
from dashboard.components import (
    board_class,
    detail_body,
    focus_children,
    message_body,
    segments_body,
)
from dashboard.i18n import tr
from dashboard.model import Model
from dashboard.routing import route

__all__ = ["AGES", "TILES", "BoardUpdate", "board_tick", "detail_tick", "page_ids"]

TILES = {"type": "tile", "seg": ALL, "key": ALL}  # every tile <div> of the page
AGES = {"type": "seg-age", "seg": ALL}  # every segment's data age


def _out(component_id: Any, prop: str) -> Any:
    return field(default=no_update, metadata={"output": (component_id, prop)})


@dataclass
class BoardUpdate:
    """The board callback's outputs, in the order it declares them (:meth:`outputs`); a
    value left at ``no_update`` is not sent. The tile and age outputs are lists with one
    value per tile (segment) the page has."""

    body: Any = _out("board", "children")
    body_class: Any = _out("board", "className")
    tile_classes: Any = _out(TILES, "className")
    tile_children: Any = _out(TILES, "children")
    age_children: Any = _out(AGES, "children")
    age_classes: Any = _out(AGES, "className")
    as_of: Any = _out("as-of", "children")
    data_age: Any = _out("data-age", "children")
    clock: Any = _out("clock", "children")
    banner: Any = _out("stale-banner", "children")
    banner_hidden: Any = _out("stale-banner", "hidden")
    board_title: Any = _out("board-title", "children")
    page_indicator: Any = _out("page-indicator", "children")
    ticker_children: Any = _out("ticker", "children")
    ticker_class: Any = _out("ticker", "className")
    lang: Any = _out("wallboard", "lang")
    state: Any = _out("view-state", "data")
    beat: Any = _out("beat", "children")
    focus: Any = _out("focus", "children")

    @staticmethod
    def outputs() -> list[tuple[Any, str]]:
        """``(component id, property)`` of each output, in order."""
        return [f.metadata["output"] for f in fields(BoardUpdate)]

    @classmethod
    def unchanged(cls, n_tiles: int, n_ages: int, **changed: Any) -> BoardUpdate:
        """Nothing sent but ``changed``; the tile and age outputs as lists of no_update."""
        blank = {"tile_classes": [no_update] * n_tiles, "tile_children": [no_update] * n_tiles,
                 "age_children": [no_update] * n_ages, "age_classes": [no_update] * n_ages}
        return cls(**{**blank, **changed})

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _NAMES)


_NAMES = tuple(f.name for f in fields(BoardUpdate))  # the outputs' order, once
_TILE_OUT, _AGE_OUT = _NAMES.index("tile_classes"), _NAMES.index("age_children")


def board_tick(model: Model, default_lang: str, n_intervals: int | None,
               pathname: str | None, search: str | None, state: dict | None,
               tile_ids: list[dict], age_ids: list[dict]) -> BoardUpdate:
    """One tick of a TV on ``pathname``/``search``; ``state`` is what the TV was sent last,
    ``tile_ids``/``age_ids`` the ids of the tile and segment-age elements its page has."""
    state = state or {}
    beat = str(n_intervals or 0)
    kind, board, lang, problem = route(pathname, search, model.boards, default_lang)
    if kind == "unknown" or board is None:
        return _unknown_page(lang, problem, state, beat, len(tile_ids), len(age_ids))
    entry = model.entry(board, lang, detail=kind == "detail")
    if entry["digest"] == state.get("digest") and state.get("kind") == kind:
        return BoardUpdate.unchanged(len(tile_ids), len(age_ids), clock=entry["view"]["clock"],
                                     beat=beat)
    return _changed_page(entry, kind, board, lang, state, beat, tile_ids, age_ids)


def _unknown_page(lang: str, problem: str | None, state: dict, beat: str, n_tiles: int,
                  n_ages: int) -> BoardUpdate:
    """A URL of no board: say so once (and keep the heartbeat going)."""
    key = ["unknown", lang, problem]
    if state.get("layout") == key:
        return BoardUpdate.unchanged(n_tiles, n_ages, beat=beat)
    return BoardUpdate.unchanged(
        n_tiles, n_ages, body=message_body(problem), body_class="content", as_of="",
        data_age="", clock="", banner="", banner_hidden=True, board_title="",
        page_indicator="", ticker_children=[], ticker_class="ticker off", lang=lang,
        state={"layout": key}, beat=beat, focus=[])


def _changed_page(entry: dict, kind: str, board: BoardSpec, lang: str, state: dict,
                  beat: str, tile_ids: list[dict], age_ids: list[dict]) -> BoardUpdate:
    """Something visible changed: the page's texts, and its skeleton or its tiles."""
    view = entry["view"]
    detail = kind == "detail"
    layout_now = [kind, entry["layout"]] if kind == "board" else [kind, board.name, lang]
    if layout_now != state.get("layout"):
        update = _new_skeleton(entry, detail, lang, board.window, len(tile_ids), len(age_ids))
    elif detail:
        update = BoardUpdate.unchanged(len(tile_ids), len(age_ids))
    else:
        update = _changed_tiles(entry, state.get("tiles") or {}, tile_ids, age_ids)
    update.body_class = board_class(view) + (" detail" if detail else "")
    update.as_of = view["as_of"]
    update.data_age = entry["age_text"]
    update.clock = view["clock"]
    update.banner = view["banner"] or ""
    update.banner_hidden = view["banner"] is None
    update.board_title = tr(lang, "detail_title") if detail else (board.title or "")
    update.page_indicator = view["page_text"]
    update.ticker_children = entry["ticker_children"]
    update.ticker_class = entry["ticker_class"]
    update.lang = lang
    update.state = {"layout": layout_now, "digest": entry["digest"], "kind": kind,
                    "tiles": entry.get("tile_digests", {})}
    update.beat = beat
    return update


def _new_skeleton(entry: dict, detail: bool, lang: str, window: str, n_tiles: int,
                  n_ages: int) -> BoardUpdate:
    """Page, language or segments changed: a new ``#board`` (and top-bar focus)."""
    if detail:
        body, focus = detail_body(entry["rows"], lang, window), []
    else:
        body, focus = segments_body(entry["view"]), focus_children(entry["view"])
    return BoardUpdate.unchanged(n_tiles, n_ages, body=body, focus=focus)


def _changed_tiles(entry: dict, sent: dict, tile_ids: list[dict], age_ids: list[dict]
                   ) -> BoardUpdate:
    """The same skeleton: the props of each tile whose digest changed since ``sent``, and
    every segment's age."""
    update = BoardUpdate(tile_classes=[], tile_children=[], age_children=[], age_classes=[])
    for tid in tile_ids:
        sid, key = tid["seg"], tid["key"]
        props = entry["tiles"].get((sid, key))
        same = sent.get(f"{sid}|{key}") == entry["tile_digests"].get(f"{sid}|{key}")
        update.tile_classes.append(props[0] if props and not same else no_update)
        update.tile_children.append(props[1] if props and not same else no_update)
    for aid in age_ids:
        props = entry["ages"].get(aid["seg"])
        update.age_children.append(props[0] if props else no_update)
        update.age_classes.append(props[1] if props else no_update)
    return update


def detail_tick(model: Model, default_lang: str, pathname: str | None, search: str | None
                ) -> Any:
    """The detail table's rows on the detail page; no_update anywhere else."""
    kind, board, lang, _ = route(pathname, search, model.boards, default_lang)
    if kind != "detail" or board is None:
        return no_update
    return model.entry(board, lang, detail=True)["rows"]


def page_ids(outputs_list: list) -> tuple[list[dict], list[dict]]:
    """The ids of the tile and of the segment-age elements the page has, from the board
    callback's ``ctx.outputs_list``."""
    return ([out["id"] for out in outputs_list[_TILE_OUT]],
            [out["id"] for out in outputs_list[_AGE_OUT]])

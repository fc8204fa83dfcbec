"""Components: the Dash layout of the wallboard, built from rendered views.

The page skeleton (:func:`page_layout`: top bar, banner, ``#board``, the ticker footer and
the data attributes the watchdog script reads), the segment sections with one tile ``<div>``
per tile (:func:`segments_body`), the props of a tile or segment age that a tick updates,
the ticker's items and the detail page's DataTable. No I/O, no callbacks.

Dash re-mounts every component inside a ``children`` value a callback returns, which would
restart the 5-cycle breach flash on every tick and flash forever. So the skeleton — segment
sections and one tile ``<div>`` per segment and tile — is built once per page and only the
tiles' props (``className``, ``children``) are updated; the skeleton is rebuilt only when
the board, language, page or set of segments changes (:func:`layout_key`).
"""

from __future__ import annotations

from typing import Any

from dash import dash_table, dcc, html

from dashboard.detail import detail_columns
from dashboard.i18n import TEXTS, tr
from dashboard.routing import HEALTH_PATH
from dashboard.sparklines import svg_uri

__all__ = [
    "age_text",
    "board_class",
    "brand_children",
    "detail_body",
    "focus_children",
    "layout_key",
    "message_body",
    "page_layout",
    "seg_age_class",
    "seg_age_id",
    "segments_body",
    "ticker_children",
    "tile_children",
    "tile_class",
    "tile_id",
]


# --------------------------------------------------------------------------- tiles


def tile_id(sid: str, key: str) -> dict:
    return {"type": "tile", "seg": sid, "key": key}


def tile_class(tile: dict, stale: bool) -> str:
    return f"tile {tile['status']} t-{tile['key']}" + (" stale" if stale else "")


def _tile_main(tile: dict, sid: str) -> html.Div:
    main: list[Any] = [html.Span(tile["value"], id=f"{tile['value_id']}-{sid}",
                                 className="value", style={"--len": max(len(tile["value"]), 2)})]
    if tile["status"] != "none":
        main.append(html.Span([html.Span(tile["icon"], className="icon"),
                               html.Span(tile["word"], className="word")], className="badge"))
    if tile["note"]:
        main.append(html.Span(tile["note"], className="note"))
    if tile["spark"]:
        main.append(html.Img(src=svg_uri(tile["spark"]), className="spark", alt=""))
    return html.Div(main, className="main")


def _tile_line(line: dict, sid: str) -> html.Div:
    parts: list[Any] = [html.Span(line["text"], className="ltext")]
    if line["value"]:
        parts.append(html.Span(line["value"], className="lvalue",
                               **({"id": f"{line['id']}-{sid}"} if line["id"] else {})))
    return html.Div(parts, className="line")


def tile_children(tile: dict, sid: str) -> list[Any]:
    children: list[Any] = [html.Div(tile["label"], className="label"), _tile_main(tile, sid)]
    if tile["rows"]:
        children.append(html.Div([
            html.Div([html.Span(r["label"], className="rlabel"),
                      html.Span(r["value"], id=f"{r['id']}-{sid}", className="rvalue")],
                     className="arow") for r in tile["rows"]], className="arows"))
    children.extend(_tile_line(line, sid) for line in tile["lines"])
    return children


def _tile(tile: dict, sid: str, stale: bool) -> html.Div:
    return html.Div(tile_children(tile, sid), id=tile_id(sid, tile["key"]),
                    className=tile_class(tile, stale), **{"data-tile": f"{tile['key']}-{sid}"})


# --------------------------------------------------------------------------- segments


def seg_age_id(sid: str) -> dict:
    return {"type": "seg-age", "seg": sid}


def seg_age_class(segment: dict) -> str:
    return "seg-age" + (" stale" if segment["stale"] else "")


def _segment_head(segment: dict) -> list[Any]:
    return [html.Span(segment["title"], className="seg-title"),
            html.Span(segment["age_text"], id=seg_age_id(segment["dom_id"]),
                      className=seg_age_class(segment))]


def focus_children(view: dict) -> list[Any]:
    """A page of one segment names it (and its data age) in the top bar, which leaves the
    tiles a line more of height."""
    segments = view["segments"]
    return _segment_head(segments[0]) if len(segments) == 1 else []


def message_body(text: str | None) -> list[Any]:
    """``#board`` showing one message instead of segments."""
    return [html.Div(text, className="empty")]


def segments_body(view: dict) -> list[Any]:
    segments = view["segments"]
    if not segments:
        return message_body(tr(view["lang"],
                               "no_segments" if view["has_data"] else "waiting_for_data"))
    n_tiles = len(segments[0]["tiles"])
    single = len(segments) == 1
    return [
        html.Section(
            ([] if single else [html.H2(_segment_head(s), className="segment-head")])
            + [html.Div([_tile(t, s["dom_id"], s["stale"]) for t in s["tiles"]],
                        className=f"grid tiles-{n_tiles}")],
            id=f"segment-{s['dom_id']}", className="segment")
        for s in segments
    ]


def layout_key(view: dict) -> list[Any]:
    """What the skeleton depends on; a change rebuilds ``#board``."""
    return [view["board"], view["lang"], view["page"],
            [[s["dom_id"], s["title"], [t["key"] for t in s["tiles"]]] for s in view["segments"]]]


def board_class(view: dict) -> str:
    per_page = max(1, len(view["segments"]))
    return f"content per-{per_page}" + (" stale" if view["stale"] else "")


def age_text(view: dict) -> str:
    lang = view["lang"]
    return tr(lang, "updated", age=view["age"]) if view["age_s"] is not None \
        else tr(lang, "no_data_yet")


# --------------------------------------------------------------------------- ticker


def ticker_children(ticker: dict, lang: str) -> list[Any]:
    head = html.Span(tr(lang, "alerts"), className="ticker-head")
    if ticker["state"] != "active":
        return [head, html.Span(ticker["reason"], id="ticker-reason", className="ticker-reason")]
    items = [html.Span([html.Span(f"{i['icon']} {i['word']}", className=f"tbadge {i['state']}"),
                        html.Span(i["text"], className="ttext"),
                        html.Span(i["since"], className="tsince")], className="titem")
             for i in ticker["items"]]
    if ticker["reason"]:
        items.append(html.Span(ticker["reason"], className="ticker-reason"))
    return [head, *items]


# --------------------------------------------------------------------------- detail page

_STATUS_COLOURS = (("bad", "#D55E00"), ("warn", "#E69F00"), ("ok", "#009E73"))


def detail_body(rows: list[dict], lang: str, window: str) -> list[Any]:
    """The detail page's ``#board``: one sortable DataTable of every segment."""
    return [dash_table.DataTable(
        id="detail-table",
        columns=detail_columns(lang, window),
        data=rows,
        sort_action="native",
        sort_by=[],
        style_as_list_view=True,
        style_table={"overflowX": "auto", "overflowY": "auto", "height": "100%"},
        fixed_rows={"headers": True},
        style_header={"backgroundColor": "#14181e", "color": "#b7c0cc", "fontWeight": "700",
                      "whiteSpace": "normal", "height": "auto"},
        style_cell={"backgroundColor": "#0b0d10", "color": "#ffffff", "border": "1px solid #2a3038",
                    "fontSize": "2.2vh", "padding": "0.6vh 1vh", "textAlign": "right",
                    "fontFamily": "DejaVu Sans Condensed, DejaVu Sans, sans-serif",
                    "minWidth": "6vw"},
        style_cell_conditional=[{"if": {"column_id": c}, "textAlign": "left"}
                                for c in ("segment", "status")],
        style_data_conditional=[
            {"if": {"filter_query": f'{{state}} = "{state}"', "column_id": "status"},
             "backgroundColor": colour, "color": "#000000"}
            for state, colour in _STATUS_COLOURS],
    )]


# --------------------------------------------------------------------------- the page


def brand_children(title: str, logo: str | None) -> list[Any]:
    """The top bar's brand: the logo (a data URI), when there is one, and the site name."""
    brand: list[Any] = []
    if logo:
        brand.append(html.Img(src=logo, className="logo", alt=""))
    brand.append(html.H1(title, className="brand"))
    return brand


def _topbar(brand: list[Any]) -> html.Header:
    return html.Header(
        [
            html.Div(brand, className="brandbox"),
            html.Div([], id="focus", className="focus"),
            html.Span("", id="board-title", className="board-title"),
            html.Span("", id="page-indicator", className="page-indicator"),
            html.Div(
                [
                    html.Span("", id="as-of", className="as-of"),
                    html.Span("", id="data-age", className="age"),
                ],
                className="freshness",
            ),
            html.Span("", id="clock", className="clock"),
        ],
        className="topbar",
    )


def page_layout(brand: list[Any], *, refresh_ms: int, stale_after_s: float,
                reload_after_s: float, utc_offset_min: int) -> html.Div:
    """The page skeleton every URL starts from; the first tick fills it. The data
    attributes tell the watchdog script (``assets/watchdog.js``) when the server is gone,
    when to reload, where to probe, the zone of the times it prints and its texts."""
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Interval(id="tick", interval=refresh_ms, n_intervals=0),
            dcc.Store(id="view-state", data={}),
            html.Span("0", id="beat", hidden=True),
            _topbar(brand),
            html.Div("", id="stale-banner", className="banner", hidden=True, role="alert"),
            html.Main([], id="board", className="content"),
            html.Footer([], id="ticker", className="ticker"),
        ],
        id="wallboard",
        className="wallboard",
        **{
            "data-stale-ms": str(round(stale_after_s * 1000 + 2 * refresh_ms)),
            "data-reload-ms": str(round(reload_after_s * 1000)),
            "data-health": HEALTH_PATH,
            "data-utc-offset-min": str(utc_offset_min),
            **{f"data-disconnected-{lang}": TEXTS[lang]["disconnected"]
               for lang in TEXTS},
        },
    )

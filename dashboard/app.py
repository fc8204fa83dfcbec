"""The TV wallboard: a Dash app (Flask backend) around :func:`dashboard.render.render`.

Pages: ``/`` (the first board), ``/board/<name>`` (a ``[dashboard.boards.NAME]``), ``/detail``
(every segment in a sortable table); ``?lang=zh-CN`` switches the language.

Serving many TVs: one :class:`Model` per process renders each (board, language) at most once
per second from the poller's in-memory snapshot and keeps the result (view, digest, tile
props); a TV's tick only compares its digest and copies props from that cache — no I/O and no
rendering per TV (wallboard-notes §1.4). One ``dcc.Interval`` drives one multi-output
callback, which returns ``no_update`` when nothing visible changed. A small script in
``assets/`` watches the per-tick heartbeat so a TV whose *Dash server* went away shows its own
"DISCONNECTED" banner and reloads itself once the server is back.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import errno
import hashlib
import io
import json
import math
import mimetypes
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs

import dash
from dash import ALL, Input, Output, State, ctx, dash_table, dcc, html, no_update
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from dashboard.boards import DEFAULT_BOARD, Boards, BoardSpec
from dashboard.config import DashboardSettings
from dashboard.history import History, sparkline_svg
from dashboard.i18n import TEXTS, normalize_language, tr
from dashboard.render import alerts_ticker, detail_columns, detail_rows, render
from streams.core.config import EngineSettings
from streams.core.errors import ConfigError

ASSETS = Path(__file__).parent / "assets"
HEALTH_PATH = "health"
DETAIL_PATH = "/detail"
BOARD_PREFIX = "/board/"
MAX_LOGO_BYTES = 512 * 1024


class SnapshotSource(Protocol):
    def latest(self) -> tuple[Any, float | None, str | None]: ...


# --------------------------------------------------------------------------- components
#
# Dash re-mounts every component inside a ``children`` value a callback returns, which would
# restart the 5-cycle breach flash on every tick and flash forever. So the page skeleton —
# segment sections and one tile <div> per segment and tile — is built once per page and only
# the tiles' props (``className``, ``children``) are updated; the skeleton is rebuilt only
# when the board, language, page or set of segments changes.


def tile_id(sid: str, key: str) -> dict:
    return {"type": "tile", "seg": sid, "key": key}


def tile_class(tile: dict, stale: bool) -> str:
    return f"tile {tile['status']} t-{tile['key']}" + (" stale" if stale else "")


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def tile_children(tile: dict, sid: str) -> list[Any]:
    main: list[Any] = [html.Span(tile["value"], id=f"{tile['value_id']}-{sid}",
                                 className="value", style={"--len": max(len(tile["value"]), 2)})]
    if tile["status"] != "none":
        main.append(html.Span([html.Span(tile["icon"], className="icon"),
                               html.Span(tile["word"], className="word")], className="badge"))
    if tile["note"]:
        main.append(html.Span(tile["note"], className="note"))
    if tile["spark"]:
        main.append(html.Img(src=_svg_uri(tile["spark"]), className="spark", alt=""))
    children: list[Any] = [html.Div(tile["label"], className="label"),
                           html.Div(main, className="main")]
    if tile["rows"]:
        children.append(html.Div([
            html.Div([html.Span(r["label"], className="rlabel"),
                      html.Span(r["value"], id=f"{r['id']}-{sid}", className="rvalue")],
                     className="arow") for r in tile["rows"]], className="arows"))
    for line in tile["lines"]:
        parts: list[Any] = [html.Span(line["text"], className="ltext")]
        if line["value"]:
            parts.append(html.Span(line["value"], className="lvalue",
                                   **({"id": f"{line['id']}-{sid}"} if line["id"] else {})))
        children.append(html.Div(parts, className="line"))
    return children


def _tile(tile: dict, sid: str, stale: bool) -> html.Div:
    return html.Div(tile_children(tile, sid), id=tile_id(sid, tile["key"]),
                    className=tile_class(tile, stale), **{"data-tile": f"{tile['key']}-{sid}"})


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


def segments_body(view: dict) -> list[Any]:
    segments = view["segments"]
    if not segments:
        text = tr(view["lang"], "no_segments" if view["has_data"] else "waiting_for_data")
        return [html.Div(text, className="empty")]
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


def _digest(shown: Any) -> str:
    blob = json.dumps(shown, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(blob.encode(), digest_size=12).hexdigest()


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


def load_logo(path: str) -> str | None:
    """The logo file as a data URI (bounded size); ConfigError naming ``dashboard.logo``."""
    if not path:
        return None
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"dashboard.logo: cannot read {str(p)!r}: {exc.strerror}") from None
    if len(data) > MAX_LOGO_BYTES:
        raise ConfigError(f"dashboard.logo: {str(p)!r} is larger than {MAX_LOGO_BYTES} bytes")
    mime = mimetypes.guess_type(p.name)[0]
    if mime not in ("image/png", "image/svg+xml", "image/jpeg", "image/webp", "image/gif"):
        raise ConfigError(f"dashboard.logo: {str(p)!r} is not a PNG, SVG, JPEG, WebP or GIF")
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def utc_offset_min(engine: EngineSettings, at: float) -> int:
    """The engine time zone's offset at ``at`` (the TV's watchdog prints times with it)."""
    offset = datetime.fromtimestamp(at, engine.tz).utcoffset()
    return round(offset.total_seconds() / 60) if offset is not None else 0


def route(pathname: str | None, search: str | None, boards: Boards, default_lang: str
          ) -> tuple[str, BoardSpec | None, str, str | None]:
    """``(kind, board, lang, error)`` for a URL: kind is ``board``, ``detail`` or ``unknown``."""
    path = (pathname or "/").rstrip("/") or "/"
    query = parse_qs((search or "").lstrip("?"))
    asked = normalize_language((query.get("lang") or [""])[0])
    if path == DETAIL_PATH:
        board_name = (query.get("board") or [""])[0]
        board = boards.get(board_name) or boards.get(None)
        return "detail", board, asked or (board.language if board else "") or default_lang, None
    name = None
    if path.startswith(BOARD_PREFIX):
        name = path[len(BOARD_PREFIX):]
    elif path != "/":
        name = path.lstrip("/")
    board = boards.get(name)
    if board is None:
        lang = asked or default_lang
        return "unknown", None, lang, tr(lang, "unknown_board", name=name,
                                          known=", ".join(boards.names))
    return "board", board, asked or board.language or default_lang, None


# --------------------------------------------------------------------------- model


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

    def _sparks(self, now: float) -> Callable[[str], dict[str, str | None]]:
        history = self.history
        if history is None:
            return lambda name: {}

        def sparks(name: str) -> dict[str, str | None]:
            return {
                "waiting": sparkline_svg(history.series(name, "waiting", now), lo=0),
                "sl": sparkline_svg(history.series(name, "sl", now), lo=0, hi=1,
                                    colour="#F0E442"),
                "offered": sparkline_svg(history.series(name, "offered", now), lo=0),
            }
        return sparks

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
                      sparks=None if detail else self._sparks(now), paginate=not detail)
        if self.alerts is not None:
            payload, _, alert_error = self.alerts.latest()
            ticker = alerts_ticker(True, None if alert_error else payload, alert_error,
                                   self._tz, lang)
        else:
            ticker = alerts_ticker(False, None, None, self._tz, lang)
        entry = self._build(view, ticker, detail, board.window)
        with self._lock:
            self._cache[key] = (stamp, entry)
        return entry

    @staticmethod
    def _build(view: dict, ticker: dict, detail: bool, window: str) -> dict:
        lang = view["lang"]
        shown = {k: v for k, v in view.items() if k not in ("age_s", "clock", "segments")}
        shown["segments"] = [{k: v for k, v in s.items() if k not in ("age_s", "raw")}
                             for s in view["segments"]]
        shown["ticker"] = ticker
        entry: dict[str, Any] = {
            "view": view,
            "ticker": ticker,
            "digest": _digest(shown),
            "layout": layout_key(view),
            "age_text": age_text(view),
            "ticker_children": ticker_children(ticker, lang),
            "ticker_class": f"ticker {ticker['state']}",
        }
        if detail:
            entry["rows"] = detail_rows(view, window)
        else:
            entry["tiles"] = {(s["dom_id"], t["key"]): (tile_class(t, s["stale"]),
                                                       tile_children(t, s["dom_id"]))
                              for s in view["segments"] for t in s["tiles"]}
            entry["ages"] = {s["dom_id"]: (s["age_text"], seg_age_class(s))
                             for s in view["segments"]}
            # per tile, so a TV is sent only the tiles that changed since its last tick
            entry["tile_digests"] = {f"{s['dom_id']}|{t['key']}": _digest([t, s["stale"]])
                                     for s in view["segments"] for t in s["tiles"]}
        return entry


# --------------------------------------------------------------------------- app


def create_app(
    poller: SnapshotSource,
    *,
    settings: DashboardSettings | None = None,
    engine: EngineSettings | None = None,
    now: Callable[[], float] = time.time,
    refresh_ms: int | None = None,
    stale_after_s: float | None = None,
    reload_after_s: float = 60.0,
    history: History | None = None,
    alerts: SnapshotSource | None = None,
) -> dash.Dash:
    """Build the wallboard app. ``now`` must be the same clock as the poller's (epoch s).

    ``settings`` gives the boards, site name, logo and language (``refresh_ms`` and
    ``stale_after_s`` override its values); ``engine`` the time zone and the per-segment
    definitions printed on the tiles. ``history`` (fed by the poller) draws the sparklines;
    ``alerts`` polls the alerting API for the ticker (None: "alerting not configured").
    ``reload_after_s``: a TV that got no update from this server for that long reloads itself
    once the server is back.
    """
    settings = settings or DashboardSettings()
    engine = engine or EngineSettings()
    refresh_ms = settings.refresh_ms if refresh_ms is None else refresh_ms
    stale_after_s = settings.stale_after_s if stale_after_s is None else stale_after_s
    if refresh_ms < 250:
        raise ValueError("refresh_ms must be >= 250")
    from dashboard.boards import check_boards

    boards = Boards(tuple(settings.boards) or (DEFAULT_BOARD,))
    check_boards(boards.specs, engine)
    logo = load_logo(settings.logo)
    if history is not None and hasattr(poller, "add_listener"):
        poller.add_listener(lambda snap, at: history.add(snap, at))
    model = Model(poller, engine=engine, boards=boards, stale_after_s=stale_after_s, now=now,
                  history=history, alerts=alerts)
    title = settings.site_name

    app = dash.Dash(
        __name__,
        title=title,
        update_title=None,
        assets_folder=str(ASSETS),
        serve_locally=True,
        health_endpoint=HEALTH_PATH,
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.wallboard_model = model  # for benchmarks and tests

    brand: list[Any] = []
    if logo:
        brand.append(html.Img(src=logo, className="logo", alt=""))
    brand.append(html.H1(title, className="brand"))

    def layout() -> html.Div:
        return html.Div(
            [
                dcc.Location(id="url", refresh=False),
                dcc.Interval(id="tick", interval=refresh_ms, n_intervals=0),
                dcc.Store(id="view-state", data={}),
                html.Span("0", id="beat", hidden=True),
                html.Header(
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
                ),
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
                "data-utc-offset-min": str(utc_offset_min(engine, now())),
                **{f"data-disconnected-{lang}": TEXTS[lang]["disconnected"]
                   for lang in TEXTS},
            },
        )

    app.layout = layout
    tiles = {"type": "tile", "seg": ALL, "key": ALL}
    ages = {"type": "seg-age", "seg": ALL}

    @app.callback(
        Output("board", "children"),
        Output("board", "className"),
        Output(tiles, "className"),
        Output(tiles, "children"),
        Output(ages, "children"),
        Output(ages, "className"),
        Output("as-of", "children"),
        Output("data-age", "children"),
        Output("clock", "children"),
        Output("stale-banner", "children"),
        Output("stale-banner", "hidden"),
        Output("board-title", "children"),
        Output("page-indicator", "children"),
        Output("ticker", "children"),
        Output("ticker", "className"),
        Output("wallboard", "lang"),
        Output("view-state", "data"),
        Output("beat", "children"),
        Output("focus", "children"),
        Input("tick", "n_intervals"),
        Input("url", "pathname"),
        Input("url", "search"),
        State("view-state", "data"),
    )
    def tick(n_intervals: int | None, pathname: str | None, search: str | None,
             state: dict | None) -> tuple[Any, ...]:
        state = state or {}
        beat = str(n_intervals or 0)
        n_tiles = len(ctx.outputs_list[2])
        n_ages = len(ctx.outputs_list[4])
        tiles_none = [no_update] * n_tiles
        ages_none = [no_update] * n_ages
        kind, board, lang, problem = route(pathname, search, boards, settings.language)
        if kind == "unknown" or board is None:
            key = ["unknown", lang, problem]
            if state.get("layout") == key:
                return (no_update,) * 2 + (tiles_none,) * 2 + (ages_none,) * 2 \
                    + (no_update,) * 11 + (beat, no_update)
            return ([html.Div(problem, className="empty")], "content", tiles_none, tiles_none,
                    ages_none, ages_none, "", "", "", "", True, "", "", [], "ticker off",
                    lang, {"layout": key}, beat, [])
        entry = model.entry(board, lang, detail=kind == "detail")
        view = entry["view"]
        clock = view["clock"]
        if entry["digest"] == state.get("digest") and state.get("kind") == kind:
            return (no_update,) * 2 + (tiles_none,) * 2 + (ages_none,) * 2 + (
                no_update, no_update, clock) + (no_update,) * 8 + (beat, no_update)
        layout_now = [kind, entry["layout"]] if kind == "board" else [kind, board.name, lang]
        new_state = {"layout": layout_now, "digest": entry["digest"], "kind": kind,
                     "tiles": entry.get("tile_digests", {})}
        focus: Any = no_update
        if kind == "detail":
            body: Any = no_update
            if layout_now != state.get("layout"):
                body, focus = detail_body(entry, lang, board.window), []
            classes = children = tiles_none
            age_children = age_classes = ages_none
        elif layout_now != state.get("layout"):
            body = segments_body(view)  # page, language or segments changed: new skeleton
            focus = focus_children(view)
            classes = children = tiles_none
            age_children = age_classes = ages_none
        else:
            body = no_update
            classes, children = [], []
            sent = state.get("tiles") or {}
            for out in ctx.outputs_list[2]:
                sid, key = out["id"]["seg"], out["id"]["key"]
                props = entry["tiles"].get((sid, key))
                same = sent.get(f"{sid}|{key}") == entry["tile_digests"].get(f"{sid}|{key}")
                classes.append(props[0] if props and not same else no_update)
                children.append(props[1] if props and not same else no_update)
            age_children, age_classes = [], []
            for out in ctx.outputs_list[4]:
                props = entry["ages"].get(out["id"]["seg"])
                age_children.append(props[0] if props else no_update)
                age_classes.append(props[1] if props else no_update)
        title_text = tr(lang, "detail_title") if kind == "detail" else (board.title or "")
        return (
            body,
            board_class(view) + (" detail" if kind == "detail" else ""),
            classes,
            children,
            age_children,
            age_classes,
            view["as_of"],
            entry["age_text"],
            clock,
            view["banner"] or "",
            view["banner"] is None,
            title_text,
            view["page_text"],
            entry["ticker_children"],
            entry["ticker_class"],
            lang,
            new_state,
            beat,
            focus,
        )

    @app.callback(
        Output("detail-table", "data"),
        Input("tick", "n_intervals"),
        State("url", "pathname"),
        State("url", "search"),
    )
    def detail_tick(_n: int | None, pathname: str | None, search: str | None) -> Any:
        kind, board, lang, _ = route(pathname, search, boards, settings.language)
        if kind != "detail" or board is None:
            return no_update
        return model.entry(board, lang, detail=True)["rows"]

    return app


def detail_body(entry: dict, lang: str, window: str) -> list[Any]:
    columns = detail_columns(lang, window)
    return [dash_table.DataTable(
        id="detail-table",
        columns=columns,
        data=entry["rows"],
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
            {"if": {"filter_query": '{state} = "bad"', "column_id": "status"},
             "backgroundColor": "#D55E00", "color": "#000000"},
            {"if": {"filter_query": '{state} = "warn"', "column_id": "status"},
             "backgroundColor": "#E69F00", "color": "#000000"},
            {"if": {"filter_query": '{state} = "ok"', "column_id": "status"},
             "backgroundColor": "#009E73", "color": "#000000"},
        ],
    )]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# --------------------------------------------------------------------------- HTTP server

DEFAULT_HTTP_TIMEOUT_S = 15.0


class PortInUse(OSError):
    """The wallboard's port is taken by another program; ``str()`` names host and port."""


class _DeadlineReader(io.RawIOBase):
    """The connection as a raw stream whose reads give up at the handler's header deadline
    (and otherwise after the per-read timeout), however slowly a client trickles bytes."""

    def __init__(self, handler: _WallboardRequestHandler) -> None:
        super().__init__()
        self._handler = handler
        self._sock = handler.connection

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        deadline = self._handler.header_deadline
        if deadline is None:
            self._sock.settimeout(self._handler.timeout)
        else:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("request headers not received in time")
            self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)


class _WallboardRequestHandler(WSGIRequestHandler):
    """werkzeug's handler with bounded reads: each request (including the idle wait for it on
    a kept-alive connection) must deliver its request line and headers within ``timeout``
    seconds in all; every later read or write of the connection waits at most ``timeout``.
    A client that connects and sends nothing, half a header, or a byte now and then, is
    disconnected."""

    timeout: float = DEFAULT_HTTP_TIMEOUT_S  # socketserver applies it to the connection
    header_deadline: float | None = None

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the socket's own reader: it would keep the socket open
        self.rfile = io.BufferedReader(_DeadlineReader(self))

    def handle_one_request(self) -> None:
        self.header_deadline = time.monotonic() + self.timeout
        super().handle_one_request()

    def parse_request(self) -> bool:
        try:
            return super().parse_request()
        finally:  # headers read (or refused): the response gets the plain timeout
            self.header_deadline = None
            self.connection.settimeout(self.timeout)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if format.startswith("Request timed out"):
            return  # an idle or too slow client was disconnected, as intended
        super().log_error(format, *args)


def listen(wsgi_app: Any, host: str = "127.0.0.1", port: int = 8050, *,
           http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S) -> BaseWSGIServer:
    """A threaded werkzeug server for ``wsgi_app``, bound to ``host:port`` and listening
    (``port`` 0: any free port, see ``.port``); call ``serve_forever()`` to run it.

    Raises :class:`PortInUse` (one line naming host and port) when the port is taken, and an
    ``OSError`` with one line for other bind failures: never werkzeug's own message and exit.
    ``http_timeout_s`` bounds how long a connection may take to send a request's headers,
    stay idle between requests, or stall one read or write.
    """
    if not (math.isfinite(http_timeout_s) and http_timeout_s > 0):
        raise ValueError(f"http_timeout_s must be a finite number > 0, got {http_timeout_s!r}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug does
            sock.bind((host, port))
            sock.listen(128)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                error = PortInUse(f"port {port} on {host} is already in use")
            else:
                error = OSError(f"cannot listen on port {port} on {host}: "
                                f"{exc.strerror or exc}")
            error.errno = exc.errno
            raise error from None
        handler = type("WallboardRequestHandler", (_WallboardRequestHandler,),
                       {"timeout": float(http_timeout_s)})
        # werkzeug duplicates the descriptor; this socket is closed below either way
        server = make_server(host, port, wsgi_app, threaded=True, request_handler=handler,
                             fd=sock.fileno())
        server.server_port = server.port  # as after http.server's own bind
        return server
    finally:
        sock.close()




def serve(settings: DashboardSettings, engine: EngineSettings, *,
          reload_after_s: float = 60.0) -> None:
    """Poll the worker (and the alerting API, when configured) and serve the wallboard until
    Ctrl-C (werkzeug, threaded). The port is bound before anything starts: a taken port
    raises :class:`PortInUse`."""
    from dashboard.source import SnapshotPoller

    d = settings

    poller = SnapshotPoller(d.snapshot_url, interval_s=d.poll_interval_s)
    alerts = (SnapshotPoller(d.alerts_url, interval_s=max(2.0, d.refresh_ms / 1000),
                             accept_list=True) if d.alerts_url else None)
    history = History()
    app = create_app(poller, settings=d, engine=engine, history=history,
                     alerts=alerts, reload_after_s=reload_after_s)
    server = listen(app.server, d.host, d.port, http_timeout_s=d.http_timeout_s)
    try:
        poller.start()
        if alerts is not None:
            alerts.start()
        shown_host = f"[{d.host}]" if ":" in d.host else d.host
        boards = ", ".join(f"/board/{b.name}" for b in app.wallboard_model.boards.specs)
        print(
            f"Wallboard on http://{shown_host}:{server.port}/ ({boards}, /detail; "
            f"snapshot {d.snapshot_url}); Ctrl-C to stop",
            flush=True,
        )
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)  # `docker stop` / systemd: same as Ctrl-C
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        server.server_close()
        poller.stop()
        if alerts is not None:
            alerts.stop()

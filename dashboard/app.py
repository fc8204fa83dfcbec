"""The TV wallboard: a Dash app (Flask backend) around :func:`dashboard.render.render`.

One ``dcc.Interval`` drives one multi-output server callback that reads the poller's
in-memory snapshot (no I/O), renders it and updates the tiles' props — or returns
``no_update`` when nothing visible changed since this TV's last tick (wallboard-notes
§1.4). A small script in ``assets/`` watches the per-tick heartbeat so a TV whose *Dash
server* went away shows its own "DISCONNECTED" banner and reloads itself once the server
is back.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import math
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from dashboard.render import DEFAULT_THRESHOLDS, Thresholds, render

ASSETS = Path(__file__).parent / "assets"
HEALTH_PATH = "health"
DEFAULT_TITLE = "Contact centre · live"


class SnapshotSource(Protocol):
    def latest(self) -> tuple[dict | None, float | None, str | None]: ...


# --------------------------------------------------------------------------- components
#
# Dash re-mounts every component inside a ``children`` value a callback returns (the
# renderer keys its error boundary by a fresh-render counter), which would restart the
# 5-cycle breach flash on every tick and flash forever. So the page skeleton — header,
# banner, one tile <div> per segment and metric — is rendered once and only its props
# (``className``, ``children``) are updated; the skeleton is rebuilt only when the set of
# segments changes.


def tile_id(sid: str, key: str) -> dict:
    return {"type": "tile", "seg": sid, "key": key}


def tile_class(tile: dict) -> str:
    return f"tile {tile['status']} t-{tile['key']}"


def tile_children(tile: dict, sid: str, *, compact: bool) -> list[Any]:
    children: list[Any] = []
    if not compact:  # the short label replaces the long one when the hero is one row
        children.append(
            html.Div(
                [
                    html.Span(tile["label"], className="long"),
                    html.Span(tile["short_label"], className="short"),
                ],
                className="label",
            )
        )
    value = tile["value"]
    children.append(
        html.Span(
            value,
            id=f"{tile['key']}-{sid}",
            className="value",
            # lets the CSS shrink long values ("1,234", "1:02:05") to fit the tile width
            style={"--len": max(len(value), 2)},
        )
    )
    if tile["status"] != "none":
        children.append(
            html.Span(
                [
                    html.Span(tile["icon"], className="icon"),
                    html.Span(tile["word"], className="word"),
                ],
                className="badge",
            )
        )
    return children


def _tile(tile: dict, sid: str, *, compact: bool) -> html.Div:
    return html.Div(
        tile_children(tile, sid, compact=compact),
        id=tile_id(sid, tile["key"]),
        className=tile_class(tile),
        title=tile["label"],
        **{"data-tile": f"{tile['key']}-{sid}"},
    )


def _hero(segment: dict) -> html.Section:
    sid = segment["dom_id"]
    return html.Section(
        [
            html.H2(segment["title"], className="segment-title"),
            html.Div([_tile(t, sid, compact=False) for t in segment["tiles"]], className="grid"),
        ],
        id=f"segment-{sid}",
        className="hero",
    )


def _queue_table(segments: list[dict]) -> html.Section:
    tiles = segments[0]["tiles"]
    head = html.Div(
        [html.Div("Queue", className="qname")]
        + [html.Div(t["short_label"], className=f"qlabel t-{t['key']}") for t in tiles],
        className="qrow qhead",
    )
    rows = [
        html.Div(
            [html.Div(s["title"], className="qname", title=s["name"])]
            + [_tile(t, s["dom_id"], compact=True) for t in s["tiles"]],
            id=f"segment-{s['dom_id']}",
            className="qrow",
        )
        for s in segments
    ]
    return html.Section([head, html.Div(rows, className="qrows")], className="queues")


def segments_body(view: dict) -> list[Any]:
    """Hero tiles for the first segment (``all``), a compact table for the others."""
    segments = view["segments"]
    if not segments:
        text = "No segments in the snapshot" if view["has_data"] else "Waiting for data…"
        return [html.Div(text, className="empty")]
    body: list[Any] = [_hero(segments[0])]
    if len(segments) > 1:
        body.append(_queue_table(segments[1:]))
    return body


def layout_key(view: dict) -> list[list[str]]:
    """What the skeleton depends on; a change rebuilds ``#board``."""
    return [[s["dom_id"], s["title"], s["name"]] for s in view["segments"]]


def board_class(view: dict) -> str:
    """``stale`` dims the values; ``rows-*`` gives the hero less height when many queues
    share the screen (more than ~10 queues per TV: pass ``segments=`` per TV instead)."""
    queues = max(0, len(view["segments"]) - 1)
    rows = "few" if queues <= 4 else "some" if queues <= 6 else "many"
    return f"content rows-{rows}" + (" stale" if view["stale"] else "")


def age_text(view: dict) -> str:
    return f"updated {view['age']} ago" if view["age_s"] is not None else "no data yet"


def _digest(view: dict) -> str:
    """Fingerprint of what is *shown* (``age_s`` moves every tick; its text does not)."""
    shown = {k: v for k, v in view.items() if k != "age_s"}
    blob = json.dumps(shown, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(blob.encode(), digest_size=12).hexdigest()


# --------------------------------------------------------------------------- app


def create_app(
    poller: SnapshotSource,
    *,
    now: Callable[[], float] = time.time,
    refresh_ms: int = 1000,
    stale_after_s: float = 5.0,
    segments: list[str] | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    reload_after_s: float = 60.0,
    title: str = DEFAULT_TITLE,
) -> dash.Dash:
    """Build the wallboard app. ``now`` must be the same clock as the poller's (epoch s).

    ``segments`` limits and orders the segments shown (default: ``all`` then every queue
    sorted). ``reload_after_s``: a TV that got no update from this server for that long
    reloads itself once the server is back.
    """
    if refresh_ms < 250:
        raise ValueError("refresh_ms must be >= 250")

    def current_view() -> dict:
        snapshot, fetched_at, error = poller.latest()
        return render(
            snapshot,
            fetched_at,
            now(),
            stale_after_s=stale_after_s,
            segments=segments,
            error=error,
            thresholds=thresholds,
        )

    app = dash.Dash(
        __name__,
        title=title,
        update_title=None,
        assets_folder=str(ASSETS),
        serve_locally=True,
        health_endpoint=HEALTH_PATH,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )

    def layout() -> html.Div:
        view = current_view()
        return html.Div(
            [
                dcc.Interval(id="tick", interval=refresh_ms, n_intervals=0),
                dcc.Store(
                    id="view-state", data={"layout": layout_key(view), "digest": _digest(view)}
                ),
                html.Span("0", id="beat", hidden=True),
                html.Header(
                    [
                        html.H1(title, className="brand"),
                        html.Div(
                            [
                                html.Span(view["as_of"], id="as-of", className="as-of"),
                                html.Span(age_text(view), id="data-age", className="age"),
                            ],
                            className="freshness",
                        ),
                    ],
                    className="topbar",
                ),
                html.Div(
                    view["banner"] or "",
                    id="stale-banner",
                    className="banner",
                    hidden=view["banner"] is None,
                    role="alert",
                ),
                html.Main(segments_body(view), id="board", className=board_class(view)),
            ],
            id="wallboard",
            className="wallboard",
            **{
                "data-stale-ms": str(round(stale_after_s * 1000 + 2 * refresh_ms)),
                "data-reload-ms": str(round(reload_after_s * 1000)),
                "data-health": HEALTH_PATH,
            },
        )

    app.layout = layout
    tiles = {"type": "tile", "seg": ALL, "key": ALL}

    @app.callback(
        Output("board", "children"),
        Output("board", "className"),
        Output(tiles, "className"),
        Output(tiles, "children"),
        Output("as-of", "children"),
        Output("data-age", "children"),
        Output("stale-banner", "children"),
        Output("stale-banner", "hidden"),
        Output("view-state", "data"),
        Output("beat", "children"),
        Input("tick", "n_intervals"),
        State("view-state", "data"),
    )
    def tick(n_intervals: int | None, state: dict | None) -> tuple[Any, ...]:
        view = current_view()
        digest = _digest(view)
        beat = str(n_intervals or 0)
        state = state or {}
        # wildcard outputs need one value per matched tile, even when not updating
        unchanged = [no_update] * len(ctx.outputs_list[2])
        if digest == state.get("digest"):
            return (no_update, no_update, unchanged, unchanged) + (no_update,) * 5 + (beat,)
        new_state = {"layout": layout_key(view), "digest": digest}
        if new_state["layout"] != state.get("layout"):
            board: Any = segments_body(view)  # segments changed: rebuild the skeleton
            classes: list[Any] = unchanged
            children: list[Any] = unchanged
        else:
            board = no_update
            by_id = {(s["dom_id"], t["key"]): t for s in view["segments"] for t in s["tiles"]}
            hero = view["segments"][0]["dom_id"] if view["segments"] else None
            classes, children = [], []
            for out in ctx.outputs_list[2]:
                sid, key = out["id"]["seg"], out["id"]["key"]
                tile = by_id.get((sid, key))
                if tile is None:
                    classes.append(no_update)
                    children.append(no_update)
                else:
                    classes.append(tile_class(tile))
                    children.append(tile_children(tile, sid, compact=sid != hero))
        return (
            board,
            board_class(view),
            classes,
            children,
            view["as_of"],
            age_text(view),
            view["banner"] or "",
            view["banner"] is None,
            new_state,
            beat,
        )

    return app


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


def serve(snapshot_url: str, host: str = "127.0.0.1", port: int = 8050, *,
          refresh_ms: int = 1000, stale_after_s: float = 5.0,
          http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S) -> None:
    """Poll ``snapshot_url`` and serve the wallboard until Ctrl-C (werkzeug, threaded).

    The port is bound before anything starts: a taken port raises :class:`PortInUse`.
    ``http_timeout_s``: see :func:`listen`.
    """
    from dashboard.source import SnapshotPoller

    poller = SnapshotPoller(snapshot_url, interval_s=refresh_ms / 1000)
    app = create_app(poller, refresh_ms=refresh_ms, stale_after_s=stale_after_s)
    server = listen(app.server, host, port, http_timeout_s=http_timeout_s)
    try:
        poller.start()
        shown_host = f"[{host}]" if ":" in host else host
        print(
            f"Wallboard on http://{shown_host}:{server.port}/ "
            f"(snapshot {snapshot_url}); Ctrl-C to stop",
            flush=True,
        )
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)  # `docker stop` / systemd: same as Ctrl-C
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        server.server_close()
        poller.stop()

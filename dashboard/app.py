"""The TV wallboard: the Dash app (Flask backend) and the process that serves it.

:func:`create_app` puts the rooms together — the board model (:mod:`dashboard.model`), the
page skeleton (:mod:`dashboard.components`) and two thin callbacks that only hand a
``dcc.Interval`` tick and the URL to the pure helpers of :mod:`dashboard.tick`; :func:`serve`
runs it the way ``wallboard dashboard`` does: the pollers, the history behind the
sparklines, and the bounded waitress server of :mod:`dashboard.server` (:func:`listen` and
:class:`PortInUse` are re-exported here), with the optional access log of
:mod:`dashboard.wsgi`. A file the board does not serve is a short 404 (:mod:`dashboard.wsgi`).

Pages: ``/`` (the first board), ``/board/<name>`` (a ``[dashboard.boards.NAME]``), ``/detail``
(every segment in a sortable table); ``?lang=zh-CN`` switches the language. One
``dcc.Interval`` drives one multi-output callback, which returns ``no_update`` when nothing
visible changed. A small script in ``assets/`` watches the per-tick heartbeat so a TV whose
*Dash server* went away shows its own "DISCONNECTED" banner and reloads itself once the
server is back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import dash
from dash import Input, Output, State, ctx, html

from dashboard.boards import DEFAULT_BOARD, Boards, check_boards
from dashboard.components import brand_children, page_layout
from dashboard.config import DashboardSettings
from dashboard.formatting import utc_offset_min
from dashboard.history import History
from dashboard.model import Model, SnapshotSource
from dashboard.routing import HEALTH_PATH
from dashboard.server import ASSETS, PortInUse, listen, load_logo, serve_until_stopped
from dashboard.source import SnapshotPoller
from dashboard.tick import BoardUpdate, board_tick, detail_tick, page_ids
from dashboard.wsgi import AccessLog, install_not_found
from streams.core.config import EngineSettings

__all__ = ["PortInUse", "SnapshotSource", "create_app", "listen", "serve"]


def _dash(title: str) -> dash.Dash:
    return dash.Dash(
        __name__,
        title=title,
        update_title=None,
        assets_folder=str(ASSETS),
        serve_locally=True,
        health_endpoint=HEALTH_PATH,
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )


def _register_callbacks(app: dash.Dash, model: Model, default_lang: str) -> None:
    """The board callback (every output of the page, one tick) and the detail table's."""

    @app.callback(
        *[Output(component_id, prop) for component_id, prop in BoardUpdate.outputs()],
        Input("tick", "n_intervals"),
        Input("url", "pathname"),
        Input("url", "search"),
        State("view-state", "data"),
    )
    def tick(n_intervals: int | None, pathname: str | None, search: str | None,
             state: dict | None) -> tuple[Any, ...]:
        tile_ids, age_ids = page_ids(ctx.outputs_list)
        return board_tick(model, default_lang, n_intervals, pathname, search, state,
                          tile_ids, age_ids).values()

    @app.callback(
        Output("detail-table", "data"),
        Input("tick", "n_intervals"),
        State("url", "pathname"),
        State("url", "search"),
    )
    def detail_table(_n: int | None, pathname: str | None, search: str | None) -> Any:
        return detail_tick(model, default_lang, pathname, search)


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
    boards = Boards(tuple(settings.boards) or (DEFAULT_BOARD,))
    check_boards(boards.specs, engine)
    logo = load_logo(settings.logo)
    if history is not None and hasattr(poller, "add_listener"):
        poller.add_listener(lambda snap, at: history.add(snap, at))
    model = Model(poller, engine=engine, boards=boards, stale_after_s=stale_after_s, now=now,
                  history=history, alerts=alerts)
    app = _dash(settings.site_name)
    install_not_found(app)
    app.wallboard_model = model  # for benchmarks and tests
    brand = brand_children(settings.site_name, logo)

    def layout() -> html.Div:  # per page load: the zone's offset may have changed since
        return page_layout(brand, refresh_ms=refresh_ms, stale_after_s=stale_after_s,
                           reload_after_s=reload_after_s,
                           utc_offset_min=utc_offset_min(engine.tz, now()))

    app.layout = layout
    _register_callbacks(app, model, settings.language)
    return app


def _listening_line(settings: DashboardSettings, port: int, boards: Boards) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    pages = ", ".join(f"/board/{b.name}" for b in boards.specs)
    return (f"Wallboard on http://{host}:{port}/ ({pages}, /detail; "
            f"snapshot {settings.snapshot_url}); Ctrl-C to stop")


def serve(settings: DashboardSettings, engine: EngineSettings, *,
          reload_after_s: float = 60.0) -> None:
    """Poll the worker (and the alerting API, when configured) and serve the wallboard until
    Ctrl-C or SIGTERM (waitress, ``settings.threads`` threads, the limits of
    :func:`dashboard.server.listen`). The port is bound before anything starts: a taken port
    raises :class:`PortInUse`."""
    poller = SnapshotPoller(settings.snapshot_url, interval_s=settings.poll_interval_s)
    alerts = (SnapshotPoller(settings.alerts_url, interval_s=max(2.0, settings.refresh_ms / 1000),
                             accept_list=True) if settings.alerts_url else None)
    app = create_app(poller, settings=settings, engine=engine, history=History(),
                     alerts=alerts, reload_after_s=reload_after_s)
    wsgi = AccessLog(app.server) if settings.access_log else app.server
    server = listen(wsgi, settings.host, settings.port, http_timeout_s=settings.http_timeout_s,
                    threads=settings.threads, max_connections=settings.max_connections,
                    max_header_bytes=settings.max_header_bytes,
                    max_body_bytes=settings.max_body_bytes)
    try:
        poller.start()
        if alerts is not None:
            alerts.start()
        print(_listening_line(settings, server.port, app.wallboard_model.boards), flush=True)
        serve_until_stopped(server)
    finally:
        server.close_all()
        poller.stop()
        if alerts is not None:
            alerts.stop()

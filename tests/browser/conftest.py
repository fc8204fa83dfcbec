"""Real-browser fixtures: Debian's Chromium through Playwright (wallboard-notes §3.4).

No ``playwright install`` and no dash.testing: the tests launch /usr/bin/chromium and serve
the Dash app as ``wallboard dashboard`` does (:func:`dashboard.server.listen`: waitress) on
port 0 in a thread. What the boards show is what the real worker serves for a designed event
file (``traffic.py``), computed once per session: ``showcase_series``, ``counting_series``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dashboard.server import WallboardServer, listen
from tests.browser.traffic import (
    T,
    counting,
    counting_instants,
    showcase,
    showcase_instants,
    worker_snapshots,
)
from tests.support import JsonHttpServer, skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():  # CI (scripts/test.sh): a failure, never a skip
        skip_or_fail(f"{CHROMIUM} not found: apt-get install chromium (scripts/test.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class ConsoleLog:
    """Console errors and uncaught page errors of one page."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    pg.console_log = ConsoleLog(pg)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def showcase_series() -> list[bytes]:
    """The worker's snapshots of the showcase hour, minute by minute; the last is the state
    the boards show (support in BREACH, 12 callers waiting, ...: ``traffic.showcase``)."""
    return worker_snapshots(showcase(), showcase_instants())


@pytest.fixture(scope="session")
def overloaded_body() -> bytes:
    """The showcase's last snapshot with 3-minute calls: Erlang C says "overloaded"."""
    return worker_snapshots(showcase(talk_s=180.0), [T])[0]


@pytest.fixture(scope="session")
def counting_series() -> list[bytes]:
    """The worker's snapshots while a caller more waits every 0.1 s (``traffic.counting``)."""
    return worker_snapshots(counting(), counting_instants())


@pytest.fixture
def snapshot_server() -> Iterator[Callable[..., JsonHttpServer]]:
    """``start(make_body)``: a server answering request n with ``make_body(n)`` (bytes as
    they are, anything else as JSON)."""
    servers: list[JsonHttpServer] = []

    def start(make_body: Callable[[int], object], port: int = 0) -> JsonHttpServer:
        def body(n: int) -> bytes:
            made = make_body(n)
            return made if isinstance(made, bytes) else json.dumps(made).encode()

        srv = JsonHttpServer(body, port=port)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


class AppServer:
    """The Dash app behind the server ``wallboard dashboard`` runs, in a thread."""

    def __init__(self, app, port: int = 0) -> None:
        self.app = app
        self.server: WallboardServer = listen(app.server, "127.0.0.1", port)
        self.port = self.server.port
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.server.shutdown()
            self.server.close_all()
            self._thread.join(10)


@pytest.fixture
def dash_server() -> Iterator[Callable[..., AppServer]]:
    servers: list[AppServer] = []

    def start(app, port: int = 0) -> AppServer:
        srv = AppServer(app, port)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


@pytest.fixture
def pollers() -> Iterator[list]:
    """Pollers registered here are stopped after the test."""
    started: list = []
    yield started
    for p in started:
        p.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

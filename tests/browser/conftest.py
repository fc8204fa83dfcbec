"""Real-browser fixtures: Debian's Chromium through Playwright (wallboard-notes §3.4).

No ``playwright install`` and no dash.testing: the tests launch /usr/bin/chromium and run
the Dash app's Flask server with werkzeug on port 0 in a thread.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from tests.support import JsonHttpServer

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
    if not CHROMIUM.exists():
        why = f"{CHROMIUM} not found: apt-get install chromium (scripts/test.sh does)"
        if os.environ.get("WALLBOARD_REQUIRE_BROWSER") == "1":
            pytest.fail(why)  # CI: a missing browser must not pass as a skip
        pytest.skip(why)
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


@pytest.fixture
def snapshot_server() -> Iterator[Callable[..., JsonHttpServer]]:
    servers: list[JsonHttpServer] = []

    def start(make_body: Callable[[int], dict], port: int = 0) -> JsonHttpServer:
        srv = JsonHttpServer(lambda n: json.dumps(make_body(n)).encode(), port=port)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


class AppServer:
    def __init__(self, app, port: int = 0) -> None:
        self.app = app
        self.server: BaseWSGIServer = make_server("127.0.0.1", port, app.server, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.server.shutdown()
            self.server.server_close()
            self._thread.join(5)


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

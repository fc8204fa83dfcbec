"""The wallboard in real headless Chromium: live updates, stale/no-data banners, breach
flash, the server watchdog, no console errors, and a 1920×1080 screenshot artifact."""

from __future__ import annotations

import time

import pytest

from dashboard.app import create_app
from dashboard.source import SnapshotPoller

pytestmark = pytest.mark.browser

POLL_S = 0.2
REFRESH_MS = 300


def counting_snapshot(n: int) -> dict:
    """``segments.all.now.waiting`` increases on every request (v1 worker: partial keys)."""
    return {
        "as_of": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "segments": {
            "all": {
                "now": {"waiting": n, "oldest_wait_s": None, "waiting_over_sl": 0},
                "windows": {"15m": {"offered": 10 * n, "answered": 9 * n, "abandoned": n}},
            },
            "billing": {"now": {"waiting": 1}, "windows": {"15m": {"offered": 3}}},
        },
    }


def showcase_snapshot(_n: int) -> dict:
    """A realistic mix: full keys for some segments, v1 partial keys / nulls for others."""

    def seg(waiting, oldest, sl, offered, answered, abandoned):
        window = {"offered": offered, "answered": answered, "abandoned": abandoned}
        if sl is not None:
            window["service_level"] = sl
        return {
            "now": {"waiting": waiting, "oldest_wait_s": oldest, "waiting_over_sl": 0},
            "windows": {"15m": window},
        }

    return {
        "as_of": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "segments": {
            "all": seg(12, 74.0, 0.7833, 1284, 1190, 61),
            "billing": seg(3, 42.0, 0.8333, 402, 388, 9),
            "sales": seg(0, None, 0.9412, 517, 503, 6),
            "support": seg(9, 128.0, 0.5521, 338, 279, 44),
            "VIP Line": seg(0, None, None, 27, 20, 2),
        },
    }


def waiting_js(segment: str = "all") -> str:
    return (
        f"parseInt((document.querySelector('#waiting-{segment}')?.innerText || '')"
        ".replace(/,/g, ''), 10)"
    )


def start_board(snapshot_server, dash_server, pollers, make_body, **app_kwargs):
    snap = snapshot_server(make_body)
    poller = SnapshotPoller(snap.url, interval_s=POLL_S, timeout_s=0.5).start()
    pollers.append(poller)
    app_kwargs.setdefault("refresh_ms", REFRESH_MS)
    app = dash_server(create_app(poller, **app_kwargs))
    return snap, poller, app


def test_waiting_number_updates_live(page, snapshot_server, dash_server, pollers):
    _, _, app = start_board(snapshot_server, dash_server, pollers, counting_snapshot)
    page.goto(app.url)
    page.wait_for_function(f"{waiting_js()} >= 1", timeout=10_000)
    a = page.evaluate(waiting_js())
    page.wait_for_function(f"{waiting_js()} >= {a + 2}", timeout=5_000)

    assert page.inner_text("#as-of").startswith("Data as of ")
    assert page.inner_text("#as-of").endswith(" UTC")
    assert page.is_hidden("#stale-banner")
    # v1 worker sends no service level: a dash, never 0 %
    assert page.inner_text("#sl-all") == "—"
    assert page.inner_text("#oldest-all") == "—"
    assert page.evaluate(waiting_js("billing")) == 1
    assert page.title() == "Contact centre · live"  # update_title=None: no "Updating..."
    assert page.console_log.errors == []


def test_stale_banner_appears_and_clears(page, snapshot_server, dash_server, pollers, artifacts):
    snap, _, app = start_board(
        snapshot_server, dash_server, pollers, counting_snapshot, stale_after_s=1.0
    )
    page.goto(app.url)
    page.wait_for_function(f"{waiting_js()} >= 1", timeout=10_000)
    assert page.is_hidden("#stale-banner")

    port = snap.port
    snap.stop()
    stopped_at = time.monotonic()
    page.wait_for_selector("#stale-banner", state="visible", timeout=5_000)
    assert time.monotonic() - stopped_at < 1.0 + 2.5  # stale_after + poll + refresh slack
    text = page.inner_text("#stale-banner")
    assert text.startswith("STALE — data is ")
    assert "worker unreachable: connection refused" in text
    assert page.evaluate(waiting_js()) >= 1  # last good values stay on screen
    page.screenshot(path=str(artifacts / "wallboard-stale.png"))

    snapshot_server(counting_snapshot, port=port)  # the worker comes back on the same URL
    page.wait_for_selector("#stale-banner", state="hidden", timeout=5_000)
    assert page.console_log.errors == []


def test_no_data_banner_when_worker_unreachable(page, dash_server, pollers):
    poller = SnapshotPoller("http://127.0.0.1:9/api/v1/snapshot", interval_s=POLL_S).start()
    pollers.append(poller)
    app = dash_server(create_app(poller, refresh_ms=REFRESH_MS))
    page.goto(app.url)
    page.wait_for_function(
        "document.querySelector('#stale-banner')?.innerText"
        ".includes('worker unreachable: connection refused')",
        timeout=5_000,
    )
    assert page.inner_text("#stale-banner").startswith("NO DATA — worker unreachable")
    assert page.inner_text("#as-of") == "Data as of —"
    assert page.console_log.errors == []


def test_breach_flash_stops_after_five_cycles(page, snapshot_server, dash_server, pollers):
    _, _, app = start_board(snapshot_server, dash_server, pollers, showcase_snapshot)
    page.goto(app.url)
    tile = '[data-tile="oldest-support"]'
    page.wait_for_selector(f"{tile}.bad", timeout=10_000)
    assert page.inner_text(tile).split() == ["2:08", "✖", "BREACH"]  # icon + word, not colour
    assert page.inner_text('[data-tile="waiting-support"]').split() == ["9", "▲", "WARN"]
    assert page.inner_text('[data-tile="sl-billing"]').split() == ["83%", "✔", "OK"]
    anims = f"document.querySelector('{tile}').getAnimations().length"
    page.evaluate(f"window.__tile = document.querySelector('{tile}')")
    assert page.evaluate(anims) == 1
    # re-renders every tick must not restart the 5 s animation (no endless flashing)
    page.wait_for_function(f"{anims} === 0", timeout=8_000)
    time.sleep(1.0)
    assert page.evaluate(anims) == 0
    assert page.is_visible(f"{tile}.bad")
    assert page.evaluate(f"window.__tile === document.querySelector('{tile}')")  # not re-mounted
    assert page.console_log.errors == []


def test_reduced_motion_never_flashes(page, snapshot_server, dash_server, pollers):
    _, _, app = start_board(snapshot_server, dash_server, pollers, showcase_snapshot)
    page.emulate_media(reduced_motion="reduce")
    page.goto(app.url)
    page.wait_for_selector('[data-tile="oldest-support"].bad', timeout=10_000)
    assert page.evaluate("document.getAnimations().length") == 0


def test_dashboard_server_outage_banner_and_self_reload(
    page, snapshot_server, dash_server, pollers
):
    _, poller, app = start_board(
        snapshot_server,
        dash_server,
        pollers,
        counting_snapshot,
        reload_after_s=3.0,
        stale_after_s=1.0,
    )
    page.goto(app.url)
    page.wait_for_function(f"{waiting_js()} >= 1", timeout=10_000)
    page.evaluate("window.__before_reload = true")
    port = app.port
    app.stop()
    page.wait_for_selector("#link-banner", state="visible", timeout=6_000)
    assert page.inner_text("#link-banner").startswith(
        "DISCONNECTED — wallboard server not responding since "
    )
    time.sleep(3.0)  # past reload_after_s: the TV probes /health but must not reload yet
    assert page.evaluate("window.__before_reload") is True

    dash_server(create_app(poller, refresh_ms=REFRESH_MS), port=port)
    page.wait_for_function("window.__before_reload === undefined", timeout=10_000)
    page.wait_for_function(f"{waiting_js()} >= 1", timeout=10_000)
    assert page.query_selector("#link-banner") is None or page.is_hidden("#link-banner")


def test_screenshot_1920x1080(page, snapshot_server, dash_server, pollers, artifacts):
    _, _, app = start_board(snapshot_server, dash_server, pollers, showcase_snapshot)
    page.goto(app.url)
    page.wait_for_function(f"{waiting_js('vip-line')} === 0", timeout=10_000)
    assert page.inner_text("#sl-vip-line") == "—"
    assert page.inner_text("#waiting-all") == "12"
    page.evaluate("document.getAnimations().forEach(a => a.finish())")  # steady colours
    # everything fits on the TV without scrolling
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    path = artifacts / "wallboard.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    assert page.console_log.errors == []

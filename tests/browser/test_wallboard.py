"""The wallboard in real headless Chromium: live updates, boards and /detail, zh-CN, the stale
banner and greyed tiles, breach flash and pattern, the server watchdog, the alert ticker, the
readability rule measured on the rendered fonts, nothing cut off at 720p/1080p/4K, no console
errors, and screenshots as artefacts.

Every board reads what the real worker serves for a designed event file (``traffic.py``,
computed once per session by the conftest): ``showcase_series[-1]`` is the showcase's state
(support in BREACH, 12 callers waiting), ``counting_series`` a caller more per request."""

from __future__ import annotations

import re
import time

import pytest

from dashboard.app import create_app
from dashboard.boards import BoardSpec
from dashboard.config import DashboardSettings
from dashboard.history import History
from dashboard.source import SnapshotPoller
from streams.core.config import EngineSettings
from tests.browser.traffic import decoded, served

pytestmark = pytest.mark.browser

POLL_S = 0.2
REFRESH_MS = 300
# 55" 16:9 TV, 1080 px over 68.5 cm: 2.5 cm capital height = 39.4 px, 6 cm = 94.6 px
PX_PER_CM = 1080 / 68.5
MIN_CAP_PX = 2.5 * PX_PER_CM
KEY_CAP_PX = 6.0 * PX_PER_CM

# One segment per page and no rotation surprises: tests name their boards.
ALL_ONLY = BoardSpec("main", segments=("all",))
TWO = BoardSpec("two", segments=("all", "billing"), segments_per_page=2,
                tiles=("now", "sl", "abandon"))


def settings(*boards: BoardSpec, **kwargs) -> DashboardSettings:
    return DashboardSettings(boards=boards or (ALL_ONLY,), **kwargs)


def _iso(t: float | None = None) -> str:
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


@pytest.fixture
def showcase_body(showcase_series) -> bytes:
    return showcase_series[-1]


def js_int(selector: str) -> str:
    return (f"parseInt((document.querySelector('{selector}')?.innerText || '')"
            ".replace(/,/g, ''), 10)")


def start_board(snapshot_server, dash_server, pollers, bodies: list[bytes], **app_kwargs):
    """The board on a poller of a server that answers with ``bodies`` in turn (then the
    last one)."""
    snap = snapshot_server(served(bodies))
    poller = SnapshotPoller(snap.url, interval_s=POLL_S, timeout_s=0.5).start()
    pollers.append(poller)
    app_kwargs.setdefault("refresh_ms", REFRESH_MS)
    app_kwargs.setdefault("settings", settings())
    app = dash_server(create_app(poller, **app_kwargs))
    return snap, poller, app


def test_numbers_update_live(page, snapshot_server, dash_server, pollers, counting_series):
    _, _, app = start_board(snapshot_server, dash_server, pollers, counting_series)
    page.goto(app.url)
    page.wait_for_function(f"{js_int('#waiting-all')} >= 1", timeout=10_000)
    a = page.evaluate(js_int("#waiting-all"))
    page.wait_for_function(f"{js_int('#waiting-all')} >= {a + 2}", timeout=5_000)
    assert page.inner_text("#clock").endswith(" UTC")
    assert page.is_hidden("#stale-banner")  # the worker's freshness block: nothing stale
    assert page.inner_text("#sl-all") == "—"  # nobody answered yet: a dash, never 0 %
    assert re.fullmatch(r"0:[01]\d", page.inner_text("#oldest-all"))  # under 20 s
    assert page.title() == "Contact centre"  # update_title=None: no "Updating..."
    assert page.console_log.errors == []


def test_every_configured_board_and_the_detail_page(page, snapshot_server, dash_server, pollers,
                                                    artifacts, showcase_body):
    boards = (ALL_ONLY, TWO, BoardSpec("support", segments=("support",), title="Support",
                                       tiles=("now", "agents", "forecast")))
    _, _, app = start_board(snapshot_server, dash_server, pollers, [showcase_body],
                            settings=settings(*boards))
    for board in boards:
        page.goto(f"{app.url}board/{board.name}")
        first = board.segments[0]
        page.wait_for_function(f"{js_int('#waiting-' + first)} >= 0", timeout=10_000)
        shown = page.eval_on_selector_all(".tile", "els => els.map(e => e.dataset.tile)")
        assert shown == [f"{t}-{s}" for s in board.segments for t in board.tiles]
    assert page.inner_text(".board-title") == "Support"
    forecast = decoded(showcase_body)["segments"]["support"]["forecast"]  # Erlang C's figure
    assert page.inner_text("#required-support") == str(forecast["agents_required"])
    assert page.inner_text("#forecast-staffed-support") == "12"  # 1 + 8 + 3 agents

    page.goto(f"{app.url}board/nope")
    page.wait_for_selector("text=Unknown board 'nope'", timeout=10_000)

    page.goto(f"{app.url}detail")
    page.wait_for_selector("#detail-table td", timeout=10_000)
    first_col = "Array.from(document.querySelectorAll('#detail-table tbody tr')).slice(1)" \
        ".map(r => r.querySelector('td[data-dash-column=segment]')?.innerText)"
    assert sorted(page.evaluate(first_col)) == ["All queues", "VIP Line", "billing", "sales",
                                                "support"]
    # sort by waiting, descending: click the sort arrow twice
    header = "th[data-dash-column=waiting] .column-header--sort"
    page.click(header)
    page.click(header)
    page.wait_for_function(f"{first_col}[0] === 'All queues'", timeout=5_000)
    assert page.evaluate(first_col)[1] == "support"
    page.screenshot(path=str(artifacts / "wallboard-detail.png"))
    assert page.console_log.errors == []


def test_zh_cn_labels(page, snapshot_server, dash_server, pollers, artifacts, showcase_body):
    _, _, app = start_board(snapshot_server, dash_server, pollers, [showcase_body],
                            engine=EngineSettings(timezone="Asia/Shanghai"))
    page.goto(f"{app.url}?lang=zh-CN")
    page.wait_for_function(f"{js_int('#waiting-all')} === 12", timeout=10_000)
    labels = page.eval_on_selector_all(".tile .label", "els => els.map(e => e.innerText)")
    assert labels == ["排队数", "服务水平", "坐席状态 · 在岗", "放弃率 · 15 分钟",
                      "平均应答速度 · 15 分钟", "所需坐席"]
    assert page.inner_text(".seg-title") == "全部队列"
    assert page.inner_text('[data-tile="sl-all"] .word') == "超标"
    assert page.inner_text("#clock").endswith(" UTC+8")
    assert page.inner_text("#ticker .ticker-reason") == "未配置告警"
    assert page.evaluate("document.getElementById('wallboard').lang") == "zh-CN"
    page.evaluate("document.getAnimations().forEach(a => a.finish())")
    page.screenshot(path=str(artifacts / "wallboard-zh-CN.png"))
    assert page.console_log.errors == []


def test_stale_banner_and_grey_tiles_then_recovery(page, snapshot_server, dash_server, pollers,
                                                   artifacts, counting_series):
    snap, _, app = start_board(snapshot_server, dash_server, pollers, counting_series,
                               stale_after_s=1.0)
    page.goto(app.url)
    page.wait_for_function(f"{js_int('#waiting-all')} >= 1", timeout=10_000)
    assert page.is_hidden("#stale-banner")
    port = snap.port
    snap.stop()
    page.wait_for_selector("#stale-banner", state="visible", timeout=6_000)
    text = page.inner_text("#stale-banner")
    assert text.startswith("STALE since ") and "UTC" in text
    assert "worker unreachable: connection refused" in text
    page.wait_for_selector('[data-tile="now-all"].stale', timeout=5_000)
    assert page.evaluate(js_int("#waiting-all")) >= 1  # the last good value stays
    assert page.inner_text(".seg-age").startswith("STALE · ")
    page.screenshot(path=str(artifacts / "wallboard-stale.png"))

    snapshot_server(served(counting_series), port=port)  # the worker is back on the same URL
    page.wait_for_selector("#stale-banner", state="hidden", timeout=6_000)
    page.wait_for_selector('[data-tile="now-all"]:not(.stale)', timeout=5_000)
    assert page.console_log.errors == []


def test_no_value_flickers_during_refreshes(page, snapshot_server, dash_server, pollers,
                                            showcase_body):
    """Sample the values every animation frame for 3 s: never empty, never a dash."""
    _, _, app = start_board(snapshot_server, dash_server, pollers, [showcase_body])
    page.goto(app.url)
    page.wait_for_function(f"{js_int('#waiting-all')} === 12", timeout=10_000)
    seen = page.evaluate("""() => new Promise(done => {
        const ids = ['waiting-all', 'sl-all', 'abandon-all', 'staffed-all'];
        const seen = new Set(); const end = performance.now() + 3000;
        (function frame() {
            ids.forEach(id => seen.add(id + '=' + (document.getElementById(id)?.innerText)));
            if (performance.now() < end) requestAnimationFrame(frame);
            else done(Array.from(seen));
        })();
    })""")
    # 11 of 188 ended calls abandoned; SL 69.5 % with 9 callers waiting past 20 s
    assert sorted(seen) == ["abandon-all=5.8%", "sl-all=69%", "staffed-all=28",
                            "waiting-all=12"]


def test_breach_flashes_five_times_then_stays_marked(page, snapshot_server, dash_server,
                                                     pollers, showcase_body):
    _, _, app = start_board(snapshot_server, dash_server, pollers, [showcase_body],
                            settings=settings(BoardSpec("s", segments=("support",))))
    page.goto(app.url)
    tile = '[data-tile="now-support"]'
    page.wait_for_selector(f"{tile}.bad", timeout=10_000)
    assert page.inner_text(f"{tile} .main").split() == ["9", "✖", "BREACH"]  # icon + word
    assert page.inner_text('[data-tile="asa-support"] .main').split() == ["0:11", "▲", "WARN"]
    anims = f"document.querySelector('{tile}').getAnimations().length"
    page.evaluate(f"window.__tile = document.querySelector('{tile}')")
    assert page.evaluate(anims) == 1
    page.wait_for_function(f"{anims} === 0", timeout=8_000)
    page.evaluate(f"window.__restarts = 0; document.querySelector('{tile}')"
                  ".addEventListener('animationstart', () => window.__restarts++)")
    for _ in range(3):  # three more refreshes of the board: none starts the flash again
        with page.expect_response(lambda r: "_dash-update-component" in r.url,
                                  timeout=5_000):
            pass
    assert page.evaluate(anims) == 0
    assert page.evaluate("window.__restarts") == 0
    style = page.evaluate(f"""(() => {{ const s = getComputedStyle(document.querySelector(
        '{tile}')); return [s.borderTopStyle, s.backgroundImage]; }})()""")
    assert style[0] == "double" and "repeating-linear-gradient" in style[1]  # not hue alone
    assert page.evaluate(f"window.__tile === document.querySelector('{tile}')")
    assert page.console_log.errors == []


def test_reduced_motion_never_flashes(page, snapshot_server, dash_server, pollers,
                                      showcase_body):
    _, _, app = start_board(snapshot_server, dash_server, pollers, [showcase_body],
                            settings=settings(BoardSpec("s", segments=("support",))))
    page.emulate_media(reduced_motion="reduce")
    page.goto(app.url)
    page.wait_for_selector('[data-tile="now-support"].bad', timeout=10_000)
    assert page.evaluate("document.getAnimations().length") == 0


def test_dashboard_server_outage_banner_and_self_reload(page, snapshot_server, dash_server,
                                                        pollers, counting_series):
    _, poller, app = start_board(snapshot_server, dash_server, pollers, counting_series,
                                 reload_after_s=3.0, stale_after_s=1.0)
    page.goto(app.url)
    page.wait_for_function(f"{js_int('#waiting-all')} >= 1", timeout=10_000)
    page.evaluate("window.__before_reload = true")
    port = app.port
    app.stop()
    page.wait_for_selector("#link-banner", state="visible", timeout=6_000)
    assert page.inner_text("#link-banner").startswith(
        "DISCONNECTED — wallboard server not responding since ")
    # past reload_after_s the TV probes /health (in vain: the server is down) and must not
    # reload yet
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/health"),
                           timeout=10_000):
        pass
    assert page.evaluate("window.__before_reload") is True
    dash_server(create_app(poller, settings=settings(), refresh_ms=REFRESH_MS), port=port)
    page.wait_for_function("window.__before_reload === undefined", timeout=10_000)
    page.wait_for_function(f"{js_int('#waiting-all')} >= 1", timeout=10_000)
    assert page.query_selector("#link-banner") is None or page.is_hidden("#link-banner")


def test_alert_ticker_shows_the_alerting_api(page, snapshot_server, dash_server, pollers,
                                             showcase_body):
    alerts = snapshot_server(lambda n: {"alerts": [
        {"labels": {"alertname": "SLLow", "severity": "critical", "queue": "support"},
         "annotations": {"summary": "SL 55%"}, "startsAt": _iso(), "status": "firing"}]})
    alert_poller = SnapshotPoller(alerts.url, interval_s=POLL_S, accept_list=True).start()
    pollers.append(alert_poller)
    _, _, app = start_board(snapshot_server, dash_server, pollers, [showcase_body],
                            alerts=alert_poller)
    page.goto(app.url)
    page.wait_for_selector("#ticker .titem", timeout=10_000)
    assert page.inner_text("#ticker .tbadge") == "✖ BREACH"
    assert page.inner_text("#ticker .ttext") == "SLLow · support · SL 55%"
    alerts.stop()  # the alerting API goes away: say so, never keep showing old alerts
    page.wait_for_function("document.querySelector('#ticker .ticker-reason')?.innerText"
                           ".startsWith('alerting API unreachable')", timeout=6_000)
    assert page.query_selector("#ticker .titem") is None
    assert page.console_log.errors == []


def _text_metrics(page) -> list[dict]:
    """Every visible text node's element: its font size, cap height in px (DejaVu Sans and
    WenQuanYi: cap height 0.729 em; CJK ideographs are taller), and whether it is a key
    number (.value)."""
    return page.evaluate("""() => {
        const out = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const node = walker.currentNode;
            if (!node.textContent.trim()) continue;
            const el = node.parentElement;
            const r = el.getBoundingClientRect();
            const s = getComputedStyle(el);
            if (r.width === 0 || r.height === 0 || s.visibility === 'hidden') continue;
            if (el.closest('[hidden]') || el.closest('#_dash-global-error-container')) continue;
            out.push({text: node.textContent.trim().slice(0, 30), cls: el.className,
                      size: parseFloat(s.fontSize), key: el.classList.contains('value')});
        }
        return out;
    }""")


def _cut_off(page) -> list[str]:
    """Elements whose content does not fit (overflow) or that leave the viewport."""
    return page.evaluate("""() => {
        const bad = [];
        const vw = innerWidth, vh = innerHeight;
        document.querySelectorAll('.tile, .tile *, .topbar *, .ticker *, .segment-head *')
          .forEach(el => {
            const r = el.getBoundingClientRect();
            if (r.width === 0) return;
            if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== 'visible'
                || el.scrollHeight > el.clientHeight + 1 && el.classList.contains('tile')
                || r.right > vw + 1 || r.bottom > vh + 1)
              bad.push((el.dataset.tile || el.className || el.tagName) + ': ' +
                       el.innerText.slice(0, 40));
          });
        return bad;
    }""")


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_readable_at_5_m_and_nothing_cut_off(browser, snapshot_server, dash_server, pollers,
                                             artifacts, lang, showcase_series):
    """1080p: every text's capital height >= 2.5 cm and key numbers >= 6 cm on a 55" TV;
    720p, 1080p and 4K (vh-sized layout): no tile content overflows or leaves the screen."""
    hist = History()
    now = time.time()
    for i, body in enumerate(showcase_series):  # the hour behind the sparklines, by minute
        hist.add(decoded(body), now - 60 * (len(showcase_series) - 1 - i))
    _, _, app = start_board(snapshot_server, dash_server, pollers, showcase_series[-1:],
                            settings=settings(), history=hist)
    for width, height in [(1920, 1080), (1280, 720), (3840, 2160)]:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        errors = []
        page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        page.goto(f"{app.url}?lang={lang}")
        page.wait_for_function(f"{js_int('#waiting-all')} === 12", timeout=10_000)
        page.wait_for_selector(".spark", timeout=5_000)
        page.evaluate("document.getAnimations().forEach(a => a.finish())")
        if width == 1920:  # before the checks: the picture helps when one fails
            suffix = "" if lang == "en" else "-zh-CN"
            page.screenshot(path=str(artifacts / f"wallboard-1080p{suffix}.png"))
        scale = height / 1080
        metrics = _text_metrics(page)
        assert len(metrics) > 30
        small = [m for m in metrics if m["size"] * 0.729 / scale < MIN_CAP_PX - 0.5]
        assert small == [], small
        keys = [m for m in metrics if m["key"]]
        assert len(keys) == 6
        assert all(m["size"] * 0.729 / scale >= KEY_CAP_PX - 0.5 for m in keys), keys
        cut = _cut_off(page)
        assert cut == [], cut
        assert page.evaluate("document.documentElement.scrollHeight") <= height
        assert errors == []
        context.close()


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "product defect: when the worker's forecast says overloaded, the forecast tile's note "
    "\"Erlang C (no abandonment) · overloaded\" takes a fourth line and is cut off at 1080p"))
def test_an_overloaded_forecast_fits_its_tile(page, snapshot_server, dash_server, pollers,
                                              overloaded_body):
    assert decoded(overloaded_body)["segments"]["all"]["forecast"]["overloaded"] is True
    _, _, app = start_board(snapshot_server, dash_server, pollers, [overloaded_body])
    page.goto(app.url)
    page.wait_for_selector('[data-tile="forecast-all"].bad', timeout=10_000)
    assert _cut_off(page) == []


def test_readable_with_two_segments_per_page(page, snapshot_server, dash_server, pollers,
                                             showcase_body):
    _, _, app = start_board(snapshot_server, dash_server, pollers, [showcase_body],
                            settings=settings(TWO))
    page.goto(app.url)
    page.wait_for_function(f"{js_int('#waiting-billing')} === 3", timeout=10_000)
    small = [m for m in _text_metrics(page) if m["size"] * 0.729 < MIN_CAP_PX - 0.5]
    assert small == []
    assert _cut_off(page) == []

"""The Dash app's layout and wiring without a browser (the browser tests drive it live)."""

from __future__ import annotations

import pytest

from dashboard.app import board_class, create_app, layout_key, segments_body
from dashboard.render import render

NOW = 1_795_000_000.0
SNAP = {
    "as_of": "2026-11-22T01:15:00Z",
    "segments": {
        "all": {"now": {"waiting": 1234}, "windows": {"15m": {"offered": 7}}},
        "Sales EU": {"now": {"waiting": 16}},
    },
}


class FakePoller:
    def __init__(self, snapshot=None, fetched_at=None, error=None) -> None:
        self.value = (snapshot, fetched_at, error)
        self.calls = 0

    def latest(self):
        self.calls += 1
        return self.value


def find(component, component_id):
    """Depth-first search of a Dash component tree by id."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    if not isinstance(children, list | tuple):
        children = [children]
    for child in children:
        if hasattr(child, "to_plotly_json"):
            found = find(child, component_id)
            if found is not None:
                return found
    return None


def test_layout_has_stable_ids_and_values():
    poller = FakePoller(SNAP, NOW - 1)
    app = create_app(poller, now=lambda: NOW)
    before = poller.calls
    page = app.layout()  # a function: every page load shows the current data at once
    assert poller.calls == before + 1
    assert find(page, "waiting-all").children == "1,234"
    assert find(page, "waiting-sales-eu").children == "16"
    assert find(page, "sl-all").children == "—"
    assert find(page, "as-of").children == "Data as of 01:15:00 UTC"
    banner = find(page, "stale-banner")
    assert banner.hidden is True
    assert find(page, "tick").interval == 1000
    assert app.config.update_title is None


def test_layout_without_data_shows_banner():
    page = create_app(FakePoller(error="connection refused"), now=lambda: NOW).layout()
    banner = find(page, "stale-banner")
    assert banner.hidden is False
    assert banner.children == "NO DATA — worker unreachable: connection refused"


def test_one_interval_one_callback():
    app = create_app(FakePoller(), refresh_ms=500)
    assert len(app.callback_map) == 1
    (callback,) = app.callback_map.values()
    assert [i["id"] for i in callback["inputs"]] == ["tick"]


def test_refresh_floor():
    with pytest.raises(ValueError):
        create_app(FakePoller(), refresh_ms=100)


def test_board_class_and_layout_key():
    view = render(SNAP, NOW - 1, NOW)
    assert board_class(view) == "content rows-few"
    assert layout_key(view) == [["all", "All queues", "all"], ["sales-eu", "Sales EU", "Sales EU"]]
    stale = render(SNAP, NOW - 60, NOW)
    assert board_class(stale) == "content rows-few stale"
    many = {"segments": {f"q{i}": {} for i in range(8)}}
    assert board_class(render(many, NOW, NOW)) == "content rows-many"


@pytest.mark.parametrize(
    ("snapshot", "text"),
    [(None, "Waiting for data…"), ({"segments": {}}, "No segments in the snapshot")],
)
def test_empty_board_message(snapshot, text):
    (div,) = segments_body(render(snapshot, NOW, NOW))
    assert div.children == text

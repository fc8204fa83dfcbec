"""Fakes shared by the Dash app's tests: a poller with a settable answer, a search of a Dash
component tree, a sample snapshot and two boards."""

from __future__ import annotations

from dashboard.boards import Boards, BoardSpec
from tests.unit.dashboard.samples import NOW

__all__ = ["BOARDS", "NOW", "SNAP", "FakePoller", "find"]

SNAP = {
    "as_of": "2026-11-22T01:15:00Z",
    "segments": {
        "all": {"now": {"waiting": 1234}, "windows": {"15m": {"offered": 7}}},
        "Sales EU": {"now": {"waiting": 16}},
    },
}

BOARDS = Boards((BoardSpec("main"), BoardSpec("floor", segments=("all",), language="zh-CN")))


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

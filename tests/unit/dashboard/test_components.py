"""The layout pieces built from a view: the board's class, what its skeleton depends on, and
the message of an empty board."""

from __future__ import annotations

import pytest

from dashboard.components import board_class, layout_key, segments_body
from dashboard.render import render
from tests.unit.dashboard.fakes import NOW, SNAP


def test_board_class_and_layout_key():
    view = render(SNAP, NOW - 1, NOW, paginate=False)
    assert board_class(view) == "content per-2"
    assert layout_key(view)[:3] == ["main", "en", 1]
    stale = render(SNAP, NOW - 60, NOW)
    assert board_class(stale).endswith(" stale")


@pytest.mark.parametrize(
    ("snapshot", "text"),
    [(None, "Waiting for data…"), ({"segments": {}}, "No segments in the snapshot")],
)
def test_empty_board_message(snapshot, text):
    (div,) = segments_body(render(snapshot, NOW, NOW))
    assert div.children == text

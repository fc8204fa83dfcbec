"""The view of a page: its status, the segments' order, pages that rotate with the clock,
unique DOM ids, and a renderer that is pure."""

from __future__ import annotations

import copy

from dashboard.boards import BoardSpec
from dashboard.formatting import MISSING
from dashboard.render import render, segment_order
from tests.unit.dashboard.samples import (
    FULL_SEGMENT,
    NOW,
    PARTIAL_SEGMENT,
    one,
    snapshot,
    tiles_of,
)


def test_segment_and_page_status_is_the_worst_tile():
    view = one(FULL_SEGMENT)
    assert view["segments"][0]["status"] == "warn"
    assert view["status"] == "warn"


# ------------------------------------------------------------------ pages and order


def test_pages_rotate_with_the_clock_and_are_numbered():
    snap = snapshot(all=FULL_SEGMENT, a=PARTIAL_SEGMENT, b=PARTIAL_SEGMENT)
    board = BoardSpec("b", rotate_s=10)
    shown = [render(snap, NOW + k * 10, NOW + k * 10, board=board) for k in range(4)]
    names = [[s["name"] for s in v["segments"]] for v in shown]
    assert sorted(map(tuple, names[:3])) == [("a",), ("all",), ("b",)]
    assert names[3] == names[0]  # and round again
    assert {v["page_text"] for v in shown} == {"page 1/3", "page 2/3", "page 3/3"}
    two = render(snap, NOW, NOW, board=BoardSpec("b", segments_per_page=2,
                                                  tiles=("now", "sl")))
    assert two["pages"] == 2
    single = render(snapshot(all=FULL_SEGMENT), NOW, NOW)
    assert single["page_text"] == ""


def test_all_first_then_queues_sorted():
    snap = snapshot(sales=PARTIAL_SEGMENT, all=FULL_SEGMENT, Billing=PARTIAL_SEGMENT)
    view = render(snap, NOW, NOW, paginate=False)
    assert [s["name"] for s in view["segments"]] == ["all", "Billing", "sales"]
    assert [s["dom_id"] for s in view["segments"]] == ["all", "billing", "sales"]
    assert view["segments"][0]["title"] == "All queues"


def test_configured_segments_keep_their_order_even_before_data():
    view = render(snapshot(all=FULL_SEGMENT), NOW, NOW,
                  board=BoardSpec("b", segments=("vip", "all", "vip")), paginate=False)
    assert [s["name"] for s in view["segments"]] == ["vip", "all"]
    assert tiles_of(view, "vip")["now"]["value"] == MISSING
    assert segment_order(["b", "a"]) == ["a", "b"]


def test_colliding_dom_ids_are_made_unique():
    snap = snapshot(**{"a b": PARTIAL_SEGMENT, "a_b": PARTIAL_SEGMENT, "A-B": PARTIAL_SEGMENT})
    ids = [s["dom_id"] for s in render(snap, NOW, NOW, paginate=False)["segments"]]
    assert sorted(ids) == ["a-b", "a-b-2", "a-b-3"]


def test_render_is_pure():
    snap = snapshot(all=FULL_SEGMENT, sales=PARTIAL_SEGMENT)
    before = copy.deepcopy(snap)
    assert render(snap, NOW - 2, NOW) == render(snap, NOW - 2, NOW)
    assert snap == before

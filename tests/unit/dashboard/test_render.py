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


def summary(view: dict) -> tuple:
    return (view["clock"], view["age"], view["status"],
            [(s["name"], s["status"], [(t["key"], t["value"], t["status"]) for t in s["tiles"]])
             for s in view["segments"]])


# The sample snapshot fetched 2 s before NOW, as the board must show it: FULL_SEGMENT's
# figures (3 waiting, SL 0.8333, 12 staffed, abandon 0.0789, ASA 11.2 s, 11 required) and
# PARTIAL_SEGMENT's (0 waiting, the rest unknown).
SHOWN = ("11:06:40 UTC", "2 s", "warn", [
    ("all", "warn", [("now", "3", "warn"), ("sl", "83%", "warn"), ("agents", "12", "none"),
                     ("abandon", "7.8%", "warn"), ("asa", "0:11", "warn"),
                     ("forecast", "11", "ok")]),
    ("sales", "ok", [("now", "0", "ok"), ("sl", MISSING, "none"), ("agents", MISSING, "none"),
                     ("abandon", MISSING, "none"), ("asa", MISSING, "none"),
                     ("forecast", MISSING, "none")]),
])


def test_render_is_pure():
    """The view is a function of the arguments alone: the one stated above, the same again
    after renders of other snapshots and instants, and the snapshot left as it was."""
    snap = snapshot(all=FULL_SEGMENT, sales=PARTIAL_SEGMENT)
    before = copy.deepcopy(snap)
    first = render(snap, NOW - 2, NOW, paginate=False)
    assert summary(first) == SHOWN
    render(snapshot(all=PARTIAL_SEGMENT), NOW + 100, NOW + 200)
    render(snap, NOW, NOW + 60, paginate=False)
    again = render(copy.deepcopy(snap), NOW - 2, NOW, paginate=False)
    assert summary(again) == SHOWN
    assert again == first  # nothing kept from the renders in between
    assert snap == before

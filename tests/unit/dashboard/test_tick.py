"""The ticks as plain functions (no Dash context): a new page gets its skeleton, an unchanged
one only the clock and the heartbeat, a changed one only the tiles that changed; an unknown
board says so once; the detail table follows the detail page only."""

from __future__ import annotations

import pytest
from dash import no_update

from dashboard.boards import Boards, BoardSpec
from dashboard.i18n import tr
from dashboard.model import Model
from dashboard.tick import AGES, TILES, BoardUpdate, board_tick, detail_tick, page_ids
from streams.core.config import EngineSettings
from tests.unit.dashboard.fakes import BOARDS, NOW, SNAP, FakePoller, find

ONE = {"as_of": "2026-11-22T01:15:00Z",
       "segments": {"all": {"now": {"waiting": 3}, "windows": {"15m": {"offered": 7}}}}}
TILE_IDS = [{"type": "tile", "seg": "all", "key": k} for k in ("now", "sl")]
AGE_IDS = [{"type": "seg-age", "seg": "all"}]


def model(poller, clock, boards=BOARDS) -> Model:
    return Model(poller, engine=EngineSettings(), boards=boards, stale_after_s=5.0,
                 now=lambda: clock[0], history=None, alerts=None)


def test_the_outputs_are_declared_once_in_order():
    outputs = BoardUpdate.outputs()
    assert len(outputs) == 19
    assert outputs[0] == ("board", "children") and outputs[-1] == ("focus", "children")
    assert outputs[2] == (TILES, "className") and outputs[5] == (AGES, "className")
    assert BoardUpdate(clock="x").values()[8] == "x"
    blank = BoardUpdate.unchanged(2, 1)
    assert blank.tile_classes == [no_update] * 2 and blank.age_children == [no_update]
    assert blank.body is no_update and blank.beat is no_update


def test_page_ids_come_from_the_callback_s_outputs_list():
    outputs_list = [{}, {}, [{"id": TILE_IDS[0]}, {"id": TILE_IDS[1]}], [],
                    [{"id": AGE_IDS[0]}], []]
    assert page_ids(outputs_list) == (TILE_IDS, AGE_IDS)


def test_a_new_page_gets_its_skeleton_then_only_the_heartbeat():
    m = model(FakePoller(SNAP, NOW - 1), [NOW])
    first = board_tick(m, "en", 1, "/", "", None, [], [])
    assert find(first.body[0], "waiting-all").children == "1,234"
    assert first.focus[0].children == "All queues"  # one segment a page: in the top bar
    assert first.beat == "1" and first.lang == "en"
    assert first.banner == "" and first.banner_hidden is True
    assert first.board_title == "" and first.body_class == "content per-1"
    assert first.state["kind"] == "board" and first.state["digest"]
    again = board_tick(m, "en", 2, "/", "", first.state, [], [])
    assert again.values() == BoardUpdate.unchanged(0, 0, clock=first.clock, beat="2").values()


def test_the_same_page_gets_only_the_tiles_that_changed():
    poller, clock = FakePoller(ONE, NOW - 1), [NOW]
    m = model(poller, clock, boards=Boards((BoardSpec("b", tiles=("now", "sl")),)))
    state = board_tick(m, "en", 1, "/", "", None, [], []).state
    clock[0] += 1
    poller.value = ({**ONE, "segments": {"all": {"now": {"waiting": 4}}}}, clock[0] - 1, None)
    update = board_tick(m, "en", 2, "/", "", state, TILE_IDS, AGE_IDS)
    assert update.body is no_update and update.focus is no_update
    now_class, sl_class = update.tile_classes
    assert now_class.startswith("tile ") and sl_class is no_update
    assert find(update.tile_children[0][1], "waiting-all").children == "4"
    assert update.age_children == ["1 s old"] and update.age_classes == ["seg-age"]


def test_an_unknown_board_is_said_once():
    m = model(FakePoller(SNAP, NOW - 1), [NOW])
    first = board_tick(m, "en", 1, "/board/nope", "", None, TILE_IDS, [])
    assert first.body[0].children == "Unknown board 'nope'; configured: main, floor"
    assert first.ticker_class == "ticker off" and first.banner_hidden is True
    assert first.tile_classes == [no_update] * 2
    again = board_tick(m, "en", 2, "/board/nope", "", first.state, TILE_IDS, [])
    assert again.values() == BoardUpdate.unchanged(2, 0, beat="2").values()


@pytest.mark.filterwarnings("ignore:The dash_table.DataTable:DeprecationWarning")
def test_the_detail_page_gets_its_table_once():
    m = model(FakePoller(SNAP, NOW - 1), [NOW])
    first = board_tick(m, "en", 1, "/detail", "", None, [], [])
    (table,) = first.body
    assert table.id == "detail-table" and first.focus == []
    assert first.board_title == tr("en", "detail_title")
    assert first.body_class.endswith(" detail")
    m.now = lambda: NOW + 1  # a new second, new data: only the texts, not a new table
    m.poller.value = ({**SNAP, "as_of": "2026-11-22T01:15:01Z"}, NOW, None)
    later = board_tick(m, "en", 2, "/detail", "", first.state, [], [])
    assert later.body is no_update and later.focus is no_update


def test_detail_tick_follows_the_detail_page_only():
    m = model(FakePoller(SNAP, NOW - 1), [NOW])
    rows = detail_tick(m, "en", "/detail", "?board=floor")
    assert [r["segment"] for r in rows] == ["全部队列", "Sales EU"]  # the board's language
    assert detail_tick(m, "en", "/board/floor", "") is no_update

"""URLs to pages: the board, its language (the board's own, ?lang=), the detail page and an
unknown board."""

from __future__ import annotations

import pytest

from dashboard.routing import route
from tests.unit.dashboard.fakes import BOARDS


@pytest.mark.parametrize(
    ("path", "search", "kind", "board", "lang"),
    [
        ("/", "", "board", "main", "en"),
        ("/board/floor", "", "board", "floor", "zh-CN"),  # the board's own language
        ("/board/floor/", "?lang=en", "board", "floor", "en"),  # ?lang= wins
        ("/", "?lang=zh-cn", "board", "main", "zh-CN"),
        ("/", "?lang=klingon", "board", "main", "en"),  # unknown: the default
        ("/detail", "?lang=zh-CN", "detail", "main", "zh-CN"),
        ("/detail", "?board=floor", "detail", "floor", "zh-CN"),
        ("/board/nope", "", "unknown", None, "en"),
    ],
)
def test_route(path, search, kind, board, lang):
    got_kind, got_board, got_lang, error = route(path, search, BOARDS, "en")
    assert (got_kind, got_board.name if got_board else None, got_lang) == (kind, board, lang)
    assert (error is not None) == (kind == "unknown")
    if error:
        assert error == "Unknown board 'nope'; configured: main, floor"

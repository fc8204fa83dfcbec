"""Routing: which page a URL asks for, of which board and in which language.

Pages: ``/`` (the first board), ``/board/<name>`` (a ``[dashboard.boards.NAME]``; a bare
``/<name>`` works too), ``/detail`` (every segment in a sortable table; ``?board=`` picks the
board); ``?lang=zh-CN`` switches the language. ``/health`` is the Dash server's health check,
which a TV's watchdog polls. Pure.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from dashboard.boards import Boards, BoardSpec
from dashboard.i18n import normalize_language, tr

__all__ = ["BOARD_PREFIX", "DETAIL_PATH", "HEALTH_PATH", "route"]

HEALTH_PATH = "health"
DETAIL_PATH = "/detail"
BOARD_PREFIX = "/board/"


def route(pathname: str | None, search: str | None, boards: Boards, default_lang: str
          ) -> tuple[str, BoardSpec | None, str, str | None]:
    """``(kind, board, lang, error)`` for a URL: kind is ``board``, ``detail`` or ``unknown``."""
    path = (pathname or "/").rstrip("/") or "/"
    query = parse_qs((search or "").lstrip("?"))
    asked = normalize_language((query.get("lang") or [""])[0])
    if path == DETAIL_PATH:
        board_name = (query.get("board") or [""])[0]
        board = boards.get(board_name) or boards.get(None)
        return "detail", board, asked or (board.language if board else "") or default_lang, None
    name = None
    if path.startswith(BOARD_PREFIX):
        name = path[len(BOARD_PREFIX):]
    elif path != "/":
        name = path.lstrip("/")
    board = boards.get(name)
    if board is None:
        lang = asked or default_lang
        return "unknown", None, lang, tr(lang, "unknown_board", name=name,
                                          known=", ".join(boards.names))
    return "board", board, asked or board.language or default_lang, None

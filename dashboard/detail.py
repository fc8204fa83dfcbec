"""The detail page's table: every segment as a row, every figure as a number.

:data:`_DETAIL` lists the columns (id, label, kind, path in a snapshot segment);
:func:`detail_columns` names them in a language and :func:`detail_rows` reads a rendered view
(``render(..., paginate=False)``) into rows. Numbers stay numbers (percent with one decimal,
seconds with one, None when missing), so the DataTable sorts them numerically. Pure.
"""

from __future__ import annotations

import math
from typing import Any

from dashboard.formatting import STATUS_ICON, as_number, fmt_window, lookup
from dashboard.i18n import tr

__all__ = ["detail_columns", "detail_rows"]

# (column id, i18n label, kind, path in the segment): kind "int", "pct", "s" (seconds)
_DETAIL: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("waiting", "waiting", "int", ("now", "waiting")),
    ("oldest", "oldest", "s", ("now", "oldest_wait_s")),
    ("over_sl", "over_sl", "int", ("now", "waiting_over_sl")),
    ("available", "available", "int", ("now", "agents", "available")),
    ("on_call", "on_call", "int", ("now", "agents", "on_call")),
    ("acw", "acw", "int", ("now", "agents", "acw")),
    ("not_ready", "not_ready", "int", ("now", "agents", "not_ready")),
    ("staffed", "staffed", "int", ("now", "agents", "staffed")),
    ("sl", "sl", "pct", ("windows", "{w}", "service_level")),
    ("sl_today", "sl_today", "pct", ("windows", "today", "service_level")),
    ("abandon", "abandon", "pct", ("windows", "{w}", "abandon_rate")),
    ("abandon_today", "abandon_today", "pct", ("windows", "today", "abandon_rate")),
    ("abandoned", "abandoned", "int", ("windows", "{w}", "abandoned")),
    ("short_abandoned", "short_abandoned", "int", ("windows", "{w}", "short_abandoned")),
    ("asa", "asa", "s", ("windows", "{w}", "asa_s")),
    ("p90", "p90", "s", ("windows", "{w}", "wait_p90_s")),
    ("aht", "aht", "s", ("windows", "{w}", "aht_s")),
    ("offered", "offered", "int", ("windows", "{w}", "offered")),
    ("answered", "answered", "int", ("windows", "{w}", "answered")),
    ("handled", "handled", "int", ("windows", "{w}", "handled")),
    ("offered_today", "offered_today", "int", ("windows", "today", "offered")),
    ("required", "required", "int", ("forecast", "agents_required")),
)


def detail_columns(lang: str, window: str = "15m") -> list[dict]:
    """DataTable columns of the detail page (numbers stay numbers, so sorting is numeric)."""
    cols = [{"id": "segment", "name": tr(lang, "segment")},
            {"id": "status", "name": tr(lang, "status")}]
    for cid, label, kind, path in _DETAIL:
        name = tr(lang, label)
        if "{w}" in path:
            name = f"{name} · {fmt_window(window, lang)}"
        if kind == "pct":
            name += " %"
        elif kind == "s":
            name += " (s)"
        cols.append({"id": cid, "name": name, "type": "numeric"})
    cols.append({"id": "age", "name": tr(lang, "data_age") + " (s)", "type": "numeric"})
    return cols


def _status_text(seg: dict, lang: str) -> str:
    return (f"{STATUS_ICON[seg['status']]} {tr(lang, seg['status'])}"
            if seg["status"] != "none" else "") \
        + (f" {STATUS_ICON['stale']} {tr(lang, 'stale')}" if seg["stale"] else "")


def _figure(raw: Any, kind: str, path: tuple[str, ...], window: str) -> float | None:
    value = as_number(lookup(raw, *(window if p == "{w}" else p for p in path)))
    if value is not None and kind == "pct":
        value = math.floor(round(value * 1000, 6)) / 10
    elif value is not None and kind == "s":
        value = math.floor(value * 10) / 10
    return value


def detail_rows(view: dict, window: str = "15m") -> list[dict]:
    """One row per segment of ``view`` (rendered with ``paginate=False``): every figure as a
    number (percent with one decimal, seconds with one), None when missing."""
    lang = view["lang"]
    rows = []
    for seg in view["segments"]:
        row: dict[str, Any] = {
            "segment": seg["title"],
            "state": seg["status"],
            "status": _status_text(seg, lang),
        }
        for cid, _, kind, path in _DETAIL:
            row[cid] = _figure(seg["raw"], kind, path, window)
        row["age"] = None if seg["age_s"] is None else math.floor(seg["age_s"])
        rows.append(row)
    return rows

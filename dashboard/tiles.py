"""Tiles: the figures of one snapshot segment as the tiles of a board, in the board's order.

A segment is read once (:func:`_read`), then each tile key has one small builder that
returns the tile as display strings: label, value, status with icon and word, the lines
and rows under the value, an optional sparkline. The definitions printed on the tiles (SL
threshold and target, short abandons, how abandons count) come from the segment's engine
settings, the same settings the worker computes with. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dashboard.boards import Threshold, classify
from dashboard.formatting import (
    STATUS_ICON,
    as_number,
    fmt_duration,
    fmt_int,
    fmt_percent,
    fmt_window,
    lookup,
    worst,
)
from dashboard.i18n import tr

__all__ = ["segment_tiles", "short_text", "sl_definition"]


# --------------------------------------------------------------------------- definitions


def _secs(value: float) -> str:
    return f"{value:g}"


def short_text(policy: Any, lang: str) -> str:
    if policy.short_abandon_s > 0:
        return tr(lang, "short_excluded", s=_secs(policy.short_abandon_s))
    return tr(lang, "short_none")


def sl_definition(policy: Any, window: str, lang: str) -> str:
    """``SL 80/20 · short < 5 s excluded · 15 min`` from the segment's engine settings; adds
    how abandons within the threshold count when that is not the default ``negative``."""
    text = tr(lang, "sl_def", target=f"{policy.sl_target * 100:g}",
              threshold=_secs(policy.sl_threshold_s), short=short_text(policy, lang),
              window=fmt_window(window, lang))
    if policy.abandon_policy == "ignore":
        text += " · " + tr(lang, "abandons_ignored", t=_secs(policy.sl_threshold_s))
    elif policy.abandon_policy == "positive":
        text += " · " + tr(lang, "abandons_met", t=_secs(policy.sl_threshold_s))
    return text


# --------------------------------------------------------------------------- one segment


@dataclass(frozen=True)
class _Segment:
    """One snapshot segment read for its tiles, with what the tiles are drawn for."""

    lang: str
    policy: Any
    thresholds: Mapping[str, Threshold]
    window: str
    sparks: Mapping[str, str | None]
    win: Any  # the board's window
    today: Any
    agents: Any
    forecast: Any
    n: dict[str, float | None]  # the figures, as numbers or None

    def status(self, metric: str, value: float | None) -> str:
        return classify(self.thresholds, metric, value)

    @property
    def wname(self) -> str:
        return fmt_window(self.window, self.lang)

    @property
    def t_s(self) -> str:
        return _secs(self.policy.sl_threshold_s)

    def today_line(self, text: str) -> dict:
        return _line(tr(self.lang, "today", value=text))


def _read(segment: Any, window: str, **context: Any) -> _Segment:
    now = lookup(segment, "now")
    win = lookup(segment, "windows", window)
    agents = lookup(now, "agents")
    forecast = lookup(segment, "forecast")
    required = as_number(lookup(forecast, "agents_required"))
    staffed = as_number(lookup(forecast, "staffed"))
    if staffed is None:
        staffed = as_number(lookup(agents, "staffed"))
    n = {
        "waiting": as_number(lookup(now, "waiting")),
        "oldest": as_number(lookup(now, "oldest_wait_s")),
        "over": as_number(lookup(now, "waiting_over_sl")),
        "sl": as_number(lookup(win, "service_level")),
        "abandon": as_number(lookup(win, "abandon_rate")),
        "asa": as_number(lookup(win, "asa_s")),
        "aht": as_number(lookup(win, "aht_s")),
        "p90": as_number(lookup(win, "wait_p90_s")),
        "available": as_number(lookup(agents, "available")),
        "required": required,
        "staffed": staffed,
        "gap": required - staffed if required is not None and staffed is not None else None,
    }
    return _Segment(window=window, win=win, today=lookup(segment, "windows", "today"),
                    agents=agents, forecast=forecast, n=n, **context)


def _tile(key: str, label: str, value: str, status: str, lang: str, *, value_id: str = "",
          lines: list[dict] | None = None, rows: list[dict] | None = None,
          spark: str | None = None, note: str = "") -> dict:
    return {
        "key": key,
        "label": label,
        "value": value,
        "value_id": value_id or key,
        "status": status,
        "icon": STATUS_ICON[status],
        "word": tr(lang, status) if status != "none" else "",
        "lines": lines or [],
        "rows": rows or [],
        "spark": spark,
        "note": note,
    }


def _line(text: str, value: str = "", line_id: str = "") -> dict:
    return {"text": text, "value": value, "id": line_id}


# --------------------------------------------------------------------------- the tiles


def _now_tile(s: _Segment) -> dict:
    n, lang = s.n, s.lang
    states = [s.status("waiting", n["waiting"]), s.status("oldest", n["oldest"]),
              s.status("over_sl", n["over"])]
    return _tile("now", tr(lang, "waiting"), fmt_int(n["waiting"]), worst(states), lang,
                 value_id="waiting", spark=s.sparks.get("waiting"), lines=[
                     _line(tr(lang, "oldest"), fmt_duration(n["oldest"]), "oldest"),
                     _line(tr(lang, "over_sl_def", t=s.t_s), fmt_int(n["over"]), "over-sl")])


def _waiting_tile(s: _Segment) -> dict:
    waiting = s.n["waiting"]
    return _tile("waiting", tr(s.lang, "waiting"), fmt_int(waiting),
                 s.status("waiting", waiting), s.lang, spark=s.sparks.get("waiting"))


def _oldest_tile(s: _Segment) -> dict:
    oldest = s.n["oldest"]
    return _tile("oldest", tr(s.lang, "oldest"), fmt_duration(oldest),
                 s.status("oldest", oldest), s.lang,
                 lines=[_line(tr(s.lang, "oldest_def", t=s.t_s))])


def _over_sl_tile(s: _Segment) -> dict:
    over = s.n["over"]
    return _tile("over_sl", tr(s.lang, "over_sl"), fmt_int(over),
                 s.status("over_sl", over), s.lang, value_id="over-sl",
                 lines=[_line(tr(s.lang, "over_sl_def", t=s.t_s))])


def _agents_tile(s: _Segment) -> dict:
    lang = s.lang
    rows = [{"label": tr(lang, state), "value": fmt_int(lookup(s.agents, state)),
             "id": state.replace("_", "-")}
            for state in ("available", "on_call", "acw", "not_ready")]
    return _tile("agents", tr(lang, "agents_staffed"), fmt_int(lookup(s.agents, "staffed")),
                 s.status("available", s.n["available"]), lang, value_id="staffed",
                 rows=rows, note=tr(lang, "staffed_def"))


def _sl_tile(s: _Segment) -> dict:
    sl = s.n["sl"]
    return _tile("sl", tr(s.lang, "sl"), fmt_percent(sl), s.status("sl", sl), s.lang,
                 spark=s.sparks.get("sl"), lines=[
                     _line(sl_definition(s.policy, s.window, s.lang)),
                     s.today_line(fmt_percent(lookup(s.today, "service_level")))])


def _abandon_tile(s: _Segment) -> dict:
    lang, abandon = s.lang, s.n["abandon"]
    return _tile("abandon", tr(lang, "abandon_label", window=s.wname),
                 fmt_percent(abandon, 1), s.status("abandon", abandon), lang, lines=[
                     _line(tr(lang, "abandon_def", n=fmt_int(lookup(s.win, "abandoned")),
                              short=short_text(s.policy, lang)), line_id="abandoned"),
                     s.today_line(fmt_percent(lookup(s.today, "abandon_rate"), 1))])


def _asa_tile(s: _Segment) -> dict:
    lang, n = s.lang, s.n
    return _tile("asa", f"{tr(lang, 'asa')} · {s.wname}", fmt_duration(n["asa"]),
                 s.status("asa", n["asa"]), lang, lines=[
                     _line(tr(lang, "p90"), fmt_duration(n["p90"]), "p90"),
                     _line(tr(lang, "aht"), fmt_duration(n["aht"]), "aht")])


def _aht_tile(s: _Segment) -> dict:
    aht = s.n["aht"]
    return _tile("aht", f"{tr(s.lang, 'aht')} · {s.wname}", fmt_duration(aht),
                 s.status("aht", aht), s.lang, lines=[
                     s.today_line(fmt_duration(lookup(s.today, "aht_s")))])


def _p90_tile(s: _Segment) -> dict:
    p90 = s.n["p90"]
    return _tile("p90", f"{tr(s.lang, 'p90')} · {s.wname}", fmt_duration(p90),
                 s.status("p90", p90), s.lang, lines=[
                     _line(tr(s.lang, "p90_def")),
                     s.today_line(fmt_duration(lookup(s.today, "wait_p90_s")))])


def _offered_tile(s: _Segment) -> dict:
    lang = s.lang
    return _tile("offered", f"{tr(lang, 'offered')} · {s.wname}",
                 fmt_int(lookup(s.win, "offered")), "none", lang,
                 spark=s.sparks.get("offered"), lines=[
                     _line(tr(lang, "answered"), fmt_int(lookup(s.win, "answered")),
                           "answered"),
                     s.today_line(fmt_int(lookup(s.today, "offered")))])


def _forecast_tile(s: _Segment) -> dict:
    lang = s.lang
    overloaded = lookup(s.forecast, "overloaded") is True
    lines = [_line(tr(lang, "vs_staffed"), fmt_int(s.n["staffed"]), "forecast-staffed"),
             _line(tr(lang, "forecast_def") + (" · " + tr(lang, "overloaded")
                                               if overloaded else ""))]
    return _tile("forecast", tr(lang, "forecast"), fmt_int(s.n["required"]),
                 s.status("staffing_gap", s.n["gap"]), lang, value_id="required", lines=lines)


_BUILDERS: dict[str, Callable[[_Segment], dict]] = {
    "now": _now_tile,
    "waiting": _waiting_tile,
    "oldest": _oldest_tile,
    "over_sl": _over_sl_tile,
    "agents": _agents_tile,
    "sl": _sl_tile,
    "abandon": _abandon_tile,
    "asa": _asa_tile,
    "aht": _aht_tile,
    "p90": _p90_tile,
    "offered": _offered_tile,
    "forecast": _forecast_tile,
}


def segment_tiles(segment: Any, tiles: Sequence[str], *, policy: Any,
                  thresholds: Mapping[str, Threshold], window: str, lang: str,
                  sparks: Mapping[str, str | None] | None = None) -> list[dict]:
    """The tiles ``tiles`` of one snapshot segment, in that order (unknown keys: none)."""
    seg = _read(segment, window, lang=lang, policy=policy, thresholds=thresholds,
                sparks=sparks or {})
    return [_BUILDERS[key](seg) for key in tiles if key in _BUILDERS]

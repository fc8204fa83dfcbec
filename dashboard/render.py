"""Pure presentation logic of the wallboard: snapshot JSON in, display strings out.

Nothing here does I/O or reads a clock: the caller passes ``now`` (epoch seconds), the fetch
time of the snapshot, the board, the engine settings and the language, so every decision
(threshold state, staleness, banner text, page) is a plain function of its arguments and is
unit-tested without a browser.

Figures come only from the worker's snapshot (``shared/spec/metrics.md``); the definitions
printed on the tiles (SL threshold and target, short abandons) come from the engine settings
of each segment, the same settings the worker computes with. Every lookup tolerates a
missing key, ``null`` or a value of the wrong type and shows :data:`MISSING` for it — never
``0`` and never an exception.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from dashboard.boards import (
    DEFAULT_BOARD,
    BoardSpec,
    Threshold,
    classify,
    page_segments,
    thresholds_for,
)
from dashboard.i18n import tr
from streams.core.config import EngineSettings

__all__ = [
    "ALL_SEGMENT",
    "MISSING",
    "STATUS_ICON",
    "alerts_ticker",
    "as_number",
    "dom_id",
    "fmt_age",
    "fmt_clock",
    "fmt_duration",
    "fmt_int",
    "fmt_percent",
    "fmt_window",
    "render",
    "segment_freshness",
    "segment_order",
    "segment_tiles",
    "sl_definition",
    "worst",
]

MISSING = "—"
"""Shown for every value that is missing, ``null`` or malformed."""

ALL_SEGMENT = "all"

# Colour is never the only cue (WCAG 1.4.1): every status also has an icon and a word.
STATUS_ICON: dict[str, str] = {"ok": "✔", "warn": "▲", "bad": "✖", "none": "", "stale": "⌛"}
_SEVERITY: dict[str, int] = {"none": 0, "ok": 1, "warn": 2, "bad": 3}


# --------------------------------------------------------------------------- formatting


def as_number(value: Any) -> float | None:
    """``value`` as a finite number, or None (missing, null, bool, string, NaN, inf)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fmt_int(value: Any) -> str:
    """``1234`` → ``"1,234"``; None/missing/malformed → ``"—"``."""
    n = as_number(value)
    if n is None:
        return MISSING
    return f"{round(n):,}"


def fmt_duration(seconds: Any) -> str:
    """Seconds as ``m:ss`` (``h:mm:ss`` from one hour), truncated to whole seconds."""
    s = as_number(seconds)
    if s is None:
        return MISSING
    total = max(0, math.floor(s))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def fmt_percent(fraction: Any, decimals: int = 0) -> str:
    """A fraction as a percent, rounded *down* so the text agrees with the state: ``0.799``
    never shows as ``80%`` next to a WARN for a target of 80 %; None → ``"—"`` (never 0 %)."""
    f = as_number(fraction)
    if f is None:
        return MISSING
    scale = 10**decimals
    value = math.floor(round(f * 100 * scale, 6)) / scale
    return f"{value:.{decimals}f}%"


def fmt_age(age_s: float | None, lang: str = "en") -> str:
    """``59`` → ``59 s``, ``600`` → ``10 min``, ``7200`` → ``2 h`` (秒 / 分钟 / 小时)."""
    if age_s is None:
        return MISSING
    age = max(0, math.floor(age_s))
    if age < 120:
        return tr(lang, "w_s", n=age)
    if age < 7200:
        return tr(lang, "w_m", n=age // 60)
    return tr(lang, "w_h", n=age // 3600)


def zone_label(moment: datetime) -> str:
    """``UTC`` or ``UTC+8`` / ``UTC-3:30``: unambiguous, unlike "CST"."""
    offset = moment.utcoffset()
    minutes = round(offset.total_seconds() / 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def fmt_clock(epoch_s: float | None, tz: tzinfo, *, zone: bool = True) -> str:
    """``09:00:05 UTC+8`` in the engine's time zone."""
    if epoch_s is None:
        return MISSING
    local = datetime.fromtimestamp(epoch_s, tz)
    text = f"{local:%H:%M:%S}"
    return f"{text} {zone_label(local)}" if zone else text


def fmt_window(name: str, lang: str) -> str:
    """``"15m"`` → ``"15 min"`` / ``"15 分钟"``; ``today`` → 今日; others as written."""
    if name == "today":
        return tr(lang, "today", value="").strip()
    m = re.fullmatch(r"(\d+)([smh])", name)
    if not m:
        return name
    return tr(lang, f"w_{m.group(2)}", n=m.group(1))


def parse_as_of(value: Any) -> datetime | None:
    """ISO-8601 ``as_of`` → aware UTC datetime; a value without offset is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def dom_id(name: str) -> str:
    """Segment name → fragment usable in a DOM id: ``[a-z0-9-]``, never empty."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "segment"


def worst(statuses: Sequence[str]) -> str:
    return max(statuses, key=_SEVERITY.__getitem__, default="none")


def _get(tree: Any, *path: str) -> Any:
    """``tree[path[0]][path[1]]...`` or None when any step is missing or not a mapping."""
    node = tree
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


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


# --------------------------------------------------------------------------- tiles


def _status(thresholds: Mapping[str, Threshold], metric: str, value: float | None) -> str:
    return classify(thresholds, metric, value)


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


def segment_tiles(segment: Any, tiles: Sequence[str], *, policy: Any,
                  thresholds: Mapping[str, Threshold], window: str, lang: str,
                  sparks: Mapping[str, str | None] | None = None) -> list[dict]:
    """The tiles ``tiles`` of one snapshot segment, in that order."""
    sparks = sparks or {}
    now = _get(segment, "now")
    win = _get(segment, "windows", window)
    today = _get(segment, "windows", "today")
    agents = _get(now, "agents")
    forecast = _get(segment, "forecast")
    wname = fmt_window(window, lang)
    t_s = _secs(policy.sl_threshold_s)

    waiting = as_number(_get(now, "waiting"))
    oldest = as_number(_get(now, "oldest_wait_s"))
    over = as_number(_get(now, "waiting_over_sl"))
    sl = as_number(_get(win, "service_level"))
    abandon = as_number(_get(win, "abandon_rate"))
    asa = as_number(_get(win, "asa_s"))
    aht = as_number(_get(win, "aht_s"))
    p90 = as_number(_get(win, "wait_p90_s"))
    available = as_number(_get(agents, "available"))
    required = as_number(_get(forecast, "agents_required"))
    staffed = as_number(_get(forecast, "staffed"))
    if staffed is None:
        staffed = as_number(_get(agents, "staffed"))
    gap = required - staffed if required is not None and staffed is not None else None
    th = thresholds

    def today_line(text: str) -> dict:
        return _line(tr(lang, "today", value=text))

    out: list[dict] = []
    for key in tiles:
        if key == "now":
            states = [_status(th, "waiting", waiting), _status(th, "oldest", oldest),
                      _status(th, "over_sl", over)]
            out.append(_tile("now", tr(lang, "waiting"), fmt_int(waiting), worst(states), lang,
                             value_id="waiting", spark=sparks.get("waiting"), lines=[
                                 _line(tr(lang, "oldest"), fmt_duration(oldest), "oldest"),
                                 _line(tr(lang, "over_sl_def", t=t_s), fmt_int(over),
                                       "over-sl")]))
        elif key == "waiting":
            out.append(_tile("waiting", tr(lang, "waiting"), fmt_int(waiting),
                             _status(th, "waiting", waiting), lang,
                             spark=sparks.get("waiting")))
        elif key == "oldest":
            out.append(_tile("oldest", tr(lang, "oldest"), fmt_duration(oldest),
                             _status(th, "oldest", oldest), lang,
                             lines=[_line(tr(lang, "oldest_def", t=t_s))]))
        elif key == "over_sl":
            out.append(_tile("over_sl", tr(lang, "over_sl"), fmt_int(over),
                             _status(th, "over_sl", over), lang, value_id="over-sl",
                             lines=[_line(tr(lang, "over_sl_def", t=t_s))]))
        elif key == "agents":
            rows = [{"label": tr(lang, state), "value": fmt_int(_get(agents, state)),
                     "id": state.replace("_", "-")}
                    for state in ("available", "on_call", "acw", "not_ready")]
            out.append(_tile("agents", tr(lang, "agents_staffed"),
                             fmt_int(_get(agents, "staffed")),
                             _status(th, "available", available), lang, value_id="staffed",
                             rows=rows, note=tr(lang, "staffed_def")))
        elif key == "sl":
            out.append(_tile("sl", tr(lang, "sl"), fmt_percent(sl), _status(th, "sl", sl),
                             lang, spark=sparks.get("sl"), lines=[
                                 _line(sl_definition(policy, window, lang)),
                                 today_line(fmt_percent(_get(today, "service_level")))]))
        elif key == "abandon":
            out.append(_tile("abandon", tr(lang, "abandon_label", window=wname),
                             fmt_percent(abandon, 1), _status(th, "abandon", abandon), lang,
                             lines=[
                                 _line(tr(lang, "abandon_def", n=fmt_int(_get(win, "abandoned")),
                                          short=short_text(policy, lang)), line_id="abandoned"),
                                 today_line(fmt_percent(_get(today, "abandon_rate"), 1))]))
        elif key == "asa":
            out.append(_tile("asa", f"{tr(lang, 'asa')} · {wname}", fmt_duration(asa),
                             _status(th, "asa", asa), lang, lines=[
                                 _line(tr(lang, "p90"), fmt_duration(p90), "p90"),
                                 _line(tr(lang, "aht"), fmt_duration(aht), "aht")]))
        elif key == "aht":
            out.append(_tile("aht", f"{tr(lang, 'aht')} · {wname}", fmt_duration(aht),
                             _status(th, "aht", aht), lang, lines=[
                                 today_line(fmt_duration(_get(today, "aht_s")))]))
        elif key == "p90":
            out.append(_tile("p90", f"{tr(lang, 'p90')} · {wname}", fmt_duration(p90),
                             _status(th, "p90", p90), lang, lines=[
                                 _line(tr(lang, "p90_def")),
                                 today_line(fmt_duration(_get(today, "wait_p90_s")))]))
        elif key == "offered":
            out.append(_tile("offered", f"{tr(lang, 'offered')} · {wname}",
                             fmt_int(_get(win, "offered")), "none", lang,
                             spark=sparks.get("offered"), lines=[
                                 _line(tr(lang, "answered"), fmt_int(_get(win, "answered")),
                                       "answered"),
                                 today_line(fmt_int(_get(today, "offered")))]))
        elif key == "forecast":
            overloaded = _get(forecast, "overloaded") is True
            status = _status(th, "staffing_gap", gap)
            lines = [_line(tr(lang, "vs_staffed"), fmt_int(staffed), "forecast-staffed"),
                     _line(tr(lang, "forecast_def") + (" · " + tr(lang, "overloaded")
                                                       if overloaded else ""))]
            out.append(_tile("forecast", tr(lang, "forecast"), fmt_int(required), status,
                             lang, value_id="required", lines=lines))
    return out


# --------------------------------------------------------------------------- freshness


def segment_freshness(snapshot: Any, name: str, base_age_s: float | None,
                      stale_after_s: float) -> tuple[float | None, bool]:
    """(age of the segment's data in s, stale?).

    With the worker's ``freshness`` block, the segment's own ``age_s`` (plus the time since
    the dashboard fetched it) and the worker's ``stale`` flag; without it, ``base_age_s``
    (the age of the whole snapshot). Past ``stale_after_s`` a segment is stale either way."""
    seg = _get(snapshot, "freshness", "segments", name)
    age = base_age_s
    stale_flag = False
    if isinstance(seg, Mapping):
        own = as_number(seg.get("age_s"))
        if own is not None:
            age = own + (base_age_s or 0.0)
        stale_flag = seg.get("stale") is True
    stale = stale_flag or age is None or age > stale_after_s
    return age, stale


def stale_partitions(snapshot: Any) -> tuple[list[str], float | None]:
    """The worker's stale partitions ("topic/partition") and how long the stalest has gone
    without a record (``freshness.partitions[].last_record_age_s``), when it says."""
    raw = _get(snapshot, "freshness", "stale_partitions")
    if not isinstance(raw, list):
        return [], None
    names = [str(p) for p in raw[:50]]
    ages = []
    parts = _get(snapshot, "freshness", "partitions")
    for part in parts[:1000] if isinstance(parts, list) else []:
        if isinstance(part, Mapping) and f"{part.get('topic')}/{part.get('partition')}" in names:
            age = as_number(part.get("last_record_age_s"))
            if age is not None:
                ages.append(age)
    return names, max(ages) if ages else None


def _snapshot_age(snapshot: Any, fetched_at: float | None, now: float) -> float | None:
    """Age of the data: since its ``as_of`` when that is known and not in the future, else
    since the dashboard fetched it."""
    if fetched_at is None:
        return None
    since_fetch = max(0.0, now - fetched_at)
    as_of = parse_as_of(_get(snapshot, "as_of"))
    if as_of is None or _get(snapshot, "freshness", "clock") == "event":
        return since_fetch  # on the event clock as_of is event time: a replay is not stale
    # the worker's clock may differ from ours: never less than the time since the fetch
    return max(since_fetch, min(now - as_of.timestamp(), since_fetch + 3600.0))


# --------------------------------------------------------------------------- ordering


def segment_order(available: Sequence[str], wanted: Sequence[str] | None = None) -> list[str]:
    """``wanted`` as given (a configured TV shows its segments even before data exists),
    else ``all`` first and then every other segment sorted case-insensitively."""
    if wanted is not None:
        return list(dict.fromkeys(wanted))
    rest = sorted((s for s in available if s != ALL_SEGMENT), key=lambda s: (s.lower(), s))
    return ([ALL_SEGMENT] if ALL_SEGMENT in available else []) + rest


def _unique_ids(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    ids = []
    for name in names:
        base = candidate = dom_id(name)
        n = 2
        while candidate in seen:
            candidate = f"{base}-{n}"
            n += 1
        seen.add(candidate)
        ids.append(candidate)
    return ids


# --------------------------------------------------------------------------- alerts


def _alert_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    labels = item.get("labels") if isinstance(item.get("labels"), Mapping) else {}
    notes = item.get("annotations") if isinstance(item.get("annotations"), Mapping) else {}

    def pick(*keys: str) -> Any:
        for k in keys:
            for source in (item, labels, notes):
                v = source.get(k)
                if isinstance(v, str | int | float) and not isinstance(v, bool) and v != "":
                    return v
        return None

    return {
        "name": pick("alertname", "rule", "name", "title"),
        "severity": pick("severity", "level"),
        "segment": pick("segment", "queue", "component"),
        "summary": pick("summary", "message", "description"),
        "since": pick("startsAt", "started_at", "since", "active_since", "timestamp"),
        "status": pick("status", "state"),
    }


def alerts_ticker(configured: bool, payload: Any, error: str | None, tz: tzinfo, lang: str,
                  *, limit: int = 5) -> dict:
    """The ticker: ``{"state": off|error|empty|active, "reason": str, "items": [...]}``.

    Accepts a JSON list of alerts or an object with an ``alerts``/``active`` list; each alert
    either Alertmanager-shaped (labels, annotations, startsAt) or flat (name/rule, severity,
    segment, summary, since/startsAt, status/state; as ``wallboard alerts`` serves them).
    Resolved and pending alerts are left out. Never invents an alert: without
    a configured, reachable API the panel says why it is empty."""
    if not configured:
        return {"state": "off", "reason": tr(lang, "alerts_not_configured"), "items": []}
    if payload is None:
        return {"state": "error", "items": [],
                "reason": tr(lang, "alerts_unreachable", error=error or "no answer yet")}
    raw = payload
    if isinstance(payload, Mapping):
        raw = payload.get("alerts", payload.get("active"))
    if not isinstance(raw, list):
        return {"state": "error", "reason": tr(lang, "alerts_invalid"), "items": []}
    items = []
    for entry in raw:
        if not isinstance(entry, Mapping):
            continue
        f = _alert_fields(entry)
        if str(f["status"] or "firing").lower() in ("resolved", "inactive", "ok", "pending"):
            continue  # only what is firing now (pending: its `for` has not passed yet)
        severity = str(f["severity"] or "warning").lower()
        state = "bad" if severity in ("critical", "page", "error", "high") else "warn"
        since = parse_as_of(f["since"]) if isinstance(f["since"], str) else None
        text = " · ".join(str(x) for x in (f["name"], f["segment"], f["summary"]) if x)
        items.append({"state": state, "icon": STATUS_ICON[state], "word": tr(lang, state),
                      "text": text or "?",
                      "since": fmt_clock(since.timestamp(), tz) if since else ""})
    items.sort(key=lambda i: -_SEVERITY[i["state"]])
    if not items:
        return {"state": "empty", "reason": tr(lang, "alerts_none"), "items": []}
    more = len(items) - limit
    return {"state": "active", "items": items[:limit],
            "reason": tr(lang, "alerts_more", n=more) if more > 0 else ""}


# --------------------------------------------------------------------------- render


def banner_text(lang: str, tz: tzinfo, now: float, *, has_snapshot: bool,
                age_s: float | None, stale: bool, error: str | None, broker_down: bool,
                partitions: Sequence[str]) -> str | None:
    if not has_snapshot:
        if error:
            return tr(lang, "banner_no_data_error", error=error)
        return tr(lang, "banner_no_data")
    since = fmt_clock(now - age_s, tz) if age_s is not None else MISSING
    if broker_down:
        return tr(lang, "banner_broker", since=since)
    if stale and error:
        return tr(lang, "banner_stale_error", since=since, error=error)
    if partitions:
        return tr(lang, "banner_partitions", since=since, parts=", ".join(partitions[:4]))
    if stale:
        return tr(lang, "banner_stale", since=since, age=fmt_age(age_s, lang))
    return None


def render(
    snapshot: dict | None,
    fetched_at: float | None,
    now: float,
    *,
    board: BoardSpec = DEFAULT_BOARD,
    engine: EngineSettings | None = None,
    lang: str = "en",
    stale_after_s: float = 5.0,
    error: str | None = None,
    sparks: Any = None,
    paginate: bool = True,
) -> dict:
    """Everything one page of ``board`` shows at ``now``, as display strings.

    ``fetched_at`` and ``now`` are epoch seconds of the same clock. ``sparks(segment)``
    returns the sparkline images of a segment (``{"waiting": svg, ...}``). With
    ``paginate=False`` every segment of the board is returned (the detail page).
    Returns::

        {"lang", "board", "title", "clock", "as_of", "age_s", "age", "stale", "banner",
         "page", "pages", "page_text", "status", "has_data",
         "segments": [{"name", "dom_id", "title", "status", "stale", "age_s", "age_text",
                       "raw", "tiles": [tile, ...]}, ...]}
    """
    engine = engine or EngineSettings()
    tz = engine.tz
    has_snapshot = isinstance(snapshot, Mapping)
    age_s = _snapshot_age(snapshot, fetched_at, now) if has_snapshot else None
    feed = _get(snapshot, "feed")
    feed = feed if isinstance(feed, Mapping) else {}
    broker_down = feed.get("broker_reachable") is False
    feed_age = as_number(feed.get("last_record_age_s"))
    if broker_down and feed_age is not None:
        age_s = max(age_s or 0.0, feed_age + max(0.0, now - (fetched_at or now)))
    partitions, partitions_age = stale_partitions(snapshot)
    # calls are spread over partitions by call id: a stale partition may hold back any segment
    stale = not has_snapshot or age_s is None or age_s > stale_after_s or broker_down \
        or bool(partitions)

    as_of = parse_as_of(_get(snapshot, "as_of"))
    as_of_text = (tr(lang, "data_as_of", time=fmt_clock(as_of.timestamp(), tz)) if as_of
                  else tr(lang, "no_data_time"))

    raw_segments = _get(snapshot, "segments")
    if not isinstance(raw_segments, Mapping):
        raw_segments = {}
    names = segment_order([str(k) for k in raw_segments], board.segments)
    ids = dict(zip(names, _unique_ids(names), strict=True))
    page, pages = 1, 1
    shown = names
    if paginate:
        shown, page, pages = page_segments(names, board.segments_per_page, now, board.rotate_s)
    out_segments = []
    for name in shown:
        seg = raw_segments.get(name)
        policy = engine.policy_for(name)
        seg_age, seg_stale = segment_freshness(snapshot, name, age_s, stale_after_s)
        seg_stale = seg_stale or stale
        tiles = segment_tiles(seg, board.tiles, policy=policy,
                              thresholds=thresholds_for(board, name, policy),
                              window=board.window, lang=lang,
                              sparks=sparks(name) if sparks is not None else None)
        status = worst([t["status"] for t in tiles])
        age_text = tr(lang, "age_stale" if seg_stale else "age", age=fmt_age(seg_age, lang))
        out_segments.append({
            "name": name,
            "dom_id": ids[name],
            "title": tr(lang, "all") if name == ALL_SEGMENT else name,
            "status": status,
            "stale": seg_stale,
            "age_s": seg_age,
            "age_text": age_text,
            "raw": seg,
            "tiles": tiles,
        })
    stale = stale or any(s["stale"] for s in out_segments)
    return {
        "lang": lang,
        "board": board.name,
        "title": board.title,
        "clock": fmt_clock(now, tz),
        "has_data": has_snapshot,
        "as_of": as_of_text,
        "age_s": age_s,
        "age": fmt_age(age_s, lang),
        "stale": stale,
        "banner": banner_text(lang, tz, now, has_snapshot=has_snapshot,
                              age_s=max(age_s or 0.0, partitions_age or 0.0)
                              if partitions else age_s,
                              stale=stale, error=error, broker_down=broker_down,
                              partitions=partitions),
        "page": page,
        "pages": pages,
        "page_text": tr(lang, "page", n=page, of=pages) if pages > 1 else "",
        "status": worst([s["status"] for s in out_segments]),
        "segments": out_segments,
    }


# --------------------------------------------------------------------------- detail page

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


def detail_rows(view: dict, window: str = "15m") -> list[dict]:
    """One row per segment of ``view`` (rendered with ``paginate=False``): every figure as a
    number (percent with one decimal, seconds with one), None when missing."""
    lang = view["lang"]
    rows = []
    for seg in view["segments"]:
        row: dict[str, Any] = {
            "segment": seg["title"],
            "state": seg["status"],
            "status": (f"{STATUS_ICON[seg['status']]} {tr(lang, seg['status'])}"
                       if seg["status"] != "none" else "")
            + (f" {STATUS_ICON['stale']} {tr(lang, 'stale')}" if seg["stale"] else ""),
        }
        for cid, _, kind, path in _DETAIL:
            value = as_number(_get(seg["raw"], *(window if p == "{w}" else p for p in path)))
            if value is not None and kind == "pct":
                value = math.floor(round(value * 1000, 6)) / 10
            elif value is not None and kind == "s":
                value = math.floor(value * 10) / 10
            row[cid] = value
        row["age"] = None if seg["age_s"] is None else math.floor(seg["age_s"])
        rows.append(row)
    return rows

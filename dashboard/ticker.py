"""The alerts ticker: what the alerting API says is firing now, as the footer's items.

Reads either Alertmanager-shaped alerts (labels, annotations, startsAt) or flat ones (as
``wallboard alerts`` serves them), leaves resolved and pending alerts out, puts the critical
ones first and shows at most a few. Never invents an alert: without a configured, reachable
API the ticker says why it is empty. Pure: the caller passes the polled payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from dashboard.formatting import SEVERITY, STATUS_ICON, fmt_clock
from dashboard.i18n import tr
from streams.core.timefmt import parse_as_of

__all__ = ["alerts_ticker"]

_NOT_FIRING = ("resolved", "inactive", "ok", "pending")
_CRITICAL = ("critical", "page", "error", "high")


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


def _item(entry: Any, tz: tzinfo, lang: str) -> dict | None:
    """One firing alert as a ticker item; None for anything else."""
    if not isinstance(entry, Mapping):
        return None
    f = _alert_fields(entry)
    if str(f["status"] or "firing").lower() in _NOT_FIRING:
        return None  # only what is firing now (pending: its `for` has not passed yet)
    severity = str(f["severity"] or "warning").lower()
    state = "bad" if severity in _CRITICAL else "warn"
    since = parse_as_of(f["since"]) if isinstance(f["since"], str) else None
    text = " · ".join(str(x) for x in (f["name"], f["segment"], f["summary"]) if x)
    return {"state": state, "icon": STATUS_ICON[state], "word": tr(lang, state),
            "text": text or "?",
            "since": fmt_clock(since.timestamp(), tz) if since else ""}


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
    items = [item for item in (_item(entry, tz, lang) for entry in raw) if item is not None]
    items.sort(key=lambda i: -SEVERITY[i["state"]])
    if not items:
        return {"state": "empty", "reason": tr(lang, "alerts_none"), "items": []}
    more = len(items) - limit
    return {"state": "active", "items": items[:limit],
            "reason": tr(lang, "alerts_more", n=more) if more > 0 else ""}

"""Notification texts (English or Simplified Chinese) and the Alertmanager v2 alert body.

Pure: strings and dicts only. One internal notice -> every format (see
shared/spec/alerting-reference.md B8): the fingerprint is the dedup key everywhere.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from streams.core.timefmt import rfc3339

__all__ = ["am_alert", "describe", "render_group", "what"]

_TEXT = {
    "en": {
        "firing": "{sev} {rule} · {segment}: {what}",
        "resolved": "RESOLVED {rule} · {segment}: {what}",
        "figure": "{figure} = {value} (threshold {op} {threshold})",
        "surge": "{observed} arrivals in {window} vs {expected} usual (p = {p})",
        "staffing": "Erlang C needs {required} agents, {staffed} staffed (gap {value})",
        "stalled": "no fresh data for {value} s ({why})",
        "board": "Board",
        "since": "since",
        "critical": "CRITICAL", "warning": "WARNING",
        "why": {"no_arrivals": "no arrivals while open", "freshness": "freshness: stale",
                "broker": "worker cannot reach Kafka", "source": "snapshot source failing",
                "no_records": "no records consumed"},
        "nodata": "no data",
    },
    "zh-CN": {
        "firing": "【{sev}】{rule} · 队列 {segment}：{what}",
        "resolved": "【已恢复】{rule} · 队列 {segment}：{what}",
        "figure": "{figure} 当前 {value}（阈值 {op} {threshold}）",
        "surge": "{window} 内来电 {observed} 通，通常 {expected} 通（p = {p}）",
        "staffing": "Erlang C 需要 {required} 名坐席，在岗 {staffed} 名（缺口 {value}）",
        "stalled": "已 {value} 秒没有新数据（{why}）",
        "board": "大屏",
        "since": "开始于",
        "critical": "严重", "warning": "警告",
        "why": {"no_arrivals": "营业时间内无来电", "freshness": "数据新鲜度：过期",
                "broker": "处理器无法连接 Kafka", "source": "快照来源不可用",
                "no_records": "未消费到任何记录"},
        "nodata": "无数据",
    },
}


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}"
    return str(value)


def describe(notice: Any, language: str = "en") -> str:
    """One line: severity, rule, segment, the figure, its value and the threshold."""
    text = _TEXT.get(language, _TEXT["en"])
    key = "resolved" if notice.status == "resolved" else "firing"
    return text[key].format(sev=text[notice.severity], rule=notice.rule,
                            segment=notice.segment, what=what(notice, language))


def what(notice: Any, language: str = "en") -> str:
    """The figure, its value and the threshold (or the surge counts, the staffing gap ...)."""
    text = _TEXT.get(language, _TEXT["en"])
    d = notice.details or {}
    if notice.value is None:
        what = text["nodata"]
    elif notice.kind == "surge" and "expected" in d:
        what = text["surge"].format(observed=_num(d.get("observed")), window=d.get("window"),
                                    expected=_num(d.get("expected")), p=_num(d.get("p")))
    elif notice.kind == "staffing":
        what = text["staffing"].format(required=_num(d.get("required")),
                                       staffed=_num(d.get("staffed")), value=_num(notice.value))
    elif notice.kind == "feed_stalled":
        why = text["why"].get(d.get("why", ""), d.get("why", ""))
        what = text["stalled"].format(value=_num(round(notice.value)), why=why)
    else:
        what = text["figure"].format(figure=notice.figure, value=_num(notice.value),
                                     op=notice.op, threshold=_num(notice.threshold))
    return what


def render_group(notices: list[Any], language: str, board_url: str) -> tuple[str, str]:
    """``(title, body)`` of one message for a group of notices (Apprise)."""
    text = _TEXT.get(language, _TEXT["en"])
    lines = [describe(n, language) + (f" — {n.note}" if n.note else "") for n in notices]
    first = notices[0]
    title = lines[0] if len(lines) == 1 else f"{lines[0]} (+{len(lines) - 1})"
    body = "\n".join(lines) + (f"\n{text['since']} {rfc3339(first.starts_at, fixed_ms=False)}"
                               f" · {text['board']}: {generator_url(board_url, first.segment)}")
    return title, body


def generator_url(board_url: str, segment: str) -> str:
    sep = "&" if "?" in board_url else "?"
    return f"{board_url}{sep}segment={quote(segment, safe='')}"


def am_alert(notice: Any, language: str, board_url: str) -> dict:
    """The Alertmanager API v2 body of one alert (``POST /api/v2/alerts`` takes a list)."""
    annotations = {"summary": describe(notice, language), "value": _num(notice.value),
                   "threshold": _num(notice.threshold), "figure": notice.figure,
                   "fingerprint": notice.fingerprint}
    if notice.reason:
        annotations["notification_reason"] = notice.reason
    if notice.note:
        annotations["description"] = notice.note
    return {"labels": dict(notice.labels), "annotations": annotations,
            "startsAt": rfc3339(notice.starts_at), "endsAt": rfc3339(notice.ends_at),
            "generatorURL": generator_url(board_url, notice.segment)}

"""Every word the wallboard shows, in English and Simplified Chinese.

Pure: a dict per language and :func:`tr`. A unit test checks that every English key has a
Chinese text with the same ``{placeholders}``, so a label can never fall back silently.
"""

from __future__ import annotations

import string

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "TEXTS", "normalize_language", "tr"]

DEFAULT_LANGUAGE = "en"

EN: dict[str, str] = {
    # tile labels
    "waiting": "Waiting",
    "oldest": "Oldest wait",
    "over_sl": "Waiting over SL",
    "agents": "Agents",
    "sl": "Service level",
    "abandon": "Abandon rate",
    "asa": "ASA",
    "aht": "AHT",
    "p90": "Wait p90",
    "offered": "Offered",
    "answered": "Answered",
    "forecast": "Agents required",
    "vs_staffed": "vs staffed",
    "agents_staffed": "Agents · staffed",
    "abandon_label": "Abandon % · {window}",
    # agent states
    "available": "Available",
    "on_call": "On call",
    "acw": "ACW",
    "not_ready": "Not ready",
    "staffed": "Staffed",
    "staffed_def": "staffed = available + on call + ACW",
    # definitions and secondary lines
    "sl_def": "SL {target}/{threshold} · {short} · {window}",
    "short_excluded": "short < {s} s excluded",
    "short_none": "all abandons counted",
    "abandons_ignored": "abandons ≤ {t} s ignored",
    "abandons_met": "abandons ≤ {t} s count as met",
    "abandon_def": "{n} abandoned · {short}",
    "over_sl_def": "Over SL (> {t} s)",
    "oldest_def": "SL threshold {t} s",
    "asa_def": "mean wait of answered · p90 {p90}",
    "aht_def": "talk + hold + ACW, {n} handled",
    "p90_def": "90% answered within",
    "offered_def": "{answered} answered",
    "forecast_def": "Erlang C (no abandonment)",
    "overloaded": "overloaded",
    "today": "today {value}",
    "window": "{window}",
    # windows
    "w_m": "{n} min",
    "w_h": "{n} h",
    "w_s": "{n} s",
    # statuses
    "ok": "OK",
    "warn": "WARN",
    "bad": "BREACH",
    "stale": "STALE",
    "since": "since {time}",
    # page chrome
    "all": "All queues",
    "page": "page {n}/{of}",
    "data_as_of": "Data as of {time}",
    "no_data_time": "Data as of —",
    "updated": "updated {age} ago",
    "no_data_yet": "no data yet",
    "age": "{age} old",
    "age_stale": "STALE · {age} old",
    "partitions_stale": "{n} partition(s) stale",
    "no_segments": "No segments in the snapshot",
    "waiting_for_data": "Waiting for data…",
    "unknown_board": "Unknown board {name!r}; configured: {known}",
    # banners
    "banner_no_data_error": "NO DATA — worker unreachable: {error}",
    "banner_no_data": "NO DATA — waiting for the first snapshot from the worker",
    "banner_broker": "STALE since {since} — the worker cannot reach Kafka",
    "banner_stale": "STALE since {since} — data is {age} old",
    "banner_stale_error": "STALE since {since} — worker unreachable: {error}",
    "banner_partitions": "STALE since {since} — no events from {parts}",
    "disconnected": "DISCONNECTED — wallboard server not responding since {time}",
    # ticker
    "alerts": "Alerts",
    "alerts_not_configured": "alerting not configured",
    "alerts_unreachable": "alerting API unreachable: {error}",
    "alerts_invalid": "alerting API answered with an unexpected payload",
    "alerts_none": "no active alerts",
    "alerts_more": "+{n} more",
    # detail page
    "detail_title": "Supervisor detail",
    "segment": "Segment",
    "status": "Status",
    "abandoned": "Abandoned",
    "short_abandoned": "Short abandons",
    "handled": "Handled",
    "sl_today": "SL today",
    "abandon_today": "Abandon today",
    "offered_today": "Offered today",
    "required": "Required (Erlang C)",
    "data_age": "Data age",
}

ZH: dict[str, str] = {
    "waiting": "排队数",
    "oldest": "最长等待",
    "over_sl": "超时排队",
    "agents": "坐席状态",
    "sl": "服务水平",
    "abandon": "放弃率",
    "asa": "平均应答速度",
    "aht": "平均处理时长",
    "p90": "90%等待时长",
    "offered": "呼入量",
    "answered": "接通量",
    "forecast": "所需坐席",
    "vs_staffed": "对比在岗",
    "agents_staffed": "坐席状态 · 在岗",
    "abandon_label": "放弃率 · {window}",
    "available": "空闲",
    "on_call": "通话中",
    "acw": "话后处理",
    "not_ready": "未就绪",
    "staffed": "在岗",
    "staffed_def": "在岗 = 空闲 + 通话中 + 话后处理",
    "sl_def": "{target}/{threshold} · {short} · {window}",
    "short_excluded": "不计{s}秒内短放弃",
    "short_none": "计入所有放弃",
    "abandons_ignored": "{t} 秒内放弃不计",
    "abandons_met": "{t} 秒内放弃计为达标",
    "abandon_def": "放弃 {n} 通 · {short}",
    "over_sl_def": "超时 (> {t} 秒)",
    "oldest_def": "服务水平阈值 {t} 秒",
    "asa_def": "已接通平均等待 · 90% {p90}",
    "aht_def": "通话 + 保持 + 话后，已处理 {n} 通",
    "p90_def": "90% 在此时间内接通",
    "offered_def": "接通 {answered}",
    "forecast_def": "Erlang C（未计放弃）",
    "overloaded": "超负荷",
    "today": "今日 {value}",
    "window": "{window}",
    "w_m": "{n} 分钟",
    "w_h": "{n} 小时",
    "w_s": "{n} 秒",
    "ok": "正常",
    "warn": "警告",
    "bad": "超标",
    "stale": "数据过期",
    "since": "自 {time} 起",
    "all": "全部队列",
    "page": "第 {n}/{of} 页",
    "data_as_of": "数据时间 {time}",
    "no_data_time": "数据时间 —",
    "updated": "{age} 前更新",
    "no_data_yet": "暂无数据",
    "age": "数据 {age} 前",
    "age_stale": "数据过期 · {age} 前",
    "partitions_stale": "{n} 个分区过期",
    "no_segments": "快照中没有分组",
    "waiting_for_data": "等待数据…",
    "unknown_board": "未知看板 {name!r}；已配置：{known}",
    "banner_no_data_error": "无数据 — 无法连接处理进程：{error}",
    "banner_no_data": "无数据 — 正在等待处理进程的第一个快照",
    "banner_broker": "数据过期，自 {since} 起 — 处理进程无法连接 Kafka",
    "banner_stale": "数据过期，自 {since} 起 — 数据已 {age}",
    "banner_stale_error": "数据过期，自 {since} 起 — 无法连接处理进程：{error}",
    "banner_partitions": "数据过期，自 {since} 起 — 分区无新事件：{parts}",
    "disconnected": "连接中断 — 看板服务器自 {time} 起无响应",
    "alerts": "告警",
    "alerts_not_configured": "未配置告警",
    "alerts_unreachable": "无法连接告警接口：{error}",
    "alerts_invalid": "告警接口返回了无法识别的数据",
    "alerts_none": "当前无告警",
    "alerts_more": "另有 {n} 条",
    "detail_title": "主管明细",
    "segment": "分组",
    "status": "状态",
    "abandoned": "放弃量",
    "short_abandoned": "短放弃",
    "handled": "处理量",
    "sl_today": "今日服务水平",
    "abandon_today": "今日放弃率",
    "offered_today": "今日呼入量",
    "required": "所需坐席（Erlang C）",
    "data_age": "数据时效",
}

TEXTS: dict[str, dict[str, str]] = {"en": EN, "zh-CN": ZH}
LANGUAGES: tuple[str, ...] = tuple(TEXTS)
_ALIASES = {"en": "en", "en-us": "en", "en-gb": "en", "zh": "zh-CN", "zh-cn": "zh-CN",
            "zh-hans": "zh-CN", "zh-hans-cn": "zh-CN"}


def normalize_language(value: str | None) -> str | None:
    """``"zh-cn"``/``"zh"``/``"zh-Hans"`` → ``"zh-CN"``; an unknown language → None."""
    if not value:
        return None
    return _ALIASES.get(value.strip().lower())


def tr(lang: str, key: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (English when the language is unknown), formatted."""
    table = TEXTS.get(lang, EN)
    text = table.get(key)
    if text is None:
        text = EN[key]  # KeyError for a key nobody defined: a programming error
    return text.format(**values) if values else text


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}

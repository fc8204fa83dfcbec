"""The alerts ticker: why it is empty, the alerting service's payload, Alertmanager-shaped
and flat alerts, critical first, at most five."""

from __future__ import annotations

from dashboard.ticker import alerts_ticker
from streams.core.config import EngineSettings

TZ = EngineSettings(timezone="Asia/Shanghai").tz


def test_ticker_without_alerting_says_why():
    off = alerts_ticker(False, None, None, TZ, "en")
    assert (off["state"], off["reason"], off["items"]) == ("off", "alerting not configured", [])
    err = alerts_ticker(True, None, "connection refused", TZ, "zh-CN")
    assert (err["state"], err["reason"]) == ("error", "无法连接告警接口：connection refused")
    bad = alerts_ticker(True, {"what": 1}, None, TZ, "en")
    assert bad["state"] == "error"
    assert alerts_ticker(True, [], None, TZ, "en")["reason"] == "no active alerts"


def test_ticker_reads_the_alerting_service_payload():
    """The shape of `wallboard alerts` GET /api/v1/alerts: {"active": [...], "recent": ...}."""
    payload = {"active": [
        {"rule": "sl_low", "segment": "billing", "state": "firing", "severity": "critical",
         "labels": {"alertname": "sl_low", "segment": "billing", "severity": "critical"},
         "summary": "SL 61% < 80%", "startsAt": "2026-11-18T08:50:00Z", "suppressed": False},
        {"rule": "waiting_high", "segment": "sales", "state": "pending", "severity": "warning",
         "labels": {}, "summary": "waiting 9", "startsAt": None}],
        "recent": [{"rule": "old", "state": "resolved"}], "silences": []}
    ticker = alerts_ticker(True, payload, None, TZ, "en")
    assert [(i["state"], i["text"], i["since"]) for i in ticker["items"]] == [
        ("bad", "sl_low · billing · SL 61% < 80%", "16:50:00 UTC+8")]


def test_ticker_lists_active_alerts_critical_first():
    payload = {"alerts": [
        {"name": "AbandonHigh", "severity": "warning", "segment": "sales",
         "summary": "abandons 12%", "since": "2026-11-18T08:40:00Z"},
        {"status": "firing", "labels": {"alertname": "SLLow", "severity": "critical",
                                        "queue": "billing"},
         "annotations": {"summary": "SL 61%"}, "startsAt": "2026-11-18T08:50:00Z"},
        {"name": "Old", "status": "resolved"},
        "junk",
    ]}
    ticker = alerts_ticker(True, payload, None, TZ, "en")
    assert ticker["state"] == "active"
    assert [(i["state"], i["word"], i["text"], i["since"]) for i in ticker["items"]] == [
        ("bad", "BREACH", "SLLow · billing · SL 61%", "16:50:00 UTC+8"),
        ("warn", "WARN", "AbandonHigh · sales · abandons 12%", "16:40:00 UTC+8"),
    ]
    many = alerts_ticker(True, [{"name": f"a{i}"} for i in range(8)], None, TZ, "en")
    assert len(many["items"]) == 5 and many["reason"] == "+3 more"

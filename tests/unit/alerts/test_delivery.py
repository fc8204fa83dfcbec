"""Delivery through Apprise and the Alertmanager API to local HTTP receivers: payloads and
the retry policy (5xx and 429 retried with jittered backoff, other 4xx never)."""

from __future__ import annotations

import random

import pytest

from alerts.config import parse_alerts
from alerts.core import AlertEngine
from alerts.delivery import Deliverer, retryable

from .receiver import Receiver

pytestmark = pytest.mark.filterwarnings("ignore:.imghdr. is deprecated:DeprecationWarning")

T0 = 1_800_000_000.0


def _firing(settings) -> tuple[AlertEngine, list]:
    eng = AlertEngine(settings)
    snap = {"segments": {"billing": {"now": {"oldest_wait_s": 95.5}}}}
    return eng, eng.step(snap, T0)


class Factors(random.Random):
    """A random source whose draws are the given factors, in turn."""

    def __init__(self, *factors: float) -> None:
        super().__init__(0)
        self.factors = list(factors)

    def random(self) -> float:
        return self.factors.pop(0)


FACTORS = (0.5, 0.75, 0.25)


def _settings(**delivery):
    return parse_alerts({"board_url": "http://board.local/", "rules": {"long_wait": {
        "figure": "now.oldest_wait_s", "above": 60, "critical": 120}},
        "delivery": {"backoff_s": 1.0, "max_backoff_s": 8.0, **delivery}})


@pytest.mark.parametrize(("statuses", "ok", "attempts"), [
    ([], True, 1),
    ([503, 502], True, 3),
    ([429], True, 2),
    ([500, 500, 500, 500], False, 4),  # max_attempts
    ([400], False, 1),                 # a 4xx is final
    ([404], False, 1),
])
def test_apprise_json_payload_and_retry_policy(statuses, ok, attempts):
    with Receiver(statuses) as rx:
        settings = _settings(apprise=[f"json://127.0.0.1:{rx.port}/hook"], max_attempts=4)
        sleeps: list[float] = []
        d = Deliverer(settings, sleep=sleeps.append, rng=Factors(*FACTORS))
        eng, notices = _firing(settings)
        failed = d.deliver(notices, [])
        (outcome,) = d.outcomes
        assert (outcome.ok, outcome.attempts) == (ok, attempts)
        assert len(rx.requests) == attempts
        assert failed == ([] if ok else notices)
        # full jitter: wait n is min(cap, backoff * 2^n) times the n-th random factor
        assert sleeps == [0.5, 1.5, 1.0][:attempts - 1]
        body = rx.requests[-1]["body"]
        assert rx.requests[-1]["path"] == "/hook"
        assert "long_wait" in body["title"] and "billing" in body["title"]
        assert "now.oldest_wait_s = 95.5" in body["message"]
        assert "threshold > 60" in body["message"]
        assert "http://board.local/?segment=billing" in body["message"]


def test_the_backoff_is_capped_and_every_wait_is_jittered():
    with Receiver([503] * 5) as rx:
        settings = _settings(apprise=[f"json://127.0.0.1:{rx.port}/hook"], max_attempts=6)
        sleeps: list[float] = []
        d = Deliverer(settings, sleep=sleeps.append, rng=Factors(0.5, 0.5, 0.5, 0.5, 0.1))
        _, notices = _firing(settings)
        assert d.deliver(notices, []) == []
        # 1, 2, 4, then the 8 s cap twice, each times its factor
        assert sleeps == [0.5, 1.0, 2.0, 4.0, 0.8]
    seeded = []
    with Receiver([503] * 3) as rx:
        settings = _settings(apprise=[f"json://127.0.0.1:{rx.port}/hook"], max_attempts=4)
        Deliverer(settings, sleep=seeded.append, rng=random.Random(7)).deliver(
            _firing(settings)[1], [])
    caps = [1.0, 2.0, 4.0]
    assert all(0 < s < cap for s, cap in zip(seeded, caps, strict=True))  # never the bare cap
    assert len({s / cap for s, cap in zip(seeded, caps, strict=True)}) == 3  # fresh draws


def test_retryable_statuses():
    assert [s for s in (None, 200, 400, 401, 404, 429, 500, 503) if retryable(s)] == [
        None, 429, 500, 503]


def test_unreachable_receiver_is_retried_then_reported():
    with Receiver() as rx:
        port = rx.port
    settings = _settings(apprise=[f"json://127.0.0.1:{port}/gone"], max_attempts=3, timeout_s=2)
    d = Deliverer(settings, sleep=lambda s: None)
    eng, notices = _firing(settings)
    assert d.deliver(notices, []) == notices
    assert d.outcomes[0].attempts == 3 and d.outcomes[0].status is None


def test_chinese_messages():
    with Receiver() as rx:
        settings = parse_alerts({"language": "zh-CN", "rules": {"long_wait": {
            "figure": "now.oldest_wait_s", "above": 60}},
            "delivery": {"apprise": [f"json://127.0.0.1:{rx.port}/"]}})
        eng, notices = _firing(settings)
        Deliverer(settings).deliver(notices, [])
        body = rx.requests[0]["body"]
        assert body["title"].startswith("【警告】long_wait · 队列 billing")
        assert "当前 95.5（阈值 > 60）" in body["title"]
        assert "大屏" in body["message"]


def test_slack_and_dingtalk_style_endpoints(monkeypatch):
    from apprise.plugins.dingtalk import NotifyDingTalk
    from apprise.plugins.slack import NotifySlack

    with Receiver() as slack, Receiver() as ding:
        monkeypatch.setattr(NotifySlack, "webhook_url", f"http://127.0.0.1:{slack.port}/services")
        monkeypatch.setattr(NotifyDingTalk, "notify_url",
                            f"http://127.0.0.1:{ding.port}/robot/send?access_token={{token}}")
        settings = _settings(apprise=["slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7",
                                      "dingtalk://abcdef0123456789/"])
        eng, notices = _firing(settings)
        assert Deliverer(settings).deliver(notices, []) == []
        (s,) = slack.requests
        assert s["path"] == "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
        assert "long_wait" in str(s["body"]) and "billing" in str(s["body"])
        (d,) = ding.requests
        assert d["path"].startswith("/robot/send?access_token=abcdef0123456789")
        assert "long_wait" in str(d["body"]) and "billing" in str(d["body"])


def test_alertmanager_body_and_grouping():
    with Receiver() as am, Receiver() as hook:
        settings = parse_alerts({
            "board_url": "http://board.local/", "group_by": ["alertname"],
            "rules": {"long_wait": {"figure": "now.oldest_wait_s", "above": 60}},
            "delivery": {"alertmanager_url": f"http://127.0.0.1:{am.port}",
                         "apprise": [f"json://127.0.0.1:{hook.port}/"]}})
        eng = AlertEngine(settings)
        snap = {"segments": {q: {"now": {"oldest_wait_s": 90}} for q in ("billing", "sales")}}
        notices = eng.step(snap, T0)
        assert Deliverer(settings).deliver(notices, eng.refresh(T0)) == []
        (req,) = am.requests
        assert req["path"] == "/api/v2/alerts"
        alerts = sorted(req["body"], key=lambda a: a["labels"]["segment"])
        assert [a["labels"] for a in alerts] == [
            {"alertname": "long_wait", "segment": s, "severity": "warning", "kind": "threshold"}
            for s in ("billing", "sales")]
        assert alerts[0]["startsAt"] == "2027-01-15T08:00:00.000Z"
        assert alerts[0]["endsAt"] == "2027-01-15T08:00:40.000Z"  # lease: 4 x 10 s
        assert alerts[0]["generatorURL"] == "http://board.local/?segment=billing"
        assert len(hook.requests) == 1  # one message for the group alertname=long_wait
        assert "(+1)" in hook.requests[0]["body"]["title"]

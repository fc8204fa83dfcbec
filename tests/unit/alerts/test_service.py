"""The alerts process without Kafka: ticks on an injected clock, the HTTP API, the token."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from alerts.source import HttpSnapshotSource, SourceError
from tests.support import run_async

from .api_service import JSON, T0, TOKEN, service, snap
from .receiver import Receiver

pytestmark = pytest.mark.filterwarnings("ignore:.imghdr. is deprecated:DeprecationWarning")


def test_api_ack_snooze_silence_and_the_token():
    now = [T0]
    svc = service([snap(90)], lambda: now[0])
    svc.tick()

    async def scenario():
        async with TestClient(TestServer(svc.app())) as client:
            view = await (await client.get("/api/v1/alerts")).json()
            (row,) = view["active"]
            assert row["labels"]["alertname"] == "long_wait" and row["state"] == "firing"
            assert view["alerts"] == [row]  # firing ones, for the wall board's ticker
            assert row["summary"] == "now.oldest_wait_s = 90 (threshold > 60)"
            assert row["startsAt"] == "2027-01-15T08:00:00.000Z"
            assert view["settings"]["api_token"] == "***"
            fp = row["fingerprint"]
            auth = {"Authorization": f"Bearer {TOKEN}"}
            r = await client.post(f"/api/v1/alerts/{fp}/ack", json={"by": "lead"})
            assert r.status == 401
            r = await client.post(f"/api/v1/alerts/{fp}/ack", json={"by": "lead", "for": "30m"},
                                  headers={"Authorization": "Bearer wrong"})
            assert r.status == 401
            r = await client.post(f"/api/v1/alerts/{fp}/ack", json={"by": "lead", "for": "30m"},
                                  headers=auth)
            assert r.status == 200 and (await r.json())["acked_until"] == T0 + 1800
            r = await client.post(f"/api/v1/alerts/{fp}/snooze", json={"for": "2h"},
                                  headers=auth)
            assert r.status == 400 and "by: required" in (await r.json())["error"]
            r = await client.post(f"/api/v1/alerts/{fp}/snooze",
                                  json={"by": "lead", "for": "forever"}, headers=auth)
            assert r.status == 400 and (await r.json())["error"].startswith("for: expected")
            r = await client.post("/api/v1/alerts/0000/ack", json={"by": "x"}, headers=auth)
            assert r.status == 404
            r = await client.post("/api/v1/silences", headers=auth, json={
                "matchers": ['segment="billing"'], "for": "1h", "author": "ops",
                "comment": "deploy"})
            assert r.status == 201
            silence = await r.json()
            assert silence["matchers"] == ['segment="billing"']
            r = await client.post("/api/v1/silences", headers=auth, json={
                "matchers": ["segment=~\"(\""], "author": "ops"})
            assert r.status == 400 and "bad regular expression" in (await r.json())["error"]
            r = await client.post("/api/v1/silences", data=b"x" * 20000,
                                  headers={**auth, **JSON})
            assert r.status == 400
            svc.tick()
            view = await (await client.get("/api/v1/alerts")).json()
            assert view["active"][0]["muted_by"] == f"silence:{silence['id']}"
            assert view["active"][0]["suppressed"] is True
            r = await client.delete(f"/api/v1/silences/{silence['id']}",
                                    headers={**auth, **JSON})
            assert r.status == 200
            assert (await (await client.get("/api/v1/alerts")).json())["silences"] == []

    run_async(scenario())


def test_mutating_calls_refused_without_a_configured_token():
    svc = service([snap(90)], lambda: T0, api_token="")
    svc.tick()

    async def scenario():
        async with TestClient(TestServer(svc.app())) as client:
            r = await client.post("/api/v1/silences", json={"matchers": ['a="b"'],
                                                            "author": "x"})
            assert r.status == 403 and "alerts.api_token" in (await r.json())["error"]

    run_async(scenario())


def test_an_unreachable_source_fires_feed_stalled():
    with Receiver() as rx:
        port = rx.port
    now = [T0]
    svc = service([snap(10), SourceError("127.0.0.1:1: connection refused")],
                   lambda: now[0])
    svc.tick()
    assert svc.last_error == ""
    for _ in range(3):
        now[0] += 10
        svc.tick()
    assert svc.last_error.endswith("connection refused")
    view = svc.engine.view(now[0])
    assert [(a["rule"], a["segment"], a["details"]["why"]) for a in view["active"]] == [
        ("stalled", "all", "source")]
    # the real HTTP source says why in one line, without the URL's secrets
    source = HttpSnapshotSource(f"http://user:pw@127.0.0.1:{port}/api/v1/snapshot", 1.0)
    with pytest.raises(SourceError) as err:
        source.fetch()
    assert "pw" not in str(err.value) and "127.0.0.1" in str(err.value)

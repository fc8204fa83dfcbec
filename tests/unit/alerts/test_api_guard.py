"""The alerts API against browsers and forged input (issue 19): only its own ``Host`` names
(DNS rebinding, finding 10), mutating calls only as ``application/json`` (CSRF, finding 10),
request fields escaped in the log (finding 6)."""

from __future__ import annotations

import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer

from alerts.config import parse_alerts
from streams.core.errors import ConfigError
from tests.support import run_async

from .api_service import JSON, T0, TOKEN, service, snap

pytestmark = pytest.mark.filterwarnings("ignore:.imghdr. is deprecated:DeprecationWarning")
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _firing_service(**extra):
    svc = service([snap(90)], lambda: T0, **extra)
    svc.tick()
    return svc


def test_a_foreign_host_is_refused_with_421_on_every_call():
    svc = _firing_service()

    async def scenario():
        async with TestClient(TestServer(svc.app())) as client:
            port = client.port
            for host in ("127.0.0.1", f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST.",
                         f"[::1]:{port}"):
                r = await client.get("/api/v1/alerts", headers={"Host": host})
                assert r.status == 200, host
            for host in (f"evil.example:{port}", "attacker.test", "127.0.0.1.nip.io"):
                r = await client.get("/api/v1/alerts", headers={"Host": host})
                assert r.status == 421, host
                error = (await r.json())["error"]
                assert error.startswith("Host: ") and "alerts.allowed_hosts" in error
                assert "localhost" in error
            r = await client.post("/api/v1/silences", headers={
                **AUTH, **JSON, "Host": "evil.example"}, data=b"{}")
            assert r.status == 421
            r = await client.get("/api/v1/health", headers={"Host": "evil.example"})
            assert r.status == 421

    run_async(scenario())


def test_allowed_hosts_adds_names_and_star_turns_the_check_off():
    svc = _firing_service(allowed_hosts=["wallboard.example.com", "10.0.0.5:6068"])
    assert svc.settings.redacted()["allowed_hosts"] == ["wallboard.example.com",
                                                        "10.0.0.5:6068"]
    star = _firing_service(allowed_hosts=["*"])

    async def scenario():
        async with TestClient(TestServer(svc.app())) as client:
            for host, status in (("wallboard.example.com:8443", 200), ("10.0.0.5:6068", 200),
                                 ("10.0.0.5:80", 421), ("other.example.com", 421)):
                r = await client.get("/api/v1/health", headers={"Host": host})
                assert r.status == status, host
        async with TestClient(TestServer(star.app())) as client:
            r = await client.get("/api/v1/health", headers={"Host": "anything.example"})
            assert r.status == 200

    run_async(scenario())


def test_the_listen_address_is_accepted_and_host_names_are_parsed_strictly():
    from alerts.config.hosts import accepts, split_host

    settings = parse_alerts({"host": "10.1.2.3"})
    assert accepts("10.1.2.3:6068", settings.accepted_hosts)
    assert not accepts("10.1.2.4:6068", settings.accepted_hosts)
    wildcard = parse_alerts({"host": "0.0.0.0"})
    assert not accepts("0.0.0.0:6068", wildcard.accepted_hosts)  # not a name to answer to
    assert split_host("[0:0::1]:80") == ("::1", 80) and split_host("[::1]x") is None
    assert split_host("a:b") is None and split_host("a:99999") is None and split_host("") is None
    assert not accepts(None, settings.accepted_hosts)


@pytest.mark.parametrize(("value", "message"), [
    ("localhost", "alerts.allowed_hosts: expected a list"),
    (["ok.example", "bad host"], "alerts.allowed_hosts[1]: expected a host name"),
    (["http://x.example/"], "alerts.allowed_hosts[0]: expected a host name"),
    (["x.example:0"], "alerts.allowed_hosts[0]: expected a host name"),
    ([7], "alerts.allowed_hosts[0]: expected a host name"),
])
def test_allowed_hosts_is_validated(value, message):
    with pytest.raises(ConfigError) as err:
        parse_alerts({"allowed_hosts": value})
    assert str(err.value).startswith(message)


def test_mutating_calls_need_application_json_else_415():
    svc = _firing_service()
    fp = svc.engine.view(T0)["active"][0]["fingerprint"]
    body = b'{"by": "lead", "for": "30m"}'

    async def scenario():
        async with TestClient(TestServer(svc.app())) as client:
            # what a cross-site form or fetch() without a preflight can send
            for ctype in ("text/plain", "application/x-www-form-urlencoded",
                          "multipart/form-data; boundary=x", None):
                headers = {**AUTH, **({"Content-Type": ctype} if ctype else {})}
                r = await client.post(f"/api/v1/alerts/{fp}/ack", data=body, headers=headers)
                assert r.status == 415, ctype
                assert (await r.json())["error"].startswith(
                    "Content-Type: POST needs application/json")
            r = await client.delete("/api/v1/silences/x", headers=AUTH)
            assert r.status == 415
            assert svc.engine.instances[fp].acked_until is None  # nothing was applied
            r = await client.post(f"/api/v1/alerts/{fp}/ack", data=body, headers={
                **AUTH, "Content-Type": "application/json; charset=utf-8"})
            assert r.status == 200
            r = await client.get("/api/v1/alerts")  # a GET needs no Content-Type
            assert r.status == 200

    run_async(scenario())


def test_request_fields_cannot_forge_log_lines(caplog):
    from alerts.api_checks import loggable

    svc = _firing_service()
    fp = svc.engine.view(T0)["active"][0]["fingerprint"]
    forged = "lead\n2027-01-15 08:00:00,000 CRITICAL alerts: database wiped\r\x1b[2J\u2028x"

    async def scenario():
        async with TestClient(TestServer(svc.app())) as client:
            r = await client.post(f"/api/v1/alerts/{fp}/ack", headers=AUTH,
                                  json={"by": forged, "for": "30m"})
            assert r.status == 200
            r = await client.post("/api/v1/silences", headers=AUTH, json={
                "matchers": ['segment="bill\ning"'], "for": "1h", "author": forged,
                "comment": "deploy\nCRITICAL forged"})
            assert r.status == 201
            r = await client.delete("/api/v1/silences/x%0ACRITICAL%20forged",
                                    headers={**AUTH, **JSON})
            assert r.status == 404

    with caplog.at_level(logging.INFO, logger="wallboard.alerts"):
        run_async(scenario())
    messages = [r.getMessage() for r in caplog.records if r.name == "wallboard.alerts"]
    assert any("ack" in m and "lead\\n2027-01-15" in m for m in messages), messages
    assert any("silence" in m and "deploy\\nCRITICAL forged" in m and 'bill\\ning' in m
               for m in messages), messages
    for m in messages:
        assert m.isprintable(), repr(m)  # no newline, carriage return, escape, separator
    assert "\\r\\x1b[2J\\u2028x" in loggable(forged)


def test_loggable_keeps_text_and_bounds_it():
    from alerts.api_checks import loggable

    assert loggable("billing · 队列 ü") == "billing · 队列 ü"
    assert loggable("a" * 300, limit=10) == "a" * 10 + "..."
    assert loggable("\x00\x7f\x85\t") == "\\x00\\x7f\\x85\\t"

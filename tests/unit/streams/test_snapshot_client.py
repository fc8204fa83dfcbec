"""streams.snapshot_client against a real local HTTP server (tests.support.JsonHttpServer):
the document or one short reason, never the URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.clients import free_port
from streams.snapshot_client import MAX_DOCUMENT_BYTES, FetchError, JsonClient, describe_error
from tests.support import JsonHttpServer


@pytest.fixture
def server() -> Iterator[JsonHttpServer]:
    srv = JsonHttpServer(b'{"as_of": "2026-11-22T01:00:00Z", "segments": {}}')
    yield srv
    srv.stop()


def reason(client: JsonClient, **kwargs: bool) -> str:
    with pytest.raises(FetchError) as info:
        client.get(**kwargs)
    return str(info.value)


def test_a_good_object_is_decoded(server):
    client = JsonClient(server.url, timeout_s=2.0)
    assert client.get() == {"as_of": "2026-11-22T01:00:00Z", "segments": {}}
    assert server.requests == 1
    assert client.max_bytes == MAX_DOCUMENT_BYTES


def test_a_list_only_with_accept_list(server):
    server.body = b'[{"id": 1}, {"id": 2}]'
    client = JsonClient(server.url, timeout_s=2.0)
    assert reason(client) == "snapshot is a JSON list, not an object"
    assert client.get(accept_list=True) == [{"id": 1}, {"id": 2}]
    server.body = b'"text"'
    assert reason(client, accept_list=True) == "snapshot is a JSON str, not an object"


def test_invalid_json(server):
    server.body = b'{"segments": '
    text = reason(JsonClient(server.url, timeout_s=2.0))
    assert text.startswith("invalid JSON: "), text
    assert server.url not in text


def test_too_large(server):
    server.body = b'{"a": "12345"}'  # 14 bytes
    assert reason(JsonClient(server.url, timeout_s=2.0, max_bytes=13)) == \
        "snapshot larger than 13 bytes"
    assert JsonClient(server.url, timeout_s=2.0, max_bytes=14).get() == {"a": "12345"}


def test_an_http_error_is_its_status_line(server):
    server.status = 503
    assert reason(JsonClient(server.url, timeout_s=2.0)) == "HTTP 503 Service Unavailable"
    server.status = 404
    assert reason(JsonClient(server.url, timeout_s=2.0)) == "HTTP 404 Not Found"


def test_connection_refused():
    url = f"http://127.0.0.1:{free_port()}/api/v1/snapshot"
    assert reason(JsonClient(url, timeout_s=2.0)) == "connection refused"


def test_timeout(server):
    server.delay_s = 1.0
    assert reason(JsonClient(server.url, timeout_s=0.2)) == "timed out"


def test_env_proxies_are_ignored_unless_asked(server, monkeypatch):
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{free_port()}")
    assert JsonClient(server.url, timeout_s=2.0).get()["segments"] == {}
    assert reason(JsonClient(server.url, timeout_s=2.0, use_env_proxies=True)) == \
        "connection refused"  # the proxy's port: nothing listens there


def test_the_timeout_must_be_positive():
    with pytest.raises(ValueError, match="timeout_s must be > 0"):
        JsonClient("http://127.0.0.1:1/", timeout_s=0)


@pytest.mark.parametrize(("exc", "text"), [
    (TimeoutError(), "timed out"),
    (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
    (ConnectionResetError(104, "Connection reset by peer"), "connection reset by peer"),
    (OSError("no strerror"), "no strerror"),
    (ValueError(), "ValueError"),
])
def test_describe_error_is_one_short_reason(exc, text):
    assert describe_error(exc) == text

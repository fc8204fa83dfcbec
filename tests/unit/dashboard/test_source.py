"""SnapshotPoller against a real local HTTP server (stdlib, port 0, own thread)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest

from dashboard.source import SnapshotPoller
from tests.support import JsonHttpServer, wait_until

GOOD = {"as_of": "2026-11-22T01:15:00Z", "segments": {"all": {"now": {"waiting": 3}}}}


class FakeClock:
    def __init__(self, t: float = 1_795_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def server() -> Iterator[JsonHttpServer]:
    srv = JsonHttpServer(json.dumps(GOOD).encode())
    yield srv
    srv.stop()


def soon(predicate: Callable[[], bool], what: str) -> None:
    wait_until(predicate, timeout=5.0, every=0.02, what=what)


def test_nothing_before_first_poll(server):
    poller = SnapshotPoller(server.url)
    assert poller.latest() == (None, None, None)


def test_poll_once_good_snapshot(server):
    clock = FakeClock()
    poller = SnapshotPoller(server.url, now=clock)
    assert poller.poll_once() is True
    assert poller.latest() == (GOOD, clock.t, None)


def test_server_stops_last_good_kept_and_error_recorded(server):
    clock = FakeClock()
    poller = SnapshotPoller(server.url, now=clock)
    assert poller.poll_once()
    fetched_at = clock.t

    server.stop()
    clock.t += 10
    assert poller.poll_once() is False
    snapshot, at, error = poller.latest()
    assert snapshot == GOOD
    assert at == fetched_at  # the fetch time of the last *good* snapshot
    assert error == "connection refused"


def test_recovery_clears_the_error(server):
    clock = FakeClock()
    poller = SnapshotPoller(server.url, now=clock)
    server.status = 503
    assert poller.poll_once() is False
    assert poller.latest() == (None, None, "HTTP 503 Service Unavailable")

    server.status = 200
    clock.t += 1
    assert poller.poll_once() is True
    assert poller.latest() == (GOOD, clock.t, None)


@pytest.mark.parametrize(
    ("body", "error_start"),
    [
        (b"not json", "invalid JSON"),
        (b"[1, 2]", "snapshot is a JSON list, not an object"),
        (b"null", "snapshot is a JSON NoneType, not an object"),
    ],
)
def test_bad_payload_keeps_last_good(server, body, error_start):
    poller = SnapshotPoller(server.url, now=FakeClock())
    assert poller.poll_once()
    server.body = body
    assert poller.poll_once() is False
    snapshot, _, error = poller.latest()
    assert snapshot == GOOD
    assert error is not None and error.startswith(error_start)


def test_timeout_is_an_error_not_a_hang(server):
    # the answer would come long after the timeout: a poller that waited for it would
    # report the snapshot, not "timed out"
    server.delay_s = 3.0
    poller = SnapshotPoller(server.url, timeout_s=0.2)
    assert poller.poll_once() is False
    assert poller.latest() == (None, None, "timed out")


def test_unresolvable_url_is_recorded():
    poller = SnapshotPoller("http://127.0.0.1:9/none", timeout_s=0.3)  # discard port: closed
    assert poller.poll_once() is False
    assert poller.latest()[2]


def test_background_thread_polls_and_survives_outage(server):
    poller = SnapshotPoller(server.url, interval_s=0.05, timeout_s=0.5)
    poller.start()
    try:
        soon(lambda: poller.latest()[0] == GOOD, "the first snapshot")
        soon(lambda: server.requests >= 3, "three polls")  # it keeps polling
        first_fetch = poller.latest()[1]
        assert first_fetch is not None
        assert abs(first_fetch - time.time()) < 5  # default clock: epoch seconds

        server.stop()
        # a poll cut mid-request may first report "connection reset by peer"
        soon(lambda: poller.latest()[2] == "connection refused", "the outage recorded")
        assert poller.latest()[0] == GOOD
        assert poller._thread is not None and poller._thread.is_alive()
    finally:
        poller.stop()
    assert poller._thread is None


def test_start_is_idempotent_and_stop_is_prompt(server):
    poller = SnapshotPoller(server.url, interval_s=30)
    poller.start()
    thread = poller._thread
    poller.start()
    assert poller._thread is thread
    soon(lambda: poller.latest()[0] is not None, "the first snapshot")
    poller.stop()  # waits up to 2 s for the thread: it must not sleep out the 30 s interval
    assert thread is not None and not thread.is_alive()


def test_broken_clock_does_not_kill_the_thread(server):
    calls = {"n": 0}

    def clock() -> float:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("clock broke")
        return 42.0

    poller = SnapshotPoller(server.url, interval_s=0.05, now=clock).start()
    try:
        soon(lambda: poller.latest()[1] == 42.0, "a fetch after the broken clock")
    finally:
        poller.stop()


@pytest.mark.parametrize("kwargs", [{"interval_s": 0}, {"timeout_s": -1}])
def test_invalid_settings(kwargs):
    with pytest.raises(ValueError):
        SnapshotPoller("http://127.0.0.1:1/", **kwargs)


def test_env_proxy_is_ignored_by_default(server, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("no_proxy", "")
    assert SnapshotPoller(server.url).poll_once() is True


def test_listeners_get_each_good_snapshot_with_its_as_of(server):
    got = []
    poller = SnapshotPoller(server.url, now=FakeClock())
    poller.add_listener(lambda snap, t: got.append((snap["segments"]["all"]["now"]["waiting"],
                                                    t)))
    poller.add_listener(lambda snap, t: 1 / 0)  # a broken listener is ignored
    assert poller.poll_once() is True
    from datetime import UTC, datetime

    assert got == [(3, datetime(2026, 11, 22, 1, 15, tzinfo=UTC).timestamp())]
    server.body = json.dumps({"segments": {"all": {"now": {"waiting": 4}}}}).encode()
    assert poller.poll_once() is True
    assert got[1] == (4, 1_795_000_000.0)  # no as_of: the fetch time
    server.status = 500
    assert poller.poll_once() is False
    assert len(got) == 2  # failures are not passed on


def test_a_json_list_only_when_accepted(server):
    server.body = b'[{"name": "SLLow"}]'
    assert SnapshotPoller(server.url).poll_once() is False
    alerts = SnapshotPoller(server.url, accept_list=True)
    assert alerts.poll_once() is True
    assert alerts.latest()[0] == [{"name": "SLLow"}]

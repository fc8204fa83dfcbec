"""``wallboard demo``: it waits for each URL to answer, says which never did, and exits 1."""

from __future__ import annotations


def test_wait_for_http_returns_once_the_server_answers():
    import socket
    import threading

    from tests.support import JsonHttpServer
    from wallboard.commands.demo import wait_for_http

    with socket.socket() as probe:  # a free port, answered only after a delay
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    servers: list[JsonHttpServer] = []
    timer = threading.Timer(1.0, lambda: servers.append(JsonHttpServer(b"{}", port=port)))
    timer.start()
    try:
        url = f"http://127.0.0.1:{port}/api/v1/health"
        assert wait_for_http(url, timeout_s=30, poll_s=0.1) is True
        assert servers and servers[0].requests >= 1
    finally:
        timer.join()
        for server in servers:
            server.stop()


def test_wait_for_http_needs_a_2xx_answer_and_gives_up():
    from tests.support import JsonHttpServer
    from wallboard.commands.demo import wait_for_http

    server = JsonHttpServer(b"{}", status=503)
    try:
        assert wait_for_http(server.url, timeout_s=1.0, poll_s=0.1) is False
        assert server.requests >= 2  # it kept asking
        server.status = 200
        assert wait_for_http(server.url, timeout_s=10, poll_s=0.1) is True
    finally:
        server.stop()


def test_wait_for_http_stops_when_the_process_is_gone():
    from wallboard.commands.demo import wait_for_http

    calls = []

    def alive() -> bool:
        calls.append(1)
        return False

    assert wait_for_http("http://127.0.0.1:9/", timeout_s=60, poll_s=0.1, alive=alive) is False
    assert calls


def fake_demo(tmp_path, monkeypatch, answering: set[str]) -> list[str]:
    """Fake every part of the demo except its waiting and reporting; returns the URLs that
    the demo waits for, in order (those containing a word of ``answering`` answer)."""
    import argparse

    from wallboard.commands import demo as cli

    class FakeBroker:
        class spec:  # noqa: N801 - mimics the attribute
            state_dir = tmp_path / "kafka"

        def status(self):
            return argparse.Namespace(running=True)

        def start(self) -> None:
            pass

        def stop(self) -> None:
            pass

    class FakeProc:
        pid = 4242
        returncode = None

        def __init__(self, argv, **kwargs) -> None:
            self.argv = argv

        def poll(self):
            return None

        def send_signal(self, sig) -> None:
            pass

        def wait(self, timeout=None) -> int:
            return 0

    asked: list[str] = []

    def fake_wait(url: str, *, timeout_s: float, alive=None, poll_s: float = 0.25) -> bool:
        assert timeout_s == cli.DEMO_WAIT_S and alive is not None and alive()
        asked.append(url)
        return any(word in url for word in answering)

    monkeypatch.setattr(cli, "broker_for", lambda settings, args: FakeBroker())
    monkeypatch.setattr(cli, "ensure_topics", lambda *a, **k: None)
    monkeypatch.setattr(cli.subprocess, "Popen", FakeProc)
    monkeypatch.setattr(cli, "wait_for_http", fake_wait)
    monkeypatch.setattr(cli, "terminate_as_interrupt", lambda: None)
    return asked


def demo_args():
    import argparse

    return argparse.Namespace(config=None, rate=1.0, duration=0.2, keep_kafka=True,
                              state_dir=None)


def test_demo_says_which_url_never_answered_and_exits_1(tmp_path, capsys, monkeypatch):
    from wallboard.commands import demo as cli
    from wallboard.settings import Settings

    asked = fake_demo(tmp_path, monkeypatch, answering={"health"})  # not the dashboard
    assert cli.cmd_demo(Settings(), demo_args()) == 1
    out, err = capsys.readouterr()
    assert asked == ["http://127.0.0.1:6066/api/v1/health", "http://127.0.0.1:8050/"]
    assert "snapshot:   http://127.0.0.1:6066/api/v1/snapshot" in out  # the worker answered
    assert "wallboard:" not in out  # never printed: it never answered
    log = tmp_path / "logs" / "dashboard.log"
    assert err.strip() == (f"demo: the dashboard did not answer at http://127.0.0.1:8050/ "
                           f"within {cli.DEMO_WAIT_S:.0f} s; see its log: {log}")


def test_demo_prints_each_url_after_it_answered(tmp_path, capsys, monkeypatch):
    from wallboard.commands import demo as cli
    from wallboard.settings import Settings

    asked = fake_demo(tmp_path, monkeypatch, answering={"health", "8050"})
    assert cli.cmd_demo(Settings(), demo_args()) == 0
    out, err = capsys.readouterr()
    assert asked == ["http://127.0.0.1:6066/api/v1/health", "http://127.0.0.1:8050/",
                     "http://127.0.0.1:6068/api/v1/health"]
    lines = [line.strip() for line in out.splitlines()]
    assert lines.index("snapshot:   http://127.0.0.1:6066/api/v1/snapshot") \
        < lines.index("wallboard:  http://127.0.0.1:8050/") \
        < lines.index("alerts:     http://127.0.0.1:6068/api/v1/alerts") \
        < lines.index("Press Ctrl-C to stop everything.")
    assert err == ""

"""``wallboard demo``: it waits for each URL to answer, says which never did, and exits 1;
its port, state and surge flags reach every process it starts. (The real demo, run by
``scripts/run.sh``, is tests/browser/test_demo.py.)"""

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
    from tests.support import JsonHttpServer
    from wallboard.commands.demo import wait_for_http

    calls = []

    def alive() -> bool:
        calls.append(1)
        return False

    server = JsonHttpServer(b"{}")  # it would answer: the dead process is asked first
    try:
        assert wait_for_http(server.url, timeout_s=60, poll_s=0.1, alive=alive) is False
        assert calls == [1] and server.requests == 0
    finally:
        server.stop()


def fake_demo(tmp_path, monkeypatch, answering: set[str]) -> tuple[list[str], list[list[str]]]:
    """Fake every part of the demo except its waiting and reporting; returns the URLs that
    the demo waits for, in order (those containing a word of ``answering`` answer), and the
    command lines it starts."""
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
            spawned.append(argv)

        def poll(self):
            return None

        def send_signal(self, sig) -> None:
            pass

        def wait(self, timeout=None) -> int:
            return 0

    asked: list[str] = []
    spawned: list[list[str]] = []

    def fake_wait(url: str, *, timeout_s: float, alive=None, poll_s: float = 0.25) -> bool:
        assert timeout_s == cli.DEMO_WAIT_S and alive is not None and alive()
        asked.append(url)
        return any(word in url for word in answering)

    monkeypatch.setattr(cli, "broker_for", lambda settings, args: FakeBroker())
    monkeypatch.setattr(cli, "ensure_topics", lambda *a, **k: None)
    monkeypatch.setattr(cli.subprocess, "Popen", FakeProc)
    monkeypatch.setattr(cli, "wait_for_http", fake_wait)
    monkeypatch.setattr(cli, "terminate_as_interrupt", lambda: None)
    return asked, spawned


def demo_args(*flags: str):
    """The parsed ``wallboard demo --duration 0.2 --keep-kafka FLAGS``."""
    from wallboard.cli import build_parser

    return build_parser().parse_args(["demo", "--duration", "0.2", "--keep-kafka", *flags])


def test_demo_says_which_url_never_answered_and_exits_1(tmp_path, capsys, monkeypatch):
    from wallboard.commands import demo as cli
    from wallboard.settings import Settings

    asked, _ = fake_demo(tmp_path, monkeypatch, answering={"health"})  # not the dashboard
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

    asked, _ = fake_demo(tmp_path, monkeypatch, answering={"health", "8050"})
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


def test_the_port_state_and_surge_flags_reach_every_process(tmp_path, capsys, monkeypatch):
    from wallboard.commands import demo as cli
    from wallboard.settings import Settings

    asked, spawned = fake_demo(tmp_path, monkeypatch, answering={"health", "18050"})
    args = demo_args("--bootstrap", "127.0.0.1:19092", "--controller-port", "19093",
                     "--worker-port", "16066", "--board-port", "18050", "--alerts-port",
                     "16068", "--state-dir", str(tmp_path / "kafka"), "--surge-after", "0")
    settings = Settings().with_overrides({"kafka.bootstrap": args.bootstrap})  # as main() does
    assert cli.cmd_demo(settings, args) == 0
    assert asked == ["http://127.0.0.1:16066/api/v1/health", "http://127.0.0.1:18050/",
                     "http://127.0.0.1:16068/api/v1/health"]
    argv = {a[a.index("--bootstrap") - 1] if "--bootstrap" in a else "dashboard": a
            for a in spawned}
    assert all(a[a.index("--bootstrap") + 1] == "127.0.0.1:19092"
               for name, a in argv.items() if name != "dashboard")
    assert argv["worker"][argv["worker"].index("--port") + 1] == "16066"
    assert argv["alerts"][argv["alerts"].index("--port") + 1] == "16068"
    assert argv["simulate"][argv["simulate"].index("--surge-after") + 1] == "0"
    board = argv["dashboard"]
    assert board[board.index("--port") + 1] == "18050"
    assert board[board.index("--snapshot-url") + 1] == "http://127.0.0.1:16066/api/v1/snapshot"
    config = tmp_path / "demo" / "wallboard.toml"  # beside the state dir, like the logs
    assert board[board.index("--config") + 1] == str(config)
    assert 'alerts_url = "http://127.0.0.1:16068/api/v1/alerts"' in config.read_text()
    assert "alerts:     http://127.0.0.1:16068/api/v1/alerts" in capsys.readouterr().out


def test_the_broker_uses_the_bootstrap_port_and_the_controller_port():
    from wallboard.commands.kafka import broker_for
    from wallboard.settings import Settings

    args = demo_args("--bootstrap", "127.0.0.1:19092", "--controller-port", "19093",
                     "--state-dir", "/tmp/x/kafka")
    spec = broker_for(Settings().with_overrides({"kafka.bootstrap": args.bootstrap}), args).spec
    assert (spec.port, spec.ctrl_port, str(spec.state_dir)) == (19092, 19093, "/tmp/x/kafka")
    assert demo_args().surge_after == 120.0 and demo_args().alerts_port == 6068  # defaults


def test_the_sample_rules_only_when_the_config_has_no_alerts(tmp_path, monkeypatch):
    """A user --config with its own [alerts] is served as it is: merging the sample rules
    into it would refuse every key both set differently."""
    from alerts.config import parse_alerts
    from wallboard.commands import demo as cli
    from wallboard.settings import Settings

    _, spawned = fake_demo(tmp_path, monkeypatch, answering={"health", "8050"})
    assert cli.cmd_demo(Settings(), demo_args()) == 0
    (plain,) = [a for a in spawned if "alerts" in a]
    rules = plain[plain.index("--rules") + 1]
    assert rules.endswith("alerts/rules.example.toml")
    spawned.clear()
    own = Settings(alerts=parse_alerts({"port": 6068}, default_timezone="UTC"))
    assert cli.cmd_demo(own, demo_args()) == 0
    (mine,) = [a for a in spawned if "alerts" in a]
    assert "--rules" not in mine and mine[mine.index("--port") + 1] == "6068"

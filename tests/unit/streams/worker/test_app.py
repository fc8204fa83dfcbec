"""The Faust app as built for ``wallboard worker`` (no broker needed to build it)."""

from __future__ import annotations

import os
import socket
import stat
from dataclasses import replace

from infra.clients import port_free
from streams.config import WorkerSettings
from streams.worker import Runtime, create_app, state_dir
from wallboard.cli import main
from wallboard.settings import Settings


def test_faust_data_goes_under_the_state_dir_not_the_current_directory(tmp_path, monkeypatch):
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.chdir(readonly)
    settings = replace(Settings(), worker=WorkerSettings(app_id="t-app",
                                                         state_dir=str(tmp_path / "st")))
    app = create_app(settings)
    assert app.conf.datadir == tmp_path / "st" / "faust" / "t-app-data"
    assert (tmp_path / "st" / "faust").is_dir()
    assert os.listdir(readonly) == []
    assert isinstance(app.wallboard, Runtime)
    # Faust runs the process and our runtime service; its Kafka consumer, producer, sensors
    # and aiohttp stack stay off (the input is streams.kafka_io's, see docs/worker.md)
    started = list(app.boot_strategy.server())
    assert app.consumer not in started and app.topics not in started
    assert not any(type(s).__name__ == "Producer" for s in started)
    assert app.monitor not in started
    assert not app.agents
    assert app.wallboard.input is not None


def test_the_default_state_dir_is_the_project_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("WALLBOARD_HOME", str(tmp_path / "home"))
    assert state_dir(Settings()) == tmp_path / "home"


def test_worker_on_a_busy_port_is_one_line_and_exit_2(capsys, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert not port_free("127.0.0.1", port)
        code = main(["worker", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"wallboard worker: error: port {port} on 127.0.0.1 is already in use " \
                  "(worker.port)\n"

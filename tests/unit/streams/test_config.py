from __future__ import annotations

import dataclasses

import pytest

from streams.config import ConfigError, Settings, load_settings


def _load(tmp_path, text: str) -> Settings:
    path = tmp_path / "wallboard.toml"
    path.write_text(text)
    return load_settings(path)


def test_defaults_are_valid_and_match_the_contract():
    s = load_settings(None)
    assert s.kafka.topics() == {"cc.call-events": 6, "cc.agent-events": 3, "cc.dead-letter": 1}
    assert s.worker.port == 6066 and s.dashboard.port == 8050
    assert s.engine.timezone == "UTC" and s.engine.max_future_s == 300.0


def test_a_file_overrides_defaults_and_ints_become_floats(tmp_path):
    s = _load(tmp_path, '[kafka]\nbootstrap = "k1:9092,k2:9093"\n[engine]\nsl_threshold_s = 30\n'
                        'timezone = "Asia/Shanghai"\n')
    assert s.kafka.bootstrap == "k1:9092,k2:9093"
    assert s.engine.sl_threshold_s == 30.0 and isinstance(s.engine.sl_threshold_s, float)
    assert s.engine.tz.key == "Asia/Shanghai"
    assert s.worker == Settings().worker


@pytest.mark.parametrize(("text", "message"), [
    ("[worker]\nprot = 1\n", "worker.prot: unknown key"),
    ("[wrker]\nport = 1\n", "wrker: unknown section"),
    ("[worker]\nport = 70000\n", "worker.port: port must be 1..65535, got 70000"),
    ('[worker]\nport = "6066"\n', "worker.port: expected integer, got str '6066'"),
    ("[worker]\nport = true\n", "worker.port: expected integer, got boolean"),
    ('[kafka]\nbootstrap = "localhost"\n', "kafka.bootstrap: expected host:port"),
    ('[kafka]\ncall_topic = "bad topic"\n', "kafka.call_topic: not a valid Kafka topic name"),
    ("[kafka]\ncall_partitions = 0\n", "kafka.call_partitions: must be > 0"),
    ('[engine]\ntimezone = "Mars/Olympus"\n', "engine.timezone: unknown time zone"),
    ("[engine]\nsl_threshold_s = -1\n", "engine.sl_threshold_s: must be > 0"),
    ('[dashboard]\nsnapshot_url = "ftp://x"\n', "dashboard.snapshot_url: expected an http(s) URL"),
    ("[dashboard]\nrefresh_ms = 10\n", "dashboard.refresh_ms: must be >= 250"),
    ("worker = 3\n", "worker: expected a table"),
    ("[worker\n", "not valid TOML"),
])
def test_invalid_settings_name_the_key_and_the_file(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    assert message in str(err.value)
    assert str(err.value).startswith(str(tmp_path / "wallboard.toml"))


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path / "nope.toml")


def test_settings_are_immutable_and_overrides_are_validated():
    s = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.worker.port = 1  # type: ignore[misc]
    assert s.with_overrides({"worker.port": 7000, "kafka.bootstrap": None}).worker.port == 7000
    with pytest.raises(ConfigError, match="worker.port"):
        s.with_overrides({"worker.port": 0})

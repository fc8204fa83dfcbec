from __future__ import annotations

import dataclasses

import pytest

from streams.core.errors import ConfigError
from wallboard.settings import Settings, load_settings


def _load(tmp_path, text: str) -> Settings:
    path = tmp_path / "wallboard.toml"
    path.write_text(text)
    return load_settings(path)


def test_defaults_are_valid_and_match_the_contract():
    s = load_settings(None)
    assert s.kafka.topics() == {"cc.call-events": 6, "cc.agent-events": 3, "cc.dead-letter": 1,
                              "cc.state": 1, "cc.partials": 1, "cc.snapshots": 1}
    for topic in ("cc.state", "cc.partials", "cc.snapshots"):
        assert s.kafka.topic_configs()[topic]["cleanup.policy"] == "compact"
    assert s.worker.port == 6066 and s.dashboard.port == 8050
    assert s.engine.timezone == "UTC" and s.engine.max_future_s == 300.0


def test_a_file_overrides_defaults_and_ints_become_floats(tmp_path):
    s = _load(tmp_path, '[kafka]\nbootstrap = "k1:9092,k2:9093"\n[engine]\n'
                        'timezone = "Asia/Shanghai"\n[engine.defaults]\nsl_threshold_s = 30\n')
    assert s.kafka.bootstrap == "k1:9092,k2:9093"
    t = s.engine.defaults.sl_threshold_s
    assert t == 30.0 and isinstance(t, float)
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
    ("[engine.defaults]\nsl_threshold_s = -1\n", "engine.defaults.sl_threshold_s: must be >= 0"),
    ("[engine]\nsl_threshold_s = 20\n", "engine.sl_threshold_s: unknown key (known: defaults"),
    ('[engine]\nwindows = ["5m", "5x"]\n', "engine.windows[1]: expected a duration like"),
    ('[engine]\nwindows = ["5m", "5m"]\n', "engine.windows: '5m' is listed twice"),
    ('[engine]\nwindows = ["today"]\n', "engine.windows[0]: expected a duration"),
    ('[engine]\nwindows = ["25h"]\n', "engine.windows[0]: window length must be 1 s .. 24 h"),
    ('[engine]\nwindows = "5m"\n', "engine.windows: expected a list"),
    ("[engine]\nmax_lateness_s = -1\n", "engine.max_lateness_s: must be >= 0"),
    ("[engine]\nmax_visit_s = 0\n", "engine.max_visit_s: must be > 0"),
    ("[engine.defaults]\nsl_target = 1.5\n", "engine.defaults.sl_target: must be a fraction"),
    ('[engine.defaults]\nabandon_policy = "maybe"\n',
     "engine.defaults.abandon_policy: must be one of negative, ignore, positive, got 'maybe'"),
    ("[engine.defaults]\nshort_abandon_s = -2\n", "engine.defaults.short_abandon_s: must be >= 0"),
    ("[engine.defaults]\ndefault_aht_s = 0\n", "engine.defaults.default_aht_s: must be > 0"),
    ("[engine.defaults]\nsl_treshold_s = 1\n", "engine.defaults.sl_treshold_s: unknown key"),
    ('[engine.segments.vip]\nmatch = { tier = "vip" }\n', "engine.segments.vip.queues: required"),
    ('[engine.segments.vip]\nqueues = []\n', "engine.segments.vip.queues: expected a non-empty"),
    ('[engine.segments.vip]\nqueues = ["*"]\nmatch = { tier = 1 }\n',
     "engine.segments.vip.match.tier: expected a non-empty list of strings, got 1"),
    ('[engine.segments.vip]\nqueues = ["*"]\nmatch = "tier"\n', "engine.segments.vip.match: "
     "expected a table"),
    ('[engine.segments.vip]\nqueues = ["*"]\nsl_target = 0\n',
     "engine.segments.vip.sl_target: must be a fraction"),
    ('[engine.segments.vip]\nqueues = ["*"]\ncolour = "red"\n',
     "engine.segments.vip.colour: unknown key (known: abandon_policy, default_aht_s, match"),
    ('[engine.segments.all]\nqueues = ["billing"]\n', "engine.segments.all: 'all' holds every"),
    ('[engine.segments.today]\nqueues = ["*"]\n', "engine.segments.today: segment names"),
    ('[engine.segments."a b"]\nqueues = ["*"]\n', "engine.segments.a b: segment names"),
    ("[engine]\nsegments = 3\n", "engine.segments: expected tables"),
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


def test_engine_windows_defaults_and_segments(tmp_path):
    s = _load(tmp_path, """
[engine]
timezone = "Europe/Berlin"
windows = ["30s", "15m", "2h"]
max_lateness_s = 60
[engine.defaults]
sl_threshold_s = 30
abandon_policy = "ignore"
[engine.segments.vip]
queues = ["billing", "sales-*"]
match = { tier = "vip", language = ["zh", "en"] }
sl_threshold_s = 10
[engine.segments.all]
sl_target = 0.9
""")
    e = s.engine
    assert e.windows == (("30s", 30), ("15m", 900), ("2h", 7200))
    assert e.max_lateness_s == 60.0 and e.max_visit_s == 14400.0
    vip, everything = e.segments
    assert vip.queues == ("billing", "sales-*")
    assert vip.match == (("language", ("zh", "en")), ("tier", ("vip",)))
    # a segment's own settings start from [engine.defaults]
    assert vip.policy.sl_threshold_s == 10.0 and vip.policy.abandon_policy == "ignore"
    assert everything.queues == ("*",) and everything.policy.sl_target == 0.9
    assert e.policy_for("vip") is vip.policy and e.policy_for("billing") is e.defaults
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.defaults.sl_target = 0.5  # type: ignore[misc]


# -- settings that can never work are refused (hardening, issue 8) ---------------------------

@pytest.mark.parametrize(("text", "message"), [
    ('[kafka]\ndead_letter_topic = "cc.call-events"\n',
     "kafka.dead_letter_topic: 'cc.call-events' is already kafka.call_topic"),
    ('[kafka]\nagent_topic = "cc.call-events"\n',
     "kafka.agent_topic: 'cc.call-events' is already kafka.call_topic"),
    ('[kafka]\ncall_topic = "x"\nagent_topic = "y"\ndead_letter_topic = "y"\n',
     "kafka.dead_letter_topic: 'y' is already kafka.agent_topic"),
    ("[kafka]\nconnect_timeout_s = 0\n", "kafka.connect_timeout_s: must be > 0"),
    ("[kafka]\nconnect_timeout_s = nan\n", "kafka.connect_timeout_s: must be a finite number"),
    ("[engine]\nmax_future_s = nan\n", "engine.max_future_s: must be a finite number, got nan"),
    ("[engine]\nmax_future_s = inf\n", "engine.max_future_s: must be a finite number, got inf"),
    ("[engine]\nmax_lateness_s = inf\n", "engine.max_lateness_s: must be a finite number"),
    ("[engine]\nmax_lateness_s = -inf\n", "engine.max_lateness_s: must be a finite number"),
    ("[engine]\nmax_visit_s = nan\n", "engine.max_visit_s: must be a finite number"),
    ("[engine.defaults]\nsl_threshold_s = nan\n",
     "engine.defaults.sl_threshold_s: must be a finite number"),
    ("[engine.defaults]\nsl_target = nan\n", "engine.defaults.sl_target: must be a finite"),
    ("[engine.defaults]\ndefault_aht_s = inf\n",
     "engine.defaults.default_aht_s: must be a finite number"),
    ('[engine.segments.vip]\nqueues = ["*"]\ndefault_aht_s = nan\n',
     "engine.segments.vip.default_aht_s: must be a finite number"),
    ("[dashboard]\nstale_after_s = inf\n", "dashboard.stale_after_s: must be a finite"),
    ("[engine]\nmax_future_s = 1e300\n", "engine.max_future_s: must be > 0 and <= 86400"),
    ("[engine]\nmax_visit_s = 1e12\n", "engine.max_visit_s: must be > 0 and <= 604800"),
    ("[engine.defaults]\nsl_threshold_s = 1e9\n",
     "engine.defaults.sl_threshold_s: must be >= 0 and <= 86400"),
    ("[engine]\nmax_future_s = 123456789012345678901\n",
     "engine.max_future_s: number out of range"),
    ("[engine]\nmax_segments = 2\n", "engine.max_segments: must be >= 3"),
    ("[engine]\nmax_queues_per_agent = 0\n", "engine.max_queues_per_agent: must be >= 1"),
    ('[engine]\ntimezone = "Mars/Base"\n', "engine.timezone: unknown time zone 'Mars/Base'"),
    ('[engine]\ntimezone = "America"\n', "engine.timezone: unknown time zone 'America'"),
    ('[engine]\ntimezone = "../../etc/passwd"\n', "engine.timezone: unknown time zone"),
    ('[engine]\ntimezone = "' + "a" * 300 + '"\n', "engine.timezone: unknown time zone"),
    ('[engine.segments.other]\nqueues = ["*"]\n', "engine.segments.other: segment names"),
    ("[worker]\nsnapshot_interval_s = 0\n", "worker.snapshot_interval_s: must be >= 0.05"),
    ("[worker]\nshutdown_timeout_s = 600\n", "worker.shutdown_timeout_s: must be >= 1 and <= 60"),
    ('[worker]\napp_id = "../x"\n', "worker.app_id: expected letters, digits"),
    ('[worker]\nhost = "a\\u0000b"\n', "worker.host: must not contain a NUL"),
    ("[kafka]\ncall_partitions = 1000000\n", "kafka.call_partitions: must be > 0 and <= 10000"),
    ("[dashboard]\nhttp_timeout_s = 0.5\n", "dashboard.http_timeout_s: must be >= 1"),
    ("[worker]\nhttp_timeout_s = nan\n", "worker.http_timeout_s: must be a finite number"),
])
def test_settings_that_cannot_work_are_refused(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_config_file_that_is_not_utf8_is_one_line_naming_the_file(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('[engine]\ntimezone = "Europe/Zürich"\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value) == (f"{path}: not UTF-8 text (byte 29); TOML files must be UTF-8")


def test_overrides_refuse_non_finite_numbers():
    with pytest.raises(ConfigError, match="kafka.connect_timeout_s: must be a finite number"):
        Settings().with_overrides({"kafka.connect_timeout_s": float("inf")})

"""[alerts] validation: every error names its key; secrets never appear in reprs or dumps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts.config import load_alert_settings, parse_alerts
from streams.core.errors import ConfigError
from wallboard.settings import load_settings

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.parametrize(("data", "message"), [
    ({"rules": {"sl": {"figure": "windows.15m.service_level", "below": 0.8, "for": "2x"}}},
     "alerts.rules.sl.for: expected a duration"),
    ({"rules": {"sl": {"figure": "windows.15m.service_level", "below": 0.8,
                       "clear": 0.7}}}, "alerts.rules.sl.clear: must be >= the below"),
    ({"rules": {"w": {"figure": "now.oldest_wait_s", "above": 60, "clear": 90}}},
     "alerts.rules.w.clear: must be <= the firing threshold"),
    ({"rules": {"w": {"figure": "now.oldest_wait_s", "above": 60, "critical": 30}}},
     "alerts.rules.w.critical: must be >= the warning threshold"),
    ({"rules": {"w": {"figure": "now.oldest_wait_s", "above": 60, "below": 3}}},
     "alerts.rules.w: give exactly one of above or below"),
    ({"rules": {"w": {"figure": "queue.wait", "above": 60}}}, "alerts.rules.w.figure: expected"),
    ({"rules": {"w": {"figure": "windows.service_level", "above": 1}}},
     "alerts.rules.w.figure: expected"),
    ({"rules": {"w": {"figure": "now.waiting", "above": 5, "fro": "1m"}}},
     "alerts.rules.w.fro: unknown key"),
    ({"rules": {"w": {"kind": "magic"}}}, "alerts.rules.w.kind: must be one of"),
    ({"rules": {"w": {"figure": "now.waiting", "above": float("nan")}}},
     "alerts.rules.w.above: expected a finite number"),
    ({"rules": {"w": {"figure": "now.waiting", "above": 5, "on_no_data": "panic"}}},
     "alerts.rules.w.on_no_data: must be one of ok, keep_last, alerting"),
    ({"rules": {"s": {"kind": "surge", "p_warning": 1e-3, "p_critical": 1e-2}}},
     "alerts.rules.s.p_critical: must be smaller than p_warning"),
    ({"rules": {"s": {"kind": "surge", "bucket": "11m"}}}, "alerts.rules.s.bucket: must divide"),
    ({"rules": {"s": {"kind": "staffing", "gap": 0}}}, "alerts.rules.s.gap: must be >= 1"),
    ({"rules": {"bad name!": {"figure": "now.waiting", "above": 1}}}, "rule names are"),
    ({"schedules": {"q": {"open": ["mon-fry 08:00-18:00"]}}}, "alerts.schedules.q.open[0]:"),
    ({"schedules": {"q": {"quiet": ["25:00-07:00"]}}}, "alerts.schedules.q.quiet[0]: times"),
    ({"language": "fr"}, "alerts.language: must be one of en, zh-CN"),
    ({"timezone": "Mars/Base"}, "alerts.timezone: unknown time zone"),
    ({"api_token": "short"}, "alerts.api_token: expected a string of at least 16"),
    ({"delivery": {"apprise": ["not a url"]}}, "alerts.delivery.apprise[0]: expected an Apprise"),
    ({"delivery": {"alertmanager_url": "ftp://x"}}, "alerts.delivery.alertmanager_url:"),
    ({"delivery": {"max_attempts": 0}}, "alerts.delivery.max_attempts: must be >= 1"),
    ({"silences": [{"matchers": ["segment=~\"(\""], "starts": "2027-01-01T00:00:00Z",
                    "ends": "2027-01-02T00:00:00Z", "author": "a"}]},
     "alerts.silences[0].matchers[0]: bad regular expression"),
    ({"silences": [{"matchers": ["segment=\"b\""], "starts": "2027-01-02T00:00:00Z",
                    "ends": "2027-01-01T00:00:00Z", "author": "a"}]},
     "alerts.silences[0].ends: must be after starts"),
    ({"eval_interval": "0s"}, "alerts.eval_interval: must be between"),
    ({"colour": "red"}, "alerts.colour: unknown key"),
    ({"rules": {"w": {"figure": "now.waiting", "above": 5, "no_data_resolve": "x"}}},
     "alerts.rules.w.no_data_resolve: expected a duration"),
    ({"rules": {"f": {"kind": "feed_stalled", "stall_after": "0s"}}},
     "alerts.rules.f.stall_after: must be between 1 s"),
])
def test_errors_name_the_key(data, message):
    with pytest.raises(ConfigError) as err:
        parse_alerts(data)
    assert message in str(err.value)


def test_the_example_rule_file_is_valid_and_wallboard_toml_takes_an_alerts_section(tmp_path):
    example = load_alert_settings(ROOT / "alerts" / "rules.example.toml")
    assert {r.kind for r in example.rules} == {"surge", "threshold", "staffing", "feed_stalled"}
    path = tmp_path / "wallboard.toml"
    path.write_text('[engine]\ntimezone = "Asia/Shanghai"\n'
                    + (ROOT / "alerts" / "rules.example.toml").read_text()
                    .replace('timezone = "UTC"', ""))
    settings = load_settings(path)
    assert settings.alerts.timezone == "Asia/Shanghai"  # defaults to engine.timezone
    assert [r.name for r in settings.alerts.rules] == [r.name for r in example.rules]
    path.write_text('[alerts.rules.x]\nfigure = "now.waiting"\nabove = 1\nfor = "soon"\n')
    with pytest.raises(ConfigError, match=r"wallboard.toml: alerts.rules.x.for: expected"):
        load_settings(path)


def test_secrets_are_redacted_everywhere():
    s = parse_alerts({"api_token": "s3cret-token-0123456789",
                      "delivery": {"alertmanager_url": "https://user:pw@am.example/x?k=1",
                                   "apprise": ["slack://T000/B000/XXXXSECRET",
                                               "dingtalk://SECRETTOKEN/"]}})
    for text in (repr(s), repr(s.delivery), json.dumps(s.redacted()), str(s.delivery.redacted())):
        for secret in ("s3cret", "XXXXSECRET", "SECRETTOKEN", "pw@", "user"):
            assert secret not in text, text
    assert s.redacted()["delivery"]["apprise"] == ["slack://***", "dingtalk://***"]
    assert s.redacted()["delivery"]["alertmanager_url"] == "https://am.example/***"


def test_durations_and_defaults():
    s = parse_alerts({"rules": {"w": {"figure": "windows.5m.abandon_rate", "above": 0.2,
                                      "for": "90s", "keep_firing_for": 30}}})
    (r,) = s.rules
    assert (r.for_s, r.keep_firing_for_s, r.clear) == (90.0, 30.0, 0.2)
    assert r.volume == "windows.5m.offered"  # a window figure's volume is its own offered
    assert s.lease_s == 4 * s.eval_interval_s

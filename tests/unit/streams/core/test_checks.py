"""The shared checks: one duration parser, ranges, ports, topics, zones, typed sections."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from streams.core.checks import (
    check_port,
    check_range,
    check_timezone,
    check_topic,
    parse_duration,
    read_section,
    string_list,
)
from streams.core.errors import ConfigError


@pytest.mark.parametrize(("value", "seconds"), [
    ("90s", 90.0), ("2m", 120.0), ("1h", 3600.0), ("1d", 86400.0), ("500ms", 0.5),
    ("1.5m", 90.0), (" 15m ", 900.0), (30, 30.0), (2.5, 2.5),
])
def test_durations_in_every_unit(value, seconds):
    assert parse_duration("k", value) == seconds


@pytest.mark.parametrize("value", ["soon", "15", "15 m", "-1s", "1w", "", True, None, [1]])
def test_what_is_not_a_duration_names_the_key(value):
    with pytest.raises(ConfigError, match=r"^alerts\.for: expected a duration like"):
        parse_duration("alerts.for", value)


@pytest.mark.parametrize("value", ["0s", "8d", float("inf"), float("nan")])
def test_durations_outside_the_bounds(value):
    with pytest.raises(ConfigError, match=r"^k: must be between 1 s and 604800 s"):
        parse_duration("k", value, low=1)


def test_bounds_are_inclusive():
    assert parse_duration("k", "1s", low=1, high=60) == 1.0
    assert parse_duration("k", "1m", low=1, high=60) == 60.0


def test_range_port_and_topic_checks_name_the_key():
    check_range("k", 5, 0, 10)
    with pytest.raises(ConfigError, match=r"^k: must be > 0 and <= 10, got 0"):
        check_range("k", 0, 0, 10, low_open=True)
    with pytest.raises(ConfigError, match="must be >= 0"):
        check_range("k", float("nan"), 0, 10)
    with pytest.raises(ConfigError, match=r"^w\.port: port must be 1\.\.65535, got 0"):
        check_port("w.port", 0)
    check_topic("t", "cc.call-events_1")
    with pytest.raises(ConfigError, match="not a valid Kafka topic name"):
        check_topic("t", "a b")


@pytest.mark.parametrize("name", ["Mars/Base", "America", "../etc", ""])
def test_unknown_zones_are_config_errors(name):
    with pytest.raises(ConfigError, match=rf"^e\.timezone: unknown time zone {name!r}"):
        check_timezone("e.timezone", name)


def test_string_lists():
    assert string_list("k", ["a", "b"]) == ("a", "b")
    assert string_list("k", "a", allow_scalar=True) == ("a",)
    for bad in ([], "a", [""], [1]):
        with pytest.raises(ConfigError, match="^k: expected (a )?non-empty"):
            string_list("k", bad)


@dataclass(frozen=True)
class _Section:
    port: int = 1
    ratio: float = 0.5
    name: str = "x"

    def validate(self, section: str) -> None:
        check_port(f"{section}.port", self.port)


def test_read_section_checks_each_key_by_its_type():
    got = read_section("s", _Section, _Section(), {"port": 80, "ratio": 1, "name": "y"})
    assert got == _Section(80, 1.0, "y") and isinstance(got.ratio, float)
    for values, message in [
        ({"prot": 1}, r"^s\.prot: unknown key \(known: name, port, ratio\)"),
        ({"port": "80"}, r"^s\.port: expected integer, got str '80'"),
        ({"port": True}, r"^s\.port: expected integer, got boolean"),
        ({"ratio": float("inf")}, r"^s\.ratio: must be a finite number"),
        ({"name": "a\x00"}, r"^s\.name: must not contain a NUL"),
        ({"port": 0}, r"^s\.port: port must be"),
        ([], r"^s: expected a table, got list"),
    ]:
        with pytest.raises(ConfigError, match=message):
            read_section("s", _Section, _Section(), values)

"""The ``[alerts]`` section as a whole: :class:`AlertSettings`, its parser and rule files.

The process keys (time zone, language, evaluation interval, the snapshot source, the API's
address, names and token, the state topic, grouping and repeats, bounds) are read here; the
nested tables by their rooms (:mod:`.delivery`, :mod:`.rules`, :mod:`.schedules`,
:mod:`.silences`, :mod:`.hosts`). :func:`load_alert_settings` reads a rule file of its own,
:func:`merge_rule_file` lays one over the ``[alerts]`` of the settings file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from streams.core.checks import WEEK_S, check_timezone, check_topic, parse_duration
from streams.core.errors import ConfigError

from .delivery import DeliverySettings, parse_delivery
from .fields import Field, Keys, choice, http_url, number, redact_url, strings
from .hosts import ANY_HOST, HostName, accepted_names, parse_allowed_hosts
from .rules import Rule, parse_rule
from .schedules import ScheduleSpec, parse_schedule
from .silences import ConfiguredSilence, parse_silence

__all__ = ["LANGUAGES", "AlertSettings", "load_alert_settings", "merge_rule_file",
           "parse_alerts"]

LANGUAGES = ("en", "zh-CN")


@dataclass(frozen=True)
class AlertSettings:
    timezone: str = "UTC"
    language: str = "en"
    eval_interval_s: float = 10.0
    source: str = "http://127.0.0.1:6066/api/v1/snapshot"
    source_timeout_s: float = 5.0
    board_url: str = "http://127.0.0.1:8050/"
    host: str = "127.0.0.1"
    port: int = 6068
    api_token: str = field(default="", repr=False)
    allowed_hosts: tuple[str, ...] = ()  # beside localhost, 127.0.0.1, ::1 and host
    topic: str = "cc.alerts"
    state: str = "kafka"  # kafka | memory
    group_by: tuple[str, ...] = ("alertname",)
    repeat_interval_s: float = 3600.0
    send_resolved: bool = True
    lease_evaluations: int = 4
    resolved_retention_s: float = 900.0
    max_instances: int = 5000
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    rules: tuple[Rule, ...] = ()
    schedules: tuple[ScheduleSpec, ...] = ()
    silences: tuple[ConfiguredSilence, ...] = ()

    @property
    def any_host(self) -> bool:
        """``allowed_hosts = ["*"]``: the API answers whatever ``Host`` a request names."""
        return ANY_HOST in self.allowed_hosts

    @property
    def accepted_hosts(self) -> tuple[HostName, ...]:
        """The names the API answers to (:mod:`alerts.config.hosts`)."""
        return accepted_names(self.host, self.allowed_hosts)

    @property
    def lease_s(self) -> float:
        """``endsAt = now + lease_s`` on every firing notification (a dead sender resolves)."""
        return self.lease_evaluations * self.eval_interval_s

    def redacted(self) -> dict[str, Any]:
        """The settings for logs and ``/api``: no secret in it."""
        return {"timezone": self.timezone, "language": self.language,
                "eval_interval_s": self.eval_interval_s, "source": redact_url(self.source),
                "board_url": self.board_url, "host": self.host, "port": self.port,
                "api_token": "***" if self.api_token else "",
                "allowed_hosts": list(self.allowed_hosts), "topic": self.topic,
                "state": self.state, "group_by": list(self.group_by),
                "repeat_interval_s": self.repeat_interval_s,
                "send_resolved": self.send_resolved, "lease_s": self.lease_s,
                "delivery": self.delivery.redacted(),
                "rules": [r.name for r in self.rules],
                "schedules": [s.name for s in self.schedules]}

    def __repr__(self) -> str:
        return f"AlertSettings({self.redacted()})"


def _host(key: str, host: Any) -> str:
    if not isinstance(host, str) or not host:
        raise ConfigError(f"{key}: expected an address, got {host!r}")
    return host


def _token(key: str, token: Any) -> str:
    if not isinstance(token, str) or (token and len(token) < 16):
        raise ConfigError(f"{key}: expected a string of at least 16 characters "
                          "(or \"\": mutating calls refused)")
    return token


def _state(key: str, state: Any) -> str:
    if state not in ("kafka", "memory"):
        raise ConfigError(f"{key}: must be kafka or memory, got {state!r}")
    return state


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    return value


def _between(low: float, high: float) -> Callable[[str, Any], float]:
    return lambda k, v: parse_duration(k, v, low=low, high=high)


def _whole(low: float, high: float) -> Callable[[str, Any], int]:
    return lambda k, v: int(number(k, v, low, high))


# the keys after timezone, in the order they are checked
_FIELDS: tuple[Field, ...] = (
    ("language", "language", lambda k, v: choice(k, v, LANGUAGES)),
    ("eval_interval", "eval_interval_s", _between(0.1, 3600)),
    ("source", "source", http_url),
    ("source_timeout", "source_timeout_s", _between(0.1, 120)),
    ("board_url", "board_url", http_url),
    ("host", "host", _host),
    ("port", "port", _whole(1, 65535)),
    ("api_token", "api_token", _token),
    ("allowed_hosts", "allowed_hosts", parse_allowed_hosts),
    ("topic", "topic", check_topic),
    ("state", "state", _state),
    ("group_by", "group_by", lambda k, v: strings(k, v, allow_empty=True)),
    ("repeat_interval", "repeat_interval_s", _between(1, WEEK_S)),
    ("send_resolved", "send_resolved", _flag),
    ("lease_evaluations", "lease_evaluations", _whole(2, 1000)),
    ("resolved_retention", "resolved_retention_s", parse_duration),
    ("max_instances", "max_instances", _whole(1, 1_000_000)),
    ("delivery", "delivery", parse_delivery),
)


def _named(t: Keys, name: str, parse: Callable[[str, str, Any], Any]) -> tuple:
    """The tables ``[<key>.<name>.NAME]``, each through ``parse(NAME, its key, table)``."""
    key = t.key
    tables = t.pop(name, {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{key}.{name}: expected tables [{key}.{name}.NAME]")
    return tuple(parse(n, f"{key}.{name}.{n}", v) for n, v in tables.items())


def _silences(t: Keys) -> tuple[ConfiguredSilence, ...]:
    key = t.key
    silences = t.pop("silences", [])
    if not isinstance(silences, list):
        raise ConfigError(f"{key}.silences: expected an array of tables [[{key}.silences]]")
    return tuple(parse_silence(f"{key}.silences[{i}]", s) for i, s in enumerate(silences))


def parse_alerts(data: Any, key: str = "alerts", *, default_timezone: str = "UTC"
                 ) -> AlertSettings:
    """Build :class:`AlertSettings` from the ``[alerts]`` table (``key`` prefixes errors)."""
    t = Keys(key, data)
    tz = t.pop("timezone", default_timezone)
    if not isinstance(tz, str):
        raise ConfigError(f"{key}.timezone: expected an IANA zone name, got {tz!r}")
    check_timezone(f"{key}.timezone", tz)
    args: dict[str, Any] = {"timezone": tz}
    t.read(_FIELDS, args)
    args["rules"] = _named(t, "rules", parse_rule)
    args["schedules"] = _named(t, "schedules", parse_schedule)
    args["silences"] = _silences(t)
    t.done()
    return AlertSettings(**args)


def _read_rule_file(path: Path) -> dict[str, Any]:
    """The alerts keys of a rule file: its ``[alerts]`` table, or its top level."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read rule file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return data["alerts"] if set(data) == {"alerts"} else data


def _parse_file(path: Path, data: dict[str, Any], default_timezone: str) -> AlertSettings:
    try:
        return parse_alerts(data, default_timezone=default_timezone)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_alert_settings(path: Path | str, *, default_timezone: str = "UTC") -> AlertSettings:
    """A rule file of its own: either an ``[alerts]`` table or the alerts keys at top level."""
    path = Path(path)
    return _parse_file(path, _read_rule_file(path), default_timezone)


# key of the table -> attribute of AlertSettings, for every key but ``rules``
_ATTRIBUTES = {"timezone": "timezone", **{key: attr for key, attr, _ in _FIELDS},
               "schedules": "schedules", "silences": "silences"}


def merge_rule_file(configured: AlertSettings | None, path: Path | str, *,
                    default_timezone: str = "UTC") -> AlertSettings:
    """``--rules FILE`` over the ``[alerts]`` of the settings file (``configured``; None:
    there is none). The file's rules replace the configured ones. Every other key keeps the
    configured value unless the file sets it to something else than the default; set to
    different non-default values in both, it is an error naming the key (never a silent
    choice: e.g. an ``api_token`` or ``[alerts.delivery]`` of the settings file stays)."""
    path = Path(path)
    defaults = AlertSettings(timezone=default_timezone)
    base = configured if configured is not None else defaults
    data = _read_rule_file(path)
    loaded = _parse_file(path, data, base.timezone)
    changes: dict[str, Any] = {"rules": loaded.rules}
    for key in data:
        attr = _ATTRIBUTES.get(key)
        if attr is None:
            continue
        mine, theirs, default = (getattr(s, attr) for s in (loaded, base, defaults))
        if mine in (default, theirs):
            continue
        if theirs != default:
            raise ConfigError(f"{path}: alerts.{key} is set here and, differently, in the "
                              "[alerts] of the settings file: set it in one of them")
        changes[attr] = mine
    return replace(base, **changes)

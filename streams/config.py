"""Validated, immutable settings from one TOML file (``wallboard.toml``).

Every section is a frozen dataclass; loading checks each key's type and range and rejects
unknown keys, so a typo is an error that names the key (``worker.prot: unknown key``) instead
of a silently ignored setting. Pure: no Kafka, Faust, Dash or HTTP imports.
"""

from __future__ import annotations

import tomllib
import types
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ConfigError",
    "DashboardSettings",
    "EngineSettings",
    "KafkaSettings",
    "Settings",
    "WorkerSettings",
    "load_settings",
]


class ConfigError(ValueError):
    """A setting is missing, unknown or invalid. ``str()`` names the key and the reason."""


def _check_port(key: str, value: int) -> None:
    if not 1 <= value <= 65535:
        raise ConfigError(f"{key}: port must be 1..65535, got {value}")


def _check_positive(key: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{key}: must be > 0, got {value}")


def _check_topic(key: str, value: str) -> None:
    ok = value and len(value) <= 249 and all(c.isalnum() or c in "._-" for c in value)
    if not ok:
        raise ConfigError(f"{key}: not a valid Kafka topic name: {value!r}")


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap: str = "127.0.0.1:9092"
    call_topic: str = "cc.call-events"
    agent_topic: str = "cc.agent-events"
    dead_letter_topic: str = "cc.dead-letter"
    call_partitions: int = 6
    agent_partitions: int = 3

    def validate(self, section: str) -> None:
        for server in self.bootstrap.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ConfigError(f"{section}.bootstrap: expected host:port[,host:port...], "
                                  f"got {self.bootstrap!r}")
            _check_port(f"{section}.bootstrap", int(port))
        for name in ("call_topic", "agent_topic", "dead_letter_topic"):
            _check_topic(f"{section}.{name}", getattr(self, name))
        for name in ("call_partitions", "agent_partitions"):
            _check_positive(f"{section}.{name}", getattr(self, name))

    def topics(self) -> dict[str, int]:
        """The contract's topics and their partition counts (dead letters: one partition)."""
        return {self.call_topic: self.call_partitions, self.agent_topic: self.agent_partitions,
                self.dead_letter_topic: 1}


@dataclass(frozen=True)
class WorkerSettings:
    app_id: str = "cc-wallboard"
    host: str = "127.0.0.1"
    port: int = 6066

    def validate(self, section: str) -> None:
        if not self.app_id:
            raise ConfigError(f"{section}.app_id: must not be empty")
        _check_port(f"{section}.port", self.port)


@dataclass(frozen=True)
class DashboardSettings:
    host: str = "127.0.0.1"
    port: int = 8050
    snapshot_url: str = "http://127.0.0.1:6066/api/v1/snapshot"
    refresh_ms: int = 1000
    stale_after_s: float = 5.0

    def validate(self, section: str) -> None:
        _check_port(f"{section}.port", self.port)
        if not self.snapshot_url.startswith(("http://", "https://")):
            raise ConfigError(f"{section}.snapshot_url: expected an http(s) URL, "
                              f"got {self.snapshot_url!r}")
        if self.refresh_ms < 250:
            raise ConfigError(f"{section}.refresh_ms: must be >= 250, got {self.refresh_ms}")
        _check_positive(f"{section}.stale_after_s", self.stale_after_s)


@dataclass(frozen=True)
class EngineSettings:
    timezone: str = "UTC"
    sl_threshold_s: float = 20.0
    max_future_s: float = 300.0

    def validate(self, section: str) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"{section}.timezone: unknown time zone {self.timezone!r}") from None
        _check_positive(f"{section}.sl_threshold_s", self.sl_threshold_s)
        _check_positive(f"{section}.max_future_s", self.max_future_s)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Settings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)

    def with_overrides(self, overrides: dict[str, Any]) -> Settings:
        """Apply ``{"section.key": value}`` overrides (from CLI flags), validated the same way."""
        nested: dict[str, dict[str, Any]] = {}
        for dotted, value in overrides.items():
            if value is None:
                continue
            section, _, key = dotted.partition(".")
            nested.setdefault(section, {})[key] = value
        return _build(nested, base=self)


def _type_name(tp: Any) -> str:
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(tp, str(tp))


def _coerce(key: str, tp: Any, value: Any) -> Any:
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in (int, float) and isinstance(value, bool):
        raise ConfigError(f"{key}: expected {_type_name(tp)}, got boolean")
    if not isinstance(value, tp):
        raise ConfigError(f"{key}: expected {_type_name(tp)}, got {type(value).__name__} "
                          f"{value!r}")
    return value


def _section(name: str, cls: type, base: Any, values: Any) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{name}: expected a table, got {type(values).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    changes = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{name}.{key}: unknown key (known: {', '.join(sorted(known))})")
        tp = hints[key]
        if isinstance(tp, types.UnionType):  # pragma: no cover - no optional settings yet
            tp = tuple(a for a in typing.get_args(tp) if a is not type(None))
        changes[key] = _coerce(f"{name}.{key}", tp, value)
    obj = replace(base, **changes)
    obj.validate(name)
    return obj


_SECTIONS = {"kafka": KafkaSettings, "worker": WorkerSettings, "dashboard": DashboardSettings,
             "engine": EngineSettings}


def _build(data: dict[str, Any], base: Settings) -> Settings:
    parts = {}
    for name, values in data.items():
        if name not in _SECTIONS:
            raise ConfigError(f"{name}: unknown section (known: {', '.join(sorted(_SECTIONS))})")
        parts[name] = _section(name, _SECTIONS[name], getattr(base, name), values)
    return replace(base, **parts)


def load_settings(path: Path | str | None = None) -> Settings:
    """Read and validate ``path`` (TOML); ``None`` gives the defaults, validated."""
    base = Settings()
    if path is None:
        for name in _SECTIONS:
            getattr(base, name).validate(name)
        return base
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return _build(data, base)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None

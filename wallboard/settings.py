"""The whole settings file (``wallboard.toml``): each section parsed by the package that
owns it, assembled here into one validated, frozen :class:`Settings`.

| section       | owner                                  |
|---------------|----------------------------------------|
| ``[kafka]``   | :class:`streams.config.KafkaSettings`   |
| ``[worker]``  | :class:`streams.config.WorkerSettings`  |
| ``[engine]``  | :func:`streams.core.config.parse_engine` |
| ``[dashboard]`` | :func:`dashboard.config.parse_dashboard` |
| ``[alerts]``  | :func:`alerts.config.parse_alerts`      |

Unknown keys and sections are errors that name them (``worker.prot: unknown key``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from alerts.config import AlertSettings, parse_alerts
from dashboard.config import DashboardSettings, parse_dashboard
from streams.config import KafkaSettings, StreamSettings, WorkerSettings
from streams.core.checks import read_section
from streams.core.config import parse_engine
from streams.core.errors import ConfigError

__all__ = ["Settings", "load_settings"]


@dataclass(frozen=True)
class Settings(StreamSettings):
    """Every section: the stream processor's (kafka, worker, engine), the dashboard's and
    the alerts' (None when the file has no ``[alerts]``)."""

    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    alerts: AlertSettings | None = None

    def with_overrides(self, overrides: dict[str, Any]) -> Settings:
        """Apply ``{"section.key": value}`` overrides (from CLI flags), validated the same way."""
        nested: dict[str, dict[str, Any]] = {}
        for dotted, value in overrides.items():
            if value is None:
                continue
            section, _, key = dotted.partition(".")
            nested.setdefault(section, {})[key] = value
        return _build(nested, base=self)


_PLAIN = {"kafka": KafkaSettings, "worker": WorkerSettings}
_KNOWN = (*_PLAIN, "engine", "dashboard", "alerts")


def _build(data: dict[str, Any], base: Settings) -> Settings:
    parts: dict[str, Any] = {}
    for name, values in data.items():
        if name in _PLAIN:
            parts[name] = read_section(name, _PLAIN[name], getattr(base, name), values)
        elif name == "engine":
            parts[name] = parse_engine(name, base.engine, values)
        elif name == "dashboard":
            parts[name] = parse_dashboard(name, base.dashboard, values)
        elif name != "alerts":
            raise ConfigError(f"{name}: unknown section (known: {', '.join(sorted(_KNOWN))})")
    if "alerts" in data:  # its default time zone is the engine's
        engine = parts.get("engine", base.engine)
        parts["alerts"] = parse_alerts(data["alerts"], default_timezone=engine.timezone)
    return replace(base, **parts)


def load_settings(path: Path | str | None = None) -> Settings:
    """Read and validate ``path`` (TOML); ``None`` gives the defaults, validated."""
    base = Settings()
    if path is None:
        for name in ("kafka", "worker", "dashboard", "engine"):  # [alerts] is None by default
            getattr(base, name).validate(name)
        return base
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); TOML files must be "
                          "UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return _build(data, base)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None

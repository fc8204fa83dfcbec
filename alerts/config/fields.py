"""The checks every table of ``[alerts]`` is read with (pure).

:class:`Keys` pops the keys of one table and refuses what is left, so an unknown key is an
error that lists the known ones. :func:`number`, :func:`strings`, :func:`choice` and
:func:`http_url` check one value and raise a :class:`streams.core.errors.ConfigError` naming
its key. :func:`finite` is the one test of "a number" of the package (settings and snapshot
figures alike); :func:`redact_url` keeps secrets out of every message and dump.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from streams.core.checks import check_range
from streams.core.errors import ConfigError

__all__ = ["Field", "Keys", "choice", "finite", "http_url", "number", "redact_url", "strings"]

# ``(key in the table, attribute of the settings, check(full key, value) -> value)``
Field = tuple[str, str, Callable[[str, Any], Any]]


def redact_url(url: str) -> str:
    """``scheme://***`` plus the host when it is not a secret (http(s)); never a token."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    if parts.scheme in ("http", "https") and parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}/***" if (
            parts.path not in ("", "/") or parts.username or parts.query) else \
            f"{parts.scheme}://{parts.hostname}{port}"
    return f"{parts.scheme or '?'}://***"


def finite(value: Any) -> float | None:
    """``value`` as a float if it is a finite int or float (never a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def number(key: str, value: Any, low: float = -math.inf, high: float = math.inf) -> float:
    """A finite number within ``[low, high]``, as a float."""
    if finite(value) is None:
        raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    check_range(key, value, low, high)
    return float(value)


def strings(key: str, value: Any, *, allow_empty: bool = False, limit: int = 256
            ) -> tuple[str, ...]:
    """A list of 1..``limit`` non-empty strings (or one string); empty with ``allow_empty``."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or (not value and not allow_empty) or len(value) > limit:
        raise ConfigError(f"{key}: expected a list of 1..{limit} strings, got {value!r}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item or "\x00" in item:
            raise ConfigError(f"{key}[{i}]: expected a non-empty string, got {item!r}")
    return tuple(value)


def choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``; else a ConfigError naming ``key``."""
    if value not in choices:
        raise ConfigError(f"{key}: must be one of {', '.join(choices)}, got {value!r}")
    return value


def http_url(key: str, value: Any, *, allow_empty: bool = False) -> str:
    """An ``http://`` or ``https://`` URL (``""`` too with ``allow_empty``); the error
    shows it redacted."""
    if not isinstance(value, str) or (value == "" and not allow_empty) or (
            value and not value.startswith(("http://", "https://"))):
        raise ConfigError(f"{key}: expected an http(s) URL, got "
                          f"{redact_url(value) if isinstance(value, str) else value!r}")
    return value


class Keys:
    """Pops keys of one table and refuses what is left (an unknown key is an error)."""

    def __init__(self, key: str, table: Any) -> None:
        if not isinstance(table, dict):
            raise ConfigError(f"{key}: expected a table, got {type(table).__name__}")
        self.key, self.table = key, dict(table)
        self.allowed: set[str] = set()

    def pop(self, name: str, default: Any = None) -> Any:
        self.allowed.add(name)
        return self.table.pop(name, default)

    def has(self, name: str) -> bool:
        self.allowed.add(name)
        return name in self.table

    def read(self, fields: Iterable[Field], into: dict[str, Any]) -> None:
        """For each field present in the table: ``into[attribute] = check(key, value)``."""
        for name, attr, check in fields:
            if self.has(name):
                into[attr] = check(f"{self.key}.{name}", self.pop(name))

    def done(self) -> None:
        for name in self.table:
            raise ConfigError(f"{self.key}.{name}: unknown key (known: "
                              f"{', '.join(sorted(self.allowed))})")

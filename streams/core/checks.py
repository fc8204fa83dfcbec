"""Checks shared by every settings section and command-line argument (pure).

Each check takes the ``key`` it reports (``worker.port``, ``--every``) and raises
:class:`~streams.core.errors.ConfigError` naming it. :func:`parse_duration` is the one
duration parser of the product (TOML durations, window lengths, ``--every``, the alerts API).
:func:`read_section` reads one TOML table into a frozen dataclass, key by key.
"""

from __future__ import annotations

import math
import re
import types
import typing
from dataclasses import fields, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

__all__ = [
    "DAY_S",
    "WEEK_S",
    "check_port",
    "check_range",
    "check_timezone",
    "check_topic",
    "parse_duration",
    "read_section",
    "string_list",
]

DAY_S = 86400.0
WEEK_S = 7 * DAY_S
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def check_port(key: str, value: int) -> None:
    if not 1 <= value <= 65535:
        raise ConfigError(f"{key}: port must be 1..65535, got {value}")


def check_range(key: str, value: float, low: float, high: float, *,
                low_open: bool = False) -> None:
    """``low <= value <= high`` (``low < value`` with ``low_open``); NaN never passes."""
    ok = (low < value if low_open else low <= value) and value <= high
    if not ok:
        bound = f"> {low:g}" if low_open else f">= {low:g}"
        raise ConfigError(f"{key}: must be {bound} and <= {high:g}, got {value}")


_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")


def check_topic(key: str, value: Any) -> str:
    """A Kafka topic name: 1..249 of ASCII letters, digits and ``._-`` (what Kafka accepts)."""
    if not isinstance(value, str) or not _TOPIC.fullmatch(value):
        raise ConfigError(f"{key}: not a valid Kafka topic name: {value!r}")
    return value


def check_timezone(key: str, name: str) -> ZoneInfo:
    """The IANA zone ``name``, or a ConfigError naming ``key`` (never another exception)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "America"
        raise ConfigError(f"{key}: unknown time zone {name!r} (expected an IANA name such "
                          "as \"Europe/Berlin\" or \"UTC\")") from None


def parse_duration(key: str, value: Any, *, low: float = 0.0, high: float = WEEK_S) -> float:
    """``"90s"``, ``"2m"``, ``"1h"``, ``"1d"``, ``"500ms"`` or a number of seconds -> seconds,
    within ``[low, high]``."""
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a duration like \"30s\", \"2m\" or \"1h\", got "
                          f"boolean")
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if isinstance(value, int | float):
        seconds = float(value)
    elif match:
        number, unit = match.groups()
        seconds = float(number) * _UNITS[unit]
    else:
        raise ConfigError(f"{key}: expected a duration like \"30s\", \"2m\" or \"1h\" (or "
                          f"seconds), got {value!r}")
    if not math.isfinite(seconds) or not low <= seconds <= high:
        raise ConfigError(f"{key}: must be between {low:g} s and {high:g} s, got {value!r}")
    return seconds


def string_list(key: str, value: Any, *, allow_scalar: bool = False) -> tuple[str, ...]:
    """A non-empty list of non-empty strings (or one string with ``allow_scalar``)."""
    if allow_scalar and isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{key}: expected a non-empty list of strings, got {value!r}")
    for item in value:
        if not isinstance(item, str) or not item:
            raise ConfigError(f"{key}: expected non-empty strings, got {item!r}")
    return tuple(value)


def _type_name(tp: Any) -> str:
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(tp, str(tp))


def _coerce(key: str, tp: Any, value: Any) -> Any:
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > 2**53:
            raise ConfigError(f"{key}: number out of range: {value}")
        return float(value)
    if tp in (int, float) and isinstance(value, bool):
        raise ConfigError(f"{key}: expected {_type_name(tp)}, got boolean")
    if not isinstance(value, tp):
        raise ConfigError(f"{key}: expected {_type_name(tp)}, got {type(value).__name__} "
                          f"{value!r}")
    if tp is float and not math.isfinite(value):  # TOML has inf and nan literals
        raise ConfigError(f"{key}: must be a finite number, got {value}")
    if tp is str and "\x00" in value:
        raise ConfigError(f"{key}: must not contain a NUL character")
    return value


def read_section(name: str, cls: type, base: Any, values: Any,
                 also_known: tuple[str, ...] = ()) -> Any:
    """``base`` (a frozen dataclass of type ``cls``) with the keys of the TOML table
    ``values`` applied, each checked against its field's type; then ``validate(name)``.
    An unknown key is an error that lists the known ones (and ``also_known``)."""
    if not isinstance(values, dict):
        raise ConfigError(f"{name}: expected a table, got {type(values).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    changes = {}
    for key, value in values.items():
        if key not in known:
            names = ", ".join(sorted(known | set(also_known)))
            raise ConfigError(f"{name}.{key}: unknown key (known: {names})")
        tp = hints[key]
        if isinstance(tp, types.UnionType):  # pragma: no cover - no optional settings yet
            tp = tuple(a for a in typing.get_args(tp) if a is not type(None))
        changes[key] = _coerce(f"{name}.{key}", tp, value)
    obj = replace(base, **changes)
    obj.validate(name)
    return obj

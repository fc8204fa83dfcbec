"""Label matchers and the silences configured in ``[[alerts.silences]]`` (pure).

A :class:`Matcher` is Alertmanager's ``name=value``, ``!=``, ``=~`` (regex) or ``!~``; the
API's silences and the configured ones are lists of them (schedules select segments with
globs instead). A configured silence is ``(matchers, starts, ends, author, comment)`` with
epoch-second instants, read from RFC 3339 times with an offset.

Regular expressions have RE2 semantics (Google's ``re2``, as Alertmanager's Go ``regexp``):
matching is linear in the label's length, so no pattern can stall the process; RE2 refuses
backreferences and lookaround. A pattern is fully anchored (it must match the whole label
value), at most :data:`MAX_PATTERN` characters, and its compiled program at most
:data:`MAX_PATTERN_MEMORY` bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import re2

from streams.core.errors import ConfigError

from .fields import Keys, strings

__all__ = ["MAX_PATTERN", "ConfiguredSilence", "Matcher", "compile_pattern", "parse_matcher",
           "parse_silence"]

MAX_PATTERN = 1024  # characters of one regular expression
MAX_PATTERN_MEMORY = 1 << 20  # bytes of RE2 memory per compiled pattern
_MAX_NAME = 128
# the label name and the operator; the value is the rest (linear: no backtracking)
_HEAD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)")
_REGEX_OPS = ("=~", "!~")


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # the error goes into the ConfigError, not to stderr
    options.max_mem = MAX_PATTERN_MEMORY
    return options


_OPTIONS = _options()


def compile_pattern(key: str, pattern: str) -> Any:
    """``pattern`` compiled by RE2; a :class:`ConfigError` naming ``key`` if RE2 refuses it
    or it is longer than :data:`MAX_PATTERN` characters."""
    if len(pattern) > MAX_PATTERN:
        raise ConfigError(f"{key}: regular expression longer than {MAX_PATTERN} characters "
                          f"({len(pattern)})")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "refused"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ConfigError(f"{key}: bad regular expression {pattern!r}: {reason} (RE2 syntax: "
                          "no backreferences, no lookaround)") from None


@dataclass(frozen=True)
class Matcher:
    """Alertmanager-style label matcher: ``name=value``, ``!=``, ``=~`` regex, ``!~``.

    A regex matches the whole value (anchored, as Alertmanager's); ``regex`` is the compiled
    RE2 pattern (built from ``value`` when not given)."""

    name: str
    op: str
    value: str
    regex: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op in _REGEX_OPS and self.regex is None:
            object.__setattr__(self, "regex", compile_pattern(self.name, self.value))

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = self.regex.fullmatch(actual) is not None
        return hit if self.op == "=~" else not hit

    def text(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


# (matchers, starts, ends, author, comment): what AlertSettings.silences holds
ConfiguredSilence = tuple[tuple[Matcher, ...], float, float, str, str]


def parse_matcher(key: str, text: Any) -> Matcher:
    """``NAME=VALUE``, ``NAME!=VALUE``, ``NAME=~REGEX`` or ``NAME!~REGEX`` (the value may be
    in double quotes); a :class:`ConfigError` naming ``key`` otherwise."""
    if not isinstance(text, str):
        raise ConfigError(f"{key}: expected a matcher string like 'segment=\"billing\"', "
                          f"got {text!r}")
    if len(text) > MAX_PATTERN + _MAX_NAME + 16:
        raise ConfigError(f"{key}: matcher longer than {MAX_PATTERN + _MAX_NAME + 16} "
                          f"characters (a regular expression has at most {MAX_PATTERN})")
    m = _HEAD.match(text)
    if not m or len(m.group(1)) > _MAX_NAME:
        raise ConfigError(f"{key}: expected NAME=VALUE, NAME!=VALUE, NAME=~REGEX or "
                          f"NAME!~REGEX, got {text!r}")
    name, op = m.groups()
    value = text[m.end():].strip()
    value = value[1:] if value.startswith('"') else value
    value = value[:-1] if value.endswith('"') else value
    regex = compile_pattern(key, value) if op in _REGEX_OPS else None
    return Matcher(name, op, value, regex)


def _instant(key: str, value: Any) -> float:
    """An RFC 3339 time with an offset (a string, or a TOML offset date-time)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"{key}: expected an RFC 3339 time, got {value!r}") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ConfigError(f"{key}: expected an RFC 3339 time with an offset, got {value!r}")
    return value.timestamp()


def parse_silence(key: str, table: Any) -> ConfiguredSilence:
    """One ``[[alerts.silences]]`` table: matchers, starts, ends, author, comment."""
    t = Keys(key, table)
    matchers = tuple(parse_matcher(f"{key}.matchers[{i}]", m) for i, m in
                     enumerate(strings(f"{key}.matchers", t.pop("matchers"))))
    starts = _instant(f"{key}.starts", t.pop("starts"))
    ends = _instant(f"{key}.ends", t.pop("ends"))
    if ends <= starts:
        raise ConfigError(f"{key}.ends: must be after starts")
    author, comment = t.pop("author", ""), t.pop("comment", "")
    if not isinstance(author, str) or not author or not isinstance(comment, str):
        raise ConfigError(f"{key}.author: required (who created the silence)")
    t.done()
    return matchers, starts, ends, author, comment

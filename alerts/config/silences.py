"""Label matchers and the silences configured in ``[[alerts.silences]]`` (pure).

A :class:`Matcher` is Alertmanager's ``name=value``, ``!=``, ``=~`` (regex) or ``!~``; the
API's silences and the configured ones are lists of them (schedules select segments with
globs instead). A configured silence is ``(matchers, starts, ends, author, comment)`` with
epoch-second instants, read from RFC 3339 times with an offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streams.core.errors import ConfigError

from .fields import Keys, strings

__all__ = ["ConfiguredSilence", "Matcher", "parse_matcher", "parse_silence"]

_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


@dataclass(frozen=True)
class Matcher:
    """Alertmanager-style label matcher: ``name=value``, ``!=``, ``=~`` regex, ``!~``."""

    name: str
    op: str
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = re.fullmatch(self.value, actual) is not None
        return hit if self.op == "=~" else not hit

    def text(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


# (matchers, starts, ends, author, comment): what AlertSettings.silences holds
ConfiguredSilence = tuple[tuple[Matcher, ...], float, float, str, str]


def parse_matcher(key: str, text: Any) -> Matcher:
    if not isinstance(text, str) or len(text) > 512:
        raise ConfigError(f"{key}: expected a matcher string like 'segment=\"billing\"', "
                          f"got {text!r}")
    m = _MATCHER.match(text)
    if not m:
        raise ConfigError(f"{key}: expected NAME=VALUE, NAME!=VALUE, NAME=~REGEX or "
                          f"NAME!~REGEX, got {text!r}")
    name, op, value = m.groups()
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as exc:
            raise ConfigError(f"{key}: bad regular expression {value!r}: {exc}") from None
    return Matcher(name, op, value)


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

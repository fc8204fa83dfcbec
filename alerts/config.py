"""The ``[alerts]`` settings: rules, schedules, delivery, the process. Validated and frozen.

Pure: no Kafka, HTTP or Apprise imports. Every error is a :class:`streams.core.errors.ConfigError`
whose text names the key (``alerts.rules.sl_low.for: ...``). Secrets (Apprise URLs, the
Alertmanager URL's credentials, the API token) are kept out of ``repr`` and out of
:meth:`AlertSettings.redacted`, which is what logs and ``/api`` show.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from streams.core.checks import WEEK_S, check_timezone, parse_duration
from streams.core.errors import ConfigError

__all__ = [
    "AlertSettings",
    "DeliverySettings",
    "Matcher",
    "Rule",
    "ScheduleSpec",
    "load_alert_settings",
    "parse_alerts",
    "parse_matcher",
    "redact_url",
]

KINDS = ("threshold", "surge", "staffing", "feed_stalled")
NO_DATA = ("ok", "keep_last", "alerting")
LANGUAGES = ("en", "zh-CN")
SEVERITIES = ("warning", "critical")
FIGURE_ROOTS = ("now", "windows", "forecast")
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


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


# -- matchers (silences, schedules' segment selectors use globs instead) -------------------

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


# -- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One alert rule. ``op`` compares the rule's value with the thresholds (``>``, ``<`` or
    ``>=``); ``warning``/``critical`` are the firing thresholds (either may be None, not
    both); ``clear`` the recovery threshold (hysteresis)."""

    name: str
    kind: str
    segments: tuple[str, ...] = ("*",)
    figure: str = ""
    op: str = ">"
    warning: float | None = None
    critical: float | None = None
    clear: float | None = None
    for_s: float = 0.0
    keep_firing_for_s: float = 0.0
    min_volume: float = 0.0
    volume: str = "windows.15m.offered"
    on_no_data: str = "keep_last"
    no_data_resolve_s: float = 300.0
    summary: str = ""
    # surge
    window: str = "5m"
    min_count: int = 10
    bucket_s: float = 900.0
    min_weeks: int = 1
    ewma_half_life_s: float = 3600.0
    min_baseline: float = 1.0
    # feed_stalled
    stall_after_s: float = 300.0
    min_expected: float = 20.0

    @property
    def first_threshold(self) -> float:
        """The threshold an instance becomes active at (warning if set, else critical)."""
        value = self.warning if self.warning is not None else self.critical
        assert value is not None
        return value


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _number(key: str, value: Any, low: float = -math.inf, high: float = math.inf) -> float:
    if not _is_number(value):
        raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{key}: must be >= {low:g} and <= {high:g}, got {value!r}")
    return float(value)


def _strings(key: str, value: Any, *, allow_empty: bool = False, limit: int = 256
             ) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or (not value and not allow_empty) or len(value) > limit:
        raise ConfigError(f"{key}: expected a list of 1..{limit} strings, got {value!r}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item or "\x00" in item:
            raise ConfigError(f"{key}[{i}]: expected a non-empty string, got {item!r}")
    return tuple(value)


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``; else a ConfigError naming ``key``."""
    if value not in choices:
        raise ConfigError(f"{key}: must be one of {', '.join(choices)}, got {value!r}")
    return value


def _check_figure(key: str, figure: Any) -> str:
    if not isinstance(figure, str) or not figure:
        raise ConfigError(f"{key}: expected a snapshot figure such as "
                          f"\"windows.15m.service_level\", got {figure!r}")
    parts = figure.split(".")
    if parts[0] not in FIGURE_ROOTS or len(parts) < 2 or any(not p for p in parts) or (
            parts[0] == "windows" and len(parts) != 3):
        raise ConfigError(f"{key}: expected now.<figure>, now.agents.<state>, "
                          f"windows.<window>.<figure> or forecast.<figure>, got {figure!r}")
    return figure


class _Keys:
    """Pops keys of one table and refuses what is left (an unknown key is an error)."""

    def __init__(self, key: str, table: Any) -> None:
        if not isinstance(table, dict):
            raise ConfigError(f"{key}: expected a table, got {type(table).__name__}")
        self.key, self.table, self.known = key, dict(table), set(table)
        self.allowed: set[str] = set()

    def pop(self, name: str, default: Any = None) -> Any:
        self.allowed.add(name)
        return self.table.pop(name, default)

    def has(self, name: str) -> bool:
        self.allowed.add(name)
        return name in self.table

    def done(self) -> None:
        for name in self.table:
            raise ConfigError(f"{self.key}.{name}: unknown key (known: "
                              f"{', '.join(sorted(self.allowed))})")


def _rule(name: str, key: str, table: Any) -> Rule:
    if not _NAME.match(name):
        raise ConfigError(f"{key}: rule names are 1..64 letters, digits or _.:-, got {name!r}")
    t = _Keys(key, table)
    kind = _choice(f"{key}.kind", t.pop("kind", "threshold"), KINDS)
    args: dict[str, Any] = {"name": name, "kind": kind}
    if t.has("segments"):
        args["segments"] = _strings(f"{key}.segments", t.pop("segments"))
    for cfg, attr in (("for", "for_s"), ("keep_firing_for", "keep_firing_for_s")):
        if t.has(cfg):
            args[attr] = parse_duration(f"{key}.{cfg}", t.pop(cfg))
    if t.has("on_no_data"):
        args["on_no_data"] = _choice(f"{key}.on_no_data", t.pop("on_no_data"), NO_DATA)
    if t.has("no_data_resolve"):
        args["no_data_resolve_s"] = parse_duration(f"{key}.no_data_resolve",
                                                   t.pop("no_data_resolve"))
    if t.has("summary"):
        summary = t.pop("summary")
        if not isinstance(summary, str) or len(summary) > 1024:
            raise ConfigError(f"{key}.summary: expected a string of at most 1024 characters")
        args["summary"] = summary
    if t.has("min_volume"):
        args["min_volume"] = _number(f"{key}.min_volume", t.pop("min_volume"), 0, 1e9)
    if t.has("volume"):
        args["volume"] = _check_figure(f"{key}.volume", t.pop("volume"))

    if kind == "threshold":
        args["figure"] = _check_figure(f"{key}.figure", t.pop("figure"))
        if "volume" not in args and args["figure"].startswith("windows."):
            args["volume"] = ".".join([*args["figure"].split(".")[:2], "offered"])
        above, below = t.pop("above"), t.pop("below")
        if (above is None) == (below is None):
            raise ConfigError(f"{key}: give exactly one of above or below (the firing "
                              "threshold)")
        args["op"] = ">" if above is not None else "<"
        first = _number(f"{key}.{'above' if above is not None else 'below'}",
                        above if above is not None else below)
        severity = _choice(f"{key}.severity", t.pop("severity", "warning"), SEVERITIES)
        args["warning" if severity == "warning" else "critical"] = first
        if t.has("critical"):
            if severity == "critical":
                raise ConfigError(f"{key}.critical: the rule is already critical "
                                  "(severity = \"critical\")")
            args["critical"] = _number(f"{key}.critical", t.pop("critical"))
        if t.has("clear"):
            args["clear"] = _number(f"{key}.clear", t.pop("clear"))
    elif kind == "staffing":
        gap = _number(f"{key}.gap", t.pop("gap", 1), 1, 100000)
        args.update(op=">=", warning=gap)
        if t.has("critical"):
            args["critical"] = _number(f"{key}.critical", t.pop("critical"), 1, 100000)
        args["clear"] = _number(f"{key}.clear", t.pop("clear", gap - 1), -100000, 100000)
        args.setdefault("for_s", 300.0)
    elif kind == "surge":
        from .surge import score_of

        window = t.pop("window", "5m")
        if not isinstance(window, str) or not window:
            raise ConfigError(f"{key}.window: expected a window name such as \"5m\"")
        args["window"] = window
        args["figure"] = f"windows.{window}.offered"
        p_warn = _number(f"{key}.p_warning", t.pop("p_warning", 1e-5), 1e-300, 0.5)
        args.update(op=">", warning=score_of(p_warn))
        if t.has("p_critical"):
            p_crit = _number(f"{key}.p_critical", t.pop("p_critical"), 1e-300, 0.5)
            if p_crit >= p_warn:
                raise ConfigError(f"{key}.p_critical: must be smaller than p_warning "
                                  f"({p_warn:g}), got {p_crit:g}")
            args["critical"] = score_of(p_crit)
        p_clear = _number(f"{key}.p_clear", t.pop("p_clear", 1e-2), 1e-300, 1.0)
        if p_clear <= p_warn:
            raise ConfigError(f"{key}.p_clear: must be larger than p_warning ({p_warn:g}), "
                              f"got {p_clear:g}")
        args["clear"] = score_of(p_clear)
        args["min_count"] = int(_number(f"{key}.min_count", t.pop("min_count", 10), 1, 1e9))
        args["volume"], args["min_volume"] = args["figure"], float(args["min_count"])
        args["bucket_s"] = parse_duration(f"{key}.bucket", t.pop("bucket", "15m"), low=60,
                                          high=86400)
        if WEEK_S % args["bucket_s"]:
            raise ConfigError(f"{key}.bucket: must divide a week evenly, got "
                              f"{args['bucket_s']:g} s")
        args["min_weeks"] = int(_number(f"{key}.min_weeks", t.pop("min_weeks", 1), 1, 52))
        args["ewma_half_life_s"] = parse_duration(
            f"{key}.ewma_half_life", t.pop("ewma_half_life", "1h"), low=60, high=WEEK_S)
        args["min_baseline"] = _number(f"{key}.min_baseline", t.pop("min_baseline", 1.0),
                                       0.01, 1e9)
    else:  # feed_stalled
        stall = parse_duration(f"{key}.stall_after", t.pop("stall_after", "5m"), low=1)
        args.update(stall_after_s=stall, op=">=", critical=stall, clear=stall)
        args["min_expected"] = _number(f"{key}.min_expected", t.pop("min_expected", 20.0),
                                       0, 1e9)
        args["figure"] = "feed.stalled_s"
    t.done()
    rule = Rule(**args)
    if rule.clear is None:
        rule = _with(rule, clear=rule.first_threshold)
    _check_order(key, rule)
    return rule


def _with(rule: Rule, **changes: Any) -> Rule:
    from dataclasses import replace

    return replace(rule, **changes)


def _check_order(key: str, rule: Rule) -> None:
    """``clear`` must lie on the safe side of the firing threshold, ``critical`` beyond it."""
    first, clear = rule.first_threshold, rule.clear
    assert clear is not None
    if rule.op == "<":
        if clear < first:
            raise ConfigError(f"{key}.clear: must be >= the below threshold {first:g} "
                              f"(hysteresis), got {clear:g}")
        if rule.warning is not None and rule.critical is not None \
                and rule.critical > rule.warning:
            raise ConfigError(f"{key}.critical: must be <= the warning threshold "
                              f"{rule.warning:g}, got {rule.critical:g}")
    else:
        if clear > first:
            raise ConfigError(f"{key}.clear: must be <= the firing threshold {first:g} "
                              f"(hysteresis), got {clear:g}")
        if rule.warning is not None and rule.critical is not None \
                and rule.critical < rule.warning:
            raise ConfigError(f"{key}.critical: must be >= the warning threshold "
                              f"{rule.warning:g}, got {rule.critical:g}")


# -- schedules -------------------------------------------------------------------------------

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^(?:([a-z]{3})(?:-([a-z]{3}))?\s+)?(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class ScheduleSpec:
    """Opening and quiet hours of the segments matching ``segments`` (globs), local time.

    An interval is ``(weekdays bitmask, start minute, end minute)``; end <= start wraps past
    midnight (the wrapped part belongs to the day after each listed weekday)."""

    name: str
    segments: tuple[str, ...] = ("*",)
    open: tuple[tuple[int, int, int], ...] = ()
    quiet: tuple[tuple[int, int, int], ...] = ()


def parse_interval(key: str, text: Any) -> tuple[int, int, int]:
    """``"mon-fri 08:00-18:00"``, ``"sat 09:00-13:00"`` or ``"22:00-07:00"`` (every day)."""
    m = _INTERVAL.match(text.strip().lower()) if isinstance(text, str) else None
    if not m:
        raise ConfigError(f"{key}: expected \"[DAY[-DAY] ]HH:MM-HH:MM\" such as "
                          f"\"mon-fri 08:00-18:00\" or \"22:00-07:00\", got {text!r}")
    d1, d2, h1, m1, h2, m2 = m.groups()
    days = 0x7F
    if d1:
        if d1 not in _DAYS or (d2 and d2 not in _DAYS):
            raise ConfigError(f"{key}: days are {', '.join(_DAYS)}, got {text!r}")
        i, j = _DAYS.index(d1), _DAYS.index(d2 or d1)
        days = 0
        for k in range(7):
            if (i <= j and i <= k <= j) or (i > j and (k >= i or k <= j)):
                days |= 1 << k
    h1, m1, h2, m2 = int(h1), int(m1), int(h2), int(m2)
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise ConfigError(f"{key}: times are 00:00..24:00, got {text!r}")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ConfigError(f"{key}: empty interval {text!r} (for all day use 00:00-24:00)")
    return days, start, end


def _schedule(name: str, key: str, table: Any) -> ScheduleSpec:
    t = _Keys(key, table)
    segments = _strings(f"{key}.segments", t.pop("segments", ["*"]))
    opened = tuple(parse_interval(f"{key}.open[{i}]", v) for i, v in
                   enumerate(_strings(f"{key}.open", t.pop("open", ["00:00-24:00"]))))
    quiet = tuple(parse_interval(f"{key}.quiet[{i}]", v) for i, v in
                  enumerate(_strings(f"{key}.quiet", t.pop("quiet", []), allow_empty=True)))
    t.done()
    return ScheduleSpec(name, segments, opened, quiet)


# -- delivery and the process ----------------------------------------------------------------


@dataclass(frozen=True)
class DeliverySettings:
    alertmanager_url: str = field(default="", repr=False)
    apprise: tuple[str, ...] = field(default=(), repr=False)
    timeout_s: float = 10.0
    max_attempts: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0

    def redacted(self) -> dict[str, Any]:
        return {"alertmanager_url": redact_url(self.alertmanager_url)
                if self.alertmanager_url else "",
                "apprise": [redact_url(u) for u in self.apprise],
                "timeout_s": self.timeout_s, "max_attempts": self.max_attempts,
                "backoff_s": self.backoff_s, "max_backoff_s": self.max_backoff_s}

    def __repr__(self) -> str:
        return f"DeliverySettings({self.redacted()})"


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
    silences: tuple[tuple[tuple[Matcher, ...], float, float, str, str], ...] = ()

    @property
    def lease_s(self) -> float:
        """``endsAt = now + lease_s`` on every firing notification (a dead sender resolves)."""
        return self.lease_evaluations * self.eval_interval_s

    def redacted(self) -> dict[str, Any]:
        """The settings for logs and ``/api``: no secret in it."""
        return {"timezone": self.timezone, "language": self.language,
                "eval_interval_s": self.eval_interval_s, "source": redact_url(self.source),
                "board_url": self.board_url, "host": self.host, "port": self.port,
                "api_token": "***" if self.api_token else "", "topic": self.topic,
                "state": self.state, "group_by": list(self.group_by),
                "repeat_interval_s": self.repeat_interval_s,
                "send_resolved": self.send_resolved, "lease_s": self.lease_s,
                "delivery": self.delivery.redacted(),
                "rules": [r.name for r in self.rules],
                "schedules": [s.name for s in self.schedules]}

    def __repr__(self) -> str:
        return f"AlertSettings({self.redacted()})"


def _http_url(key: str, value: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (value == "" and not allow_empty) or (
            value and not value.startswith(("http://", "https://"))):
        raise ConfigError(f"{key}: expected an http(s) URL, got "
                          f"{redact_url(value) if isinstance(value, str) else value!r}")
    return value


def _delivery(key: str, table: Any) -> DeliverySettings:
    t = _Keys(key, table)
    args: dict[str, Any] = {}
    if t.has("alertmanager_url"):
        args["alertmanager_url"] = _http_url(f"{key}.alertmanager_url",
                                             t.pop("alertmanager_url"), allow_empty=True)
    if t.has("apprise"):
        urls = _strings(f"{key}.apprise", t.pop("apprise"), allow_empty=True, limit=64)
        for i, url in enumerate(urls):
            if "://" not in url:
                raise ConfigError(f"{key}.apprise[{i}]: expected an Apprise URL such as "
                                  f"slack://..., dingtalk://..., json://host/path")
        args["apprise"] = urls
    if t.has("timeout_s"):
        args["timeout_s"] = _number(f"{key}.timeout_s", t.pop("timeout_s"), 0.1, 120)
    if t.has("max_attempts"):
        args["max_attempts"] = int(_number(f"{key}.max_attempts", t.pop("max_attempts"), 1, 20))
    if t.has("backoff_s"):
        args["backoff_s"] = _number(f"{key}.backoff_s", t.pop("backoff_s"), 0, 600)
    if t.has("max_backoff_s"):
        args["max_backoff_s"] = _number(f"{key}.max_backoff_s", t.pop("max_backoff_s"), 0, 3600)
    t.done()
    return DeliverySettings(**args)


def _silence(key: str, table: Any) -> tuple[tuple[Matcher, ...], float, float, str, str]:
    from datetime import datetime

    t = _Keys(key, table)
    matchers = tuple(parse_matcher(f"{key}.matchers[{i}]", m) for i, m in
                     enumerate(_strings(f"{key}.matchers", t.pop("matchers"))))
    times = []
    for name in ("starts", "ends"):
        value = t.pop(name)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ConfigError(f"{key}.{name}: expected an RFC 3339 time, got "
                                  f"{value!r}") from None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ConfigError(f"{key}.{name}: expected an RFC 3339 time with an offset, got "
                              f"{value!r}")
        times.append(value.timestamp())
    if times[1] <= times[0]:
        raise ConfigError(f"{key}.ends: must be after starts")
    author, comment = t.pop("author", ""), t.pop("comment", "")
    if not isinstance(author, str) or not author or not isinstance(comment, str):
        raise ConfigError(f"{key}.author: required (who created the silence)")
    t.done()
    return matchers, times[0], times[1], author, comment


def parse_alerts(data: Any, key: str = "alerts", *, default_timezone: str = "UTC"
                 ) -> AlertSettings:
    """Build :class:`AlertSettings` from the ``[alerts]`` table (``key`` prefixes errors)."""
    t = _Keys(key, data)
    args: dict[str, Any] = {}
    tz = t.pop("timezone", default_timezone)
    if not isinstance(tz, str):
        raise ConfigError(f"{key}.timezone: expected an IANA zone name, got {tz!r}")
    check_timezone(f"{key}.timezone", tz)
    args["timezone"] = tz
    if t.has("language"):
        args["language"] = _choice(f"{key}.language", t.pop("language"), LANGUAGES)
    if t.has("eval_interval"):
        args["eval_interval_s"] = parse_duration(f"{key}.eval_interval", t.pop("eval_interval"),
                                                 low=0.1, high=3600)
    if t.has("source"):
        args["source"] = _http_url(f"{key}.source", t.pop("source"))
    if t.has("source_timeout"):
        args["source_timeout_s"] = parse_duration(f"{key}.source_timeout",
                                                  t.pop("source_timeout"), low=0.1, high=120)
    if t.has("board_url"):
        args["board_url"] = _http_url(f"{key}.board_url", t.pop("board_url"))
    if t.has("host"):
        host = t.pop("host")
        if not isinstance(host, str) or not host:
            raise ConfigError(f"{key}.host: expected an address, got {host!r}")
        args["host"] = host
    if t.has("port"):
        args["port"] = int(_number(f"{key}.port", t.pop("port"), 1, 65535))
    if t.has("api_token"):
        token = t.pop("api_token")
        if not isinstance(token, str) or (token and len(token) < 16):
            raise ConfigError(f"{key}.api_token: expected a string of at least 16 characters "
                              "(or \"\": mutating calls refused)")
        args["api_token"] = token
    if t.has("topic"):
        topic = t.pop("topic")
        if not isinstance(topic, str) or not re.fullmatch(r"[A-Za-z0-9._-]{1,249}", topic):
            raise ConfigError(f"{key}.topic: not a valid Kafka topic name: {topic!r}")
        args["topic"] = topic
    if t.has("state"):
        state = t.pop("state")
        if state not in ("kafka", "memory"):
            raise ConfigError(f"{key}.state: must be kafka or memory, got {state!r}")
        args["state"] = state
    if t.has("group_by"):
        args["group_by"] = _strings(f"{key}.group_by", t.pop("group_by"), allow_empty=True)
    if t.has("repeat_interval"):
        args["repeat_interval_s"] = parse_duration(f"{key}.repeat_interval",
                                                   t.pop("repeat_interval"), low=1)
    if t.has("send_resolved"):
        value = t.pop("send_resolved")
        if not isinstance(value, bool):
            raise ConfigError(f"{key}.send_resolved: expected true or false, got {value!r}")
        args["send_resolved"] = value
    if t.has("lease_evaluations"):
        args["lease_evaluations"] = int(_number(f"{key}.lease_evaluations",
                                                t.pop("lease_evaluations"), 2, 1000))
    if t.has("resolved_retention"):
        args["resolved_retention_s"] = parse_duration(f"{key}.resolved_retention",
                                                      t.pop("resolved_retention"))
    if t.has("max_instances"):
        args["max_instances"] = int(_number(f"{key}.max_instances", t.pop("max_instances"),
                                            1, 1_000_000))
    if t.has("delivery"):
        args["delivery"] = _delivery(f"{key}.delivery", t.pop("delivery"))
    rules = t.pop("rules", {})
    if not isinstance(rules, dict):
        raise ConfigError(f"{key}.rules: expected tables [{key}.rules.NAME]")
    args["rules"] = tuple(_rule(n, f"{key}.rules.{n}", v) for n, v in rules.items())
    schedules = t.pop("schedules", {})
    if not isinstance(schedules, dict):
        raise ConfigError(f"{key}.schedules: expected tables [{key}.schedules.NAME]")
    args["schedules"] = tuple(_schedule(n, f"{key}.schedules.{n}", v)
                              for n, v in schedules.items())
    silences = t.pop("silences", [])
    if not isinstance(silences, list):
        raise ConfigError(f"{key}.silences: expected an array of tables [[{key}.silences]]")
    args["silences"] = tuple(_silence(f"{key}.silences[{i}]", s)
                             for i, s in enumerate(silences))
    t.done()
    return AlertSettings(**args)


def load_alert_settings(path: Path | str, *, default_timezone: str = "UTC") -> AlertSettings:
    """A rule file of its own: either an ``[alerts]`` table or the alerts keys at top level."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read rule file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if set(data) == {"alerts"}:
        data = data["alerts"]
    try:
        return parse_alerts(data, default_timezone=default_timezone)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None

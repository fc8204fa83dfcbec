"""The ``[engine]`` settings: windows, time zone, lateness, segments and their policies.

Frozen dataclasses, checked key by key (:func:`parse_engine`); the metrics engine reads
nothing else. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any
from zoneinfo import ZoneInfo

from .checks import (
    DAY_S,
    check_range,
    check_timezone,
    parse_duration,
    read_section,
    string_list,
)
from .errors import ConfigError

__all__ = [
    "ALL_SEGMENT",
    "DEFAULT_WINDOWS",
    "OTHER_SEGMENT",
    "TODAY",
    "EngineSettings",
    "SegmentPolicy",
    "SegmentSpec",
    "parse_engine",
    "parse_window",
]

ABANDON_POLICIES = ("negative", "ignore", "positive")
DEFAULT_WINDOWS: tuple[tuple[str, int], ...] = (("5m", 300), ("15m", 900), ("60m", 3600))
ALL_SEGMENT = "all"
OTHER_SEGMENT = "other"  # where queues past engine.max_segments are folded
TODAY = "today"


@dataclass(frozen=True)
class SegmentPolicy:
    """Per-segment settings of metrics.md (the ``[engine.defaults]`` table, or a segment's own)."""

    sl_threshold_s: float = 20.0
    sl_target: float = 0.80
    short_abandon_s: float = 5.0
    abandon_policy: str = "negative"
    default_aht_s: float = 300.0

    def validate(self, section: str) -> None:
        check_range(f"{section}.sl_threshold_s", self.sl_threshold_s, 0, DAY_S)
        if not 0 < self.sl_target < 1:
            raise ConfigError(f"{section}.sl_target: must be a fraction in (0, 1), "
                              f"got {self.sl_target}")
        check_range(f"{section}.short_abandon_s", self.short_abandon_s, 0, DAY_S)
        if self.abandon_policy not in ABANDON_POLICIES:
            raise ConfigError(f"{section}.abandon_policy: must be one of "
                              f"{', '.join(ABANDON_POLICIES)}, got {self.abandon_policy!r}")
        check_range(f"{section}.default_aht_s", self.default_aht_s, 0, DAY_S, low_open=True)


@dataclass(frozen=True)
class SegmentSpec:
    """A configured segment: queue globs plus attribute matches (``attr`` -> allowed values)."""

    name: str
    queues: tuple[str, ...] = ("*",)
    match: tuple[tuple[str, tuple[str, ...]], ...] = ()
    policy: SegmentPolicy = field(default_factory=SegmentPolicy)


@dataclass(frozen=True)
class EngineSettings:
    timezone: str = "UTC"
    windows: tuple[tuple[str, int], ...] = DEFAULT_WINDOWS
    max_future_s: float = 300.0
    max_lateness_s: float = 120.0
    max_visit_s: float = 14400.0
    # Bounded cost per event: segments (all + configured + one per queue) and queues per
    # agent.state; past either limit the excess folds into the "other" segment.
    max_segments: int = 200
    max_queues_per_agent: int = 256
    defaults: SegmentPolicy = field(default_factory=SegmentPolicy)
    segments: tuple[SegmentSpec, ...] = ()

    def validate(self, section: str) -> None:
        check_timezone(f"{section}.timezone", self.timezone)
        check_range(f"{section}.max_future_s", self.max_future_s, 0, DAY_S, low_open=True)
        check_range(f"{section}.max_lateness_s", self.max_lateness_s, 0, DAY_S)
        check_range(f"{section}.max_visit_s", self.max_visit_s, 0, 7 * DAY_S, low_open=True)
        # all + other + the configured segments must fit, with room for at least one queue
        check_range(f"{section}.max_segments", self.max_segments, len(self.segments) + 3,
                    1_000_000)
        check_range(f"{section}.max_queues_per_agent", self.max_queues_per_agent, 1, 100_000)
        self.defaults.validate(f"{section}.defaults")
        for seg in self.segments:
            seg.policy.validate(f"{section}.segments.{seg.name}")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def policy_for(self, segment: str) -> SegmentPolicy:
        for seg in self.segments:
            if seg.name == segment:
                return seg.policy
        return self.defaults


def parse_window(key: str, text: Any) -> tuple[str, int]:
    """``"15m"`` -> ``("15m", 900)``: a window's name (kept as written) and its whole
    seconds, 1 s .. 24 h."""
    if not isinstance(text, str) or text != text.strip():
        raise ConfigError(f"{key}: expected a duration like \"30s\", \"15m\" or \"2h\", "
                          f"got {text!r}")
    seconds = parse_duration(key, text, low=0, high=float("inf"))
    if not 1 <= seconds <= DAY_S:
        raise ConfigError(f"{key}: window length must be 1 s .. 24 h, got {text!r}")
    if seconds != int(seconds):
        raise ConfigError(f"{key}: window length must be whole seconds, got {text!r}")
    return text, int(seconds)


def _segment(name: str, key: str, values: Any, defaults: SegmentPolicy) -> SegmentSpec:
    if not isinstance(values, dict):
        raise ConfigError(f"{key}: expected a table, got {type(values).__name__}")
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._:-" for c in name) \
            or name in (TODAY, OTHER_SEGMENT):
        raise ConfigError(f"{key}: segment names are 1..64 letters, digits or ._:- "
                          f"(and not {TODAY!r} or {OTHER_SEGMENT!r}), got {name!r}")
    values = dict(values)
    if "queues" not in values and name != ALL_SEGMENT:
        raise ConfigError(f"{key}.queues: required: the queue globs of the segment, "
                          "e.g. [\"*\"] or [\"billing\", \"sales-*\"]")
    queues = string_list(f"{key}.queues", values.pop("queues", ["*"]))
    raw_match = values.pop("match", {})
    if not isinstance(raw_match, dict):
        raise ConfigError(f"{key}.match: expected a table of attribute = value(s), "
                          f"got {raw_match!r}")
    if len(raw_match) > 32:
        raise ConfigError(f"{key}.match: at most 32 attributes, got {len(raw_match)}")
    match = tuple(sorted((attr, string_list(f"{key}.match.{attr}", v, allow_scalar=True))
                         for attr, v in raw_match.items()))
    if name == ALL_SEGMENT and (queues != ("*",) or match):
        raise ConfigError(f"{key}: {ALL_SEGMENT!r} holds every visit; only its settings "
                          "(sl_threshold_s, ...) may be configured")
    policy = read_section(key, SegmentPolicy, defaults, values, ("match", "queues"))
    return SegmentSpec(name, queues, match, policy)


def _windows(name: str, raw: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{name}.windows: expected a list like [\"5m\", \"15m\"], "
                          f"got {raw!r}")
    windows = tuple(parse_window(f"{name}.windows[{i}]", w) for i, w in enumerate(raw))
    names = [w for w, _ in windows]
    for w in names:
        if w == TODAY or names.count(w) > 1:
            raise ConfigError(f"{name}.windows: {w!r} is listed twice or is reserved "
                              f"({TODAY!r} is always computed)")
    return windows


@dataclass(frozen=True)
class _EngineScalars:
    """The plain keys of ``[engine]`` (checked by the generic section reader)."""

    timezone: str = "UTC"
    max_future_s: float = 300.0
    max_lateness_s: float = 120.0
    max_visit_s: float = 14400.0
    max_segments: int = 200
    max_queues_per_agent: int = 256

    def validate(self, section: str) -> None:  # the full check runs on EngineSettings
        pass


def parse_engine(name: str, base: EngineSettings, values: Any) -> EngineSettings:
    """``base`` with the ``[engine]`` table ``values`` applied, checked as a whole."""
    if not isinstance(values, dict):
        raise ConfigError(f"{name}: expected a table, got {type(values).__name__}")
    values = dict(values)
    changes: dict[str, Any] = {}
    if "windows" in values:
        changes["windows"] = _windows(name, values.pop("windows"))
    defaults = base.defaults
    if "defaults" in values:
        defaults = read_section(f"{name}.defaults", SegmentPolicy, base.defaults,
                                values.pop("defaults"))
        changes["defaults"] = defaults
    if "segments" in values:
        raw = values.pop("segments")
        if not isinstance(raw, dict):
            raise ConfigError(f"{name}.segments: expected tables [{name}.segments.NAME]")
        changes["segments"] = tuple(_segment(seg, f"{name}.segments.{seg}", v, defaults)
                                    for seg, v in raw.items())
    scalar_names = [f.name for f in fields(_EngineScalars)]
    scalar = read_section(name, _EngineScalars, _EngineScalars(
        **{n: getattr(base, n) for n in scalar_names}), values,
        ("defaults", "segments", "windows"))
    engine = replace(base, **{n: getattr(scalar, n) for n in scalar_names}, **changes)
    engine.validate(name)
    return engine

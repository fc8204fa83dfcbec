"""Validated, immutable settings from one TOML file (``wallboard.toml``).

Every section is a frozen dataclass; loading checks each key's type and range and rejects
unknown keys, so a typo is an error that names the key (``worker.prot: unknown key``) instead
of a silently ignored setting. Pure: no Kafka, Faust, Dash or HTTP imports.
"""

from __future__ import annotations

import math
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
    "SegmentPolicy",
    "SegmentSpec",
    "KafkaSettings",
    "Settings",
    "WorkerSettings",
    "load_settings",
    "parse_window",
]


class ConfigError(ValueError):
    """A setting is missing, unknown or invalid. ``str()`` names the key and the reason."""


def _check_port(key: str, value: int) -> None:
    if not 1 <= value <= 65535:
        raise ConfigError(f"{key}: port must be 1..65535, got {value}")


def _check_range(key: str, value: float, low: float, high: float, *,
                 low_open: bool = False) -> None:
    """``low <= value <= high`` (``low < value`` with ``low_open``); NaN never passes."""
    ok = (low < value if low_open else low <= value) and value <= high
    if not ok:
        bound = f"> {low:g}" if low_open else f">= {low:g}"
        raise ConfigError(f"{key}: must be {bound} and <= {high:g}, got {value}")


DAY_S = 86400.0


def _check_topic(key: str, value: str) -> None:
    ok = value and len(value) <= 249 and all(c.isalnum() or c in "._-" for c in value)
    if not ok:
        raise ConfigError(f"{key}: not a valid Kafka topic name: {value!r}")


STATE_RECORD_MAX_BYTES = 64 * 1024 * 1024  # one checkpoint record, compressed


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap: str = "127.0.0.1:9092"
    call_topic: str = "cc.call-events"
    agent_topic: str = "cc.agent-events"
    dead_letter_topic: str = "cc.dead-letter"
    # the workers' checkpoints (compacted, one record per app and input partition)
    state_topic: str = "cc.state"
    # per-partition partials every worker publishes and merges (compacted)
    partials_topic: str = "cc.partials"
    # the merged snapshot, for the dashboard, alerting and other readers (compacted)
    snapshots_topic: str = "cc.snapshots"
    call_partitions: int = 6
    agent_partitions: int = 3
    connect_timeout_s: float = 10.0

    def validate(self, section: str) -> None:
        for server in self.bootstrap.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ConfigError(f"{section}.bootstrap: expected host:port[,host:port...], "
                                  f"got {self.bootstrap!r}")
            _check_port(f"{section}.bootstrap", int(port))
        seen: dict[str, str] = {}
        for name in ("call_topic", "agent_topic", "dead_letter_topic", "state_topic",
                     "partials_topic", "snapshots_topic"):
            topic = getattr(self, name)
            _check_topic(f"{section}.{name}", topic)
            if topic in seen:  # e.g. dead letters into the call topic: one bad record loops
                raise ConfigError(f"{section}.{name}: {topic!r} is already "
                                  f"{section}.{seen[topic]}; the topics must differ")
            seen[topic] = name
        for name in ("call_partitions", "agent_partitions"):
            _check_range(f"{section}.{name}", getattr(self, name), 0, 10000, low_open=True)
        _check_range(f"{section}.connect_timeout_s", self.connect_timeout_s, 0, 600,
                     low_open=True)

    def topics(self) -> dict[str, int]:
        """The product's topics and their partition counts (the internal ones: one partition
        each)."""
        return {self.call_topic: self.call_partitions, self.agent_topic: self.agent_partitions,
                self.dead_letter_topic: 1, self.state_topic: 1, self.partials_topic: 1,
                self.snapshots_topic: 1}

    def topic_configs(self) -> dict[str, dict[str, str]]:
        """Topic-level settings for :func:`infra.broker.create_topics`: the internal topics
        are compacted (the latest record per key survives) and take large records."""
        compacted = {"cleanup.policy": "compact",
                     "max.message.bytes": str(STATE_RECORD_MAX_BYTES),
                     "segment.ms": "600000", "min.cleanable.dirty.ratio": "0.1"}
        return {topic: dict(compacted)
                for topic in (self.state_topic, self.partials_topic, self.snapshots_topic)}


@dataclass(frozen=True)
class WorkerSettings:
    app_id: str = "cc-wallboard"
    host: str = "127.0.0.1"
    port: int = 6066
    # Faust's data dir goes below this ("" = the project's cache dir, see infra.broker)
    state_dir: str = ""
    snapshot_interval_s: float = 0.25  # p99 produce -> visible under 1 s (bench/worker.py)
    shutdown_timeout_s: float = 6.0
    http_timeout_s: float = 15.0
    # "wall": snapshots as of now; "event": as of the event-time watermark (replays)
    clock: str = "wall"
    checkpoint_interval_s: float = 5.0
    # a partition whose last record or checkpoint is older than this is listed as stale
    stale_partition_s: float = 30.0
    max_batch: int = 2000  # records per poll: bounds the time the consume path holds the loop

    def validate(self, section: str) -> None:
        if not self.app_id or not all(c.isalnum() or c in "._-" for c in self.app_id):
            raise ConfigError(f"{section}.app_id: expected letters, digits or ._- "
                              f"(it names the consumer group and a folder), got {self.app_id!r}")
        _check_port(f"{section}.port", self.port)
        _check_range(f"{section}.snapshot_interval_s", self.snapshot_interval_s, 0.05, 60)
        _check_range(f"{section}.shutdown_timeout_s", self.shutdown_timeout_s, 1, 60)
        _check_range(f"{section}.http_timeout_s", self.http_timeout_s, 1, 600)
        if self.clock not in ("wall", "event"):
            raise ConfigError(f"{section}.clock: must be wall or event, got {self.clock!r}")
        _check_range(f"{section}.checkpoint_interval_s", self.checkpoint_interval_s, 0.1, 3600)
        _check_range(f"{section}.stale_partition_s", self.stale_partition_s, 1, DAY_S)
        _check_range(f"{section}.max_batch", self.max_batch, 1, 100_000)


@dataclass(frozen=True)
class DashboardSettings:
    host: str = "127.0.0.1"
    port: int = 8050
    snapshot_url: str = "http://127.0.0.1:6066/api/v1/snapshot"
    refresh_ms: int = 1000
    poll_interval_s: float = 0.25  # one GET of the worker's snapshot per Dash process
    stale_after_s: float = 5.0
    http_timeout_s: float = 15.0
    site_name: str = "Contact centre"
    logo: str = ""  # path of an image file shown in the top bar ("" = none)
    language: str = "en"  # en or zh-CN; a board's language or ?lang= overrides it
    alerts_url: str = ""  # the alerting API (GET .../api/v1/alerts); "" = not configured
    # [dashboard.boards.NAME] tables, parsed and checked by dashboard.boards
    boards: tuple[Any, ...] = ()

    def validate(self, section: str) -> None:
        _check_port(f"{section}.port", self.port)
        if not self.snapshot_url.startswith(("http://", "https://")):
            raise ConfigError(f"{section}.snapshot_url: expected an http(s) URL, "
                              f"got {self.snapshot_url!r}")
        if self.alerts_url and not self.alerts_url.startswith(("http://", "https://")):
            raise ConfigError(f"{section}.alerts_url: expected an http(s) URL or \"\", "
                              f"got {self.alerts_url!r}")
        if self.language not in ("en", "zh-CN"):
            raise ConfigError(f"{section}.language: must be en or zh-CN, got {self.language!r}")
        if len(self.site_name) > 80:
            raise ConfigError(f"{section}.site_name: at most 80 characters")
        _check_range(f"{section}.refresh_ms", self.refresh_ms, 250, 3_600_000)
        _check_range(f"{section}.poll_interval_s", self.poll_interval_s, 0.1, 60)
        _check_range(f"{section}.stale_after_s", self.stale_after_s, 0, DAY_S, low_open=True)
        _check_range(f"{section}.http_timeout_s", self.http_timeout_s, 1, 600)


ABANDON_POLICIES = ("negative", "ignore", "positive")
WINDOW_UNITS = {"s": 1, "m": 60, "h": 3600}
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
        if not 0 <= self.sl_threshold_s <= DAY_S:
            raise ConfigError(f"{section}.sl_threshold_s: must be >= 0 and <= {DAY_S:g}, "
                              f"got {self.sl_threshold_s}")
        if not 0 < self.sl_target < 1:
            raise ConfigError(f"{section}.sl_target: must be a fraction in (0, 1), "
                              f"got {self.sl_target}")
        if not 0 <= self.short_abandon_s <= DAY_S:
            raise ConfigError(f"{section}.short_abandon_s: must be >= 0 and <= {DAY_S:g}, "
                              f"got {self.short_abandon_s}")
        if self.abandon_policy not in ABANDON_POLICIES:
            raise ConfigError(f"{section}.abandon_policy: must be one of "
                              f"{', '.join(ABANDON_POLICIES)}, got {self.abandon_policy!r}")
        _check_range(f"{section}.default_aht_s", self.default_aht_s, 0, DAY_S, low_open=True)


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
        _check_range(f"{section}.max_future_s", self.max_future_s, 0, DAY_S, low_open=True)
        if not 0 <= self.max_lateness_s <= DAY_S:
            raise ConfigError(f"{section}.max_lateness_s: must be >= 0 and <= {DAY_S:g}, "
                              f"got {self.max_lateness_s}")
        _check_range(f"{section}.max_visit_s", self.max_visit_s, 0, 7 * DAY_S, low_open=True)
        # all + other + the configured segments must fit, with room for at least one queue
        _check_range(f"{section}.max_segments", self.max_segments, len(self.segments) + 3,
                     1_000_000)
        _check_range(f"{section}.max_queues_per_agent", self.max_queues_per_agent, 1, 100_000)
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


def check_timezone(key: str, name: str) -> ZoneInfo:
    """The IANA zone ``name``, or a ConfigError naming ``key`` (never another exception)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "America"
        raise ConfigError(f"{key}: unknown time zone {name!r} (expected an IANA name such "
                          "as \"Europe/Berlin\" or \"UTC\")") from None


def parse_window(key: str, text: Any) -> tuple[str, int]:
    """``"15m"`` -> ``("15m", 900)``; the name is kept as written."""
    if not isinstance(text, str) or len(text) < 2 or text[-1] not in WINDOW_UNITS \
            or not text[:-1].isdigit():
        raise ConfigError(f"{key}: expected a duration like \"30s\", \"15m\" or \"2h\", "
                          f"got {text!r}")
    seconds = int(text[:-1]) * WINDOW_UNITS[text[-1]]
    if not 1 <= seconds <= 86400:
        raise ConfigError(f"{key}: window length must be 1 s .. 24 h, got {text!r}")
    return text, seconds


def _string_list(key: str, value: Any, *, allow_scalar: bool = False) -> tuple[str, ...]:
    if allow_scalar and isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{key}: expected a non-empty list of strings, got {value!r}")
    for item in value:
        if not isinstance(item, str) or not item:
            raise ConfigError(f"{key}: expected non-empty strings, got {item!r}")
    return tuple(value)


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
    queues = _string_list(f"{key}.queues", values.pop("queues", ["*"]))
    raw_match = values.pop("match", {})
    if not isinstance(raw_match, dict):
        raise ConfigError(f"{key}.match: expected a table of attribute = value(s), "
                          f"got {raw_match!r}")
    if len(raw_match) > 32:
        raise ConfigError(f"{key}.match: at most 32 attributes, got {len(raw_match)}")
    match = tuple(sorted((attr, _string_list(f"{key}.match.{attr}", v, allow_scalar=True))
                         for attr, v in raw_match.items()))
    if name == ALL_SEGMENT and (queues != ("*",) or match):
        raise ConfigError(f"{key}: {ALL_SEGMENT!r} holds every visit; only its settings "
                          "(sl_threshold_s, ...) may be configured")
    policy = _section(key, SegmentPolicy, defaults, values, ("match", "queues"))
    return SegmentSpec(name, queues, match, policy)


def _engine_section(name: str, base: EngineSettings, values: Any) -> EngineSettings:
    if not isinstance(values, dict):
        raise ConfigError(f"{name}: expected a table, got {type(values).__name__}")
    values = dict(values)
    changes: dict[str, Any] = {}
    if "windows" in values:
        raw = values.pop("windows")
        if not isinstance(raw, list):
            raise ConfigError(f"{name}.windows: expected a list like [\"5m\", \"15m\"], "
                              f"got {raw!r}")
        windows = tuple(parse_window(f"{name}.windows[{i}]", w) for i, w in enumerate(raw))
        names = [w for w, _ in windows]
        for w in names:
            if w == TODAY or names.count(w) > 1:
                raise ConfigError(f"{name}.windows: {w!r} is listed twice or is reserved "
                                  f"({TODAY!r} is always computed)")
        changes["windows"] = windows
    defaults = base.defaults
    if "defaults" in values:
        defaults = _section(f"{name}.defaults", SegmentPolicy, base.defaults,
                            values.pop("defaults"))
        changes["defaults"] = defaults
    if "segments" in values:
        raw = values.pop("segments")
        if not isinstance(raw, dict):
            raise ConfigError(f"{name}.segments: expected tables [{name}.segments.NAME]")
        changes["segments"] = tuple(_segment(seg, f"{name}.segments.{seg}", v, defaults)
                                    for seg, v in raw.items())
    scalar = _section(name, _EngineScalars, _EngineScalars(**{
        f.name: getattr(base, f.name) for f in fields(_EngineScalars)}), values,
        ("defaults", "segments", "windows"))
    engine = replace(base, **{f.name: getattr(scalar, f.name) for f in fields(_EngineScalars)},
                     **changes)
    engine.validate(name)
    return engine


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


@dataclass(frozen=True)
class Settings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    # [alerts]: an alerts.config.AlertSettings, parsed there (None = not configured)
    alerts: Any = None

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


def _section(name: str, cls: type, base: Any, values: Any,
             also_known: tuple[str, ...] = ()) -> Any:
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


_SECTIONS = {"kafka": KafkaSettings, "worker": WorkerSettings, "dashboard": DashboardSettings,
             "engine": EngineSettings}


def _build(data: dict[str, Any], base: Settings) -> Settings:
    parts = {}
    for name, values in data.items():
        if name == "alerts":  # parsed below by alerts.config (lazy: it imports this module)
            continue
        if name not in _SECTIONS:
            raise ConfigError(f"{name}: unknown section (known: "
                              f"{', '.join(sorted([*_SECTIONS, 'alerts']))})")
        if name == "engine":
            parts[name] = _engine_section(name, base.engine, values)
        elif name == "dashboard" and isinstance(values, dict) and "boards" in values:
            from dashboard.boards import parse_boards  # pure; the board checks live there

            values = dict(values)
            boards = parse_boards(f"{name}.boards", values.pop("boards"))
            parts[name] = replace(_section(name, DashboardSettings, base.dashboard, values,
                                           ("boards",)), boards=boards)
        else:
            parts[name] = _section(name, _SECTIONS[name], getattr(base, name), values)
    if "alerts" in data:
        from alerts.config import parse_alerts

        engine = parts.get("engine", base.engine)
        parts["alerts"] = parse_alerts(data["alerts"], default_timezone=engine.timezone)
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

"""The rules of ``[alerts.rules.NAME]``: :class:`Rule` and its parser, one reader per kind.

Every rule has the common keys (segments, ``for``, ``keep_firing_for``, the no-data policy,
summary, minimum volume); each kind adds its own: a threshold its figure and ``above`` or
``below``, a staffing rule its ``gap``, a surge rule its window and tail probabilities (as
scores, ``-log10 p``), a feed-stalled rule ``stall_after``. A key another kind takes is an
unknown key here. Last, the thresholds are checked for order: ``clear`` on the safe side of
the firing threshold (hysteresis), ``critical`` beyond it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from streams.core.checks import WEEK_S, parse_duration
from streams.core.errors import ConfigError

from ..surge import score_of
from .fields import Field, Keys, choice, number, strings

__all__ = ["FIGURE_ROOTS", "KINDS", "NO_DATA", "SEVERITIES", "Rule", "check_figure",
           "parse_rule"]

KINDS = ("threshold", "surge", "staffing", "feed_stalled")
NO_DATA = ("ok", "keep_last", "alerting")
SEVERITIES = ("warning", "critical")
FIGURE_ROOTS = ("now", "windows", "forecast")
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


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


def check_figure(key: str, figure: Any) -> str:
    """A snapshot figure path: ``now.*``, ``windows.<window>.<figure>`` or ``forecast.*``."""
    if not isinstance(figure, str) or not figure:
        raise ConfigError(f"{key}: expected a snapshot figure such as "
                          f"\"windows.15m.service_level\", got {figure!r}")
    parts = figure.split(".")
    if parts[0] not in FIGURE_ROOTS or len(parts) < 2 or any(not p for p in parts) or (
            parts[0] == "windows" and len(parts) != 3):
        raise ConfigError(f"{key}: expected now.<figure>, now.agents.<state>, "
                          f"windows.<window>.<figure> or forecast.<figure>, got {figure!r}")
    return figure


def _summary(key: str, summary: Any) -> str:
    if not isinstance(summary, str) or len(summary) > 1024:
        raise ConfigError(f"{key}: expected a string of at most 1024 characters")
    return summary


_COMMON: tuple[Field, ...] = (
    ("segments", "segments", strings),
    ("for", "for_s", parse_duration),
    ("keep_firing_for", "keep_firing_for_s", parse_duration),
    ("on_no_data", "on_no_data", lambda k, v: choice(k, v, NO_DATA)),
    ("no_data_resolve", "no_data_resolve_s", parse_duration),
    ("summary", "summary", _summary),
    ("min_volume", "min_volume", lambda k, v: number(k, v, 0, 1e9)),
    ("volume", "volume", check_figure),
)


def _threshold(t: Keys, args: dict[str, Any]) -> None:
    key = t.key
    args["figure"] = check_figure(f"{key}.figure", t.pop("figure"))
    if "volume" not in args and args["figure"].startswith("windows."):
        args["volume"] = ".".join([*args["figure"].split(".")[:2], "offered"])
    above, below = t.pop("above"), t.pop("below")
    if (above is None) == (below is None):
        raise ConfigError(f"{key}: give exactly one of above or below (the firing "
                          "threshold)")
    args["op"] = ">" if above is not None else "<"
    first = number(f"{key}.{'above' if above is not None else 'below'}",
                   above if above is not None else below)
    severity = choice(f"{key}.severity", t.pop("severity", "warning"), SEVERITIES)
    args["warning" if severity == "warning" else "critical"] = first
    if t.has("critical"):
        if severity == "critical":
            raise ConfigError(f"{key}.critical: the rule is already critical "
                              "(severity = \"critical\")")
        args["critical"] = number(f"{key}.critical", t.pop("critical"))
    if t.has("clear"):
        args["clear"] = number(f"{key}.clear", t.pop("clear"))


def _staffing(t: Keys, args: dict[str, Any]) -> None:
    key = t.key
    gap = number(f"{key}.gap", t.pop("gap", 1), 1, 100000)
    args.update(op=">=", warning=gap)
    if t.has("critical"):
        args["critical"] = number(f"{key}.critical", t.pop("critical"), 1, 100000)
    args["clear"] = number(f"{key}.clear", t.pop("clear", gap - 1), -100000, 100000)
    args.setdefault("for_s", 300.0)


def _surge(t: Keys, args: dict[str, Any]) -> None:
    key = t.key
    window = t.pop("window", "5m")
    if not isinstance(window, str) or not window:
        raise ConfigError(f"{key}.window: expected a window name such as \"5m\"")
    args["window"] = window
    args["figure"] = f"windows.{window}.offered"
    p_warn = number(f"{key}.p_warning", t.pop("p_warning", 1e-5), 1e-300, 0.5)
    args.update(op=">", warning=score_of(p_warn))
    if t.has("p_critical"):
        p_crit = number(f"{key}.p_critical", t.pop("p_critical"), 1e-300, 0.5)
        if p_crit >= p_warn:
            raise ConfigError(f"{key}.p_critical: must be smaller than p_warning "
                              f"({p_warn:g}), got {p_crit:g}")
        args["critical"] = score_of(p_crit)
    p_clear = number(f"{key}.p_clear", t.pop("p_clear", 1e-2), 1e-300, 1.0)
    if p_clear <= p_warn:
        raise ConfigError(f"{key}.p_clear: must be larger than p_warning ({p_warn:g}), "
                          f"got {p_clear:g}")
    args["clear"] = score_of(p_clear)
    args["min_count"] = int(number(f"{key}.min_count", t.pop("min_count", 10), 1, 1e9))
    args["volume"], args["min_volume"] = args["figure"], float(args["min_count"])
    _surge_baseline(t, args)


def _surge_baseline(t: Keys, args: dict[str, Any]) -> None:
    """The keys of a surge rule's baseline: bucket, history, EWMA, floor."""
    key = t.key
    args["bucket_s"] = parse_duration(f"{key}.bucket", t.pop("bucket", "15m"), low=60,
                                      high=86400)
    if WEEK_S % args["bucket_s"]:
        raise ConfigError(f"{key}.bucket: must divide a week evenly, got "
                          f"{args['bucket_s']:g} s")
    args["min_weeks"] = int(number(f"{key}.min_weeks", t.pop("min_weeks", 1), 1, 52))
    args["ewma_half_life_s"] = parse_duration(
        f"{key}.ewma_half_life", t.pop("ewma_half_life", "1h"), low=60, high=WEEK_S)
    args["min_baseline"] = number(f"{key}.min_baseline", t.pop("min_baseline", 1.0),
                                  0.01, 1e9)


def _feed_stalled(t: Keys, args: dict[str, Any]) -> None:
    key = t.key
    stall = parse_duration(f"{key}.stall_after", t.pop("stall_after", "5m"), low=1)
    args.update(stall_after_s=stall, op=">=", critical=stall, clear=stall)
    args["min_expected"] = number(f"{key}.min_expected", t.pop("min_expected", 20.0),
                                  0, 1e9)
    args["figure"] = "feed.stalled_s"


_KIND_KEYS = {"threshold": _threshold, "staffing": _staffing, "surge": _surge,
              "feed_stalled": _feed_stalled}


def parse_rule(name: str, key: str, table: Any) -> Rule:
    """The rule ``name`` from its table (``key`` prefixes errors)."""
    if not _NAME.match(name):
        raise ConfigError(f"{key}: rule names are 1..64 letters, digits or _.:-, got {name!r}")
    t = Keys(key, table)
    kind = choice(f"{key}.kind", t.pop("kind", "threshold"), KINDS)
    args: dict[str, Any] = {"name": name, "kind": kind}
    t.read(_COMMON, args)
    _KIND_KEYS[kind](t, args)
    t.done()
    rule = Rule(**args)
    if rule.clear is None:
        rule = replace(rule, clear=rule.first_threshold)
    _check_order(key, rule)
    return rule


def _check_order(key: str, rule: Rule) -> None:
    """``clear`` must lie on the safe side of the firing threshold, ``critical`` beyond it."""
    first, clear = rule.first_threshold, rule.clear
    warning, critical = rule.warning, rule.critical
    assert clear is not None
    if rule.op == "<":
        if clear < first:
            raise ConfigError(f"{key}.clear: must be >= the below threshold {first:g} "
                              f"(hysteresis), got {clear:g}")
        if warning is not None and critical is not None and critical > warning:
            raise ConfigError(f"{key}.critical: must be <= the warning threshold "
                              f"{warning:g}, got {critical:g}")
    else:
        if clear > first:
            raise ConfigError(f"{key}.clear: must be <= the firing threshold {first:g} "
                              f"(hysteresis), got {clear:g}")
        if warning is not None and critical is not None and critical < warning:
            raise ConfigError(f"{key}.critical: must be >= the warning threshold "
                              f"{warning:g}, got {critical:g}")

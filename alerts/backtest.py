"""Backtest: replay a recorded event file through the metrics engine and the alert rules.

Pure and offline, on the event clock: the snapshots come from ``streams.compute.snapshots``
(the same path as ``wallboard compute``: one snapshot every ``every`` seconds, each as of an
instant after which no event up to it can still arrive), and each goes through
:class:`alerts.core.AlertEngine` exactly as the live process would. No Kafka, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from streams.core.compute import ComputeStats, snapshots
from streams.core.config import EngineSettings
from streams.core.timefmt import parse_as_of

from .config import AlertSettings
from .core import FIRING, RESOLVED, AlertEngine

__all__ = ["BacktestResult", "Incident", "run_backtest"]


@dataclass
class Incident:
    rule: str
    segment: str
    kind: str
    fingerprint: str
    start: float
    end: float | None = None
    severity: str = "warning"
    peak: float | None = None
    pages: int = 0
    muted: str = ""

    def to_dict(self) -> dict:
        return {"rule": self.rule, "segment": self.segment, "kind": self.kind,
                "start": self.start, "end": self.end, "severity": self.severity,
                "peak": self.peak, "pages": self.pages, "muted": self.muted,
                "fingerprint": self.fingerprint}


@dataclass
class BacktestResult:
    incidents: list[Incident] = field(default_factory=list)
    notifications: int = 0
    resolves: int = 0
    evaluations: int = 0
    first: float | None = None
    last: float | None = None
    stats: ComputeStats = field(default_factory=ComputeStats)

    def summary(self) -> dict[str, dict]:
        """Per rule: incidents, pages (firing notifications), critical ones, hours firing."""
        out: dict[str, dict] = {}
        for inc in self.incidents:
            row = out.setdefault(inc.rule, {"incidents": 0, "pages": 0, "critical": 0,
                                            "segments": set(), "firing_s": 0.0})
            row["incidents"] += 1
            row["pages"] += inc.pages
            row["critical"] += inc.severity == "critical"
            row["segments"].add(inc.segment)
            row["firing_s"] += ((inc.end if inc.end is not None else self.last or inc.start)
                                - inc.start)
        for row in out.values():
            row["segments"] = sorted(row["segments"])
        return out


def _epoch(as_of: str) -> float:
    parsed = parse_as_of(as_of)
    if parsed is None:  # pragma: no cover - the engine writes every as_of
        raise ValueError(f"not an RFC 3339 instant: {as_of!r}")
    return parsed.timestamp()


def run_backtest(lines: Iterable[bytes], engine_settings: EngineSettings,
                 settings: AlertSettings, *, every: float,
                 warmup_s: float = 0.0,
                 on_invalid: Callable[[int, str], None] | None = None,
                 engine: AlertEngine | None = None) -> BacktestResult:
    """Every incident the rules would have raised on ``lines`` (JSON Lines events).

    The first ``warmup_s`` of event time only teach the surge baselines (as the live
    process's state in ``cc.alerts`` would have): nothing in it is counted, and incidents
    that started in it are not reported."""
    alerts = engine or AlertEngine(settings)
    result = BacktestResult()
    open_: dict[str, Incident] = {}
    first: float | None = None
    for snap in snapshots(lines, engine_settings, every=every, on_invalid=on_invalid,
                          stats=result.stats):
        t = _epoch(snap["as_of"])
        first = t if first is None else first
        notices = alerts.step(snap, t)
        if t < first + warmup_s:
            alerts.drain_dirty()
            continue
        result.first = t if result.first is None else result.first
        result.last = t
        result.evaluations += 1
        for n in notices:
            if n.status == FIRING:
                result.notifications += 1
            else:
                result.resolves += 1
        paged = {n.fingerprint for n in notices if n.status == FIRING}
        for fp, inst in alerts.instances.items():
            inc = open_.get(fp)
            if inst.state == FIRING:
                if inc is None and (inst.started_at or 0) < first + warmup_s:
                    continue  # started during the warm-up
                if inc is None:
                    assert inst.started_at is not None
                    inc = open_[fp] = Incident(inst.rule, inst.segment, inst.kind, fp,
                                               inst.started_at)
                    result.incidents.append(inc)
                inc.severity, inc.peak = inst.severity, inst.peak
                inc.pages += fp in paged
                if inst.muted_by and not inc.muted:
                    inc.muted = inst.muted_by
            elif inst.state == RESOLVED and inc is not None:
                inc.end = inst.resolved_at
                del open_[fp]
        for fp in [fp for fp in open_ if fp not in alerts.instances]:
            del open_[fp]
        alerts.drain_dirty()
    return result

"""An engine of one rule (named ``r``), snapshots of one segment and a series fed through
them, on an injected clock (``t`` is passed to every step): the engine tests' helpers."""

from __future__ import annotations

from alerts.config import parse_alerts
from alerts.core import AlertEngine

__all__ = ["T0", "WAIT", "engine", "run", "snap"]

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z, a Friday


def engine(rule: dict, **top) -> AlertEngine:
    return AlertEngine(parse_alerts({"rules": {"r": rule}, **top}))


def snap(seg: str = "billing", **figures) -> dict:
    """A snapshot of one segment; figures like ``windows__15m__service_level=0.5``."""
    data: dict = {"now": {"agents": {}}, "windows": {"15m": {}}, "forecast": {}}
    for key, value in figures.items():
        *path, last = key.split("__")
        node = data
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return {"segments": {seg: data}}


def run(eng: AlertEngine, values: list, step: float = 10.0, start: float = T0,
        make=None) -> list[tuple[float, str, str]]:
    """Feed ``values`` (one per step); return ``(t, status, severity)`` of every notice."""
    make = make or (lambda v: snap(now__oldest_wait_s=v))
    out = []
    for i, v in enumerate(values):
        t = start + i * step
        for n in eng.step(make(v) if v != "gap" else None, t):
            out.append((t - start, n.status, n.severity))
    return out


WAIT = {"figure": "now.oldest_wait_s", "above": 60}

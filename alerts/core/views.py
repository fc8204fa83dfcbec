"""What ``GET /api/v1/alerts`` shows: active and recent alerts, silences (no secrets).

Firing alerts first, then pending ones, critical before warning, oldest first; recently
resolved ones newest first. Each row is the instance's record plus its labels, its summary
line in the configured language, ``startsAt`` and whether its notifications are
suppressed (muted, snoozed or acknowledged).
"""

from __future__ import annotations

from typing import Protocol

from streams.core.timefmt import rfc3339

from ..config import AlertSettings, Rule
from ..messages import what
from .model import FIRING, RESOLVED, Instance, Silence, labels
from .notify import Send, notice

__all__ = ["Viewed", "view"]


class Viewed(Protocol):
    """What a view reads of the engine."""

    settings: AlertSettings
    rules: dict[str, Rule]
    instances: dict[str, Instance]
    silences: dict[str, Silence]
    evaluations: int


def _row(engine: Viewed, inst: Instance, t: float) -> dict:
    out = inst.to_dict()
    out["labels"] = labels(inst)
    status = RESOLVED if inst.state == RESOLVED else FIRING
    out["summary"] = what(notice(inst, engine.rules[inst.rule], Send(status, "", t, t)),
                          engine.settings.language)
    out["startsAt"] = (rfc3339(inst.started_at) if inst.started_at is not None
                       else None)
    out["suppressed"] = bool(inst.muted_by) or (
        inst.snoozed_until is not None and t < inst.snoozed_until) or (
        inst.acked_until is not None and t < inst.acked_until)
    return out


def view(engine: Viewed, t: float) -> dict:
    """Active and recent alerts and silences of ``engine`` at ``t``."""
    active = [_row(engine, i, t) for i in engine.instances.values() if i.active]
    recent = [_row(engine, i, t) for i in engine.instances.values() if i.state == RESOLVED]
    order = {"critical": 0, "warning": 1}
    active.sort(key=lambda r: (r["state"] != FIRING, order.get(r["severity"], 2),
                               r["started_at"] or r["pending_since"] or 0))
    recent.sort(key=lambda r: -(r["resolved_at"] or 0))
    return {"alerts": [r for r in active if r["state"] == FIRING],
            "active": active, "recent": recent,
            "silences": [s.to_dict() for s in engine.silences.values()],
            "evaluations": engine.evaluations}

"""The notification log: what to send about an instance now, and why (pure).

A firing instance is notified once (``first notification``), again when its severity is
upgraded (unless snoozed) and every ``repeat_interval`` (unless acknowledged or snoozed);
a muted one (silence, quiet hours) never. A resolve is sent once, whatever ack or snooze
say; a silence mutes it (as in Alertmanager). Sending records ``notified_*`` on the
instance and keeps the prior values in the notice, so a failed delivery can be undone.
"""

from __future__ import annotations

from typing import NamedTuple

from ..config import AlertSettings, Rule
from .model import FIRING, RESOLVED, Instance, Notice, labels

__all__ = ["Send", "decide", "notice", "notify"]


class Send(NamedTuple):
    """What a notice says: its status and reason, when it is sent and its ``endsAt``."""

    status: str
    reason: str
    at: float
    ends: float


def notice(inst: Instance, rule: Rule, send: Send,
           prior: tuple[str, float | None, str] = ("", None, "")) -> Notice:
    """The notice of ``inst`` (its rule ``rule``) as ``send`` says."""
    return Notice(send.status, send.reason, inst.fingerprint, inst.rule, inst.segment,
                  inst.kind, inst.severity, labels(inst), rule.figure, rule.op, inst.value,
                  inst.threshold, dict(inst.details),
                  inst.started_at if inst.started_at is not None else send.at, send.ends,
                  send.at, prior, rule.summary)


def notify(inst: Instance, rule: Rule, send: Send) -> Notice:
    """Record ``send`` in the instance's notification log and return its notice."""
    prior = (inst.notified_status, inst.notified_at, inst.notified_severity)
    inst.notified_status, inst.notified_at = send.status, send.at
    inst.notified_severity = inst.severity
    return notice(inst, rule, send, prior)


def _firing_reason(inst: Instance, t: float, repeat_interval_s: float) -> str:
    """Why to notify a firing instance now ("": not now)."""
    if inst.muted_by:
        return ""
    if inst.notified_status != FIRING:
        return "first notification"
    if inst.snoozed_until is not None and t < inst.snoozed_until:
        return ""
    if inst.notified_severity == "warning" and inst.severity == "critical":
        return "severity upgraded"
    if inst.acked_until is not None and t < inst.acked_until:
        return ""
    if t - (inst.notified_at or t) >= repeat_interval_s:
        return "repeat interval elapsed"
    return ""


def decide(inst: Instance, rule: Rule, t: float, settings: AlertSettings) -> Notice | None:
    """The notice to send about ``inst`` at ``t``, if any (recorded in its log)."""
    if inst.state == FIRING:
        reason = _firing_reason(inst, t, settings.repeat_interval_s)
        if reason:
            return notify(inst, rule, Send(FIRING, reason, t, t + settings.lease_s))
    elif inst.state == RESOLVED and inst.notified_status == FIRING:
        # ack and snooze never stop a resolve; a silence mutes it (as in Alertmanager)
        if inst.muted_by.startswith("silence:") or not settings.send_resolved:
            inst.notified_status, inst.notified_at = RESOLVED, t
            return None
        return notify(inst, rule, Send(RESOLVED, "resolved", t, inst.resolved_at or t))
    return None

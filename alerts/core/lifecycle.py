"""The lifecycle of an instance: verdicts and the state machine (pure, clock-free).

Per evaluation a reading gives a verdict: ``fire`` (past the firing threshold), ``clear``
(past the clear threshold), ``band`` (between them: no change, this is the hysteresis) or
``closed`` (the segment's schedule is closed: nothing pages, what fired resolves). No data
follows the rule's ``on_no_data``; a null figure (no one waiting) and a segment below its
minimum volume clear. :func:`advance` moves the instance
``inactive -> pending (for) -> firing -> resolved``; ``keep_firing_for`` delays the resolve
after the first ``clear``. Severity is the incident's peak: it is raised, never lowered.
"""

from __future__ import annotations

from collections.abc import Callable

from ..config import Rule
from .kinds import Evaluation, Reading
from .model import FIRING, INACTIVE, PENDING, RESOLVED, Instance

__all__ = ["advance", "observe", "severity_of", "verdict"]

# the verdict of a reading without data, per on_no_data
_NO_DATA = {"ok": "clear", "keep_last": "band", "alerting": "fire"}


def verdict(rule: Rule, value: float) -> str:
    """``fire``, ``clear`` or ``band`` of ``value`` against the rule's thresholds."""
    first, clear = rule.first_threshold, rule.clear
    assert clear is not None
    if rule.op == "<":
        return "fire" if value < first else ("clear" if value >= clear else "band")
    fired = value >= first if rule.op == ">=" else value > first
    if fired:
        return "fire"
    cleared = value < clear if rule.op == ">=" else value <= clear
    return "clear" if cleared else "band"


def severity_of(rule: Rule, value: float | None) -> str:
    if rule.critical is None:
        return "warning"
    if value is None or rule.warning is None:
        return "critical"
    crit = value < rule.critical if rule.op == "<" else (
        value >= rule.critical if rule.op == ">=" else value > rule.critical)
    return "critical" if crit else "warning"


def _judge(ev: Evaluation, inst: Instance, reading: Reading, is_open: bool) -> str:
    rule, value = ev.rule, reading.value
    if not is_open:
        return "closed"
    if value is None and ev.data is not None and rule.kind != "feed_stalled":
        return "clear"  # a null figure: nothing to judge (no one waiting, no calls)
    if value is None:  # no data: the segment is gone or the source fails
        assert inst.no_data_since is not None
        if rule.on_no_data == "keep_last" and \
                ev.t - inst.no_data_since >= rule.no_data_resolve_s:
            return "clear"  # missing for too long: the series is gone, resolve it
        return _NO_DATA[rule.on_no_data]
    if not reading.volume_ok:
        return "clear"
    return verdict(rule, value)


def observe(ev: Evaluation, inst: Instance, reading: Reading, is_open: bool) -> str:
    """Record ``reading`` on ``inst`` and return its verdict (``is_open``: the segment's
    schedule at ``ev.t``)."""
    inst.last_eval = ev.t
    if reading.value is None:
        inst.no_data_since = inst.no_data_since if inst.no_data_since is not None else ev.t
    else:
        inst.no_data_since = None
    result = _judge(ev, inst, reading, is_open)
    if reading.value is not None or result != "band":
        inst.value = reading.value
        inst.details = reading.details
    return result


def _promote(rule: Rule, inst: Instance, t: float) -> None:
    """Pending for ``for`` seconds: firing."""
    if inst.state == PENDING and t - (inst.pending_since or t) >= rule.for_s:
        inst.state, inst.started_at = FIRING, t


def _fire(rule: Rule, inst: Instance, t: float) -> None:
    inst.clear_since = None
    if inst.state in (INACTIVE, RESOLVED):  # a new incident
        inst.state, inst.pending_since = PENDING, t
        inst.started_at = inst.resolved_at = None
        inst.peak = None
        inst.severity = severity_of(rule, inst.value)
        inst.acked_until = inst.snoozed_until = None
        inst.acked_by = inst.snoozed_by = ""
    _promote(rule, inst, t)
    if severity_of(rule, inst.value) == "critical":
        inst.severity = "critical"


def _band(rule: Rule, inst: Instance, t: float) -> None:
    _promote(rule, inst, t)
    inst.clear_since = None


def _clear(rule: Rule, inst: Instance, t: float) -> None:
    if inst.state == PENDING:
        inst.state, inst.pending_since = INACTIVE, None
    elif inst.state == FIRING:
        inst.clear_since = inst.clear_since if inst.clear_since is not None else t
        if t - inst.clear_since >= rule.keep_firing_for_s:
            inst.state, inst.resolved_at = RESOLVED, t


def _closed(rule: Rule, inst: Instance, t: float) -> None:
    """A closed queue never pages; what fired resolves now."""
    if inst.state == PENDING:
        inst.state, inst.pending_since = INACTIVE, None
    elif inst.state == FIRING:
        inst.state, inst.resolved_at = RESOLVED, t


_STEPS: dict[str, Callable[[Rule, Instance, float], None]] = {
    "fire": _fire, "band": _band, "clear": _clear, "closed": _closed}


def advance(rule: Rule, inst: Instance, result: str, t: float) -> None:
    """Move ``inst`` by the verdict ``result`` at ``t``; an active instance keeps its peak."""
    _STEPS[result](rule, inst, t)
    if inst.active and inst.value is not None:
        better = inst.peak is None or (inst.value < inst.peak if rule.op == "<"
                                       else inst.value > inst.peak)
        if better:
            inst.peak = inst.value

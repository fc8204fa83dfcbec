"""What a rule reads of a snapshot: the evaluation's inputs, the reading, the simple kinds.

An :class:`Evaluation` is one rule on one segment at one instant; a :class:`Reading` what
the rule's kind makes of it: the value compared with the thresholds (None: no data), the
details a notification shows, and whether the segment has the volume the rule asks for.
The threshold and staffing kinds read figures straight off the segment; the surge and
feed-stalled kinds keep state (:mod:`.surge_rule`, :mod:`.stalled_rule`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..config import Rule
from ..config.fields import finite

__all__ = ["Evaluation", "Reading", "figure", "read_staffing", "read_threshold", "volume_ok"]


class Evaluation(NamedTuple):
    """One rule on one segment at instant ``t``."""

    rule: Rule
    segment: str
    data: dict | None  # the segment's block of the snapshot (None: not in it)
    snapshot: dict | None  # the whole snapshot (None: the source failed)
    t: float
    source_error: str = ""


class Reading(NamedTuple):
    """A rule's value on a segment (None: no data), its details, and whether the segment
    has the rule's minimum volume."""

    value: float | None
    details: dict
    volume_ok: bool = True


def figure(data: Any, path: str) -> Any:
    """The value at the dotted ``path`` of ``data`` (None when a part is missing)."""
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def volume_ok(rule: Rule, data: dict) -> bool:
    """Whether the segment has the rule's ``min_volume`` of its ``volume`` figure."""
    if rule.min_volume <= 0:
        return True
    volume = finite(figure(data, rule.volume))
    return volume is not None and volume >= rule.min_volume


def read_threshold(ev: Evaluation, data: dict) -> Reading:
    """The rule's figure, as it is."""
    return Reading(finite(figure(data, ev.rule.figure)), {}, volume_ok(ev.rule, data))


def read_staffing(ev: Evaluation, data: dict) -> Reading:
    """Agents required by the Erlang C forecast minus agents staffed."""
    ok = volume_ok(ev.rule, data)
    required = finite(figure(data, "forecast.agents_required"))
    staffed = finite(figure(data, "now.agents.staffed"))
    if required is None or staffed is None:
        return Reading(None, {}, ok)
    return Reading(required - staffed, {"required": required, "staffed": staffed}, ok)

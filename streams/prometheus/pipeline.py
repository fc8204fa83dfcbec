"""What one render knows besides the snapshot, and the names every family shares.

:class:`Pipeline` is the worker's knowledge of itself at one render (its counters, the
engines' checkpointed totals, the thresholds, its timings and the broker's reachability);
``PREFIX``, :func:`build_info` and :func:`segment_type` name the families and their labels.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata

__all__ = ["PREFIX", "Pipeline", "build_info", "segment_type"]

PREFIX = "callcenter"


def build_info() -> dict[str, str]:
    """The labels of ``callcenter_build_info``."""
    try:
        version = metadata.version("cc-wallboard")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {"version": version, "python_version": platform.python_version()}


@dataclass(frozen=True)
class Pipeline:
    """What the worker knows about itself at one render (the snapshot's companion)."""

    now: float                                            # wall clock of the render
    counts: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (topic, outcome)
    outcomes: Mapping[str, int] = field(default_factory=dict)
    folded: Mapping[str, int] = field(default_factory=dict)
    # call-topic partition -> segment -> Engine.totals row (as of its last checkpoint)
    totals: Mapping[int, Mapping[str, list[int]]] = field(default_factory=dict)
    sl_threshold_ms: Mapping[str, int] = field(default_factory=dict)  # per segment
    configured: frozenset[str] = frozenset()              # names of configured segments
    topics: tuple[str, ...] = ()                          # input topics (series from 0)
    snapshot_build_s: float | None = None
    partials_publish_s: float | None = None
    broker_reachable: bool | None = None
    last_record_age_s: float | None = None
    info: Mapping[str, str] = field(default_factory=build_info)



def segment_type(name: str, configured: frozenset[str]) -> str:
    return "configured" if name in configured else "queue"

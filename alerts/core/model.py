"""What the engine keeps and hands out: instances, notices, silences, and their identity.

An :class:`Instance` is one rule on one segment (identity = ``alertname`` + ``segment``,
hashed by :func:`fingerprint`): its lifecycle state, last value and notification log, saved
as ``i:<fingerprint>`` in ``cc.alerts``. A :class:`Notice` is one alert to deliver; a
:class:`Silence` mutes the instances its matchers select while it is active.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from operator import attrgetter

from streams.core.config import ALL_SEGMENT

from ..config import Matcher, parse_matcher

__all__ = ["ALL", "FIRING", "INACTIVE", "PENDING", "RESOLVED", "TRACKED", "Instance", "Notice",
           "Notification", "Silence", "fingerprint", "group_key", "identity", "labels",
           "tracked"]

ALL = ALL_SEGMENT  # the whole centre's segment
INACTIVE, PENDING, FIRING, RESOLVED = "inactive", "pending", "firing", "resolved"
# the fields whose change is persisted (state and notification log, not every value)
TRACKED = ("state", "severity", "peak", "pending_since", "started_at", "resolved_at",
           "notified_status", "notified_at", "notified_severity", "acked_until",
           "snoozed_until", "muted_by", "clear_since")


def fingerprint(labels: dict[str, str]) -> str:
    """16 hex digits of SHA-256 over the sorted identity labels (never severity or value)."""
    text = "\x00".join(f"{k}={labels[k]}" for k in sorted(labels))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def identity(rule: str, segment: str) -> dict[str, str]:
    """The labels that identify an instance (what :func:`fingerprint` hashes)."""
    return {"alertname": rule, "segment": segment}


@dataclass
class Instance:
    fingerprint: str
    rule: str
    segment: str
    kind: str
    state: str = INACTIVE
    severity: str = "warning"
    value: float | None = None
    peak: float | None = None
    threshold: float = 0.0
    details: dict = field(default_factory=dict)
    pending_since: float | None = None
    started_at: float | None = None
    clear_since: float | None = None
    resolved_at: float | None = None
    last_eval: float = 0.0
    muted_by: str = ""
    notified_status: str = ""
    notified_at: float | None = None
    notified_severity: str = ""
    acked_until: float | None = None
    acked_by: str = ""
    snoozed_until: float | None = None
    snoozed_by: str = ""
    no_data_since: float | None = None

    @property
    def active(self) -> bool:
        return self.state in (PENDING, FIRING)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Instance:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def labels(inst: Instance) -> dict[str, str]:
    """The labels of an instance's alerts: identity, severity and kind."""
    return {**identity(inst.rule, inst.segment), "severity": inst.severity,
            "kind": inst.kind}


# the values of the TRACKED fields of an instance (a change of them is persisted)
tracked: Callable[[Instance], tuple] = attrgetter(*TRACKED)


@dataclass(frozen=True)
class Notice:
    """One alert to deliver: a firing or resolved notification (``reason`` says why)."""

    status: str
    reason: str
    fingerprint: str
    rule: str
    segment: str
    kind: str
    severity: str
    labels: dict
    figure: str
    op: str
    value: float | None
    threshold: float
    details: dict
    starts_at: float
    ends_at: float
    at: float
    prior: tuple[str, float | None, str] = ("", None, "")
    note: str = ""  # the rule's own summary text (``summary`` in its settings)


def group_key(group_labels: dict[str, str]) -> str:
    """An aggregation group's key, as Alertmanager writes it: ``{alertname="sl_low"}``."""
    inner = ",".join(f'{k}="{group_labels[k]}"' for k in sorted(group_labels))
    return "{" + inner + "}"


@dataclass(frozen=True)
class Notification:
    """One message to a receiver about one aggregation group (the ``group_by`` labels):
    the group's firing alerts and those resolved since its last notification.

    ``key`` (:func:`group_key` of ``labels``) names the group: a newer notification of the
    same key supersedes an older one still waiting for delivery. ``reason`` says why it is
    sent now (``group_wait``, ``group_interval``, ``repeat_interval``)."""

    key: str
    labels: dict
    firing: tuple[Notice, ...]
    resolved: tuple[Notice, ...]
    reason: str
    at: float

    @property
    def alerts(self) -> tuple[Notice, ...]:
        """Firing first, then resolved."""
        return self.firing + self.resolved


@dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts: float
    ends: float
    author: str
    comment: str
    created_at: float

    def active(self, t: float) -> bool:
        return self.starts <= t < self.ends

    def matches(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)

    def to_dict(self) -> dict:
        return {"id": self.id, "matchers": [m.text() for m in self.matchers],
                "starts": self.starts, "ends": self.ends, "author": self.author,
                "comment": self.comment, "created_at": self.created_at}

    @classmethod
    def from_dict(cls, data: dict) -> Silence:
        return cls(data["id"], tuple(parse_matcher("silence.matchers", m)
                                     for m in data["matchers"]),
                   float(data["starts"]), float(data["ends"]), str(data["author"]),
                   str(data.get("comment", "")), float(data.get("created_at", 0.0)))

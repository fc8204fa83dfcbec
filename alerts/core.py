"""The alert engine: rules over snapshots, the instance lifecycle, notification decisions.

Pure and clock-free: every call takes the instant ``t`` (epoch seconds; the wall clock live,
the event clock in a backtest). No Kafka, HTTP or Apprise here; the shell (``alerts.service``)
fetches snapshots, delivers :class:`Notice` objects and persists :meth:`AlertEngine.drain_dirty`.

Lifecycle of an instance (one per rule and segment, identity = ``alertname`` + ``segment``):
``inactive -> pending (for) -> firing -> resolved``. Per evaluation a value gives a verdict:
``fire`` (past the firing threshold), ``clear`` (past the clear threshold), ``band`` (between
them: no change, this is the hysteresis). ``keep_firing_for`` delays the resolve after the
first ``clear``. Severity is the incident's peak: an upgrade updates the same incident (same
fingerprint) and is notified; a downgrade is not.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any
from zoneinfo import ZoneInfo

from streams.core.timefmt import rfc3339

from .config import AlertSettings, Matcher, Rule, parse_matcher
from .messages import what
from .schedule import Schedules
from .surge import Baseline, log10_poisson_tail, poisson_quantile

__all__ = ["AlertEngine", "Instance", "Notice", "Silence", "fingerprint"]

ALL = "all"
INACTIVE, PENDING, FIRING, RESOLVED = "inactive", "pending", "firing", "resolved"
BASELINE_PERSIST_S = 300.0
# the fields whose change is persisted (state and notification log, not every value)
_TRACKED = ("state", "severity", "peak", "pending_since", "started_at", "resolved_at",
            "notified_status", "notified_at", "notified_severity", "acked_until",
            "snoozed_until", "muted_by", "clear_since")


def fingerprint(labels: dict[str, str]) -> str:
    """16 hex digits of SHA-256 over the sorted identity labels (never severity or value)."""
    text = "\x00".join(f"{k}={labels[k]}" for k in sorted(labels))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _window_s(name: str) -> float | None:
    units = {"s": 1, "m": 60, "h": 3600}
    if len(name) >= 2 and name[-1] in units and name[:-1].isdigit():
        return int(name[:-1]) * units[name[-1]]
    return None


@dataclass
class _Activity:
    offered: float
    since: float


class AlertEngine:
    """Evaluates the rules of ``settings`` on snapshots; keeps instances, silences, baselines.

    ``step(snapshot, t)`` returns the notices to deliver now. ``refresh(t)`` the alerts to
    re-send to Alertmanager (firing ones with a fresh ``endsAt`` lease, recently resolved
    ones with their ``endsAt``), so a receiver resolves by itself if this process dies.
    """

    def __init__(self, settings: AlertSettings) -> None:
        self.settings = settings
        self.tz = ZoneInfo(settings.timezone)
        self.rules = {r.name: r for r in settings.rules}
        self.schedules = Schedules(settings.schedules, self.tz)
        self.instances: dict[str, Instance] = {}
        self.baselines: dict[tuple[str, str], Baseline] = {}
        self._baseline_saved: dict[tuple[str, str], float] = {}
        self.silences: dict[str, Silence] = {}
        for i, (matchers, starts, ends, author, comment) in enumerate(settings.silences):
            sid = f"config-{i}"
            self.silences[sid] = Silence(sid, matchers, starts, ends, author, comment, 0.0)
        self._activity: dict[str, _Activity] = {}
        self._fingerprints: dict[tuple[str, str], str] = {}
        # rules with on_no_data = "alerting": segment -> when last seen (bounded)
        self._known: dict[str, dict[str, float]] = {}
        self.last_ok: float | None = None
        self.first_step: float | None = None
        self.dirty: dict[str, dict | None] = {}
        self.evaluations = 0

    # -- identity ---------------------------------------------------------------------------

    @staticmethod
    def identity(rule: str, segment: str) -> dict[str, str]:
        return {"alertname": rule, "segment": segment}

    def labels(self, inst: Instance) -> dict[str, str]:
        return {**self.identity(inst.rule, inst.segment), "severity": inst.severity,
                "kind": inst.kind}

    def _instance(self, rule: Rule, segment: str) -> Instance:
        fp = self._fingerprints.get((rule.name, segment))
        if fp is None:
            if len(self._fingerprints) > 100_000:
                self._fingerprints.clear()
            fp = self._fingerprints[(rule.name, segment)] = fingerprint(
                self.identity(rule.name, segment))
        inst = self.instances.get(fp)
        if inst is None:
            inst = Instance(fp, rule.name, segment, rule.kind,
                            severity="warning" if rule.warning is not None else "critical",
                            threshold=rule.first_threshold)
        return inst

    # -- evaluation -------------------------------------------------------------------------

    def step(self, snapshot: dict | None, t: float, *, source_error: str = "") -> list[Notice]:
        """Evaluate every rule at ``t`` on ``snapshot`` (None: the source failed)."""
        self.evaluations += 1
        if self.first_step is None:
            self.first_step = t
        segments = snapshot.get("segments") if isinstance(snapshot, dict) else None
        if not isinstance(segments, dict):
            segments = None
        if segments is not None:
            self.last_ok = t
            self._track_activity(segments, t)
        notices: list[Notice] = []
        for rule in self.settings.rules:
            seen: set[str] = set()
            if segments is not None:
                for seg in segments:
                    if self._selected(rule, seg):
                        seen.add(seg)
                        self._evaluate(rule, seg, segments[seg], snapshot, t, notices)
            if rule.kind == "feed_stalled" and ALL not in seen and self._selected(rule, ALL):
                seen.add(ALL)
                self._evaluate(rule, ALL, None, snapshot, t, notices, source_error=source_error)
            missing = {i.segment for i in self.instances.values() if i.rule == rule.name
                       and i.segment not in seen}
            if rule.on_no_data == "alerting":  # a segment that disappears must alert too
                known = self._known.setdefault(rule.name, {})
                for seg in seen:
                    if seg in known or len(known) < self.settings.max_instances:
                        known[seg] = t
                for seg, last in list(known.items()):
                    if seg not in seen:
                        if t - last > rule.no_data_resolve_s:
                            del known[seg]
                        else:
                            missing.add(seg)
            for seg in sorted(missing):
                self._evaluate(rule, seg, None, snapshot, t, notices)
        self._expire(t)
        return notices

    def _selected(self, rule: Rule, segment: str) -> bool:
        """Names and globs; a pattern starting with ``!`` excludes (``["*", "!all"]``)."""
        hit = False
        for pattern in rule.segments:
            if pattern.startswith("!"):
                if fnmatchcase(segment, pattern[1:]):
                    return False
            elif fnmatchcase(segment, pattern):
                hit = True
        return hit

    def _track_activity(self, segments: dict, t: float) -> None:
        for seg, data in segments.items():
            offered = _number(_get(data, "windows.today.offered"))
            if offered is None:
                continue
            act = self._activity.get(seg)
            if act is None:
                if len(self._activity) >= 100_000:  # bounded, whatever the segment churn
                    self._activity.clear()
                self._activity[seg] = _Activity(offered, t)
            elif offered > act.offered:
                act.offered, act.since = offered, t
            else:  # the same, or a new day started (today restarts at 0): no arrival
                act.offered = offered

    def _value(self, rule: Rule, seg: str, data: dict | None, snapshot: dict | None, t: float,
               inst: Instance, source_error: str) -> tuple[float | None, dict, bool]:
        """``(value, details, volume_ok)``; value None = no data."""
        if rule.kind == "feed_stalled":
            return self._stalled(rule, seg, data, snapshot, t, source_error)
        if data is None:
            return None, {}, True
        volume_ok = True
        if rule.min_volume > 0:
            volume = _number(_get(data, rule.volume))
            volume_ok = volume is not None and volume >= rule.min_volume
        if rule.kind == "threshold":
            return _number(_get(data, rule.figure)), {}, volume_ok
        if rule.kind == "staffing":
            required = _number(_get(data, "forecast.agents_required"))
            staffed = _number(_get(data, "now.agents.staffed"))
            if required is None or staffed is None:
                return None, {}, volume_ok
            return required - staffed, {"required": required, "staffed": staffed}, volume_ok
        # surge
        observed = _number(_get(data, rule.figure))
        if observed is None:
            return None, {}, volume_ok
        key = (rule.name, seg)
        baseline = self.baselines.setdefault(key, Baseline())
        expected, source = baseline.expected(t, self.tz, rule.bucket_s, rule.min_weeks)
        value, details = 0.0, {"observed": int(observed), "window": rule.window}
        if expected is not None:
            lam = max(expected, rule.min_baseline)
            log10p = log10_poisson_tail(int(observed), lam)
            value = -log10p
            details.update(expected=round(lam, 2), p=10 ** log10p, baseline=source,
                           ratio=round(observed / lam, 2))
        cap = None
        if inst.active and expected is not None:
            assert rule.clear is not None
            cap = poisson_quantile(max(expected, rule.min_baseline), 10 ** -rule.clear)
        baseline.learn(t, observed, self.tz, rule.bucket_s, rule.ewma_half_life_s, cap=cap)
        if t - self._baseline_saved.get(key, -math.inf) >= BASELINE_PERSIST_S:
            self._baseline_saved[key] = t
            self.dirty[f"b:{rule.name}:{seg}"] = baseline.to_dict()
        return value, details, volume_ok

    def _stalled(self, rule: Rule, seg: str, data: dict | None, snapshot: dict | None,
                 t: float, source_error: str) -> tuple[float | None, dict, bool]:
        """Seconds without fresh data (>= stall_after fires), and why."""
        stall = rule.stall_after_s
        if snapshot is None or not isinstance(snapshot.get("segments"), dict):
            if seg != ALL:
                return None, {}, True
            # since the last good snapshot (or since this process started without one)
            since = self.last_ok if self.last_ok is not None else (self.first_step or t)
            return t - since, {"why": "source", "error": source_error[:200]}, True
        fresh = snapshot.get("freshness") if isinstance(snapshot.get("freshness"), dict) else {}
        feed = snapshot.get("feed") if isinstance(snapshot.get("feed"), dict) else {}
        segs_fresh = fresh.get("segments")
        seg_fresh = segs_fresh.get(seg) if isinstance(segs_fresh, dict) else None
        if isinstance(seg_fresh, dict) and seg_fresh.get("stale") is True:
            age = _number(seg_fresh.get("age_s")) or 0.0
            return max(age, stall), {"why": "freshness", "age_s": age}, True
        if seg == ALL:
            if feed.get("broker_reachable") is False:
                return stall + (_number(feed.get("last_record_age_s")) or 0.0), \
                    {"why": "broker"}, True
            if fresh.get("stale_partitions"):
                parts = [str(p) for p in fresh["stale_partitions"]][:20]
                return stall, {"why": "freshness", "partitions": parts}, True
        act = self._activity.get(seg)
        if data is None or act is None:
            return (0.0 if data is not None else None), {}, True
        stalled_s = t - act.since
        # Only a segment whose recent rate makes a silence this long improbable: expected
        # arrivals in the gap >= min_expected (P(no arrival) = exp(-expected)).
        longest = max(((w, s) for w in (data.get("windows") or {})
                       if (s := _window_s(w)) is not None), key=lambda x: x[1], default=None)
        expected = 0.0
        if longest is not None:
            offered = _number(_get(data, f"windows.{longest[0]}.offered")) or 0.0
            # the rate over the whole window (its tail is the gap itself): conservative
            expected = offered / longest[1] * stalled_s
        details = {"why": "no_arrivals", "expected": round(expected, 1)}
        return stalled_s, details, expected >= rule.min_expected

    def _verdict(self, rule: Rule, value: float) -> str:
        first, clear = rule.first_threshold, rule.clear
        assert clear is not None
        if rule.op == "<":
            return "fire" if value < first else ("clear" if value >= clear else "band")
        fired = value >= first if rule.op == ">=" else value > first
        if fired:
            return "fire"
        cleared = value < clear if rule.op == ">=" else value <= clear
        return "clear" if cleared else "band"

    def _severity_of(self, rule: Rule, value: float | None) -> str:
        if rule.critical is None:
            return "warning"
        if value is None or rule.warning is None:
            return "critical"
        crit = value < rule.critical if rule.op == "<" else (
            value >= rule.critical if rule.op == ">=" else value > rule.critical)
        return "critical" if crit else "warning"

    def _evaluate(self, rule: Rule, seg: str, data: dict | None, snapshot: dict | None,
                  t: float, out: list[Notice], *, source_error: str = "") -> None:
        inst = self._instance(rule, seg)
        before = tuple(getattr(inst, k) for k in _TRACKED)
        value, details, volume_ok = self._value(rule, seg, data, snapshot, t, inst,
                                                source_error)
        inst.last_eval = t
        if value is None:
            inst.no_data_since = inst.no_data_since if inst.no_data_since is not None else t
        else:
            inst.no_data_since = None
        if not self.schedules.is_open(seg, t):
            verdict = "closed"
        elif value is None and data is not None and rule.kind != "feed_stalled":
            verdict = "clear"  # a null figure: nothing to judge (no one waiting, no calls)
        elif value is None:  # no data: the segment is gone or the source fails
            verdict = {"ok": "clear", "keep_last": "band", "alerting": "fire"}[rule.on_no_data]
            if rule.on_no_data == "keep_last" and t - inst.no_data_since >= \
                    rule.no_data_resolve_s:
                verdict = "clear"  # missing for too long: the series is gone, resolve it
        elif not volume_ok:
            verdict = "clear"
        else:
            verdict = self._verdict(rule, value)
        if value is not None or verdict != "band":
            inst.value = value
            inst.details = details
        self._advance(rule, inst, verdict, t)
        if inst.state == INACTIVE:
            if inst.fingerprint in self.instances:
                del self.instances[inst.fingerprint]
                self.dirty[f"i:{inst.fingerprint}"] = None
            return
        if len(self.instances) >= self.settings.max_instances \
                and inst.fingerprint not in self.instances:
            return  # bounded: a flood of segments cannot grow the state without limit
        self.instances[inst.fingerprint] = inst
        self._mute(inst, t)
        notice = self._decide(rule, inst, t)
        if notice is not None:
            out.append(notice)
        # persist on every change of state or notification log (not on every value change)
        if tuple(getattr(inst, k) for k in _TRACKED) != before:
            self.dirty[f"i:{inst.fingerprint}"] = inst.to_dict()

    def _advance(self, rule: Rule, inst: Instance, verdict: str, t: float) -> None:
        if verdict == "fire":
            inst.clear_since = None
            if inst.state in (INACTIVE, RESOLVED):
                inst.state, inst.pending_since = PENDING, t
                inst.started_at = inst.resolved_at = None
                inst.peak = None
                inst.severity = self._severity_of(rule, inst.value)
                inst.acked_until = inst.snoozed_until = None
                inst.acked_by = inst.snoozed_by = ""
            if inst.state == PENDING and t - (inst.pending_since or t) >= rule.for_s:
                inst.state, inst.started_at = FIRING, t
            sev = self._severity_of(rule, inst.value)
            if sev == "critical":
                inst.severity = "critical"
        elif verdict == "band":
            if inst.state == PENDING and t - (inst.pending_since or t) >= rule.for_s:
                inst.state, inst.started_at = FIRING, t
            inst.clear_since = None
        elif verdict == "clear":
            if inst.state == PENDING:
                inst.state, inst.pending_since = INACTIVE, None
            elif inst.state == FIRING:
                inst.clear_since = inst.clear_since if inst.clear_since is not None else t
                if t - inst.clear_since >= rule.keep_firing_for_s:
                    inst.state, inst.resolved_at = RESOLVED, t
        else:  # closed: a closed queue never pages; what fired resolves now
            if inst.state == PENDING:
                inst.state, inst.pending_since = INACTIVE, None
            elif inst.state == FIRING:
                inst.state, inst.resolved_at = RESOLVED, t
        if inst.active and inst.value is not None:
            better = inst.peak is None or (inst.value < inst.peak if rule.op == "<"
                                           else inst.value > inst.peak)
            if better:
                inst.peak = inst.value

    def _mute(self, inst: Instance, t: float) -> None:
        labels = self.labels(inst)
        silence = next((s for s in self.silences.values()
                        if s.active(t) and s.matches(labels)), None)
        if silence is not None:
            inst.muted_by = f"silence:{silence.id}"
        elif self.schedules.is_quiet(inst.segment, t):
            inst.muted_by = "quiet hours"
        else:
            inst.muted_by = ""

    def _decide(self, rule: Rule, inst: Instance, t: float) -> Notice | None:
        """The notification log: what to send now, and why (the NotifyReason)."""
        s = self.settings
        if inst.state == FIRING:
            if inst.muted_by:
                return None
            reason = ""
            if inst.notified_status != FIRING:
                reason = "first notification"
            elif inst.snoozed_until is not None and t < inst.snoozed_until:
                return None
            elif inst.notified_severity == "warning" and inst.severity == "critical":
                reason = "severity upgraded"
            elif inst.acked_until is not None and t < inst.acked_until:
                return None
            elif t - (inst.notified_at or t) >= s.repeat_interval_s:
                reason = "repeat interval elapsed"
            if reason:
                return self._notify(inst, FIRING, reason, t, t + s.lease_s)
        elif inst.state == RESOLVED and inst.notified_status == FIRING:
            # ack and snooze never stop a resolve; a silence mutes it (as in Alertmanager)
            if inst.muted_by.startswith("silence:") or not s.send_resolved:
                inst.notified_status, inst.notified_at = RESOLVED, t
                return None
            return self._notify(inst, RESOLVED, "resolved", t, inst.resolved_at or t)
        return None

    def _notify(self, inst: Instance, status: str, reason: str, t: float, ends: float
                ) -> Notice:
        prior = (inst.notified_status, inst.notified_at, inst.notified_severity)
        inst.notified_status, inst.notified_at = status, t
        inst.notified_severity = inst.severity
        return self._notice(inst, status, reason, t, ends, prior)

    def _notice(self, inst: Instance, status: str, reason: str, t: float, ends: float,
                prior: tuple[str, float | None, str] = ("", None, "")) -> Notice:
        rule = self.rules[inst.rule]
        return Notice(status, reason, inst.fingerprint, inst.rule, inst.segment, inst.kind,
                      inst.severity, self.labels(inst), rule.figure, rule.op, inst.value,
                      inst.threshold, dict(inst.details),
                      inst.started_at if inst.started_at is not None else t, ends, t, prior,
                      rule.summary)

    def delivery_failed(self, notice: Notice) -> None:
        """The notice could not be delivered: forget it was sent, so the next step retries."""
        inst = self.instances.get(notice.fingerprint)
        if inst is not None and inst.notified_at == notice.at:
            inst.notified_status, inst.notified_at, inst.notified_severity = notice.prior
            self.dirty[f"i:{inst.fingerprint}"] = inst.to_dict()

    def refresh(self, t: float) -> list[Notice]:
        """Alerts to (re-)send to Alertmanager now: firing ones that were notified, with
        ``endsAt = t + lease``; resolved ones (kept ``resolved_retention``) with theirs."""
        out = []
        for inst in self.instances.values():
            if inst.state == FIRING and inst.notified_status == FIRING and not inst.muted_by:
                out.append(self._notice(inst, FIRING, "", t, t + self.settings.lease_s))
            elif inst.state == RESOLVED and inst.notified_status == RESOLVED:
                out.append(self._notice(inst, RESOLVED, "", t, inst.resolved_at or t))
        return out

    def _expire(self, t: float) -> None:
        keep = self.settings.resolved_retention_s
        for fp in [fp for fp, i in self.instances.items() if i.state == RESOLVED
                   and t - (i.resolved_at or t) > keep]:
            del self.instances[fp]
            self.dirty[f"i:{fp}"] = None
        for sid in [sid for sid, s in self.silences.items() if t >= s.ends]:
            del self.silences[sid]
            if not sid.startswith("config-"):
                self.dirty[f"s:{sid}"] = None

    # -- operator actions -------------------------------------------------------------------

    def _find(self, fp: str) -> Instance:
        inst = self.instances.get(fp)
        if inst is None or not inst.active:
            raise KeyError(f"no active alert with fingerprint {fp!r}")
        return inst

    def acknowledge(self, fp: str, by: str, until: float) -> Instance:
        """Stop repeats of ``fp`` until ``until`` (a severity upgrade and the resolve are
        still sent)."""
        inst = self._find(fp)
        inst.acked_until, inst.acked_by = until, by
        self.dirty[f"i:{fp}"] = inst.to_dict()
        return inst

    def snooze(self, fp: str, by: str, until: float) -> Instance:
        """Mute repeats and upgrades of ``fp`` until ``until``; the resolve is still sent."""
        inst = self._find(fp)
        inst.snoozed_until, inst.snoozed_by = until, by
        self.dirty[f"i:{fp}"] = inst.to_dict()
        return inst

    def add_silence(self, matchers: Iterable[Matcher], starts: float, ends: float,
                    author: str, comment: str, now: float) -> Silence:
        matchers = tuple(matchers)
        if not matchers:
            raise ValueError("matchers: at least one matcher is required")
        if ends <= starts or ends <= now:
            raise ValueError("ends: must be after starts and in the future")
        if not author:
            raise ValueError("author: required")
        body = json.dumps([[m.text() for m in matchers], starts, ends, author, comment, now])
        sid = hashlib.sha256(body.encode()).hexdigest()[:12]
        silence = Silence(sid, matchers, starts, ends, author, comment, now)
        self.silences[sid] = silence
        self.dirty[f"s:{sid}"] = silence.to_dict()
        return silence

    def expire_silence(self, sid: str, now: float) -> Silence:
        silence = self.silences.get(sid)
        if silence is None:
            raise KeyError(f"no silence {sid!r}")
        ended = replace(silence, ends=min(silence.ends, now))
        del self.silences[sid]
        self.dirty[f"s:{sid}"] = None if not sid.startswith("config-") else ended.to_dict()
        return ended

    # -- state ------------------------------------------------------------------------------

    def drain_dirty(self) -> dict[str, dict | None]:
        """The records changed since the last call (key -> value, None = deleted)."""
        dirty, self.dirty = self.dirty, {}
        return dirty

    def restore(self, records: dict[str, dict]) -> None:
        """Load the latest record per key (the compacted topic, read to its end)."""
        for key, value in records.items():
            if value is None:
                continue
            kind, _, rest = key.partition(":")
            if kind == "i":
                inst = Instance.from_dict(value)
                if inst.rule in self.rules:
                    self.instances[inst.fingerprint] = inst
            elif kind == "b":
                rule, _, seg = rest.partition(":")
                if rule in self.rules:
                    self.baselines[(rule, seg)] = Baseline.from_dict(value)
            elif kind == "s":
                self.silences[rest] = Silence.from_dict(value)

    def view(self, t: float) -> dict:
        """Active and recent alerts and silences, for ``GET /api/v1/alerts`` (no secrets)."""
        def row(inst: Instance) -> dict:
            out = inst.to_dict()
            out["labels"] = self.labels(inst)
            status = RESOLVED if inst.state == RESOLVED else FIRING
            out["summary"] = what(self._notice(inst, status, "", t, t),
                                  self.settings.language)
            out["startsAt"] = (rfc3339(inst.started_at) if inst.started_at is not None
                               else None)
            out["suppressed"] = bool(inst.muted_by) or (
                inst.snoozed_until is not None and t < inst.snoozed_until) or (
                inst.acked_until is not None and t < inst.acked_until)
            return out

        active = [row(i) for i in self.instances.values() if i.active]
        recent = [row(i) for i in self.instances.values() if i.state == RESOLVED]
        order = {"critical": 0, "warning": 1}
        active.sort(key=lambda r: (r["state"] != FIRING, order.get(r["severity"], 2),
                                   r["started_at"] or r["pending_since"] or 0))
        recent.sort(key=lambda r: -(r["resolved_at"] or 0))
        return {"alerts": [r for r in active if r["state"] == FIRING],
                "active": active, "recent": recent,
                "silences": [s.to_dict() for s in self.silences.values()],
                "evaluations": self.evaluations}

"""The engine facade: :class:`AlertEngine` runs the rules over snapshots and keeps state.

Each :meth:`AlertEngine.step` evaluates every rule on every segment it selects (plus the
segments that vanished while an instance of the rule lives, and ``all`` for a feed-stalled
rule): the rule's kind reads a value (:mod:`.kinds`, :mod:`.surge_rule`,
:mod:`.stalled_rule`), :mod:`.lifecycle` moves the instance, :mod:`.notify` decides what to
send. The changed records (instances, baselines, silences) collect in ``dirty`` for the
shell to persist; :meth:`AlertEngine.restore` loads them back. Operator actions (ack,
snooze, silences) and the API view (:mod:`.views`) go through here too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import replace
from fnmatch import fnmatchcase
from typing import NamedTuple
from zoneinfo import ZoneInfo

from streams.core.errors import ConfigError

from ..config import AlertSettings, Matcher, Rule
from ..schedule import Schedules
from ..surge import Baseline
from . import views
from .kinds import Evaluation, Reading, read_staffing, read_threshold
from .lifecycle import advance, observe
from .model import (
    ALL,
    FIRING,
    INACTIVE,
    RESOLVED,
    Instance,
    Notice,
    Silence,
    fingerprint,
    identity,
    labels,
    tracked,
)
from .notify import Send, decide, notice
from .stalled_rule import FeedWatch
from .surge_rule import SurgeScores

__all__ = ["AlertEngine", "selects"]

_MAX_FINGERPRINTS = 100_000


def selects(rule: Rule, segment: str) -> bool:
    """Names and globs; a pattern starting with ``!`` excludes (``["*", "!all"]``)."""
    hit = False
    for pattern in rule.segments:
        if pattern.startswith("!"):
            if fnmatchcase(segment, pattern[1:]):
                return False
        elif fnmatchcase(segment, pattern):
            hit = True
    return hit


class _Step(NamedTuple):
    """One step: its snapshot, the snapshot's segments (None: no data), where notices go."""

    snapshot: dict | None
    segments: dict | None
    t: float
    source_error: str
    notices: list[Notice]


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
        self.surge = SurgeScores(self.tz)
        self.feed = FeedWatch()
        self.silences: dict[str, Silence] = {}
        for i, (matchers, starts, ends, author, comment) in enumerate(settings.silences):
            sid = f"config-{i}"
            self.silences[sid] = Silence(sid, matchers, starts, ends, author, comment, 0.0)
        self._fingerprints: dict[tuple[str, str], str] = {}
        # rules with on_no_data = "alerting": segment -> when last seen (bounded)
        self._known: dict[str, dict[str, float]] = {}
        self.dirty: dict[str, dict | None] = {}
        self.evaluations = 0

    @property
    def baselines(self) -> dict[tuple[str, str], Baseline]:
        """The surge baselines per (rule, segment)."""
        return self.surge.baselines

    def _instance(self, rule: Rule, segment: str) -> Instance:
        fp = self._fingerprints.get((rule.name, segment))
        if fp is None:
            if len(self._fingerprints) > _MAX_FINGERPRINTS:
                self._fingerprints.clear()
            fp = self._fingerprints[(rule.name, segment)] = fingerprint(
                identity(rule.name, segment))
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
        segments = snapshot.get("segments") if isinstance(snapshot, dict) else None
        if not isinstance(segments, dict):
            segments = None
        self.feed.saw(segments, t)
        step = _Step(snapshot, segments, t, source_error, [])
        for rule in self.settings.rules:
            self._step_rule(rule, step)
        self._expire(t)
        return step.notices

    def _step_rule(self, rule: Rule, step: _Step) -> None:
        seen: set[str] = set()
        if step.segments is not None:
            for seg, data in step.segments.items():
                if selects(rule, seg):
                    seen.add(seg)
                    self._evaluate(Evaluation(rule, seg, data, step.snapshot, step.t),
                                   step.notices)
        if rule.kind == "feed_stalled" and ALL not in seen and selects(rule, ALL):
            seen.add(ALL)
            self._evaluate(Evaluation(rule, ALL, None, step.snapshot, step.t,
                                      step.source_error), step.notices)
        for seg in sorted(self._missing(rule, seen, step.t)):
            self._evaluate(Evaluation(rule, seg, None, step.snapshot, step.t), step.notices)

    def _missing(self, rule: Rule, seen: set[str], t: float) -> set[str]:
        """The segments of the rule's instances not in this snapshot; with
        ``on_no_data = "alerting"`` also those seen within ``no_data_resolve``."""
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
        return missing

    def _read(self, ev: Evaluation, inst: Instance) -> Reading:
        """What the rule's kind reads (value None = no data)."""
        kind, data = ev.rule.kind, ev.data
        if kind == "feed_stalled":
            return self.feed.read(ev)
        if data is None:
            return Reading(None, {}, True)
        if kind == "threshold":
            return read_threshold(ev, data)
        if kind == "staffing":
            return read_staffing(ev, data)
        return self.surge.read(ev, data, inst.active, self.dirty)

    def _evaluate(self, ev: Evaluation, out: list[Notice]) -> None:
        rule, t = ev.rule, ev.t
        inst = self._instance(rule, ev.segment)
        before = tracked(inst)
        reading = self._read(ev, inst)
        is_open = self.schedules.is_open(ev.segment, t)
        advance(rule, inst, observe(ev, inst, reading, is_open), t)
        fp = inst.fingerprint
        if inst.state == INACTIVE:
            if fp in self.instances:
                del self.instances[fp]
                self.dirty[f"i:{fp}"] = None
            return
        if len(self.instances) >= self.settings.max_instances and fp not in self.instances:
            return  # bounded: a flood of segments cannot grow the state without limit
        self.instances[fp] = inst
        self._mute(inst, t)
        sent = decide(inst, rule, t, self.settings)
        if sent is not None:
            out.append(sent)
        # persist on every change of state or notification log (not on every value change)
        if tracked(inst) != before:
            self.dirty[f"i:{fp}"] = inst.to_dict()

    def _mute(self, inst: Instance, t: float) -> None:
        found = labels(inst)
        silence = next((s for s in self.silences.values()
                        if s.active(t) and s.matches(found)), None)
        if silence is not None:
            inst.muted_by = f"silence:{silence.id}"
        elif self.schedules.is_quiet(inst.segment, t):
            inst.muted_by = "quiet hours"
        else:
            inst.muted_by = ""

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
            rule = self.rules[inst.rule]
            if inst.state == FIRING and inst.notified_status == FIRING and not inst.muted_by:
                out.append(notice(inst, rule, Send(FIRING, "", t, t + self.settings.lease_s)))
            elif inst.state == RESOLVED and inst.notified_status == RESOLVED:
                out.append(notice(inst, rule, Send(RESOLVED, "", t, inst.resolved_at or t)))
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

    def restore(self, records: dict[str, dict]) -> list[str]:
        """Load the latest record per key (the compacted topic, read to its end). A saved
        silence whose matchers no longer parse (a pattern RE2 refuses) is dropped, with a
        tombstone; the reasons are returned, for the shell to log."""
        dropped: list[str] = []
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
                try:
                    self.silences[rest] = Silence.from_dict(value)
                except ConfigError as exc:
                    dropped.append(f"silence {rest}: {exc}")
                    self.dirty[key] = None
        return dropped

    def view(self, t: float) -> dict:
        """Active and recent alerts and silences, for ``GET /api/v1/alerts`` (no secrets)."""
        return views.view(self, t)

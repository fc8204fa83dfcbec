"""Asterisk ``queue_log`` → event contract v1: a pure mapper, a file follower and the CLI.

Three layers, each usable on its own:

* :class:`LineParser` turns one line of any storage layout (the native pipe-delimited file,
  the realtime/DB table as CSV, the PBXware export) into a :class:`QueueLogRecord` whose
  parameters are in native ``queue_log`` order.
* :class:`QueueLogConverter` runs the per-call and per-agent state machine and turns lines
  into contract events with stable ids. Pure: lines in, event dicts out, no I/O.
* :class:`Tailer` and :func:`stream_file` read a growing file, follow rotation and
  truncation, and persist the position plus the converter state in a small JSON file;
  :func:`add_parser` and :func:`cmd_asterisk` are the ``wallboard asterisk`` command.

The mapping table and the decisions behind it are in ``docs/sources-asterisk.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import math
import os
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schemas import InvalidEvent, parse_event

from ..core.timefmt import rfc3339

if TYPE_CHECKING:
    from ..config import StreamSettings
    from ..sink import EventSink

__all__ = [
    "DEFAULT_SOURCE",
    "LAYOUTS",
    "ConvertStats",
    "FilePosition",
    "LineParser",
    "MalformedLine",
    "QueueLogConverter",
    "QueueLogRecord",
    "Tailer",
    "agent_id",
    "cmd_asterisk",
    "convert_file",
    "convert_lines",
    "load_state",
    "save_state",
    "stream_file",
    "summary_lines",
]

LAYOUTS: tuple[str, ...] = ("auto", "native", "realtime", "pbxware")
DEFAULT_SOURCE = "asterisk"
POLL_S = 0.5
MAX_OPEN_S = 4 * 3600.0  # forget visits without news for this long (the engine's max_visit_s)
STATE_VERSION = 1
MAX_REPORTED = 200  # malformed lines kept with their reason (all are counted)

_MAX_ID_CHARS = 256
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*").fullmatch
_EPOCH = re.compile(r"[0-9]{1,12}(?:\.[0-9]+)?").fullmatch
_MAX_EPOCH = 253402300800.0  # 10000-01-01: datetime's limit

# -- event names ---------------------------------------------------------------------------

_DEQUEUE_REASON = {"EXITWITHTIMEOUT": "timeout", "EXITWITHKEY": "ivr_exit", "EXITEMPTY": "other"}
_END = frozenset({"COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER",
                  "ATTENDEDTRANSFER"})
_CALL_EVENTS = frozenset({"ENTERQUEUE", "CONNECT", "ABANDON", *_DEQUEUE_REASON, *_END})
_LOGIN = frozenset({"AGENTLOGIN", "AGENTCALLBACKLOGIN"})
_LOGOFF = frozenset({"AGENTLOGOFF", "AGENTCALLBACKLOGOFF"})
_AGENT_EVENTS = frozenset({"ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL",
                           "UNPAUSEALL", *_LOGIN, *_LOGOFF})


class MalformedLine(ValueError):
    """A line that cannot be read; ``str()`` is the reason (it never quotes the whole line)."""


@dataclass(frozen=True, slots=True)
class QueueLogRecord:
    """One ``queue_log`` line, whatever its layout, with the parameters in native order.

    ``queue`` and ``agent`` are ``"NONE"`` when the line concerns no queue or no member;
    ``event`` is upper case; trailing empty parameters are dropped.
    """

    epoch: float
    callid: str
    queue: str
    agent: str
    event: str
    params: tuple[str, ...] = ()

    def param(self, i: int) -> str:
        return self.params[i] if i < len(self.params) else ""


def agent_id(member: str) -> str:
    """The contract ``agent_id`` of a member interface or name.

    ``Tech/ident[@context][/n]`` → ``ident``, so a callback agent's ``Local/1127@callback-agent``
    (its membership) and ``Agent/1127`` (its calls) are the same agent ``1127``, and
    ``SIP/8007``/``PJSIP/8007`` become ``8007``. A member *name* (``log_membername_as_agent``)
    is kept as it is.
    """
    _, slash, rest = member.partition("/")
    ident = rest.split("@", 1)[0] if slash else member
    return ident or member


# -- parsing -------------------------------------------------------------------------------

# PBXware's export: the native parameters re-arranged into fixed columns (see _pbx_params).
_PBX_COLUMNS = ("uid", "date_time", "callid", "queue_name", "type", "event", "param1",
                "param2", "param3", "entpos", "expos", "htime", "ttime", "time")
_PBX_REQUIRED = frozenset(_PBX_COLUMNS) - {"uid", "time"}
# Realtime/DB table: column names and the aliases other exporters use (QueueMetrics: time_id,
# call_id, queue, verb).
_RT_ALIASES = {
    "time": ("time", "time_id", "timestamp", "datetime"),
    "callid": ("callid", "call_id", "uniqueid"),
    "queuename": ("queuename", "queue_name", "queue"),
    "agent": ("agent", "member", "membername"),
    "event": ("event", "verb"),
}
_RT_POSITIONAL = {"time": 0, "callid": 1, "queuename": 2, "agent": 3, "event": 4}


def _pbx_params(event: str, row: dict[str, str]) -> list[str]:
    """Native parameters of a PBXware row: ``htime`` is the hold/wait time (or the RINGNOANSWER
    ms), ``ttime`` the talk time, ``entpos``/``expos`` the entry/exit positions, ``param1``
    the caller id; CONNECT keeps the bridged uniqueid and ring time in ``param2``/``param3``.
    """
    p1, p2, p3 = row["param1"], row["param2"], row["param3"]
    entpos, expos, htime, ttime = row["entpos"], row["expos"], row["htime"], row["ttime"]
    if event == "ENTERQUEUE":  # url|callerid|origposition
        return ["", p1, entpos]
    if event == "CONNECT":  # holdtime|bridged-uniqueid|ringtime
        return [htime, p2, p3]
    if event in ("COMPLETECALLER", "COMPLETEAGENT"):  # holdtime|calltime|origposition
        return [htime, ttime, entpos]
    if event in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"):  # position|origposition|waittime
        return [expos, entpos, htime]
    if event == "EXITWITHKEY":  # key|position|origposition|waittime (key column: our guess)
        return [p2, expos, entpos, htime]
    if event == "RINGNOANSWER":  # ringtime (ms)
        return [htime]
    if event in ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"):
        return [p2, p3, htime, ttime, entpos]  # exten|context|holdtime|calltime|origposition
    return [p1, p2, p3]


def _checked(value: float, text: str) -> float:
    if not 0 < value < _MAX_EPOCH:
        raise MalformedLine(f"time out of range {text[:40]!r}")
    return value


def _parse_epoch(text: str) -> float:
    s = text.strip()
    if not _EPOCH(s):
        raise MalformedLine(f"bad epoch {s[:40]!r}")
    return _checked(float(s), s)


def _parse_time(text: str, tz: tzinfo) -> float:
    """A realtime ``time`` value: epoch seconds, or a datetime (local to ``tz`` if naive)."""
    s = text.strip()
    if _EPOCH(s):
        return _parse_epoch(s)
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise MalformedLine(f"bad time {s[:40]!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return _checked(dt.timestamp(), s)


def _looks_like_time(text: str) -> bool:
    try:
        _parse_time(text, UTC)
    except MalformedLine:
        return False
    return True


def _record(epoch: float, callid: str, queue: str, agent: str, event: str,
            params: list[str]) -> QueueLogRecord:
    callid, queue, agent, event = callid.strip(), queue.strip(), agent.strip(), event.strip()
    if not _EVENT_NAME(event):
        raise MalformedLine(f"bad event name {event[:40]!r}")
    if not callid:
        raise MalformedLine("empty callid")
    for name, value in (("callid", callid), ("queue", queue), ("agent", agent)):
        if len(value) > _MAX_ID_CHARS:
            raise MalformedLine(f"{name} longer than {_MAX_ID_CHARS} characters")
    while params and not params[-1].strip():
        params.pop()
    return QueueLogRecord(epoch, callid, queue or "NONE", agent or "NONE", event.upper(),
                          tuple(params))


class LineParser:
    """One line of text → :class:`QueueLogRecord` (``None`` for blank and header lines).

    ``layout="auto"`` detects the layout from the first non-blank line of each file (call
    :meth:`new_file` when a new file starts): ``epoch|...`` is native; a CSV header naming
    ``date_time``/``htime``/``ttime``/``entpos`` is PBXware; a CSV header naming
    time/callid/queuename/agent/event (or QueueMetrics' aliases) is realtime; a CSV line
    starting with a time is realtime without header. An explicit layout skips detection but
    still takes a header line when there is one. ``tz`` is the zone of realtime datetimes
    written without an offset (Asterisk writes the PBX's local time).
    """

    def __init__(self, layout: str = "auto", *, tz: tzinfo = UTC) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}, expected one of {', '.join(LAYOUTS)}")
        self.requested = layout
        self.tz = tz
        self.new_file()

    def new_file(self) -> None:
        self.layout: str | None = None
        self._columns: tuple[str, ...] | None = None
        self._delimiter = ","
        self._idx: dict[str, int] = {}
        self._data: list[int] | None = None  # None: every field after the fifth
        self._legacy_data = False  # one realtime ``data`` column holding p1|p2|p3

    # -- state (the detected layout of the file being read) --------------------------------
    def state(self) -> dict[str, Any]:
        return {"layout": self.layout, "delimiter": self._delimiter,
                "columns": None if self._columns is None else list(self._columns)}

    def restore(self, state: dict[str, Any]) -> None:
        self.new_file()
        layout = state["layout"]
        if layout is None:
            return
        if layout not in LAYOUTS[1:]:
            raise ValueError(f"unknown layout {layout!r}")
        self._delimiter = state["delimiter"]
        columns = state["columns"]
        self._configure(layout, None if columns is None else tuple(columns))

    # -- parsing ---------------------------------------------------------------------------
    def parse(self, text: str) -> QueueLogRecord | None:
        if not text.strip():
            return None
        if self.layout is None and self._detect(text):
            return None
        if self.layout == "native":
            return self._native(text)
        fields = self._split(text)
        if self.layout == "realtime":
            return self._realtime(fields)
        return self._pbxware(fields)

    def _split(self, text: str) -> list[str]:
        try:
            return next(csv.reader([text], delimiter=self._delimiter))
        except csv.Error as exc:
            raise MalformedLine(f"not CSV: {exc}") from None

    def _detect(self, text: str) -> bool:
        """Choose the layout from ``text``; True when ``text`` is a header line."""
        head = text.split("|", 1)[0].strip()
        if self.requested == "native" or (self.requested == "auto" and "|" in text
                                          and _EPOCH(head)):
            self._configure("native", None)
            return False
        self._delimiter = max((",", ";", "\t"), key=text.count)
        fields = self._split(text)
        names = tuple(f.strip().lower() for f in fields)
        is_header = ("event" in names or "verb" in names) and not _looks_like_time(fields[0])
        if self.requested != "auto":
            self._configure(self.requested, names if is_header else None)
            return is_header
        if is_header and set(names) >= _PBX_REQUIRED:
            self._configure("pbxware", names)
            return True
        if is_header:
            self._configure("realtime", names)
            return True
        if (len(fields) == len(_PBX_COLUMNS) and fields[0].strip().isdigit()
                and _EPOCH(fields[1].strip()) and len(fields[1].strip()) >= 9):
            self._configure("pbxware", None)  # uid, date_time, ... without the header
            return False
        if len(fields) >= 5 and _looks_like_time(fields[0]):
            self._configure("realtime", None)
            return False
        raise MalformedLine("cannot detect the layout (expected native 'epoch|callid|queue|"
                            "agent|event|...', a realtime CSV or a PBXware export)")

    def _configure(self, layout: str, columns: tuple[str, ...] | None) -> None:
        if layout == "realtime" and columns is not None:
            idx = {}
            for name, aliases in _RT_ALIASES.items():
                found = [columns.index(a) for a in aliases if a in columns]
                if not found:
                    raise MalformedLine(f"realtime header has no {name!r} column")
                idx[name] = found[0]
            data = [columns.index(f"data{i}") for i in range(1, 10) if f"data{i}" in columns]
            if not data and "data" in columns:
                data, self._legacy_data = [columns.index("data")], True
            self._idx, self._data = idx, data
        elif layout == "realtime":
            self._idx, self._data = dict(_RT_POSITIONAL), None
        elif layout == "pbxware":
            columns = columns or _PBX_COLUMNS
            missing = sorted(_PBX_REQUIRED - set(columns))
            if missing:
                raise MalformedLine(f"PBXware header lacks {', '.join(missing)}")
        self.layout, self._columns = layout, columns

    def _native(self, text: str) -> QueueLogRecord:
        parts = text.split("|")
        if len(parts) < 5:
            raise MalformedLine(f"expected at least 5 '|'-separated fields "
                                f"(epoch|callid|queue|agent|event), got {len(parts)}")
        return _record(_parse_epoch(parts[0]), parts[1], parts[2], parts[3], parts[4],
                       parts[5:])

    def _realtime(self, fields: list[str]) -> QueueLogRecord:
        idx = self._idx
        need = max(idx.values()) + 1
        if len(fields) < need:
            raise MalformedLine(f"expected at least {need} fields, got {len(fields)}")
        if self._data is None:
            data = fields[5:]
        else:
            data = [fields[i] for i in self._data if i < len(fields)]
            if self._legacy_data:
                data = data[0].split("|") if data else []
        return _record(_parse_time(fields[idx["time"]], self.tz), fields[idx["callid"]],
                       fields[idx["queuename"]], fields[idx["agent"]], fields[idx["event"]],
                       data)

    def _pbxware(self, fields: list[str]) -> QueueLogRecord:
        columns = self._columns or _PBX_COLUMNS
        if len(fields) != len(columns):
            raise MalformedLine(f"expected {len(columns)} fields, got {len(fields)}")
        row = dict(zip(columns, fields, strict=True))
        event = row["event"].strip().upper()
        return _record(_parse_epoch(row["date_time"]), row["callid"], row["queue_name"],
                       row["type"], row["event"], _pbx_params(event, row))


# -- the state machine ---------------------------------------------------------------------


@dataclass(slots=True)
class _Visit:
    since: float  # time of the last change (queued, answered)
    agent: str | None = None  # set once answered


@dataclass(slots=True)
class _Agent:
    queues: set[str] = field(default_factory=set)
    paused: set[str] = field(default_factory=set)
    paused_all: bool = False
    present: bool = False
    on_call: str | None = None  # the callid of the conversation in progress
    reason: str = ""
    last: tuple[str, tuple[str, ...], str] | None = None  # last emitted (state, queues, reason)

    def view(self) -> tuple[str, tuple[str, ...], str]:
        if not self.present:
            return ("offline", (), "")
        queues = tuple(sorted(self.queues))
        if self.on_call:
            return ("on_call", queues, "")
        if self.paused_all or (self.queues and self.queues <= self.paused):
            return ("not_ready", queues, self.reason)
        return ("available", tuple(sorted(self.queues - self.paused)), "")


@dataclass
class ConvertStats:
    """What a conversion did, for the summary. Counters are by contract type or event name."""

    lines: int = 0  # lines read (blank and header lines included)
    records: int = 0  # lines parsed into records
    events: Counter[str] = field(default_factory=Counter)  # emitted, by contract type
    ignored: Counter[str] = field(default_factory=Counter)  # not mapped, by queue_log name
    unmatched: Counter[str] = field(default_factory=Counter)  # no matching visit, by name
    malformed: int = 0
    malformed_lines: list[tuple[int, str]] = field(default_factory=list)  # first MAX_REPORTED
    ring_no_answer_ms: int = 0
    restart_dequeued: int = 0  # waiting visits closed by QUEUESTART (call.dequeued, other)
    dropped_conversations: int = 0  # answered visits whose end was never logged
    expired: int = 0  # visits forgotten after max_open_s without news (nothing emitted)


class QueueLogConverter:
    """Lines of a ``queue_log`` → contract-v1 event dicts. Pure; see the module docs.

    Keeps one open visit per (callid, queue) and, per agent, its queues, pauses and call, so
    that outcomes only close visits that were queued (and COMPLETE*/transfers only end
    answered ones); anything else is counted in :attr:`stats`, never invented. Every event
    is checked with :func:`schemas.parse_event` before it is returned.

    ``event_id`` = ``ast-`` + a hash of (source, the raw line, how many identical lines came
    before it in the same second) + ``-`` + the event's index within the line, so reading the
    same file again gives the same ids.
    """

    def __init__(self, *, layout: str = "auto", source: str = DEFAULT_SOURCE,
                 tz: tzinfo = UTC, max_open_s: float = MAX_OPEN_S,
                 on_malformed: Callable[[int, str], None] | None = None) -> None:
        self.parser = LineParser(layout, tz=tz)
        self.source = source
        self.max_open_s = max_open_s
        self.on_malformed = on_malformed
        self.stats = ConvertStats()
        self._source_b = source.encode("utf-8")
        self._attrs = {"channel": "voice", "source": source}
        self._visits: dict[tuple[str, str], _Visit] = {}
        self._agents: dict[str, _Agent] = {}
        self._second: int | None = None  # identical lines within this second, for the ids
        self._occ: dict[str, int] = {}
        self._newest = -math.inf
        self._pruned_at = -math.inf

    def new_file(self) -> None:
        """A new file starts (rotation, truncation): detect its layout again. Calls stay."""
        self.parser.new_file()

    @property
    def open_visits(self) -> int:
        return len(self._visits)

    # -- input -----------------------------------------------------------------------------
    def feed(self, raw: bytes | str, line: int) -> list[dict[str, Any]]:
        """Events of one line (``line`` is its number, for reports)."""
        self.stats.lines += 1
        if isinstance(raw, bytes):
            raw_b = raw.rstrip(b"\r\n")
            text = raw_b.decode("utf-8", "replace")
        else:
            text = raw.rstrip("\r\n")
            raw_b = text.encode("utf-8")
        try:
            rec = self.parser.parse(text)
            if rec is None:
                return []
            self.stats.records += 1
            base = self._id_base(raw_b, rec.epoch)
            bodies = self._map(rec)
        except MalformedLine as exc:
            self._malformed(line, str(exc))
            return []
        ts = rfc3339(rec.epoch, micro=True)
        out = []
        for i, body in enumerate(bodies):
            event = {"v": 1, "event_id": f"{base}-{i}", "type": body.pop("type"), "ts": ts,
                     **body}
            try:
                parse_event(event)
            except InvalidEvent as exc:  # pragma: no cover - the parser bounds every field
                self._malformed(line, f"{rec.event}: would be an invalid event ({exc})")
                continue
            self.stats.events[event["type"]] += 1
            out.append(event)
        return out

    def _malformed(self, line: int, reason: str) -> None:
        self.stats.malformed += 1
        if len(self.stats.malformed_lines) < MAX_REPORTED:
            self.stats.malformed_lines.append((line, reason))
        if self.on_malformed is not None:
            self.on_malformed(line, reason)

    def _id_base(self, raw: bytes, epoch: float) -> str:
        second = int(epoch)
        if second != self._second:
            self._second, self._occ = second, {}
        digest = hashlib.blake2b(self._source_b + b"\0" + raw, digest_size=10).hexdigest()
        seen = self._occ.get(digest, 0)
        self._occ[digest] = seen + 1
        if seen:
            digest = hashlib.blake2b(f"{digest}\0{seen}".encode(), digest_size=10).hexdigest()
        return f"ast-{digest}"

    # -- mapping ---------------------------------------------------------------------------
    def _map(self, rec: QueueLogRecord) -> list[dict[str, Any]]:
        self._advance(rec.epoch)
        event = rec.event
        if event in _CALL_EVENTS:
            if rec.callid == "NONE" or rec.queue == "NONE":
                raise MalformedLine(f"{event} without a call id or a queue")
            return self._call(rec)
        if event in _AGENT_EVENTS:
            if rec.agent == "NONE":
                raise MalformedLine(f"{event} without an agent")
            return self._member(rec)
        if event == "QUEUESTART":
            return self._restart()
        self.stats.ignored[event] += 1
        if event == "RINGNOANSWER" and rec.param(0).isdigit():
            self.stats.ring_no_answer_ms += int(rec.param(0))
        return []

    def _call(self, rec: QueueLogRecord) -> list[dict[str, Any]]:
        event, key = rec.event, (rec.callid, rec.queue)
        call = {"call_id": rec.callid, "queue": rec.queue}
        visit = self._visits.get(key)
        if event == "ENTERQUEUE":
            out: list[dict[str, Any]] = []
            if visit is not None:
                if visit.agent is None:  # already waiting there: nothing new to say
                    self.stats.unmatched[event] += 1
                    return []
                out = self._drop(key, visit)  # back in the queue, the conversation never ended
            self._visits[key] = _Visit(rec.epoch)
            return [*out, {"type": "call.queued", **call, "attrs": dict(self._attrs)}]
        answered = visit is not None and visit.agent is not None
        if visit is None or answered != (event in _END):
            self.stats.unmatched[event] += 1
            return []
        if event == "CONNECT":
            if rec.agent == "NONE":
                raise MalformedLine("CONNECT without an agent")
            agent = agent_id(rec.agent)
            visit.agent, visit.since = agent, rec.epoch
            a = self._agent(agent)
            a.present, a.on_call = True, rec.callid
            a.queues.add(rec.queue)
            return [{"type": "call.answered", **call, "agent_id": agent},
                    *self._agent_changed(agent, a)]
        del self._visits[key]
        if event == "ABANDON":
            return [{"type": "call.abandoned", **call}]
        if event in _DEQUEUE_REASON:
            return [{"type": "call.dequeued", **call, "reason": _DEQUEUE_REASON[event]}]
        assert visit.agent is not None  # _END on an answered visit
        agent = agent_id(rec.agent) if rec.agent != "NONE" else visit.agent
        return [{"type": "call.ended", **call, "agent_id": agent, "acw": False},
                *self._release(visit.agent, rec.callid)]

    def _member(self, rec: QueueLogRecord) -> list[dict[str, Any]]:
        event, queue = rec.event, rec.queue
        agent = agent_id(rec.agent)
        a = self._agent(agent)
        per_queue = queue != "NONE"
        if event == "ADDMEMBER":
            a.present = True
            if per_queue:
                a.queues.add(queue)
        elif event == "REMOVEMEMBER":
            a.queues.discard(queue)
            a.paused.discard(queue)
            if not a.queues or not per_queue:
                a.present = False
        elif event in ("PAUSE", "PAUSEALL"):
            a.present, a.reason = True, rec.param(0)
            if event == "PAUSE" and per_queue:
                a.queues.add(queue)
                a.paused.add(queue)
            else:
                a.paused_all = True
                a.paused |= a.queues
        elif event in ("UNPAUSE", "UNPAUSEALL"):
            a.present, a.paused_all = True, False
            if event == "UNPAUSE" and per_queue:
                a.queues.add(queue)
                a.paused.discard(queue)
            else:
                a.paused.clear()
        elif event in _LOGIN:
            a.present = True
        else:  # _LOGOFF
            a.present, a.on_call = False, None
        return self._agent_changed(agent, a)

    def _restart(self) -> list[dict[str, Any]]:
        """QUEUESTART: Asterisk restarted, every call it had is gone. Waiting visits leave with
        ``call.dequeued`` reason ``other``; conversations are dropped (their end time is
        unknown); agents on a call return to their state before it. Members stay (Asterisk
        restores them from astdb with ``persistentmembers``, the default)."""
        out: list[dict[str, Any]] = []
        for (callid, queue), visit in self._visits.items():
            if visit.agent is None:
                out.append({"type": "call.dequeued", "call_id": callid, "queue": queue,
                            "reason": "other"})
                self.stats.restart_dequeued += 1
            else:
                self.stats.dropped_conversations += 1
        self._visits.clear()
        for agent, a in self._agents.items():
            if a.on_call is not None:
                a.on_call = None
                out.extend(self._agent_changed(agent, a))
        return out

    def _agent(self, agent: str) -> _Agent:
        a = self._agents.get(agent)
        if a is None:
            a = self._agents[agent] = _Agent()
        return a

    def _agent_changed(self, agent: str, a: _Agent) -> list[dict[str, Any]]:
        view = a.view()
        if view == a.last:
            return []
        a.last = view
        state, queues, reason = view
        body: dict[str, Any] = {"type": "agent.state", "agent_id": agent, "state": state,
                                "queues": list(queues)}
        if reason:
            body["reason"] = reason
        return [body]

    def _release(self, agent: str | None, callid: str) -> list[dict[str, Any]]:
        """The agent of a finished conversation is no longer on that call."""
        a = None if agent is None else self._agents.get(agent)
        if agent is None or a is None or a.on_call != callid:
            return []
        a.on_call = None
        return self._agent_changed(agent, a)

    def _drop(self, key: tuple[str, str], visit: _Visit) -> list[dict[str, Any]]:
        del self._visits[key]
        self.stats.dropped_conversations += 1
        return self._release(visit.agent, key[0])

    def _advance(self, epoch: float) -> None:
        """Forget visits without news for ``max_open_s`` (checked once a minute of log time);
        the engine expires them on its side, so nothing is emitted."""
        if epoch <= self._newest:
            return
        self._newest = epoch
        if epoch - self._pruned_at < 60.0:
            return
        self._pruned_at = epoch
        cut = epoch - self.max_open_s
        for key in [k for k, v in self._visits.items() if v.since < cut]:
            visit = self._visits.pop(key)
            self.stats.expired += 1
            a = self._agents.get(visit.agent) if visit.agent else None
            if a is not None and a.on_call == key[0]:
                a.on_call = None  # the next event of this agent reports its state

    # -- persistence -----------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything needed to continue after a restart (JSON-serialisable)."""
        return {
            "parser": self.parser.state(),
            "second": self._second,
            "occ": dict(self._occ),
            "newest": self._newest if math.isfinite(self._newest) else None,
            "pruned_at": self._pruned_at if math.isfinite(self._pruned_at) else None,
            "visits": [[c, q, v.since, v.agent] for (c, q), v in self._visits.items()],
            "agents": {
                name: {"queues": sorted(a.queues), "paused": sorted(a.paused),
                       "paused_all": a.paused_all, "present": a.present,
                       "on_call": a.on_call, "reason": a.reason,
                       "last": None if a.last is None else [a.last[0], list(a.last[1]),
                                                            a.last[2]]}
                for name, a in self._agents.items()
            },
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state`; raises ``ValueError`` when it is not one."""
        try:
            self.parser.restore(state["parser"])
            self._second = state["second"]
            self._occ = {str(k): int(v) for k, v in state["occ"].items()}
            newest = state["newest"]
            self._newest = -math.inf if newest is None else float(newest)
            pruned = state["pruned_at"]
            self._pruned_at = -math.inf if pruned is None else float(pruned)
            self._visits = {(str(c), str(q)): _Visit(float(since), agent)
                            for c, q, since, agent in state["visits"]}
            self._agents = {
                str(name): _Agent(set(a["queues"]), set(a["paused"]), bool(a["paused_all"]),
                                  bool(a["present"]), a["on_call"], str(a["reason"]),
                                  None if a["last"] is None else
                                  (a["last"][0], tuple(a["last"][1]), a["last"][2]))
                for name, a in state["agents"].items()
            }
        except (KeyError, TypeError, ValueError, AttributeError, MalformedLine) as exc:
            raise ValueError(f"not a converter state ({type(exc).__name__}: {exc})") from None


def convert_lines(lines: Iterable[bytes | str], *, layout: str = "auto",
                  source: str = DEFAULT_SOURCE,
                  tz: tzinfo = UTC) -> tuple[list[dict[str, Any]], ConvertStats]:
    """All events of ``lines`` (one file, numbered from 1) and the statistics."""
    conv = QueueLogConverter(layout=layout, source=source, tz=tz)
    events: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, 1):
        events.extend(conv.feed(raw, number))
    return events, conv.stats


def convert_file(path: str | Path, **kwargs: Any) -> tuple[list[dict[str, Any]], ConvertStats]:
    """:func:`convert_lines` of a whole file."""
    with Path(path).open("rb") as fh:
        return convert_lines(fh, **kwargs)


# -- following a file ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FilePosition:
    """Where reading stands: the file's inode, the byte offset after the last complete line
    consumed, and the number of lines consumed in that file."""

    inode: int
    offset: int = 0
    line: int = 0


class Tailer:
    """Complete lines of a growing file, across rotation and truncation (polling, no inotify).

    :meth:`read` yields ``(line, position_after_it)``, and ``(None, position)`` whenever a
    file is started from its beginning (the first file, a rotated-in file, a truncated one).
    A rotation (``path`` now has another inode) first finishes the old file through the still
    open handle; truncation (size below the offset) restarts at 0. When resuming from a saved
    position whose inode is no longer ``path`` (rotated while stopped), the old file is looked
    up by inode in the same directory (``queue_log.1`` …) and finished first.
    """

    def __init__(self, path: str | Path, position: FilePosition | None = None, *,
                 chunk_size: int = 1 << 20) -> None:
        self.path = Path(path)
        self.position = position
        self.chunk_size = chunk_size
        self.lost_rotated = False  # the saved inode was not found: its tail was not read
        self._fh: Any = None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def read(self, *, final: bool = False) -> Iterator[tuple[bytes | None, FilePosition]]:
        """Everything new. ``final``: also the last line if it has no newline yet (the file
        is complete); otherwise an unterminated line waits for its newline."""
        if self._fh is None:
            yield from self._start(final)
        yield from self._drain(final)
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return  # rotated, the new file is not there yet
        assert self.position is not None
        if st.st_ino != self.position.inode:
            yield from self._drain(final=True)  # the rest of the rotated file
            yield from self._switch()
            yield from self._drain(final)
        elif st.st_size < self.position.offset:
            self.position = FilePosition(st.st_ino)
            yield None, self.position
            yield from self._drain(final)

    def _start(self, final: bool) -> Iterator[tuple[bytes | None, FilePosition]]:
        pos = self.position
        st = os.stat(self.path)  # FileNotFoundError for a missing file: the caller's
        if pos is not None and pos.inode != st.st_ino:
            old = self._find_inode(pos.inode)
            if old is not None and old.stat().st_size >= pos.offset:
                self._fh = old.open("rb")
                yield from self._drain(final=True)
                self.close()
            else:
                self.lost_rotated = True
            pos = None
        self._fh = self.path.open("rb")
        st = os.fstat(self._fh.fileno())
        if pos is not None and pos.inode == st.st_ino and st.st_size >= pos.offset:
            return  # the same file: resume at the saved offset
        self.position = FilePosition(st.st_ino)
        yield None, self.position

    def _switch(self) -> Iterator[tuple[bytes | None, FilePosition]]:
        self.close()
        self._fh = self.path.open("rb")
        self.position = FilePosition(os.fstat(self._fh.fileno()).st_ino)
        yield None, self.position

    def _find_inode(self, inode: int) -> Path | None:
        with contextlib.suppress(OSError), os.scandir(self.path.parent) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and entry.inode() == inode:
                    return Path(entry.path)
        return None

    def _drain(self, final: bool) -> Iterator[tuple[bytes | None, FilePosition]]:
        pos = self.position
        assert pos is not None and self._fh is not None
        self._fh.seek(pos.offset)
        rest = b""
        while chunk := self._fh.read(self.chunk_size):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            for raw in lines:
                pos = FilePosition(pos.inode, pos.offset + len(raw) + 1, pos.line + 1)
                self.position = pos
                yield raw, pos
        if final and rest:
            pos = FilePosition(pos.inode, pos.offset + len(rest), pos.line + 1)
            self.position = pos
            yield rest, pos


def save_state(path: str | Path, *, file: str | Path, source: str, position: FilePosition,
               converter: QueueLogConverter) -> None:
    """Write the state file atomically (temporary file, fsync, rename)."""
    path = Path(path)
    doc = {"version": STATE_VERSION, "file": str(Path(file).resolve()), "source": source,
           "position": {"inode": position.inode, "offset": position.offset,
                        "line": position.line},
           "converter": converter.state()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(doc, fh, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_state(path: str | Path, *, file: str | Path, source: str,
               converter: QueueLogConverter) -> FilePosition | None:
    """Restore ``converter`` from the state file and return the saved position (``None`` when
    there is no state file yet). Raises ``ValueError`` naming the problem when the file is
    unreadable or belongs to another log file or source."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"state file {path}: {exc.strerror}") from None
    try:
        doc = json.loads(text)
        version, saved_file, saved_source = doc["version"], doc["file"], doc["source"]
        pos = doc["position"]
        position = FilePosition(int(pos["inode"]), int(pos["offset"]), int(pos["line"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"state file {path}: not a state file ({exc})") from None
    if version != STATE_VERSION:
        raise ValueError(f"state file {path}: version {version!r}, expected {STATE_VERSION}")
    if saved_file != str(Path(file).resolve()):
        raise ValueError(f"state file {path} belongs to {saved_file}, not {file}")
    if saved_source != source:
        raise ValueError(f"state file {path} belongs to source {saved_source!r}, not {source!r}"
                         " (event ids would change)")
    try:
        converter.restore(doc["converter"])
    except (KeyError, ValueError) as exc:
        raise ValueError(f"state file {path}: {exc}") from None
    return position


def _never() -> bool:
    return False


def stream_file(path: str | Path, converter: QueueLogConverter, sink: EventSink, *,
                follow: bool = False, state_file: str | Path | None = None,
                position: FilePosition | None = None, poll_s: float = POLL_S,
                sleep: Callable[[float], None] = time.sleep,
                should_stop: Callable[[], bool] = _never,
                batch_size: int = 1000) -> FilePosition | None:
    """Convert ``path`` into ``sink``; with ``follow``, keep polling until ``should_stop()``.

    Events go out in batches (``sink.send`` then ``sink.flush``); only then is the state file
    written, with the position after the last line of the batch, so a crash re-sends at most
    one batch (same ids: the engine drops them) and never skips a line. Returns the last
    position reached.
    """
    tailer = Tailer(path, position)
    saved = position
    pending: list[dict[str, Any]] = []

    def commit(pos: FilePosition) -> None:
        nonlocal saved
        if pending:
            sink.send(pending)
            sink.flush()
            pending.clear()
        if state_file is not None and pos != saved:
            save_state(state_file, file=path, source=converter.source, position=pos,
                       converter=converter)
        saved = pos

    try:
        while True:
            last = None
            for raw, pos in tailer.read(final=not follow):
                if raw is None:
                    converter.new_file()
                else:
                    pending.extend(converter.feed(raw, pos.line))
                last = pos
                if len(pending) >= batch_size:
                    commit(pos)
                    if should_stop():
                        return pos
            if last is not None:
                commit(last)
            if not follow or should_stop():
                return saved
            sleep(poll_s)
    finally:
        tailer.close()


# -- command line --------------------------------------------------------------------------


class _StopFlag:
    def __init__(self) -> None:
        self.stopped = False

    def __call__(self) -> bool:
        return self.stopped

    def set(self, signum: int = 0, frame: object = None) -> None:
        self.stopped = True


@contextlib.contextmanager
def _stop_on_signals(flag: _StopFlag) -> Iterator[None]:
    """SIGTERM and SIGINT set ``flag``: the follow loop ends after its current batch."""
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError):  # not the main thread: no handlers
            previous[sig] = signal.signal(sig, flag.set)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counter.most_common()) or "none"


def summary_lines(stats: ConvertStats, *, layout: str | None, sent: int, target: str,
                  open_visits: int = 0) -> list[str]:
    """The end-of-run summary (stdout)."""
    lines = [f"asterisk: {stats.lines} lines ({layout or 'layout not detected'}) -> "
             f"{sent} events to {target}",
             f"  events: {_counts(stats.events)}",
             f"  ignored: {_counts(stats.ignored)}"]
    if stats.ring_no_answer_ms:
        lines.append(f"  RINGNOANSWER ring time: {stats.ring_no_answer_ms / 1000:.0f} s")
    if stats.unmatched:
        lines.append(f"  unmatched (no open visit): {_counts(stats.unmatched)}")
    if stats.restart_dequeued or stats.dropped_conversations or stats.expired:
        lines.append(f"  visits: {stats.restart_dequeued} waiting calls dequeued (reason other)"
                     f" by QUEUESTART, {stats.dropped_conversations} conversations whose end "
                     f"was never logged, {stats.expired} expired")
    lines.append(f"  open at the end: {open_visits} visits")
    lines.append(f"  malformed lines: {stats.malformed}")
    return lines


def cmd_asterisk(settings: StreamSettings, args: argparse.Namespace) -> int:
    from ..core.checks import check_timezone
    from ..core.errors import ConfigError
    from ..sink import open_sink

    def fail(message: str) -> int:
        print(f"wallboard asterisk: {message}", file=sys.stderr)
        return 2

    path = Path(args.file)
    if not path.is_file():
        return fail(f"no such file: {path}")
    if not args.source or len(args.source) > 64:
        return fail("--source must be 1..64 characters")
    try:
        tz = check_timezone("--timezone", args.timezone) if args.timezone else settings.engine.tz
    except ConfigError:
        return fail(f"unknown time zone {args.timezone!r}")

    reported = 0

    def on_malformed(line: int, reason: str) -> None:
        nonlocal reported
        reported += 1
        if reported <= MAX_REPORTED:
            print(f"asterisk: {path} line {line}: {reason}", file=sys.stderr, flush=True)
        elif reported == MAX_REPORTED + 1:
            print("asterisk: more malformed lines are only counted", file=sys.stderr)

    converter = QueueLogConverter(layout=args.layout, source=args.source, tz=tz,
                                  on_malformed=on_malformed)
    position = None
    if args.state:
        try:
            position = load_state(args.state, file=path, source=args.source,
                                  converter=converter)
        except ValueError as exc:
            return fail(str(exc))
    stop = _StopFlag()
    sink = open_sink(settings.kafka, args.output, client_id="wallboard-asterisk")
    try:
        with _stop_on_signals(stop) if args.follow else contextlib.nullcontext():
            if args.follow:
                print(f"asterisk: following {path} -> {sink.describe()} (SIGTERM/Ctrl-C "
                      "stops)", flush=True)
            stream_file(path, converter, sink, follow=args.follow, state_file=args.state,
                        position=position, should_stop=stop)
    finally:
        sink.close()
    for line in summary_lines(converter.stats, layout=converter.parser.layout,
                              sent=sink.sent, target=sink.describe(),
                              open_visits=converter.open_visits):
        print(line)
    return 0

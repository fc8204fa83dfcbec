"""Asterisk ``queue_log`` records → contract-v1 events: the per-call and per-agent state machine.

:class:`QueueLogConverter` feeds each line to its :class:`~.lines.LineParser`, keeps one open
visit per (callid, queue) and each agent's queues, pauses and call (:mod:`.state`), and turns
the records into event dicts with stable ids, each checked by :func:`schemas.parse_event`.
What it cannot map or match is counted in :class:`~.state.ConvertStats`, never invented.
Its whole memory has a JSON form (:meth:`QueueLogConverter.state`) for the state file.
:func:`convert_lines` and :func:`convert_file` convert a whole file at once. Pure: lines in,
event dicts out, no I/O apart from :func:`convert_file` reading its file.

The mapping table and the decisions behind it are in ``docs/sources-asterisk.md``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

from schemas import InvalidEvent, parse_event

from ...core.timefmt import rfc3339
from .lines import LineParser, MalformedLine, QueueLogRecord
from .state import (
    MAX_REPORTED,
    AgentState,
    ConvertStats,
    Visit,
    visits_from_json,
    visits_to_json,
)

__all__ = ["DEFAULT_SOURCE", "MAX_OPEN_S", "QueueLogConverter", "agent_id", "convert_file",
           "convert_lines"]

DEFAULT_SOURCE = "asterisk"
MAX_OPEN_S = 4 * 3600.0  # forget visits without news for this long (the engine's max_visit_s)

_DEQUEUE_REASON = {"EXITWITHTIMEOUT": "timeout", "EXITWITHKEY": "ivr_exit", "EXITEMPTY": "other"}
_END = frozenset({"COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER",
                  "ATTENDEDTRANSFER"})
_CALL_EVENTS = frozenset({"ENTERQUEUE", "CONNECT", "ABANDON", *_DEQUEUE_REASON, *_END})
_LOGIN = frozenset({"AGENTLOGIN", "AGENTCALLBACKLOGIN"})
_LOGOFF = frozenset({"AGENTLOGOFF", "AGENTCALLBACKLOGOFF"})
_AGENT_EVENTS = frozenset({"ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL",
                           "UNPAUSEALL", *_LOGIN, *_LOGOFF})


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
        self._visits: dict[tuple[str, str], Visit] = {}
        self._agents: dict[str, AgentState] = {}
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
            self._visits[key] = Visit(rec.epoch)
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

    def _agent(self, agent: str) -> AgentState:
        a = self._agents.get(agent)
        if a is None:
            a = self._agents[agent] = AgentState()
        return a

    def _agent_changed(self, agent: str, a: AgentState) -> list[dict[str, Any]]:
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

    def _drop(self, key: tuple[str, str], visit: Visit) -> list[dict[str, Any]]:
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
            "visits": visits_to_json(self._visits),
            "agents": {name: a.to_json() for name, a in self._agents.items()},
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
            self._visits = visits_from_json(state["visits"])
            self._agents = {str(name): AgentState.from_json(a)
                            for name, a in state["agents"].items()}
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

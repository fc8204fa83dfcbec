"""Asterisk ``queue_log`` lines: the three storage layouts and the record they all become.

:class:`LineParser` turns one line of the native pipe-delimited file, of the realtime/DB table
exported as CSV, or of the PBXware export into a :class:`QueueLogRecord` whose parameters are
in native ``queue_log`` order (PBXware's fixed columns are mapped back). It detects the layout
from the first line of each file and refuses a bad line with :class:`MalformedLine`, whose
text is the reason. Pure: text in, records out.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

__all__ = ["LAYOUTS", "LineParser", "MalformedLine", "QueueLogRecord"]

LAYOUTS: tuple[str, ...] = ("auto", "native", "realtime", "pbxware")

_MAX_ID_CHARS = 256
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*").fullmatch
_EPOCH = re.compile(r"[0-9]{1,12}(?:\.[0-9]+)?").fullmatch
_MAX_EPOCH = 253402300800.0  # 10000-01-01: datetime's limit


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


# -- the layouts ---------------------------------------------------------------------------

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

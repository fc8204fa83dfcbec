"""Asterisk ``queue_log`` → event contract v1, in four rooms, each usable on its own:

* :mod:`.lines`: one line of any storage layout (native pipe file, realtime/DB CSV, PBXware
  export) → a :class:`QueueLogRecord` with the parameters in native order;
* :mod:`.convert` (with its memory in :mod:`.state`): the per-call and per-agent state machine,
  records → contract events with stable ids; pure;
* :mod:`.follow`: reading a growing file across rotation and truncation, and the state file
  that keeps the position and the converter's memory;
* :mod:`.run`: the ``wallboard asterisk`` command's work (:func:`run_asterisk`).

The mapping table and the decisions behind it are in ``docs/sources-asterisk.md``.
"""

from __future__ import annotations

from .convert import DEFAULT_SOURCE, QueueLogConverter, agent_id, convert_file, convert_lines
from .follow import POLL_S, FilePosition, Tailer, load_state, save_state, stream_file
from .lines import LAYOUTS, LineParser, MalformedLine, QueueLogRecord
from .run import AsteriskOptions, run_asterisk, summary_lines
from .state import ConvertStats

__all__ = [
    "DEFAULT_SOURCE",
    "LAYOUTS",
    "POLL_S",
    "AsteriskOptions",
    "ConvertStats",
    "FilePosition",
    "LineParser",
    "MalformedLine",
    "QueueLogConverter",
    "QueueLogRecord",
    "Tailer",
    "agent_id",
    "convert_file",
    "convert_lines",
    "load_state",
    "run_asterisk",
    "save_state",
    "stream_file",
    "summary_lines",
]

"""Replay of the Technion "Anonymous Bank" call-centre data set (an Israeli bank, 1999) as
contract-v1 call events.

The data set has one CSV row per call (17 columns: ``vru+line, call_id, customer_id, priority,
type, date, vru_entry, vru_exit, vru_time, q_start, q_exit, q_time, outcome, ser_start,
ser_exit, ser_time, server``; clock times ``H:MM:SS`` of ``date``, ``0:00:00`` = "did not
happen", durations in seconds). Each call that reached the queue becomes one queue visit:

* ``call.queued`` at ``q_start``, in the queue named after the service ``type`` (PS, NW, IN,
  NE, TT, PE), with ``attrs`` ``{"tier", "business": type, "channel": "voice"}`` and the
  integer ``priority``;
* outcome AGENT: ``call.answered`` at ``q_start + q_time`` (= ``q_exit``), ``agent_id`` =
  ``server``; then ``call.ended`` ``ser_time`` seconds later, with ``acw: false``;
* outcome HANG: ``call.abandoned`` at ``q_start + q_time`` (= ``q_exit``).

Calls that never reached the queue (``q_start`` is ``0:00:00``: served straight from the VRU,
or hung up in the VRU) and PHANTOM rows are counted and skipped. Malformed rows are counted
and reported with their line number; they never stop a replay. ``docs/sources-anonymous-bank.md``
gives the reasons for each choice and the figures the tests reproduce.

The rooms: :mod:`.rows` (the CSV and its field formats), :mod:`.convert` (one row → its
events), :mod:`.events` (all rows → one time-ordered stream, and the statistics), all pure,
and :mod:`.run` (:func:`run_replay_bank`, the only one that opens a sink).
"""

from __future__ import annotations

from .convert import (
    DEFAULT_TIMEZONE,
    SERVICE_TYPES,
    TIERS,
    UNKNOWN_AGENT,
    CallResult,
    convert_row,
)
from .events import BankStats, convert, iter_events, parse_days
from .rows import COLUMNS, BadHeader, BadRow, read_rows
from .run import BankOptions, run_replay_bank

__all__ = [
    "COLUMNS",
    "DEFAULT_TIMEZONE",
    "SERVICE_TYPES",
    "TIERS",
    "UNKNOWN_AGENT",
    "BadHeader",
    "BadRow",
    "BankOptions",
    "BankStats",
    "CallResult",
    "convert",
    "convert_row",
    "iter_events",
    "parse_days",
    "read_rows",
    "run_replay_bank",
]

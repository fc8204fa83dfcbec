"""Replay of recorded contract events (JSON Lines, plain or gzip).

The rooms: :mod:`.recorded` (reading, validation, retiming and pacing; pure apart from
reading the file) and :mod:`.run` (:func:`run_replay`, the ``wallboard replay`` command's
work, which sends what :mod:`.recorded` yields through the sink).
"""

from __future__ import annotations

from .recorded import Pacer, ReplayLine, open_lines, read_events, retimed
from .run import ReplayOptions, run_replay

__all__ = ["Pacer", "ReplayLine", "ReplayOptions", "open_lines", "read_events", "retimed",
           "run_replay"]

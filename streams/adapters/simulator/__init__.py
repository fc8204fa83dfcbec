"""A deterministic contact-center simulator that emits contract-v1 events.

The rooms: :mod:`.models` (queue models, shifts, surges, the intraday profile and the
scenarios), :mod:`.simulation` (the discrete-event :class:`Simulator`, pure: no Kafka) and
:mod:`.run` (:func:`run_simulation`, the ``wallboard simulate`` command's work).
"""

from __future__ import annotations

from ...core.timefmt import rfc3339
from .models import (
    INTRADAY_PROFILE,
    QueueModel,
    Shift,
    Surge,
    day_models,
    default_models,
    story_models,
)
from .run import SimulateOptions, SurgeOptions, Timing, run_simulation
from .simulation import Simulator

__all__ = [
    "INTRADAY_PROFILE",
    "QueueModel",
    "Shift",
    "SimulateOptions",
    "Simulator",
    "Surge",
    "SurgeOptions",
    "Timing",
    "day_models",
    "default_models",
    "rfc3339",
    "run_simulation",
    "story_models",
]

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

The rooms: :mod:`.engine` the facade, :mod:`.model` instances, notices and silences,
:mod:`.kinds` what a rule reads (threshold, staffing), :mod:`.surge_rule` and
:mod:`.stalled_rule` the kinds with state, :mod:`.lifecycle` verdicts and the state machine,
:mod:`.notify` the notification log, :mod:`.views` the API view. This module re-exports
their public names.
"""

from __future__ import annotations

from .engine import AlertEngine
from .model import (
    ALL,
    FIRING,
    INACTIVE,
    PENDING,
    RESOLVED,
    Instance,
    Notice,
    Notification,
    Silence,
    fingerprint,
    group_key,
)

__all__ = ["ALL", "FIRING", "INACTIVE", "PENDING", "RESOLVED", "AlertEngine", "Instance",
           "Notice", "Notification", "Silence", "fingerprint", "group_key"]

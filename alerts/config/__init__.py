"""The ``[alerts]`` settings: rules, schedules, delivery, the process. Validated and frozen.

Pure: no Kafka, HTTP or Apprise imports. Every error is a :class:`streams.core.errors.ConfigError`
whose text names the key (``alerts.rules.sl_low.for: ...``). Secrets (Apprise URLs, the
Alertmanager URL's credentials, the API token) are kept out of ``repr`` and out of
:meth:`AlertSettings.redacted`, which is what logs and ``/api`` show.

The rooms: :mod:`.settings` the section as a whole and rule files, :mod:`.rules` the rules,
:mod:`.schedules` opening and quiet hours, :mod:`.delivery` the receivers and retries,
:mod:`.silences` label matchers (RE2) and configured silences, :mod:`.hosts` the names the API
answers to, :mod:`.fields` the checks they share. This module re-exports their public names.
"""

from __future__ import annotations

from .delivery import DeliverySettings
from .fields import redact_url
from .hosts import accepts
from .rules import Rule
from .schedules import ScheduleSpec
from .settings import AlertSettings, load_alert_settings, merge_rule_file, parse_alerts
from .silences import MAX_PATTERN, Matcher, parse_matcher

__all__ = [
    "MAX_PATTERN",
    "AlertSettings",
    "DeliverySettings",
    "Matcher",
    "Rule",
    "ScheduleSpec",
    "accepts",
    "load_alert_settings",
    "merge_rule_file",
    "parse_alerts",
    "parse_matcher",
    "redact_url",
]

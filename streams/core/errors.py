"""The two errors every layer may raise for bad input, each printed as one line, exit 2.

:class:`ConfigError` names the setting (``worker.prot: unknown key``); :class:`UsageError`
names the arguments that do not go together (``--speed applies to live sending``).
"""

from __future__ import annotations

__all__ = ["ConfigError", "UsageError"]


class ConfigError(ValueError):
    """A setting is missing, unknown or invalid. ``str()`` names the key and the reason."""


class UsageError(Exception):
    """Bad command-line arguments discovered after parsing (exit 2, one line)."""

"""``[alerts.delivery]``: where notifications go and how hard to try (pure).

:class:`DeliverySettings` holds the Alertmanager base URL, the Apprise URLs (both secrets:
out of ``repr``, redacted in :meth:`DeliverySettings.redacted`) and the retry policy of
:mod:`alerts.delivery`: per-request timeout, attempts, jittered backoff and its cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streams.core.errors import ConfigError

from .fields import Field, Keys, http_url, number, redact_url, strings

__all__ = ["DeliverySettings", "parse_delivery"]


@dataclass(frozen=True)
class DeliverySettings:
    alertmanager_url: str = field(default="", repr=False)
    apprise: tuple[str, ...] = field(default=(), repr=False)
    timeout_s: float = 10.0
    max_attempts: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0

    def redacted(self) -> dict[str, Any]:
        return {"alertmanager_url": redact_url(self.alertmanager_url)
                if self.alertmanager_url else "",
                "apprise": [redact_url(u) for u in self.apprise],
                "timeout_s": self.timeout_s, "max_attempts": self.max_attempts,
                "backoff_s": self.backoff_s, "max_backoff_s": self.max_backoff_s}

    def __repr__(self) -> str:
        return f"DeliverySettings({self.redacted()})"


def _apprise(key: str, value: Any) -> tuple[str, ...]:
    urls = strings(key, value, allow_empty=True, limit=64)
    for i, url in enumerate(urls):
        if "://" not in url:
            raise ConfigError(f"{key}[{i}]: expected an Apprise URL such as "
                              f"slack://..., dingtalk://..., json://host/path")
    return urls


_FIELDS: tuple[Field, ...] = (
    ("alertmanager_url", "alertmanager_url", lambda k, v: http_url(k, v, allow_empty=True)),
    ("apprise", "apprise", _apprise),
    ("timeout_s", "timeout_s", lambda k, v: number(k, v, 0.1, 120)),
    ("max_attempts", "max_attempts", lambda k, v: int(number(k, v, 1, 20))),
    ("backoff_s", "backoff_s", lambda k, v: number(k, v, 0, 600)),
    ("max_backoff_s", "max_backoff_s", lambda k, v: number(k, v, 0, 3600)),
)


def parse_delivery(key: str, table: Any) -> DeliverySettings:
    """:class:`DeliverySettings` from the ``[alerts.delivery]`` table."""
    t = Keys(key, table)
    args: dict[str, Any] = {}
    t.read(_FIELDS, args)
    t.done()
    return DeliverySettings(**args)

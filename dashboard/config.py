"""The ``[dashboard]`` settings: where the board listens and polls, what it shows, and its
``[dashboard.boards.NAME]`` tables (parsed by :mod:`dashboard.boards`). Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from streams.core.checks import DAY_S, check_port, check_range, read_section
from streams.core.errors import ConfigError

from .boards import BoardSpec, parse_boards
from .i18n import LANGUAGES

__all__ = ["DashboardSettings", "parse_dashboard"]


# the HTTP server's whole-number limits: (key, lowest, highest)
_COUNTS = (("threads", 1, 256), ("max_connections", 1, 100_000),
           ("max_header_bytes", 1024, 1024 * 1024), ("max_body_bytes", 1024, 64 * 1024 * 1024))


@dataclass(frozen=True)
class DashboardSettings:
    host: str = "127.0.0.1"
    port: int = 8050
    snapshot_url: str = "http://127.0.0.1:6066/api/v1/snapshot"
    refresh_ms: int = 1000
    poll_interval_s: float = 0.25  # one GET of the worker's snapshot per Dash process
    stale_after_s: float = 5.0
    http_timeout_s: float = 15.0
    # the HTTP server (waitress; dashboard.server)
    threads: int = 8  # the requests run on this many threads
    max_connections: int = 2000  # more wait in the listen backlog until one closes
    max_header_bytes: int = 64 * 1024  # a request's line and headers; larger: 431
    max_body_bytes: int = 1024 * 1024  # a request's body (a callback's JSON); larger: 413
    access_log: bool = False  # one INFO line per request (method, path, status, bytes, time)
    site_name: str = "Contact centre"
    logo: str = ""  # path of an image file shown in the top bar ("" = none)
    language: str = "en"  # en or zh-CN; a board's language or ?lang= overrides it
    alerts_url: str = ""  # the alerting API (GET .../api/v1/alerts); "" = not configured
    # [dashboard.boards.NAME] tables, parsed and checked by dashboard.boards
    boards: tuple[BoardSpec, ...] = ()

    def validate(self, section: str) -> None:
        check_port(f"{section}.port", self.port)
        if not self.snapshot_url.startswith(("http://", "https://")):
            raise ConfigError(f"{section}.snapshot_url: expected an http(s) URL, "
                              f"got {self.snapshot_url!r}")
        if self.alerts_url and not self.alerts_url.startswith(("http://", "https://")):
            raise ConfigError(f"{section}.alerts_url: expected an http(s) URL or \"\", "
                              f"got {self.alerts_url!r}")
        if self.language not in LANGUAGES:
            raise ConfigError(f"{section}.language: must be {' or '.join(LANGUAGES)}, "
                              f"got {self.language!r}")
        if len(self.site_name) > 80:
            raise ConfigError(f"{section}.site_name: at most 80 characters")
        check_range(f"{section}.refresh_ms", self.refresh_ms, 250, 3_600_000)
        check_range(f"{section}.poll_interval_s", self.poll_interval_s, 0.1, 60)
        check_range(f"{section}.stale_after_s", self.stale_after_s, 0, DAY_S, low_open=True)
        check_range(f"{section}.http_timeout_s", self.http_timeout_s, 1, 600)
        for key, low, high in _COUNTS:
            value = getattr(self, key)
            if not low <= value <= high:
                raise ConfigError(f"{section}.{key}: must be >= {low} and <= {high}, "
                                  f"got {value}")


def parse_dashboard(name: str, base: DashboardSettings, values: Any) -> DashboardSettings:
    """``base`` with the ``[dashboard]`` table ``values`` applied (boards included)."""
    if not (isinstance(values, dict) and "boards" in values):
        return read_section(name, DashboardSettings, base, values)
    values = dict(values)
    boards = parse_boards(f"{name}.boards", values.pop("boards"))
    return replace(read_section(name, DashboardSettings, base, values, ("boards",)),
                   boards=boards)

"""What several commands share: exit codes and SIGTERM handling."""

from __future__ import annotations

import signal

__all__ = ["EXIT_FAILURE", "EXIT_USAGE", "terminate_as_interrupt", "url_host"]

EXIT_USAGE = 2
EXIT_FAILURE = 1


def terminate_as_interrupt() -> None:
    """Treat SIGTERM like Ctrl-C, so `finally` blocks flush and stop cleanly."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def url_host(host: str) -> str:
    """``host`` as it goes in a URL (IPv6 addresses in brackets)."""
    return f"[{host}]" if ":" in host else host

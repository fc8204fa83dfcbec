"""The errors of the local broker and of the Kafka clients: :class:`BrokerError` (one line
saying why) and :class:`BrokerUnavailable` (no broker answered at an address in time)."""

from __future__ import annotations

__all__ = ["BrokerError", "BrokerUnavailable"]


class BrokerError(RuntimeError):
    """The broker could not be resolved, formatted, started or stopped; the message says why."""


class BrokerUnavailable(BrokerError):
    """No Kafka broker answered at ``bootstrap`` within ``timeout_s``; ``reason`` says how it
    failed (``connection refused``, ...). The message is one line naming the address."""

    def __init__(self, bootstrap: str, timeout_s: float, reason: str) -> None:
        super().__init__(f"cannot reach the Kafka broker at {bootstrap} within {timeout_s:g} s "
                         f"({reason})")
        self.bootstrap = bootstrap
        self.timeout_s = timeout_s
        self.reason = reason

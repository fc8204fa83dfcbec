"""An :class:`AlertService` on a list of snapshots and an injected clock, without Kafka: the
API tests' helpers (one threshold rule ``long_wait`` on ``billing`` and a feed-stalled one)."""

from __future__ import annotations

from collections.abc import Callable

from alerts.config import parse_alerts
from alerts.delivery import Deliverer
from alerts.service import AlertService
from alerts.store import MemoryStore

__all__ = ["JSON", "T0", "TOKEN", "ListSource", "service", "snap"]

TOKEN = "token-0123456789abcdef"
T0 = 1_800_000_000.0
JSON = {"Content-Type": "application/json"}


class ListSource:
    """Snapshots from a list (what the worker's API would have served, one per tick)."""

    def __init__(self, items: list) -> None:
        self.items = items

    def fetch(self) -> dict:
        item = self.items.pop(0) if len(self.items) > 1 else self.items[0]
        if isinstance(item, Exception):
            raise item
        return item

    def describe(self) -> str:
        return "list"


def service(items: list, clock: Callable[[], float], **extra) -> AlertService:
    settings = parse_alerts({"api_token": TOKEN, "state": "memory", "rules": {
        "long_wait": {"figure": "now.oldest_wait_s", "above": 60},
        "stalled": {"kind": "feed_stalled", "stall_after": "20s", "for": "0s"}}, **extra})
    return AlertService(settings, ListSource(items), MemoryStore(), Deliverer(settings),
                        clock=clock)


def snap(wait: float | None) -> dict:
    return {"segments": {"all": {}, "billing": {"now": {"oldest_wait_s": wait}}}}

"""Deduplication by event id: the ids seen, in two generations (by event time) of at least
the horizon each, so memory stays bounded; a lookup checks both, a rotation drops the older
one whole. Events older than what the dropped generation covered are checked by their call."""

from __future__ import annotations

from .clock import NEVER

__all__ = ["Dedup"]


class Dedup:
    """The event ids seen recently (``current`` and ``previous`` generations).

    The engine's hot path probes the two sets itself (``previous``, then one ``add`` to
    ``current``); this object owns when they rotate."""

    __slots__ = ("current", "forgotten_before", "generation_start", "previous")

    def __init__(self) -> None:
        self.current: set[str] = set()
        self.previous: set[str] = set()
        self.generation_start = NEVER  # event time (ms) at which ``current`` began
        self.forgotten_before = NEVER  # event ids older than this may have been forgotten

    def rotate(self, watermark: int, horizon_ms: int, future_ms: int) -> None:
        """Start a new generation once the current one spans the horizon."""
        if watermark - self.generation_start >= horizon_ms:
            # ids that arrived before the old generation began are forgotten now; such an
            # event is no newer than that instant plus max_future_s
            self.forgotten_before = self.generation_start + future_ms
            self.previous, self.current = self.current, set()
            self.generation_start = watermark

"""A deterministic queue simulator that emits contract-v1 events (pure: no Kafka).

Per queue an M/G/N+M queue: Poisson arrivals, exponential caller patience (abandons), lognormal
talk times, exponential after-call work, N agents serving FIFO. Agents emit ``agent.state``.
The simulation is advanced in steps (``advance(until)``) so a live producer can stream it in
real time and a file writer can run it to the end in one go; the same seed gives the same
events either way.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["QueueModel", "Simulator", "default_models", "rfc3339"]

TIERS = (("vip", 0.15), ("regular", 0.85))
BUSINESS = (("query", 0.40), ("consultation", 0.20), ("service_request", 0.20),
            ("fault_report", 0.15), ("complaint", 0.05))


def rfc3339(t: float) -> str:
    """Epoch seconds → ``2026-11-22T01:15:00.123Z`` (UTC, milliseconds)."""
    dt = datetime.fromtimestamp(round(t, 3), tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class QueueModel:
    name: str
    arrivals_per_min: float
    agents: int
    mean_patience_s: float = 90.0
    mean_talk_s: float = 180.0
    mean_acw_s: float = 30.0

    def __post_init__(self) -> None:
        if self.arrivals_per_min < 0 or self.agents < 0:
            raise ValueError(f"queue {self.name}: arrivals_per_min and agents must be >= 0")
        if min(self.mean_patience_s, self.mean_talk_s, self.mean_acw_s) <= 0:
            raise ValueError(f"queue {self.name}: mean times must be > 0")


def default_models(rate: float = 1.0) -> list[QueueModel]:
    """Three queues loaded near capacity, so waits build up and drain visibly."""
    return [
        QueueModel("billing", 2.6 * rate, 8, mean_talk_s=170.0),
        QueueModel("sales", 1.6 * rate, 5, mean_talk_s=160.0, mean_patience_s=60.0),
        QueueModel("support", 3.0 * rate, 10, mean_talk_s=200.0, mean_acw_s=40.0),
    ]


def _choice(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    x = rng.random()
    for value, p in table:
        x -= p
        if x < 0:
            return value
    return table[-1][0]


class Simulator:
    """Discrete-event simulation; ``advance(until)`` returns the events with ``ts <= until``."""

    def __init__(self, models: list[QueueModel], *, start: float, seed: int = 1) -> None:
        if not models:
            raise ValueError("at least one queue model is needed")
        self.models = {m.name: m for m in models}
        self.rng = random.Random(seed)
        self.now = start
        self._seq = 0
        self._heap: list[tuple[float, int, str, tuple]] = []
        self._waiting: dict[str, deque[str]] = {m.name: deque() for m in models}
        self._queued_at: dict[str, float] = {}
        self._free: dict[str, deque[str]] = {}
        self._event_no: dict[str, int] = {}
        self._calls = 0
        self._pending: list[dict] = []
        for m in models:
            self._free[m.name] = deque()
            for i in range(m.agents):
                agent = f"{m.name}-a{i + 1:03d}"
                self._free[m.name].append(agent)
                self._emit_agent(start, agent, "available", m.name)
            if m.arrivals_per_min > 0:
                self._schedule(start + self._interarrival(m), "arrive", (m.name,))

    # -- scheduling ------------------------------------------------------------------------
    def _schedule(self, t: float, kind: str, data: tuple) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, kind, data))

    def _interarrival(self, m: QueueModel) -> float:
        return self.rng.expovariate(m.arrivals_per_min / 60.0)

    def _event_id(self, key: str) -> str:
        n = self._event_no.get(key, 0) + 1
        self._event_no[key] = n
        return f"{key}-{n}"

    def _emit_call(self, t: float, type_: str, call_id: str, queue: str, **extra) -> None:
        self._pending.append({"v": 1, "event_id": self._event_id(call_id), "type": type_,
                              "ts": rfc3339(t), "call_id": call_id, "queue": queue, **extra})

    def _emit_agent(self, t: float, agent: str, state: str, queue: str) -> None:
        self._pending.append({"v": 1, "event_id": self._event_id(agent), "type": "agent.state",
                              "ts": rfc3339(t), "agent_id": agent, "state": state,
                              "queues": [queue]})

    # -- the model -------------------------------------------------------------------------
    def advance(self, until: float) -> list[dict]:
        """Run the simulation up to ``until`` (epoch s); return the new events in time order."""
        while self._heap and self._heap[0][0] <= until:
            t, _, kind, data = heapq.heappop(self._heap)
            self.now = t
            getattr(self, f"_on_{kind}")(t, *data)
        self.now = max(self.now, until)
        out, self._pending = self._pending, []
        return out

    def _on_arrive(self, t: float, queue: str) -> None:
        m = self.models[queue]
        self._calls += 1
        call_id = f"{queue[:3]}-{self.rng.getrandbits(40):010x}"
        attrs = {"tier": _choice(self.rng, TIERS), "business": _choice(self.rng, BUSINESS),
                 "channel": "voice"}
        self._emit_call(t, "call.queued", call_id, queue, attrs=attrs)
        self._queued_at[call_id] = t
        self._waiting[queue].append(call_id)
        self._schedule(t + self.rng.expovariate(1.0 / m.mean_patience_s), "patience",
                       (queue, call_id))
        self._dispatch(t, queue)
        self._schedule(t + self._interarrival(m), "arrive", (queue,))

    def _dispatch(self, t: float, queue: str) -> None:
        waiting, free = self._waiting[queue], self._free[queue]
        while waiting and free:
            call_id = waiting.popleft()
            agent = free.popleft()
            self._queued_at.pop(call_id, None)
            m = self.models[queue]
            self._emit_call(t, "call.answered", call_id, queue, agent_id=agent)
            self._emit_agent(t, agent, "on_call", queue)
            sigma = 0.6
            talk = self.rng.lognormvariate(math.log(m.mean_talk_s) - sigma**2 / 2, sigma)
            self._schedule(t + max(talk, 5.0), "hangup", (queue, call_id, agent))

    def _on_patience(self, t: float, queue: str, call_id: str) -> None:
        if call_id not in self._queued_at:
            return  # answered before the caller ran out of patience
        del self._queued_at[call_id]
        self._waiting[queue].remove(call_id)
        self._emit_call(t, "call.abandoned", call_id, queue)

    def _on_hangup(self, t: float, queue: str, call_id: str, agent: str) -> None:
        hold = round(self.rng.expovariate(1 / 20.0), 1) if self.rng.random() < 0.2 else 0.0
        self._emit_call(t, "call.ended", call_id, queue, agent_id=agent, hold_s=hold)
        self._emit_agent(t, agent, "acw", queue)
        acw = self.rng.expovariate(1.0 / self.models[queue].mean_acw_s)
        self._schedule(t + acw, "wrapup", (queue, call_id, agent))

    def _on_wrapup(self, t: float, queue: str, call_id: str, agent: str) -> None:
        self._emit_call(t, "call.wrapup_ended", call_id, queue, agent_id=agent)
        self._emit_agent(t, agent, "available", queue)
        self._free[queue].append(agent)
        self._dispatch(t, queue)

    def run(self, until: float, step: float = 60.0) -> Iterator[dict]:
        """All events up to ``until``, in time order, produced a step at a time."""
        t = self.now
        while t < until:
            t = min(t + step, until)
            yield from self.advance(t)

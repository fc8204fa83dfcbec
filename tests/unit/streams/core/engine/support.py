"""Helpers of the engine tests: events on a timeline in seconds after ``T0``, an engine fed
them, and the parts of its snapshot a test looks at. T = 20 s, short abandon 5 s (the
defaults) unless a test says otherwise."""

from __future__ import annotations

from datetime import datetime

from schemas import parse_event
from streams.core.config import EngineSettings, SegmentPolicy
from streams.core.engine import Engine
from streams.core.timefmt import rfc3339

T0 = 1_795_300_000.0  # 2026-11-21T22:26:40Z
_ids = iter(range(10**9))


def ev(type_: str, at: float, call: str = "c1", queue: str = "billing", **extra) -> dict:
    base = {"v": 1, "event_id": f"e{next(_ids)}", "type": type_, "ts": rfc3339(T0 + at)}
    if type_ == "agent.state":
        return {**base, **extra}
    return {**base, "call_id": call, "queue": queue, **extra}


def agent(at: float, agent_id: str, state: str, queues: list[str]) -> dict:
    return ev("agent.state", at, agent_id=agent_id, state=state, queues=queues)


def run(events: list[dict], settings: EngineSettings | None = None) -> Engine:
    engine = Engine(settings)
    for e in events:
        engine.apply(parse_event(e))
    return engine


def seg(engine: Engine, at: float, name: str = "billing") -> dict:
    return engine.snapshot(T0 + at)["segments"][name]


def win(engine: Engine, at: float, window: str = "5m", name: str = "billing") -> dict:
    return seg(engine, at, name)["windows"][window]


def settings(**policy) -> EngineSettings:
    return EngineSettings(defaults=SegmentPolicy(**policy))


def sim_events(seconds: float, seed: int = 3) -> list[dict]:
    """``seconds`` of simulated traffic from ``T0``."""
    from streams.adapters.simulator import Simulator, default_models

    return list(Simulator(default_models(), start=T0, seed=seed).run(T0 + seconds))


def at(iso: str) -> float:
    """The timeline offset (seconds after ``T0``) of an RFC 3339 instant."""
    return datetime.fromisoformat(iso).timestamp() - T0


def ticks(start: float, end: float, step: float = 600.0, queue: str = "ticks") -> list[dict]:
    """Calls queued in ``queue`` every ``step`` seconds from ``start`` to ``end``: event time
    moves on (maintenance folds minutes into days, expires visits, drops final calls)."""
    out, n = [], 0
    while start + n * step <= end:
        out.append(ev("call.queued", start + n * step, f"tick{start + n * step}", queue))
        n += 1
    return out

"""Event files for the browser tests, and what the real worker serves for them.

The boards under test read the JSON that ``wallboard worker --clock event`` serves after
replaying a file: :func:`worker_snapshots` feeds the events, in time order, through the
worker's own :class:`streams.worker.Runtime` (an engine per partition, the merged figures,
the ``freshness`` and ``feed`` blocks) and returns the published bodies byte for byte. No
broker: the records go in through ``Runtime.handle``, as the worker's unit tests feed them.
On the event clock a board counts a snapshot's age from its fetch (as for a replay), so a
file recorded at a fixed instant shows fresh, and every figure is fixed by the file.

The traffic is designed, not sampled, so that a test knows which state it shows:

* :func:`showcase`: an hour of four queues: support in BREACH (9 waiting, the oldest for
  128 s, SL and abandons bad, ASA at WARN), billing with 3 waiting, sales calm, and a queue
  with a space in its name; agents announce their state every minute;
* :func:`counting`: a caller more in billing every 0.1 s and nothing answered (no service
  level yet): served one snapshot per request, the waiting number climbs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import orjson

from infra.clients import free_port
from streams.config import KafkaSettings, WorkerSettings
from streams.core.timefmt import rfc3339
from streams.worker import Runtime
from tests.support import run_async
from wallboard.settings import Settings

__all__ = ["SHOWCASE", "T", "Load", "Traffic", "counting", "counting_instants", "decoded",
           "served", "showcase", "showcase_instants", "worker_snapshots"]

T = 1_795_000_000.0  # 2026-11-18T11:06:40Z: the instant of the showcase's last snapshot
QUARTER_S = 900.0
MINUTE_S = 60.0
TALK_S, ACW_S, ABANDON_AFTER_S = 60.0, 15.0, 40.0  # short calls: 28 agents keep up
COUNT_STEP_S = 0.1  # a caller more every 0.1 s ...
COUNT_STEPS = 190  # ... for 19 s: the first one never waits past the SL threshold (20 s)


@dataclass(frozen=True)
class Load:
    """One queue of :func:`showcase`: every quarter hour ``answered`` calls (waits taken in
    turn from ``waits``) and ``abandoned`` ones; at ``T`` the callers waiting for
    ``waiting`` seconds, and its agents (available, on call, ACW, not ready)."""

    queue: str
    answered: int
    waits: tuple[float, ...]
    abandoned: int = 0
    waiting: tuple[float, ...] = ()
    agents: tuple[int, int, int, int] = (0, 0, 0, 0)


SHOWCASE = (
    Load("support", 80, (1.5, 21.0), abandoned=10,
         waiting=(128, 110, 95, 80, 64, 48, 33, 17, 0), agents=(1, 8, 3, 3)),
    Load("billing", 40, (4.0, 8.0), abandoned=1, waiting=(42, 25, 3), agents=(2, 6, 1, 1)),
    Load("sales", 30, (3.0,), agents=(3, 4, 0, 1)),
    Load("VIP Line", 27, (1.0,)),
)
AGENT_STATES = ("available", "on_call", "acw", "not_ready")


class Traffic:
    """Contract-v1 events, built call by call."""

    def __init__(self) -> None:
        self.events: list[tuple[float, dict]] = []  # (epoch s, event)

    def add(self, ts: float, type_: str, **fields: object) -> None:
        key = fields.get("call_id") or fields.get("agent_id")
        self.events.append((ts, {"v": 1, "event_id": f"{key}-{type_}-{ts:.3f}", "type": type_,
                                 "ts": rfc3339(ts), **fields}))

    def answered(self, call_id: str, queue: str, queued: float, wait: float, agent: str,
                 talk_s: float = TALK_S) -> None:
        ids = {"call_id": call_id, "queue": queue}
        self.add(queued, "call.queued", **ids)
        self.add(queued + wait, "call.answered", **ids, agent_id=agent)
        self.add(queued + wait + talk_s, "call.ended", **ids, agent_id=agent)
        self.add(queued + wait + talk_s + ACW_S, "call.wrapup_ended", **ids, agent_id=agent)

    def abandoned(self, call_id: str, queue: str, queued: float) -> None:
        self.add(queued, "call.queued", call_id=call_id, queue=queue)
        self.add(queued + ABANDON_AFTER_S, "call.abandoned", call_id=call_id, queue=queue)

    def waiting(self, call_id: str, queue: str, queued: float) -> None:
        self.add(queued, "call.queued", call_id=call_id, queue=queue)

    def until(self, t: float) -> list[tuple[float, dict]]:
        """The events up to ``t`` (what has happened by then), in time order."""
        return sorted((e for e in self.events if e[0] <= t), key=lambda e: e[0])

    def jsonl(self) -> bytes:
        """The whole file, JSON Lines in time order (as ``wallboard replay`` reads it)."""
        return b"".join(orjson.dumps(e) + b"\n" for _, e in self.until(float("inf")))


def _spread(n: int, start: float, length: float) -> list[float]:
    return [start + (i + 0.5) * length / n for i in range(n)]


def _queue_calls(traffic: Traffic, load: Load, quarters: int, talk_s: float) -> None:
    q = load.queue.replace(" ", "-").lower()
    for k in range(quarters):
        start = T - (quarters - k) * QUARTER_S
        length = QUARTER_S - 60.0  # every wait of the quarter is over by its end
        for i, queued in enumerate(_spread(load.answered, start, length)):
            traffic.answered(f"{q}-{k}-{i}", load.queue, queued,
                             load.waits[i % len(load.waits)], f"{q}-agent-{i % 8}", talk_s)
        for i, queued in enumerate(_spread(load.abandoned, start, length)):
            traffic.abandoned(f"{q}-{k}-ab{i}", load.queue, queued)
    for i, age in enumerate(load.waiting):
        traffic.waiting(f"{q}-now-{i}", load.queue, T - age)


def _queue_agents(traffic: Traffic, load: Load, announce_at: Iterable[float]) -> None:
    q = load.queue.replace(" ", "-").lower()
    states = [s for s, n in zip(AGENT_STATES, load.agents, strict=True) for _ in range(n)]
    for t in announce_at:
        for i, state in enumerate(states):
            traffic.add(t, "agent.state", agent_id=f"{q}-agent-{i}", state=state,
                        queues=[load.queue])


def showcase_instants() -> list[float]:
    """The showcase's snapshot instants: every minute of the hour up to ``T``."""
    return [T - MINUTE_S * i for i in range(59, -1, -1)]


def showcase(talk_s: float = TALK_S) -> Traffic:
    """An hour of the four :data:`SHOWCASE` queues, ending at ``T``. With calls of
    ``talk_s`` = 180 s the offered traffic is more than the staff: Erlang C says
    "overloaded" for every segment."""
    traffic = Traffic()
    for load in SHOWCASE:
        _queue_calls(traffic, load, quarters=4, talk_s=talk_s)
        _queue_agents(traffic, load, showcase_instants())
    return traffic


def counting_instants() -> list[float]:
    return [T + COUNT_STEP_S * i for i in range(COUNT_STEPS)]


def counting() -> Traffic:
    """A caller more in billing at every instant of :func:`counting_instants`."""
    traffic = Traffic()
    for i, t in enumerate(counting_instants()):
        traffic.waiting(f"count-{i}", "billing", t)
    return traffic


def worker_snapshots(traffic: Traffic, instants: list[float]) -> list[bytes]:
    """The bodies ``GET /api/v1/snapshot`` of a worker on the event clock answers once it has
    read the events up to each of ``instants`` (sorted), its clock following the file."""
    events = traffic.until(max(instants))
    return run_async(_publish(events, sorted(instants)))


async def _publish(events: list[tuple[float, dict]], instants: list[float]) -> list[bytes]:
    # the bootstrap is never dialled (the runtime is not started); the port never bound
    settings = replace(Settings(), kafka=KafkaSettings(bootstrap=f"127.0.0.1:{free_port()}"),
                       worker=WorkerSettings(port=free_port(), clock="event"))
    now = [min(events[0][0], instants[0]) if events else instants[0]]
    runtime = Runtime(settings, lambda: now[0])  # the worker's clock follows the file
    offsets: dict[str, int] = {}
    bodies: list[bytes] = []
    pending = iter(events)
    item = next(pending, None)
    try:
        for instant in instants:
            while item is not None and item[0] <= instant:
                now[0] = item[0]
                await _feed(runtime, settings, item[1], offsets)
                item = next(pending, None)
            now[0] = instant
            bodies.append((await runtime.publish_once()).body)
    finally:
        await runtime.stop()
    return bodies


async def _feed(runtime: Runtime, settings: Settings, event: dict,
                offsets: dict[str, int]) -> None:
    """One event into partition 0 of its topic, keyed by call or agent (as produced)."""
    agent = event["type"] == "agent.state"
    topic = settings.kafka.agent_topic if agent else settings.kafka.call_topic
    key = event["agent_id"] if agent else event["call_id"]
    offsets[topic] = offset = offsets.get(topic, -1) + 1
    letter = await runtime.handle(topic, 0, offset, key.encode(), orjson.dumps(event))
    assert letter is None, letter  # the worker refused a designed event: fix the design


def served(bodies: list[bytes]) -> Callable[[int], bytes]:
    """A snapshot server's body for request ``n`` (1, 2, ...): the n-th body, then the last."""
    return lambda n: bodies[min(n, len(bodies)) - 1]


def decoded(body: bytes) -> dict:
    return orjson.loads(body)



"""A fast, deterministic generator of a realistic contract-v1 event file for the benchmarks.

    .venv/bin/python bench/gen_events.py --events 1000000 --out /tmp/x.jsonl.gz \
        [--queues 8] [--seed 1] [--rate 20] [--start 2026-11-22T22:00:00Z] \
        [--config-out /tmp/x.toml]

Calls arrive Poisson at ``--rate`` calls/s over all queues (mildly skewed queue mix). Each call
is queued (``attrs`` tier vip/standard and channel voice/chat, VIPs carry ``priority``), then
answered (85 %, wait exponential, mean 25 s) -> ``call.ended`` (``acw: true``, talk lognormal,
mean 180 s, sometimes ``hold_s``) -> ``call.wrapup_ended`` (after-call work exponential, mean
30 s); or abandoned (12 %, patience exponential, mean 40 s); or dequeued (3 %, reason
``timeout`` after 120 s). A pool of agents sized for the load (rate x handle time / 0.85, each
serving one or two queues) changes state (available / on_call / acw / not_ready / offline, a
Markov chain with per-state dwell times: ~55 % of agents on a call) as a Poisson process
making up ~15 % of the lines. The agent states are not tied to the calls' agent ids.

Lines are written in ``ts`` order, except ~1 % delayed by up to 60 s (within the default
``max_lateness_s`` of 120 s) to exercise the out-of-order path. Timestamps are RFC 3339 UTC with
milliseconds. At 20 calls/s a line is ~11.5 ms of event time: 1 M lines are ~3.2 h, so the
default start (22:00 UTC) spans a (UTC) midnight. The truncation at ``--events`` leaves the
last calls open, as a live stream would.

``--config-out`` (default: next to ``--out``, ``.toml``) gets the matching settings: four
attribute segments (vip, standard, voice, chat), so each visit is in exactly 4 segments (all,
its queue, its tier, its channel).

Other benchmarks import :func:`iter_lines`, :func:`config_toml` and :func:`cached`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import heapq
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson

DEFAULT_START = "2026-11-22T22:00:00Z"
DEFAULT_RATE = 20.0
NAMED_QUEUES = ("billing", "sales", "support", "tech", "claims", "retention", "orders",
                "general")
# Call outcomes and their timing (seconds).
P_ANSWERED, P_ABANDONED = 0.85, 0.12  # the rest (3 %) is dequeued on timeout
MEAN_WAIT_S = 25.0
MEAN_PATIENCE_S = 40.0
TIMEOUT_S = 120.0
MEAN_TALK_S = 180.0
TALK_SIGMA = 0.6
MEAN_ACW_S = 30.0
P_HOLD = 0.15
P_VIP, P_VOICE = 0.2, 0.7
# Agent events make up this share of the lines; out-of-order share and maximum delay.
AGENT_SHARE = 0.15
P_DELAYED, MAX_DELAY_MS = 0.01, 60_000
# Agent state Markov chain: state -> cumulative (probability, next state).
_NEXT_STATE = {
    "offline": ((1.0, "available"),),
    "available": ((0.80, "on_call"), (0.95, "not_ready"), (1.0, "offline")),
    "on_call": ((0.90, "acw"), (1.0, "available")),
    "acw": ((0.90, "available"), (1.0, "not_ready")),
    "not_ready": ((0.90, "available"), (1.0, "offline")),
}
# Mean time in each state (s): a changing agent is drawn with probability ~ 1 / dwell, which
# gives ~55 % on_call, 8 % acw, 8 % available, 10 % not_ready, 17 % offline.
_DWELL_S = {"available": 20.0, "on_call": 180.0, "acw": 30.0, "not_ready": 120.0,
            "offline": 600.0}
_ACCEPT = {state: min(_DWELL_S.values()) / dwell for state, dwell in _DWELL_S.items()}
_INITIAL_STATE = ((0.08, "available"), (0.63, "on_call"), (0.71, "acw"), (0.81, "not_ready"),
                  (1.0, "offline"))
_NOT_READY_REASONS = ("break", "lunch", "training", "meeting")


def queue_names(n: int) -> list[str]:
    """Realistic names for up to 8 queues, ``q0000``... beyond."""
    if n <= len(NAMED_QUEUES):
        return list(NAMED_QUEUES[:n])
    return [f"q{i:04d}" for i in range(n)]


def parse_start(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class _Clock:
    """Integer ms -> ``2026-11-22T09:15:02.120Z`` (the date part cached per day)."""

    def __init__(self) -> None:
        self._day = -1
        self._date = ""

    def fmt(self, ms: int) -> str:
        s, milli = divmod(ms, 1000)
        day, sod = divmod(s, 86_400)
        if day != self._day:
            self._day = day
            self._date = datetime.fromtimestamp(day * 86_400, tz=UTC).strftime("%Y-%m-%d")
        h, rem = divmod(sod, 3600)
        m, sec = divmod(rem, 60)
        return f"{self._date}T{h:02d}:{m:02d}:{sec:02d}.{milli:03d}Z"


class _Agents:
    """The agent pool, sized for the offered load (Erlang: rate x handle time) at ~85 %
    occupancy, each serving one or two queues, and their state chain."""

    def __init__(self, rand: Callable[[], float], names: list[str], rate: float,
                 agents: int | None) -> None:
        queues = len(names)
        handle_s = P_ANSWERED * (MEAN_TALK_S + MEAN_ACW_S)
        self.n = agents or max(2 * queues, math.ceil(rate * handle_s / 0.85))
        self.ids = [f"a-{i:05d}" for i in range(self.n)]
        self.queues: list[list[str]] = []
        self.serving: dict[str, list[str]] = {q: [] for q in names}
        for i, aid in enumerate(self.ids):
            qs = [names[i % queues]]
            if queues > 1 and rand() < 0.4:
                other = names[int(rand() * queues)]
                if other != qs[0]:
                    qs.append(other)
            self.queues.append(qs)
            for q in qs:
                self.serving[q].append(aid)
        self.state = [_draw(_INITIAL_STATE, rand()) for _ in self.ids]
        self.seq = [0] * self.n


class _Traffic:
    """Calls and agent changes as two Poisson processes; lines come out of a heap in key
    order (the key is ``ts``, or a later instant for the ~1 % delayed lines)."""

    def __init__(self, *, queues: int, seed: int, rate: float, start: float | None,
                 agents: int | None) -> None:
        import random

        rng = random.Random(seed)
        self.seed = seed
        self.rand, self.expo, self.lognorm = rng.random, rng.expovariate, rng.lognormvariate
        names = queue_names(queues)
        weights = [1.0 / (1.0 + i / max(1, queues)) for i in range(queues)]
        cum: list[float] = []
        acc = 0.0
        for w in weights:
            acc += w
            cum.append(acc / sum(weights))
        cum[-1] = 1.0
        self.pick_queue = [names[min(_bisect(cum, (i + 0.5) / 4096), queues - 1)]
                           for i in range(4096)]
        self.agents = _Agents(self.rand, names, rate, agents)
        call_lines = P_ANSWERED * 4 + (1 - P_ANSWERED) * 2
        agent_rate = rate * call_lines * AGENT_SHARE / (1 - AGENT_SHARE)  # events/s
        self.call_mean_ms = 1000.0 / rate
        self.agent_mean_ms = 1000.0 / agent_rate
        self.mu_talk = math.log(MEAN_TALK_S) - TALK_SIGMA**2 / 2
        self.t0 = (parse_start(DEFAULT_START) if start is None else start) * 1000.0
        self.fmt = _Clock().fmt
        self.heap: list[tuple[int, int, bytes]] = []
        self.seq = 0
        self.n_call = 0
        self.next_call = self.t0 + self.expo(1.0) * self.call_mean_ms
        self.next_agent = self.t0 + self.expo(1.0) * self.agent_mean_ms

    def emit(self, ms: int, obj: dict) -> None:
        rand = self.rand
        key = ms + int(rand() * MAX_DELAY_MS) if rand() < P_DELAYED else ms
        self.seq += 1
        heapq.heappush(self.heap, (key, self.seq, orjson.dumps(obj)))

    def call(self, now: float) -> None:
        """One call arriving at ``now``, with all its events."""
        rand, fmt = self.rand, self.fmt
        self.next_call += self.expo(1.0) * self.call_mean_ms
        self.n_call += 1
        cid = f"c{self.seed}-{self.n_call}"
        q = self.pick_queue[int(rand() * 4096)]
        vip = rand() < P_VIP
        t = int(now)
        queued = {"v": 1, "event_id": cid + "-1", "type": "call.queued", "ts": fmt(t),
                  "call_id": cid, "queue": q,
                  "attrs": {"tier": "vip" if vip else "standard",
                            "channel": "voice" if rand() < P_VOICE else "chat"}}
        if vip:
            queued["priority"] = 10
        self.emit(t, queued)
        u = rand()
        if u < P_ANSWERED:
            self._answered(cid, q, t)
        elif u < P_ANSWERED + P_ABANDONED:
            tb = t + int(self.expo(1.0) * MEAN_PATIENCE_S * 1000)
            self.emit(tb, {"v": 1, "event_id": cid + "-2", "type": "call.abandoned",
                           "ts": fmt(tb), "call_id": cid, "queue": q})
        else:
            td = t + int(TIMEOUT_S * 1000)
            self.emit(td, {"v": 1, "event_id": cid + "-2", "type": "call.dequeued",
                           "ts": fmt(td), "call_id": cid, "queue": q, "reason": "timeout"})

    def _answered(self, cid: str, q: str, t: int) -> None:
        rand, expo, fmt = self.rand, self.expo, self.fmt
        pool = self.agents.serving[q]
        aid = pool[int(rand() * len(pool))]
        ta = t + int(expo(1.0) * MEAN_WAIT_S * 1000)
        self.emit(ta, {"v": 1, "event_id": cid + "-2", "type": "call.answered",
                       "ts": fmt(ta), "call_id": cid, "queue": q, "agent_id": aid})
        te = ta + int(self.lognorm(self.mu_talk, TALK_SIGMA) * 1000)
        ended = {"v": 1, "event_id": cid + "-3", "type": "call.ended", "ts": fmt(te),
                 "call_id": cid, "queue": q, "agent_id": aid, "acw": True}
        if rand() < P_HOLD:
            ended["hold_s"] = int(rand() * 90) + 5
        self.emit(te, ended)
        tw = te + int(expo(1.0) * MEAN_ACW_S * 1000)
        self.emit(tw, {"v": 1, "event_id": cid + "-4", "type": "call.wrapup_ended",
                       "ts": fmt(tw), "call_id": cid, "queue": q, "agent_id": aid})

    def agent(self, now: float) -> None:
        """One agent changing state at ``now`` (drawn with probability ~ 1 / dwell)."""
        rand, pool = self.rand, self.agents
        self.next_agent += self.expo(1.0) * self.agent_mean_ms
        i = int(rand() * pool.n)
        while rand() >= _ACCEPT[pool.state[i]]:
            i = int(rand() * pool.n)
        state = pool.state[i] = _draw(_NEXT_STATE[pool.state[i]], rand())
        pool.seq[i] += 1
        aid = pool.ids[i]
        t = int(now)
        obj = {"v": 1, "event_id": f"{aid}-{pool.seq[i]}", "type": "agent.state",
               "ts": self.fmt(t), "agent_id": aid, "state": state, "queues": pool.queues[i]}
        if state == "not_ready":
            obj["reason"] = _NOT_READY_REASONS[int(rand() * len(_NOT_READY_REASONS))]
        self.emit(t, obj)


def iter_lines(events: int | None = None, *, queues: int = 8, seed: int = 1,
               rate: float = DEFAULT_RATE, start: float | None = None,
               duration_s: float | None = None, agents: int | None = None) -> Iterator[bytes]:
    """Yield JSON lines (bytes, no newline): ``events`` of them, or up to ``duration_s`` of
    event time after ``start`` (whichever comes first; at least one must be given)."""
    if events is None and duration_s is None:
        raise ValueError("give events or duration_s")
    traffic = _Traffic(queues=queues, seed=seed, rate=rate, start=start, agents=agents)
    stop_ms = math.inf if duration_s is None else traffic.t0 + duration_s * 1000.0
    limit = math.inf if events is None else events
    heap, pop = traffic.heap, heapq.heappop
    written = 0
    while written < limit:
        now = min(traffic.next_call, traffic.next_agent)
        if now > stop_ms:
            break
        if traffic.next_call <= traffic.next_agent:
            traffic.call(now)
        else:
            traffic.agent(now)
        # Everything generated later has a key >= now: what is older is final.
        while heap and heap[0][0] <= now and written < limit:
            yield pop(heap)[2]
            written += 1
    if events is None:  # a duration: the rest up to its end (later events are cut off)
        while heap and heap[0][0] <= stop_ms:
            yield pop(heap)[2]


def _bisect(cum: list[float], x: float) -> int:
    lo, hi = 0, len(cum)
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _draw(table: tuple[tuple[float, str], ...], u: float) -> str:
    for p, state in table:
        if u < p:
            return state
    return table[-1][1]


def config_toml(timezone: str = "UTC") -> str:
    """Settings with the four attribute segments (each visit in all + queue + tier + channel)."""
    parts = [f'[engine]\ntimezone = "{timezone}"\nwindows = ["5m", "15m", "60m"]\n'
             "max_segments = 5000\n"]  # bench/snapshot.py builds 1,000 segments
    for name, attr in (("vip", "tier"), ("standard", "tier"), ("voice", "channel"),
                       ("chat", "channel")):
        parts.append(f'\n[engine.segments.{name}]\nqueues = ["*"]\n'
                     f'match = {{ {attr} = "{name}" }}\n')
    return "".join(parts)


def write_file(path: Path, lines: Iterator[bytes]) -> int:
    """Write lines (``.gz``: gzip level 1); return how many."""
    n = 0
    opener = (lambda p: gzip.open(p, "wb", compresslevel=1)) if path.name.endswith(".gz") \
        else (lambda p: open(p, "wb"))  # noqa: SIM115
    with opener(path) as fh:
        chunk: list[bytes] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= 20_000:
                fh.write(b"\n".join(chunk) + b"\n")
                n += len(chunk)
                chunk = []
        if chunk:
            fh.write(b"\n".join(chunk) + b"\n")
            n += len(chunk)
    return n


def default_config_path(out: Path) -> Path:
    name = out.name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return out.with_name(name + ".toml")


def cache_dir() -> Path:
    """``$WALLBOARD_BENCH_CACHE`` or ``/tmp/wallboard-bench`` (outside the work tree)."""
    return Path(os.environ.get("WALLBOARD_BENCH_CACHE", "/tmp/wallboard-bench"))


def cached(events: int, *, queues: int = 8, seed: int = 1, rate: float = DEFAULT_RATE,
           quiet: bool = False) -> tuple[Path, Path]:
    """The event file and config for these settings, generated once into :func:`cache_dir`.

    The file name carries the settings and a hash of this script, so a changed generator
    regenerates."""
    version = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]
    d = cache_dir()
    d.mkdir(parents=True, exist_ok=True)
    stem = f"events-{events}-q{queues}-s{seed}-r{rate:g}-{version}"
    path, config = d / f"{stem}.jsonl.gz", d / f"{stem}.toml"
    if not path.exists():
        if not quiet:
            print(f"generating {events:,} events into {path} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        tmp = path.with_name(f".tmp{os.getpid()}-{path.name}")  # still .gz
        write_file(tmp, iter_lines(events, queues=queues, seed=seed, rate=rate))
        tmp.replace(path)
        if not quiet:
            print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if not config.exists():
        config.write_text(config_toml(), encoding="utf-8")
    return path, config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000, help="number of lines")
    ap.add_argument("--out", type=Path, required=True, help="FILE.jsonl or FILE.jsonl.gz")
    ap.add_argument("--config-out", type=Path, help="settings TOML (default: OUT's stem .toml)")
    ap.add_argument("--queues", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate", type=float, default=DEFAULT_RATE, help="calls/s, all queues")
    ap.add_argument("--agents", type=int, help="agent pool (default: sized for the load)")
    ap.add_argument("--start", default=DEFAULT_START, help="RFC 3339 start of event time")
    args = ap.parse_args()
    if args.events < 1 or args.queues < 1 or args.rate <= 0:
        ap.error("--events, --queues and --rate must be positive")
    started = time.perf_counter()
    n = write_file(args.out, iter_lines(args.events, queues=args.queues, seed=args.seed,
                                        rate=args.rate, start=parse_start(args.start),
                                        agents=args.agents))
    elapsed = time.perf_counter() - started
    config = args.config_out or default_config_path(args.out)
    config.write_text(config_toml(), encoding="utf-8")
    print(f"{n:,} events -> {args.out} ({args.out.stat().st_size / 2**20:.1f} MiB) in "
          f"{elapsed:.1f} s ({n / elapsed:,.0f} events/s); config -> {config}")


if __name__ == "__main__":
    main()

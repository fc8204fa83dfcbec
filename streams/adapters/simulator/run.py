"""``wallboard simulate``'s work: plan the simulated window, build the simulator, and send its
events live to Kafka (optionally sped up) or write them to a JSON Lines file.

:class:`SimulateOptions` (with :class:`Timing` and :class:`SurgeOptions`) holds what the
command line chose; options that do not go together raise
:class:`~streams.core.errors.UsageError` (one line, exit 2). Live with ``speed`` N > 1 the
simulated clock runs N times faster than the wall clock and starts ``history + D - D/N``
seconds in the past (D = the duration), so it reaches "now" exactly when the run ends: no
event ever carries a future ``ts``. Likewise a file without ``start`` holds the window
``[now - D, now]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schemas.validate import TS_MAX_S

from ...config import KafkaSettings
from ...core.errors import UsageError
from ...sink import EventSink, open_sink
from .models import INTRADAY_PROFILE, Surge, day_models, default_models, story_models
from .simulation import Simulator

__all__ = ["SimulateOptions", "SurgeOptions", "Timing", "run_simulation"]

_SCENARIOS = {"day": day_models, "story": story_models}  # any other: default_models


@dataclass(frozen=True)
class SurgeOptions:
    """A surge on ``queue``: ``after_s`` after the simulated "now", ``for_s`` long, arrivals
    times ``factor``, repeated every ``every_s`` (None: once)."""

    queue: str
    after_s: float = 300.0
    for_s: float = 600.0
    every_s: float | None = None
    factor: float = 4.0


@dataclass(frozen=True)
class Timing:
    """The simulated window. ``duration_s`` None: until Ctrl-C (live only); ``history_s``:
    simulated past sent first (live); ``speed``: simulated seconds per real second (live);
    ``start``: the simulated start of a file (None: the window ends now)."""

    duration_s: float | None = None
    history_s: float = 0.0
    speed: float = 1.0
    start: float | None = None


@dataclass(frozen=True)
class SimulateOptions:
    """What to simulate, when, and where the events go (``output`` None: Kafka, live)."""

    scenario: str = "demo"  # demo, day or story
    seed: int = 1
    rate: float = 1.0
    timezone: str | None = None  # of the intraday profile and shifts; None: the default
    surge: SurgeOptions | None = None
    timing: Timing = field(default_factory=Timing)
    output: str | None = None


@dataclass(frozen=True)
class _Window:
    start: float  # where the simulation starts
    anchor: float  # the simulated "now": the history ends here, the surge counts from here
    end: float | None  # None: until Ctrl-C


def _file_window(now: float, timing: Timing) -> _Window:
    if timing.duration_s is None:
        raise UsageError("simulate --output needs --duration")
    if timing.speed != 1.0:
        raise UsageError("--speed applies to live sending; a file is written at once")
    start = timing.start if timing.start is not None else now - timing.duration_s
    anchor, end = start, start + timing.duration_s
    if end >= TS_MAX_S:
        raise UsageError("--start + --duration must end before 9999-12-01T00:00:00Z (the "
                         "end of the accepted event-time range)")
    return _Window(start, anchor, end)


def _live_window(now: float, timing: Timing) -> _Window:
    if timing.start is not None:
        raise UsageError("simulate --start works with --output only (live events use the "
                         "clock)")
    duration, speed = timing.duration_s, timing.speed
    if speed > 1 and duration is None:
        raise UsageError("simulate --speed above 1 needs --duration (the simulated past "
                         "must end now)")
    lead = duration - duration / speed if speed > 1 and duration is not None else 0.0
    start = now - timing.history_s - lead
    anchor = start + timing.history_s
    end = None if duration is None else anchor + duration
    return _Window(start, anchor, end)


def _surge(options: SurgeOptions | None, anchor: float) -> Surge | None:
    if options is None:
        return None
    if options.every_s is not None and options.every_s <= options.for_s:
        raise UsageError("--surge-every must be longer than --surge-for (else the surge "
                         "never ends)")
    return Surge(options.queue, anchor + options.after_s, options.for_s, options.factor,
                 options.every_s or 0.0)


def _simulator(options: SimulateOptions, window: _Window, default_timezone: str) -> Simulator:
    models = _SCENARIOS.get(options.scenario, default_models)(options.rate)
    surge = _surge(options.surge, window.anchor)
    try:
        return Simulator(models, start=window.start, seed=options.seed,
                         tz=options.timezone or default_timezone, surge=surge,
                         profile=INTRADAY_PROFILE if options.scenario == "day" else None)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _write_file(sim: Simulator, sink: EventSink, window: _Window, duration_s: float) -> None:
    assert window.end is not None
    try:
        sink.send(sim.run(window.end))
    finally:
        sink.close()
    print(f"simulate: wrote {sink.sent} events ({duration_s:.0f} s of traffic) to "
          f"{sink.describe()}")


def _follow_clock(sim: Simulator, sink: EventSink, window: _Window, speed: float,
                  launched: float) -> None:
    """Send what the simulated clock reaches, every 0.2 s, with a progress line every 10 s."""
    last_report = time.monotonic()
    while True:
        sim_now = window.anchor + speed * (time.monotonic() - launched)
        if window.end is not None and sim_now >= window.end:
            sink.send(sim.advance(window.end))
            return
        sink.send(sim.advance(sim_now))
        if time.monotonic() - last_report >= 10:
            last_report = time.monotonic()
            print(f"simulate: {sink.sent} events sent to {sink.describe()}; simulated "
                  f"time {datetime.fromtimestamp(sim_now, tz=UTC):%H:%M:%S} UTC", flush=True)
        time.sleep(0.2)


def _send_live(sim: Simulator, sink: EventSink, window: _Window, timing: Timing) -> None:
    launched = time.monotonic()
    if timing.history_s:
        sink.send(sim.advance(window.anchor))
        sink.flush()
        print(f"simulate: sent {sink.sent} events of {timing.history_s:.0f} s history",
              flush=True)
    try:
        _follow_clock(sim, sink, window, timing.speed, launched)
    except KeyboardInterrupt:
        pass
    finally:
        sink.close()
    print(f"simulate: done, {sink.sent} events sent", flush=True)


def run_simulation(kafka: KafkaSettings, default_timezone: str, options: SimulateOptions, *,
                   on_start: Callable[[], None] | None = None) -> int:
    """Simulated traffic, live to Kafka (optionally sped up) or to a JSON Lines file.

    ``default_timezone`` applies when ``options.timezone`` is not set. ``on_start`` is called
    once, just before live sending starts (the command treats SIGTERM like Ctrl-C there)."""
    now = time.time()
    timing = options.timing
    window = _file_window(now, timing) if options.output else _live_window(now, timing)
    sim = _simulator(options, window, default_timezone)
    sink = open_sink(kafka, options.output, client_id="wallboard-simulator")
    if options.output:
        assert timing.duration_s is not None
        _write_file(sim, sink, window, timing.duration_s)
        return 0
    if on_start is not None:
        on_start()
    _send_live(sim, sink, window, timing)
    return 0

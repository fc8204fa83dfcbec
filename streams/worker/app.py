"""The Faust application around the runtime: the app factory and the worker process.

:func:`create_app` builds the Faust app for the settings: its own Kafka consumer, producer
and sensors off (the input is :mod:`streams.kafka_io`'s), the :class:`Runtime` with its
Kafka input, run as a service of the app. :class:`WallboardWorker` is the ``faust.Worker``
that serves HTTP before Kafka answers and exits within ``worker.shutdown_timeout_s`` after
SIGTERM or SIGINT whatever the broker does; :func:`run_worker` runs it (``wallboard worker``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faust
import mode
from faust.app.base import BootStrategy

from infra.clients import create_topics
from infra.jars import default_home

from ..config import StreamSettings
from ..kafka_io import InputConsumer
from ..logthrottle import ThrottleFilter, install
from .runtime import Runtime

__all__ = ["WallboardWorker", "create_app", "run_worker", "state_dir"]

log = logging.getLogger("wallboard.worker")

LOG_THROTTLE_S = 30.0


class _RuntimeService(mode.Service):
    """Runs the runtime (HTTP, Kafka input, publisher) with the app; started earlier by
    :class:`WallboardWorker` so that health answers before Kafka does."""

    def __init__(self, runtime: Runtime, **kwargs: Any) -> None:
        self.runtime = runtime
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        await self.runtime.start()

    async def on_stop(self) -> None:
        await self.runtime.stop()


def state_dir(settings: StreamSettings) -> Path:
    """Where the worker keeps files (Faust's data dir): ``worker.state_dir``, else the project's
    cache dir (``$WALLBOARD_HOME``, ``<repo>/.cache`` or ``~/.cache/cc-wallboard``)."""
    if settings.worker.state_dir:
        return Path(settings.worker.state_dir).expanduser().resolve()
    return default_home()


def create_app(settings: StreamSettings, *, clock: Callable[[], float] = time.time) -> faust.App:
    """Build the Faust app for ``settings``; run it with :func:`run_worker`."""
    kafka = settings.kafka
    datadir = state_dir(settings) / "faust" / f"{settings.worker.app_id}-data"
    datadir.parent.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    app = faust.App(
        settings.worker.app_id,
        broker=[f"kafka://{s.strip()}" for s in kafka.bootstrap.split(",")],
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,  # our own server (streams.http) replaces Faust's aiohttp stack
        topic_disable_leader=True,
    )
    runtime = Runtime(settings, clock)

    async def ensure_topics() -> None:
        await asyncio.get_running_loop().run_in_executor(None, lambda: create_topics(
            kafka.bootstrap, kafka.topics(), configs=kafka.topic_configs(),
            connect_timeout_s=kafka.connect_timeout_s, log=log.info))

    runtime.input = InputConsumer(settings, runtime.partitions, runtime.lock, runtime.in_thread,
                                  runtime.send_dead_letters, ensure_topics)
    # Faust runs the process and our services; its own Kafka consumer, producer and per-event
    # sensors stay off: the input is ours (streams.kafka_io explains why).
    app.boot_strategy = BootStrategy(app, enable_kafka=False, enable_sensors=False)
    app.service(_RuntimeService(runtime))
    app.wallboard = runtime  # for WallboardWorker, tests and debugging
    return app


class WallboardWorker(faust.Worker):
    """faust.Worker that serves HTTP before Kafka answers and exits on time after SIGTERM."""

    def __init__(self, app: faust.App, *, shutdown_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._shutdown_timeout_s = shutdown_timeout_s
        self._watchdog: threading.Timer | None = None

    async def on_first_start(self) -> None:
        await super().on_first_start()  # logging, signal handlers
        install(ThrottleFilter(LOG_THROTTLE_S),
                ("aiokafka", "kafka", "faust", "mode", "wallboard"))
        await self.app.wallboard.start()  # health answers even while the broker is down

    def _arm_watchdog(self) -> None:
        if self._watchdog is None:
            self._watchdog = threading.Timer(self._shutdown_timeout_s, _force_exit,
                                             (self._shutdown_timeout_s,))
            self._watchdog.daemon = True
            self._watchdog.start()

    def _on_sigterm(self) -> None:
        self._arm_watchdog()
        super()._on_sigterm()

    def _on_sigint(self) -> None:
        self._arm_watchdog()
        super()._on_sigint()


def _force_exit(after_s: float) -> None:
    # Straight to the file descriptor: a logging handler's lock may be held by the stuck loop.
    os.write(2, (f"[wallboard] the worker did not stop within {after_s:.0f} s of the signal "
                 "(is the broker down?); exiting now: offsets not yet committed are consumed "
                 "again on restart\n").encode())
    os._exit(0)


def run_worker(settings: StreamSettings, *, loglevel: str = "info") -> None:
    """Run the worker until SIGTERM/SIGINT (``wallboard worker``)."""
    app = create_app(settings)
    WallboardWorker(app, loglevel=loglevel,
                    shutdown_timeout_s=settings.worker.shutdown_timeout_s
                    ).execute_from_commandline()

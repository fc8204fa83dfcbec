"""Repeated log lines, once per interval with a count.

A broker that is down makes aiokafka log the same connection error many times a second; a
reader needs the first line and then a count. :class:`ThrottleFilter` lets the first record of
each (logger, level, message template) through, drops the repeats for ``interval_s`` and then
lets the next one through with ``(N similar messages suppressed in the last M s)`` appended.

Pure logging: no Kafka or Faust imports. The clock is injected for tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

__all__ = ["ThrottleFilter", "install"]

_MAX_KEYS = 1024


class ThrottleFilter(logging.Filter):
    """Passes a record at most once per ``interval_s`` for each (logger, level, template)."""

    def __init__(self, interval_s: float = 30.0, *, min_level: int = logging.WARNING,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval_s = interval_s
        self.min_level = min_level
        self.clock = clock
        self._lock = threading.Lock()
        self._state: dict[tuple[str, int, str], list[float]] = {}  # key -> [since, suppressed]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < self.min_level:
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        with self._lock:
            state = self._state.get(key)
            if state is None:
                if len(self._state) >= _MAX_KEYS:
                    self._state.clear()
                self._state[key] = [now, 0]
                return True
            since, suppressed = state
            if now - since < self.interval_s:
                state[1] = suppressed + 1
                return False
            state[0], state[1] = now, 0
        if suppressed:
            # Format now, then append: the record's args belong to its own template.
            record.msg = (f"{record.getMessage()} ({int(suppressed)} similar messages "
                          f"suppressed in the last {now - since:.0f} s)")
            record.args = ()
        return True


def install(filt: ThrottleFilter, prefixes: Iterable[str] = ("aiokafka", "kafka", "faust",
                                                             "mode")) -> list[str]:
    """Attach ``filt`` to every existing logger under ``prefixes`` (filters on a logger see the
    records created there, so each module logger gets it). Returns the logger names."""
    names = [name for name in list(logging.root.manager.loggerDict)
             if any(name == p or name.startswith(p + ".") for p in prefixes)]
    names += [p for p in prefixes if p not in names]
    for name in names:
        logger = logging.getLogger(name)
        if filt not in logger.filters:
            logger.addFilter(filt)
    return names

"""Repeated log lines: the first passes, repeats are counted and reported once per interval."""

from __future__ import annotations

import logging

from streams.logthrottle import ThrottleFilter, install


def test_repeats_are_suppressed_and_counted_once_per_interval(caplog):
    now = [0.0]
    filt = ThrottleFilter(30.0, clock=lambda: now[0])
    logger = logging.getLogger("aiokafka.test-throttle")
    logger.addFilter(filt)
    try:
        with caplog.at_level(logging.INFO, logger="aiokafka.test-throttle"):
            for i in range(1000):  # a broker that is down, 1000 times within 10 s
                now[0] = i / 100
                logger.error("Unable connect to node with id %s: %s", 1, "refused")
            logger.info("info lines are never throttled")
            logger.info("info lines are never throttled")
            now[0] = 31.0
            logger.error("Unable connect to node with id %s: %s", 1, "refused")
            logger.error("another message")
    finally:
        logger.removeFilter(filt)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "Unable connect to node with id 1: refused",
        "info lines are never throttled",
        "info lines are never throttled",
        "Unable connect to node with id 1: refused (999 similar messages suppressed in the "
        "last 31 s)",
        "another message",
    ]


def test_install_attaches_to_existing_module_loggers_once():
    logging.getLogger("kafka.conn.throttle-test")
    filt = ThrottleFilter()
    names = install(filt, prefixes=("kafka",))
    assert "kafka.conn.throttle-test" in names and "kafka" in names
    install(filt, prefixes=("kafka",))
    assert logging.getLogger("kafka.conn.throttle-test").filters.count(filt) == 1
    for name in names:
        logging.getLogger(name).removeFilter(filt)

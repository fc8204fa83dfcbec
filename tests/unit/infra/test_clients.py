"""infra.clients: reachability and topic creation are bounded by their timeout and fail in
one line naming the address and the reason."""

from __future__ import annotations

import socket
import time

import pytest

from infra.clients import create_topics, free_port, wait_reachable
from infra.errors import BrokerUnavailable

TIMEOUT_S = 1.0
# On top of the timeout: the import of the Kafka client and the scheduling of a loaded 2-core
# machine (each connect attempt is capped at the time left, so none runs past the deadline).
MARGIN_S = 1.5


def test_wait_reachable_names_the_address_and_the_reason_within_the_timeout():
    port = free_port()
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable) as info:
        wait_reachable(f"127.0.0.1:{port}", timeout_s=TIMEOUT_S)
    took = time.monotonic() - started
    assert TIMEOUT_S <= took <= TIMEOUT_S + MARGIN_S, took  # retried until the deadline
    assert str(info.value) == (f"cannot reach the Kafka broker at 127.0.0.1:{port} within 1 s "
                               "(connection refused)")
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        left = wait_reachable(f"127.0.0.1:{port},127.0.0.1:{listening.getsockname()[1]}", 5.0)
    assert 0 < left <= 5.0


def test_create_topics_is_bounded_by_the_connect_timeout():
    bootstrap = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable, match=f"at {bootstrap} within 1 s"):
        create_topics(bootstrap, {"t": 1}, connect_timeout_s=TIMEOUT_S, log=lambda _m: None)
    took = time.monotonic() - started
    assert took <= TIMEOUT_S + MARGIN_S, took

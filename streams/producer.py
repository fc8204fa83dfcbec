"""Kafka producer shell (kafka-python): routes contract events to their topic and key.

Bounded by ``kafka.connect_timeout_s``: connecting to a broker that does not answer, a send
that cannot get metadata or buffer space, and a flush or close whose events the broker does
not acknowledge each give up after that long with one :class:`infra.errors.BrokerError` line
(never kafka-python's 30 s waits, a traceback, or a close that hangs on a dead broker).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import orjson
from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from infra.clients import client_timeout_ms, kafka_client
from infra.errors import BrokerError, BrokerUnavailable

from .config import KafkaSettings

__all__ = ["EventProducer"]


class EventProducer:
    """Sends contract-v1 event dicts: call events keyed by ``call_id`` to the call topic, agent
    events keyed by ``agent_id`` to the agent topic. ``acks=all``, batched, idempotent retries.

    ``sent`` counts events handed to the producer (``send_raw`` records are not events),
    ``delivered`` and ``failed`` the records the broker acknowledged or that failed for good.
    A failure is reported by the next ``send``, ``flush`` or ``close`` as a
    :class:`~infra.errors.BrokerError`.
    """

    def __init__(self, settings: KafkaSettings, *, client_id: str = "wallboard-producer") -> None:
        self.settings = settings
        self.timeout_s = float(settings.connect_timeout_s)
        wait_ms = client_timeout_ms(self.timeout_s)
        self._producer: KafkaProducer = kafka_client(
            KafkaProducer, settings.bootstrap, timeout_s=self.timeout_s, client_id=client_id,
            acks="all", linger_ms=20, retries=5, enable_idempotence=True,
            max_block_ms=wait_ms, request_timeout_ms=wait_ms,
            delivery_timeout_ms=max(120_000, wait_ms + 20))
        self.sent = 0
        self._raw = 0
        self.delivered = 0
        self.failed = 0
        self._first_error: BaseException | None = None
        self._unreachable = False  # a BrokerUnavailable was raised: close() will not wait again
        self._closed = False

    @property
    def pending(self) -> int:
        """Records sent but neither acknowledged nor failed yet."""
        return self.sent + self._raw - self.delivered - self.failed

    def route(self, event: dict) -> tuple[str, bytes]:
        if event.get("type") == "agent.state":
            return self.settings.agent_topic, str(event["agent_id"]).encode()
        return self.settings.call_topic, str(event["call_id"]).encode()

    def send(self, events: Iterable[dict]) -> int:
        self._raise_if_failed()
        n = 0
        try:
            for event in events:
                topic, key = self.route(event)
                self._send(topic, key, orjson.dumps(event))
                n += 1
        finally:
            self.sent += n
        return n

    def send_raw(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Send bytes as they are (tests and replays of recorded records)."""
        self._raise_if_failed()
        self._send(topic, key, value)
        self._raw += 1

    def _send(self, topic: str, key: bytes | None, value: bytes) -> None:
        try:
            future = self._producer.send(topic, key=key, value=value)
        except KafkaTimeoutError:  # no metadata, or the buffer stayed full, for max_block_ms
            self._unreachable = True
            raise BrokerUnavailable(self.settings.bootstrap, self.timeout_s,
                                    f"no metadata for {topic} or no buffer space") from None
        future.add_callback(self._on_delivered)
        future.add_errback(self._on_failed)

    # Called on kafka-python's sender thread; only that thread writes these counters.
    def _on_delivered(self, _metadata: object) -> None:
        self.delivered += 1

    def _on_failed(self, error: BaseException) -> None:
        self.failed += 1
        if self._first_error is None:
            self._first_error = error

    def _raise_if_failed(self) -> None:
        if self.failed:
            raise BrokerError(f"{self.failed} of {self.sent + self._raw} records could not be "
                              f"delivered to Kafka at {self.settings.bootstrap}: "
                              f"{self._first_error}")

    def flush(self, timeout_s: float | None = None) -> None:
        """Wait until every event sent is acknowledged or failed; :class:`BrokerUnavailable`
        when the broker acknowledges nothing for ``timeout_s`` (default: the connect
        timeout). The events stay buffered: a later flush or close may still deliver them."""
        wait_s = self.timeout_s if timeout_s is None else timeout_s
        try:
            self._producer.flush(timeout=wait_s)
        except KafkaTimeoutError:
            self._unreachable = True
            raise self._unacknowledged(wait_s) from None
        self._raise_if_failed()

    def close(self) -> None:
        """Flush and close, bounded by the connect timeout. When the broker stops answering,
        the events it has not acknowledged are dropped and :class:`BrokerUnavailable` says
        how many. After a :class:`BrokerUnavailable` (already reported) it drops them without
        waiting again. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._unreachable:
            self._abandon()
            return
        try:
            self._producer.flush(timeout=self.timeout_s)
        except KafkaTimeoutError:
            error = self._unacknowledged(self.timeout_s)
            self._abandon()
            raise error from None
        self._producer.close(timeout=self.timeout_s)
        self._raise_if_failed()

    def _unacknowledged(self, wait_s: float) -> BrokerUnavailable:
        return BrokerUnavailable(self.settings.bootstrap, wait_s,
                                 f"{self.pending} of {self.sent + self._raw} records not "
                                 "acknowledged")

    def _abandon(self) -> None:
        """Close without waiting for a broker that is gone: fail the buffered batches at once,
        so neither ``close`` nor kafka-python's exit handler blocks or complains later."""
        sender = getattr(self._producer, "_sender", None)  # kafka-python 3.0 internals
        if sender is not None:
            sender.force_close()
            sender.join(self.timeout_s)
        with contextlib.suppress(KafkaError):
            self._producer.close(timeout=0)
        if not getattr(self._producer, "_closed", True):
            # Still not closed (the sender did not stop in time): keep kafka-python's atexit
            # handler and __del__ from retrying a flush that would raise at exit.
            with contextlib.suppress(AttributeError):
                self._producer._unregister_cleanup()
            self._producer._closed = True

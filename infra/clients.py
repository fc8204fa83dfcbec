"""kafka-python client helpers: options, reachability, topics and free ports.

* :func:`kafka_client`: a kafka-python producer, admin client or consumer made once the
  broker is reachable, bounded by one timeout (never kafka-python's 30 s bootstrap wait);
  :func:`client_timeout_ms` turns a timeout into its ``*_timeout_ms`` options;
* :func:`wait_reachable`, :func:`connect_reason`, :func:`answers_metadata`: whether a broker
  answers at an address, and why not, in one short reason;
* :func:`create_topics`: the product's topics created and led;
* :func:`free_port`, :func:`port_free`: port helpers for the broker, the worker and tests.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from infra.errors import BrokerError, BrokerUnavailable

__all__ = [
    "answers_metadata",
    "client_timeout_ms",
    "connect_reason",
    "create_topics",
    "free_port",
    "kafka_client",
    "port_free",
    "wait_reachable",
]


def _servers(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port[,host:port...]`` as ``[(host, port), ...]``."""
    servers = []
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            servers.append((host.strip("[]"), int(port)))
        except ValueError:
            raise BrokerError(f"bootstrap: expected host:port, got {server.strip()!r}") from None
    return servers


def connect_reason(exc: OSError) -> str:
    """A short reason for a failed connection (``connection refused``, ...)."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "connection timed out"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def wait_reachable(bootstrap: str, timeout_s: float = 10.0) -> float:
    """Wait until a TCP connection to one of the ``bootstrap`` servers succeeds, retrying for up
    to ``timeout_s`` (a broker may still be starting); return the seconds left.

    Raises :class:`BrokerUnavailable` naming the address and the last reason. A plain socket
    first, because kafka-python retries a refused address for its whole bootstrap timeout and
    logs an error line each time.
    """
    servers = _servers(bootstrap)
    deadline = time.monotonic() + timeout_s
    reason = "no server to try"
    pause = 0.1
    while True:
        for host, port in servers:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                socket.create_connection((host, port), timeout=min(left, 3.0)).close()
                return max(deadline - time.monotonic(), 0.0)
            except OSError as exc:
                reason = connect_reason(exc)
        left = deadline - time.monotonic()
        if left <= 0:
            raise BrokerUnavailable(bootstrap, timeout_s, reason)
        time.sleep(min(pause, left))
        pause = min(pause * 2, 1.0)


def client_timeout_ms(timeout_s: float) -> int:
    """A kafka-python ``*_timeout_ms`` for ``timeout_s`` (at least one second)."""
    return max(1000, int(timeout_s * 1000))


def kafka_client(factory: Callable[..., object], bootstrap: str, *, timeout_s: float = 10.0,
                 **config: object):  # noqa: ANN201 - whatever ``factory`` makes
    """``factory(bootstrap_servers=..., **config)`` (a kafka-python ``KafkaProducer``,
    ``KafkaAdminClient`` or ``KafkaConsumer``) once the broker is reachable, all within about
    ``timeout_s``; else :class:`BrokerUnavailable` (never kafka-python's 30 s bootstrap wait
    and its traceback)."""
    from kafka.errors import KafkaError, KafkaTimeoutError

    left = wait_reachable(bootstrap, timeout_s)
    try:
        return factory(bootstrap_servers=[s.strip() for s in bootstrap.split(",")],
                       bootstrap_timeout_ms=client_timeout_ms(left), **config)
    except KafkaTimeoutError:
        raise BrokerUnavailable(bootstrap, timeout_s, "the port accepts connections but no "
                                "Kafka broker answered") from None
    except KafkaError as exc:
        raise BrokerUnavailable(bootstrap, timeout_s, str(exc)) from None


def answers_metadata(bootstrap: str, timeout_s: float) -> bool:
    """True when the broker answers a metadata request and reports itself unfenced."""
    from kafka import KafkaAdminClient  # local: keep `wallboard --help` fast
    from kafka.errors import KafkaError

    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:  # a plain TCP probe first: kafka-python logs loudly about refused connections
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError:
        return False
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=client_timeout_ms(timeout_s),
            bootstrap_timeout_ms=client_timeout_ms(timeout_s),
            client_id="wallboard-probe",
        )
    except (KafkaError, OSError, ValueError):
        return False
    try:
        cluster = admin.describe_cluster()
        return any(not b.get("is_fenced", False) for b in cluster.get("brokers", []))
    except (KafkaError, OSError, ValueError):
        return False
    finally:
        admin.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (bind to port 0 and read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound now (checked before starting, for a one-line error)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def create_topics(bootstrap: str, topics: Mapping[str, int], *, timeout_s: float = 60.0,
                  connect_timeout_s: float = 10.0, log: Callable[[str], None] = print,
                  configs: Mapping[str, Mapping[str, str]] | None = None) -> None:
    """Create ``{name: partitions}`` (replication 1, with the topic-level settings of
    ``configs[name]``, e.g. compaction) if missing and wait until every partition has a
    leader. Existing topics are left as they are.

    A broker that does not answer within ``connect_timeout_s`` raises
    :class:`BrokerUnavailable`; an error of a request, :class:`BrokerError` (one line each).
    """
    request_ms = client_timeout_ms(connect_timeout_s)
    _create_missing(bootstrap, topics, configs or {}, connect_timeout_s, request_ms, log)
    _wait_for_leaders(bootstrap, topics, timeout_s, connect_timeout_s, request_ms)


def _create_missing(bootstrap: str, topics: Mapping[str, int],
                    configs: Mapping[str, Mapping[str, str]], connect_timeout_s: float,
                    request_ms: int, log: Callable[[str], None]) -> None:
    """create_topics' first step: the topics not listed yet, with one admin client."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

    admin = kafka_client(KafkaAdminClient, bootstrap, timeout_s=connect_timeout_s,
                         client_id="wallboard-admin", request_timeout_ms=request_ms)
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(name, n, 1, topic_configs=dict(configs.get(name, {})))
               for name, n in topics.items() if name not in existing]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile: fine
                admin.create_topics(new, timeout_ms=request_ms)
            log("kafka: created topics " + ", ".join(f"{t.name}({t.num_partitions})" for t in new))
    except KafkaTimeoutError:
        raise BrokerUnavailable(bootstrap, connect_timeout_s, "a request timed out") from None
    except KafkaError as exc:
        raise BrokerError(f"creating topics on {bootstrap} failed: {exc}") from None
    finally:
        admin.close()


def _wait_for_leaders(bootstrap: str, topics: Mapping[str, int], timeout_s: float,
                      connect_timeout_s: float, request_ms: int) -> None:
    """create_topics' second step: until every partition of ``topics`` has a leader."""
    from kafka import KafkaConsumer
    from kafka.errors import KafkaError, KafkaTimeoutError

    consumer = kafka_client(KafkaConsumer, bootstrap, timeout_s=connect_timeout_s,
                            client_id="wallboard-admin-meta", request_timeout_ms=request_ms)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            missing = _without_leaders(consumer, topics)
            if not missing:
                return
            if time.monotonic() > deadline:
                raise BrokerError(f"topics without leaders after {timeout_s:.0f} s: {missing}")
            consumer._client.cluster.request_update()
            consumer.topics()  # forces a metadata refresh
            time.sleep(0.2)
    except KafkaTimeoutError:
        raise BrokerUnavailable(bootstrap, connect_timeout_s, "a request timed out") from None
    except KafkaError as exc:
        raise BrokerError(f"waiting for topic leaders on {bootstrap} failed: {exc}") from None
    finally:
        consumer.close()


def _without_leaders(consumer: Any, topics: Mapping[str, int]) -> list[str]:
    """The topics of ``topics`` with fewer partitions than asked or a partition without a
    leader, as the consumer's metadata says now."""
    missing = []
    for name, n in topics.items():
        parts = consumer.partitions_for_topic(name) or set()
        leaders = [consumer._client.cluster.leader_for_partition(_tp(name, p))
                   for p in parts]
        if len(parts) < n or any(ldr is None or ldr < 0 for ldr in leaders):
            missing.append(name)
    return missing


def _tp(topic: str, partition: int):  # noqa: ANN202 - kafka-python's TopicPartition
    from kafka import TopicPartition

    return TopicPartition(topic, partition)

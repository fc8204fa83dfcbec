"""Where produced events go: Kafka (through :class:`streams.producer.EventProducer`) or a JSON
Lines file (plain, or gzip when the name ends in ``.gz``). Every source uses this one sink."""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Protocol

import orjson

from .config import KafkaSettings

__all__ = ["EventSink", "JsonLinesSink", "open_sink"]


class EventSink(Protocol):
    sent: int

    def send(self, events: Iterable[dict]) -> int: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


class JsonLinesSink:
    """One compact JSON object a line, in the order given."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Held open until close(): a sink lives as long as its source.
        self._fh: IO[bytes] = (gzip.open(path, "wb") if path.name.endswith(".gz")  # noqa: SIM115
                               else path.open("wb"))
        self.sent = 0

    def send(self, events: Iterable[dict]) -> int:
        n = 0
        for event in events:
            self._fh.write(orjson.dumps(event) + b"\n")
            n += 1
        self.sent += n
        return n

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def describe(self) -> str:
        return str(self.path)


class _KafkaSink:
    def __init__(self, settings: KafkaSettings, client_id: str) -> None:
        from .producer import EventProducer  # kafka-python only when Kafka is the target

        self._producer = EventProducer(settings, client_id=client_id)
        self._bootstrap = settings.bootstrap

    @property
    def sent(self) -> int:
        return self._producer.sent

    def send(self, events: Iterable[dict]) -> int:
        return self._producer.send(events)

    def flush(self) -> None:
        self._producer.flush()

    def close(self) -> None:
        self._producer.close()

    def describe(self) -> str:
        return f"Kafka {self._bootstrap}"


def open_sink(settings: KafkaSettings, output: str | None, *,
              client_id: str = "wallboard-producer") -> EventSink:
    """A JSON Lines file when ``output`` is given, else the Kafka topics of ``settings``."""
    if output:
        return JsonLinesSink(Path(output))
    return _KafkaSink(settings, client_id)

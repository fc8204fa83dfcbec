"""Helpers of the worker's tests without a broker: a Runtime on free loopback ports (its
bootstrap points at a port nothing listens on), events to feed it, and a raw HTTP GET."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import orjson

from infra.clients import free_port
from streams.config import KafkaSettings, WorkerSettings
from streams.core.timefmt import rfc3339
from streams.worker import Runtime
from wallboard.settings import Settings

NOW = 1_795_300_000.0


def make(port: int | None = None, **worker) -> Runtime:
    settings = replace(Settings(), kafka=KafkaSettings(bootstrap=f"127.0.0.1:{free_port()}"),
                       worker=WorkerSettings(port=port or free_port(), **worker))
    return Runtime(settings, lambda: NOW)


def queued(i: int, queue: str) -> bytes:
    return orjson.dumps({"v": 1, "event_id": f"e{i}", "type": "call.queued",
                         "ts": rfc3339(NOW - 60 + i / 1000), "call_id": f"c{i}",
                         "queue": queue})


async def http_get(port: int, path: str, accept: str = "") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = f"Accept: {accept}\r\n" if accept else ""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body

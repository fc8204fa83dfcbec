"""streams.http: every connection must make progress once per ``timeout_s`` (a complete
header or a finished response), else it is closed: a client that sends nothing, half a header
or a byte at a time is disconnected while others are served (the worker's server, on a free
loopback port)."""

from __future__ import annotations

import asyncio
import time

from tests.support import run_async
from tests.unit.streams.worker.support import http_get, make

# worker.http_timeout_s here. A connection without progress is closed one period after it
# opened (docs/configuration.md); on top, the margin for a loaded 2-core machine.
TIMEOUT_S = 1.0
MARGIN_S = 1.5


def test_a_client_that_sends_nothing_or_half_a_header_is_disconnected():
    async def scenario() -> None:
        rt = make(http_timeout_s=TIMEOUT_S)
        await rt.start()
        try:
            opened = time.monotonic()
            idle_r, idle_w = await asyncio.open_connection("127.0.0.1", rt.http.port)
            half_r, half_w = await asyncio.open_connection("127.0.0.1", rt.http.port)
            half_w.write(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            await half_w.drain()
            # meanwhile a normal client is served
            assert (await http_get(rt.http.port, "/api/v1/health"))[0] == 200
            assert await asyncio.wait_for(idle_r.read(), 5) == b""  # closed by the server
            assert await asyncio.wait_for(half_r.read(), 5) == b""
            waited = time.monotonic() - opened
            assert TIMEOUT_S <= waited <= TIMEOUT_S + MARGIN_S, waited
            for w in (idle_w, half_w):
                w.close()
        finally:
            await rt.stop()

    run_async(scenario())


def test_a_trickling_client_is_disconnected_although_it_keeps_sending():
    """A byte every 0.2 s resets no read timeout here: only a complete header is progress."""
    async def scenario() -> float:
        rt = make(http_timeout_s=TIMEOUT_S)
        await rt.start()
        try:
            started = time.monotonic()
            reader, writer = await asyncio.open_connection("127.0.0.1", rt.http.port)
            for byte in b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
                writer.write(bytes([byte]))
                try:
                    await writer.drain()
                    if await asyncio.wait_for(reader.read(1), 0.2) == b"":
                        break
                except TimeoutError:
                    continue
                except ConnectionError:
                    break
            else:
                raise AssertionError("the server never gave up on the trickling header")
            writer.close()
            return time.monotonic() - started
        finally:
            await rt.stop()

    took = run_async(scenario())
    assert TIMEOUT_S <= took <= TIMEOUT_S + MARGIN_S, took  # its bytes bought it no time

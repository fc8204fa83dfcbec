"""streams.worker.endpoints: the views answer from memory, 503 before the first snapshot."""

from __future__ import annotations

import pytest

from tests.support import run_async
from tests.unit.streams.worker.support import http_get, make


@pytest.mark.parametrize("path", ["/api/v1/snapshot", "/metrics"])
def test_requests_before_the_first_snapshot_get_503_not_an_error(path):
    async def scenario() -> int:
        rt = make()
        await rt.http.start()
        try:
            return (await http_get(rt.http.port, path))[0]
        finally:
            await rt.http.stop()

    assert run_async(scenario()) == 503

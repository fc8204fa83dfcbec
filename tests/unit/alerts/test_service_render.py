"""``GET /api/v1/alerts`` and ``/api/v1/health`` are rendered once per evaluation and per
operator action, and served as those bytes (issue 19, finding 8): a GET renders nothing."""

from __future__ import annotations

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.support import run_async

from .api_service import JSON, T0, TOKEN, service, snap

pytestmark = pytest.mark.filterwarnings("ignore:.imghdr. is deprecated:DeprecationWarning")
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _counting(svc) -> list[float]:
    """Count the engine's view renders (the real method, wrapped)."""
    calls: list[float] = []
    real = svc.engine.view

    def view(t: float) -> dict:
        calls.append(t)
        return real(t)

    svc.engine.view = view
    return calls


def test_gets_serve_the_rendered_bytes_until_the_state_changes():
    now = [T0]
    svc = service([snap(90)], lambda: now[0])
    svc.tick()
    views = _counting(svc)

    async def scenario():
        async with TestClient(TestServer(svc.app())) as client:
            before = svc.rendered
            bodies = [await (await client.get("/api/v1/alerts")).read() for _ in range(20)]
            health = [await (await client.get("/api/v1/health")).read() for _ in range(5)]
            assert views == [] and svc.rendered is before  # no GET rendered anything
            assert set(bodies) == {before.alerts} and set(health) == {before.health}
            row = orjson.loads(bodies[0])["active"][0]
            assert row["state"] == "firing" and row["acked_until"] is None

            r = await client.post(f"/api/v1/alerts/{row['fingerprint']}/ack", headers=AUTH,
                                  json={"by": "lead", "for": "30m"})
            assert r.status == 200
            acked = svc.rendered  # the action rendered once
            assert len(views) == 1 and acked is not before
            assert acked.renders == before.renders + 1
            view = orjson.loads(await (await client.get("/api/v1/alerts")).read())
            assert view["active"][0]["acked_by"] == "lead" and len(views) == 1

            r = await client.post("/api/v1/silences", headers=AUTH, json={
                "matchers": ['segment="billing"'], "for": "1h", "author": "ops"})
            assert r.status == 201 and len(views) == 2
            sid = (await r.json())["id"]
            view = orjson.loads(await (await client.get("/api/v1/alerts")).read())
            assert [s["id"] for s in view["silences"]] == [sid]
            r = await client.delete(f"/api/v1/silences/{sid}", headers={**AUTH, **JSON})
            assert r.status == 200 and len(views) == 3
            assert orjson.loads(svc.rendered.alerts)["silences"] == []

            refused = svc.rendered  # a refused action renders nothing
            r = await client.post("/api/v1/alerts/0000/ack", headers=AUTH, json={"by": "x"})
            assert r.status == 404 and svc.rendered is refused and len(views) == 3

            now[0] += 10
            svc.tick()  # an evaluation renders once
            assert len(views) == 4 and svc.rendered is not refused
            view = orjson.loads(await (await client.get("/api/v1/alerts")).read())
            health = orjson.loads(await (await client.get("/api/v1/health")).read())
            assert view["evaluations"] == health["evaluations"] == 2
            assert view["saved_evaluations"] == 2 and len(views) == 4

    run_async(scenario())


def test_the_first_render_is_there_before_any_evaluation():
    svc = service([snap(90)], lambda: T0)
    assert orjson.loads(svc.rendered.alerts)["evaluations"] == 0
    assert orjson.loads(svc.rendered.health) == {"status": "ok", "evaluations": 0,
                                                 "source_error": ""}

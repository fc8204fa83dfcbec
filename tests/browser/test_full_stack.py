"""The whole product in a real browser: Kafka -> `wallboard worker` -> `wallboard dashboard`
-> Chromium. Callers queued through the real broker appear on the board, and leave it when
answered; when the worker stops, the board says STALE (and since when) and keeps the last
values."""

from __future__ import annotations

import time
from dataclasses import replace

from infra.clients import free_port
from streams.adapters.simulator import rfc3339
from streams.config import WorkerSettings
from streams.producer import EventProducer
from tests.support import get_json, wait_until, wallboard_process, write_config


def _call(n: int, type_: str, call_id: str, **extra) -> dict:
    return {"v": 1, "event_id": f"{call_id}-{n}", "type": type_, "ts": rfc3339(time.time()),
            "call_id": call_id, "queue": "billing", **extra}


def test_waiting_callers_flow_from_kafka_to_the_board(kafka, page, tmp_path, artifacts):
    worker_port, board_port = free_port(), free_port()
    settings = replace(kafka.settings(), worker=WorkerSettings(app_id=f"fs-{worker_port}",
                                                               port=worker_port))
    config = write_config(tmp_path / "w.toml", settings)
    board = tmp_path / "board.toml"  # both segments on one page: no rotation during the test
    board.write_text('[dashboard]\nstale_after_s = 3.0\n[dashboard.boards.fs]\n'
                     'segments = ["all", "billing"]\nsegments_per_page = 2\n'
                     'tiles = ["now", "sl", "abandon"]\n', encoding="utf-8")
    snapshot_url = f"http://127.0.0.1:{worker_port}/api/v1/snapshot"
    wlog, dlog = tmp_path / "worker.log", tmp_path / "dashboard.log"
    with wallboard_process(["--config", str(config), "worker"], wlog) as worker, \
            wallboard_process(["--config", str(board), "dashboard", "--port", str(board_port),
                               "--snapshot-url", snapshot_url], dlog) as board:
        wait_until(lambda: get_json(snapshot_url), timeout=90, what="the worker's snapshot",
                   proc=worker, log_path=wlog)
        wait_until(lambda: get_json(f"http://127.0.0.1:{board_port}/_dash-layout"), timeout=30,
                   what="the dashboard", proc=board, log_path=dlog)
        page.goto(f"http://127.0.0.1:{board_port}/")
        page.wait_for_function(
            "document.querySelector('#waiting-all')?.innerText.trim() === '0'", timeout=15000)

        producer = EventProducer(settings.kafka)
        producer.send([_call(1, "call.queued", f"fs-{i}") for i in range(3)])
        producer.flush()
        page.wait_for_function(
            "document.querySelector('#waiting-billing')?.innerText.trim() === '3'", timeout=30000)
        assert page.inner_text("#waiting-all").strip() == "3"

        producer.send([_call(2, "call.answered", f"fs-{i}", agent_id="a-1") for i in range(2)])
        producer.close()
        page.wait_for_function(
            "document.querySelector('#waiting-billing')?.innerText.trim() === '1'", timeout=30000)
        page.screenshot(path=str(artifacts / "wallboard-full-stack.png"))

        worker.terminate()  # the worker stops: the board must say so, not freeze silently
        worker.wait(timeout=30)
        page.wait_for_selector("#stale-banner", state="visible", timeout=15000)
        assert page.inner_text("#stale-banner").startswith("STALE since ")
        page.wait_for_selector('[data-tile="now-billing"].stale', timeout=5000)
        assert page.inner_text("#waiting-billing").strip() == "1"  # the last value stays
        page.screenshot(path=str(artifacts / "wallboard-full-stack-stale.png"))
        assert page.console_log.errors == []

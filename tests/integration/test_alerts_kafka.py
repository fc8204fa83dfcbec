"""``wallboard alerts`` on the real broker: kill -9 while an alert fires. Afterwards there is no
second page, and the resolve still arrives (state and notification log in ``cc.alerts``).
And the real process against a silence pattern that stalls a backtracking regex engine.

The snapshot comes from a local HTTP server that serves the worker's snapshot shape (the
part under test is the alerts process, its Kafka state and its delivery)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infra.clients import free_port
from tests.unit.alerts.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789abcdef"
JSON = {"Content-Type": "application/json"}


class SnapshotServer:
    def __init__(self) -> None:
        self.wait_s: float | None = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = json.dumps({"as_of": "2027-01-15T08:00:00.000Z", "segments": {
                    "billing": {"now": {"waiting": 3, "oldest_wait_s": outer.wait_s},
                                "windows": {"today": {"offered": 10}}}},
                    "feed": {"broker_reachable": True}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/snapshot"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _get(url: str, *, data: bytes | None = None, headers: dict | None = None):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, data=data, headers=headers or {},
                                 method="POST" if data is not None else "GET")
    with opener.open(req, timeout=5) as resp:
        return json.loads(resp.read())


def _until(predicate, what: str, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = predicate()
        except OSError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _alerts_config(tmp_path, snapshots: SnapshotServer, port: int, pages: Receiver,
                   state: str = "kafka"):
    config = tmp_path / "wallboard.toml"
    config.write_text(f"""
[alerts]
eval_interval = "0.2s"
source = "{snapshots.url}"
port = {port}
api_token = "{TOKEN}"
topic = "alerts-{uuid.uuid4().hex[:8]}"
state = "{state}"
repeat_interval = "1h"

[alerts.delivery]
apprise = ["json://127.0.0.1:{pages.port}/page"]

[alerts.rules.long_wait]
figure = "now.oldest_wait_s"
above = 60
""")
    return config


class _AlertsProcesses:
    """``wallboard alerts`` started (and killed) again and again on one config."""

    def __init__(self, argv: list[str], tmp_path, api: str) -> None:
        self.argv, self.tmp_path, self.api = argv, tmp_path, api
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = (self.tmp_path / f"alerts-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(self.argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        _until(lambda: proc.poll() is None and _get(f"{self.api}/health"), "the API")
        return proc

    def kill_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def _titles(pages: Receiver, prefix: str) -> list[str]:
    return [r["body"]["title"] for r in pages.requests if r["body"]["title"].startswith(prefix)]


def test_kill_9_while_firing_no_second_page_and_the_resolve_arrives(kafka, tmp_path):
    snapshots = SnapshotServer()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/v1"
    with Receiver() as pages:
        config = _alerts_config(tmp_path, snapshots, port, pages)
        alerts = _AlertsProcesses([sys.executable, "-m", "wallboard", "alerts", "--config",
                                   str(config), "--bootstrap", kafka.bootstrap], tmp_path, api)
        try:
            snapshots.wait_s = 95.0
            proc = alerts.start()
            _until(lambda: _titles(pages, "WARNING"), "the page")
            # the page is in the notification log on the broker (saved after delivery)
            fired = _until(lambda: (v := _get(f"{api}/alerts"))["active"] and
                           v["active"][0]["notified_status"] == "firing" and v, "the log")
            _until(lambda: _get(f"{api}/alerts")["saved_evaluations"] >= fired["evaluations"],
                   "the state to be saved")
            # an operator call needs the token
            fp = fired["active"][0]["fingerprint"]
            with pytest.raises(urllib.error.HTTPError) as denied:
                _get(f"{api}/alerts/{fp}/ack", data=b'{"by": "x"}', headers=JSON)
            assert denied.value.code == 401
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)

            proc = alerts.start()  # still firing: the restored log says it was paged
            _until(lambda: _get(f"{api}/alerts")["evaluations"] >= 10, "ten evaluations")
            view = _get(f"{api}/alerts")
            assert view["active"][0]["state"] == "firing"
            assert view["active"][0]["started_at"] == fired["active"][0]["started_at"]
            assert len(_titles(pages, "WARNING")) == 1, pages.requests  # no second page
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)

            snapshots.wait_s = None  # recovers while no alerts process runs
            proc = alerts.start()
            _until(lambda: _titles(pages, "RESOLVED"), "the resolve")
            _until(lambda: _get(f"{api}/alerts")["evaluations"] >= 10, "ten evaluations")
            assert len(_titles(pages, "RESOLVED")) == 1 and len(_titles(pages, "WARNING")) == 1
            assert "long_wait · billing" in _titles(pages, "RESOLVED")[0]
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0
        finally:
            alerts.kill_all()
            snapshots.close()


def _post_silence(api: str, matcher: str) -> tuple[int, dict]:
    body = json.dumps({"matchers": [matcher], "for": "1h", "author": "tester"}).encode()
    try:
        return 201, _get(f"{api}/silences", data=body,
                         headers={**JSON, "Authorization": f"Bearer {TOKEN}"})
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_pathological_silence_pattern_stalls_neither_evaluation_nor_the_api(tmp_path):
    """Issue 19, finding 1: with Python's backtracking ``re`` this pattern against the label
    ``alertname="long_wait"`` runs for hours, holding the GIL: no evaluation, no answer, no
    SIGTERM. RE2 matches it in linear time."""
    snapshots = SnapshotServer()
    snapshots.wait_s = 95.0
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/v1"
    with Receiver() as pages:
        config = _alerts_config(tmp_path, snapshots, port, pages, state="memory")
        alerts = _AlertsProcesses([sys.executable, "-m", "wallboard", "alerts", "--config",
                                   str(config)], tmp_path, api)
        try:
            proc = alerts.start()
            _until(lambda: _get(f"{api}/alerts")["active"], "the alert to be active")
            status, silence = _post_silence(api, 'alertname=~"(.?){30}(.?){30}z"')
            assert status == 201, silence
            after = _get(f"{api}/alerts")["evaluations"]
            # the process keeps evaluating (the silence is matched every evaluation) and
            # answering: each GET has a 5 s timeout, the whole wait a deadline
            view = _until(lambda: (v := _get(f"{api}/alerts"))["evaluations"] >= after + 10
                          and v, "ten more evaluations with the silence in place")
            assert [s["id"] for s in view["silences"]] == [silence["id"]]
            assert view["active"][0]["muted_by"] == ""  # "long_wait" does not end in z
            assert _get(f"{api}/health")["status"] == "ok"
            # what RE2 refuses (a backreference) is a 400 naming the matcher
            status, refused = _post_silence(api, r'alertname=~"(l)\1ong_wait"')
            assert status == 400 and refused["error"].startswith(
                "matchers[0]: bad regular expression"), refused
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0
        finally:
            alerts.kill_all()
            snapshots.close()


def test_backtest_saves_baselines_that_a_new_process_starts_from(kafka, tmp_path, capsys):
    import orjson

    from alerts.config import load_alert_settings
    from alerts.core import AlertEngine
    from alerts.store import KafkaStateStore
    from streams.adapters.simulator import Simulator, default_models
    from wallboard.cli import main

    start = 1_795_168_800.0  # Friday 2026-11-20 10:00 UTC
    sim = Simulator(default_models(1.0), start=start, seed=2, tz="UTC")
    events = tmp_path / "day.jsonl"
    events.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in sim.run(start + 3600)))
    topic = f"alerts-{uuid.uuid4().hex[:8]}"
    rules = tmp_path / "rules.toml"
    rules.write_text(f'[alerts]\ntopic = "{topic}"\n[alerts.rules.surge]\nkind = "surge"\n'
                     'segments = ["billing"]\n')
    assert main(["alerts", "backtest", "--events", str(events), "--rules", str(rules),
                 "--save-baselines", "--bootstrap", kafka.bootstrap]) == 0
    assert "saved 1 surge baselines" in capsys.readouterr().err
    records = KafkaStateStore(kafka.bootstrap, topic).load()
    assert list(records) == ["b:surge:billing"]
    engine = AlertEngine(load_alert_settings(rules))
    engine.restore(records)
    # a week later, same time: the time-of-day and time-of-week history is there
    lam, source = engine.baselines[("surge", "billing")].expected(
        start + 7 * 86400 + 1800, engine.tz, 900, 1)
    assert source == "week" and 5 < lam < 25  # billing: 2.6 calls/min, 5 min window

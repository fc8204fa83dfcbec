"""A real Alertmanager (Debian's prometheus-alertmanager, started here) receives our alert
through its API v2, lists it, and shows it resolved after our resolve."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from alerts.config import parse_alerts
from alerts.core import AlertEngine
from alerts.delivery import Deliverer
from infra.clients import free_port
from tests.support import require_tool, terminate, wait_until

pytestmark = pytest.mark.filterwarnings("ignore:.imghdr. is deprecated:DeprecationWarning")

CONFIG = """
route:
  receiver: none
  group_wait: 1s
receivers:
  - name: none
"""


def _get(url: str):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as resp:
        return json.loads(resp.read())


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    binary = require_tool("prometheus-alertmanager", "alertmanager")  # Debian's, upstream's
    (tmp_path / "am.yml").write_text(CONFIG)
    port = free_port()
    log = tmp_path / "am.log"
    proc = subprocess.Popen(
        [binary, f"--config.file={tmp_path / 'am.yml'}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _get(f"{url}/api/v2/status"), timeout=30, every=0.2,
                   what="Alertmanager to answer", proc=proc, log_path=log)
        yield url
    finally:
        terminate(proc)


def test_alertmanager_lists_then_resolves_our_alert(alertmanager):
    settings = parse_alerts({
        "board_url": "http://board.local/", "eval_interval": "10s",
        "rules": {"long_wait": {"figure": "now.oldest_wait_s", "above": 60,
                                "summary": "callers wait too long"}},
        "delivery": {"alertmanager_url": alertmanager}})
    eng, deliverer = AlertEngine(settings), Deliverer(settings)
    t = time.time()  # Alertmanager judges endsAt against its own clock: use the real one
    notices = eng.step({"segments": {"billing": {"now": {"oldest_wait_s": 95}}}}, t)
    assert deliverer.deliver(notices, eng.refresh(t)) == []

    def listed():
        return [a for a in _get(f"{alertmanager}/api/v2/alerts")
                if a["labels"].get("alertname") == "long_wait"]

    (alert,) = wait_until(listed, timeout=15, every=0.2, what="our alert listed")
    assert alert["labels"] == {"alertname": "long_wait", "segment": "billing",
                               "severity": "warning", "kind": "threshold"}
    assert alert["status"]["state"] == "active"
    assert alert["generatorURL"] == "http://board.local/?segment=billing"
    assert "now.oldest_wait_s = 95" in alert["annotations"]["summary"]
    assert alert["annotations"]["fingerprint"] == notices[0].fingerprint
    assert alert["annotations"]["description"] == "callers wait too long"
    lease = datetime.fromisoformat(alert["endsAt"].replace("Z", "+00:00")).timestamp()
    assert lease == pytest.approx(t + settings.lease_s, abs=0.01)  # endsAt: our lease

    t2 = time.time()
    resolved = eng.step({"segments": {"billing": {"now": {"oldest_wait_s": 3}}}}, t2)
    assert [n.status for n in resolved] == ["resolved"]
    assert deliverer.deliver(resolved, eng.refresh(t2)) == []

    def gone():  # Alertmanager's API v2 lists only alerts whose endsAt is not past
        return not listed()

    wait_until(gone, timeout=15, every=0.2, what="our alert resolved")

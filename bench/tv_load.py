"""The TV side of bench/tv_board.py: simulated TVs replaying the board's callback request
once a second, the server's timings, CPU from /proc, percentiles."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

__all__ = ["TV", "cpu_seconds", "fetch_stats", "load", "pct", "wait_http"]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"process exited ({proc.returncode}) before {url} answered")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2):  # noqa: S310
            return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TV(threading.Thread):
    """One simulated TV: the captured callback request once a second, with its own state."""

    period_s = 1.0

    def __init__(self, port: int, body: dict, stop: threading.Event, rtts: list[float]) -> None:
        super().__init__(daemon=True)
        self.port, self.body, self.stop, self.rtts = port, json.loads(json.dumps(body)), stop, rtts
        self.errors = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        n = 0
        self.stop.wait(random.random())  # noqa: S311 - a phase, not a secret
        next_at = time.monotonic()
        while not self.stop.is_set():
            n += 1
            self.body["inputs"][0]["value"] = n
            payload = json.dumps(self.body).encode()
            started = time.perf_counter()
            try:
                conn.request("POST", "/_dash-update-component", payload,
                             {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                if resp.status == 200:
                    self._keep_state(json.loads(data))
                elif resp.status != 204:
                    self.errors += 1
            except (OSError, http.client.HTTPException, ValueError):
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.rtts.append(time.perf_counter() - started)
            next_at += self.period_s
            self.stop.wait(max(0.0, next_at - time.monotonic()))
        conn.close()

    def _keep_state(self, answer: dict) -> None:
        state = answer.get("response", {}).get("view-state", {}).get("data")
        if state is not None:
            for item in self.body["state"]:
                if item["id"] == "view-state":
                    item["value"] = state


def load(port: int, body: dict, clients: int, seconds: float, pid: int) -> dict:
    """``clients`` TVs for ``seconds``; the server's timings, CPU and the client RTTs."""
    fetch_stats(port)  # reset
    stop, rtts = threading.Event(), []
    tvs = [TV(port, body, stop, rtts) for _ in range(clients)]
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    for tv in tvs:
        tv.start()
    health_deadline = time.monotonic() + seconds
    while time.monotonic() < health_deadline:  # a /health probe every 0.5 s, same load
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).read()  # noqa: S310
        time.sleep(0.5)
    stop.set()
    for tv in tvs:
        tv.join(15)
    cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
    stats = fetch_stats(port)
    return {"update": stats["update"], "health": stats["health"], "rtt": rtts, "cpu": cpu,
            "errors": sum(tv.errors for tv in tvs)}


def fetch_stats(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench-stats", timeout=5) as r:  # noqa: S310
        return json.loads(r.read())

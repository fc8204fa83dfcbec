"""Shared helpers for integration tests: run ``wallboard`` subprocesses and poll HTTP."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from streams.config import Settings


def write_config(path: Path, settings: Settings) -> Path:
    k, w = settings.kafka, settings.worker
    path.write_text(
        "[kafka]\n"
        f'bootstrap = "{k.bootstrap}"\ncall_topic = "{k.call_topic}"\n'
        f'agent_topic = "{k.agent_topic}"\ndead_letter_topic = "{k.dead_letter_topic}"\n'
        f"call_partitions = {k.call_partitions}\nagent_partitions = {k.agent_partitions}\n"
        "[worker]\n"
        f'app_id = "{w.app_id}"\nhost = "{w.host}"\nport = {w.port}\n', encoding="utf-8")
    return path


@contextlib.contextmanager
def wallboard_process(args: list[str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``wallboard ARGS`` with output to ``log_path``; always stopped afterwards."""
    with log_path.open("wb") as logf:
        proc = subprocess.Popen([sys.executable, "-m", "streams.cli", *args], stdout=logf,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def get_json(url: str, timeout: float = 2.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback only
        return json.loads(resp.read())


def get_text(url: str, timeout: float = 2.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310
        return resp.read().decode()


def wait_until(check: Callable[[], Any], *, timeout: float, what: str,
               proc: subprocess.Popen[bytes] | None = None, log_path: Path | None = None) -> Any:
    """Poll ``check`` until it returns a truthy value; fail with the process log otherwise."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            result = check()
            if result:
                return result
        except (OSError, ValueError, KeyError, AssertionError) as exc:
            last_exc = exc
        time.sleep(0.5)
    log = log_path.read_text(errors="replace")[-4000:] if log_path else ""
    raise AssertionError(f"timed out waiting for {what} (last error: {last_exc!r}); "
                         f"process exit code: {proc.poll() if proc else None}\n{log}")

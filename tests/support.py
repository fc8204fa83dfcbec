"""Shared helpers of the tests: run ``wallboard`` subprocesses, poll HTTP, wait for a
condition (never a bare sleep), and find what a test needs from outside the repository (an
external tool, the shared data set): skipped on a developer's machine, a failure in CI."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NoReturn

import pytest

from streams.config import WorkerSettings
from wallboard.settings import Settings


def event_clock_worker(settings: Settings, tmp_path: Path, port: int, name: str, *,
                       checkpoint_interval_s: float = 0.5) -> tuple[Settings, Path]:
    """``settings`` with a worker named ``name-port`` on the event clock (snapshots every
    0.25 s, checkpoints every ``checkpoint_interval_s``, state under ``tmp_path``), and the
    config file written for it: what the recovery and partition tests compare exactly."""
    settings = replace(settings, worker=WorkerSettings(
        app_id=f"{name}-{port}", port=port, state_dir=str(tmp_path / "state"), clock="event",
        checkpoint_interval_s=checkpoint_interval_s, snapshot_interval_s=0.25))
    return settings, write_config(tmp_path / "wallboard.toml", settings)


def write_config(path: Path, settings: Settings) -> Path:
    k, w = settings.kafka, settings.worker
    path.write_text(
        "[kafka]\n"
        f'bootstrap = "{k.bootstrap}"\ncall_topic = "{k.call_topic}"\n'
        f'agent_topic = "{k.agent_topic}"\ndead_letter_topic = "{k.dead_letter_topic}"\n'
        f'state_topic = "{k.state_topic}"\npartials_topic = "{k.partials_topic}"\n'
        f'snapshots_topic = "{k.snapshots_topic}"\n'
        f"call_partitions = {k.call_partitions}\nagent_partitions = {k.agent_partitions}\n"
        "[worker]\n"
        f'app_id = "{w.app_id}"\nhost = "{w.host}"\nport = {w.port}\n'
        f'state_dir = "{w.state_dir}"\nclock = "{w.clock}"\n'
        f"checkpoint_interval_s = {w.checkpoint_interval_s}\n"
        f"snapshot_interval_s = {w.snapshot_interval_s}\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def wallboard_process(args: list[str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``wallboard ARGS`` with output to ``log_path``; always stopped afterwards."""
    with log_path.open("wb") as logf:
        proc = subprocess.Popen([sys.executable, "-m", "wallboard", *args], stdout=logf,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        terminate(proc, timeout=20)


def terminate(proc: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM ``proc`` if it runs, and SIGKILL it if it is still there after ``timeout``."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
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
               proc: subprocess.Popen[bytes] | None = None, log_path: Path | None = None,
               every: float = 0.5) -> Any:
    """Poll ``check`` (every ``every`` s) until it returns a truthy value and return it; fail
    with the process log otherwise. A test waits for its condition, never for a time."""
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
        time.sleep(every)
    log = log_path.read_text(errors="replace")[-4000:] if log_path else ""
    raise AssertionError(f"timed out waiting for {what} (last error: {last_exc!r}); "
                         f"process exit code: {proc.poll() if proc else None}\n{log}")


class JsonHttpServer:
    """A real stdlib HTTP server on 127.0.0.1 (``port=0``: any free port) in its own thread.

    Every GET, at any path, is answered after ``delay_s`` with ``status`` and ``body``: bytes,
    or a function of the request number (1, 2, ...) returning bytes. All three may be changed
    while it runs; ``requests`` counts the GETs.
    """

    def __init__(self, body: bytes | Callable[[int], bytes], *, port: int = 0,
                 status: int = 200) -> None:
        self.body = body
        self.status = status
        self.delay_s = 0.0
        self.requests = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                with outer._lock:
                    outer.requests += 1
                    n, body = outer.requests, outer.body
                payload = body(n) if callable(body) else body
                if outer.delay_s:
                    time.sleep(outer.delay_s)
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                # A client that timed out first (slow-server tests) is expected.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_port
        self.url = f"http://127.0.0.1:{self.port}/api/v1/snapshot"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.httpd.shutdown()
            self.httpd.server_close()
            self._thread.join(5)


REPO = Path(__file__).resolve().parent.parent


def missing_is_a_failure() -> bool:
    """Whether a test whose external tool or shared data is missing fails (CI) rather than
    skips (a developer's machine): under ``CI=true`` or ``WALLBOARD_REQUIRE_TOOLS=1``, which
    scripts/test.sh exports in CI. A check that never ran must not pass as a skip there."""
    return os.environ.get("CI") == "true" or os.environ.get("WALLBOARD_REQUIRE_TOOLS") == "1"


def skip_or_fail(why: str) -> NoReturn:
    """Skip the test, or fail it where :func:`missing_is_a_failure`."""
    if missing_is_a_failure():
        pytest.fail(f"{why} (required here: CI=true or WALLBOARD_REQUIRE_TOOLS=1)",
                    pytrace=False)
    pytest.skip(why)


def require_tool(*names: str) -> str:
    """The path of the first of ``names`` found on ``$PATH`` (e.g. Debian's
    ``prometheus-alertmanager``, then upstream's ``alertmanager``). Missing: skipped, or a
    failure in CI (:func:`skip_or_fail`); scripts/setup.sh installs every one of them."""
    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    skip_or_fail(f"{' or '.join(names)} not found on $PATH (scripts/test.sh installs it)")


def shared_data(rel: str, env: str) -> Path:
    """A file of the shared real data set: ``$ENV``, else ``shared/REL`` inside or beside the
    repository (CI has ``shared/`` beside its clone). Missing: skipped, or a failure in CI
    (:func:`skip_or_fail`)."""
    candidates = [Path(os.environ[env])] if os.environ.get(env) else []
    candidates += [REPO / "shared" / rel, REPO.parent / "shared" / rel]
    for path in candidates:
        if path.is_file():
            return path
    skip_or_fail(f"shared/{rel} is not here (or set ${env})")


def in_own_thread(func, *args):  # noqa: ANN001, ANN002, ANN201
    """``func(*args)`` in a thread of its own, for code that calls ``asyncio.run``: another
    test's library (Playwright's sync API) may keep an event loop running in the main thread
    (``asyncio.run`` there raises). Its exception is re-raised here."""
    result: list = []

    def target() -> None:
        try:
            result.append((True, func(*args)))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            result.append((False, exc))

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    ok, value = result[0]
    if not ok:
        raise value
    return value


def run_async(coro):  # noqa: ANN001, ANN201
    """``asyncio.run(coro)`` in a thread of its own (:func:`in_own_thread`)."""
    return in_own_thread(asyncio.run, coro)


def usage_error_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one stderr line of a usage error that the ``wallboard`` parser reports (exit 2)."""
    from wallboard.cli import build_parser

    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(args)
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]

"""A real single-node Apache Kafka broker (KRaft, combined broker + controller) without Docker.

The broker's jars come from Maven Central: Maven resolves ``infra/pom.xml`` into an ignored
cache (``<project>/.cache/m2`` by default) and writes the class path to a file; the broker is
then started as ``java -cp <classpath> kafka.Kafka server.properties``.

The same code serves ``wallboard kafka start|stop|status`` and the pytest session fixture, so
the tests exercise exactly what a user runs. The rooms of ``infra``:

* ``infra.broker`` (here): the broker process: :class:`BrokerSpec` (where and how it runs),
  :class:`KafkaBroker` (start, stop, status) and its heap and cluster id;
* ``infra.jars``: the Maven class path and the cache home (:func:`default_home`);
* ``infra.pidfile``: the pid file and ``/proc``: which process is ours;
* ``infra.clients``: kafka-python client options, reachability, :func:`create_topics`, ports;
* ``infra.errors``: :class:`BrokerError` and :class:`BrokerUnavailable`.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from infra.clients import answers_metadata, port_free
from infra.errors import BrokerError
from infra.jars import _packaged, default_home, resolve_classpath
from infra.pidfile import PidRecord, _pid_alive, _proc_cmdline, _proc_cwd, _proc_start_ticks

__all__ = ["BrokerSpec", "BrokerStatus", "KafkaBroker"]

KAFKA_MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"


@dataclass(frozen=True)
class BrokerSpec:
    """Where and how one broker runs. ``state_dir`` holds data, config, log and pid file."""

    state_dir: Path
    port: int = 9092
    controller_port: int | None = None  # default: port + 1
    host: str = "127.0.0.1"
    heap: str = "512m"
    partitions: int = 3
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def ctrl_port(self) -> int:
        return self.controller_port if self.controller_port is not None else self.port + 1

    def properties(self) -> str:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{self.ctrl_port}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{self.ctrl_port}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self.state_dir / "data"),
            "num.partitions": str(self.partitions),
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
            **self.extra,
        }
        return "".join(f"{k}={v}\n" for k, v in props.items())


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    pid: int | None
    bootstrap: str
    log_path: Path

    def describe(self) -> str:
        if self.running:
            return f"kafka: running (pid {self.pid}) on {self.bootstrap}; log: {self.log_path}"
        return f"kafka: not running; log: {self.log_path}"


class KafkaBroker:
    """Start, stop and inspect one broker described by a :class:`BrokerSpec`.

    The pid file records the broker's pid and start time. A process counts as this broker
    only when it is alive, started at the recorded time (when recorded) and runs
    ``kafka.Kafka`` with this state directory's ``server.properties``: ``stop`` never signals,
    and ``status`` never reports, a process that merely inherited a recycled pid.
    """

    def __init__(self, spec: BrokerSpec, *, cache_dir: Path | None = None,
                 log: Callable[[str], None] = print) -> None:
        if not spec.state_dir.is_absolute():  # the JVM runs in state_dir: paths must not be
            spec = replace(spec, state_dir=spec.state_dir.resolve())  # relative to our cwd
        self.spec = spec
        self.cache_dir = cache_dir or default_home()
        self._log = log
        self._proc: subprocess.Popen[bytes] | None = None

    # -- paths -----------------------------------------------------------------------------
    @property
    def pid_path(self) -> Path:
        return self.spec.state_dir / "broker.pid"

    @property
    def log_path(self) -> Path:
        return self.spec.state_dir / "broker.log"

    @property
    def data_dir(self) -> Path:
        return self.spec.state_dir / "data"

    @property
    def properties_path(self) -> Path:
        return self.spec.state_dir / "server.properties"

    # -- which process is ours -------------------------------------------------------------
    def is_ours(self, record: PidRecord) -> bool:
        """Whether ``record`` names a live process that is provably this broker: the recorded
        start time matches (when recorded) and its command line runs ``kafka.Kafka`` with this
        state directory's ``server.properties``."""
        if not _pid_alive(record.pid):
            return False
        if record.start_ticks is not None and _proc_start_ticks(record.pid) != record.start_ticks:
            return False
        argv = _proc_cmdline(record.pid)
        if not argv or KAFKA_MAIN not in argv:
            return False
        cwd = _proc_cwd(record.pid)
        ours = os.path.realpath(self.properties_path)
        for arg in argv[argv.index(KAFKA_MAIN) + 1:]:
            path = arg if os.path.isabs(arg) or cwd is None else os.path.join(cwd, arg)
            if os.path.realpath(path) == ours:
                return True
        return False

    def inspect_pid_file(self) -> tuple[PidRecord | None, str | None]:
        """``(record, None)`` when the pid file names this broker, running;
        ``(None, why)`` when it is stale; ``(None, None)`` when there is none."""
        try:
            text = self.pid_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            return None, f"unreadable: {exc.strerror or exc}"
        try:
            record = PidRecord.loads(text)
        except ValueError:
            return None, "not a pid file"
        if self.is_ours(record):
            return record, None
        if not _pid_alive(record.pid):
            return None, f"pid {record.pid} is not running"
        return None, f"pid {record.pid} is another process, not this broker"

    def _read_pid(self) -> int | None:
        """The pid of this broker when it runs (per the pid file), else None."""
        record, _ = self.inspect_pid_file()
        return record.pid if record else None

    # -- lifecycle -------------------------------------------------------------------------
    def status(self) -> BrokerStatus:
        pid = self._read_pid()
        return BrokerStatus(pid is not None, pid, self.spec.bootstrap, self.log_path)

    def _remove_stale_pid_file(self, why: str) -> None:
        self._log(f"kafka: removing stale pid file {self.pid_path} ({why})")
        self.pid_path.unlink(missing_ok=True)

    def start(self, *, timeout_s: float = 90.0) -> BrokerStatus:
        """Start the broker and wait until it answers a metadata request. Idempotent; a stale
        pid file (dead pid, or a pid now used by another process) is removed."""
        record, stale = self.inspect_pid_file()
        if record is not None:
            self._log(f"kafka: already running (pid {record.pid}) on {self.spec.bootstrap}")
            return self.status()
        if stale is not None:
            self._remove_stale_pid_file(stale)
        for port in (self.spec.port, self.spec.ctrl_port):
            if not port_free(self.spec.host, port):
                raise BrokerError(f"port {port} on {self.spec.host} is already in use")
        jvm = self._prepare()
        started = time.monotonic()
        with open(self.log_path, "ab") as logf:
            self._proc = subprocess.Popen(  # noqa: S603 - fixed argv
                [*jvm, KAFKA_MAIN, str(self.properties_path)], stdout=logf,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                cwd=self.spec.state_dir)
        # Popen returns after the exec: the start time and command line are the JVM's.
        record = PidRecord(self._proc.pid, _proc_start_ticks(self._proc.pid))
        self.pid_path.write_text(record.dumps(), encoding="utf-8")
        return self._wait_ready(started, timeout_s)

    def _prepare(self) -> list[str]:
        """The class path, the config files and the formatted storage; returns the JVM's
        command line (without the main class)."""
        classpath = resolve_classpath(self.cache_dir, log=self._log)
        java = shutil.which("java")
        if java is None:
            raise BrokerError("Java ('java') is not on PATH: Kafka needs Java 17 or later")
        self.spec.state_dir.mkdir(parents=True, exist_ok=True)
        props = self.properties_path
        props.write_text(self.spec.properties(), encoding="utf-8")
        log4j = self.spec.state_dir / "log4j2.yaml"
        log4j.write_text(_packaged("log4j2.yaml"), encoding="utf-8")
        jvm = [java, f"-Xms{min_heap(self.spec.heap)}", f"-Xmx{self.spec.heap}",
               "-XX:+UseG1GC", "-Djava.awt.headless=true",
               f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath]
        if not (self.data_dir / "meta.properties").is_file():
            cluster_id = new_cluster_id()
            fmt = subprocess.run([*jvm, STORAGE_TOOL, "format", "-t", cluster_id, "-c", str(props)],
                                 capture_output=True, text=True, check=False)
            if fmt.returncode != 0:
                raise BrokerError("formatting the KRaft storage failed:\n" + fmt.stdout[-2000:]
                                  + fmt.stderr[-2000:])
        return jvm

    def _wait_ready(self, started: float, timeout_s: float) -> BrokerStatus:
        """Until the started broker answers a metadata request; stopped if it never does."""
        assert self._proc is not None
        deadline = started + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self.pid_path.unlink(missing_ok=True)
                raise BrokerError(f"the broker exited with code {self._proc.returncode} while "
                                  f"starting; last log lines:\n{self.log_tail()}")
            if answers_metadata(self.spec.bootstrap, timeout_s=2.0):
                self.startup_s = time.monotonic() - started
                self._log(f"kafka: ready on {self.spec.bootstrap} in {self.startup_s:.1f} s "
                          f"(pid {self._proc.pid}); log: {self.log_path}")
                return self.status()
            time.sleep(0.25)
        self.stop()
        raise BrokerError(f"the broker did not answer on {self.spec.bootstrap} within "
                          f"{timeout_s:.0f} s; last log lines:\n{self.log_tail()}")

    def stop(self, *, timeout_s: float = 30.0) -> bool:
        """SIGTERM, wait up to ``timeout_s``, then SIGKILL. Returns whether a broker was running.

        Signals only a process that is provably this broker (see :meth:`is_ours`); a stale pid
        file is removed.
        """
        record, stale = self.inspect_pid_file()
        if record is None:
            if stale is not None:
                self._remove_stale_pid_file(stale)
            self._log("kafka: not running")
            return False
        pid = record.pid
        if record.start_ticks is None:  # a pid-only file of an older version: pin the identity
            record = PidRecord(pid, _proc_start_ticks(pid))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self._still_ours(record):
            self._reap()
            time.sleep(0.1)
        if self._still_ours(record):
            self._log(f"kafka: pid {pid} ignored SIGTERM for {timeout_s:.0f} s; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            while self._still_ours(record):
                self._reap()
                time.sleep(0.05)
        self._reap()
        self.pid_path.unlink(missing_ok=True)
        self._log(f"kafka: stopped (pid {pid})")
        return True

    def _still_ours(self, record: PidRecord) -> bool:
        """The process we signalled still exists (same pid and, when known, start time)."""
        if not _pid_alive(record.pid):
            return False
        return record.start_ticks is None or _proc_start_ticks(record.pid) == record.start_ticks

    def _reap(self) -> None:
        if self._proc is not None:
            self._proc.poll()

    def rss_bytes(self) -> int | None:
        """Resident set size of the running broker (Linux /proc), for reports and benchmarks."""
        pid = self._read_pid()
        if pid is None:
            return None
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def min_heap(heap: str) -> str:
    """Initial heap: a quarter of the maximum (keeps the RSS of an idle dev broker small)."""
    units = {"k": 1, "m": 1024, "g": 1024 * 1024}
    unit = heap[-1].lower()
    if unit not in units or not heap[:-1].isdigit():
        raise BrokerError(f"heap: expected a size like '512m' or '1g', got {heap!r}")
    kib = int(heap[:-1]) * units[unit] // 4
    return f"{max(kib // 1024, 64)}m"


def new_cluster_id() -> str:
    """A KRaft cluster id (a UUID, base64url) that does not start with "-": kafka-storage
    would read such an id as an option, and one start in 64 failed that way."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id

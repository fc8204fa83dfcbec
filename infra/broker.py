"""A real single-node Apache Kafka broker (KRaft, combined broker + controller) without Docker.

The broker's jars come from Maven Central: Maven resolves ``infra/pom.xml`` into an ignored
cache (``<project>/.cache/m2`` by default) and writes the class path to a file; the broker is
then started as ``java -cp <classpath> kafka.Kafka server.properties``.

The same code serves ``wallboard kafka start|stop|status`` and the pytest session fixture, so
the tests exercise exactly what a user runs.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

__all__ = [
    "BrokerError",
    "BrokerSpec",
    "BrokerStatus",
    "BrokerUnavailable",
    "KafkaBroker",
    "PidRecord",
    "connect_reason",
    "create_topics",
    "default_home",
    "free_port",
    "kafka_client",
    "port_free",
    "resolve_classpath",
    "wait_reachable",
]

KAFKA_MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"


class BrokerError(RuntimeError):
    """The broker could not be resolved, formatted, started or stopped; the message says why."""


class BrokerUnavailable(BrokerError):
    """No Kafka broker answered at ``bootstrap`` within ``timeout_s``; ``reason`` says how it
    failed (``connection refused``, ...). The message is one line naming the address."""

    def __init__(self, bootstrap: str, timeout_s: float, reason: str) -> None:
        super().__init__(f"cannot reach the Kafka broker at {bootstrap} within {timeout_s:g} s "
                         f"({reason})")
        self.bootstrap = bootstrap
        self.timeout_s = timeout_s
        self.reason = reason


def _servers(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port[,host:port...]`` as ``[(host, port), ...]``."""
    servers = []
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            servers.append((host.strip("[]"), int(port)))
        except ValueError:
            raise BrokerError(f"bootstrap: expected host:port, got {server.strip()!r}") from None
    return servers


def connect_reason(exc: OSError) -> str:
    """A short reason for a failed connection (``connection refused``, ...)."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "connection timed out"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def wait_reachable(bootstrap: str, timeout_s: float = 10.0) -> float:
    """Wait until a TCP connection to one of the ``bootstrap`` servers succeeds, retrying for up
    to ``timeout_s`` (a broker may still be starting); return the seconds left.

    Raises :class:`BrokerUnavailable` naming the address and the last reason. A plain socket
    first, because kafka-python retries a refused address for its whole bootstrap timeout and
    logs an error line each time.
    """
    servers = _servers(bootstrap)
    deadline = time.monotonic() + timeout_s
    reason = "no server to try"
    pause = 0.1
    while True:
        for host, port in servers:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                socket.create_connection((host, port), timeout=min(left, 3.0)).close()
                return max(deadline - time.monotonic(), 0.0)
            except OSError as exc:
                reason = connect_reason(exc)
        left = deadline - time.monotonic()
        if left <= 0:
            raise BrokerUnavailable(bootstrap, timeout_s, reason)
        time.sleep(min(pause, left))
        pause = min(pause * 2, 1.0)


def client_timeout_ms(timeout_s: float) -> int:
    """A kafka-python ``*_timeout_ms`` for ``timeout_s`` (at least one second)."""
    return max(1000, int(timeout_s * 1000))


def kafka_client(factory: Callable[..., object], bootstrap: str, *, timeout_s: float = 10.0,
                 **config: object):  # noqa: ANN201 - whatever ``factory`` makes
    """``factory(bootstrap_servers=..., **config)`` (a kafka-python ``KafkaProducer``,
    ``KafkaAdminClient`` or ``KafkaConsumer``) once the broker is reachable, all within about
    ``timeout_s``; else :class:`BrokerUnavailable` (never kafka-python's 30 s bootstrap wait
    and its traceback)."""
    from kafka.errors import KafkaError, KafkaTimeoutError

    left = wait_reachable(bootstrap, timeout_s)
    try:
        return factory(bootstrap_servers=[s.strip() for s in bootstrap.split(",")],
                       bootstrap_timeout_ms=client_timeout_ms(left), **config)
    except KafkaTimeoutError:
        raise BrokerUnavailable(bootstrap, timeout_s, "the port accepts connections but no "
                                "Kafka broker answered") from None
    except KafkaError as exc:
        raise BrokerUnavailable(bootstrap, timeout_s, str(exc)) from None


def default_home() -> Path:
    """Where the Maven cache and broker state live: ``$WALLBOARD_HOME``, else ``<repo>/.cache``
    for a source checkout, else ``~/.cache/cc-wallboard``."""
    env = os.environ.get("WALLBOARD_HOME")
    if env:
        return Path(env).expanduser().resolve()
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").is_file():
        return repo / ".cache"
    return Path.home() / ".cache" / "cc-wallboard"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (bind to port 0 and read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _packaged(name: str) -> str:
    return resources.files("infra").joinpath(name).read_text(encoding="utf-8")


def resolve_classpath(cache_dir: Path, *, log: Callable[[str], None] = print) -> str:
    """Resolve the broker's jars with Maven into ``cache_dir/m2`` once; return the class path.

    The class path file is keyed by the pom's content, so a version bump re-resolves.
    """
    pom_text = _packaged("pom.xml")
    key = uuid.uuid5(uuid.NAMESPACE_URL, pom_text).hex[:12]
    cache_dir.mkdir(parents=True, exist_ok=True)
    cp_file = cache_dir / f"kafka-classpath-{key}.txt"
    if cp_file.is_file():
        cp = cp_file.read_text(encoding="utf-8").strip()
        if cp and all(Path(p).is_file() for p in cp.split(os.pathsep)):
            return cp
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError("Maven ('mvn') is not on PATH: it is needed to fetch the Kafka jars")
    pom = cache_dir / "kafka-runtime-pom.xml"
    pom.write_text(pom_text, encoding="utf-8")
    log(f"resolving Apache Kafka jars from Maven Central into {cache_dir / 'm2'} ...")
    cmd = [
        mvn, "-B", "-q", f"-Dmaven.repo.local={cache_dir / 'm2'}", "-f", str(pom),
        "dependency:build-classpath", f"-Dmdep.outputFile={cp_file}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not cp_file.is_file():
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
        raise BrokerError("Maven could not resolve the Kafka jars:\n" + "\n".join(tail))
    return cp_file.read_text(encoding="utf-8").strip()


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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still "exists"; treat it as dead.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def _proc_start_ticks(pid: int) -> int | None:
    """When the process started, in clock ticks after boot (``/proc/<pid>/stat`` field 22):
    with the pid, an identity that a recycled pid does not repeat."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        # Fields after "(comm)": the state is field 3, so field 22 is the 20th of them.
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _proc_cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]


def _proc_cwd(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return None


@dataclass(frozen=True)
class PidRecord:
    """What ``broker.pid`` says: the pid and, since pid files carry it, the process start time
    (``/proc/<pid>/stat`` field 22). Older files hold only the pid (``start_ticks`` None)."""

    pid: int
    start_ticks: int | None = None

    def dumps(self) -> str:
        lines = [str(self.pid)]
        if self.start_ticks is not None:
            lines.append(f"start_ticks={self.start_ticks}")
        return "\n".join(lines) + "\n"

    @classmethod
    def loads(cls, text: str) -> PidRecord:
        """Parse a pid file; ``ValueError`` when it does not start with a pid."""
        lines = text.split()
        if not lines:
            raise ValueError("empty pid file")
        pid = int(lines[0])
        if pid <= 0:
            raise ValueError(f"not a pid: {pid}")
        fields = dict(line.partition("=")[::2] for line in lines[1:])
        ticks = fields.get("start_ticks")
        return cls(pid, int(ticks) if ticks else None)


def _answers_metadata(bootstrap: str, timeout_s: float) -> bool:
    """True when the broker answers a metadata request and reports itself unfenced."""
    from kafka import KafkaAdminClient  # local: keep `wallboard --help` fast
    from kafka.errors import KafkaError

    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:  # a plain TCP probe first: kafka-python logs loudly about refused connections
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError:
        return False
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=client_timeout_ms(timeout_s),
            bootstrap_timeout_ms=client_timeout_ms(timeout_s),
            client_id="wallboard-probe",
        )
    except (KafkaError, OSError, ValueError):
        return False
    try:
        cluster = admin.describe_cluster()
        return any(not b.get("is_fenced", False) for b in cluster.get("brokers", []))
    except (KafkaError, OSError, ValueError):
        return False
    finally:
        admin.close()


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
        started = time.monotonic()
        with open(self.log_path, "ab") as logf:
            self._proc = subprocess.Popen(  # noqa: S603 - fixed argv
                [*jvm, KAFKA_MAIN, str(props)], stdout=logf, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.spec.state_dir)
        # Popen returns after the exec: the start time and command line are the JVM's.
        record = PidRecord(self._proc.pid, _proc_start_ticks(self._proc.pid))
        self.pid_path.write_text(record.dumps(), encoding="utf-8")
        deadline = started + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self.pid_path.unlink(missing_ok=True)
                raise BrokerError(f"the broker exited with code {self._proc.returncode} while "
                                  f"starting; last log lines:\n{self.log_tail()}")
            if _answers_metadata(self.spec.bootstrap, timeout_s=2.0):
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


def port_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound now (checked before starting, for a one-line error)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def new_cluster_id() -> str:
    """A KRaft cluster id (a UUID, base64url) that does not start with "-": kafka-storage
    would read such an id as an option, and one start in 64 failed that way."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def create_topics(bootstrap: str, topics: Mapping[str, int], *, timeout_s: float = 60.0,
                  connect_timeout_s: float = 10.0, log: Callable[[str], None] = print,
                  configs: Mapping[str, Mapping[str, str]] | None = None) -> None:
    """Create ``{name: partitions}`` (replication 1, with the topic-level settings of
    ``configs[name]``, e.g. compaction) if missing and wait until every partition has a
    leader. Existing topics are left as they are.

    A broker that does not answer within ``connect_timeout_s`` raises
    :class:`BrokerUnavailable`; an error of a request, :class:`BrokerError` (one line each).
    """
    from kafka import KafkaAdminClient, KafkaConsumer
    from kafka.admin import NewTopic
    from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

    request_ms = client_timeout_ms(connect_timeout_s)
    admin = kafka_client(KafkaAdminClient, bootstrap, timeout_s=connect_timeout_s,
                         client_id="wallboard-admin", request_timeout_ms=request_ms)
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(name, n, 1, topic_configs=dict((configs or {}).get(name, {})))
               for name, n in topics.items() if name not in existing]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile: fine
                admin.create_topics(new, timeout_ms=request_ms)
            log("kafka: created topics " + ", ".join(f"{t.name}({t.num_partitions})" for t in new))
    except KafkaTimeoutError:
        raise BrokerUnavailable(bootstrap, connect_timeout_s, "a request timed out") from None
    except KafkaError as exc:
        raise BrokerError(f"creating topics on {bootstrap} failed: {exc}") from None
    finally:
        admin.close()
    consumer = kafka_client(KafkaConsumer, bootstrap, timeout_s=connect_timeout_s,
                            client_id="wallboard-admin-meta", request_timeout_ms=request_ms)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            missing = []
            for name, n in topics.items():
                parts = consumer.partitions_for_topic(name) or set()
                leaders = [consumer._client.cluster.leader_for_partition(_tp(name, p))
                           for p in parts]
                if len(parts) < n or any(ldr is None or ldr < 0 for ldr in leaders):
                    missing.append(name)
            if not missing:
                return
            if time.monotonic() > deadline:
                raise BrokerError(f"topics without leaders after {timeout_s:.0f} s: {missing}")
            consumer._client.cluster.request_update()
            consumer.topics()  # forces a metadata refresh
            time.sleep(0.2)
    except KafkaTimeoutError:
        raise BrokerUnavailable(bootstrap, connect_timeout_s, "a request timed out") from None
    except KafkaError as exc:
        raise BrokerError(f"waiting for topic leaders on {bootstrap} failed: {exc}") from None
    finally:
        consumer.close()


def _tp(topic: str, partition: int):  # noqa: ANN202 - kafka-python's TopicPartition
    from kafka import TopicPartition

    return TopicPartition(topic, partition)

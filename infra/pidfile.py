"""Which process is ours: the broker's pid file and what ``/proc`` says about a pid.

:class:`PidRecord` is what ``broker.pid`` holds (the pid and the process start time); the
``/proc`` readers give a pid's liveness, start time, command line and working directory, so
that :class:`infra.broker.KafkaBroker` never signals or reports a process that merely
inherited a recycled pid.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PidRecord"]


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

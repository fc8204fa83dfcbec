"""Following an Asterisk ``queue_log``: tailing across rotation, the position and state file.

:class:`Tailer` yields the complete lines of a growing file by polling, finishes a rotated
file before starting the new one and restarts a truncated one. :func:`save_state` and
:func:`load_state` keep the :class:`FilePosition` and the converter's memory in a small JSON
file, written atomically. :func:`stream_file` converts a file (or follows it) into a sink in
batches, writing the state only after each batch was sent, so a crash re-sends at most one
batch and never skips a line.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .convert import QueueLogConverter

if TYPE_CHECKING:
    from ...sink import EventSink

__all__ = ["POLL_S", "STATE_VERSION", "FilePosition", "Tailer", "load_state", "save_state",
           "stream_file"]

POLL_S = 0.5
STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class FilePosition:
    """Where reading stands: the file's inode, the byte offset after the last complete line
    consumed, and the number of lines consumed in that file."""

    inode: int
    offset: int = 0
    line: int = 0


class Tailer:
    """Complete lines of a growing file, across rotation and truncation (polling, no inotify).

    :meth:`read` yields ``(line, position_after_it)``, and ``(None, position)`` whenever a
    file is started from its beginning (the first file, a rotated-in file, a truncated one).
    A rotation (``path`` now has another inode) first finishes the old file through the still
    open handle; truncation (size below the offset) restarts at 0. When resuming from a saved
    position whose inode is no longer ``path`` (rotated while stopped), the old file is looked
    up by inode in the same directory (``queue_log.1`` …) and finished first.
    """

    def __init__(self, path: str | Path, position: FilePosition | None = None, *,
                 chunk_size: int = 1 << 20) -> None:
        self.path = Path(path)
        self.position = position
        self.chunk_size = chunk_size
        self.lost_rotated = False  # the saved inode was not found: its tail was not read
        self._fh: Any = None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def read(self, *, final: bool = False) -> Iterator[tuple[bytes | None, FilePosition]]:
        """Everything new. ``final``: also the last line if it has no newline yet (the file
        is complete); otherwise an unterminated line waits for its newline."""
        if self._fh is None:
            yield from self._start(final)
        yield from self._drain(final)
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return  # rotated, the new file is not there yet
        assert self.position is not None
        if st.st_ino != self.position.inode:
            yield from self._drain(final=True)  # the rest of the rotated file
            yield from self._switch()
            yield from self._drain(final)
        elif st.st_size < self.position.offset:
            self.position = FilePosition(st.st_ino)
            yield None, self.position
            yield from self._drain(final)

    def _start(self, final: bool) -> Iterator[tuple[bytes | None, FilePosition]]:
        pos = self.position
        st = os.stat(self.path)  # FileNotFoundError for a missing file: the caller's
        if pos is not None and pos.inode != st.st_ino:
            old = self._find_inode(pos.inode)
            if old is not None and old.stat().st_size >= pos.offset:
                self._fh = old.open("rb")
                yield from self._drain(final=True)
                self.close()
            else:
                self.lost_rotated = True
            pos = None
        self._fh = self.path.open("rb")
        st = os.fstat(self._fh.fileno())
        if pos is not None and pos.inode == st.st_ino and st.st_size >= pos.offset:
            return  # the same file: resume at the saved offset
        self.position = FilePosition(st.st_ino)
        yield None, self.position

    def _switch(self) -> Iterator[tuple[bytes | None, FilePosition]]:
        self.close()
        self._fh = self.path.open("rb")
        self.position = FilePosition(os.fstat(self._fh.fileno()).st_ino)
        yield None, self.position

    def _find_inode(self, inode: int) -> Path | None:
        with contextlib.suppress(OSError), os.scandir(self.path.parent) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and entry.inode() == inode:
                    return Path(entry.path)
        return None

    def _drain(self, final: bool) -> Iterator[tuple[bytes | None, FilePosition]]:
        pos = self.position
        assert pos is not None and self._fh is not None
        self._fh.seek(pos.offset)
        rest = b""
        while chunk := self._fh.read(self.chunk_size):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            for raw in lines:
                pos = FilePosition(pos.inode, pos.offset + len(raw) + 1, pos.line + 1)
                self.position = pos
                yield raw, pos
        if final and rest:
            pos = FilePosition(pos.inode, pos.offset + len(rest), pos.line + 1)
            self.position = pos
            yield rest, pos


def save_state(path: str | Path, *, file: str | Path, source: str, position: FilePosition,
               converter: QueueLogConverter) -> None:
    """Write the state file atomically (temporary file, fsync, rename)."""
    path = Path(path)
    doc = {"version": STATE_VERSION, "file": str(Path(file).resolve()), "source": source,
           "position": {"inode": position.inode, "offset": position.offset,
                        "line": position.line},
           "converter": converter.state()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(doc, fh, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_state(path: str | Path, *, file: str | Path, source: str,
               converter: QueueLogConverter) -> FilePosition | None:
    """Restore ``converter`` from the state file and return the saved position (``None`` when
    there is no state file yet). Raises ``ValueError`` naming the problem when the file is
    unreadable or belongs to another log file or source."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"state file {path}: {exc.strerror}") from None
    try:
        doc = json.loads(text)
        version, saved_file, saved_source = doc["version"], doc["file"], doc["source"]
        pos = doc["position"]
        position = FilePosition(int(pos["inode"]), int(pos["offset"]), int(pos["line"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"state file {path}: not a state file ({exc})") from None
    if version != STATE_VERSION:
        raise ValueError(f"state file {path}: version {version!r}, expected {STATE_VERSION}")
    if saved_file != str(Path(file).resolve()):
        raise ValueError(f"state file {path} belongs to {saved_file}, not {file}")
    if saved_source != source:
        raise ValueError(f"state file {path} belongs to source {saved_source!r}, not {source!r}"
                         " (event ids would change)")
    try:
        converter.restore(doc["converter"])
    except (KeyError, ValueError) as exc:
        raise ValueError(f"state file {path}: {exc}") from None
    return position


def _never() -> bool:
    return False


def stream_file(path: str | Path, converter: QueueLogConverter, sink: EventSink, *,
                follow: bool = False, state_file: str | Path | None = None,
                position: FilePosition | None = None,
                sleep: Callable[[float], None] = time.sleep,
                should_stop: Callable[[], bool] = _never,
                batch_size: int = 1000) -> FilePosition | None:
    """Convert ``path`` into ``sink``; with ``follow``, keep polling (every ``POLL_S``, through
    ``sleep``) until ``should_stop()``.

    Events go out in batches (``sink.send`` then ``sink.flush``); only then is the state file
    written, with the position after the last line of the batch, so a crash re-sends at most
    one batch (same ids: the engine drops them) and never skips a line. Returns the last
    position reached.
    """
    tailer = Tailer(path, position)
    saved = position
    pending: list[dict[str, Any]] = []

    def commit(pos: FilePosition) -> None:
        nonlocal saved
        if pending:
            sink.send(pending)
            sink.flush()
            pending.clear()
        if state_file is not None and pos != saved:
            save_state(state_file, file=path, source=converter.source, position=pos,
                       converter=converter)
        saved = pos

    try:
        while True:
            last = None
            for raw, pos in tailer.read(final=not follow):
                if raw is None:
                    converter.new_file()
                else:
                    pending.extend(converter.feed(raw, pos.line))
                last = pos
                if len(pending) >= batch_size:
                    commit(pos)
                    if should_stop():
                        return pos
            if last is not None:
                commit(last)
            if not follow or should_stop():
                return saved
            sleep(POLL_S)
    finally:
        tailer.close()

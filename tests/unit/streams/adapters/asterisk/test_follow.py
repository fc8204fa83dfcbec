"""Following a file: growth, partial lines, rotation and truncation; restarts from the state
file without duplicates or gaps; failed sends; state files of another log or source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.adapters.asterisk import (
    POLL_S,
    FilePosition,
    QueueLogConverter,
    Tailer,
    load_state,
    stream_file,
)

from .queue_logs import Q, T, append, calls, expected_events


class ListSink:
    def __init__(self, fail_after: int | None = None) -> None:
        self.events: list[dict] = []
        self.sent = 0
        self.fail_after = fail_after

    def send(self, events):
        events = list(events)
        if self.fail_after is not None and self.sent + len(events) > self.fail_after:
            raise OSError("broker gone")
        self.events.extend(events)
        self.sent += len(events)
        return len(events)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return "memory"


class Script:
    """Drives the follow loop: each sleep() runs the next step; once the steps are spent,
    should_stop() turns true (after one more poll)."""

    def __init__(self, *steps) -> None:
        self.steps = list(steps)
        self.done = False
        self.sleeps = 0

    def sleep(self, seconds: float) -> None:
        assert seconds == POLL_S
        self.sleeps += 1
        if self.steps:
            self.steps.pop(0)()
        else:
            self.done = True

    def should_stop(self) -> bool:
        return self.done


def follow(path: Path, script: Script, converter=None, **kw) -> tuple[ListSink, FilePosition]:
    sink = ListSink()
    pos = stream_file(path, converter or QueueLogConverter(), sink, follow=True,
                      sleep=script.sleep, should_stop=script.should_stop, **kw)
    return sink, pos


def test_follow_growth_partial_lines_rotation_and_truncation(tmp_path):
    log = tmp_path / "queue_log"
    a, b, c, d = calls(0, 2), calls(2, 2), calls(4, 2), calls(6, 1)
    log.write_bytes(b"".join(a[:4]))
    half = len(b[0]) // 2

    def rotate() -> None:
        append(log, *b[3:])  # written just before the rename: read through the old handle
        log.rename(tmp_path / "queue_log.1")
        log.write_bytes(b"".join(c[:3]))

    script = Script(
        lambda: append(log, *a[4:], b[0][:half]),  # growth + an unterminated line
        lambda: append(log, b[0][half:], *b[1:3]),  # the line completed
        rotate,
        lambda: None,  # nothing new
        lambda: append(log, *c[3:]),
        lambda: log.write_bytes(b"".join(d[:2])),  # truncated (copytruncate) and rewritten
        lambda: append(log, *d[2:]),
    )
    sink, pos = follow(log, script)
    assert sink.events == expected_events(a + b + c + d)
    assert pos == FilePosition(log.stat().st_ino, log.stat().st_size, 3)


def test_follow_restart_from_state_file_without_duplicates_or_gaps(tmp_path):
    log, state = tmp_path / "queue_log", tmp_path / "cache" / "asterisk.pos"
    a, b, c = calls(0, 2), calls(2, 2), calls(4, 2)
    log.write_bytes(b"".join(a))
    # run 1 stops in the middle of call k3 (answered, not ended) and of a line
    first, pos1 = follow(log, Script(lambda: append(log, *b[:5], b[5][:10])),
                         state_file=state)
    saved = json.loads(state.read_text())
    assert saved["position"]["offset"] == pos1.offset == sum(map(len, a + b[:5]))
    assert saved["converter"]["visits"] == [["k3", Q, T + 305, "0"]]
    # while stopped: the line completes, then the log is rotated and a new one begins
    append(log, b[5][10:])
    log.rename(tmp_path / "queue_log.1")
    log.write_bytes(b"".join(c[:3]))
    conv = QueueLogConverter()
    position = load_state(state, file=log, source="asterisk", converter=conv)
    second, _ = follow(log, Script(lambda: append(log, *c[3:])), conv, position=position,
                       state_file=state)
    both = first.events + second.events
    assert both == expected_events(a + b + c)
    assert len({e["event_id"] for e in both}) == len(both)
    # run 3: nothing new, nothing sent
    conv = QueueLogConverter()
    third, _ = follow(log, Script(), conv, state_file=state,
                      position=load_state(state, file=log, source="asterisk", converter=conv))
    assert third.events == []


def test_restart_when_the_rotated_file_is_gone_reads_the_new_file(tmp_path):
    log, state = tmp_path / "queue_log", tmp_path / "pos"
    log.write_bytes(b"".join(calls(0, 1)))
    follow(log, Script(), state_file=state)
    log.rename(tmp_path / "queue_log.1")
    log.write_bytes(b"".join(calls(1, 1)))  # created before the old one goes: a new inode
    (tmp_path / "queue_log.1").unlink()  # e.g. compressed by logrotate
    conv = QueueLogConverter()
    tailer = Tailer(log, load_state(state, file=log, source="asterisk", converter=conv))
    lines = [raw for raw, _ in tailer.read()]
    tailer.close()
    assert tailer.lost_rotated and lines == [None, *[x.rstrip(b"\n") for x in calls(1, 1)]]


def test_a_failed_send_does_not_advance_the_state(tmp_path):
    """At least once: events of a batch the sink refused are sent again on restart."""
    log, state = tmp_path / "queue_log", tmp_path / "pos"
    lines = calls(0, 3)
    log.write_bytes(b"".join(lines))
    sink = ListSink(fail_after=5)
    with pytest.raises(OSError):
        stream_file(log, QueueLogConverter(), sink, state_file=state, batch_size=2)
    conv = QueueLogConverter()
    retry = ListSink()
    stream_file(log, conv, retry, state_file=state,
                position=load_state(state, file=log, source="asterisk", converter=conv))
    ids = [e["event_id"] for e in sink.events + retry.events]
    assert set(ids) == {e["event_id"] for e in expected_events(lines)}
    assert len(ids) - len(set(ids)) <= 2  # at most one batch twice


def test_batch_mode_reads_an_unterminated_last_line(tmp_path):
    log = tmp_path / "queue_log"
    log.write_bytes(b"".join(calls(0, 1)).rstrip(b"\n"))
    sink = ListSink()
    stream_file(log, QueueLogConverter(), sink)
    assert [e["type"] for e in sink.events][-2:] == ["call.ended", "agent.state"]


def test_state_file_of_another_log_or_source_is_refused(tmp_path):
    log, state = tmp_path / "queue_log", tmp_path / "pos"
    log.write_bytes(b"".join(calls(0, 1)))
    stream_file(log, QueueLogConverter(), ListSink(), state_file=state)
    with pytest.raises(ValueError, match="belongs to"):
        load_state(state, file=tmp_path / "other", source="asterisk",
                   converter=QueueLogConverter())
    with pytest.raises(ValueError, match="source 'asterisk'"):
        load_state(state, file=log, source="pbx2", converter=QueueLogConverter())
    state.write_text("{not json")
    with pytest.raises(ValueError, match="not a state file"):
        load_state(state, file=log, source="asterisk", converter=QueueLogConverter())
    assert load_state(tmp_path / "none", file=log, source="x", converter=QueueLogConverter()) \
        is None

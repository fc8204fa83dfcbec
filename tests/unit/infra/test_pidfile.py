"""infra.pidfile: the pid file's record and the process start time read from /proc."""

from __future__ import annotations

import os

from infra.pidfile import PidRecord, _proc_start_ticks


def test_pid_record_round_trip_and_old_format():
    assert PidRecord.loads(PidRecord(42, 12345).dumps()) == PidRecord(42, 12345)
    assert PidRecord.loads("42\n") == PidRecord(42, None)
    assert _proc_start_ticks(os.getpid()) == _proc_start_ticks(os.getpid()) is not None

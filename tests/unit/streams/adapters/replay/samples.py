"""Shared by the replay tests: a valid recorded event and a writer of JSON Lines files."""

from __future__ import annotations

import gzip

GOOD = {"v": 1, "event_id": "e1", "type": "call.queued", "ts": "2026-11-22T01:00:00.000Z",
        "call_id": "c1", "queue": "q"}


def write(path, lines: list[bytes]) -> None:
    data = b"\n".join(lines) + b"\n"
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)

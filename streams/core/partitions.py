"""State per input partition, checkpoints, the event-time watermark: the worker's core, pure.

No Kafka here: :mod:`streams.worker` feeds records and rebalance events in and writes the
checkpoints this module makes to a compacted Kafka topic.

* **One engine per input partition** (``cc.call-events``/N and ``cc.agent-events``/N). Event
  time is judged per partition: a fast partition cannot make a slow one's events look late.
  The snapshot merges the partitions' partials (:class:`streams.engine.SnapshotMerger`),
  which gives exactly the figures of one engine fed every event.
* **A checkpoint** is the engine state *and* the offset of the next record to read, written as
  one record, so it is consistent by construction. After a crash the partition restores it
  and reads on from that offset; records at lower offsets (already inside the checkpoint) are
  skipped, so nothing is counted twice and nothing is lost (at-least-once input, idempotent
  through the checkpoint's offset and the engine's event-id dedup).
* **Watermark** (event clock): the earliest of the partitions' newest event times, leaving
  out partitions that are idle (caught up with nothing newer to read), as stream processors
  do for idle sources.
"""

from __future__ import annotations

import logging
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from .config import EngineSettings
from .engine import Engine, Partial, SnapshotMerger, StateError
from .processor import DeadLetter, Processor

__all__ = ["CHECKPOINT_FORMAT", "CheckpointError", "PartitionState", "Partitions", "Remote",
           "TP", "checkpoint_key", "decode_checkpoint", "decode_partial", "encode_partial"]

log = logging.getLogger("wallboard.partitions")

CHECKPOINT_FORMAT = "cc-wallboard-checkpoint"
CHECKPOINT_VERSION = 1

TP = tuple[str, int]  # (topic, partition)
MAX_REWINDS = 3
_FRESHNESS_KEYS = ("next_offset", "lag", "last_event_ms", "last_record_age_s",
                   "checkpoint_age_s", "checkpoint_offset", "checkpoint_bytes", "restored_from",
                   "skipped", "gaps", "owner", "partial_age_s")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; ``str()`` says why in one line."""


def checkpoint_key(app_id: str, tp: TP) -> bytes:
    """The record key in the state topic: one live checkpoint per app and input partition."""
    return f"{app_id}/{tp[0]}/{tp[1]}".encode()


@dataclass
class PartitionState:
    """One input partition: its processor (engine and counts) and where it stands."""

    tp: TP
    processor: Processor
    next_offset: int = 0          # the first offset not applied yet
    restored_from: int | None = None  # offset of the checkpoint it started from
    last_record_at: float | None = None    # wall clock
    checkpoint_at: float | None = None     # wall clock of the last checkpoint written
    checkpoint_offset: int | None = None   # its next_offset
    checkpoint_bytes: int | None = None
    end_offset: int | None = None          # the partition's end (high watermark), if known
    skipped: int = 0              # records below next_offset (read again after a restart)
    gaps: int = 0                 # offsets that could not be read (retention)
    rewinds: int = 0              # seeks back to next_offset in a row, at rewind_at
    rewind_at: int | None = None
    # the processor counts restored from the checkpoint (empty when it started without one)
    restored_counts: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def newest_ms(self) -> int | None:
        return self.processor.engine.newest_ms

    @property
    def lag(self) -> int | None:
        return None if self.end_offset is None else max(0, self.end_offset - self.next_offset)

    @property
    def dirty(self) -> bool:
        return self.checkpoint_offset != self.next_offset


def encode_checkpoint(state: PartitionState, app_id: str, written_at: float) -> bytes:
    """The checkpoint record: a JSON header line, then the engine state; zlib-compressed."""
    header = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "app_id": app_id,
              "written_at": written_at, "topic": state.tp[0], "partition": state.tp[1],
              "next_offset": state.next_offset,
              "counts": [[t, o, n] for (t, o), n in sorted(state.processor.counts.items())]}
    body = orjson.dumps(header) + b"\n" + state.processor.engine.to_bytes()
    return zlib.compress(body, 1)


def decode_checkpoint(data: bytes) -> tuple[dict, bytes]:
    """``(header, engine state bytes)`` of a checkpoint record; :class:`CheckpointError`."""
    try:
        body = zlib.decompress(data)
    except zlib.error as exc:
        raise CheckpointError(f"not a checkpoint (zlib: {exc})") from None
    head, sep, engine = body.partition(b"\n")
    try:
        header = orjson.loads(head)
    except orjson.JSONDecodeError as exc:
        raise CheckpointError(f"checkpoint header is not JSON: {exc}") from None
    if not sep or not isinstance(header, dict) or header.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError("not a cc-wallboard checkpoint")
    if header.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"checkpoint version {header.get('version')!r} is not supported "
                              f"(this build reads version {CHECKPOINT_VERSION})")
    if not isinstance(header.get("next_offset"), int) or header["next_offset"] < 0:
        raise CheckpointError("checkpoint has no valid next_offset")
    return header, engine


PARTIAL_FORMAT = "cc-wallboard-partial"


def encode_partial(part: Partial, meta: dict) -> bytes:
    """A partition's partial for the partials topic: JSON (the packed aggregates as hex, as
    they exceed 64 bits), zlib-compressed. ``meta`` says where the partition stands."""
    def hexes(values: list[int] | None) -> list[str] | None:
        return None if values is None else [format(v, "x") for v in values]

    body = {"format": PARTIAL_FORMAT, "t": part.t, "day_start": part.day_start, "meta": meta,
            "segments": {name: [hexes(cs), hexes(hs), waiting, agents]
                         for name, (cs, hs, waiting, agents) in part.segments.items()}}
    return zlib.compress(orjson.dumps(body), 1)


def decode_partial(data: bytes) -> tuple[Partial, dict]:
    """``(partial, meta)`` of a partials-topic record; :class:`CheckpointError` if broken."""
    try:
        body = orjson.loads(zlib.decompress(data))
        if body.get("format") != PARTIAL_FORMAT:
            raise ValueError("not a partial")

        def ints(values: list[str] | None) -> list[int] | None:
            return None if values is None else [int(v, 16) for v in values]

        segments = {name: (ints(cs), ints(hs), waiting, agents)
                    for name, (cs, hs, waiting, agents) in body["segments"].items()}
        return Partial(int(body["t"]), int(body["day_start"]), segments), dict(body["meta"])
    except (zlib.error, orjson.JSONDecodeError, ValueError, KeyError, TypeError,
            AttributeError) as exc:
        raise CheckpointError(f"not a cc-wallboard partial: {exc}") from None


@dataclass
class Remote:
    """The newest partial another worker published for a partition it owns."""

    partial: Partial
    meta: dict
    received_at: float


class Partitions:
    """The assigned input partitions of one worker and their engines."""

    def __init__(self, settings: EngineSettings, clock: Callable[[], float],
                 topics: tuple[str, str], app_id: str) -> None:
        self.settings = settings
        self.clock = clock
        self.topics = topics
        self.app_id = app_id
        self.states: dict[TP, PartitionState] = {}
        self.merger = SnapshotMerger(settings)
        self.rebalances = 0
        self.unassigned = 0  # records of partitions not assigned here (ignored)
        # partials of the partitions other workers own (from the partials topic)
        self.remote: dict[TP, Remote] = {}
        self.expected: set[TP] = set()  # every input partition (from the topics' metadata)
        # the end offset of every input partition, owned here or not, as this worker last
        # asked the broker (replaced whole: the snapshot thread may be reading it)
        self.ends: dict[TP, int] = {}

    # -- assignment --------------------------------------------------------------------------
    def assign(self, tp: TP, checkpoint: bytes | None, earliest: int = 0) -> int | None:
        """Start ``tp`` from ``checkpoint`` (or empty, at ``earliest``, the partition's first
        offset); return the offset to read from, or ``None`` when there is no usable
        checkpoint (read from ``earliest``)."""
        state = PartitionState(tp, Processor(self.settings, self.clock, self.topics),
                               next_offset=earliest)
        offset = None
        if checkpoint is not None:
            try:
                header, engine_bytes = decode_checkpoint(checkpoint)
                if (header.get("topic"), header.get("partition")) != tp:
                    raise CheckpointError(f"checkpoint is for {header.get('topic')}/"
                                          f"{header.get('partition')}")
                state.processor.engine = Engine.from_bytes(engine_bytes, self.settings)
            except (CheckpointError, StateError) as exc:
                log.warning("checkpoint of %s/%d refused: %s; rebuilding the partition by "
                            "replay from its earliest offset", tp[0], tp[1], exc)
            else:
                offset = state.next_offset = header["next_offset"]
                state.restored_from = state.checkpoint_offset = offset
                state.checkpoint_bytes = len(checkpoint)
                written = header.get("written_at")
                state.checkpoint_at = written if isinstance(written, (int, float)) else None
                state.processor.counts.update({(t, o): n for t, o, n in header["counts"]})
                state.restored_counts = dict(state.processor.counts)
        self.states[tp] = state
        return offset

    def revoke(self, tp: TP) -> None:
        """Drop ``tp`` (the caller writes its last checkpoint first, if it can)."""
        self.states.pop(tp, None)

    # -- records -----------------------------------------------------------------------------
    def handle(self, tp: TP, offset: int, key: bytes | None,
               value: bytes | None) -> DeadLetter | None:
        """Apply one record (tests and tools: no contiguity check). Never raises."""
        letters, _ = self.handle_batch(tp, [(offset, key, value)], contiguous=False)
        return letters[0][1] if letters else None

    def handle_batch(self, tp: TP, records: Iterable[tuple[int, bytes | None, bytes | None]],
                     *, contiguous: bool = True
                     ) -> tuple[list[tuple[int, DeadLetter]], int | None]:
        """Apply ``(offset, key, value)`` records of one partition in order.

        Returns the dead letters with their offsets, and the offset to seek to when the
        records do not follow on from ``next_offset`` (the consumer read from elsewhere, e.g.
        from the group's committed offset while the partition was being restored): the rest
        of the batch is then left unapplied. Records below ``next_offset`` are already in the
        state and are skipped. A gap that persists after :data:`MAX_REWINDS` seeks (records
        deleted by retention before they were read) is accepted, counted and logged."""
        state = self.states.get(tp)
        letters: list[tuple[int, DeadLetter]] = []
        if state is None:  # not (yet) assigned: the assignment seeks to where it starts
            self.unassigned += 1
            return letters, None
        now = self.clock()
        for offset, key, value in records:
            expected = state.next_offset
            if offset < expected:  # already inside the checkpoint it started from
                state.skipped += 1
                continue
            if offset > expected and contiguous:
                if state.rewind_at != expected or state.rewinds < MAX_REWINDS:
                    state.rewinds = state.rewinds + 1 if state.rewind_at == expected else 1
                    state.rewind_at = expected
                    return letters, expected
                log.error("offsets %d..%d of %s/%d cannot be read (deleted by retention?): "
                          "skipped", expected, offset - 1, tp[0], tp[1])
                state.gaps += offset - expected
            letter = state.processor.handle(tp[0], tp[1], offset, key, value)
            state.next_offset = offset + 1
            state.last_record_at = now
            if letter is not None:
                letters.append((offset, letter))
        return letters, None

    def note_end_offsets(self, ends: Mapping[TP, int]) -> None:
        """End offsets this worker asked the broker for: the lag of its own partitions and,
        against the next offset in the owner's partial, of the others' (:meth:`remote_lag`)."""
        self.ends = {**self.ends, **ends}
        for tp, end in ends.items():
            state = self.states.get(tp)
            if state is not None:
                state.end_offset = max(end, state.end_offset or 0)

    def remote_lag(self, tp: TP, remote: Remote) -> int | None:
        """The lag of a partition another worker owns, judged here: this worker's end offset
        of it less the next offset in the owner's newest partial. Not the lag the owner
        published: a crashed owner's last word would be "caught up" while records pile up.
        ``None`` until both are known."""
        end, next_offset = self.ends.get(tp), remote.meta.get("next_offset")
        if end is None or not isinstance(next_offset, int):
            return None
        return max(0, end - next_offset)

    def checkpoint(self, tp: TP) -> bytes:
        return encode_checkpoint(self.states[tp], self.app_id, self.clock())

    def mark_checkpointed(self, tp: TP, offset: int, size: int) -> None:
        state = self.states.get(tp)
        if state is not None:
            state.checkpoint_offset, state.checkpoint_at = offset, self.clock()
            state.checkpoint_bytes = size

    # -- output ------------------------------------------------------------------------------
    @property
    def counts(self) -> Counter:
        total: Counter = Counter()
        for state in self.states.values():
            total.update(state.processor.counts)
        return total

    @property
    def outcomes(self) -> Counter:
        total: Counter = Counter()
        for state in self.states.values():
            total.update(state.processor.engine.outcomes)
        return total

    @property
    def folded(self) -> Counter:
        total: Counter = Counter()
        for state in self.states.values():
            total.update(state.processor.engine.folded)
        return total

    @property
    def last_record_at(self) -> float | None:
        """Wall-clock time of the newest record applied or dead-lettered, any partition."""
        times = [s.last_record_at for s in self.states.values() if s.last_record_at is not None]
        return max(times) if times else None

    @property
    def records(self) -> int:
        return sum(state.processor.records for state in self.states.values())

    def watermark_ms(self) -> int | None:
        """The event-time watermark: the earliest newest-event time of the partitions that
        have events and are not idle; when every such partition is idle, the latest one.
        Partitions other workers own count through their published newest event time and
        the lag judged here (:meth:`remote_lag`)."""
        active, idle = [], []
        for state in self.states.values():
            newest = state.newest_ms
            if newest is None:
                continue
            (idle if state.lag == 0 else active).append(newest)
        for tp, remote in self.remote.items():
            newest = remote.meta.get("newest_ms")
            if tp in self.states or newest is None:
                continue
            (idle if self.remote_lag(tp, remote) == 0 else active).append(newest)
        if active:
            return min(active)
        return max(idle) if idle else None

    def local_partials(self, as_of: float) -> dict[TP, Partial]:
        return {tp: s.processor.engine.partial(as_of) for tp, s in self.states.items()}

    def meta(self, tp: TP, now: float) -> dict:
        """Where a partition stands, published with its partial."""
        state = self.states[tp]
        return {"newest_ms": state.newest_ms, "lag": state.lag,
                "next_offset": state.next_offset, "published_at": now,
                "checkpoint_at": state.checkpoint_at, "app_id": self.app_id}

    def merged(self, local: dict[TP, Partial], t_ms: int) -> dict:
        """The global snapshot: this worker's partials, plus the newest partial published by
        another worker for every partition this one does not own."""
        parts = list(local.values())
        parts.extend(r.partial for tp, r in self.remote.items() if tp not in local)
        return self.merger.render(parts, t_ms)

    def snapshot(self, as_of: float) -> dict:
        """The global snapshot as of ``as_of``: every assigned partition, and the partials
        other workers published for the rest."""
        return self.merged(self.local_partials(as_of), round(as_of * 1000))

    def freshness(self, now: float) -> list[dict]:
        """Per partition: where it stands, for the snapshot, health and /metrics. Partitions
        owned elsewhere come from their published meta, their lag from this worker's end
        offsets (:meth:`remote_lag`); those nobody publishes, all null."""
        def age(t: float | None) -> float | None:
            return None if t is None else round(now - t, 3)

        def row(tp: TP, **known: Any) -> dict:
            return {"topic": tp[0], "partition": tp[1], **dict.fromkeys(_FRESHNESS_KEYS),
                    **known}

        out = [row(tp, next_offset=s.next_offset, lag=s.lag, last_event_ms=s.newest_ms,
                   last_record_age_s=age(s.last_record_at),
                   checkpoint_age_s=age(s.checkpoint_at), checkpoint_offset=s.checkpoint_offset,
                   checkpoint_bytes=s.checkpoint_bytes, restored_from=s.restored_from,
                   skipped=s.skipped, gaps=s.gaps, owner="here", partial_age_s=0.0)
               for tp, s in sorted(self.states.items())]
        out += [row(tp, next_offset=r.meta.get("next_offset"), lag=self.remote_lag(tp, r),
                    last_event_ms=r.meta.get("newest_ms"),
                    checkpoint_age_s=age(r.meta.get("checkpoint_at")), owner="another worker",
                    partial_age_s=age(r.meta.get("published_at")))
                for tp, r in sorted(self.remote.items()) if tp not in self.states]
        known = {(p["topic"], p["partition"]) for p in out}
        out += [row(tp) for tp in sorted(self.expected - known)]
        return out

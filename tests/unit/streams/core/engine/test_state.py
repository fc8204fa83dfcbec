"""Save and restore (``streams.core.engine.state``): a restore mid-stream gives the same
snapshots, a foreign or mismatched state is refused, and a checkpoint written by the engine
before it became a package restores byte for byte.

Timelines are in seconds after T0 unless said otherwise.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from schemas import parse_event
from streams.core.config import EngineSettings, SegmentPolicy, SegmentSpec
from streams.core.engine import STATE_VERSION, Engine, StateError
from streams.core.engine.state import fingerprint

from .support import T0, ev, run, settings
from .support import sim_events as _sim_events


def test_save_and_restore_mid_stream_gives_the_same_snapshots():
    events = _sim_events(2400)
    plain = run(events)
    half = len(events) // 2
    first = run(events[:half])
    restored = Engine.from_bytes(first.to_bytes())
    assert restored.snapshot(T0 + 1200) == first.snapshot(T0 + 1200)
    for e in events[half:]:
        restored.apply(parse_event(e))
    for at in (2000, 2400, 2460):
        assert restored.snapshot(T0 + at) == plain.snapshot(T0 + at)
    assert +restored.outcomes == +plain.outcomes


def test_restore_refuses_foreign_or_mismatched_state():
    state = run([ev("call.queued", 0)]).to_bytes()
    with pytest.raises(StateError, match="different engine settings"):
        Engine.from_bytes(state, settings(sl_threshold_s=30.0))
    with pytest.raises(StateError, match="version 99 is not supported"):
        Engine.from_bytes(state.replace(b'"version":1', b'"version":99'))
    with pytest.raises(StateError, match="not valid JSON"):
        Engine.from_bytes(b"\x00garbage")
    with pytest.raises(StateError, match="not a cc-wallboard engine state"):
        Engine.from_bytes(b"{}")


# The checkpoint fixture: 1 000 s of simulated traffic (seed 17, late and duplicated events)
# fed to the engine as it was before it became a package (one module, commit 8423922), which
# wrote the state; the rest of the events; and what that engine answered.
FIXTURES = Path(__file__).with_name("fixtures")
OLD_SETTINGS = replace(EngineSettings(timezone="Asia/Shanghai", max_segments=5,
                                      max_queues_per_agent=2), segments=(
    SegmentSpec("vip", ("*",), (("tier", ("vip",)),),
                SegmentPolicy(sl_threshold_s=10.0, abandon_policy="positive")),))
OLD_SNAPSHOT_AT_SAVE = (1795301013.339,
                        "57e60c0c6b9a6f573aedae0f62c5d23dc50d418f1585db51dff9370c11de4496")
OLD_SNAPSHOT_AT_END = (1795301499.991,
                       "fbf5e5cf5a7200812f0bc09941237da75bac9f360ff16195bd4e31b60c6d15ce")
OLD_STATE_AT_END = "0d1d23ec896d2e1cc2426c988cff3c8c1ed51147153ed54e166f9f29091bfdf8"


def _digest(data: object) -> str:
    return hashlib.sha256(data if isinstance(data, bytes) else orjson.dumps(data)).hexdigest()


def test_a_checkpoint_written_before_the_split_restores_byte_for_byte():
    saved = gzip.decompress((FIXTURES / "engine-state-v1.json.gz").read_bytes())
    state = orjson.loads(saved)
    assert (state["version"], state["settings"]) == (STATE_VERSION, fingerprint(OLD_SETTINGS))
    assert state["folded"]["queue_events"] > 0 and state["outcomes"]["duplicate"] > 0
    engine = Engine.from_bytes(saved, OLD_SETTINGS)
    assert engine.to_bytes() == saved
    t, digest = OLD_SNAPSHOT_AT_SAVE
    assert _digest(engine.snapshot(t)) == digest
    rest = gzip.decompress((FIXTURES / "engine-state-v1-rest.jsonl.gz").read_bytes())
    for line in rest.splitlines():
        engine.apply(parse_event(line))
    t, digest = OLD_SNAPSHOT_AT_END
    assert engine.newest_ms == round(t * 1000) and _digest(engine.snapshot(t)) == digest
    assert _digest(engine.to_bytes()) == OLD_STATE_AT_END


def test_the_settings_fingerprint_is_the_repr_of_the_settings_hashed():
    assert fingerprint(EngineSettings()) == hashlib.sha256(
        repr(EngineSettings()).encode()).hexdigest()[:16]
    assert fingerprint(OLD_SETTINGS) != fingerprint(EngineSettings())
    assert orjson.loads(Engine(OLD_SETTINGS).to_bytes())["settings"] == fingerprint(OLD_SETTINGS)

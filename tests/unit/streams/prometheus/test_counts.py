"""streams.prometheus.counts: the records consumed count from 0 with the process and never
go down; the exported totals follow acknowledged checkpoints only."""

from __future__ import annotations

import orjson

from streams.adapters.simulator import Simulator, default_models
from streams.core.config import EngineSettings
from streams.core.partitions import Partitions
from streams.prometheus import CheckpointedTotals, ProcessCounts
from tests.unit.streams.prometheus.support import START, _State, fed_engine


def test_consumed_counts_start_at_zero_with_the_process_and_never_go_down() -> None:
    consumed = ProcessCounts()
    fresh = _State(None)  # started without a checkpoint: everything it counts is ours
    restored = _State(None, restored_from=500, counts={("c", "applied"): 500})
    states = {("c", 0): fresh, ("c", 1): restored}
    assert consumed.update(states) == {("c", "applied"): 0}
    fresh.processor.counts[("c", "applied")] += 3
    restored.processor.counts[("c", "applied")] += 4
    restored.processor.counts[("c", "invalid")] += 1
    assert consumed.update(states) == {("c", "applied"): 7, ("c", "invalid"): 1}
    restored.processor.counts[("c", "applied")] += 1  # applied after that render, then
    del states[("c", 1)]  # revoked: what it counted here, up to the revocation, stays counted
    assert consumed.update(states) == {("c", "applied"): 8, ("c", "invalid"): 1}
    again = _State(None, restored_from=505, counts={("c", "applied"): 505,
                                                     ("c", "invalid"): 1})
    states[("c", 1)] = again  # assigned back from its checkpoint: counts from the restore on
    again.processor.counts[("c", "applied")] += 2  # before the first snapshot saw it: counted
    assert consumed.update(states) == {("c", "applied"): 10, ("c", "invalid"): 1}
    again.processor.counts[("c", "applied")] += 2
    assert consumed.update(states) == {("c", "applied"): 12, ("c", "invalid"): 1}
    moved = _State(None, restored_from=509, counts={("c", "applied"): 509,
                                                     ("c", "invalid"): 1})
    states[("c", 1)] = moved  # revoked and assigned anew between two renders
    assert consumed.update(states) == {("c", "applied"): 12, ("c", "invalid"): 1}


def test_records_applied_after_a_restore_count_before_the_first_render_sees_them() -> None:
    settings = EngineSettings()
    events = Simulator(default_models(2.0), start=START, seed=3).advance(START + 3600)
    keyed = [(e["call_id"].encode(), orjson.dumps(e)) for e in events
             if e["type"] != "agent.state"][:500]  # keyed as the producers key: call_id
    tp = ("calls", 0)
    first = Partitions(settings, lambda: START + 7200, ("calls", "agents"), "app")
    first.assign(tp, None, earliest=0)
    first.handle_batch(tp, [(i, key, line) for i, (key, line) in enumerate(keyed[:300])])
    checkpoint = first.checkpoint(tp)

    second = Partitions(settings, lambda: START + 7200, ("calls", "agents"), "app")
    assert second.assign(tp, checkpoint) == 300
    restored = dict(second.states[tp].processor.counts)
    assert sum(restored.values()) == 300 and second.states[tp].restored_counts == restored
    second.handle_batch(tp, [(i, *keyed[i]) for i in range(300, 500)])  # N = 200
    consumed = ProcessCounts().update(second.states)  # the first render after the restore
    assert sum(consumed.values()) == 200
    assert consumed == {key: n - restored.get(key, 0)
                        for key, n in second.states[tp].processor.counts.items()}
    assert sum(ProcessCounts().update(first.states).values()) == 300  # no checkpoint: all


def test_exported_totals_follow_acknowledged_checkpoints_only() -> None:
    engine = fed_engine()
    held = CheckpointedTotals()
    state = _State(engine, None)
    assert held.update({("c", 0): state}) == {("c", 0): {}}  # nothing checkpointed yet
    engine.to_bytes()
    state.checkpoint_at = 5.0  # written and acknowledged
    first = held.update({("c", 0): state})[("c", 0)]
    assert first == engine.totals
    engine.to_bytes()  # a checkpoint serialized but not written (yet): not adopted
    engine.saved_totals = {**engine.saved_totals, "all": [n + 7 for n in first["all"]]}
    assert held.update({("c", 0): state})[("c", 0)] is first
    state.checkpoint_at = 10.0  # written
    assert held.update({("c", 0): state})[("c", 0)]["all"][0] == first["all"][0] + 7
